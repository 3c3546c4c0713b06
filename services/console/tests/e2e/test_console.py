"""Each role signs in through the OpenID Connect provider and does its main task on the real
platform: an FCA extends a deadline; a coordinator schedules a session and sees a parent booked on
it; the facilitator records both parts attended and the FCA's page then shows the parent completed;
an operator sees each service's health and the dead letters. Then signs out of both."""

import asyncio
import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import httpx
from playwright.async_api import expect

from learning.content import passing_answers
from ptfc.events import (
    ContactChange,
    Envelope,
    ParticipantContact,
    Professional,
    ReferralContactChanged,
    ReferralCreated,
    ReferralKeys,
    seal_participants,
)
from ptfc.lookup import email_key
from ptfc.sealing import seal
from ptfc.testing.events import publish_bytes
from ptfc.testing.mailbox import text_of
from ptfc.testing.plugin import bearer, eventually
from ptfc.testing.referrals import person, referral_body

from .conftest import sign_in

FCA = bearer("cafcass", "fca-sam-patel")  # the same adviser, as their case system would call the API
SUPPORT = {"support_needs": "Dyslexia: read written material aloud"}
DANA = person("Dana", "Price", "dana@example.org", "07700900101", "female", adjustments=SUPPORT)
# One parent (no co-parent in the case), with a reasonable adjustment the coordinator must see.
REFERRAL = referral_body(
    DANA, case_number="LO24P00777", court_email="family.london@justice.example", children=[{"age": 7}]
)


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
        await expect(fca.get_by_role("region", name="Dana Price")).to_contain_text(re.compile(r"Workshop\s*Not booked"))
        await checker.check(fca, "fca-referral-extended")

        refresh = await _parent_finishes_the_e_learning(platform)

        # The coordinator: schedule a session (first refused, with the rule said), then see Dana booked on it.
        coordinator = await sign_in(browser, platform, "afc-coordinator")
        assert coordinator.url.endswith("/sessions")
        # New referrals to call: Dana, with her needs, then marked contacted.
        await coordinator.get_by_role("link", name="To contact").click()
        await coordinator.get_by_role("heading", name="Dana Price").wait_for()
        assert "Due" in await coordinator.content() and "dana@example.org" not in await coordinator.content()
        needs = coordinator.get_by_role("region", name="Dana Price")  # her needs as a coordinator may see them
        await expect(needs).to_contain_text("Dyslexia: read written material aloud")
        await expect(needs).to_contain_text("Not asked for")  # no interpreter
        assert "07700900101" not in await coordinator.content()
        await checker.check(coordinator, "coordinator-contacts")
        await coordinator.get_by_role("button", name=re.compile(r"^Mark as contacted\W+Dana Price$")).click()
        await coordinator.get_by_text("Marked as contacted").wait_for()
        assert "No parent is waiting for a call." in await coordinator.content()
        await checker.check(coordinator, "coordinator-contacted")
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

        answer = await eventually(booked, timeout=30)  # once workshops has heard that Dana finished the e-learning
        consent = await client.put(
            f"{platform.workshops}/me/follow-up-consent",
            json={"consent": True},
            headers={"Authorization": answer.request.headers["Authorization"]},
        )
        assert consent.status_code == 200, consent.text  # Dana agrees to a follow-up call
        await coordinator.reload()
        assert "1 of 6 booked" in await coordinator.content()
        await coordinator.get_by_role("heading", name="Dana").wait_for()
        await checker.check(coordinator, "coordinator-session-booked")
        await coordinator.goto(platform.console + "/sessions")
        await checker.check(coordinator, "coordinator-sessions")

        # The waiting list: Dana booked herself, so nobody waits.
        await coordinator.get_by_role("link", name="Waiting list").click()
        await coordinator.get_by_text("No parent is waiting.").wait_for()
        await checker.check(coordinator, "coordinator-waiting-list")

        # Reports: one parent this month, so every count is "fewer than 5"; a chart, and the table as CSV.
        await coordinator.get_by_role("link", name="Reports").click()
        await coordinator.get_by_role("heading", name="Completion rate").wait_for()
        page = await coordinator.content()
        assert "action-for-children, London" in page and "fewer than 5" in page and "Dana" not in page
        assert await coordinator.locator("svg[role=img]").count() == 1
        await checker.check(coordinator, "coordinator-reports")
        async with coordinator.expect_download() as download:
            await coordinator.get_by_role("link", name="Download this table as CSV").click()
        table = await asyncio.to_thread(Path(await (await download.value).path()).read_text)
        assert table.startswith("Provider,Region,Month,Parents referred") and "fewer than 5" in table
        header = table.splitlines()[0]
        measures = ("Completion rate", "Median days to finish the e-learning", "Missed a workshop", "Ordered again")
        assert all(measure in header for measure in measures), header

        # The facilitator, during the session: both parts attended.
        platform.clock.offset = start + timedelta(hours=2, minutes=50) - datetime.now(UTC)
        facilitator = await sign_in(browser, platform, "afc-facilitator")
        assert facilitator.url.endswith("/my-sessions")
        await checker.check(facilitator, "facilitator-my-sessions")
        # My sessions by day (the console's own clock, in England): the session is this week's or later.
        ahead = (start.date() - datetime.now(ZoneInfo("Europe/London")).date()).days
        group = facilitator.get_by_role("region", name="This week" if ahead < 7 else "Later")
        await group.get_by_role("link", name=re.compile(start.strftime("%-d %b %Y"))).click()
        await facilitator.get_by_role("heading", name="Dana").wait_for()
        await expect(facilitator.get_by_role("region", name="Dana")).to_contain_text("Support: Dyslexia")
        # Recorded on a phone during the session: every control on the roster is a thumb's target.
        assert await _small_targets(facilitator, "section.card button, section.card a") == []
        await facilitator.get_by_role("button", name=re.compile(r"^Attended\W+Dana, part 1$")).click()
        await facilitator.get_by_text("Attendance recorded").wait_for()
        await facilitator.get_by_role("button", name=re.compile(r"^Attended\W+Dana, part 2$")).click()
        await facilitator.get_by_text("Attendance recorded").wait_for()
        await checker.check(facilitator, "facilitator-attendance")

        # A safeguarding concern about Dana: an empty form explained, then raised; who is told is said.
        await facilitator.get_by_role("link", name=re.compile(r"^Raise a safeguarding concern\W+about Dana$")).click()
        await facilitator.get_by_role("button", name="Raise the concern").click()
        assert "Choose what the concern is about." in await facilitator.content()
        await checker.check(facilitator, "facilitator-concern-error")
        await facilitator.get_by_label("A child may be at risk").check()
        await facilitator.get_by_label("Details").fill("Dana said her son was left alone overnight.")
        await facilitator.get_by_role("button", name="Raise the concern").click()
        await facilitator.get_by_text("Concern raised").wait_for()
        assert "family court adviser" in await facilitator.content()
        await checker.check(facilitator, "facilitator-concern-raised")
        # The FCA sees it on the referral without its details; opening it is a recorded read.
        await fca.goto(f"{platform.console}/referrals/{referral_id}")
        assert "left alone overnight" not in await fca.content()
        await fca.get_by_role("link", name=re.compile(r"^Read the concern about Dana")).click()
        await fca.get_by_text("Dana said her son was left alone overnight.").wait_for()
        assert "fca-sam-patel (you)" in await fca.content()
        # Workshops' audit holds that read, and only it: the referral's list of concerns is no read.
        concern_id = fca.url.split("/concerns/")[1].split("?")[0]
        reads = await client.get(f"{platform.workshops}/concerns/{concern_id}/reads", headers=FCA)
        assert [(r["reader"], r["role"]) for r in reads.json()] == [("fca-sam-patel", "cafcass")], reads.text
        await checker.check(fca, "fca-concern-read")

        # Dana consented: her follow-up call is the facilitator's, with the outcome measure.
        await facilitator.get_by_role("link", name="My follow-up calls").click()
        await facilitator.get_by_role("heading", name="Dana").wait_for()
        assert "agreed during the course to this call" in await facilitator.content()
        await facilitator.get_by_role("button", name=re.compile(r"^Record the call")).click()
        assert "Say whether you reached the parent." in await facilitator.content()
        await checker.check(facilitator, "facilitator-followup-error")
        await facilitator.get_by_label("Yes, and we went through the questions").check()
        for group in await facilitator.get_by_role("group").all():
            if await group.get_by_label("Rarely").count():
                await group.get_by_label("Rarely").check()
        await facilitator.get_by_role("button", name=re.compile(r"^Record the call")).click()
        await facilitator.get_by_text("Call recorded").wait_for()
        assert "Completed" in await facilitator.content()
        await checker.check(facilitator, "facilitator-followup-recorded")

        # The FCA's page then shows Dana completed.
        await fca.goto(f"{platform.console}/referrals/{referral_id}")
        await eventually(lambda: _reload_until(fca, "Completed"), timeout=30)
        dana_row = fca.get_by_role("region", name="Dana Price")
        await expect(dana_row).to_contain_text(re.compile(r"Workshop\s*Attended\s+on"))
        await checker.check(fca, "fca-referral-completed")

        # The FCA's reports: every provider's, with the follow-up outcome measure per provider, region
        # and month of the call; Dana's is the only call, so its cell says "fewer than 5", no score.
        await fca.get_by_role("link", name="Reports").click()
        await fca.get_by_role("heading", name="Follow-up outcome measure").wait_for()
        table = fca.get_by_role("region", name="Follow-up outcome measure")
        await expect(table.get_by_role("row").nth(1)).to_contain_text("action-for-children")
        await expect(table.get_by_role("row").nth(1)).to_contain_text("fewer than 5")
        assert await fca.locator("svg[role=img]").count() == 2 and "Dana" not in await fca.content()
        await checker.check(fca, "fca-reports")
        async with fca.expect_download() as download:
            await fca.get_by_role("link", name="Download the follow-up table as CSV").click()
        calls = await asyncio.to_thread(Path(await (await download.value).path()).read_text)
        assert calls.startswith("Provider,Region,Month of the call,Calls made") and "fewer than 5" in calls

        # Dana shares her parenting plan with the FCA, who reads it (topics, history) and downloads it.
        token = await client.post(f"{platform.learning}/sessions/refresh", json={"refresh_token": refresh["refresh"]})
        dana = {"Authorization": f"Bearer {token.json()['access_token']}"}
        body = {"display_name": "Dana", "children": [{"name": "Sam", "age": 7}], "topics": ["pets"]}
        made = await client.post(f"{platform.plans}/plans", json=body, headers=dana)
        assert made.status_code == 201, made.text
        plan_id = made.json()["plan"]["id"]
        shared = await client.post(f"{platform.plans}/plans/{plan_id}/share", json={"to": "fca"}, headers=dana)
        assert shared.status_code == 202, shared.text
        await fca.get_by_role("link", name="Plans shared with me").click()
        await fca.get_by_role("link", name=re.compile(r"^Plan started")).click()
        await fca.get_by_role("heading", name="History").wait_for()
        assert "Dana" in await fca.content() and "Read only" in await fca.content()
        assert await fca.get_by_role("button", name=re.compile("Propose|Accept")).count() == 0  # read only
        await checker.check(fca, "fca-plan")
        async with fca.expect_download() as download:
            await fca.get_by_role("link", name="Download as Word").click()
        assert (await download.value).suggested_filename.endswith(".docx")
        word = await asyncio.to_thread(Path(await (await download.value).path()).read_bytes)
        assert word.startswith(b"PK")  # a Word document (a zip), not an error page
        async with fca.expect_download() as download:
            await fca.get_by_role("link", name="Download as PDF").click()
        assert (await download.value).suggested_filename.endswith(".pdf")
        pdf = await asyncio.to_thread(Path(await (await download.value).path()).read_bytes)
        assert pdf.startswith(b"%PDF-")

        # The operator: each service's health and the dead letters.
        ops = await sign_in(browser, platform, "ops-alex")
        assert ops.url.endswith("/operations")
        assert "No dead letters." in await ops.content()
        health = ops.locator("dl.summary-list").first
        for service in ("Referrals", "Learning", "Workshops", "Plans", "Notifications"):  # each one's /readyz
            await expect(health.locator("div", has_text=service)).to_contain_text("Ready")
        await checker.check(ops, "operations")

        # A dead letter: a parent's contact change that came before the referral naming them (learning
        # and notifications wait for it on their early budget, then park it). Replayed too soon, it
        # stays parked; once the referral is in, the operator's replay has it handled.
        await publish(platform, contact_changed(), producer="referrals")
        await eventually(lambda: _reload_until(ops, "learning-change_sign_in_email"), timeout=60)
        await eventually(lambda: _reload_until(ops, "notifications-change_contact"), timeout=60)  # parked there too
        await ops.get_by_role("heading", name="Learning").wait_for()
        assert "p-late-1 has no account yet" in await ops.content()
        assert "alex.late@parents.example" not in await ops.content()  # operations see no personal data
        await checker.check(ops, "operations-dead-letter")
        await ops.get_by_role("button", name=re.compile(r"^Replay.*referral.contact_changed")).first.click()
        await ops.get_by_text("Its handler failed again, so it stays parked").wait_for()
        await checker.check(ops, "operations-replay-refused")

        await publish(platform, late_referral(), producer="referrals")
        await eventually(lambda: _replayed_all(ops), timeout=60)
        await ops.get_by_text("No dead letters.").wait_for()
        await checker.check(ops, "operations-replayed")
        # Handled, not dropped: learning's letter is kept as replayed (its handler ran without an error).
        ops_token = bearer("ops", "ops-alex")
        kept = await client.get(f"{platform.learning}/ops/dead-letters?include_replayed=true", headers=ops_token)
        assert [bool(d["replayed_at"]) for d in kept.json()["items"]] == [True], kept.text

        # Sign-out ends the console's session and goes through the provider's end-session page.
        await ops.get_by_role("button", name="Sign out").click()
        await ops.wait_for_url(re.compile(re.escape(platform.issuer) + "/oauth2/end_session.*"))
        await ops.goto(platform.console + "/operations")
        assert ops.url.endswith("/sign-in")

        # A facilitator's pages are not a coordinator's: the schedule form is refused.
        await facilitator.goto(platform.console + "/sessions/new")
        assert "This page is not for your role" in await facilitator.content()


