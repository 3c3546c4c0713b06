"""The authorisation matrix through the staff console: every page and form behind sign-in, for every
staff role, as the seeded record's owner or not (the same seeded case and people as
test_authorization_matrix.py), each cell asserted against the table below.

The console is signed in as a person by its own session cookie holding that person's token, as after
sign-in (the token the console forwards to the services is the one the matrix's services are asked
with). A facilitator never reaches another's session or a session of another provider, an FCA only
their own referrals, a coordinator only their provider's sessions; no page answered to someone else
names the seeded case's records.

Cells, as in the service matrix: `A` answered (a page, a form refused for its content, or done and
redirected), `D` denied (a page for another role, or signed out), `H` hidden (404)."""

import re
import secrets
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import pytest
from bson import ObjectId

from console.app import create_app as console_app
from console.config import Settings as ConsoleSettings
from console.security import SESSION, csrf_token, seal
from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.testing import matrix
from ptfc.testing.plugin import serve
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings
from workshops.app import create_app as workshops_app
from workshops.config import Settings as WorkshopsSettings

sys.path.insert(0, str(Path(__file__).parent))  # --import-mode=importlib puts no test folder on the path
from test_authorization_matrix import SECRET_IDS, order, park, seed, tokens

pytestmark = pytest.mark.timeout(240)

ROLES = ("cafcass", "court", "provider", "facilitator", "ops", "none")
# Pages anyone reaches, signed in or not: the sign-in itself and the probes.
OPEN = {
    ("GET", "/"),
    ("GET", "/sign-in"),
    ("GET", "/sign-in/start"),
    ("GET", "/auth/callback"),
    ("GET", "/signed-in"),
    ("GET", "/signed-out"),
    ("POST", "/sign-out"),
    ("GET", "/healthz"),
    ("GET", "/readyz"),
}


row = matrix.rows(ROLES)  # row(provider="A/H"): every role not named D


EXPECTED: dict[tuple[str, str], dict[str, str]] = {
    ("GET", "/referrals"): row(cafcass="A"),
    ("GET", "/referrals/{referral_id}"): row(cafcass="A/H"),
    ("POST", "/referrals/{referral_id}/extend"): row(cafcass="A/H"),
    ("POST", "/referrals/{referral_id}/withdraw"): row(cafcass="A/H"),
    ("GET", "/sessions"): row(provider="A"),
    ("GET", "/sessions/new"): row(provider="A"),
    ("POST", "/sessions/new"): row(provider="A"),
    ("GET", "/my-sessions"): row(facilitator="A"),
    ("GET", "/sessions/{session_id}"): row(provider="A/H", facilitator="A/H"),
    ("POST", "/sessions/{session_id}/attendance"): row(facilitator="A/H"),
    ("GET", "/sessions/{session_id}/move"): row(provider="A/H"),
    ("POST", "/sessions/{session_id}/move"): row(provider="A/H"),
    ("GET", "/sessions/{session_id}/cancel"): row(provider="A/H"),
    ("POST", "/sessions/{session_id}/cancel"): row(provider="A/H"),
    ("GET", "/contacts"): row(provider="A"),
    ("GET", "/waiting-list"): row(provider="A"),
    ("POST", "/waiting-list/{participant_id}"): row(provider="H"),  # Alex is booked, not waiting: nobody's to approve
    ("POST", "/contacts/{participant_id}"): row(provider="A/H"),
    ("GET", "/follow-ups"): row(provider="A", facilitator="A"),
    ("POST", "/follow-ups/{followup_id}/facilitator"): row(provider="A/H"),
    ("POST", "/follow-ups/{followup_id}/outcome"): row(facilitator="A/H"),
    ("GET", "/sessions/{session_id}/concerns/{participant_id}"): row(facilitator="A/H"),
    ("POST", "/sessions/{session_id}/concerns/{participant_id}"): row(facilitator="A/H"),
    ("GET", "/plans"): row(cafcass="A"),
    ("GET", "/plans/{plan_id}"): row(cafcass="A/H"),
    ("GET", "/plans/{plan_id}/export.{kind}"): row(cafcass="A/H"),
    ("GET", "/concerns/{concern_id}"): row(cafcass="A/H"),
    ("GET", "/reports"): row(cafcass="A", provider="A"),
    ("GET", "/reports.csv"): row(cafcass="A", provider="A"),
    ("GET", "/operations"): row(ops="A"),
    ("POST", "/operations/{service}/dead-letters/{letter_id}/replay"): row(ops="A"),
    ("GET", "/operations/webhooks"): row(ops="A"),
    ("POST", "/operations/webhooks"): row(ops="A"),
    ("GET", "/operations/webhooks/{endpoint_id}"): row(ops="A"),
    ("POST", "/operations/webhooks/{endpoint_id}/rotate"): row(ops="A"),
    ("POST", "/operations/webhooks/{endpoint_id}/replay"): row(ops="A"),
}

