"""Sessions that end (issue 24): signing out of the hub, and a withdrawal, end the parent's session
for every service. The hub holds learning's session secret, never a long-lived token; its bearer
tokens (shortened here to 3 s, a minute in production) are refreshed from the session until it ends."""

import asyncio
from datetime import timedelta

import httpx
from playwright.async_api import expect

from hub.config import DEV_HUB_SECRET
from hub.security import read_session
from ptfc.testing.plugin import bearer, eventually

ALEX = ("Alex", "Jones", "alex@example.org", "07700900001", "en", "female")
BEN = ("Ben", "Okafor", "ben@example.org", "07700900005", "en", "male")
SHORT = {"parent_access_ttl": timedelta(seconds=3)}
HUB = {"session_refresh_margin": timedelta(seconds=1)}


async def _session(context, hub: str):
    cookie = next(c["value"] for c in await context.cookies(hub) if c["name"] == "ptfc_session")
    return read_session(DEV_HUB_SECRET, cookie)


async def _everywhere(platform, token: str) -> set[int]:
    """What each service answers to this parent token."""
    me = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=me, timeout=30) as c:
        return {
            (await c.get(f"{platform.learning}/me/course")).status_code,
            (await c.get(f"{platform.workshops}/me/booking")).status_code,
            (await c.get(f"{platform.plans}/plans")).status_code,
        }


async def test_signing_out_ends_the_session_for_every_service(start_platform, browser):
    async with start_platform(hub=HUB, **SHORT) as platform:
        await platform.refer_parents("MA24P00150", "hub-sessions-1", ALEX)
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(await platform.link(ALEX[2]))
        await page.get_by_role("button", name="Start my course").click()
        await expect(page).to_have_url(f"{platform.hub}/course")
        first = await _session(context, platform.hub)
        assert first.secret and first.token and "." not in first.secret  # learning's secret, not a token

        await asyncio.sleep(3.5)  # the first token has run out: the hub refreshes it from the session
        await page.goto(f"{platform.hub}/course")
        await expect(page).to_have_url(f"{platform.hub}/course")
        refreshed = await _session(context, platform.hub)
        assert refreshed.token != first.token and refreshed.secret == first.secret

        await page.get_by_role("button", name="Sign out").click()
        await expect(page.get_by_role("heading", level=1)).to_contain_text("signed out")
        async with httpx.AsyncClient() as c:
            again = await c.post(f"{platform.learning}/sessions/refresh", json={"refresh_token": first.secret})
        assert again.status_code == 401
        await asyncio.sleep(3.2)  # the last token handed out runs out: refused by every service
        assert await _everywhere(platform, refreshed.token) == {401}


async def test_a_withdrawal_signs_the_parent_out_of_the_hub(start_platform, browser):
    async with start_platform(hub=HUB, **SHORT) as platform:
        referral = await platform.refer_parents("MA24P00151", "hub-sessions-2", BEN)
        context = await browser.new_context()
        page = await context.new_page()
        await page.goto(await platform.link(BEN[2]))
        await page.get_by_role("button", name="Start my course").click()
        await expect(page).to_have_url(f"{platform.hub}/course")
        secret = (await _session(context, platform.hub)).secret

        async with httpx.AsyncClient(headers=bearer("cafcass", "fca-sam-patel"), timeout=30) as fca:
            withdrawn = await fca.post(
                f"{platform.referrals}/referrals/{referral['id']}/withdraw", json={"reason": "Order discharged."}
            )
            assert withdrawn.status_code == 200, withdrawn.text

        async def refused() -> bool:
            async with httpx.AsyncClient() as c:
                answer = await c.post(f"{platform.learning}/sessions/refresh", json={"refresh_token": secret})
            return answer.status_code == 401

        await eventually(refused, timeout=30)
        await asyncio.sleep(3.2)  # within a token's lifetime, the hub signs Ben out
        await page.goto(f"{platform.hub}/course")
        await expect(page).to_have_url(f"{platform.hub}/sign-in?ended=1")
        assert not [c for c in await context.cookies(platform.hub) if c["name"] == "ptfc_session"]
