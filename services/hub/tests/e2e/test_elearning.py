"""A parent from the welcome email's link through all eight modules in the browser, on the real
platform; a Polish and an Urdu parent's pages; the pages for links that no longer work."""

import asyncio
import re
import time
from datetime import timedelta

import httpx
from playwright.async_api import Page, expect

from hub.config import DEV_HUB_SECRET
from hub.security import cookie_for
from learning.content import module
from ptfc.testing.plugin import bearer, eventually

FCA = bearer("cafcass", "fca-sam-patel")

ALEX = ("Alex", "Jones", "alex@example.org", "07700900001", "en", "female")
CHRIS = ("Chris", "Rowe", "chris@example.org", "07700900002", "pl", "male")
NADIA = ("Nadia", "Hussain", "nadia@example.org", "07700900003", "ur", "female")
OMAR = ("Omar", "Hussain", "omar@example.org", "07700900004", "en", "male")


class Visits:
    """Every page one parent sees: checked by axe, and none may hold the other parent's details."""

    def __init__(self, page: Page, check, other: tuple) -> None:
        self.page, self.check, self.other = page, check, other
        self.count = 0

    async def seen(self, shot: str | None = None) -> None:
        text = await self.page.content()
        for detail in (self.other[0], self.other[1], self.other[2], self.other[3]):
            assert detail not in text, f"{self.page.url} shows {detail!r}"
        await self.check.axe_ok(self.page)
        if shot:
            await self.check.shoot(self.page, shot)
        self.count += 1


async def test_a_parent_from_the_welcome_link_through_all_eight_modules(start_platform, browser, check):
    async with start_platform() as platform:
        await platform.refer_parents("MA24P00123", "hub-journey-1", ALEX, CHRIS)
        link = await platform.link(ALEX[2])
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        alex = Visits(page, check, CHRIS)

        # Opening the link (as a mail scanner would, twice) never uses it: the button does.
        await page.goto(link)
        await page.goto(link)
        await expect(page.get_by_role("heading", level=1)).to_have_text("Welcome to the Parent Hub")
        await alex.seen("activate")
        form = {n: await page.locator(f"input[name={n}]").first.get_attribute("value") for n in ("csrf", "token")}
        await page.get_by_role("button", name="Start my course").click()
        # Pressed again (the form sent twice): the first press signed Alex in, so on to the course.
        again = await page.request.post(f"{platform.hub}/activate", form=form, max_redirects=0)
        assert (again.status, again.headers["location"]) == (303, "/course")

        # My course: three parts, the deadline in the parent's words and time zone.
        await expect(page).to_have_url(f"{platform.hub}/course")
        await expect(
            page.get_by_text(re.compile(r"Finish the e-learning by \w+day, \d+ \w+ 20\d\d at \d\d:\d\d"))
        ).to_be_visible()
        await expect(page.get_by_text("You have 10 days left.")).to_be_visible()
        await expect(page.locator("#part-1-status")).to_have_text("Not started")
        await expect(page.locator("#part-2-status")).to_have_text("Cannot start yet")
        await expect(page.get_by_text("Your course is run by Family Action.")).to_be_visible()
        await expect(page.get_by_text("Interpreters and adjustments")).to_be_visible()
        await expect(page.locator("#session-note")).to_contain_text("you will be signed out at")
        await expect(page.locator("#session-warning")).to_be_hidden()  # not yet: hours to go
        await alex.seen("course")
        cookie = next(c for c in await context.cookies() if c["name"] == "ptfc_session")
        assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"

        # The used link now says so, with what to do.
        other = await context.new_page()
        await other.goto(link)
        await other.get_by_role("button", name="Start my course").click()
        await expect(other.get_by_role("heading", level=1)).to_have_text("This link has already been used")
        await other.close()

        # A later module is locked until the earlier ones are done.
        await page.goto(f"{platform.hub}/learning/4")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Please finish the earlier modules first")
        await alex.seen()

        await page.goto(f"{platform.hub}/learning")
        await alex.seen("modules")
        for n in range(1, 9):
            content = module(n)
            await page.goto(f"{platform.hub}/learning/{n}")
            await expect(page.get_by_role("heading", level=1)).to_have_text(content.title)
            await alex.seen("module-start" if n == 1 else None)
            await page.get_by_role("button", name=re.compile("Start this module|Continue where you stopped")).click()
            for s, section in enumerate(content.sections, 1):
                await expect(page.get_by_role("heading", level=1)).to_have_text(section.heading)
                await alex.seen("section" if (n, s) == (2, 2) else None)
                await page.get_by_role("button", name=re.compile("^Continue")).click()
                if (n, s) == (3, 1):
                    await _sign_out_and_back(page, platform, alex)
                    await expect(page).to_have_url(f"{platform.hub}/learning/3/section/2")
            await _activity(page, n, alex)
            await expect(page.get_by_role("heading", level=1)).to_have_text(f"Module {n} complete")
            await expect(page.get_by_text(content.activity.closing)).to_be_visible()
            if n < 8:
                await expect(page.get_by_role("button", name="Start the next module")).to_be_visible()
                await expect(page.get_by_text(f"Module {n + 1}: {module(n + 1).title}", exact=True)).to_be_visible()
            await alex.seen("module-done" if n == 1 else None)

        await expect(page.get_by_role("heading", name="You have finished the e-learning")).to_be_visible()
        await alex.seen("learning-finished")
        await page.get_by_role("button", name="Book a workshop").is_visible()
        await page.goto(f"{platform.hub}/course")
        await expect(page.locator("#part-1-status")).to_have_text("Completed")
        await expect(page.locator("#part-2-status")).to_have_text("Not started")
        await alex.seen("course-done")
        assert alex.count >= 8 * 5

        # The court withdraws the referral: the e-learning stays done, and no workshop is offered.
        async with httpx.AsyncClient(base_url=platform.referrals, headers=FCA) as fca:
            referral_id = (await fca.get("/referrals")).json()["items"][0]["id"]
            assert (await fca.post(f"/referrals/{referral_id}/withdraw", json={"reason": "case closed"})).is_success

        async def told() -> bool:
            await page.goto(f"{platform.hub}/course")
            return await page.get_by_text("nothing more is needed from you").count() > 0

        await eventually(told, timeout=20)
        await expect(page.locator("#part-1-status")).to_have_text("Completed")
        await expect(page.locator("#part-2-status")).to_have_text("Not needed")
        await expect(page.get_by_role("link", name="Book a workshop")).to_have_count(0)
        await alex.seen("course-withdrawn")
        await page.goto(f"{platform.hub}/workshop")
        await expect(page.get_by_text("nothing more is needed from you")).to_be_visible()
        await expect(page.locator("input[name=session_id]")).to_have_count(0)


