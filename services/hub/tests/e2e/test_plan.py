"""Our Child's Plan in the browser, on the real platform with the plans service: a parent starts
a plan, proposes and shares it; the co-parent opens the emailed invitation, accepts one topic and
counter-proposes another; history, the children's version, Word and PDF; and someone with no
account starts a plan at /plan."""

import io
import re

import httpx
import pytest
from docx import Document
from playwright.async_api import Page, expect
from pypdf import PdfReader

from hub.config import DEV_HUB_SECRET
from hub.security import cookie_for
from plans import api as plans_api
from ptfc.testing.plugin import bearer

pytestmark = pytest.mark.skipif(
    not any(getattr(r, "path", "") == "/plans/{plan_id}/share" for r in plans_api.router.routes),
    reason="the plans service has no plans API in this tree yet",
)

ALEX = {"given_name": "Alex", "family_name": "Jones", "email": "alex@example.org", "phone": "07700900001"}
BEN = {"given_name": "Ben", "family_name": "Okafor", "email": "ben@example.org", "phone": "07700900005"}
LIVING = "Sam and Mia live with me in the week and with Ben every other weekend, Friday to Sunday."
HOLIDAYS = "We split the summer holidays in half and take turns at Christmas."
COUNTER = "Sam and Mia stay with me from Friday to Monday morning every other weekend."


def docx_text(content: bytes) -> str:
    document = Document(io.BytesIO(content))
    cells = [c.text for t in document.tables for r in t.rows for c in r.cells]
    return "\n".join([p.text for p in document.paragraphs] + cells)


def pdf_text(content: bytes) -> str:
    return "\n".join(page.extract_text() or "" for page in PdfReader(io.BytesIO(content)).pages)


class Viewer:
    def __init__(self, page: Page, check, other: dict) -> None:
        self.page, self.check, self.other = page, check, other

    async def seen(self, shot: str | None = None) -> None:
        text = await self.page.content()
        for key in ("email", "phone", "family_name"):
            assert self.other[key] not in text, f"{self.page.url} shows {self.other[key]!r}"
        await self.check.axe_ok(self.page)
        if shot:
            await self.check.shoot(self.page, shot)


async def task_list_says(page: Page, hub: str, hint: str, status: str) -> None:
    """My course's task list follows the plan: not started, started, shared, agreed (issue 26)."""
    await page.goto(f"{hub}/course")
    part = page.locator(".task-list li").filter(has=page.locator("#part-3-status"))
    await expect(part).to_contain_text(hint)
    await expect(page.locator("#part-3-status")).to_have_text(status)


async def signed_in(browser, platform, who: dict) -> Page:
    context = await browser.new_context(viewport={"width": 1280, "height": 900})
    page = await context.new_page()
    await page.goto(await platform.link(who["email"]))
    await page.get_by_role("button", name="Start my course").click()
    await expect(page).to_have_url(f"{platform.hub}/course")
    return page


