"""Booking a workshop in the browser, on the real platform with the workshops service: only the
sessions this parent may book (never the co-parent's), booking, how to join and the calendar
file, follow-up consent, cancelling, the waiting list."""

import httpx
import pytest
from playwright.async_api import Page, expect

from hub.config import DEV_HUB_SECRET
from hub.security import read_session
from learning.content import passing_answers
from ptfc.testing.plugin import bearer, eventually
from ptfc.testing.workshops import session_for, weekday_session
from workshops import api as workshops_api

STAFF = bearer("provider", "staff-ann", "family-action")  # Greater Manchester is Family Action's
ALEX = {"given_name": "Alex", "family_name": "Jones", "email": "alex@example.org", "phone": "07700900001"}
BEN = {"given_name": "Ben", "family_name": "Okafor", "email": "ben@example.org", "phone": "07700900005"}


pytestmark = pytest.mark.skipif(
    not any(getattr(r, "path", "") == "/me/booking" for r in workshops_api.router.routes),
    reason="the workshops service has no parent API in this tree yet",
)


async def finish_learning(platform, token: str) -> None:
    async with httpx.AsyncClient(base_url=platform.learning, headers={"Authorization": f"Bearer {token}"}) as c:
        for n in range(1, 9):
            done = await c.post(f"/me/modules/{n}/complete", json={"answers": passing_answers(n)})
            assert done.status_code == 200, done.text