async def _activity(page: Page, n: int, visits: Visits) -> None:
    activity = module(n).activity
    await expect(page.get_by_role("heading", level=1)).to_have_text("Quiz" if activity.kind == "quiz" else "Reflection")
    if activity.kind == "reflection":
        if n == 2:  # nothing written: the error summary names each question
            await page.get_by_role("button", name="Finish this module").click()
            await expect(page.locator("#error-summary")).to_contain_text("Write a few words for question 1")
            await visits.seen("reflection-error")
        for p in activity.prompts:
            await page.fill(f"#{p.id}", "I will keep my children out of our arguments.")
        await visits.seen()
        await page.get_by_role("button", name="Finish this module").click()
        return
    await visits.seen("quiz" if n == 1 else None)
    first = activity.questions[0]
    if n == 1:  # a wrong answer first: feedback on it, and an error summary
        wrong = next(o for o in first.options if o.id != first.answer)
        await page.check(f"#{first.id}-{wrong.id}")
        for q in activity.questions[1:]:
            await page.check(f"#{q.id}-{q.answer}")
        await page.get_by_role("button", name="Check my answers").click()
        await expect(page.locator("#error-summary")).to_contain_text("Question 1: not quite")
        await expect(page.get_by_text(wrong.feedback)).to_be_visible()
        await expect(page.locator(f"#{first.id}-{wrong.id}")).to_be_checked()
        await visits.seen("quiz-feedback")
    for q in activity.questions:
        await page.check(f"#{q.id}-{q.answer}")
    await page.get_by_role("button", name="Check my answers").click()