async def test_parents_make_a_plan_together(start_platform, browser, check):
    async with start_platform() as platform:
        await platform.refer_parents(
            "MA24P00150", "hub-plan-1", (*ALEX.values(), "en", "female"), (*BEN.values(), "en", "male")
        )
        page = await signed_in(browser, platform, ALEX)
        alex = Viewer(page, check, BEN)

        await page.goto(f"{platform.hub}/plan")
        await alex.seen("plan-home")
        await page.get_by_role("button", name="Start a new plan").click()
        await page.get_by_role("button", name="Start the plan").click()  # nothing filled in
        await expect(page.locator("#error-summary")).to_contain_text("Enter the name your co-parent will see")
        await expect(page.locator("#error-summary")).to_contain_text("Add at least one child")
        await expect(page.locator("#error-summary")).to_contain_text("Choose at least one topic")
        await alex.seen("plan-start-error")
        await page.fill("#display_name", "Alex")
        await page.fill("#child-0-name", "Sam")
        await page.fill("#child-0-age", "6")
        await page.fill("#child-1-name", "Mia")
        await page.fill("#child-1-age", "9")
        for topic in ("living", "holidays", "communication"):
            await page.check(f"#topic-{topic}")
        await page.get_by_role("button", name="Start the plan").click()
        await expect(page.get_by_text("Your plan is started")).to_be_visible()
        plan_url = page.url.split("?")[0]
        await task_list_says(page, platform.hub, "Started.", "In progress")
        await page.goto(plan_url)

        for topic, words in (("living", LIVING), ("holidays", HOLIDAYS)):
            await page.goto(f"{plan_url}/topic/{topic}")
            if topic == "living":
                await alex.seen("plan-topic")
            await page.fill("#text", words)
            await page.get_by_role("button", name="Send my proposal").click()
            await expect(page.locator(f"#topic-{topic}")).to_contain_text(words)
            await expect(page.locator(f"#status-{topic}")).to_have_text("Proposed")

        await page.goto(f"{plan_url}/share")
        await alex.seen("plan-share")
        await page.get_by_role("button", name="Share the plan").click()
        await expect(page.get_by_text("Your plan is shared")).to_be_visible()
        await expect(page.get_by_text(re.compile(r"Invited: the link works until \w+day"))).to_be_visible()
        await expect(page.get_by_text("Not invited yet")).to_have_count(0)
        await alex.seen("plan")
        await task_list_says(page, platform.hub, "Shared with your co-parent.", "In progress")

        # Ben, signed in to his own course, opens the emailed invitation.
        ben_page = await signed_in(browser, platform, BEN)
        ben = Viewer(ben_page, check, ALEX)
        invitation = await platform.link(BEN["email"], "plans/join")
        await ben_page.goto(invitation)
        await ben.seen("plan-invitation")
        await ben_page.fill("#display_name", "Ben")
        await ben_page.get_by_role("button", name="Open the plan").click()
        await expect(ben_page.get_by_role("heading", level=1)).to_have_text("Our Child's Plan")
        await expect(ben_page.locator("#topic-living")).to_contain_text("Alex proposed:")
        await expect(ben_page.locator("#topic-living")).to_contain_text(LIVING)
        await ben.seen("plan-co-parent")
        await ben_page.goto(f"{plan_url}?lang=ur")  # the same plan page in Urdu, right to left
        await expect(ben_page.locator("html")).to_have_attribute("dir", "rtl")
        await expect(ben_page.get_by_role("heading", level=1)).to_have_text("ہمارے بچے کا منصوبہ")
        await ben.seen("plan-ur")
        await ben_page.goto(f"{plan_url}?lang=en")
        await ben_page.locator("#topic-holidays").get_by_role("button", name=re.compile("Accept this")).click()
        await expect(ben_page.locator("#status-holidays")).to_have_text("Agreed")
        await ben_page.goto(f"{plan_url}/topic/living")
        await expect(ben_page.get_by_role("heading", name="What Alex proposed")).to_be_visible()
        await ben_page.fill("#text", COUNTER)
        await ben_page.get_by_role("button", name="Send my proposal").click()
        await expect(ben_page.locator("#topic-living")).to_contain_text(COUNTER)

        # Alex sees the counter-proposal, what is agreed, the history, the children's version, the files.
        await page.goto(plan_url)
        await expect(page.locator("#topic-living")).to_contain_text("Ben proposed:")
        await expect(page.locator("#topic-living")).to_contain_text(COUNTER)
        await expect(page.locator("#status-holidays")).to_have_text("Agreed")
        await expect(page.get_by_text("1 of 3 topics agreed")).to_be_visible()
        await alex.seen("plan-counter-proposal")
        # Not ready to agree: Alex sets the topic aside; Ben's words stay, to come back to. What she
        # read is what she sets aside: Ben's newer wording, sent meanwhile, is not set aside unread.
        await page.goto(f"{plan_url}/topic/living")
        await alex.seen("plan-topic-proposed")
        await ben_page.goto(f"{plan_url}/topic/living")
        await ben_page.fill("#text", COUNTER + " Sunday tea together.")
        await ben_page.get_by_role("button", name="Send my proposal").click()
        await expect(ben_page.locator("#topic-living")).to_contain_text("Sunday tea together.")
        await page.get_by_role("button", name="Not agreed yet: set it aside").click()
        await expect(page.locator("#error-summary")).to_contain_text("Reload the plan and try again")
        await expect(page.locator(".panel").first).to_contain_text("Sunday tea together.")  # the newer one, now
        await page.get_by_role("button", name="Not agreed yet: set it aside").click()
        await expect(page.locator("#status-living")).to_have_text("Not agreed yet")
        await expect(page.locator("#topic-living")).to_contain_text(COUNTER)
        await page.get_by_text("Add topics").click()  # a topic more, later
        await page.check("#add-pets")
        await page.get_by_role("button", name="Add these topics").click()
        await expect(page.locator("#status-pets")).to_have_text("Nothing proposed yet")
        await expect(page.get_by_text("1 of 4 topics agreed")).to_be_visible()
        await page.goto(f"{plan_url}/history")
        # created, two proposals, shared, joined, agreed (holidays), two counter-proposals and set aside
        # (living), topic added
        await expect(page.locator(".history li")).to_have_count(10)
        await expect(page.locator(".history")).to_contain_text("Ben proposed something else")
        await expect(page.locator(".history")).to_contain_text("Alex set aside as not agreed")
        await alex.seen("plan-history")
        await page.goto(f"{plan_url}/for-children")
        await expect(page.get_by_text(HOLIDAYS)).to_have_count(0)  # a 6-year-old gets warm words only
        await expect(page.get_by_role("heading", level=2).first).to_be_visible()
        await alex.seen("plan-children")
        docx = await page.request.get(f"{plan_url}/export.docx")
        pdf = await page.request.get(f"{plan_url}/export.pdf")
        assert docx.ok and pdf.ok
        # What Alex reads in each file: the agreed words, and none of the co-parent's contact details.
        for text in (docx_text(await docx.body()), pdf_text(await pdf.body())):
            assert HOLIDAYS in text.replace("\n", " ")
            assert not [d for d in (BEN["email"], BEN["phone"], BEN["family_name"]) if d.casefold() in text.casefold()]

        # Ben leaves the plan: it is gone from his list and his link to it; his words stay for Alex.
        await ben_page.goto(plan_url)
        await ben_page.get_by_role("link", name="Leave this plan").click()
        await expect(ben_page.get_by_role("heading", level=1)).to_have_text("Leave this plan?")
        await ben.seen("plan-leave")
        await ben_page.get_by_role("button", name="Leave the plan").click()
        await expect(ben_page.get_by_text("You are no longer in that plan")).to_be_visible()
        await expect(ben_page.locator(f"a[href='{plan_url.removeprefix(platform.hub)}']")).to_have_count(0)
        await ben.seen("plan-left")
        assert (await ben_page.goto(plan_url)).status == 404
        await page.goto(f"{plan_url}/history")
        await expect(page.locator(".history")).to_contain_text("Ben left the plan")
        await page.goto(plan_url)
        await expect(page.locator("#topic-living")).to_contain_text(COUNTER)
        await expect(page.get_by_text("Ben left the plan")).to_be_visible()
        await expect(page.get_by_role("button", name=re.compile("Accept this"))).to_have_count(0)  # alone
        await alex.seen("plan-co-parent-left")


