"""The staff console against the real platform: referrals, learning, notifications and workshops
under uvicorn on free ports over real NATS JetStream and the MongoDB server, a real OpenID Connect
provider (oidc-provider-mock, ptfc.dev.oidc) trusted by every service through its published keys,
the console in front, and Debian's chromium driven by Playwright. Axe checks pages; screenshots go
to var/screenshots/console/."""

from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from playwright.async_api import Page

from console.app import create_app as console_app
from console.config import Settings as ConsoleSettings
from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.clock import MovingClock
from ptfc.dev import oidc
from ptfc.dev.servers import free_port, wait_for_port
from ptfc.issuers import Issuer
from ptfc.settings import ServiceSettings
from ptfc.testing import browser as browsers
from ptfc.testing.browser import PHONE, Checker
from ptfc.testing.browser import browser as browser  # the fixture
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import serve
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

SCREENSHOTS = browsers.SCREENSHOTS / "console"


@dataclass
class Platform:
    console: str
    issuer: str
    referrals: str
    learning: str
    workshops: str
    plans: str
    mailbox: Mailbox
    clock: MovingClock
    nats: str  # the bus, as deploy tooling reaches it: a test publishes as a service would


@pytest.fixture(scope="module")
def identity_provider():
    """The development OpenID Connect provider, on a free port, for the module."""
    port = free_port()
    process = oidc.start_oidc(port)
    try:
        wait_for_port(port, 30, process)
    except (RuntimeError, TimeoutError):
        process.kill()
        pytest.fail("the OpenID Connect provider did not start")
    yield f"http://127.0.0.1:{port}"
    process.terminate()
    process.wait(10)


@pytest.fixture
def start_platform(make_settings, mailbox, identity_provider, infra):
    @asynccontextmanager
    async def start(workshops: dict | None = None, notifications: dict | None = None) -> AsyncIterator[Platform]:
        """`workshops`, `notifications`: settings of those services a test needs otherwise."""
        issuers = {**ServiceSettings().jwt_issuers, identity_provider: Issuer(**oidc.issuer_grant())}
        trust: dict[str, Any] = {"jwt_issuers": issuers}
        clock = MovingClock()
        async with AsyncExitStack() as stack:
            # Due at once: the coordinator's list shows a parent to call without waiting for the next day.
            referrals = make_settings(ReferralsSettings, contact_delay=timedelta(0), **trust)
            ref = await stack.enter_async_context(serve(referrals_app(referrals)))
            hub = "https://hub.example"
            learn = await stack.enter_async_context(
                serve(learning_app(make_settings(LearningSettings, hub_url=hub, **trust)))
            )
            fast = {"sweep_interval": timedelta(milliseconds=200), "send_backoff": timedelta(milliseconds=100)}
            notes_settings = make_settings(
                NotificationsSettings, smtp_port=mailbox.port, hub_url=hub, **fast, **trust, **(notifications or {})
            )
            notes = await stack.enter_async_context(serve(notifications_app(notes_settings)))
            work = await stack.enter_async_context(
                serve(
                    workshops_app(
                        make_settings(
                            WorkshopsSettings, attendance_window="PT1H", followup_one_in=1, **trust, **(workshops or {})
                        ),
                        clock=clock,
                    )
                )
            )
            plan = await stack.enter_async_context(serve(plans_app(make_settings(PlansSettings, **trust))))
            port = free_port()
            url = f"http://127.0.0.1:{port}"
            settings = ConsoleSettings(
                env="dev",
                public_url=url,
                cookie_secure=False,
                referrals_url=ref,
                learning_url=learn,
                workshops_url=work,
                plans_url=plan,
                notifications_url=notes,
                jwt_issuers=issuers,
                oidc_issuers={identity_provider: oidc.login()},
            )
            await stack.enter_async_context(serve(console_app(settings), port))
            yield Platform(url, identity_provider, ref, learn, work, plan, mailbox, clock, infra.nats_url)

    return start


@pytest.fixture
def checker() -> Checker:
    return Checker(SCREENSHOTS)


async def sign_in(browser: Any, platform: Platform, sub: str) -> Page:
    """A new browser signed in through the provider as `sub` (one of ptfc.dev.oidc.STAFF)."""
    context = await browser.new_context(viewport=PHONE)
    page = await context.new_page()
    await page.goto(platform.console + "/")
    await page.get_by_role("link", name="Sign in with the development identity provider").click()
    await page.get_by_role("button", name=sub, exact=True).click()  # the provider's form: a seeded person
    await page.wait_for_url(platform.console + "/**")
    return page
