"""Domain refusals → RFC 9457 problems. The rules say no without HTTP in mind; this says how.
A refusal of the request itself is 422, one of the record's present state 409."""

from ptfc.problems import Problem, not_found
from referrals.domain import Refused, Unknown

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
