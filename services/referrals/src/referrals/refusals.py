"""Domain refusals → RFC 9457 problems. The rules say no without HTTP in mind; this says how.
A refusal of the request itself is 422, one of the record's present state 409."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from ptfc.auth import Caller
from ptfc.openapi import Declared
from ptfc.problems import Problem, not_found
from referrals.access import may_read
from referrals.domain import Refused, Unknown, already_referred

# Reasons that depend on the record's state, not on what was sent: asking again later may work.
CONFLICTS = {
    "parent-already-referred",
    "already-withdrawn",
    "referral-withdrawn",
    "course-completed",
    "cycle-in-progress",
}


def problem(refusal: Refused | Unknown) -> Problem:
    if isinstance(refusal, Unknown):
        return not_found(refusal.what)
    status = 409 if refusal.reason in CONFLICTS else 422
    return Problem(status, refusal.reason, refusal.title, refusal.detail, **refusal.extra)


async def named_for(caller: Caller, refusal: Refused, db: AsyncDatabase, session: Any = None) -> Refused:
    """ "Already referred" names the existing referral only to a caller who may read it: another
    FCA is told the parent is on the course, not under which referral."""
    referral_id = refusal.extra.get("existing_referral_id")
    if refusal.reason != "parent-already-referred" or referral_id is None:
        return refusal
    return refusal if await may_read(db, caller, referral_id, session) else already_referred(None)


# The problems each operation answers besides those of every route (ptfc.openapi): its OpenAPI
# lists them, and a test fails on any other (ptfc.testing.plugin).
ROUTES: Declared = {
    "POST /referrals": {
        403: ("referral-by-cafcass-only",),
        409: ("parent-already-referred",),
        422: (
            "invalid-case-number",
            "wales-out-of-scope",
            "region-ambiguous",
            "region-not-in-england",
            "region-unknown",
            "safeguarding-concerns",
            "court-declined",
            "same-parent-twice",
        ),
    },
    "POST /referrals/{referral_id}/withdraw": {409: ("already-withdrawn",)},
    "GET /reports": {422: ("bad-range",)},
    "POST /referrals/{referral_id}/participants/{participant_id}/reorder": {
        409: ("referral-withdrawn", "course-completed", "cycle-in-progress", "parent-already-referred"),
    },
    "POST /referrals/{referral_id}/participants/{participant_id}/contact": {
        403: ("referral-by-cafcass-only",),
        409: ("referral-withdrawn", "parent-already-referred"),
        422: ("contact-unchanged", "same-parent-twice"),
    },
}
