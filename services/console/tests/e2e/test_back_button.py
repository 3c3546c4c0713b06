"""Back after every console form (Post/Redirect/Get, `console.flash`), on the real platform in
Chromium at 390 px, as the Parent Hub's test does: each role signs in through the OpenID Connect
provider, sends each of its forms (refused, then done), goes on to another page and presses Back.
Every page is `no-store`, so a history entry that answered a POST would meet "Confirm Form
Resubmission" (ERR_CACHE_MISS); each must instead show its page again, and a refused form's words
are not shown twice."""

import re
from datetime import UTC, datetime, timedelta
from zoneinfo import ZoneInfo

import httpx
import pytest
from playwright.async_api import Page, expect

from ptfc.testing.browser import back_to
from ptfc.testing.plugin import eventually

from .conftest import sign_in
from .test_console import FCA, REFERRAL, _parent_finishes_the_e_learning, _reload_until

pytestmark = pytest.mark.timeout(600)
LOCAL = "%Y-%m-%dT%H:%M"


async def back_shows(page: Page, checker, url: str, heading: str | re.Pattern, away: str = "/") -> None:
    """Leave for another page, press Back: the page at `url` is shown again, never the browser's
    resubmission prompt."""
    await page.goto(url.split("/", 3)[0] + "//" + url.split("/", 3)[2] + away)
    text = await back_to(page, url, heading)
    assert "There is a problem" not in text, f"{url}: a refused form's errors shown again after Back"
    path = re.sub(r"/[0-9a-f]{12,}|/[0-9a-f-]{36}", "/id", "/" + url.split("/", 3)[3])  # ids out of the file name
    await checker.check(page, "back" + re.sub(r"[^a-z]+", "-", path).rstrip("-"))


def weekday_at_ten(days: int) -> datetime:
    start = (datetime.now(UTC) + timedelta(days=days)).astimezone(ZoneInfo("Europe/London"))
    start = start.replace(hour=10, minute=0, second=0, microsecond=0)
    while start.weekday() >= 5:
        start += timedelta(days=1)
    return start


async def fill_times(page: Page, start: datetime) -> None:
    await page.get_by_label("Part 1 starts").fill(start.strftime(LOCAL))
    await page.get_by_label("Part 1 ends").fill((start + timedelta(minutes=75)).strftime(LOCAL))
    await page.get_by_label("Part 2 starts").fill((start + timedelta(minutes=90)).strftime(LOCAL))
    await page.get_by_label("Part 2 ends").fill((start + timedelta(minutes=165)).strftime(LOCAL))


async def schedule(page: Page, console: str, start: datetime) -> str:
    await page.goto(console + "/sessions/new")
    await page.get_by_label("Video link (online)").fill("https://video.example/afc-back")
    await fill_times(page, start)
    await page.get_by_label("Facilitators").fill("afc-facilitator")
    await page.get_by_role("button", name="Schedule the session").click()
    await page.get_by_text("Session scheduled").wait_for()
    return page.url.split("/sessions/")[1].split("?")[0]


