"""The Parent Hub against the real platform: referrals, learning and notifications (and
workshops, plans) served by uvicorn on free ports over real NATS JetStream, the MongoDB server and
SMTP, the hub in front of them, and Debian's chromium driven by Playwright. Axe checks pages and
screenshots go to var/screenshots/."""

import re
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import timedelta
from typing import Any

import httpx
import pytest

from hub.app import create_app as hub_app
from hub.config import Settings as HubSettings
from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.dev.servers import free_port
from ptfc.testing.browser import SCREENSHOTS, Checker
from ptfc.testing.browser import browser as browser  # the fixture
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import bearer, eventually, serve
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

FCA = bearer("cafcass", "fca-sam-patel")


def mail_text(message: Any) -> str:
    parts = [str(message["Subject"]), str(message["To"])]
    parts += [p.get_content() for p in message.walk() if p.get_content_type() in ("text/plain", "text/html")]
    return "\n".join(parts)


def parent(given: str, family: str, email: str, phone: str, language: str, gender: str) -> dict[str, Any]:
    return {
        "given_name": given,
        "family_name": family,
        "email": email,
        "phone": phone,
        "preferred_language": language,
        "gender": gender,
        "adjustments": {"interpreter": None, "in_person": False, "support_needs": ""},
        "availability": ["evening", "weekend", "daytime"],
    }


def referral(case_number: str, *parents: tuple) -> dict[str, Any]:
    return {
        "case_number": case_number,
        "court": "Manchester Civil Justice Centre",
        "court_email": "family.manchester@justice.example",
        "source": "court_order",
        "stage": "first_hearing",
        "court_declined": False,
        "safeguarding_concerns": False,
        "region": "Greater Manchester",
        "fca": {"name": "Sam Patel", "email": "sam.patel@cafcass.example"},
        "parents": [parent(*p) for p in parents],
        "children": [{"age": 6}, {"age": 9}],
    }


@dataclass
class Platform:
    hub: str
    referrals: str
    learning: str
    workshops: str
    plans: str
    mailbox: Mailbox
    urls: dict[str, str] = field(default_factory=dict)

    async def refer(self, body: dict[str, Any], key: str) -> dict[str, Any]:
        async with httpx.AsyncClient() as client:
            answer = await client.post(
                f"{self.referrals}/referrals", json=body, headers={**FCA, "Idempotency-Key": key}, timeout=30
            )
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def refer_parents(self, case_number: str, key: str, *parents: tuple) -> dict[str, Any]:
        """A court's referral of these parents (given, family, email, phone, language, gender)."""
        return await self.refer(referral(case_number, *parents), key)

    async def link(self, address: str, page: str = "activate", count: int = 1) -> str:
        """The newest `{hub}/{page}?token=…` link emailed to `address` (waits for the count-th)."""
        pattern = re.compile(re.escape(self.hub) + "/" + page + r"\?token=[A-Za-z0-9_\-]+")

        async def found() -> list[str]:
            links = [m.group(0) for m in map(pattern.search, map(mail_text, self.mailbox.to(address))) if m]
            return links if len(links) >= count else []

        return (await eventually(found, timeout=30))[-1]

    def mail_to(self, address: str) -> list[str]:
        return [mail_text(m) for m in self.mailbox.to(address)]


@pytest.fixture
def start_platform(make_settings, mailbox):
    """Starts the platform with the hub in front; `hub` and `learning` override their settings."""

    @asynccontextmanager
    async def start(
        hub: dict[str, Any] | None = None, workshops_clock: Any = None, learning_clock: Any = None, **learning: Any
    ) -> AsyncIterator[Platform]:
        hub_port = free_port()
        hub_url = f"http://127.0.0.1:{hub_port}"
        async with AsyncExitStack() as stack:
            ref = await stack.enter_async_context(serve(referrals_app(make_settings(ReferralsSettings))))
            learn = await stack.enter_async_context(
                serve(learning_app(make_settings(LearningSettings, hub_url=hub_url, **learning), clock=learning_clock))
            )
            notify = await stack.enter_async_context(
                serve(
                    notifications_app(
                        make_settings(
                            NotificationsSettings,
                            smtp_port=mailbox.port,
                            hub_url=hub_url,
                            sweep_interval=timedelta(milliseconds=200),
                            send_backoff=timedelta(milliseconds=100),
                        )
                    )
                )
            )
            # A clock of its own (`MovingClock`) lets a test move workshops to after a session has run.
            work = await stack.enter_async_context(
                serve(workshops_app(make_settings(WorkshopsSettings), clock=workshops_clock))
            )
            plans = await stack.enter_async_context(serve(plans_app(make_settings(PlansSettings, hub_url=hub_url))))
            settings = HubSettings(
                public_url=hub_url,
                cookie_secure=False,
                learning_url=learn,
                workshops_url=work,
                plans_url=plans,
                notifications_url=notify,
                **(hub or {}),
            )
            await stack.enter_async_context(serve(hub_app(settings), hub_port))
            yield Platform(hub=hub_url, referrals=ref, learning=learn, workshops=work, plans=plans, mailbox=mailbox)

    return start


@pytest.fixture
def check() -> Checker:
    return Checker(SCREENSHOTS)
