"""The whole journey in one browser session per parent: Alex from the welcome email's link
through the eight modules (a wrong quiz answer first), booking a workshop (never the one Ben, the
co-parent, is in), then starting and sharing a plan; Ben opens the invitation and counter-proposes.
Nothing either parent sees holds the other's contact details; axe checks every page."""

import re

import httpx
import pytest
from playwright.async_api import Page, expect

from learning.content import module
from plans import api as plans_api
from ptfc.testing.plugin import ParentBearer, bearer, eventually
from ptfc.testing.workshops import one_each, weekday_session
from workshops import api as workshops_api

pytestmark = pytest.mark.skipif(
    not any(getattr(r, "path", "") == "/me/booking" for r in workshops_api.router.routes)
    or not any(getattr(r, "path", "") == "/plans/{plan_id}/share" for r in plans_api.router.routes),
    reason="the workshops or plans service has no parent API in this tree yet",
)

STAFF = bearer("provider", "staff-ann", "family-action")
ALEX = {"given_name": "Alex", "family_name": "Jones", "email": "alex@example.org", "phone": "07700900001"}
BEN = {"given_name": "Ben", "family_name": "Okafor", "email": "ben@example.org", "phone": "07700900005"}


class Seen:
    def __init__(self, page: Page, check, other: dict) -> None:
        self.page, self.check, self.other = page, check, other

    async def __call__(self) -> None:
        text = await self.page.content()
        for key in ("email", "phone", "family_name"):
            assert self.other[key] not in text, f"{self.page.url} shows {self.other[key]!r}"
        await self.check.axe_ok(self.page)


async def welcome(browser, platform, who: dict) -> Page:
    page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
    await page.goto(await platform.link(who["email"]))
    await page.get_by_role("button", name="Start my course").click()
    await expect(page).to_have_url(f"{platform.hub}/course")
    return page


async def eight_modules(page: Page, hub: str, seen: Seen) -> None:
    for n in range(1, 9):
        content = module(n)
        await page.goto(f"{hub}/learning/{n}")
        await page.get_by_role("button", name=re.compile("Start this module|Continue where you stopped")).click()
        for _ in content.sections:
            await seen()
            await page.get_by_role("button", name=re.compile("^Continue")).click()
        await seen()
        activity = content.activity
        if activity.kind == "reflection":
            for p in activity.prompts:
                await page.fill(f"#{p.id}", "I will keep my child out of our arguments.")
            await page.get_by_role("button", name="Finish this module").click()
        else:
            if n == 1:
                q = activity.questions[0]
                wrong = next(o for o in q.options if o.id != q.answer)
                await page.check(f"#{q.id}-{wrong.id}")
                await page.get_by_role("button", name="Check my answers").click()
                await expect(page.get_by_text(wrong.feedback)).to_be_visible()
                await seen()
            for q in activity.questions:
                await page.check(f"#{q.id}-{q.answer}")
            await page.get_by_role("button", name="Check my answers").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text(f"Module {n} complete")
        await seen()


