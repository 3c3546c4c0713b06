"""Every state of a parent's course (issue 26, "Done when"), reached in Chromium at 390 px on the real
platform, each in English, Polish and Urdu by the page's own language links: what the page says and
offers (the task list's GOV.UK statuses, the one next thing to do), axe with no serious or critical
violation, and a screenshot `var/screenshots/hub/<state>-<lang>.png`.

One platform for the module; learning and workshops share a clock the test moves ("eight days
later"), so four parents walk forward through the states as far as their story goes:
- Alex: invited, not started, in progress, extended, booked, part 1, course complete (certificate);
- Ben, her co-parent: e-learning done (book), missed once, rebooked, missed twice;
- Cara: deadline near, deadline missed, ordered again (a new cycle, the old one's record kept);
- Dee: link lost (a new one by entering his email; the same answer for an unknown address), withdrawn.

Expected words come from the hub's own catalogues (`_`), so the test follows a reworded
translation, and fails on one missing (the Polish or Urdu page would show the English)."""

from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any

import httpx
import pytest
from playwright.async_api import Page, expect
from pypdf import PdfReader

from hub import i18n
from learning.content import passing_answers
from ptfc.clock import MovingClock
from ptfc.testing.plugin import ParentBearer, bearer, eventually
from ptfc.testing.workshops import online_session, session_for

from .conftest import SCREENSHOTS

pytestmark = pytest.mark.timeout(600)

STAFF = bearer("provider", "staff-ann", "family-action")  # Greater Manchester is Family Action's
ANN = bearer("facilitator", "fac-ann", "family-action")
FCA = bearer("cafcass", "fca-sam-patel")
PHONE = {"width": 390, "height": 844}
LANGS = ("en", "pl", "ur")
SHOTS = SCREENSHOTS / "hub"

ALEX = ("Alex", "Jones", "alex.states@example.org", "07700900031", "en", "female")
BEN = ("Ben", "Okafor", "ben.states@example.org", "07700900035", "pl", "male")
CARA = ("Cara", "Khan", "cara.states@example.org", "07700900036", "ur", "female")
DEE = ("Dee", "Walsh", "dee.states@example.org", "07700900037", "en", "male")
CERTIFICATE = {"en": "Certificate of completion", "pl": "Zaświadczenie o ukończeniu kursu", "ur": "تکمیل کا سرٹیفکیٹ"}

# The pages' longer sentences (msgids, translated by `words`).
COURT_AGAIN = "If you do not complete the course, we must tell the court, and the court can order you to do it again."
SENT_AGAIN = (
    "If you have not started your course yet, we have sent your welcome link again instead. It works for 72 hours."
)
ONE_MORE = (
    "You can book one more workshop. If you miss that one too, "
    "we must tell the court and your family court adviser (FCA)."
)
ONE_REBOOKING = (
    "This is your one rebooking. If you miss this workshop, we must tell the court and your family court adviser (FCA)."
)

Check = Callable[[Page, Callable[[str], str]], Awaitable[None]]


def words(lang: str) -> Callable[[str], str]:
    """The hub's catalogue for `lang`; a msgid with no translation fails here, not on a screenshot."""
    gettext = i18n.translations(lang).gettext

    def _(msgid: str) -> str:
        said = gettext(msgid)
        assert lang == "en" or said != msgid, f"untranslated in {lang}: {msgid!r}"
        return said

    return _


async def in_every_language(page: Page, state: str, check: Check, axe: Any) -> None:
    """The page as it is, switched to each language by its own link: checked, axe-clean, photographed."""
    for lang in LANGS:
        current = await page.locator("html").get_attribute("lang")
        if current != lang:
            await page.locator(f"nav.language-switcher a[hreflang={lang}]").click()
            await expect(page.locator("html")).to_have_attribute("lang", lang)
        await check(page, words(lang))
        await fits(page, state, lang)
        await axe.axe_ok(page)
        SHOTS.mkdir(parents=True, exist_ok=True)
        await page.screenshot(path=str(SHOTS / f"{state}-{lang}.png"), full_page=True)


async def fits(page: Page, state: str, lang: str) -> None:
    """Nothing wider than the 390 px phone: no sideways scrolling, no word running off the screen."""
    wide = await page.evaluate(
        """() => [...document.querySelectorAll('main *')]
              .filter(e => e.getBoundingClientRect().right > document.documentElement.clientWidth + 1
                        || e.scrollWidth > e.clientWidth + 1 && getComputedStyle(e).overflowX === 'visible'
                           && e.clientWidth > 0 && !['svg','path'].includes(e.tagName.toLowerCase()))
              .map(e => e.tagName + ' ' + (e.id || e.className) + ': ' + e.textContent.trim().slice(0, 40))
              .slice(0, 5)"""
    )
    assert not wide, f"{state}-{lang}: wider than the phone: {wide}"