async def _sign_out_and_back(page: Page, platform, visits: Visits) -> None:
    """The parent signs out mid-module and comes back by an emailed sign-in link."""
    await page.get_by_role("button", name="Sign out").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("You have signed out")
    await page.goto(f"{platform.hub}/course")
    await expect(page).to_have_url(re.compile(r"/sign-in"))
    await page.get_by_role("button", name="Email me a sign-in link").click()  # nothing entered
    await expect(page.locator("#error-summary")).to_contain_text("Enter your email address")
    await visits.seen("sign-in-error")
    await page.fill("#email", ALEX[2].upper())
    await page.get_by_role("button", name="Email me a sign-in link").click()
    await expect(page.get_by_role("heading", level=1)).to_have_text("Check your email")
    await visits.seen("sign-in-sent")
    link = await platform.link(ALEX[2], "sign-in")
    await page.goto(link)
    await visits.seen("sign-in-link")
    await page.get_by_role("button", name="Sign in").last.click()
    await expect(page).to_have_url(f"{platform.hub}/course")
    await page.get_by_role("button", name="Continue the e-learning").click()


CHECK = {"pl": "Sprawdź moje odpowiedzi", "ur": "میرے جوابات چیک کریں"}
NOT_QUITE = {"pl": "Pytanie 1: nie do końca", "ur": "سوال 1: پوری طرح درست نہیں"}
NEXT = {"pl": "Rozpocznij następny moduł", "ur": "اگلا ماڈیول شروع کریں"}


async def test_polish_and_urdu_parents_see_their_language(start_platform, browser, check):
    # A warning window longer than the sign-in: the time-out warning shows at once.
    async with start_platform(hub={"session_warning_minutes": 24 * 60}) as platform:
        await platform.refer_parents("MA24P00124", "hub-languages-1", CHRIS, OMAR)
        await platform.refer_parents("MA24P00125", "hub-languages-2", NADIA, ALEX)
        for who, other, lang, direction, heading, button in (
            (CHRIS, OMAR, "pl", "ltr", "Mój kurs", "Rozpocznij kurs"),
            (NADIA, ALEX, "ur", "rtl", "میرا کورس", "میرا کورس شروع کریں"),
        ):
            context = await browser.new_context(viewport={"width": 1280, "height": 900})
            page = await context.new_page()
            visits = Visits(page, check, other)
            await page.goto(await platform.link(who[2]))
            if lang == "pl":  # before signing in, the page follows the browser; this parent switches
                await page.get_by_role("link", name="Polski").click()
                await expect(page.locator("html")).to_have_attribute("lang", lang)
                await page.get_by_role("button", name=button).click()
            else:  # this one does not: once signed in, the language of the referral is used
                await expect(page.locator("html")).to_have_attribute("lang", "en")
                await page.get_by_role("button", name="Start my course").click()
            await expect(page.locator("html")).to_have_attribute("lang", lang)
            await expect(page.locator("html")).to_have_attribute("dir", direction)
            await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
            await expect(page.locator("#session-warning")).to_be_visible()  # warned before the sign-in ends
            await expect(page.locator("#session-warning")).to_have_attribute("role", "alert")
            await visits.seen(f"course-{lang}")
            await page.goto(f"{platform.hub}/learning/1/section/1")
            await expect(page.locator("html")).to_have_attribute("dir", direction)
            title = module(1, lang).title
            assert module(1, lang).language == lang, f"module 1 is not translated into {lang}"
            await expect(page.get_by_text(title)).to_be_visible()
            await visits.seen(f"section-{lang}")
            # The quiz in their language: a wrong answer gets its feedback, then the module completes.
            await page.goto(f"{platform.hub}/learning/1/activity")
            quiz = module(1, lang).activity.questions
            wrong = next(o for o in quiz[0].options if o.id != quiz[0].answer)
            await page.check(f"#q1-{wrong.id}")
            await page.get_by_role("button", name=CHECK[lang]).click()
            await expect(page.locator("#error-summary")).to_contain_text(NOT_QUITE[lang])
            await expect(page.get_by_text(wrong.feedback)).to_be_visible()
            await visits.seen(f"quiz-{lang}")
            for q in quiz:
                await page.check(f"#{q.id}-{q.answer}")
            await page.get_by_role("button", name=CHECK[lang]).click()
            await expect(page.get_by_text(module(1, lang).activity.closing)).to_be_visible()
            await expect(page.get_by_role("button", name=NEXT[lang])).to_be_visible()
            await visits.seen(f"module-done-{lang}")
            await context.close()


