"""A module's film in the Parent Hub (issue 26): a Polish and an Urdu parent open module 1 on a
phone and find an HTML5 player with captions in every language of the course, their own shown at
first, and the transcript in their language below it. The player loads the film's metadata and
captions through the real hub and learning (byte ranges), and nobody signed out reaches them."""

from typing import Any

from playwright.async_api import Page, expect

from hub.i18n import NATIVE_NAMES
from learning import content

CHRIS = ("Chris", "Rowe", "chris.video@example.org", "07700900012", "pl", "male")
NADIA = ("Nadia", "Hussain", "nadia.video@example.org", "07700900013", "ur", "female")
PHONE = {"width": 390, "height": 844}
TRANSCRIPT = {"pl": "Transkrypcja filmu", "ur": "ویڈیو کا متن", "en": "Transcript of the video"}


async def player(page: Page) -> dict[str, Any]:
    """What the browser made of the film: once its metadata and the shown captions have loaded."""
    return await page.evaluate(
        """async () => {
            const video = document.querySelector("video");
            const shown = () => [...video.textTracks].filter(t => t.mode === "showing");
            const loaded = () => [...video.querySelectorAll("track")].find(t => t.default)?.readyState === 2;
            for (let i = 0; i < 200 && !(video.readyState >= 1 && loaded()); i++) {
                await new Promise(r => setTimeout(r, 50));
            }
            return {
                duration: video.duration,
                error: video.error && video.error.code,
                playing_from: video.currentSrc,
                showing: shown().map(t => t.language),
                cues: shown().map(t => t.cues ? t.cues.length : 0),
                first_cue: shown()[0]?.cues?.[0]?.text ?? null,
            };
        }"""
    )


async def test_a_parent_watches_module_1_with_captions_in_their_language(start_platform, browser, check):
    async with start_platform() as platform:
        await platform.refer_parents("MA24P00991", "hub-video-1", CHRIS, NADIA)
        pages = {}
        for who in (CHRIS, NADIA):
            context = await browser.new_context(viewport=PHONE)
            page = await context.new_page()
            await page.goto(await platform.link(who[2]))
            await page.locator("main form button").click()
            await expect(page).to_have_url(f"{platform.hub}/course")
            pages[who[4]] = page

        for lang, page in pages.items():
            answer = await page.goto(f"{platform.hub}/learning/1")
            assert "media-src 'self'" in answer.headers["content-security-policy"]
            video = content.module(1, lang).video
            assert video is not None
            await expect(page.get_by_role("heading", name=video.title)).to_be_visible()
            tracks = page.locator("video track[kind=captions]")
            assert await tracks.count() == 3
            for i, code in enumerate(("en", "pl", "ur")):
                assert await tracks.nth(i).get_attribute("srclang") == code
                assert await tracks.nth(i).get_attribute("label") == NATIVE_NAMES[code]
            default = page.locator("video track[default]")
            assert await default.count() == 1 and await default.get_attribute("srclang") == lang

            seen = await player(page)
            assert seen["error"] is None and seen["duration"] > 0, seen
            assert seen["playing_from"].startswith(f"{platform.hub}/learning/1/media/video."), seen
            first = (content.MEDIA / video.name / f"captions.{lang}.vtt").read_text("utf-8").split("\n")[4]
            assert seen["showing"] == [lang] and seen["cues"][0] == 3 and seen["first_cue"] == first, seen

            # The transcript below, folded in a details component, in the parent's language.
            summary = page.locator("#transcript summary")
            await expect(summary).to_have_text(TRANSCRIPT[lang])
            await summary.click()
            body = page.locator("#transcript .prose")
            await expect(body).to_be_visible()
            await expect(body).to_contain_text(first)
            assert await body.get_attribute("lang") == lang
            await check.axe_ok(page)
            await check.shoot(page, f"module-video-{lang}")

        # The parent's language is the default, also when they switch the page to another.
        page = pages["pl"]
        await page.goto(f"{platform.hub}/learning/1?lang=en")
        assert await page.locator("video track[default]").get_attribute("srclang") == "en"
        seen = await player(page)
        assert seen["showing"] == ["en"] and seen["duration"] > 0, seen
        await page.goto(f"{platform.hub}/learning/1?lang=pl")

        # Byte ranges through the hub, as the player asks for them.
        film = (content.MEDIA / "welcome" / "video.webm").read_bytes()
        url = f"{platform.hub}/learning/1/media/video.webm"
        part = await page.request.get(url, headers={"Range": "bytes=100-199"})
        assert part.status == 206 and await part.body() == film[100:200]
        assert part.headers["content-range"] == f"bytes 100-199/{len(film)}"
        assert part.headers["content-type"] == "video/webm" and part.headers["accept-ranges"] == "bytes"
        past = await page.request.get(url, headers={"Range": f"bytes={len(film)}-"})
        assert past.status == 416 and past.headers["content-range"] == f"bytes */{len(film)}"
        vtt = await page.request.get(f"{platform.hub}/learning/1/media/captions.ur.vtt")
        assert vtt.status == 200 and vtt.headers["content-type"].startswith("text/vtt")
        assert (await page.request.get(f"{platform.hub}/learning/2/media/video.webm")).status == 404

        # Signed out, nothing: the film is for the parents on the course.
        stranger = await (await browser.new_context()).new_page()
        answer = await stranger.request.get(url, max_redirects=0)
        assert answer.status == 303 and answer.headers["location"].startswith("/sign-in")
        assert len(await answer.body()) < 1000
