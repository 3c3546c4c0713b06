"""What the programme promises, on the pages where a parent needs it, in English, Polish and Urdu
(issue 26): the workshop's two halves, that children may not come, confidentiality and its limit;
Wales to Cafcass Cymru on the start page; resources for children. Axe-checked, screenshots at 390 px."""

import pytest
from playwright.async_api import expect

from hub import i18n

ALEX = ("Alex", "Jones", "alex.facts@example.org", "07700900021", "en", "female")
BEN = ("Ben", "Okafor", "ben.facts@example.org", "07700900025", "en", "male")
PHONE = {"width": 390, "height": 844}

WORKSHOP = {
    "en": ("Part 1: separation", "Part 2: managing conflict", "Children may not come", "unless someone's safety"),
    "pl": ("Część 1: rozstanie", "Część 2: radzenie sobie z konfliktem", "Dzieci nie mogą", "chyba że czyjeś"),
    "ur": ("حصہ 1: علیحدگی", "حصہ 2: جھگڑے کو سنبھالنا", "بچے ورکشاپ میں نہیں آ سکتے", "کسی کی حفاظت خطرے میں"),
}
WALES = {"en": "Parents in Wales", "pl": "Rodzice w Walii", "ur": "ویلز میں رہنے والے والدین"}
CHILDREN = {"en": "For your children", "pl": "Dla Państwa dzieci", "ur": "آپ کے بچوں کے لیے"}
# Whole sentences from the hub's catalogue, each translated (a missing translation fails here).
CONFIDENTIAL = (
    "What is said in the workshop is confidential, unless someone's safety is at risk. Then the trainer must pass "
    "it on to your family court adviser (FCA) and will contact the parents about it."
)
FOR_CHILDREN = (
    "Family Justice Young People's Board: top tips",
    "\u201cMy family\u2019s changing\u201d and a children\u2019s guide to court",  # as the catalogue has it
    "Childline",
)


def said(lang: str, msgid: str) -> str:
    words = i18n.translations(lang).gettext(msgid)
    assert lang == "en" or words != msgid or msgid == "Childline", f"untranslated in {lang}: {msgid!r}"
    return words


@pytest.mark.parametrize("lang", ["en", "pl", "ur"])
async def test_the_programme_facts_are_where_a_parent_needs_them(start_platform, browser, check, lang):
    async with start_platform() as platform:
        page = await (await browser.new_context(viewport=PHONE)).new_page()
        await page.goto(f"{platform.hub}/?lang={lang}")
        await expect(page.locator("#wales")).to_have_text(WALES[lang])
        await expect(page.get_by_role("link", name="Cafcass Cymru")).to_have_attribute(
            "href", "https://www.gov.wales/cafcass-cymru"
        )
        await check.axe_ok(page)
        await check.shoot(page, f"start-{lang}")

        await page.goto(f"{platform.hub}/resources?lang={lang}")
        await expect(page.locator("#for-children")).to_have_text(CHILDREN[lang])
        for name in FOR_CHILDREN:  # top tips, "My family's changing", the children's guide to court, Childline
            await expect(page.get_by_role("link", name=said(lang, name), exact=True)).to_be_visible()
        await check.axe_ok(page)
        await check.shoot(page, f"resources-children-{lang}")

        await platform.refer_parents(
            "MA24P0018" + {"en": "1", "pl": "2", "ur": "3"}[lang], f"hub-facts-{lang}", ALEX, BEN
        )
        await page.goto(await platform.link(ALEX[2]))
        await page.locator("main form button").first.click()  # "Start my course", in the page's language
        await expect(page).to_have_url(f"{platform.hub}/course")
        await page.goto(f"{platform.hub}/workshop?lang={lang}")
        for words in WORKSHOP[lang]:
            await expect(page.locator("main")).to_contain_text(words)
        # The limit of confidentiality, and that the trainer then contacts the parents.
        await expect(page.locator("main")).to_contain_text(said(lang, CONFIDENTIAL))
        await check.axe_ok(page)
        await check.shoot(page, f"workshop-facts-{lang}")
