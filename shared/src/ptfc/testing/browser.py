"""The front ends' browser tests (the Parent Hub's and the staff console's): Debian's chromium driven by
Playwright (never a downloaded browser), axe on each page checked, screenshots at a phone's width and a
desktop's, looked at by a person."""

import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest
from axe_playwright_python.async_playwright import Axe
from playwright.async_api import Error, Page, async_playwright, expect

CHROMIUM = "/usr/bin/chromium"
PHONE, DESKTOP = {"width": 390, "height": 844}, {"width": 1280, "height": 900}
SCREENSHOTS = Path(__file__).resolve().parents[4] / "var" / "screenshots"


def executable() -> str:
    if not os.path.exists(CHROMIUM):
        pytest.fail(f"{CHROMIUM} is missing: `make test` installs Debian's chromium (apt-get install -y chromium)")
    return CHROMIUM


@asynccontextmanager
async def chromium() -> AsyncIterator[Any]:
    """Debian's chromium, headless, as the sandbox here allows it."""
    async with async_playwright() as p:
        browser = await p.chromium.launch(
            executable_path=executable(), args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
        )
        try:
            yield browser
        finally:
            await browser.close()


class Checker:
    """Runs axe on a page (no serious or critical violation allowed) and takes screenshots into `folder`."""

    def __init__(self, folder: Path = SCREENSHOTS) -> None:
        self.axe, self.folder = Axe(), folder
        self.checked: list[str] = []

    async def axe_ok(self, page: Page) -> None:
        results = await self.axe.run(page)
        bad = [v for v in results.response["violations"] if v["impact"] in ("serious", "critical")]
        detail = [(v["id"], v["impact"], [n["target"] for n in v["nodes"]][:3]) for v in bad]
        assert not bad, f"{page.url}: {detail}"
        self.checked.append(page.url)

    async def shoot(self, page: Page, name: str) -> None:
        """`{name}-phone.png` and `{name}-desktop.png`, the whole page; the page keeps its own size."""
        self.folder.mkdir(parents=True, exist_ok=True)
        size = page.viewport_size
        for label, viewport in (("phone", PHONE), ("desktop", DESKTOP)):
            await page.set_viewport_size(viewport)
            await page.screenshot(path=str(self.folder / f"{name}-{label}.png"), full_page=True)
        await page.set_viewport_size(size or PHONE)

    async def check(self, page: Page, name: str) -> None:
        await self.axe_ok(page)
        await self.shoot(page, name)


@pytest.fixture
async def browser() -> AsyncIterator[Any]:
    """The browser of a front end's e2e tests (its conftest imports this fixture)."""
    async with chromium() as found:
        yield found


async def back_to(page: Page, url: str, heading: str | re.Pattern) -> str:
    """Press Back (after leaving `url` for another page): `url` is shown again with its heading, never
    the browser's resubmission prompt. Gives the page's text."""
    try:
        await page.go_back()
    except Error as error:  # Chromium's "Confirm Form Resubmission": net::ERR_CACHE_MISS
        pytest.fail(f"Back to {url}: {error}")
    text = await page.content()
    assert "ERR_CACHE_MISS" not in text and "Confirm Form Resubmission" not in text, url
    await expect(page).to_have_url(re.compile(re.escape(url) + r"(\?.*)?(#.*)?$"))
    await expect(page.get_by_role("heading", level=1)).to_have_text(heading)
    return text
