"""Rules of the parenting plan, with no I/O, one module per topic, each topic's pure rules beside its
write rules (which work on stored documents through `base.UnitOfWork`: store.py gives the MongoDB one,
tests an in-memory one, so every state change is here and tested without servers). A plan is a plain
dict (as stored); each rule returns what changes, or raises `Refused` with a stable reason.

- `base`: the refusals, ids and secrets, the unit of work, the settings the rules read (`Rules`), the
  caller (`Who`), and `saved` (a change at the plan's next revision, with its history entry).
- `history`: a history entry (who, when, what) and a proposal's differences from the version before.
- `parties`: who takes part (two parents at most), who may change or only read a plan, leaving, and
  the programme parents a referral names (with their co-parents and FCA).
- `drafting`: starting a plan (its children and topics), and topics added later.
- `sharing`: sharing with the co-parent, by email or with the FCA; invitations and joining.
- `agreement`: propose, accept, set aside; when a topic and the plan are agreed; what a child reads.
- `replies`: the reply emails to the other parent, at most one a day, and turning them off.

The names below are the ones the service's other files (api, views, access, store, handlers, sweeps) call."""

from plans.domain.agreement import Change, accept, for_children, mark_not_agreed, negotiate, propose
from plans.domain.base import MAX_PARTIES, Refused, Rules, UnitOfWork, Unknown, Who, hash_token
from plans.domain.drafting import Started, more_topics, new_plan, start
from plans.domain.history import diff
from plans.domain.parties import (
    active,
    language_of,
    leave,
    may_invite,
    member,
    new_party,
    party,
    reader,
    remember_participants,
)
from plans.domain.replies import choose_reply_emails, send_held_reply, tell_the_other
from plans.domain.sharing import Invitation, Joined, invite, join, recipient_of, share

__all__ = [
    "MAX_PARTIES",
    "Change",
    "Invitation",
    "Joined",
    "Refused",
    "Rules",
    "Started",
    "UnitOfWork",
    "Unknown",
    "Who",
    "accept",
    "active",
    "choose_reply_emails",
    "diff",
    "for_children",
    "hash_token",
    "invite",
    "join",
    "language_of",
    "leave",
    "mark_not_agreed",
    "may_invite",
    "member",
    "more_topics",
    "negotiate",
    "new_party",
    "new_plan",
    "party",
    "propose",
    "reader",
    "recipient_of",
    "remember_participants",
    "send_held_reply",
    "share",
    "start",
    "tell_the_other",
]