FORMS: dict[tuple[str, str], Any] = {
    ("POST", "/referrals/{referral_id}/extend"): lambda v: {
        "enrolment_id": v["enrolment_id"],
        "days": "3",
        "reason": "matrix",
    },
    ("POST", "/referrals/{referral_id}/withdraw"): lambda v: {"reason": "matrix"},
    ("POST", "/sessions/{session_id}/attendance"): lambda v: {
        "participant_id": v["participant_id"],
        "part": "1",
        "status": "attended",
    },
    ("POST", "/sessions/new"): lambda v: {"format": "online", "video_link": "https://video.example/c"},
    ("POST", "/follow-ups/{followup_id}/outcome"): lambda v: {"reached": "no"},
    # The call stays fac-owner's (the check at the end reads it): given to the one it is with.
    ("POST", "/follow-ups/{followup_id}/facilitator"): lambda v: {"facilitator": "fac-owner"},
    ("POST", "/waiting-list/{participant_id}"): lambda v: {"session_id": v["session_id"]},
    ("POST", "/operations/webhooks/{endpoint_id}/replay"): lambda v: {"since": "2026-01-01T00:00"},
    ("POST", "/sessions/{session_id}/concerns/{participant_id}"): lambda v: {"category": "other", "details": "matrix"},
}


async def followup(app: Any, values: dict[str, Any]) -> str:
    """A follow-up call for Alex, assigned to fac-owner, as workshops schedules one once a consenting
    parent attended (a workshop cannot be attended before its time in this test)."""
    call = {
        "_id": ObjectId(),
        "participant_id": values["participant_id"],
        "referral_id": values["referral_id"],
        "provider": values["provider"],
        "session_id": values["session_id"],
        "facilitator": "fac-owner",
        "due_by": datetime.now(UTC) + timedelta(weeks=6),
        "status": "scheduled",
        "created_at": datetime.now(UTC),
    }
    await app.state.rt.store.db["followups"].insert_one(call)
    return str(call["_id"])


def cookie(secret: str, headers: dict[str, str]) -> tuple[dict[str, str], str]:
    """The console's session cookie for the person these headers' token is, and a CSRF token for its forms."""
    if not headers:
        return {}, "none." + secrets.token_hex(16)
    token = headers["Authorization"].removeprefix("Bearer ")
    fields = {"token": token, "issuer": "ptfc-dev-idp", "name": "matrix", "ends": int(time.time()) + 3600}
    fields["csrf"] = secrets.token_urlsafe(24)
    return {SESSION: seal(secret, SESSION, fields)}, f"{csrf_token(secret, 'session:' + fields['csrf'])}.x"


def classify(answer: httpx.Response) -> str:
    if answer.status_code in (401, 403) or answer.headers.get("location", "").startswith("/sign-in"):
        return "D"
    return "H" if answer.status_code == 404 else "A"