async def test_anyone_can_start_a_plan_without_an_account(start_platform, browser, check):
    async with start_platform() as platform:
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        await page.goto(f"{platform.hub}/plan")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Our Child's Plan")
        await page.get_by_role("button", name="Start a new plan").click()
        # An age no browser's number field sends, but a form can: "²" passes str.isdigit, not int().
        csrf = await page.locator("input[name=csrf]").first.get_attribute("value")
        form = {"csrf": csrf, "display_name": "Jo", "child-0-name": "Kai", "child-0-age": "²", "topics": "education"}
        refused = await page.request.post(f"{platform.hub}/plan/new", form=form)
        assert refused.status == 422 and "an age from 0 to 18" in await refused.text()
        # The form sent again as it was, without the script: plans keeps no copy of the plan's secret
        # to answer it, so the hub starts the plan afresh, and this browser can open the one it got.
        again = form | {"child-0-age": "9"}
        twice = [await page.request.post(f"{platform.hub}/plan/new", form=again, max_redirects=0) for _ in "12"]
        assert [a.status for a in twice] == [303, 303] and twice[1].headers["location"].startswith("/plan/")
        opened = await page.request.get(platform.hub + twice[1].headers["location"])
        assert opened.ok and "Your plan is started" in await opened.text()
        await page.goto(f"{platform.hub}/plan/new")
        await page.fill("#display_name", "Jo")
        await page.fill("#child-0-name", "Kai")
        await page.fill("#child-0-age", "12")
        await page.check("#topic-education")
        # Pressed twice on a slow connection: sent once, so the answer that sets the plan's secret
        # is the one the browser keeps (without the script it would drop it for the second's).
        cdp = await context.new_cdp_session(page)
        slow = {"offline": False, "latency": 600, "downloadThroughput": -1, "uploadThroughput": -1}
        await cdp.send("Network.emulateNetworkConditions", slow)
        await page.evaluate(
            """() => {
                const button = [...document.querySelectorAll("button")].find(b => b.textContent.includes("Start"));
                button.click();
                setTimeout(() => button.click(), 150);
            }"""
        )
        await expect(page.get_by_text("Your plan is started")).to_be_visible()
        await cdp.send("Network.emulateNetworkConditions", slow | {"latency": 0})
        await check.axe_ok(page)
        await check.shoot(page, "plan-anonymous")
        keys = next(c for c in await context.cookies() if c["name"] == "ptfc_plans")
        assert keys["httpOnly"]
        # Jo signs in later on this browser: the plan is still theirs, reached by its secret.
        jo = bearer("parent", "jo")["Authorization"].split()[1]
        session = {"name": "ptfc_session", "value": cookie_for(DEV_HUB_SECRET, jo)}
        await context.add_cookies([session | {"url": platform.hub}])
        await page.reload()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Our Child's Plan")
        await context.clear_cookies(name="ptfc_session")
        # The secret link back, for another device: it opens the plan in a fresh browser.
        await page.get_by_text("Open this plan on another device").click()
        owner_link = await page.locator(".secret-link a").get_attribute("href")
        other = await (await browser.new_context()).new_page()
        await other.goto(owner_link)  # asks first: a link alone stores no one's plan (issue 24, finding 6)
        await expect(other.get_by_role("heading", level=1)).to_have_text("Open a plan shared with you?")
        await check.axe_ok(other)
        await check.shoot(other, "plan-open")
        await other.get_by_role("button", name="Open the plan on this device").click()
        await expect(other.get_by_role("heading", level=1)).to_have_text("Our Child's Plan")
        await expect(other).to_have_url(page.url.split("?")[0])
        # Another browser, without the secret, is told the plan does not exist.
        stranger = await browser.new_page()
        await stranger.goto(page.url)
        await expect(stranger.get_by_role("heading", level=1)).to_have_text("We cannot find this plan")
        # Leaving it without an account: the browser forgets the plan's secret too.
        plan_path = page.url.split("?")[0].removeprefix(platform.hub)
        await page.goto(f"{platform.hub}{plan_path}/leave")
        await page.get_by_role("button", name="Leave the plan").click()
        await expect(page.get_by_text("You are no longer in that plan")).to_be_visible()
        await expect(page.locator(f"a[href='{plan_path}']")).to_have_count(0)
        keys = [c["value"] for c in await context.cookies() if c["name"] == "ptfc_plans"]
        assert plan_path.rsplit("/", 1)[1] not in "".join(keys)
        # A sign-in that ran out is signed out on the plan pages too (not an empty list of plans).
        await context.add_cookies([{"name": "ptfc_session", "value": "ran.out.token", "url": platform.hub}])
        await page.goto(f"{platform.hub}/plan")
        await expect(page).to_have_url(f"{platform.hub}/sign-in?ended=1")
        async with httpx.AsyncClient() as client:
            blank = await client.get(f"{platform.hub}/plan/template.docx")
        assert blank.status_code == 200 and blank.content[:2] == b"PK"
