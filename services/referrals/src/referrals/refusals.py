"""Domain refusals → RFC 9457 problems (ptfc.refusals: `build_app(refusals=WORDS)` answers each).
The rules say no without HTTP in mind; this says how. A refusal of the request itself is 422; one
of the record's present state 409 (asking again later may work)."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import BulkWriteError, DuplicateKeyError

from ptfc.auth import Caller
from ptfc.openapi import Declared
from ptfc.refusals import Table
from ptfc.store import duplicate_key
from referrals.access import may_read
from referrals.domain import Refused, already_referred
from referrals.store import active_referral_of

WORDS: Table = {
    "invalid-case-number": (422, "Invalid case number"),
    "wales-out-of-scope": (422, "Referrals in Wales are out of scope"),
    "region-ambiguous": (422, "Region too broad to route"),
    "region-not-in-england": (422, "Region not in England"),
    "region-unknown": (422, "Region not recognised"),
    "safeguarding-concerns": (422, "Not referred: current safeguarding concerns"),
    "court-declined": (422, "Not referred: the court declined"),
    "same-parent-twice": (422, "The same parent twice"),
    "contact-unchanged": (422, "Nothing to change"),
    "parent-already-referred": (409, "Parent already on the course for this case"),
    "already-withdrawn": (409, "Already withdrawn"),
    "referral-withdrawn": (409, "Referral withdrawn"),
    "course-completed": (409, "Only an incomplete course is re-ordered"),
    "cycle-in-progress": (409, "Only an incomplete course is re-ordered"),
}


async def named_for(caller: Caller, refusal: Refused, db: AsyncDatabase) -> Refused:
    """ "Already referred" names the existing referral only to a caller who may read it: another
    FCA is told the parent is on the course, not under which referral."""
    referral_id = refusal.facts.get("existing_referral_id")
    if refusal.reason != "parent-already-referred" or referral_id is None:
        return refusal
    return refusal if await may_read(db, caller, referral_id) else already_referred(None)


@asynccontextmanager
async def as_seen_by(caller: Caller, db: AsyncDatabase, clash: tuple[str, list[str]] | None) -> AsyncIterator[None]:
    """Around a write that may claim a parent's active cycle: its "already referred" as this caller
    may hear it (`named_for`). `clash` names the parents a concurrent write may have claimed first:
    the store's unique index then refuses this one at commit, answered as "already referred" too."""
    try:
        yield
    except Refused as refused:
        raise await named_for(caller, refused, db) from None
    except (DuplicateKeyError, BulkWriteError) as error:
        other = duplicate_key(error) and clash and await active_referral_of(db, *clash)
        if other:
            raise await named_for(caller, already_referred(other), db) from None
        raise


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