async def test_back_after_every_console_form_shows_a_page_never_a_resubmission_prompt(start_platform, browser, checker):
    # The allocator's own run waits an hour, so the coordinator's approval is what books the seat;
    # a partner's endpoint on this machine's discard port (nothing is delivered there: one try fails).
    hold = {"sweep_interval": timedelta(hours=1)}
    hooks = {"webhook_allow_local_http": True, "webhook_attempts": 1}
    async with (
        start_platform(workshops=hold, notifications=hooks) as platform,
        httpx.AsyncClient(timeout=30) as client,
    ):
        console = platform.console
        created = await client.post(f"{platform.referrals}/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        referral = f"{console}/referrals/{created.json()['id']}"
        case = "Case LO24P00777"

        # The FCA: extend a deadline (refused, then done).
        fca = await sign_in(browser, platform, "fca-sam-patel")
        await fca.goto(referral)
        await eventually(lambda: _reload_until(fca, "Extend Dana's deadline"), timeout=30)
        await fca.get_by_role("button", name="Extend the deadline").click()
        await expect(fca.locator("#error-summary")).to_contain_text("Enter a number of days from 1 to 30.")
        await back_shows(fca, checker, referral, case)
        await fca.get_by_label("Extra days").fill("5")
        await fca.get_by_label("Reason").fill("Dana was in hospital for a week.")
        await fca.get_by_role("button", name="Extend the deadline").click()
        await fca.get_by_text("Deadline extended").wait_for()
        await back_shows(fca, checker, referral, case)
        refresh = (await _parent_finishes_the_e_learning(platform))["refresh"]

        async def dana() -> dict[str, str]:
            token = await client.post(f"{platform.learning}/sessions/refresh", json={"refresh_token": refresh})
            return {"Authorization": f"Bearer {token.json()['access_token']}"}

        # The coordinator: mark contacted; schedule (refused, then done); move; cancel another.
        coordinator = await sign_in(browser, platform, "afc-coordinator")
        await coordinator.goto(console + "/contacts")
        await coordinator.get_by_role("button", name=re.compile(r"^Mark as contacted")).click()
        await coordinator.get_by_text("Marked as contacted").wait_for()
        await back_shows(coordinator, checker, console + "/contacts", "Parents to contact")
        await coordinator.goto(console + "/sessions/new")
        await coordinator.get_by_role("button", name="Schedule the session").click()
        await expect(coordinator.locator("#error-summary")).to_contain_text("Enter a date and time.")
        await back_shows(coordinator, checker, console + "/sessions/new", "Schedule a session")
        first = weekday_at_ten(6)
        session = await schedule(coordinator, console, first)
        await back_shows(coordinator, checker, f"{console}/sessions/{session}", re.compile(r"^Session on"))

        await coordinator.get_by_role("link", name="Move this session").click()
        await fill_times(coordinator, first + timedelta(days=7, minutes=30))
        await coordinator.get_by_label("Part 2 ends").fill("")
        await coordinator.get_by_role("button", name="Move the session").click()
        await expect(coordinator.locator("#error-summary")).to_contain_text("Enter a date and time.")
        await checker.check(coordinator, "coordinator-move-error")
        await back_shows(coordinator, checker, f"{console}/sessions/{session}/move", re.compile(r"^Move the session"))
        moved = first + timedelta(days=7)
        await fill_times(coordinator, moved)
        await coordinator.get_by_role("button", name="Move the session").click()
        await coordinator.get_by_text("Session moved").wait_for()
        assert moved.strftime("%-d %b %Y, 10:00") in await coordinator.content()
        await checker.check(coordinator, "coordinator-session-moved")
        await back_shows(coordinator, checker, f"{console}/sessions/{session}", re.compile(r"^Session on"))

        spare = await schedule(coordinator, console, first + timedelta(days=14))
        await coordinator.get_by_role("link", name="Cancel this session").click()
        await checker.check(coordinator, "coordinator-cancel-confirm")
        await coordinator.get_by_role("button", name="Yes, cancel the session").click()
        await coordinator.get_by_text("Session cancelled").wait_for()
        assert await coordinator.get_by_role("link", name="Cancel this session").count() == 0
        await back_shows(coordinator, checker, f"{console}/sessions/{spare}", re.compile(r"^Session on"))

        # Dana waits for a seat: the coordinator sees the allocator's proposal and approves it.
        wish = {"patterns": ["daytime"], "formats": ["online"]}

        async def waiting():
            joined = await client.post(f"{platform.workshops}/me/waitlist", json=wish, headers=await dana())
            return joined if joined.status_code == 201 else None

        await eventually(waiting, timeout=30)  # once workshops has heard that Dana finished the e-learning
        await coordinator.goto(console + "/waiting-list")
        await coordinator.get_by_role("heading", name="Dana").wait_for()
        assert "Nothing is booked yet" in await coordinator.content()
        await checker.check(coordinator, "coordinator-waiting-proposal")
        await coordinator.get_by_role("button", name=re.compile(r"^Book this seat\W+for Dana$")).click()
        await coordinator.get_by_text("Seat booked").wait_for()
        assert "No parent is waiting." in await coordinator.content()
        await back_shows(coordinator, checker, console + "/waiting-list", "Waiting list")
        await coordinator.goto(f"{console}/sessions/{session}")
        assert "1 of 6 booked" in await coordinator.content()
        consent = await client.put(
            f"{platform.workshops}/me/follow-up-consent", json={"consent": True}, headers=await dana()
        )
        assert consent.status_code == 200, consent.text

        # The facilitator, during the session: attendance, a concern (refused, then raised).
        platform.clock.offset = moved + timedelta(hours=2, minutes=50) - datetime.now(UTC)
        facilitator = await sign_in(browser, platform, "afc-facilitator")
        await facilitator.goto(f"{console}/sessions/{session}")
        for part in (1, 2):
            await facilitator.get_by_role("button", name=re.compile(rf"^Attended\W+Dana, part {part}$")).click()
            await facilitator.get_by_text("Attendance recorded").wait_for()
        await back_shows(facilitator, checker, f"{console}/sessions/{session}", re.compile(r"^Session on"))
        await facilitator.get_by_role("link", name=re.compile(r"^Raise a safeguarding concern")).click()
        concern = facilitator.url
        await facilitator.get_by_role("button", name="Raise the concern").click()
        await expect(facilitator.locator("#error-summary")).to_contain_text("Choose what the concern is about.")
        await back_shows(facilitator, checker, concern, "Raise a concern about Dana")
        await facilitator.get_by_label("Something else").check()
        await facilitator.get_by_label("Details").fill("Dana seemed very frightened at the break.")
        await facilitator.get_by_role("button", name="Raise the concern").click()
        await facilitator.get_by_text("Concern raised").wait_for()
        await back_shows(facilitator, checker, concern, "Who is told")

        # The coordinator gives Dana's follow-up call to the facilitator it is with (the one who knows her).
        await coordinator.goto(console + "/follow-ups")
        await coordinator.get_by_role("heading", name="Dana").wait_for()
        await coordinator.get_by_label("Who makes the call to Dana").select_option("afc-facilitator")
        await coordinator.get_by_role("button", name=re.compile(r"^Give the call")).click()
        await coordinator.get_by_text("Call given to another facilitator").wait_for()
        await checker.check(coordinator, "coordinator-followup-assigned")
        await back_shows(coordinator, checker, console + "/follow-ups", "Follow-up calls")

        # The facilitator's call: refused (nothing chosen), then recorded.
        await facilitator.goto(console + "/follow-ups")
        await facilitator.get_by_role("button", name=re.compile(r"^Record the call")).click()
        await expect(facilitator.locator("#error-summary")).to_contain_text("Say whether you reached the parent.")
        await back_shows(facilitator, checker, console + "/follow-ups", "My follow-up calls")
        await facilitator.get_by_label("No, or they did not want the call").check()
        await facilitator.get_by_role("button", name=re.compile(r"^Record the call")).click()
        await facilitator.get_by_text("Call recorded").wait_for()
        await back_shows(facilitator, checker, console + "/follow-ups", "My follow-up calls")

        # The operator: register an endpoint (refused, then done: the secret once), rotate, replay.
        ops = await sign_in(browser, platform, "ops-alex")
        await ops.goto(console + "/operations/webhooks")
        await ops.get_by_role("button", name="Register the endpoint").click()
        await expect(ops.locator("#error-summary")).to_contain_text("Choose at least one event.")
        await checker.check(ops, "operations-webhook-error")
        await back_shows(ops, checker, console + "/operations/webhooks", "Webhooks")
        await ops.get_by_label("Partner").fill("cafcass-cms")
        await ops.get_by_label("Address").fill("http://127.0.0.1:9/hook")
        await ops.get_by_label("course.completed").check()
        await ops.get_by_role("button", name="Register the endpoint").click()
        await ops.get_by_text("Endpoint registered").wait_for()
        secret = await ops.locator("code.secret").inner_text()
        assert secret.startswith("whsec_")
        await checker.check(ops, "operations-webhook-registered")
        endpoint = ops.url
        await back_shows(ops, checker, endpoint, "cafcass-cms")
        assert secret not in await ops.content()  # shown once
        await ops.get_by_role("button", name="Make a new signing secret").click()
        await ops.get_by_text("New signing secret made").wait_for()
        rotated = await ops.locator("code.secret").inner_text()
        assert rotated.startswith("whsec_") and rotated != secret
        await back_shows(ops, checker, endpoint, "cafcass-cms")
        await ops.get_by_role("button", name="Replay").click()
        await expect(ops.locator("#error-summary")).to_contain_text("Enter the date and time to replay from.")
        await back_shows(ops, checker, endpoint, "cafcass-cms")
        await ops.get_by_label("Replay events since").fill((datetime.now(UTC) - timedelta(days=1)).strftime(LOCAL))
        await ops.get_by_role("button", name="Replay").click()
        await ops.get_by_text("Replay started").wait_for()
        await checker.check(ops, "operations-webhook-replayed")
        await back_shows(ops, checker, endpoint, "cafcass-cms")
        # Dana's course.completed, replayed to an endpoint that does not answer: a failure, and why.
        await eventually(lambda: _reload_until(ops, "Deliveries that failed"), timeout=60)
        failures = ops.get_by_role("region", name="Deliveries that failed")
        await expect(failures.get_by_role("row").nth(1)).to_contain_text("course.completed")
        assert "Dana" not in await ops.content()
        await checker.check(ops, "operations-webhook-failures")

        # Last, the FCA withdraws the referral (refused without a reason, then done).
        await fca.goto(referral)
        await fca.get_by_text("Withdraw this referral").click()
        await fca.get_by_role("button", name="Withdraw the referral").click()
        await expect(fca.locator("#error-summary")).to_contain_text("Say why the referral is withdrawn")
        await back_shows(fca, checker, referral, case)
        await fca.get_by_text("Withdraw this referral").click()
        await fca.get_by_label("Why is it withdrawn?").fill("The parents reached an agreement in mediation.")
        await fca.get_by_role("button", name="Withdraw the referral").click()
        await fca.get_by_text("Referral withdrawn").wait_for()
        await back_shows(fca, checker, referral, case)