def late_referral() -> ReferralCreated:
    contact = ParticipantContact(
        participant_id="p-late-1", given_name="Alex", family_name="Late", email="alex.late@parents.example"
    )
    return ReferralCreated(
        referral_id="referral-late-1",
        case_number="MA24P00999",
        court="Manchester Family Court",
        source="court_order",
        stage="first_hearing",
        region="greater-manchester",
        provider="family-action",
        fca_id="fca-sam-patel",
        fca=Professional(name="Sam Patel", email="sam.patel@cafcass.example"),
        participants=seal_participants([contact], ReferralKeys.development()),
    )


def contact_changed() -> ReferralContactChanged:
    keys = ReferralKeys.development()
    return ReferralContactChanged(
        referral_id="referral-late-1",
        participant_id="p-late-1",
        reason="parent_asked",
        email_changed=True,
        phone_changed=False,
        sign_in_key=email_key(keys.sign_in_lookup_key, "alex.new@parents.example"),
        sealed_contact=seal(
            keys.contact_seal_key,
            ContactChange(participant_id="p-late-1", email="alex.new@parents.example").model_dump_json(),
        ),
    )


async def publish(platform, data, producer: str) -> None:
    """As the owning service publishes (tests/faults and shared/tests do the same with ptfc.testing.events)."""
    envelope = Envelope.of(data, correlation_id=data.referral_id, producer=producer)
    await publish_bytes(platform.nats, envelope.type, envelope.model_dump_json().encode(), str(envelope.event_id))


async def _replayed_all(page):
    """Replay every parked letter on the page; done when none is left."""
    await page.reload()
    buttons = page.get_by_role("button", name=re.compile(r"^Replay"))
    if await buttons.count() == 0:
        return True
    await buttons.first.click()
    await page.wait_for_load_state()
    return None


async def _small_targets(page, selector: str, least: int = 44) -> list[str]:
    """The controls matching `selector` whose box, as laid out now, is under `least` CSS pixels
    high or wide (WCAG 2.5.5's 44 px, for a thumb on a phone), each named with its size."""
    return await page.eval_on_selector_all(
        selector,
        """(elements, least) => elements
            .map(e => [e.textContent.trim(), e.getBoundingClientRect()])
            .filter(([, box]) => box.height < least || box.width < least)
            .map(([text, box]) => `${text}: ${Math.round(box.width)}x${Math.round(box.height)}`)""",
        least,
    )


async def _reload_until(page, text: str):
    if text in await page.content():
        return True
    await page.reload()
    return None