async def statuses(page: Page, _: Callable[[str], str], learning: str, workshop: str, plan: str) -> None:
    await expect(page.locator("#part-1-status")).to_have_text(_(learning))
    await expect(page.locator("#part-2-status")).to_have_text(_(workshop))
    await expect(page.locator("#part-3-status")).to_have_text(_(plan))


async def open_course(page: Page, hub: str) -> None:
    """My course, in English to begin with (`in_every_language` switches from there)."""
    await page.goto(f"{hub}/course?lang=en")
    await expect(page).to_have_url(f"{hub}/course?lang=en")


class Staff:
    """The services' APIs as staff (and a parent's own, with a test token) call them."""

    def __init__(self, platform: Any, clock: MovingClock) -> None:
        self.p, self.clock, self.http = platform, clock, httpx.AsyncClient(timeout=30)

    async def course(self, pid: str) -> dict:
        return (await self.http.get(f"{self.p.learning}/me/course", headers=ParentBearer(pid))).json()

    async def modules(self, pid: str, numbers: range) -> None:
        for n in numbers:
            url = f"{self.p.learning}/me/modules/{n}/complete"
            done = await self.http.post(url, json={"answers": passing_answers(n)}, headers=ParentBearer(pid))
            assert done.status_code == 200, done.text

    async def session(self, pid: str, pair: list[str], days: float, lang: str) -> tuple[str, dict]:
        """A new session in `pid`'s half, at 10:00 on the first day at least `days` from the (moved)
        clock, in `lang`: never nearer than `days`, so it stays bookable whatever the time of day
        the test runs (1.5 days from 22:00 at 10:00 was 12 hours nearer, inside the one-day cutoff)."""
        at = self.clock.now() + timedelta(days=days)
        start = at.replace(hour=10, minute=0, second=0, microsecond=0)
        start += timedelta(days=1) if start < at else timedelta()
        body = online_session(start, f"https://video.example/{pid[:8]}") | {
            "capacity": 6,
            "language": lang,
            "interpreters": [],
        }
        return await session_for(self.http, self.p.workshops, STAFF, pid, pair, lambda _: body), body

    async def book(self, pid: str, sid: str) -> None:
        async def booked() -> bool:
            url = f"{self.p.workshops}/me/booking"
            await self.http.post(url, json={"session_id": sid}, headers=ParentBearer(pid))
            answer = await self.http.get(url, headers=ParentBearer(pid))
            return answer.status_code == 200 and answer.json()["session"]["id"] == sid

        await eventually(booked, timeout=30)

    async def mark(self, sid: str, pid: str, part: int, status: str) -> None:
        body = {"participant_id": pid, "part": part, "status": status}
        answer = await self.http.post(f"{self.p.workshops}/sessions/{sid}/attendance", json=body, headers=ANN)
        assert answer.status_code == 200, answer.text

    def after(self, body: dict, hours: float) -> None:
        """Moves the clock to `hours` after the session's first part starts."""
        starts = datetime.fromisoformat(body["parts"][0]["starts_at"])
        self.clock.advance(starts + timedelta(hours=hours) - self.clock.now())


async def sign_in_with_welcome(browser: Any, platform: Any, email: str, count: int = 1) -> Page:
    page = await (await browser.new_context(viewport=PHONE, locale="en-GB")).new_page()
    await page.goto(await platform.link(email, count=count))
    await page.locator("main form button").click()
    await expect(page).to_have_url(f"{platform.hub}/course")
    return page


