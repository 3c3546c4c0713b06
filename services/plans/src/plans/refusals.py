"""Each domain refusal as an RFC 9457 problem, worded for a parent: what happened, what to do
(ptfc.refusals: `build_app(refusals=WORDS)` answers each)."""

from ptfc.openapi import Declared
from ptfc.refusals import Table

ASK_AGAIN = "Ask the person who invited you to share the plan with you again."

WORDS: Table = {
    "unauthenticated": (
        401,
        "Authentication required",
        "Send your Parent Hub token (`Authorization: Bearer`) or your plan token (`X-Plan-Token`).",
    ),
    "forbidden": (403, "Not allowed"),  # an FCA changing a plan shared with them (the rule says so)
    "unknown-topic": (422, "Unknown topic", "Choose topics from GET /topics."),
    "duplicate-child": (422, "Two children have the same name", "Give each child a different name or nickname."),
    "topics-already-chosen": (409, "These topics are already in the plan", "Choose a topic the plan does not have."),
    "topic-not-chosen": (409, "This topic is not in the plan", "Only the topics chosen for this plan can be used."),
    "field-not-for-topic": (422, "That field is not for this topic", "See the topic's `field` in GET /topics."),
    "empty-proposal": (422, "Nothing was proposed", "Write some words, or fill in the topic's field."),
    "unknown-child": (422, "Unknown child", "Use the names of the children in this plan."),
    "nothing-to-accept": (409, "Nothing to accept yet", "Nobody has proposed anything for this topic."),
    "proposal-changed": (409, "The proposal has changed", "A newer version was proposed. Read it, then decide."),
    "already-accepted": (409, "You have already accepted this", "Wait for the other parent to reply."),
    "already-not-agreed": (409, "Already marked as not agreed", "Propose new wording when you are ready."),
    "plan-changed": (409, "The plan changed while saving", "Reload the plan and try again."),
    "plan-full": (409, "Both parents are already in this plan", "A plan is shared by two parents."),
    "no-co-parent": (
        409,
        "We do not know your co-parent",
        "Only a parent on the programme whose co-parent is on the same referral can share this way. "
        "Share by email instead.",
    ),
    "not-on-programme": (409, "You have no FCA", "Only a parent on the programme can share a plan with their FCA."),
    "email-needed": (422, "Please give an email address", "Sharing by email needs the address to send it to."),
    "invitation-unknown": (404, "We do not recognise this invitation", "Check you used the whole link. " + ASK_AGAIN),
    "invitation-used": (409, "This invitation has already been used", "Each invitation works once. " + ASK_AGAIN),
    "invitation-replaced": (410, "A newer invitation was sent", "Please use the newest invitation. " + ASK_AGAIN),
    "invitation-expired": (410, "This invitation has expired", "Invitations work for a limited time. " + ASK_AGAIN),
    "invitation-for-someone-else": (
        403,
        "This invitation is for someone else",
        "Sign in to the Parent Hub as the parent this invitation was sent to.",
    ),
    "already-a-party": (409, "You are already in this plan", "Open the plan from your list of plans."),
    # Worded alike whoever used up the day's invitations: it says nothing about the person invited.
    "invitation-limit": (
        429,
        "No more invitations to this person today",
        "We send a person only a few invitations a day, whoever asks. Please try again tomorrow.",
    ),
}


# The problems each operation answers besides those of every route (ptfc.openapi): its OpenAPI
# lists them, and a test fails on any other (ptfc.testing.plugin).
CHANGED = "plan-changed"  # any write to a plan, when another saved first
ROUTES: Declared = {
    "POST /plans": {409: ("credential-not-replayed",), 422: ("unknown-topic", "duplicate-child")},
    "POST /plans/{plan_id}/topics": {409: ("topics-already-chosen", CHANGED), 422: ("unknown-topic",)},
    "POST /plans/{plan_id}/topics/{topic}/proposals": {
        409: ("topic-not-chosen", CHANGED),
        422: ("field-not-for-topic", "empty-proposal", "unknown-child"),
    },
    "POST /plans/{plan_id}/topics/{topic}/acceptance": {
        409: ("topic-not-chosen", "nothing-to-accept", "proposal-changed", "already-accepted", CHANGED),
    },
    "POST /plans/{plan_id}/topics/{topic}/not-agreed": {
        409: ("topic-not-chosen", "already-not-agreed", "proposal-changed", CHANGED),
    },
    "POST /plans/{plan_id}/share": {
        409: ("plan-full", "not-on-programme", "no-co-parent", CHANGED),
        422: ("email-needed",),
        429: ("invitation-limit",),
    },
    "POST /invitations/accept": {
        403: ("invitation-for-someone-else",),
        404: ("invitation-unknown",),
        409: ("invitation-used", "already-a-party", "plan-full", "credential-not-replayed", CHANGED),
        410: ("invitation-expired", "invitation-replaced"),
    },
    "POST /plans/{plan_id}/leave": {409: (CHANGED,)},
}
