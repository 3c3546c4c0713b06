"""Plans' events: a plan created, shared (the invitation sealed), proposals, agreement, and a
reply waiting for a parent."""

from datetime import datetime
from typing import Literal

from ptfc.events.envelope import EventData
from ptfc.programme import Language


class PlanCreated(EventData):
    TYPE = "plan.created"
    plan_id: str
    owner_id: str


class PlanShared(EventData):
    """An invitation to a plan. Exactly one of `invitee_participant_id` (a programme co-parent,
    whose contact notifications already keeps) or `sealed_invitee_email` is set."""

    TYPE = "plan.shared"
    VERSION = 2  # v1 carried `invitee_email` and `invite_url` in clear; retired before launch, no v1 consumer remains
    plan_id: str
    invitation_id: str
    invitee_participant_id: str | None = None
    sealed_invitee_email: str | None = None  # the address the sharing party typed in, sealed (ptfc.sealing)
    sealed_invite_url: str  # the single-use invitation link, sealed for notifications (ptfc.sealing)
    expires_at: datetime
    preferred_language: Language = "en"


class PlanProposalMade(EventData):
    TYPE = "plan.proposal_made"
    plan_id: str
    proposal_id: str
    topic: str


class PlanItemAgreed(EventData):
    TYPE = "plan.item_agreed"
    plan_id: str
    topic: str


class PlanAgreed(EventData):
    TYPE = "plan.agreed"
    plan_id: str


class PlanReplyWaiting(EventData):
    """A parent's co-parent replied: a proposal waits for them, or the plan is agreed. Plans sends at
    most one a day per plan per parent, none to a parent who turned these emails off; notifications
    emails it with no words of the plan. The recipient by id only: a programme parent, or the
    invitation they joined by (whose address notifications alone keeps)."""

    TYPE = "plan.reply_waiting"
    plan_id: str
    reason: Literal["proposal", "agreed"]
    recipient_participant_id: str | None = None
    recipient_invitation_id: str | None = None
    preferred_language: Language = "en"
