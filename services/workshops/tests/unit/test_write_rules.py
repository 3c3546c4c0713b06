"""The write rules of workshops (sessions, booking with co-parents kept apart and seats counted,
the cancel cut-off, attendance and misses, the consent-gated follow-up call, concerns, and what
other services' events change) against an in-memory unit of work: what is saved and what is
emitted, with no servers."""

from datetime import UTC, datetime, timedelta

import pytest

from ptfc.events import NotYetKnown
from ptfc.sealing import unseal
from workshops import domain

from .fakes import FakeUnitOfWork, settings

T = settings()
MON = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday, in GMT; the fake's clock is 12 days before
HALF = timedelta(minutes=75)
LINK = "https://video.example/room-1"


async def refused(call) -> str:
    with pytest.raises(domain.Refused) as caught:
        await call
    return caught.value.reason


async def refer(uow: FakeUnitOfWork, referral_id: str, *pids: str, learned: bool = True) -> None:
    for pid in pids:
        kept = {
            "cycle": 1,
            "provider": "family-action",
            "fca_id": "fca-sam",
            "given_name": f"Given-{pid}",
            "gender": None,
            "language": "en",
            "interpreter": None,
            "in_person": False,
            "support_needs": "",
            "availability": [],
            "co_parents": [other for other in pids if other != pid],
        }
        await domain.know_parent(uow, pid, referral_id, kept)
        if learned:
            await domain.learning_completed(uow, pid, 1, uow.clock)


async def new_session(uow: FakeUnitOfWork, start: datetime = MON, capacity: int = 6) -> str:
    fields = {
        "format": "online",
        "video_link": LINK,
        "venue": None,
        "pattern": "daytime",
        "parts": [
            {"starts_at": start, "ends_at": start + HALF},
            {"starts_at": start + HALF + timedelta(minutes=15), "ends_at": start + 2 * HALF + timedelta(minutes=15)},
        ],
        "capacity": capacity,
        "language": "en",
        "interpreters": [],
        "facilitators": ["ann"],
    }
    return str((await domain.add_session(uow, fields, "family-action", "staff-1", T))["_id"])


async def two_booked(uow: FakeUnitOfWork) -> str:
    """A session in which two parents of two referrals, `a` and `b`, are booked."""
    await refer(uow, "r-1", "a")
    await refer(uow, "r-2", "b")
    sid = await new_session(uow)
    for pid in ("a", "b"):
        await domain.book(uow, pid, sid, T)
    return sid


async def session_for(uow: FakeUnitOfWork, pid: str, start: datetime = MON, capacity: int = 6) -> str:
    """A new session in `pid`'s half of the sessions (a parent with a co-parent has half of them:
    `domain.eligible`); the sessions made on the way stay, in the co-parent's half."""
    while True:
        sid = await new_session(uow, start, capacity)
        if domain.eligible(sid, pid, uow.parents[pid]["co_parents"], T.co_parent_split_key):
            return sid


async def test_a_booking_takes_a_seat_and_tells_the_parent_where_to_join():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex", "chris")
    sid = await session_for(uow, "alex")
    await domain.join_waitlist(uow, "alex", ["daytime"], ["online"])
    booking, session = await domain.book(uow, "alex", sid, T)
    assert uow.sessions[sid]["booked"] == 1 == session["booked"]
    assert uow.bookings[booking["_id"]]["status"] == "booked"
    assert uow.parents["alex"]["booking_id"] == booking["_id"] and "alex" not in uow.waitlist
    assert booking["reminder_due"] == MON - timedelta(days=1)
    [booked] = uow.of("workshop.booked")
    assert (booked.session_id, booked.has_video_link, booked.rebooking) == (sid, True, False)
    assert LINK not in booked.model_dump_json() and unseal(T.link_seal_key, booked.sealed_video_link) == LINK
    assert await refused(domain.book(uow, "alex", sid, T)) == "already-booked"


