"""Rules of referrals, with no I/O, one module per topic, each topic's pure rules beside its write
rules (which work on stored documents through `base.UnitOfWork`: store.py gives the MongoDB one,
tests an in-memory one, so every state change is here and tested without servers):

- `base`: the refusals, the unit of work, the programme's durations (`Timings`), a timeline line.
- `routing`: the region → provider table, Wales and places outside England refused.
- `intake`: the case number, the intake rules, one active cycle per parent and case, taking a referral.
- `progress`: what a parent has done in the current cycle (`apply`), and the status shown for it.
- `outcome`: the court-facing outcome (`decide`, `settle`) and the referral's status.
- `timeline`: another service's event on a parent's timeline, progress and outcome (`follow`).
- `withdrawal`: withdrawing a referral, and the court re-ordering the course (`reorder`).
- `contact`: the provider's call, the activation chaser, the FCA changing a parent's contact.

The names below are the ones the service's other files (api, store, handlers, sweeps) call."""

from referrals.domain.base import Refused, UnitOfWork, Unknown
from referrals.domain.contact import change_contact, chase, mark_contacted
from referrals.domain.intake import already_referred, case_number, check_intake, intake
from referrals.domain.outcome import Outcome, ReferralStatus, decide, referral_status
from referrals.domain.progress import ParticipantStatus, Progress, apply, event_cycle, participant_status, progress_of
from referrals.domain.routing import ROUTABLE_REGIONS, place_key, route
from referrals.domain.timeline import TIMELINE_DETAIL, follow
from referrals.domain.withdrawal import reorder, withdraw

__all__ = [
    "ROUTABLE_REGIONS",
    "TIMELINE_DETAIL",
    "Outcome",
    "ParticipantStatus",
    "Progress",
    "ReferralStatus",
    "Refused",
    "UnitOfWork",
    "Unknown",
    "already_referred",
    "apply",
    "case_number",
    "change_contact",
    "chase",
    "check_intake",
    "decide",
    "event_cycle",
    "follow",
    "intake",
    "mark_contacted",
    "participant_status",
    "place_key",
    "progress_of",
    "referral_status",
    "reorder",
    "route",
    "withdraw",
]
