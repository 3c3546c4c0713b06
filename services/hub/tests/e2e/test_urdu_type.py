"""Urdu as its readers expect it: set in Nastaliq (the hub's own copy of Noto Nastaliq Urdu, allowed by
the CSP as font-src 'self'), with room between lines, on a module page at 390 px (issue 26: the lines
touched)."""

from playwright.async_api import expect

from learning.content import module

NADIA = ("Nadia", "Hussain", "nadia@example.org", "07700900003", "ur", "female")
OMAR = ("Omar", "Hussain", "omar@example.org", "07700900004", "en", "male")

# For every block of Urdu text: the height its letters' ink takes (the highest ascent and the deepest
# descent of its words, measured in the face and size the block is set in) against its line height. If
# the ink is taller than a line, one line's tails meet the next line's marks.
INK = """async () => {
  await document.fonts.ready;
  const canvas = document.createElement('canvas').getContext('2d');
  return [...document.querySelectorAll('main h1, main h2, main p, main li, main .button')]
    .filter(el => /[\\u0600-\\u06ff]/.test(el.textContent))
    .map(el => {
      const style = getComputedStyle(el);
      canvas.font = `${style.fontWeight} ${style.fontSize} ${style.fontFamily}`;
      const ink = canvas.measureText(el.textContent.trim());
      return {text: el.textContent.trim().slice(0, 40), line: parseFloat(style.lineHeight),
              ink: ink.actualBoundingBoxAscent + ink.actualBoundingBoxDescent, family: style.fontFamily};
    });
}"""


async def test_urdu_is_set_in_nastaliq_with_lines_apart(start_platform, browser, check):
    async with start_platform() as platform:
        await platform.refer_parents("MA24P00191", "hub-urdu-type", NADIA, OMAR)
        context = await browser.new_context(viewport={"width": 390, "height": 844})
        page = await context.new_page()
        fonts = []
        page.on("response", lambda r: fonts.append(r) if "/static/fonts/" in r.url else None)
        await page.goto(await platform.link(NADIA[2]))
        await page.get_by_role("button", name="Start my course").click()
        await expect(page.locator("html")).to_have_attribute("lang", "ur")

        answer = await page.goto(f"{platform.hub}/learning/1/section/1")
        assert "font-src 'self'" in answer.headers["content-security-policy"]
        await expect(page.get_by_text(module(1, "ur").sections[0].heading)).to_be_visible()
        blocks = await page.evaluate(INK)
        assert len(blocks) >= 3
        loaded = await page.evaluate("[...document.fonts].filter(f => f.status === 'loaded').map(f => f.family)")
        assert '"PTfC Nastaliq"' in loaded or "PTfC Nastaliq" in loaded, loaded
        served = [r for r in fonts if r.ok]
        assert served and all(r.headers["content-type"] == "font/woff2" for r in served), fonts
        for block in blocks:
            assert block["family"].startswith('"PTfC Nastaliq"'), block
            assert block["ink"] < block["line"], f"lines touch: {block}"
        await check.axe_ok(page)
        await check.shoot(page, "urdu-module-section")

        # The same page in English keeps the system face.
        await page.goto(f"{platform.hub}/learning/1?lang=en")
        await expect(page.locator("html")).to_have_attribute("lang", "en")
        family = await page.evaluate("getComputedStyle(document.body).fontFamily")
        assert "Nastaliq" not in family
        await page.goto(f"{platform.hub}/learning/1?lang=ur")
        await check.shoot(page, "urdu-module-start")
        await context.close()


# Where each language link's letters stand: a zero-size box put on its baseline, measured.
BASELINES = """async () => {
  await document.fonts.ready;
  return [...document.querySelectorAll('nav.language-switcher li > *')].map(el => {
    const probe = document.createElement('span');
    probe.style.cssText = 'display:inline-block;width:0;height:0;vertical-align:baseline';
    el.appendChild(probe);
    const y = probe.getBoundingClientRect().top;
    probe.remove();
    return {lang: el.lang, baseline: y};
  });
}"""


async def test_the_language_links_stand_on_one_line(start_platform, browser, check):
    """The Urdu link "اردو", set in Nastaliq with its taller line box, stands on the same baseline as
    "English" and "Polski" (issue 26: it sat lower), on an English page and an Urdu one, phone and desktop."""
    async with start_platform() as platform:
        for viewport in ({"width": 1280, "height": 900}, {"width": 390, "height": 844}):
            page = await (await browser.new_context(viewport=viewport)).new_page()
            for lang in ("en", "ur"):
                await page.goto(f"{platform.hub}/?lang={lang}")
                await expect(page.locator("html")).to_have_attribute("lang", lang)
                links = await page.evaluate(BASELINES)
                assert sorted(link["lang"] for link in links) == ["en", "pl", "ur"]
                lines = [round(link["baseline"]) for link in links]
                assert max(lines) - min(lines) <= 1, f"{lang} at {viewport['width']} px: {links}"
        await check.shoot(page, "language-switcher-ur")  # the Urdu page, phone and desktop