async def test_every_state_of_a_course_in_three_languages(start_platform, browser, check):
    clock = MovingClock()
    # Sessions long enough for the days the clock is moved; learning and workshops on one clock.
    # The hub refreshes a token only in its last 5 seconds, so a withdrawn parent's page can be read in
    # three languages within the minute his last token lives (then he is signed out).
    async with start_platform(
        hub={"session_refresh_margin": timedelta(seconds=5)},
        workshops_clock=clock,
        learning_clock=clock,
        parent_session_ttl=timedelta(days=40),
    ) as platform:
        hub = platform.hub
        staff = Staff(platform, clock)
        made = await platform.refer_parents("MA24P00190", "hub-every-state-1", ALEX, BEN)
        alex_id, ben_id = (p["participant_id"] for p in made["participants"])
        pair = [alex_id, ben_id]
        cara_referral = await platform.refer_parents("MA24P00191", "hub-every-state-2", CARA)
        cara_id = cara_referral["participants"][0]["participant_id"]
        dee_referral = await platform.refer_parents("MA24P00192", "hub-every-state-3", DEE)
        dee_id = dee_referral["participants"][0]["participant_id"]
        cara = await sign_in_with_welcome(browser, platform, CARA[2])  # a welcome link lasts 72 hours
        await staff.modules(cara_id, range(1, 3))

        # ---- invited: the welcome link opens a page with one button, which uses it.
        alex = await (await browser.new_context(viewport=PHONE, locale="en-GB")).new_page()
        await alex.goto(await platform.link(ALEX[2]))

        async def invited(page: Page, _) -> None:
            await expect(page.get_by_role("heading", level=1)).to_have_text(_("Welcome to the Parent Hub"))
            await expect(page.get_by_role("button", name=_("Start my course"))).to_be_visible()

        await in_every_language(alex, "invited", invited, check)
        await alex.locator("main form button").click()
        await expect(alex).to_have_url(f"{hub}/course")

        # ---- e-learning not started: "Start the e-learning"; the workshop cannot start yet.
        async def not_started(page: Page, _) -> None:
            await statuses(page, _, "Not started", "Cannot start yet", "Not started")
            await expect(page.get_by_role("button", name=_("Start the e-learning"))).to_be_visible()
            assert await page.get_by_role("button", name=_("Continue the e-learning")).count() == 0  # nothing begun
            await expect(page.locator("main")).to_contain_text(_(COURT_AGAIN))

        await in_every_language(alex, "not-started", not_started, check)

        # ---- in progress: one module done.
        await staff.modules(alex_id, range(1, 2))
        await open_course(alex, hub)

        async def in_progress(page: Page, _) -> None:
            await statuses(page, _, "In progress", "Cannot start yet", "Not started")
            await expect(page.get_by_role("button", name=_("Continue the e-learning"))).to_be_visible()

        await in_every_language(alex, "in-progress", in_progress, check)

        # ---- extended: the FCA gives Alex five more days.
        enrolment = (await staff.course(alex_id))["enrolment_id"]
        more = {"days": 5, "reason": "The parent was in hospital."}
        url = f"{platform.learning}/enrolments/{enrolment}/extensions"
        assert (await staff.http.post(url, json=more, headers=FCA)).status_code == 201
        await open_course(alex, hub)

        async def extended(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_have_text(
                _("Your family court adviser (FCA) has given you more time. The date above is your new deadline.")
            )
            await statuses(page, _, "In progress", "Cannot start yet", "Not started")

        await in_every_language(alex, "extended", extended, check)

        # ---- link lost: Dee never used his welcome link and cannot find it. He enters his email
        # and the welcome link is sent again; an address nobody has gets the very same page.
        dee = await (await browser.new_context(viewport=PHONE, locale="en-GB")).new_page()
        await dee.goto(f"{hub}/sign-in")

        async def sign_in(page: Page, _) -> None:
            await expect(page.get_by_role("heading", level=1)).to_be_visible()
            await expect(page.locator("main input[name=email]")).to_be_visible()

        await in_every_language(dee, "link-lost", sign_in, check)
        await dee.goto(f"{hub}/sign-in?lang=en")
        await dee.locator("main input[name=email]").fill(DEE[2])
        await dee.locator("main form button").click()
        await expect(dee).to_have_url(f"{hub}/sign-in/sent")
        known = await dee.locator("main").inner_text()

        async def sent(page: Page, _) -> None:
            await expect(page.locator("main")).to_contain_text(_(SENT_AGAIN))

        await in_every_language(dee, "link-sent", sent, check)
        stranger = await (await browser.new_context(viewport=PHONE, locale="en-GB")).new_page()
        await stranger.goto(f"{hub}/sign-in?lang=en")
        await stranger.locator("main input[name=email]").fill("nobody.states@example.org")
        await stranger.locator("main form button").click()
        await expect(stranger).to_have_url(f"{hub}/sign-in/sent")
        assert await stranger.locator("main").inner_text() == known  # the same answer, known or not
        await stranger.context.close()
        await platform.link(DEE[2], count=2)  # the welcome link again, to the address on file
        assert platform.mailbox.to("nobody.states@example.org") == []
        await dee.context.close()
        dee = await sign_in_with_welcome(browser, platform, DEE[2], count=2)

        # ---- e-learning done: book a workshop (Ben, who reads Polish).
        await staff.modules(ben_id, range(1, 9))
        ben = await sign_in_with_welcome(browser, platform, BEN[2])

        async def book(page: Page, _) -> None:
            await statuses(page, _, "Completed", "Not started", "Not started")
            await expect(page.locator("main")).to_contain_text(
                _("You have finished the e-learning. Now book your group workshop.")
            )
            await expect(page.get_by_role("button", name=_("Book a workshop"))).to_be_visible()

        await in_every_language(ben, "book", book, check)

        # ---- booked (Ben), and Alex finishes and books hers (never the same session: co-parents).
        ben_first, ben_first_body = await staff.session(ben_id, pair, 1.5, "pl")
        await staff.book(ben_id, ben_first)
        await staff.modules(alex_id, range(2, 9))
        await open_course(ben, hub)

        async def booked(page: Page, _) -> None:
            await statuses(page, _, "Completed", "In progress", "Not started")
            await expect(page.get_by_role("link", name=_("Your booking"))).to_be_visible()
            await expect(page.get_by_role("button", name=_("Parenting plan"))).to_be_visible()

        await in_every_language(ben, "booked", booked, check)

        # ---- part 1 attended (Ben's first session: part 1 attended, part 2 still to come).
        staff.after(ben_first_body, 1.5)
        await staff.mark(ben_first, ben_id, 1, "attended")
        await open_course(ben, hub)

        async def part1(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_contain_text(_("You have done part 1 of your workshop."))
            await statuses(page, _, "Completed", "In progress", "Not started")
            await expect(page.locator("main")).to_contain_text(_("Part 1 done."))

        await in_every_language(ben, "part1-attended", part1, check)

        # ---- missed once: Ben leaves part 2 early; the session closes (12 hours after): one rebooking left.
        await staff.mark(ben_first, ben_id, 2, "left_early")
        staff.after(ben_first_body, 3 + 13)

        async def missed() -> bool:
            await open_course(ben, hub)
            return await ben.get_by_text(words("en")("You missed your workshop.")).count() > 0

        await eventually(missed, timeout=30)

        async def missed_once(page: Page, _) -> None:
            state = page.locator("#course-state")
            await expect(state).to_contain_text(_("You missed your workshop."))
            await expect(state).to_contain_text(_(ONE_MORE))
            await expect(page.get_by_role("button", name=_("Book a workshop"))).to_be_visible()
            await statuses(page, _, "Completed", "In progress", "Not started")

        await in_every_language(ben, "missed-once", missed_once, check)

        # ---- rebooked (Ben's one rebooking) and Alex booked on another day.
        ben_second, ben_second_body = await staff.session(ben_id, pair, 1.5, "pl")
        await staff.book(ben_id, ben_second)
        alex_session, alex_body = await staff.session(alex_id, pair, 1.5, "en")
        await staff.book(alex_id, alex_session)
        await open_course(ben, hub)

        async def rebooked(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_have_text(_(ONE_REBOOKING))
            await statuses(page, _, "Completed", "In progress", "Not started")

        await in_every_language(ben, "rebooked", rebooked, check)

        # ---- both sessions run: Ben misses again (the court is told), Alex attends both parts.
        staff.after(ben_second_body, 3)
        for part in (1, 2):
            await staff.mark(ben_second, ben_id, part, "missed")
        staff.after(alex_body, 3)
        for part in (1, 2):
            await staff.mark(alex_session, alex_id, part, "attended")
        clock.advance(timedelta(hours=13))

        async def twice() -> bool:
            await open_course(ben, hub)
            return words("en")("You missed two workshops") in await ben.locator("main").inner_text()

        await eventually(twice, timeout=30)

        async def missed_twice(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_have_text(
                _(
                    "You missed two workshops, so we have told the court and your family court adviser (FCA). They "
                    "will decide what happens next: the court can order the course again. Your FCA can tell you more."
                )
            )
            assert await page.get_by_role("button", name=_("Book a workshop")).count() == 0
            await statuses(page, _, "Completed", "Not completed", "Not started")

        await in_every_language(ben, "missed-twice", missed_twice, check)

        # ---- course complete (Alex): the confirmation panel, the certificate in each language.
        async def done() -> bool:
            await open_course(alex, hub)
            return await alex.locator("#course-complete").count() > 0

        await eventually(done, timeout=30)

        async def complete(page: Page, _) -> None:
            lang = await page.locator("html").get_attribute("lang")
            panel = page.locator("#course-complete")
            await expect(panel.get_by_role("heading")).to_have_text(_("Course complete"))
            await expect(panel).to_contain_text(_("You finished the course on %(day)s.").split("%(day)s")[0].strip())
            await statuses(page, _, "Completed", "Completed", "Not started")
            await expect(page.get_by_role("heading", name=_("What happens next"))).to_be_visible()
            assert await page.get_by_role("button", name=_("Book a workshop")).count() == 0
            async with page.expect_download() as download:
                await page.get_by_role("button", name=_("Download your certificate (PDF)")).click()
            pdf = PdfReader(await (await download.value).path())
            text = " ".join(p.extract_text() for p in pdf.pages)
            assert CERTIFICATE[lang] in text and "Alex Jones" in text and "Okafor" not in text

        await in_every_language(alex, "complete", complete, check)
        await alex.goto(f"{hub}/workshop")

        async def workshop_attended(page: Page, _) -> None:
            await expect(page.locator("#workshop-state")).to_contain_text(_("You have attended your workshop"))
            assert await page.locator("input[name=session_id]").count() == 0

        await in_every_language(alex, "workshop-attended", workshop_attended, check)

        # ---- withdrawn (Dee): the course page says nothing more is needed (for the minute his last
        # token lasts: then he is signed out, as after any ended sign-in).
        await open_course(dee, hub)  # a fresh token: a withdrawal ends the sign-in at its next refresh
        withdraw = f"{platform.referrals}/referrals/{dee_referral['id']}/withdraw"
        answer = await staff.http.post(withdraw, json={"reason": "The court discharged the order."}, headers=FCA)
        assert answer.status_code == 200, answer.text

        async def gone() -> bool:
            return (await staff.course(dee_id)).get("withdrawn") is True

        await eventually(gone, timeout=30)

        async def withdrawn(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_have_text(
                _(
                    "The referral for this course was withdrawn, so nothing more is needed from you. Your FCA can "
                    "tell you more."
                )
            )
            await statuses(page, _, "Not needed", "Not needed", "Not started")
            assert await page.locator("main .task-list a[href='/learning']").count() == 0  # a closed course: no task

        await open_course(dee, hub)
        await in_every_language(dee, "withdrawn", withdrawn, check)

        # ---- deadline near (Cara, two days or less left) and missed (the court and FCA told).
        deadline = (await staff.course(cara_id))["deadline"]
        clock.advance(datetime.fromisoformat(deadline) - timedelta(days=1, hours=12) - clock.now())
        await open_course(cara, hub)

        async def near(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_have_text(_("Your deadline is near."))
            await statuses(page, _, "In progress", "Cannot start yet", "Not started")
            await expect(page.locator("main")).to_contain_text(_(COURT_AGAIN))

        await in_every_language(cara, "deadline-near", near, check)
        clock.advance(timedelta(days=2))

        async def closed() -> bool:
            return (await staff.course(cara_id))["status"] != "active"

        await eventually(closed, timeout=30)
        await open_course(cara, hub)

        async def deadline_missed(page: Page, _) -> None:
            await expect(page.locator("#course-state")).to_contain_text(
                _(
                    "The deadline for the e-learning has passed, so we have told the court and your family court "
                    "adviser (FCA). They will decide what happens next: the court can order the course again. "
                    "Please contact your FCA or your course provider."
                )
            )
            assert await page.get_by_role("button", name=_("Continue the e-learning")).count() == 0
            await statuses(page, _, "Not completed", "Cannot start yet", "Not started")

        await in_every_language(cara, "deadline-missed", deadline_missed, check)

        # ---- ordered again: a new cycle, a new welcome letter; the old cycle's record kept and shown.
        url = f"{platform.referrals}/referrals/{cara_referral['id']}/participants/{cara_id}/reorder"
        again = await staff.http.post(url, json={"reason": "Ordered again at the hearing."}, headers=FCA)
        assert again.status_code == 200, again.text
        await cara.context.close()
        cara = await sign_in_with_welcome(browser, platform, CARA[2], count=2)

        async def reordered(page: Page, _) -> None:
            await expect(page.locator("#course-reordered")).to_contain_text(
                _(
                    "The court has ordered the course again, so this is a new course. What you did before stays on "
                    "record."
                )
            )
            await expect(page.locator("#earlier-courses")).to_contain_text(_("Deadline missed"))
            await statuses(page, _, "Not started", "Cannot start yet", "Not started")

        await in_every_language(cara, "reordered", reordered, check)

        await staff.http.aclose()