def asker(browser: httpx.AsyncClient, secret: str, method: str, path: str, values: dict, who: dict) -> matrix.Ask:
    """One page or form asked as a role and subject, signed in: its letter, once the answer is checked."""
    url = re.sub(r"\{(\w+)\}", lambda m: str(values[m.group(1)]), path)

    async def ask(role: str, subject: str) -> str:
        jar, csrf = cookie(secret, dict(who[(role, subject)]))
        browser.cookies.clear()
        form = {**FORMS.get((method, path), lambda v: {})(values), "csrf": csrf}
        if method == "GET":
            answer = await browser.get(url, cookies=jar)
        else:
            answer = await browser.post(url, data=form, cookies=jar)
        assert answer.status_code < 500, (method, path, role, subject, answer.text[:500])
        if subject == "other" and role != "ops":
            seen = matrix.named(answer.text + answer.headers.get("location", ""), values, SECRET_IDS, asked=url)
            assert not seen, (method, path, role, seen, answer.text[:500])
            assert "Alex" not in answer.text, (method, path, role, answer.text[:500])
        return classify(answer)

    return ask


async def test_every_console_page_every_staff_role_owner_and_not(make_settings, infra, mailbox):
    apps = {
        "referrals": referrals_app(make_settings(ReferralsSettings)),
        "learning": learning_app(make_settings(LearningSettings)),
        "workshops": workshops_app(make_settings(WorkshopsSettings)),
        "plans": plans_app(make_settings(PlansSettings)),
        "notifications": notifications_app(
            make_settings(NotificationsSettings, smtp_port=mailbox.port, webhook_allow_local_http=True)
        ),
    }
    urls = {}
    async with (
        serve(apps["referrals"]) as urls["referrals"],
        serve(apps["learning"]) as urls["learning"],
        serve(apps["workshops"]) as urls["workshops"],
        serve(apps["plans"]) as urls["plans"],
        serve(apps["notifications"]) as urls["notifications"],
    ):
        settings = ConsoleSettings(
            env="dev", public_url="http://127.0.0.1:9", cookie_secure=False, **{f"{s}_url": u for s, u in urls.items()}
        )
        console = console_app(settings)
        clients = {s: httpx.AsyncClient(base_url=u, timeout=30) for s, u in urls.items()}
        async with (
            serve(console) as base,
            httpx.AsyncClient(base_url=base, timeout=30, follow_redirects=False) as browser,
        ):
            values = await seed(clients, infra, mailbox)
            values["service"] = "workshops"
            values["letter_id"] = await park(apps["workshops"], clients["workshops"], infra)
            values["followup_id"] = await followup(apps["workshops"], values)
            # Alex shares the plan with fca-owner: their FCA reads it, another FCA never does.
            plan = f"/plans/{values['plan_id']}/share"
            shared = await clients["plans"].post(plan, json={"to": "fca"}, headers=values["parent"])
            assert shared.status_code == 202, shared.text
            who = tokens(values)
            # every page and form the console has (its OpenAPI document is not served, but is made)
            routes = {(m.upper(), p) for p, item in console.openapi()["paths"].items() for m in item}
            assert not (gaps := matrix.uncovered("pages", routes - OPEN, EXPECTED)), gaps
            wrong, observed = [], {}
            for method, path in sorted(EXPECTED, key=order):
                ask = asker(browser, settings.console_secret, method, path, values, who)
                observed[(method, path)] = cells = await matrix.cells_of(ROLES, ask)
                wrong += matrix.mismatches(f"{method} {path}", cells, EXPECTED[(method, path)])
            matrix.show(observed)
            assert not wrong, "\n".join(wrong)
            # The call the owner sees is theirs alone: another facilitator of the same provider has none.
            for subject, shown in (("owner", True), ("other", False)):
                jar, _ = cookie(settings.console_secret, dict(who[("facilitator", subject)]))
                browser.cookies.clear()
                page = await browser.get("/follow-ups", cookies=jar)
                assert ("Alex" in page.text) is shown, (subject, page.text[:500])
        for client in clients.values():
            await client.aclose()
