"""Sign-in with OpenID Connect: the authorisation code flow with PKCE (S256), `state` and `nonce`.

Small and explicit rather than a library: the console is a confidential or public client of each
organisation's provider, found by discovery; the ID token is verified exactly as every service
verifies it (ptfc.auth: the issuer's published keys, audience = our client id, the claims mapped
and held to what that issuer may grant), then its `nonce` is compared with the one we sent. The
services are called with that ID token (not the access token, which a provider may make opaque,
as the development provider does): so what the console shows is what the services allow."""

import base64
import hashlib
import secrets
import time
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlencode

import httpx
import jwt

from console.config import Login, Settings
from ptfc.auth import Caller, verified_caller
from ptfc.problems import Problem


class SignInFailed(Exception):
    """The provider's answer is not a sign-in we can accept; the reason is for the log, not the page."""


@dataclass(frozen=True)
class Endpoints:
    authorization: str
    token: str
    end_session: str | None


_DISCOVERED: dict[str, tuple[float, Endpoints]] = {}


async def endpoints(client: httpx.AsyncClient, issuer: str) -> Endpoints:
    """The provider's endpoints from its discovery document (kept an hour)."""
    held = _DISCOVERED.get(issuer)
    if held and time.monotonic() - held[0] < 3600:
        return held[1]
    answer = (await client.get(issuer.rstrip("/") + "/.well-known/openid-configuration")).raise_for_status()
    document = answer.json()
    if document.get("issuer") != issuer:
        raise SignInFailed(f"discovery names another issuer: {document.get('issuer')!r}")
    found = Endpoints(
        document["authorization_endpoint"], document["token_endpoint"], document.get("end_session_endpoint")
    )
    _DISCOVERED[issuer] = (time.monotonic(), found)
    return found


def _challenge(verifier: str) -> str:
    return base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).decode().rstrip("=")


def start(issuer: str, login: Login, where: Endpoints, redirect_uri: str) -> tuple[str, dict[str, Any]]:
    """The address to send the browser to, and what to remember until it comes back."""
    pending = {
        "issuer": issuer,
        "state": secrets.token_urlsafe(24),
        "nonce": secrets.token_urlsafe(24),
        "verifier": secrets.token_urlsafe(48),  # 64 characters: RFC 7636 asks 43 to 128
        "at": int(time.time()),
    }
    query = {
        "response_type": "code",
        "client_id": login.client_id,
        "redirect_uri": redirect_uri,
        "scope": login.scopes,
        "state": pending["state"],
        "nonce": pending["nonce"],
        "code_challenge": _challenge(pending["verifier"]),
        "code_challenge_method": "S256",
    }
    return f"{where.authorization}?{urlencode(query)}", pending


async def finish(
    client: httpx.AsyncClient, settings: Settings, pending: dict[str, Any], code: str, redirect_uri: str
) -> tuple[str, Caller]:
    """Exchange the code (with the PKCE verifier) for tokens; the verified ID token and its caller."""
    issuer = pending["issuer"]
    login = settings.oidc_issuers[issuer]
    where = await endpoints(client, issuer)
    form = {
        "grant_type": "authorization_code",
        "code": code,
        "redirect_uri": redirect_uri,
        "code_verifier": pending["verifier"],
        "client_id": login.client_id,
    }
    auth = (login.client_id, login.client_secret) if login.client_secret else None
    answer = await client.post(where.token, data=form, auth=auth) if auth else await client.post(where.token, data=form)
    if answer.status_code != 200:
        raise SignInFailed(f"token endpoint answered {answer.status_code}")
    id_token = answer.json().get("id_token")
    if not isinstance(id_token, str):
        raise SignInFailed("no ID token")
    try:
        caller = await verified_caller(settings, id_token)
    except Problem as refused:
        raise SignInFailed(f"ID token refused: {refused.detail}") from refused
    if jwt.decode(id_token, options={"verify_signature": False}).get("iss") != issuer:
        raise SignInFailed("the ID token is from another issuer than the one we sent the person to")
    # Verified above: reading it again only to compare the nonce we sent.
    nonce = jwt.decode(id_token, options={"verify_signature": False}).get("nonce")
    if not isinstance(nonce, str) or not secrets.compare_digest(nonce, pending["nonce"]):
        raise SignInFailed("nonce mismatch")
    return id_token, caller


def end_session_url(where: Endpoints, id_token: str, after: str) -> str | None:
    """The provider's end-session address (RP-initiated logout), back to `after`."""
    if not where.end_session:
        return None
    return f"{where.end_session}?{urlencode({'id_token_hint': id_token, 'post_logout_redirect_uri': after})}"
