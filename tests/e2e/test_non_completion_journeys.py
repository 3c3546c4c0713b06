"""The journeys that do not end in a completion, on the real services (referrals, learning,
workshops, notifications) over real NATS, MongoDB and SMTP, with the clock moved instead of waited:

- the e-learning deadline passes: `course.incomplete`, the court and the FCA told; the court
  re-orders the course and the new cycle runs to `course.completed`, the court told again;
- a workshop missed, the one rebooking, a second miss: `course.incomplete` (`workshop_missed`),
  the court and the FCA told, and no third booking;
- refusals: a Welsh referral, safeguarding concerns, a duplicate: nothing published, nobody written to."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import datetime, timedelta

import pytest

from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from learning.content import passing_answers
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from ptfc.clock import MovingClock
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import bearer, eventually, running
from ptfc.testing.referrals import ALEX, CHRIS, person, referral_body
from ptfc.testing.workshops import online_session, session_for
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

from .course import passed, signed_in

pytestmark = pytest.mark.timeout(180)

FCA = bearer("cafcass", "fca-sam-patel")
STAFF = bearer("provider", "staff-1", "action-for-children")
FACILITATOR = bearer("facilitator", "fac-ann", "action-for-children")
COURT_NAME = "Central Family Court"
COURT = bearer("court", "judge-1", court=COURT_NAME)
COURT_EMAIL = "family.london@justice.example"
FCA_EMAIL = "sam.patel@cafcass.example"


REFERRAL = referral_body(
    ALEX, CHRIS, court=COURT_NAME, court_email=COURT_EMAIL, fca={"name": "Sam Patel", "email": FCA_EMAIL}
)


def subjects(mailbox: Mailbox, address: str) -> list[str]:
    return [str(m["Subject"]) for m in mailbox.to(address)]


async def with_subject(mailbox: Mailbox, address: str, text: str, count: int = 1) -> list[str]:
    async def found():
        hits = [s for s in subjects(mailbox, address) if text in s]
        return hits if len(hits) >= count else []

    return await eventually(found, timeout=30)


class Journey:
    def __init__(self, ref, hub, ws, mailbox, tap, clock) -> None:
        self.ref, self.hub, self.ws, self.mailbox, self.tap, self.clock = ref, hub, ws, mailbox, tap, clock

    async def refer(self) -> tuple[str, list[str]]:
        """Alex and Chris referred by the FCA: the referral's id and the two parents' ids."""
        created = await self.ref.post("/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        return created.json()["id"], [p["participant_id"] for p in created.json()["participants"]]

    async def activate(self, email: str, letter: int = 1) -> dict[str, str]:
        """Uses the newest activation link of the `letter`-th welcome letter to `email`."""
        return await signed_in(self.hub, self.mailbox, email, letter)

    async def modules(self, parent: dict[str, str], numbers) -> None:
        await passed(self.hub, parent, numbers)

    async def book_new_session(
        self, parent: dict[str, str], name: str, who: str, pair: list[str]
    ) -> tuple[str, datetime]:
        """Books `parent` (participant `who`, of the co-parents `pair`) on a new session in their half."""
        start = (self.clock.now() + timedelta(days=3)).replace(hour=10, minute=0, second=0, microsecond=0)
        body = online_session(start, f"https://video.example/{name}")
        sid = await session_for(self.ws, "", STAFF, who, pair, lambda _: body)

        async def booked():
            answer = await self.ws.post("/me/booking", json={"session_id": sid}, headers=parent)
            return answer if answer.status_code == 201 else None

        await eventually(booked, timeout=30)
        return sid, start

    async def mark(self, sid: str, who: str, status: str, parts=(1, 2)) -> None:
        for part in parts:
            body = {"participant_id": who, "part": part, "status": status}
            marked = await self.ws.post(f"/sessions/{sid}/attendance", json=body, headers=FACILITATOR)
            assert marked.status_code == 200, marked.text

    async def outcomes(self, participant_id: str) -> list[dict]:
        events = [e for e in await self.tap.all() if e.type.startswith("course.")]
        return [{"type": e.type, **e.data} for e in events if e.data["participant_id"] == participant_id]


@asynccontextmanager
async def started(make_settings, tap, mailbox) -> AsyncIterator[Journey]:
    """Referrals, learning, notifications and workshops running, on one clock the test moves."""
    clock = MovingClock()
    referrals, learning, notifications, workshops = platform(make_settings, mailbox, clock)
    async with running(referrals) as ref, running(learning) as hub, running(notifications), running(workshops) as ws:
        yield Journey(ref, hub, ws, mailbox, tap, clock)


def platform(make_settings, mailbox, clock):
    fast = {"sweep_interval": timedelta(milliseconds=200)}
    return (
        referrals_app(make_settings(ReferralsSettings)),
        learning_app(make_settings(LearningSettings, hub_url="https://hub.example"), clock=clock),
        notifications_app(
            make_settings(
                NotificationsSettings,
                smtp_port=mailbox.port,
                hub_url="https://hub.example",
                send_backoff=timedelta(milliseconds=100),
                **fast,
            )
        ),
        workshops_app(make_settings(WorkshopsSettings, attendance_window="PT1H"), clock=clock),
    )


async def test_a_missed_deadline_is_reported_then_the_re_ordered_course_completes(make_settings, tap, mailbox):
    async with started(make_settings, tap, mailbox) as journey:
        ref, hub, clock = journey.ref, journey.hub, journey.clock
        referral_id, (alex_id, chris_id) = await journey.refer()
        alex = await journey.activate(ALEX["email"])
        await journey.modules(alex, range(1, 3))

        # Ten days pass: Alex has done two modules, Chris none.
        clock.advance(timedelta(days=10, hours=1))
        await tap.wait_for("course.incomplete", count=2, timeout=30)
        [missed] = await journey.outcomes(alex_id)
        assert (missed["type"], missed["reason"], missed["cycle"]) == (
            "course.incomplete",
            "elearning_deadline_missed",
            1,
        )
        assert missed.get("modules_completed") == 2
        await with_subject(mailbox, COURT_EMAIL, "Course not completed", count=2)
        await with_subject(mailbox, FCA_EMAIL, "Course not completed", count=2)
        late = await hub.post("/me/modules/3/complete", json={"answers": passing_answers(3)}, headers=alex)
        assert late.status_code in (403, 409, 410), late.text  # the window is closed

        # The court re-orders the course for Alex: a new cycle, a new welcome letter.
        reorder = f"/referrals/{referral_id}/participants/{alex_id}/reorder"
        again = await ref.post(reorder, json={"reason": "re-ordered at the hearing"}, headers=COURT)
        assert again.status_code == 200, again.text
        assert again.json()["cycle"] == 2
        alex = await journey.activate(ALEX["email"], letter=2)
        await journey.modules(alex, range(1, 9))
        [learned] = await tap.wait_for("learning.completed")
        assert learned.data["participant_id"] == alex_id

        sid, start = await journey.book_new_session(alex, "second-cycle", alex_id, [alex_id, chris_id])
        clock.advance(start + timedelta(hours=2, minutes=50) - clock.now())
        await journey.mark(sid, alex_id, "attended")
        [completed] = await tap.wait_for("course.completed", timeout=30)
        assert (completed.data["participant_id"], completed.data["cycle"]) == (alex_id, 2)
        await with_subject(mailbox, COURT_EMAIL, "Course completed")
        await with_subject(mailbox, FCA_EMAIL, "Course completed")

        # One outcome per cycle; Chris's stays the missed deadline; the FCA's view agrees.
        assert [(o["type"], o["cycle"]) for o in await journey.outcomes(alex_id)] == [
            ("course.incomplete", 1),
            ("course.completed", 2),
        ]
        assert [o["type"] for o in await journey.outcomes(chris_id)] == ["course.incomplete"]
        view = (await ref.get(f"/referrals/{referral_id}", headers=FCA)).json()
        statuses = {p["participant_id"]: p["status"] for p in view["participants"]}
        assert statuses == {alex_id: "completed", chris_id: "incomplete"}


async def test_a_workshop_missed_twice_ends_the_course_and_the_court_is_told(make_settings, tap, mailbox):
    async with started(make_settings, tap, mailbox) as journey:
        ws, clock = journey.ws, journey.clock
        _, pair = await journey.refer()
        alex_id = pair[0]
        alex = await journey.activate(ALEX["email"])
        await journey.modules(alex, range(1, 9))

        first, start = await journey.book_new_session(alex, "first", alex_id, pair)
        clock.advance(start + timedelta(hours=2, minutes=50) - clock.now())
        await journey.mark(first, alex_id, "missed")
        clock.advance(timedelta(hours=2))  # the attendance window closes: a miss is final then
        [miss] = await tap.wait_for("workshop.missed", timeout=30)
        assert (miss.data["misses"], miss.data["rebooking_offered"]) == (1, True)
        await with_subject(mailbox, ALEX["email"], "We missed you")
        assert await journey.outcomes(alex_id) == []  # one rebooking is offered: no outcome yet

        second, start = await journey.book_new_session(alex, "second", alex_id, pair)
        [rebooked] = [e for e in await tap.of("workshop.booked") if e.data["session_id"] == second]
        assert rebooked.data["rebooking"] is True
        clock.advance(start + timedelta(hours=2, minutes=50) - clock.now())
        await journey.mark(second, alex_id, "missed", parts=(1,))
        clock.advance(timedelta(hours=2))  # the attendance window closes with part 2 unrecorded
        misses = await tap.wait_for("workshop.missed", count=2, timeout=30)
        assert (misses[1].data["misses"], misses[1].data["rebooking_offered"]) == (2, False)
        [outcome] = await tap.wait_for("course.incomplete", timeout=30)
        assert (outcome.data["participant_id"], outcome.data["reason"]) == (alex_id, "workshop_missed")
        await with_subject(mailbox, COURT_EMAIL, "Course not completed")
        await with_subject(mailbox, FCA_EMAIL, "Course not completed")

        third = await ws.post("/me/booking", json={"session_id": second}, headers=alex)
        assert third.status_code == 409 and third.json()["type"].endswith("/no-more-rebooking")
        assert len(await tap.of("course.incomplete")) == 1 and await tap.of("course.completed") == []


async def test_refused_referrals_publish_nothing_and_write_to_nobody(make_settings, tap, mailbox):
    async with started(make_settings, tap, mailbox) as journey:
        ref = journey.ref
        welsh = {
            **REFERRAL,
            "case_number": "MA24P00201",
            "region": "Wrexham",
            "parents": [person("Wyn", "Evans", "wyn@example.org", "07700900011", "male")],
        }
        refused = await ref.post("/referrals", json=welsh, headers=FCA)
        assert refused.status_code == 422 and refused.json()["type"].endswith("/wales-out-of-scope")
        assert "Working Together for Children" in refused.json()["detail"]

        concerns = {
            **REFERRAL,
            "case_number": "MA24P00202",
            "safeguarding_concerns": True,
            "parents": [person("Sky", "Moss", "sky@example.org", "07700900012", "female")],
        }
        refused = await ref.post("/referrals", json=concerns, headers=FCA)
        assert refused.status_code == 422 and refused.json()["type"].endswith("/safeguarding-concerns")

        key = {**FCA, "Idempotency-Key": "dup-1"}
        first = await ref.post("/referrals", json=REFERRAL, headers=key)
        retry = await ref.post("/referrals", json=REFERRAL, headers=key)
        assert first.status_code == retry.status_code == 201 and first.json() == retry.json()
        other_key = await ref.post("/referrals", json=REFERRAL, headers={**FCA, "Idempotency-Key": "dup-2"})
        assert other_key.status_code == 409 and other_key.json()["type"].endswith("/parent-already-referred")
        assert first.json()["id"] in other_key.text  # names the referral already running
        reused = await ref.post("/referrals", json={**REFERRAL, "case_number": "MA24P00203"}, headers=key)
        assert reused.status_code == 422 and reused.json()["type"].endswith("/idempotency-key-reused")

        # Only the accepted referral goes on: one referral.created, welcome letters to its parents only.
        await with_subject(mailbox, ALEX["email"], "")
        await with_subject(mailbox, CHRIS["email"], "")
        [created] = await tap.wait_for("referral.created")
        assert created.data["referral_id"] == first.json()["id"]
        listed = (await ref.get("/referrals", headers=FCA)).json()["items"]
        assert [r["id"] for r in listed] == [first.json()["id"]]
        recipients = {r for rcpts, _ in mailbox.received for r in rcpts}
        assert not recipients & {"wyn@example.org", "sky@example.org"}
        assert len(mailbox.to(ALEX["email"])) == len(mailbox.to(CHRIS["email"])) == 1  # one welcome each
