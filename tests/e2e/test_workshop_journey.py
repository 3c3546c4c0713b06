"""Two co-parents from referral to the court's report, with the real workshops service: referral →
welcome letters → e-learning → each books a workshop (never the other's) → attendance →
`course.completed` for both and the completion report to the court; no letter to one parent
carries the other's session or details."""

from datetime import UTC, datetime, timedelta

from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from ptfc.clock import MovingClock
from ptfc.testing.mailbox import Mailbox, text_of
from ptfc.testing.plugin import bearer, eventually, running
from ptfc.testing.referrals import ALEX, CHRIS, referral_body
from ptfc.testing.workshops import one_each, online_session
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

from .course import through_the_elearning

FCA = bearer("cafcass", "fca-sam-patel")
STAFF = bearer("provider", "staff-1", "action-for-children")
FACILITATOR = bearer("facilitator", "fac-ann", "action-for-children")
COURT_EMAIL = "family.london@justice.example"


REFERRAL = referral_body(ALEX, CHRIS, court_email=COURT_EMAIL)


async def test_two_co_parents_complete_the_course_in_different_workshops(make_settings, tap, mailbox):
    clock = MovingClock()
    fast = {"sweep_interval": timedelta(milliseconds=200)}
    referrals = referrals_app(make_settings(ReferralsSettings))
    learning = learning_app(make_settings(LearningSettings, hub_url="https://hub.example"))
    notifications = notifications_app(
        make_settings(NotificationsSettings, smtp_port=mailbox.port, hub_url="https://hub.example", **fast)
    )
    workshops = workshops_app(make_settings(WorkshopsSettings, attendance_window="PT1H"), clock=clock)
    async with (
        running(referrals) as ref,
        running(learning) as hub,
        running(notifications),
        running(workshops) as ws,
    ):
        created = await ref.post("/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]
        alex_id, chris_id = (p["participant_id"] for p in created.json()["participants"])

        tokens = {
            alex_id: await through_the_elearning(hub, mailbox, ALEX["email"]),
            chris_id: await through_the_elearning(hub, mailbox, CHRIS["email"]),
        }

        start = (clock.now() + timedelta(days=5)).replace(hour=10, minute=0, second=0, microsecond=0)
        links = {alex_id: "https://video.example/first", chris_id: "https://video.example/second"}
        made = await one_each(ws, "", STAFF, [alex_id, chris_id], lambda pid: online_session(start, links[pid]))
        first_id, second_id = made[alex_id], made[chris_id]  # each in that parent's half of the sessions

        async def book(who: str, sid: str):
            answer = await ws.post("/me/booking", json={"session_id": sid}, headers=tokens[who])
            return answer if answer.status_code == 201 else None

        await eventually(lambda: book(alex_id, first_id), timeout=20)  # once workshops heard learning.completed
        offered = await eventually(lambda: _offered(ws, tokens[chris_id]), timeout=20)
        assert [s["id"] for s in offered] == [second_id]  # Alex's session is simply not offered

        async def try_alexs_session():  # once workshops has heard that Chris finished the e-learning too
            answer = await ws.post("/me/booking", json={"session_id": first_id}, headers=tokens[chris_id])
            return None if answer.json().get("type", "").endswith("/learning-not-complete") else answer

        refused = await eventually(try_alexs_session, timeout=20)
        assert refused.status_code == 409 and refused.json()["type"].endswith("/session-unavailable")
        assert await book(chris_id, second_id)

        # The booking letter reaches each parent with their own video link and an invitation.
        await eventually(lambda: _with(mailbox, ALEX["email"], "https://video.example/first"), timeout=20)
        await eventually(lambda: _with(mailbox, CHRIS["email"], "https://video.example/second"), timeout=20)

        clock.offset = start + timedelta(hours=2, minutes=50) - datetime.now(UTC)
        for who, sid in ((alex_id, first_id), (chris_id, second_id)):
            for part in (1, 2):
                body = {"participant_id": who, "part": part, "status": "attended"}
                marked = await ws.post(f"/sessions/{sid}/attendance", json=body, headers=FACILITATOR)
                assert marked.status_code == 200, marked.text

        completed = await tap.wait_for("course.completed", count=2, timeout=30)
        assert {e.data["participant_id"] for e in completed} == {alex_id, chris_id}
        assert all(e.correlation_id == referral_id for e in completed)
        assert await tap.of("course.incomplete") == []
        await eventually(lambda: _mail(mailbox, COURT_EMAIL), timeout=20)

    to_alex = [text_of(m) for m in mailbox.to(ALEX["email"])]
    to_chris = [text_of(m) for m in mailbox.to(CHRIS["email"])]
    for text in to_alex:
        for detail in ("chris@example.org", "07700900002", "Chris", "Rowe", "video.example/second"):
            assert detail not in text
    for text in to_chris:
        for detail in ("alex@example.org", "07700900001", "Alex", "video.example/first"):
            assert detail not in text


async def _offered(client, token):
    answer = await client.get("/me/sessions", headers=token)
    return answer.json()["items"] if answer.status_code == 200 and answer.json()["items"] else None


async def _with(mailbox: Mailbox, address: str, text: str):
    found = [m for m in mailbox.to(address) if text in text_of(m)]
    if found:
        assert any(p.get_filename() and p.get_filename().endswith(".ics") for m in found for p in m.walk())
    return found


async def _mail(mailbox: Mailbox, address: str):
    return mailbox.to(address)
