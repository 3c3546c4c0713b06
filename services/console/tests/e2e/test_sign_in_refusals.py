"""The console's sign-in refuses what did not come back from the sign-in this browser started, with the
real development provider (oidc-provider-mock): a callback nobody started (forged), a code and state
from another browser's sign-in (login CSRF: being signed in as the attacker), and an ID token whose
nonce is not the one this sign-in sent (a replayed or injected token). Each ends on the sign-in page
saying it failed, with no session; the same steps done honestly sign in."""

from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

import httpx

from console.app import create_app
from console.config import Settings
from console.security import SESSION
from ptfc.dev import oidc
from ptfc.dev.servers import free_port
from ptfc.issuers import Issuer
from ptfc.settings import ServiceSettings
from ptfc.testing.plugin import serve


def console_settings(issuer: str, port: int) -> Settings:
    return Settings(
        env="dev",
        public_url=f"http://127.0.0.1:{port}",
        cookie_secure=False,
        jwt_issuers={**ServiceSettings().jwt_issuers, issuer: Issuer(**oidc.issuer_grant())},
        oidc_issuers={issuer: oidc.login()},
    )


async def begin(browser: httpx.AsyncClient, issuer: str) -> str:
    """Press 'Sign in': the provider's authorisation address (this browser now holds the pending sign-in)."""
    start = await browser.get("/sign-in/start", params={"issuer": issuer})
    assert start.status_code == 303 and start.headers["location"].startswith(issuer), start.text
    return start.headers["location"]


async def choose(browser: httpx.AsyncClient, authorize: str, sub: str) -> str:
    """At the provider, a seeded person's button: where the provider sends the browser back to."""
    chosen = await browser.post(authorize, data={"sub": sub})
    assert chosen.status_code in (302, 303), chosen.text
    return chosen.headers["location"]


def with_param(url: str, name: str, value: str) -> str:
    parts = urlsplit(url)
    query = dict(parse_qsl(parts.query)) | {name: value}
    return urlunsplit(parts._replace(query=urlencode(query)))


async def refused(browser: httpx.AsyncClient, callback: str) -> None:
    back = await browser.get(callback)
    assert back.status_code == 303 and back.headers["location"] == "/sign-in?failed=1", back.headers
    assert SESSION not in browser.cookies
    assert (await browser.get("/referrals")).headers["location"] == "/sign-in"
    page = await browser.get("/sign-in?failed=1")
    assert "Sign-in did not work" in page.text, page.text


async def test_sign_in_refuses_forged_callbacks_other_browsers_codes_and_other_nonces(identity_provider):
    issuer, port = identity_provider, free_port()
    async with serve(create_app(console_settings(issuer, port)), port) as console:

        def browser() -> httpx.AsyncClient:
            return httpx.AsyncClient(base_url=console, timeout=20)

        async with browser() as victim, browser() as attacker, browser() as honest, browser() as stranger:
            # A callback no sign-in in this browser started: refused before the provider is asked.
            await refused(stranger, "/auth/callback?code=forged&state=forged")

            # The attacker's own code and state, delivered to the victim's browser mid sign-in.
            await begin(victim, issuer)
            theirs = await choose(attacker, await begin(attacker, issuer), "ops-alex")
            await refused(victim, theirs)

            # The victim's own state and PKCE, but an ID token carrying another sign-in's nonce.
            authorize = with_param(await begin(victim, issuer), "nonce", "the-nonce-of-another-sign-in")
            await refused(victim, await choose(victim, authorize, "fca-sam-patel"))

            # The same steps, honestly: signed in.
            callback = await choose(honest, await begin(honest, issuer), "fca-sam-patel")
            back = await honest.get(callback)
            assert back.status_code == 303 and back.headers["location"] == "/referrals", back.headers
            assert SESSION in honest.cookies
            # and that callback, replayed from another browser, signs nobody in
            await refused(stranger, callback)
