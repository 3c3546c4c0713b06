"""Event contracts: the envelope, one model per event type, and the registry, one module per
producer (`envelope`: the envelope, `EventData`, `EVENTS` and `STREAMS`; `referrals`, `learning`,
`workshops`, `plans`, `notifications`: that service's events). Import every name from here:
`from ptfc.events import ReferralCreated` (importing the package registers every type).

Versioning rule: `version` is the major version of an event's `data`. Adding an
optional field keeps the version; consumers ignore fields they do not know.
Renaming, removing or changing the meaning of a field is a new version, to be published
beside the old one until every consumer reads it (today each type has one version: the five
v1s replaced before launch were not kept beside their v2s). Events carry ids and reason codes; a
parent's contact details and support needs (`referral.created`), the links that sign a parent
in, plan invitations and the address a plan is shared with travel sealed (`ptfc.sealing`),
each for the one service that needs them.
"""

from ptfc.events.envelope import EVENTS, STREAMS, Envelope, EventData, NotYetKnown, owner_of, stream_for
from ptfc.events.learning import (
    AccountActivated,
    ActivationExpired,
    ActivationIssued,
    DeadlineApproaching,
    DeadlineMissed,
    LearningCompleted,
    LearningEvent,
    LearningExtended,
    ModuleCompleted,
    SignInLinkIssued,
    SignInRefused,
)
from ptfc.events.notifications import NotificationFailed, NotificationOutcome, NotificationSent, RecipientRole
from ptfc.events.plans import PlanAgreed, PlanCreated, PlanItemAgreed, PlanProposalMade, PlanReplyWaiting, PlanShared
from ptfc.events.referrals import (
    ActivationOverdue,
    Adjustments,
    Availability,
    ContactChange,
    ContactChangeReason,
    CourseCompleted,
    CourseIncomplete,
    IncompleteReason,
    ParticipantContact,
    Professional,
    ReferralContactChanged,
    ReferralCreated,
    ReferralKeys,
    ReferralReordered,
    ReferralWithdrawn,
    ReferredParticipant,
    WorkshopProfile,
    seal_participants,
)
from ptfc.events.workshops import (
    FollowupCompleted,
    FollowupScheduled,
    SafeguardingConcernRaised,
    SessionPart,
    WorkshopAttended,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopEvent,
    WorkshopMissed,
    WorkshopReminderDue,
)

# Re-exported: event models use them, and consumers may name them from here.
from ptfc.programme import PROVIDERS, Language

__all__ = [
    "EVENTS",
    "PROVIDERS",
    "STREAMS",
    "AccountActivated",
    "ActivationExpired",
    "ActivationIssued",
    "ActivationOverdue",
    "Adjustments",
    "Availability",
    "ContactChange",
    "ContactChangeReason",
    "CourseCompleted",
    "CourseIncomplete",
    "DeadlineApproaching",
    "DeadlineMissed",
    "Envelope",
    "EventData",
    "FollowupCompleted",
    "FollowupScheduled",
    "IncompleteReason",
    "Language",
    "LearningCompleted",
    "LearningEvent",
    "LearningExtended",
    "ModuleCompleted",
    "NotYetKnown",
    "NotificationFailed",
    "NotificationOutcome",
    "NotificationSent",
    "ParticipantContact",
    "PlanAgreed",
    "PlanCreated",
    "PlanItemAgreed",
    "PlanProposalMade",
    "PlanReplyWaiting",
    "PlanShared",
    "Professional",
    "RecipientRole",
    "ReferralContactChanged",
    "ReferralCreated",
    "ReferralKeys",
    "ReferralReordered",
    "ReferralWithdrawn",
    "ReferredParticipant",
    "SafeguardingConcernRaised",
    "SessionPart",
    "SignInLinkIssued",
    "SignInRefused",
    "WorkshopAttended",
    "WorkshopBooked",
    "WorkshopCancelled",
    "WorkshopEvent",
    "WorkshopMissed",
    "WorkshopProfile",
    "WorkshopReminderDue",
    "owner_of",
    "seal_participants",
    "stream_for",
]
