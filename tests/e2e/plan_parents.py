"""The platform a parenting plan's journey runs on, for the plan's end-to-end tests: referrals, learning,
plans and notifications in-process on real NATS JetStream, the MongoDB server and SMTP, with Alex and
Chris referred (test_journey's referral) and each signed in from their welcome letter."""

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import timedelta
from typing import Any

import httpx

from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plans import activated
from ptfc.testing.plugin import ParentBearer, running
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings

from .test_journey import FCA, REFERRAL

HUB = "https://hub.example"


@asynccontextmanager
async def co_parents(
    make_settings: Any, mailbox: Mailbox, **plans: Any
) -> AsyncIterator[tuple[httpx.AsyncClient, ParentBearer, ParentBearer]]:
    """Plans' client (with `plans` settings) and Alex's and Chris's headers, the platform running."""
    notifications = make_settings(
        NotificationsSettings,
        smtp_port=mailbox.port,
        hub_url=HUB,
        sweep_interval=timedelta(milliseconds=200),
        send_backoff=timedelta(milliseconds=100),
    )
    async with (
        running(referrals_app(make_settings(ReferralsSettings))) as referrals,
        running(learning_app(make_settings(LearningSettings, hub_url=HUB))) as learning,
        running(plans_app(make_settings(PlansSettings, hub_url=HUB, **plans))) as api,
        running(notifications_app(notifications)),
    ):
        created = await referrals.post("/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text
        alex = await activated(learning, mailbox, "alex@example.org")
        chris = await activated(learning, mailbox, "chris@example.org")
        yield api, alex, chris