async def test_a_parent_books_sees_and_cancels_a_workshop_never_the_co_parents(start_platform, browser, check):
    async with start_platform() as platform:
        made = await platform.refer_parents(
            "MA24P00140", "hub-workshop-1", (*ALEX.values(), "en", "female"), (*BEN.values(), "en", "male")
        )
        alex_id, ben_id = (p["participant_id"] for p in made["participants"])
        # Workshops offers each co-parent half of the sessions: Ben's in his half, Alex's two in hers.
        pair = [alex_id, ben_id]
        async with httpx.AsyncClient() as staff:
            first, second, third = [
                await session_for(staff, platform.workshops, STAFF, pid, pair, lambda _: weekday_session(days, link))
                for pid, days, link in (
                    (ben_id, 4, "https://video.example/a"),
                    (alex_id, 5, "https://video.example/b"),
                    (alex_id, 6, "https://video.example/c"),
                )
            ]

        # Ben, the co-parent, finishes the e-learning and books the first session (through the APIs).
        ben_link = await platform.link(BEN["email"])
        async with httpx.AsyncClient() as c:
            ben = (await c.post(f"{platform.learning}/activate", json={"token": ben_link.split("token=")[1]})).json()
        await finish_learning(platform, ben["access_token"])
        ben_auth = {"Authorization": f"Bearer {ben['access_token']}"}

        async def ben_booked() -> bool:
            async with httpx.AsyncClient(base_url=platform.workshops, headers=ben_auth) as c:
                return (await c.post("/me/booking", json={"session_id": first})).status_code in (201, 409) and (
                    await c.get("/me/booking")
                ).status_code == 200

        await eventually(ben_booked, timeout=30)

        # Alex starts in the browser; before the e-learning is done the workshop cannot be booked.
        context = await browser.new_context(viewport={"width": 1280, "height": 900})
        page = await context.new_page()
        await page.goto(await platform.link(ALEX["email"]))
        await page.get_by_role("button", name="Start my course").click()
        await page.goto(f"{platform.hub}/workshop")
        await expect(page.get_by_text("You can book a workshop after you finish the e-learning.")).to_be_visible()
        cookie = next(c["value"] for c in await context.cookies() if c["name"] == "ptfc_session")
        token = read_session(DEV_HUB_SECRET, cookie).token
        await finish_learning(platform, token)

        async def offered() -> bool:
            await page.goto(f"{platform.hub}/workshop")
            return await page.locator("input[name=session_id]").count() > 0

        await eventually(offered, timeout=30)
        await seen(page, check, "workshop-sessions")
        offered_ids = await page.locator("input[name=session_id]").evaluate_all("els => els.map(e => e.value)")
        assert first not in offered_ids and {second, third} <= set(offered_ids)

        # A crafted attempt at the co-parent's session gets the same answer as a full one.
        await page.locator(f"#session-{second}").evaluate(f"e => e.value = '{first}'")
        await page.check(f"#session-{second}")
        await page.get_by_role("button", name="Book this session").click()
        await expect(page.locator("#error-summary")).to_contain_text("This session cannot be booked")
        await seen(page, check, "workshop-unavailable")

        # Nothing chosen: the error summary says so.
        await page.get_by_role("button", name="Book this session").click()
        await expect(page.locator("#error-summary")).to_contain_text("Choose a session")

        # The booking form sent twice (pressed again on a slow connection): booked once, and the
        # second press is answered as the first, not "you already have a booking".
        form = {"csrf": await page.locator("input[name=csrf]").first.get_attribute("value"), "session_id": second}
        for _ in range(2):
            again = await page.request.post(f"{platform.hub}/workshop/booking", form=form)
            assert again.ok and "Your workshop is booked" in await again.text()
        await page.goto(f"{platform.hub}/workshop?booked=1")
        await expect(page.get_by_text("Your workshop is booked")).to_be_visible()
        await expect(page.get_by_role("heading", name="How to join online")).to_be_visible()
        await expect(page.get_by_role("link", name="https://video.example/b")).to_be_visible()
        await expect(page.get_by_text("Part 2", exact=True)).to_be_visible()  # the booked session's second part
        await seen(page, check, "workshop-booked")
        await page.goto(f"{platform.hub}/workshop?lang=pl")  # the booking in Polish
        await expect(page.get_by_role("heading", name="Jak dołączyć online")).to_be_visible()
        await seen(page, check, "workshop-booked-pl")
        await page.goto(f"{platform.hub}/workshop?lang=en")
        ics = await page.request.get(f"{platform.hub}/workshop/booking.ics")
        assert ics.ok and ics.headers["content-type"].startswith("text/calendar")
        body = await ics.text()
        assert body.count("BEGIN:VEVENT") == 2 and "video.example/b" in body and "video.example/a" not in body

        # Follow-up consent.
        await page.check("#consent-yes")
        await page.get_by_role("button", name="Save my answer").click()
        await expect(page.get_by_text("You have said yes.")).to_be_visible()

        # Cancel, after a confirmation page.
        await page.get_by_role("button", name="Cancel this booking").click()
        await expect(page.get_by_role("heading", level=1)).to_have_text("Are you sure you want to cancel?")
        await seen(page, check, "workshop-cancel")
        form = {"csrf": await page.locator("input[name=csrf]").first.get_attribute("value")}
        await page.get_by_role("button", name="Yes, cancel my booking").click()
        await expect(page.get_by_text("Your booking is cancelled. You can book another session.")).to_be_visible()
        again = await page.request.post(f"{platform.hub}/workshop/cancel", form=form)  # pressed twice
        assert again.ok and "Your booking is cancelled" in await again.text()

        # Nothing suits: the waiting list, with an error summary when nothing is chosen.
        await page.get_by_role("button", name="Join the waiting list").click()
        await page.get_by_role("button", name="Join the waiting list").click()
        await expect(page.locator("#error-summary")).to_contain_text("Choose at least one time that suits you")
        await seen(page, check, "waitlist-error")
        await page.check("#pattern-weekend")
        await page.check("#format-online")
        await page.get_by_role("button", name="Join the waiting list").click()
        await expect(page.get_by_text("You are on the waiting list.").first).to_be_visible()
        await seen(page, check, "workshop-waiting")
        await context.close()


async def seen(page: Page, check, shot: str | None = None) -> None:
    text = await page.content()
    for detail in BEN.values():
        assert detail not in text, f"{page.url} shows {detail!r}"
    await check.axe_ok(page)
    if shot:
        await check.shoot(page, shot)