async def test_co_parents_are_never_booked_into_the_same_session_and_are_told_nothing_about_why():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex", "chris")
    sid = await session_for(uow, "alex")
    before = await refused(domain.book(uow, "chris", sid, T))  # Alex's half: never Chris's, booked or not
    await domain.book(uow, "alex", sid, T)
    assert await refused(domain.book(uow, "chris", sid, T)) == before == "session-unavailable"
    assert uow.sessions[sid]["booked"] == 1 and uow.parents["chris"]["booking_id"] is None
    other = await session_for(uow, "chris", MON + timedelta(days=1))
    await domain.book(uow, "chris", other, T)
    assert uow.sessions[other]["booked"] == 1


async def test_a_session_outside_the_parents_half_is_refused_before_any_booking_is_read():
    """The refusal does the same work whether or not the co-parent is booked: no booking is read."""
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex", "chris")
    sid = await session_for(uow, "alex")
    read: list[str] = []
    for name in ("bookings_in", "all_bookings_in", "bookings_of", "booking"):
        original = getattr(uow, name)

        async def spy(*args, _original=original, _name=name):
            read.append(_name)
            return await _original(*args)

        setattr(uow, name, spy)
    assert await refused(domain.book(uow, "chris", sid, T)) == "session-unavailable"
    assert read == []
    await domain.book(uow, "alex", sid, T)
    read.clear()
    assert await refused(domain.book(uow, "chris", sid, T)) == "session-unavailable"
    assert read == []


async def test_a_full_session_refuses_the_next_parent_the_same_way():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "a1", "a2")
    await refer(uow, "r-2", "b1")
    sid = await session_for(uow, "a1", capacity=2)
    await domain.book(uow, "a1", sid, T)
    await refer(uow, "r-3", "c1")
    await domain.book(uow, "c1", sid, T)
    assert await refused(domain.book(uow, "b1", sid, T)) == "session-unavailable"
    assert uow.sessions[sid]["booked"] == 2 and len(uow.bookings) == 2


async def test_a_parent_books_only_after_the_e_learning_and_never_an_unknown_session():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex", learned=False)
    sid = await new_session(uow)
    assert await refused(domain.book(uow, "alex", sid, T)) == "learning-not-complete"
    await domain.learning_completed(uow, "alex", 1, uow.clock)
    assert await refused(domain.book(uow, "alex", "no-such-session", T)) == "session-unavailable"
    assert await refused(domain.book(uow, "nobody", sid, T)) == "learning-not-complete"


async def test_cancelling_frees_the_seat_until_the_cut_off_and_not_after():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")
    sid = await new_session(uow)
    booking, _ = await domain.book(uow, "alex", sid, T)
    cancelled, _ = await domain.cancel_my_booking(uow, "alex", T)
    assert cancelled["status"] == "cancelled" and uow.bookings[booking["_id"]]["status"] == "cancelled"
    assert uow.sessions[sid]["booked"] == 0 and uow.parents["alex"]["booking_id"] is None
    [event] = uow.of("workshop.cancelled")
    assert event.reason == "parent_cancelled"
    assert await refused(domain.cancel_my_booking(uow, "alex", T)) == "no-booking"

    await domain.book(uow, "alex", sid, T)
    uow.clock = MON - T.cancel_cutoff + timedelta(minutes=1)
    assert await refused(domain.cancel_my_booking(uow, "alex", T)) == "too-late-to-cancel"
    assert uow.sessions[sid]["booked"] == 1 and len(uow.of("workshop.cancelled")) == 1


