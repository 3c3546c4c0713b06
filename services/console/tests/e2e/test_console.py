"""Each role signs in through the OpenID Connect provider and does its main task on the real
platform: an FCA extends a deadline; a coordinator schedules a session and sees a parent booked on
it; the facilitator records both parts attended and the FCA's page then shows the parent completed;
an operator sees each service's health and the dead letters. Then signs out of both."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx

from learning.content import passing_answers
from ptfc.testing.mailbox import text_of
from ptfc.testing.plugin import bearer, eventually

from .conftest import sign_in

FCA = bearer("cafcass", "fca-sam-patel")  # the same adviser, as their case system would call the API
REFERRAL = {
    "case_number": "LO24P00777",
    "court": "Central Family Court",
    "court_email": "family.london@justice.example",
    "source": "court_order",
    "stage": "first_hearing",
    "court_declined": False,
    "safeguarding_concerns": False,
    "region": "London",
    "fca": {"name": "Sam Patel", "email": "sam.patel@cafcass.example"},
    "parents": [
        {
            "given_name": "Dana",
            "family_name": "Price",
            "email": "dana@example.org",
            "phone": "07700900101",
            "gender": "female",
        }
    ],
    "children": [{"age": 7}],
}


async def _parent_finishes_the_e_learning(platform) -> dict[str, str]:
    """The parent activates from the welcome letter and passes the eight modules (the Parent Hub's part)."""

    async def welcome():
        found = [m for m in platform.mailbox.to("dana@example.org") if "activate?token=" in text_of(m)]
        return found or None

    [letter, *_] = await eventually(welcome, timeout=30)
    token = re.search(r"activate\?token=([A-Za-z0-9_\-]+)", text_of(letter)).group(1)
    async with httpx.AsyncClient(base_url=platform.learning, timeout=30) as learning:
        session = await learning.post("/activate", json={"token": token})
        assert session.status_code == 200, session.text
        headers = {"Authorization": f"Bearer {session.json()['access_token']}"}
        for n in range(1, 9):
            done = await learning.post(
                f"/me/modules/{n}/complete", json={"answers": passing_answers(n)}, headers=headers
            )
            assert done.status_code == 200, done.text
            if n < 8 and n % 3 == 0:  # tokens live a minute
                fresh = await learning.post(
                    "/sessions/refresh", json={"refresh_token": session.json()["refresh_token"]}
                )
                headers = {"Authorization": f"Bearer {fresh.json()['access_token']}"}
    return {"refresh": session.json()["refresh_token"]}


async def test_each_role_signs_in_and_does_its_main_task(start_platform, browser, checker):
    async with start_platform() as platform, httpx.AsyncClient(timeout=30) as client:
        created = await client.post(f"{platform.referrals}/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]

        # The FCA: sign in, their referral, extend the parent's deadline with a reason.
        fca = await sign_in(browser, platform, "fca-sam-patel")
        assert fca.url.endswith("/referrals")
        await checker.check(fca, "fca-referrals")
        await fca.get_by_role("link", name="LO24P00777").click()
        await eventually(lambda: _reload_until(fca, "Extend Dana's deadline"), timeout=30)
        await fca.get_by_role("button", name="Extend the deadline").click()
        assert "Enter a number of days from 1 to 30." in await fca.content()  # an empty form is explained
        await checker.check(fca, "fca-extend-error")
        await fca.get_by_label("Extra days").fill("5")
        await fca.get_by_label("Reason").fill("Dana was in hospital for a week.")
        await fca.get_by_role("button", name="Extend the deadline").click()
        await fca.get_by_text("Deadline extended").wait_for()
        assert "extended 1 time" in await fca.content()
        await checker.check(fca, "fca-referral-extended")

        refresh = await _parent_finishes_the_e_learning(platform)

        # The coordinator: schedule a session (first refused, with the rule said), then see Dana booked on it.
        coordinator = await sign_in(browser, platform, "afc-coordinator")
        assert coordinator.url.endswith("/sessions")
        await coordinator.get_by_role("link", name="Schedule a session").first.click()
        start = (datetime.now(UTC) + timedelta(days=6)).astimezone(ZoneInfo("Europe/London"))
        start = start.replace(hour=10, minute=0, second=0, microsecond=0)
        while start.weekday() >= 5:
            start += timedelta(days=1)
        local = lambda moment: moment.strftime("%Y-%m-%dT%H:%M")  # noqa: E731
        await coordinator.get_by_label("Video link (online)").fill("https://video.example/afc-1")
        await coordinator.get_by_label("Part 1 starts").fill(local(start))
        await coordinator.get_by_label("Part 1 ends").fill(local(start + timedelta(minutes=75)))
        await coordinator.get_by_label("Part 2 starts").fill(local(start + timedelta(minutes=90)))
        await coordinator.get_by_label("Part 2 ends").fill(local(start + timedelta(minutes=165)))
        await coordinator.get_by_label("Places").fill("8")
        await coordinator.get_by_label("Facilitators").fill("afc-facilitator")
        await coordinator.get_by_role("button", name="Schedule the session").click()
        await coordinator.get_by_text("The session was not scheduled").wait_for()
        assert "Never more than 6 parents in a group" in await coordinator.content()
        await checker.check(coordinator, "coordinator-schedule-refused")
        await coordinator.get_by_label("Places").fill("6")
        await coordinator.get_by_role("button", name="Schedule the session").click()
        await coordinator.get_by_text("Session scheduled").wait_for()
        session_id = coordinator.url.split("/sessions/")[1].split("?")[0]

        async def booked():
            token = await client.post(
                f"{platform.learning}/sessions/refresh", json={"refresh_token": refresh["refresh"]}
            )
            headers = {"Authorization": f"Bearer {token.json()['access_token']}"}
            answer = await client.post(
                f"{platform.workshops}/me/booking", json={"session_id": session_id}, headers=headers
            )
            return answer if answer.status_code == 201 else None

        await eventually(booked, timeout=30)  # once workshops has heard that Dana finished the e-learning
        await coordinator.reload()
        assert "1 of 6 booked" in await coordinator.content()
        await coordinator.get_by_role("heading", name="Dana").wait_for()
        await checker.check(coordinator, "coordinator-session-booked")
        await coordinator.goto(platform.console + "/sessions")
        await checker.check(coordinator, "coordinator-sessions")

        # The facilitator, during the session: both parts attended.
        platform.clock.offset = start + timedelta(hours=2, minutes=50) - datetime.now(UTC)
        facilitator = await sign_in(browser, platform, "afc-facilitator")
        assert facilitator.url.endswith("/my-sessions")
        await checker.check(facilitator, "facilitator-my-sessions")
        await facilitator.get_by_role("link", name=re.compile(start.strftime("%-d %b %Y"))).click()
        await facilitator.get_by_role("heading", name="Dana").wait_for()
        await facilitator.get_by_role("button", name=re.compile(r"^Attended\W+Dana, part 1$")).click()
        await facilitator.get_by_text("Attendance recorded").wait_for()
        await facilitator.get_by_role("button", name=re.compile(r"^Attended\W+Dana, part 2$")).click()
        await facilitator.get_by_text("Attendance recorded").wait_for()
        await checker.check(facilitator, "facilitator-attendance")

        # The FCA's page then shows Dana completed.
        await fca.goto(f"{platform.console}/referrals/{referral_id}")
        await eventually(lambda: _reload_until(fca, "Completed"), timeout=30)
        await checker.check(fca, "fca-referral-completed")

        # The operator: each service's health and the dead letters.
        ops = await sign_in(browser, platform, "ops-alex")
        assert ops.url.endswith("/operations")
        assert "No dead letters." in await ops.content()
        await checker.check(ops, "operations")

        # Sign-out ends the console's session and goes through the provider's end-session page.
        await ops.get_by_role("button", name="Sign out").click()
        await ops.wait_for_url(re.compile(re.escape(platform.issuer) + "/oauth2/end_session.*"))
        await ops.goto(platform.console + "/operations")
        assert ops.url.endswith("/sign-in")

        # A facilitator's pages are not a coordinator's: the schedule form is refused.
        await facilitator.goto(platform.console + "/sessions/new")
        assert "This page is not for your role" in await facilitator.content()


async def _reload_until(page, text: str):
    if text in await page.content():
        return True
    await page.reload()
    return None
