"""The co-parent rule (`domain.seats.apart`), one table asked through every way a parent comes to a
session: the offered list (the very call `store.offered_sessions` makes for each session), a
booking (`domain.book`) and the allocator (`domain.allocate`). The rule is defined once, so
deleting it (`apart` always true) fails every path of this table alike, not just one."""

import pytest

from workshops import domain

from .fakes import FakeUnitOfWork
from .test_write_rules import MON, T, new_session, refer

# Whose half the session is in (each session belongs to one parent of a co-parent pair), and
# whether the co-parent is booked in it (only possible had the halves been drawn anew); then may
# the parent be offered it (the list reads nothing of the co-parent), book it, be placed in it?
TABLE = [
    # case, half, co-parent in it, offered, booked, placed
    ("a session of the parent's own half", "mine", False, True, True, True),
    ("a session of the co-parent's half", "theirs", False, False, False, False),
    ("the co-parent's half, with the co-parent in it", "theirs", True, False, False, False),
    ("the parent's half, the co-parent in it anyway", "mine", True, True, False, False),
    ("a parent with no co-parent: every session", "any", False, True, True, True),
]


async def situation(half: str, co_parent_in: bool) -> tuple[FakeUnitOfWork, str, str]:
    """Alex (and Chris, her co-parent, unless `half` is "any"), and one session as the row says."""
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", *(["alex"] if half == "any" else ["alex", "chris"]))
    while True:
        sid = await new_session(uow, MON)
        mine = domain.eligible(sid, "alex", uow.parents["alex"]["co_parents"], T.co_parent_split_key)
        if half == "any" or mine == (half == "mine"):
            break
    if co_parent_in:
        uow.bookings["b-chris"] = {"_id": "b-chris", "session_id": sid, "participant_id": "chris"}
        uow.bookings["b-chris"] |= {"referral_id": "r-1", "status": "booked", "marks": {}}
        uow.sessions[sid]["booked"] += 1
    return uow, sid, "alex"


async def offered(uow: FakeUnitOfWork, sid: str, pid: str) -> bool:
    seeker = domain.seeker_of(uow.parents[pid], T.co_parent_split_key, chosen=True)
    return domain.bookable(domain.slot_of(uow.sessions[sid]), seeker, uow.now(), T.cancel_cutoff)


async def booked(uow: FakeUnitOfWork, sid: str, pid: str) -> bool:
    try:
        await domain.book(uow, pid, sid, T)
    except domain.Refused as refused:
        assert refused.reason == "session-unavailable"  # never a reason that tells where the co-parent is
        return False
    return True


async def placed(uow: FakeUnitOfWork, sid: str, pid: str) -> bool:
    wish = {"_id": pid, "since": uow.now(), "patterns": ["daytime"], "formats": ["online"]}
    seeker = domain.seeker_of(uow.parents[pid], T.co_parent_split_key, wish)
    members = {b["participant_id"] for b in uow.bookings.values() if b["session_id"] == sid}
    return domain.allocate([seeker], [domain.slot_of(uow.sessions[sid], members)], T.aim_group) == {pid: sid}


@pytest.mark.parametrize("path", [offered, booked, placed], ids=["offered list", "booking", "allocation"])
@pytest.mark.parametrize(("case", "half", "co_parent_in", *"obp"), TABLE, ids=[row[0] for row in TABLE])
async def test_the_co_parent_rule_holds_on_every_path(path, case, half, co_parent_in, o, b, p):
    uow, sid, pid = await situation(half, co_parent_in)
    expected = {offered: o, booked: b, placed: p}[path]
    assert await path(uow, sid, pid) is expected, case