async def test_both_parts_attended_is_sent_once_and_is_then_final():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")
    sid = await new_session(uow)
    await domain.book(uow, "alex", sid, T)
    assert await refused(domain.record_mark(uow, sid, "alex", 1, "attended", T)) == "part-not-started"
    uow.clock = MON + 2 * HALF + timedelta(minutes=20)
    assert await refused(domain.record_mark(uow, sid, "nobody", 1, "attended", T)) == "not-in-session"
    first = await domain.record_mark(uow, sid, "alex", 1, "attended", T)
    assert first["status"] == "booked" and uow.emitted()[-1] == "workshop.booked"
    done = await domain.record_mark(uow, sid, "alex", 2, "attended", T)
    assert done["status"] == "attended" and uow.parents["alex"]["attended_at"] == uow.clock
    assert uow.parents["alex"]["booking_id"] is None
    assert await domain.record_mark(uow, sid, "alex", 2, "attended", T) == uow.bookings[done["_id"]]
    assert await refused(domain.record_mark(uow, sid, "alex", 2, "missed", T)) == "attendance-final"
    assert len(uow.of("workshop.attended")) == 1
    assert await domain.close_session(uow, sid, T) and not uow.of("workshop.missed")


async def test_a_miss_offers_one_rebooking_and_a_second_miss_is_final():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")
    first = await new_session(uow)
    await domain.book(uow, "alex", first, T)
    uow.clock = MON + HALF
    await domain.record_mark(uow, first, "alex", 1, "missed", T)
    assert not uow.of("workshop.missed")  # a miss waits for the session to close: it may be corrected
    assert await domain.close_session(uow, first, T)
    assert not await domain.close_session(uow, first, T)  # closes once
    [missed] = uow.of("workshop.missed")
    assert (missed.misses, missed.rebooking_offered) == (1, True)
    assert uow.sessions[first]["status"] == "closed" and uow.parents["alex"]["booking_id"] is None

    second = await new_session(uow, MON + timedelta(days=7))
    await domain.book(uow, "alex", second, T)
    assert uow.of("workshop.booked")[-1].rebooking is True
    await domain.close_session(uow, second, T)  # nothing recorded: a miss too
    final = uow.of("workshop.missed")[-1]
    assert (final.misses, final.rebooking_offered) == (2, False)
    third = await new_session(uow, MON + timedelta(days=8))
    assert await refused(domain.book(uow, "alex", third, T)) == "no-more-rebooking"


async def test_the_follow_up_call_is_only_for_consenting_parents_and_is_recorded_once():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "yes")
    await refer(uow, "r-2", "no")
    await domain.consent(uow, "yes", True)
    sid = await new_session(uow)
    for pid in ("yes", "no"):
        await domain.book(uow, pid, sid, T)
    uow.clock = MON + 2 * HALF + timedelta(minutes=20)
    for pid in ("yes", "no"):
        for part in (1, 2):
            await domain.record_mark(uow, sid, pid, part, "attended", T)
    [scheduled] = uow.of("followup.scheduled")
    assert scheduled.participant_id == "yes" and scheduled.due_by == uow.clock + T.followup_within
    [call] = uow.followups.values()
    assert call["facilitator"] == "ann"
    with pytest.raises(domain.Unknown):
        await domain.record_call(uow, call["_id"], ("family-action", "bob"), False, None)
    with pytest.raises(domain.Unknown):  # Ann's subject, from another provider's identity provider
        await domain.record_call(uow, call["_id"], ("action-for-children", "ann"), False, None)
    ann = ("family-action", "ann")
    assert await refused(domain.record_call(uow, call["_id"], ann, False, {"money": 1})) == "answers-without-reach"
    done, name = await domain.record_call(uow, call["_id"], ann, False, None)
    assert done["status"] == "completed" and name == "Given-yes" and uow.emitted()[-1] == "followup.completed"
    assert await refused(domain.record_call(uow, call["_id"], ann, False, None)) == "followup-recorded"


async def test_withdrawing_consent_withdraws_a_scheduled_call():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "yes")
    await domain.consent(uow, "yes", True)
    sid = await new_session(uow)
    await domain.book(uow, "yes", sid, T)
    uow.clock = MON + 2 * HALF + timedelta(minutes=20)
    for part in (1, 2):
        await domain.record_mark(uow, sid, "yes", part, "attended", T)
    await domain.consent(uow, "yes", False)
    assert [f["status"] for f in uow.followups.values()] == ["withdrawn"] and uow.parents["yes"]["consent"] is False


