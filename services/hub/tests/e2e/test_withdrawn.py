"""A withdrawn parent (issue 26): the course page offers no task to do, and once signed out (a withdrawal
ends the sign-in), asking for a link by email brings a letter that the course is closed, never a link; the
page answers exactly as for an address nobody has. The referral is withdrawn whole: each parent is told of
their own course, in their own language, and nothing of the other."""

from datetime import timedelta

import httpx
from playwright.async_api import Page, expect

from ptfc.testing.plugin import ParentBearer, bearer, eventually

MIA = ("Mia", "Clarke", "mia.withdrawn@example.org", "07700900041", "en", "female")
PIOTR = ("Piotr", "Nowak", "piotr.withdrawn@example.org", "07700900042", "pl", "male")
CLOSED = {"en": "Your Planning Together for Children course is closed", "pl": "został zamknięty"}


async def ask_for_a_link(browser, hub: str, email: str) -> str:
    """The sign-in page, signed out, as anyone can use it: what it answers."""
    page = await (await browser.new_context(locale="en-GB")).new_page()
    await page.goto(f"{hub}/sign-in?lang=en")
    await page.locator("main input[name=email]").fill(email)
    await page.locator("main form button").click()
    await expect(page).to_have_url(f"{hub}/sign-in/sent")
    said = await page.locator("main").inner_text()
    await page.context.close()
    return said


async def test_a_withdrawn_parent_who_asks_for_a_link_gets_a_letter_not_a_link(start_platform, browser, check):
    # The hub refreshes a token only in its last 5 seconds: the withdrawn course page is read within
    # the minute the last token lives.
    async with start_platform(hub={"session_refresh_margin": timedelta(seconds=5)}) as platform:
        hub = platform.hub
        referral = await platform.refer_parents("MA24P00193", "hub-withdrawn-1", MIA, PIOTR)
        page: Page = await (await browser.new_context(locale="en-GB")).new_page()
        await page.goto(await platform.link(MIA[2]))
        await page.locator("main form button").click()
        await expect(page).to_have_url(f"{hub}/course")
        await expect(page.get_by_role("link", name="1. E-learning")).to_be_visible()

        async with httpx.AsyncClient(headers=bearer("cafcass", "fca-sam-patel"), timeout=30) as fca:
            withdrawn = await fca.post(
                f"{platform.referrals}/referrals/{referral['id']}/withdraw", json={"reason": "Order discharged."}
            )
            assert withdrawn.status_code == 200, withdrawn.text
        mia_id = referral["participants"][0]["participant_id"]

        async def gone() -> bool:
            async with httpx.AsyncClient(headers=ParentBearer(mia_id), timeout=30) as mia:
                return (await mia.get(f"{platform.learning}/me/course")).json().get("withdrawn") is True

        await eventually(gone, timeout=30)
        await page.goto(f"{hub}/course?lang=en")
        await expect(page.locator("#course-state")).to_contain_text("withdrawn")
        # A closed course offers no task: neither the e-learning nor the workshop is a link.
        assert await page.get_by_role("link", name="1. E-learning").count() == 0
        assert await page.get_by_role("link", name="2. Group workshop").count() == 0
        # Nor the menu, for the minute before the withdrawal signs the parent out.
        assert await page.locator("header a[href='/learning'], header a[href='/workshop']").count() == 0
        await expect(page.locator("header a[href='/plan']")).to_be_visible()
        await check.axe_ok(page)

        answers = {email: await ask_for_a_link(browser, hub, email) for email in (MIA[2], PIOTR[2])}
        stranger = await ask_for_a_link(browser, hub, "nobody.withdrawn@example.org")
        assert set(answers.values()) == {stranger}  # withdrawn or unknown: the same page
        assert "If your course has been closed, we have sent an email saying so instead of a link." in stranger

        for (given, family, email, _, lang, _), other in ((MIA, PIOTR), (PIOTR, MIA)):

            async def told(email: str = email, lang: str = lang) -> list[str]:
                return [m for m in platform.mail_to(email) if CLOSED[lang] in m]

            [letter] = await eventually(told, timeout=30)
            assert f"{hub}/sign-in?token=" not in letter and "/activate?token=" not in letter
            assert given in letter and other[0] not in letter and other[1] not in letter and other[2] not in letter
            assert "Sam Patel" not in letter and "sam.patel@" not in letter  # whom to ask, no one named
        assert platform.mailbox.to("nobody.withdrawn@example.org") == []
        # The welcome letters were the only links ever sent.
        for email in (MIA[2], PIOTR[2]):
            links = [m for m in platform.mail_to(email) if "?token=" in m]
            assert len(links) == 1, email
        await page.context.close()
