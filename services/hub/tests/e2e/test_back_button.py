"""Back after every form in the hub outside the plan pages (Post/Redirect/Get, `hub.flash`), on the
real platform in Chromium at 390 px: after sign-in (refused and sent), a link that no longer
works, a quiz and a reflection (refused and done), booking (refused and booked), cancelling, an
expired form and signing out, the parent goes on to another page and presses Back. Every page is
`no-store`, so a history entry that answered a POST would meet "Confirm Form Resubmission"
(ERR_CACHE_MISS); each must instead show a sensible page again."""

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from hub.config import DEV_HUB_SECRET
from hub.security import read_session
from learning.content import module, passing_answers
from ptfc.testing.browser import back_to
from ptfc.testing.plugin import bearer, eventually
from ptfc.testing.workshops import session_for, weekday_session
from workshops import api as workshops_api

STAFF = bearer("provider", "staff-ann", "family-action")
ALEX = ("Alex", "Jones", "alex.back@example.org", "07700900011", "en", "female")
BEN = ("Ben", "Okafor", "ben.back@example.org", "07700900015", "en", "male")
PHONE = {"width": 390, "height": 844}

pytestmark = pytest.mark.skipif(
    not any(getattr(r, "path", "") == "/me/booking" for r in workshops_api.router.routes),
    reason="the workshops service has no parent API in this tree yet",
)


async def back_shows(page: Page, check, url: str, heading: str | re.Pattern) -> None:
    """Leave for another page, press Back: the page at `url` is shown again, never the browser's
    resubmission prompt."""
    await page.get_by_role("link", name="Help and support").first.click()
    await expect(page).to_have_url(re.compile(r"/resources"))
    await back_to(page, url, heading)
    await check.axe_ok(page)


async def test_back_after_every_form_shows_a_page_never_a_resubmission_prompt(start_platform, browser, check):
    async with start_platform() as platform:
        made = await platform.refer_parents("MA24P00177", "hub-back-1", ALEX, BEN)
        alex_id, ben_id = (p["participant_id"] for p in made["participants"])
        first_link = await platform.link(ALEX[2])
        context = await browser.new_context(viewport=PHONE)
        page = await context.new_page()

        # Sign-in: nothing typed (refused), then the address of a parent who never started, who
        # gets the welcome link again.
        await page.goto(f"{platform.hub}/sign-in")
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await expect(page.locator("#error-summary")).to_contain_text("Enter your email address")
        await check.shoot(page, "sign-in-error-en")
        await back_shows(page, check, f"{platform.hub}/sign-in", "Sign in to the Parent Hub")
        await page.fill("#email", ALEX[2])
        await page.get_by_role("button", name="Email me a sign-in link").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
        await expect(page.get_by_text("we have sent your welcome link again")).to_be_visible()
        await back_shows(page, check, f"{platform.hub}/sign-in/sent", "Check your email")
        link = await platform.link(ALEX[2], count=2)  # the welcome link, issued again
        assert link != first_link

        # The first link no longer works (a newer one was sent): its page, then Back.
        await page.goto(first_link)
        await page.get_by_role("button", name="Start my course").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("A newer link has been sent")
        await back_shows(page, check, f"{platform.hub}/link-refused", "A newer link has been sent")

        # The newest one signs Alex in.
        await page.goto(link)
        await page.get_by_role("button", name="Start my course").click()
        await expect(page).to_have_url(f"{platform.hub}/course")

        # A quiz: refused (nothing chosen), then passed.
        await page.goto(f"{platform.hub}/learning/1/activity")
        await page.get_by_role("button", name="Check my answers").click()
        await expect(page.locator("#error-summary")).to_contain_text("Choose an answer to question 1")
        await back_shows(page, check, f"{platform.hub}/learning/1/activity", "Quiz")
        for question, option in passing_answers(1).items():
            await page.check(f"#{question}-{option}")
        await page.get_by_role("button", name="Check my answers").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Module 1 complete")
        await back_shows(page, check, f"{platform.hub}/learning/1/done", "Module 1 complete")

        # A reflection: the second prompt left empty keeps the first one's words.
        prompts = [p.id for p in module(2).activity.prompts]
        await page.goto(f"{platform.hub}/learning/2/activity")
        await page.fill(f"#{prompts[0]}", "I will keep them out of it.")
        await page.get_by_role("button", name="Finish this module").click()
        await expect(page.locator("#error-summary")).to_contain_text("Write a few words for question 2")
        await expect(page.locator(f"#{prompts[0]}")).to_have_value("I will keep them out of it.")
        await back_shows(page, check, f"{platform.hub}/learning/2/activity", "Reflection")
        for prompt in prompts:
            await page.fill(f"#{prompt}", "I will keep them out of it.")
        await page.get_by_role("button", name="Finish this module").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Module 2 complete")
        await back_shows(page, check, f"{platform.hub}/learning/2/done", "Module 2 complete")

        # The rest of the e-learning through the API, then a session in Alex's half.
        token = read_session(
            DEV_HUB_SECRET, next(c["value"] for c in await context.cookies() if c["name"] == "ptfc_session")
        ).token
        async with httpx.AsyncClient(base_url=platform.learning, headers={"Authorization": f"Bearer {token}"}) as c:
            for n in range(3, 9):
                assert (
                    await c.post(f"/me/modules/{n}/complete", json={"answers": passing_answers(n)})
                ).status_code == 200
        async with httpx.AsyncClient() as staff:
            mine = await session_for(
                staff,
                platform.workshops,
                STAFF,
                alex_id,
                [alex_id, ben_id],
                lambda _: weekday_session(5, "https://video.example/x"),
            )

        async def offered() -> bool:
            await page.goto(f"{platform.hub}/workshop")
            return await page.locator(f"#session-{mine}").count() > 0

        await eventually(offered, timeout=30)

        # Booking: nothing chosen (refused), then booked.
        await page.get_by_role("button", name="Book this session").click()
        await expect(page.locator("#error-summary")).to_contain_text("Choose a session")
        await back_shows(page, check, f"{platform.hub}/workshop", "Group workshop")
        await page.check(f"#session-{mine}")
        await page.get_by_role("button", name="Book this session").click()
        await expect(page.get_by_text("Your workshop is booked")).to_be_visible()
        await back_shows(page, check, f"{platform.hub}/workshop", "Group workshop")

        # Cancelling, after its confirmation page.
        await page.get_by_role("button", name="Cancel this booking").click()
        await page.get_by_role("button", name="Yes, cancel my booking").click()
        await expect(page.get_by_text("Your booking is cancelled. You can book another session.")).to_be_visible()
        await back_shows(page, check, f"{platform.hub}/workshop", "Group workshop")

        # A form whose token no longer holds (an error page), then Back.
        await page.goto(f"{platform.hub}/workshop/waitlist")
        await page.locator("form[action='/workshop/waitlist'] input[name=csrf]").evaluate("e => e.value = 'stale'")
        await page.get_by_role("button", name="Join the waiting list").click()
        await expect(page).to_have_url(re.compile(r"/problem/form-expired$"))
        await back_shows(page, check, f"{platform.hub}/problem/form-expired", re.compile(r"."))

        # Signing out: the page has no menu and no "you will be signed out at".
        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
        await expect(page.get_by_role("button", name="Sign out")).to_have_count(0)
        await expect(page.get_by_role("navigation", name="Menu")).to_have_count(0)  # no signed-in menu
        await expect(page.locator("#session-note")).to_have_count(0)
        await check.shoot(page, "signed-out-en")
        await back_shows(page, check, f"{platform.hub}/signed-out", "You have signed out")
        await context.close()