async def test_from_the_welcome_email_to_a_shared_plan(start_platform, browser, check):
    async with start_platform() as platform:
        parents = (*ALEX.values(), "en", "female"), (*BEN.values(), "en", "male")
        made = await platform.refer_parents("MA24P00160", "hub-journey-1", *parents)
        alex_id, ben_id = (p["participant_id"] for p in made["participants"])
        # One session in each parent's half (workshops offers each co-parent half of the sessions).
        days = {ben_id: 4, alex_id: 5}
        async with httpx.AsyncClient() as staff:
            halves = await one_each(
                staff, platform.workshops, STAFF, [ben_id, alex_id],
                lambda pid: weekday_session(days[pid], f"https://video.example/{days[pid]}"),
            )  # fmt: skip
        ids = [halves[ben_id], halves[alex_id]]

        # Ben books the first session through the APIs.
        async with httpx.AsyncClient() as c:
            link = await platform.link(BEN["email"])
            ben = await c.post(f"{platform.learning}/activate", json={"token": link.split("token=")[1]})
            auth = ParentBearer.of(ben.json())  # a parent's token lives a minute: signed afresh after that
            for n in range(1, 9):
                a = module(n).activity
                answers = {q.id: q.answer for q in a.questions} or {p.id: "Calm handovers." for p in a.prompts}
                assert (
                    await c.post(
                        f"{platform.learning}/me/modules/{n}/complete", json={"answers": answers}, headers=auth
                    )
                ).status_code == 200

            async def booked() -> bool:
                await c.post(f"{platform.workshops}/me/booking", json={"session_id": ids[0]}, headers=auth)
                return (await c.get(f"{platform.workshops}/me/booking", headers=auth)).status_code == 200

            await eventually(booked, timeout=30)

        # Alex, on a phone, from the welcome email through the eight modules.
        page = await welcome(browser, platform, ALEX)
        seen = Seen(page, check, BEN)
        await seen()
        await eight_modules(page, platform.hub, seen)
        await page.get_by_role("button", name="Book a workshop").click()

        async def offered() -> bool:
            await page.goto(f"{platform.hub}/workshop")
            return await page.locator("input[name=session_id]").count() > 0

        await eventually(offered, timeout=30)
        assert await page.locator(f"#session-{ids[0]}").count() == 0  # Ben's session is never offered
        await seen()
        await page.check(f"#session-{ids[1]}")
        await page.get_by_role("button", name="Book this session").click()
        await expect(page.get_by_text("Your workshop is booked")).to_be_visible()
        await seen()
        await page.goto(f"{platform.hub}/course")  # done / next: the workshop booked, the plan next
        await expect(page.locator("#part-1-status")).to_have_text("Completed")
        await expect(page.locator("#part-2-status")).to_have_text("In progress")  # GOV.UK task list status
        await expect(page.get_by_text(re.compile(r"Booked for \w+day"))).to_be_visible()
        await expect(page.get_by_text(re.compile(r"Your workshop starts on \w+day"))).to_be_visible()
        await seen()
        await check.shoot(page, "course-booked")

        # Alex starts a plan and shares it with Ben.
        await page.goto(f"{platform.hub}/plan/new")
        await page.fill("#display_name", "Alex")
        await page.fill("#child-0-name", "Sam")
        await page.fill("#child-0-age", "7")
        await page.check("#topic-holidays")
        await page.get_by_role("button", name="Start the plan").click()
        plan_url = page.url.split("?")[0]
        await page.goto(f"{plan_url}/topic/holidays")
        await page.fill("#text", "Sam spends Christmas Day with each of us in turn.")
        await page.get_by_role("button", name="Send my proposal").click()
        await page.goto(f"{plan_url}/share")
        await page.get_by_role("button", name="Share the plan").click()
        await expect(page.get_by_text("Your plan is shared")).to_be_visible()
        await seen()

        # Ben opens the invitation (signed in to his own course) and counter-proposes.
        ben = await (await browser.new_context(viewport={"width": 1280, "height": 900})).new_page()
        await ben.goto(f"{platform.hub}/sign-in")  # his welcome link is spent: he asks for a sign-in link
        await ben.fill("#email", BEN["email"])
        await ben.get_by_role("button", name="Email me a sign-in link").click()
        await ben.goto(await platform.link(BEN["email"], "sign-in"))
        await ben.get_by_role("button", name="Sign in").last.click()
        await expect(ben).to_have_url(f"{platform.hub}/course")
        ben_seen = Seen(ben, check, ALEX)
        await ben.goto(await platform.link(BEN["email"], "plans/join"))
        await ben.fill("#display_name", "Ben")
        await ben.get_by_role("button", name="Open the plan").click()
        await expect(ben.locator("#topic-holidays")).to_contain_text("Christmas Day with each of us in turn")
        await ben_seen()
        await ben.goto(f"{plan_url}/topic/holidays")
        await ben.fill("#text", "Sam spends Christmas Eve with Ben and Christmas Day with Alex every year.")
        await ben.get_by_role("button", name="Send my proposal").click()
        await ben_seen()

        await page.goto(plan_url)
        await expect(page.locator("#topic-holidays")).to_contain_text("Ben proposed:")
        await expect(page.locator("#topic-holidays")).to_contain_text("Christmas Eve with Ben")
        await seen()
        assert len(check.checked) > 50