async def test_a_concern_about_a_booked_parent_alerts_the_fca_without_its_details():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")
    await refer(uow, "r-2", "sam")
    sid = await new_session(uow)
    await domain.book(uow, "alex", sid, T)
    args = ("physical_harm", "Said the child was hit at the weekend.", "ann")
    assert await refused(domain.raise_concern(uow, sid, "sam", *args)) == "not-in-session"
    concern = await domain.raise_concern(uow, sid, "alex", *args)
    assert uow.concerns[concern["_id"]]["fca_id"] == "fca-sam"
    [(event, correlation)] = [(e, c) for e, c in uow.events if e.TYPE == "safeguarding.concern_raised"]
    assert correlation == "r-1" and event.category == "physical_harm"
    assert "hit" not in event.model_dump_json()
    with pytest.raises(domain.Unknown):
        await domain.read_concern(uow, concern["_id"], "ann", "facilitator")
    assert uow.concern_reads == []
    read = await domain.read_concern(uow, concern["_id"], "fca-sam", "cafcass")
    assert read["details"] == args[1] and [r["reader"] for r in uow.concern_reads] == ["fca-sam"]


async def test_a_withdrawal_cancels_the_booking_and_the_waiting():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex", "chris")
    sid = await session_for(uow, "alex")
    await domain.book(uow, "alex", sid, T)
    await domain.join_waitlist(uow, "chris", ["daytime"], ["online"])
    await domain.withdraw(uow, "r-1", [])
    assert uow.sessions[sid]["booked"] == 0 and not uow.waitlist
    assert [e.reason for e in uow.of("workshop.cancelled")] == ["referral_withdrawn"]
    assert await refused(domain.book(uow, "chris", sid, T)) == "course-closed"


@pytest.mark.parametrize("named", [[], ["alex"]])
async def test_a_withdrawal_that_overtakes_its_referral_is_remembered(named):
    uow = FakeUnitOfWork()
    await domain.withdraw(uow, "r-1", named)
    await refer(uow, "r-1", "alex", "chris")
    assert uow.parents["alex"]["withdrawn"] is True
    assert uow.parents["chris"]["withdrawn"] is (not named)
    sid = await new_session(uow)
    assert await refused(domain.book(uow, "alex", sid, T)) == "course-closed"


async def test_learning_may_arrive_before_the_referral_and_both_are_kept():
    uow = FakeUnitOfWork()
    await domain.learning_completed(uow, "alex", 1, uow.clock)
    await refer(uow, "r-1", "alex", learned=False)
    sid = await new_session(uow)
    await domain.book(uow, "alex", sid, T)
    assert uow.parents["alex"]["learning_completed_at"] == uow.clock


async def test_a_completion_of_a_re_ordered_course_that_overtakes_the_re_order_waits_for_it():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")  # the first cycle's e-learning done
    with pytest.raises(NotYetKnown):  # the second cycle's, before workshops hears of the re-order
        await domain.learning_completed(uow, "alex", 2, uow.clock)
    await domain.reorder(uow, "alex", 2, "family-action", "en")
    assert uow.parents["alex"]["learning_completed_at"] is None  # the first completion no longer counts
    await domain.learning_completed(uow, "alex", 2, uow.clock)  # again, once the re-order is in
    assert uow.parents["alex"]["learning_completed_at"] == uow.clock
    await domain.learning_completed(uow, "alex", 1, uow.clock - timedelta(days=9))  # the first cycle's, late
    assert uow.parents["alex"]["learning_completed_at"] == uow.clock
    sid = await new_session(uow)
    await domain.book(uow, "alex", sid, T)


