"""A parent who switches language in the middle of a module reads all of it in the new language
(issue 26: the quiz's feedback came in the referral's language, one Urdu sentence on an English page)."""

from playwright.async_api import expect

from learning.content import module

NADIA = ("Nadia", "Hussain", "nadia@example.org", "07700900003", "ur", "female")
OMAR = ("Omar", "Hussain", "omar@example.org", "07700900004", "en", "male")


async def test_the_quiz_answers_in_the_language_the_parent_switched_to(start_platform, browser, check):
    async with start_platform() as platform:
        await platform.refer_parents("MA24P00192", "hub-language-switch", NADIA, OMAR)
        page = await (await browser.new_context(viewport={"width": 390, "height": 844})).new_page()
        await page.goto(await platform.link(NADIA[2]))
        await page.get_by_role("button", name="Start my course").click()
        await expect(page.locator("html")).to_have_attribute("lang", "ur")
        await page.goto(f"{platform.hub}/learning/1/section/1")
        await page.get_by_role("link", name="English").click()  # mid-module, to English
        await expect(page.locator("html")).to_have_attribute("lang", "en")

        await page.goto(f"{platform.hub}/learning/1/activity")
        quiz, urdu = module(1, "en").activity, module(1, "ur").activity
        wrong = next(o for o in quiz.questions[0].options if o.id != quiz.questions[0].answer)
        await page.check(f"#q1-{wrong.id}")
        await page.get_by_role("button", name="Check my answers").click()
        await expect(page.get_by_text(wrong.feedback)).to_be_visible()
        urdu_feedback = next(o for o in urdu.questions[0].options if o.id == wrong.id).feedback
        assert urdu_feedback not in await page.content()
        await check.axe_ok(page)

        for q in quiz.questions:
            await page.check(f"#{q.id}-{q.answer}")
        await page.get_by_role("button", name="Check my answers").click()
        await expect(page.get_by_text(quiz.closing)).to_be_visible()
        assert urdu.closing not in await page.content()
        await check.shoot(page, "language-switched-module-done")
