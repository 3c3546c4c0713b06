"""A parent whose e-learning deadline passed (issue 26): the court and the FCA were told, but they are
still a parent of the referral, with a state to read and a plan to use. Asking for a link at /sign-in
brings one (also to a parent who never used the welcome letter), and it opens My course at the
deadline-missed state, read only: no e-learning task, no module to open, the plan still there."""

from datetime import timedelta

import httpx
from playwright.async_api import Page, expect

from hub import i18n
from ptfc.clock import MovingClock
from ptfc.testing.plugin import ParentBearer, eventually

from .test_withdrawn import ask_for_a_link

NORA = ("Nora", "Hughes", "nora.missed@example.org", "07700900051", "en", "female")
PAWEL = ("Paweł", "Zieliński", "pawel.missed@example.org", "07700900052", "pl", "male")
MISSED = (
    "The deadline for the e-learning has passed, so we have told the court and your family court adviser (FCA). "
    "They will decide what happens next: the court can order the course again. Please contact your FCA or your "
    "course provider."
)


async def test_a_parent_whose_deadline_passed_signs_in_and_sees_where_they_stand(start_platform, browser, check):
    clock = MovingClock()
    async with start_platform(learning_clock=clock) as platform:
        hub = platform.hub
        referral = await platform.refer_parents("MA24P00194", "hub-missed-1", NORA, PAWEL)
        first = await (await browser.new_context(locale="en-GB")).new_page()
        await first.goto(await platform.link(NORA[2]))  # Nora starts; Paweł never does
        await first.locator("main form button").click()
        await expect(first).to_have_url(f"{hub}/course")
        await first.context.close()

        clock.advance(timedelta(days=10, hours=1))
        ids = [p["participant_id"] for p in referral["participants"]]

        async def missed() -> bool:
            async with httpx.AsyncClient(timeout=30) as http:
                answers = [await http.get(f"{platform.learning}/me/course", headers=ParentBearer(i)) for i in ids]
            return all(a.json()["status"] == "missed" for a in answers)

        await eventually(missed, timeout=30)

        for given, _, email, _, lang, _ in (NORA, PAWEL):
            said = await ask_for_a_link(browser, hub, email)
            assert said == await ask_for_a_link(browser, hub, "nobody.missed@example.org")  # the same page
            page: Page = await (await browser.new_context(locale="en-GB")).new_page()
            await page.goto(await platform.link(email, page="sign-in"))
            await page.locator("main form button").click()
            await expect(page).to_have_url(f"{hub}/course")
            _ = i18n.translations(lang).gettext
            await expect(page.locator("html")).to_have_attribute("lang", lang)  # the parent's language
            await expect(page.locator("#course-state")).to_have_text(_(MISSED))
            await expect(page.locator("#part-1-status")).to_have_text(_("Not completed"))
            # Read only: no e-learning task, nothing to continue; the plan is still theirs to use.
            assert await page.locator("main a[href='/learning']").count() == 0
            assert await page.locator("main a[href^='/learning/']").count() == 0
            await expect(page.locator("main a[href='/plan']")).to_be_visible()
            await check.axe_ok(page)
            await check.shoot(page, f"deadline-missed-signed-in-{lang}")

            await page.goto(f"{hub}/learning")  # typed in: what was done, no module to open
            await expect(page.locator("#learning-closed")).to_be_visible()
            assert await page.locator("main a[href^='/learning/']").count() == 0
            await page.context.close()
        for _, _, email, *_ in (NORA, PAWEL):
            assert len([m for m in platform.mail_to(email) if f"{hub}/sign-in?token=" in m]) == 1, email