async def test_cancelling_a_session_tells_each_booked_parent_and_puts_them_on_the_waiting_list():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")
    sid = await new_session(uow)
    await domain.book(uow, "alex", sid, T)
    session = await domain.cancel_session(uow, sid)
    assert (session["status"], session["booked"]) == ("cancelled", 0)
    assert [e.reason for e in uow.of("workshop.cancelled")] == ["session_cancelled"]
    assert uow.waitlist["alex"]["formats"] == ["online"]
    assert await domain.cancel_session(uow, sid) == session  # again: nothing more
    assert len(uow.of("workshop.cancelled")) == 1


async def test_a_reminder_is_sent_once_per_part():
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex")
    sid = await new_session(uow)
    booking, _ = await domain.book(uow, "alex", sid, T)
    due = booking["reminder_due"]
    uow.clock = due
    assert await domain.remind(uow, booking["_id"], due, T)
    assert not await domain.remind(uow, booking["_id"], due, T)  # another replica: already done
    [reminder] = uow.of("workshop.reminder_due")
    assert reminder.starts_at == MON
    assert uow.bookings[booking["_id"]]["reminder_due"] == MON + HALF + timedelta(minutes=15) - T.reminder_before


async def test_a_session_with_bookings_keeps_its_times_and_never_fewer_places_than_parents():
    uow = FakeUnitOfWork()
    sid = await two_booked(uow)
    later = MON + timedelta(days=1)
    parts = [
        {"starts_at": later, "ends_at": later + HALF},
        {"starts_at": later + 2 * HALF, "ends_at": later + 3 * HALF},
    ]
    assert await refused(domain.change_session(uow, sid, {"parts": parts}, T)) == "session-has-bookings"
    assert await refused(domain.change_session(uow, sid, {"capacity": 1}, T)) == "capacity-below-bookings"
    changed = await domain.change_session(uow, sid, {"capacity": 2, "venue": {"name": "ignored"}}, T)
    assert changed["capacity"] == 2 and changed["venue"] is None and uow.sessions[sid] == changed


async def test_a_new_video_link_after_booking_is_sent_to_each_booked_parent():
    uow = FakeUnitOfWork()
    sid = await two_booked(uow)
    await domain.cancel_my_booking(uow, "b", T)
    await domain.change_session(uow, sid, {"capacity": 5, "video_link": LINK}, T)  # the same link: nothing to tell
    assert len(uow.of("workshop.booked")) == 2
    await domain.change_session(uow, sid, {"video_link": "https://video.example/room-2"}, T)
    [again] = uow.of("workshop.booked")[2:]
    assert (again.participant_id, again.changed) == ("a", True)
    assert unseal(T.link_seal_key, again.sealed_video_link) == "https://video.example/room-2"
    assert again.booking_id == uow.parents["a"]["booking_id"]


async def test_a_second_referral_naming_a_known_parent_re_points_nothing(caplog):
    """Referrals gives every referral new participant ids: another referral naming Alex is a
    compromised or mistaken producer. Her provider, co-parent and profile stay as first referred."""
    uow = FakeUnitOfWork()
    await refer(uow, "r-1", "alex", "chris")
    before = {pid: dict(p) for pid, p in uow.parents.items()}
    forged = {
        "cycle": 1,
        "provider": "action-for-children",
        "fca_id": "fca-mallory",
        "given_name": "Mallory",
        "gender": "male",
        "language": "pl",
        "interpreter": None,
        "in_person": True,
        "support_needs": "",
        "availability": ["weekend"],
        "co_parents": ["mallory"],
    }
    await domain.know_parent(uow, "alex", "r-forged", forged)
    await domain.know_parent(uow, "alex", "r-1", forged)  # the same referral again: nothing either
    assert uow.parents == before
    assert "known from another referral" in caplog.text
    await domain.reorder(uow, "alex", 2, "action-for-children", "en")  # a re-order still moves her on
    assert (uow.parents["alex"]["cycle"], uow.parents["alex"]["provider"]) == (2, "action-for-children")
