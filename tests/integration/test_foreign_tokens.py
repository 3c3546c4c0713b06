"""A token from an issuer the platform does not trust, or with a role or organisation its issuer may
not grant, is refused by every service (issue 28): each of the five, running on the real bus and
store, is asked one of its staff routes with such tokens and answers 401, while the same route
answers the same issuer's token within its grant.

The partner's identity provider here is trusted for Cafcass advisers and Family Action's
coordinators only (ptfc.issuers): it cannot mint an operator, a court, or another provider's staff."""

import json
from contextlib import AsyncExitStack

import pytest

from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.auth import issue_token
from ptfc.issuers import Issuer
from ptfc.settings import ServiceSettings
from ptfc.testing.keys import another_key, public_half
from ptfc.testing.plugin import running
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

pytestmark = pytest.mark.timeout(120)

PARTNER = "https://idp.partner.example"
PARTNER_KEY = another_key()
GRANT = Issuer(public_key=public_half(PARTNER_KEY), roles=["cafcass", "provider"], providers=["family-action"])

# One staff route of each service, and who (within the partner's grant) it answers.
ROUTES = {
    "referrals": ("GET", "/referrals", None, ("cafcass", None)),
    "learning": ("GET", "/enrolments", {"referral_id": "r-1"}, ("cafcass", None)),
    "workshops": ("GET", "/sessions", None, ("provider", "family-action")),
    "plans": ("GET", "/plans", None, ("cafcass", None)),
    "notifications": ("GET", "/notifications", None, ("cafcass", None)),
}
APPS = {
    "referrals": (referrals_app, ReferralsSettings),
    "learning": (learning_app, LearningSettings),
    "workshops": (workshops_app, WorkshopsSettings),
    "plans": (plans_app, PlansSettings),
    "notifications": (notifications_app, NotificationsSettings),
}


def token(role: str, provider: str | None = None, *, issuer: str = PARTNER, key: str = PARTNER_KEY) -> dict:
    return {"Authorization": f"Bearer {issue_token(key, role, 'staff-9', provider, issuer=issuer)}"}


def refused(role: str, provider: str | None) -> dict[str, dict]:
    """Tokens every service must refuse, each named for what is wrong with it."""
    stranger = another_key()
    return {
        "an issuer nobody trusts": token(role, provider, issuer="https://idp.stranger.example", key=stranger),
        "the partner's name, another key": token(role, provider, key=stranger),
        "a role the partner may not grant (ops)": token("ops"),
        "a role the partner may not grant (court)": token("court"),
        "another provider's coordinator": token("provider", "action-for-children"),
        "a facilitator (not granted)": token("facilitator", "family-action"),
    }


async def test_every_service_refuses_tokens_beyond_what_their_issuer_may_grant(make_settings, mailbox):
    issuers = {**ServiceSettings().jwt_issuers, PARTNER: GRANT}
    async with AsyncExitStack() as stack:
        wrong = []
        for service, (create, settings) in APPS.items():
            extra = {"smtp_port": mailbox.port} if service == "notifications" else {}
            client = await stack.enter_async_context(
                running(create(make_settings(settings, jwt_issuers=issuers, **extra)))
            )
            method, path, query, (role, provider) = ROUTES[service]
            genuine = await client.request(method, path, params=query, headers=token(role, provider))
            assert genuine.status_code not in (401, 403), (service, genuine.text)  # the route serves that issuer
            for why, headers in refused(role, provider).items():
                answer = await client.request(method, path, params=query, headers=headers)
                if answer.status_code != 401:
                    wrong.append(f"{service} {method} {path} with {why}: {answer.status_code} {answer.text[:200]}")
                else:
                    assert answer.headers["content-type"].startswith("application/problem+json"), answer.text
                    assert "staff-9" not in json.dumps(answer.json())
        assert not wrong, "\n".join(wrong)