async def test_pages_for_links_that_no_longer_work(start_platform, browser, check):
    ttl = 8  # seconds a welcome link works here
    async with start_platform(activation_ttl=timedelta(seconds=ttl)) as platform:
        sent = time.monotonic()
        made = await platform.refer_parents("MA24P00126", "hub-links-1", ALEX, CHRIS)
        link = await platform.link(ALEX[2])
        chris_first = await platform.link(CHRIS[2])
        page = await browser.new_page()

        # The FCA sends Chris a new link: the first one now says a newer one was sent.
        chris_id = made["participants"][1]["participant_id"]
        async with httpx.AsyncClient(base_url=platform.learning, headers=FCA) as fca:
            rows = (await fca.get("/enrolments", params={"referral_id": made["id"]})).json()["items"]
            enrolment = next(r for r in rows if r["participant_id"] == chris_id)
            assert (await fca.post(f"/enrolments/{enrolment['enrolment_id']}/activation")).status_code == 201
        await page.goto(chris_first)
        await page.get_by_role("button", name="Start my course").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("A newer link has been sent")
        await Visits(page, check, ALEX).seen("link-replaced")

        # Alex's link, used after it ran out.
        visits = Visits(page, check, CHRIS)
        await asyncio.sleep(max(0.0, ttl + 0.5 - (time.monotonic() - sent)))
        await page.goto(link)
        await page.get_by_role("button", name="Start my course").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("This link has expired")
        await expect(page.get_by_role("link", name="Ask for a sign-in link")).to_be_visible()
        await visits.seen("link-expired")
        await page.goto(f"{platform.hub}/activate?token=not-a-real-token")
        await page.get_by_role("button", name="Start my course").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("We do not recognise this link")
        await visits.seen("link-unknown")
        for path in ("/", "/resources", "/accessibility", "/sign-in"):
            await page.goto(platform.hub + path)
            await visits.seen({"/": "start", "/resources": "resources"}.get(path))

        # A session that is not a parent's (learning has no course for it) is signed out, not a 500.
        staff = await browser.new_context()
        for path in ("/course", "/learning", "/workshop"):
            staff_token = FCA["Authorization"].split()[1]
            session = {"name": "ptfc_session", "value": cookie_for(DEV_HUB_SECRET, staff_token), "url": platform.hub}
            await staff.add_cookies([session])  # the answer before deleted it
            answer = await staff.request.get(platform.hub + path, max_redirects=0)
            assert (answer.status, answer.headers["location"]) == (303, "/sign-in?ended=1"), path
        await page.goto(f"{platform.hub}/no-such-page")
        await expect(page.get_by_role("heading", level=1)).to_have_text("Page not found")
        await visits.seen("page-not-found")


async def test_each_parent_has_their_own_sign_in_limit_and_is_told_to_wait(start_platform):
    # As in production: the ingress names the parent in X-Forwarded-For, the hub passes that on,
    # and learning counts 10 sign-in requests a minute per parent, not per hub.
    async with (
        start_platform(hub={"trusted_proxy_hops": 1}, trusted_proxy_hops=1) as platform,
        httpx.AsyncClient(base_url=platform.hub) as browser,
    ):
        csrf = re.search(r'name="csrf" value="([^"]+)"', (await browser.get("/sign-in")).text).group(1)

        async def ask(address: str, n: int) -> httpx.Response:
            form = {"csrf": csrf, "email": f"parent{n}@example.org"}
            # Post/Redirect/Get: "Check your email" and a refusal are both pages the answer leads to.
            return await browser.post(
                "/sign-in", data=form, headers={"X-Forwarded-For": address}, follow_redirects=True
            )

        for n in range(12):  # twelve parents, each from their own connection
            answer = await ask(f"203.0.113.{n + 1}", n)
            assert answer.status_code == 200 and "Check your email" in answer.text, n
        # One connection asking again and again is held back after 10 (one more may come back while it
        # asks: a try returns every 6 s).
        answers = [await ask("198.51.100.7", 100 + n) for n in range(13)]
        assert [a.status_code for a in answers[:10]] == [200] * 10
        busy = next(a for a in answers[10:] if a.status_code != 200)
        assert busy.status_code == 429 and "too many tries from your connection" in busy.text
        assert "correct format" not in busy.text
        assert (await ask("203.0.113.99", 111)).status_code == 200  # the others are not held back
