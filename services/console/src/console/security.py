"""The console's cookies: the staff member's session and the sign-in in progress, both signed
with `PTFC_CONSOLE_SECRET` (so no one can make up or alter one), HttpOnly, Secure (unless served
on http://127.0.0.1), SameSite=Lax (the identity provider's redirect back is a top-level GET,
which Lax lets through; no other site can post with them).

The session holds the identity provider's ID token (the services verify it themselves, by the
issuer's published keys), the issuer, when it ends (the token's expiry) and a per-session CSRF
value: a form's token is an HMAC of it, so a token made for another sign-in is refused."""

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

from fastapi import Request, Response

SESSION = "ptfc_console"
LOGIN = "ptfc_console_login"  # state, nonce and PKCE verifier of a sign-in in progress
CSRF = "ptfc_console_csrf"  # signed out: this browser's random CSRF value


def set_cookie(response: Response, secure: bool, name: str, value: str, max_age: int | None = None) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=secure, samesite="lax", path="/")


def _mac(key: str, purpose: str, payload: str) -> str:
    return hmac.new(key.encode(), f"{purpose}:{payload}".encode(), hashlib.sha256).hexdigest()


def seal(key: str, purpose: str, fields: dict[str, Any]) -> str:
    payload = urlsafe_b64encode(json.dumps(fields).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(key, purpose, payload)}"


def unseal(key: str, purpose: str, value: str | None) -> dict[str, Any] | None:
    """What a cookie this console signed for `purpose` holds, or None (none, altered, made up)."""
    payload, _, mac = (value or "").partition(".")
    if not payload or not hmac.compare_digest(_mac(key, purpose, payload).encode(), mac.encode()):
        return None
    try:
        fields = json.loads(urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    except ValueError:
        return None
    return fields if isinstance(fields, dict) else None


def csrf_token(key: str, seed: str) -> str:
    return hmac.new(key.encode(), ("csrf:" + seed).encode(), hashlib.sha256).hexdigest()


def csrf_seed(request: Request, key: str) -> str:
    """The value this browser's forms are bound to: its session's, or (signed out) a random one."""
    session = unseal(key, SESSION, request.cookies.get(SESSION))
    if session and isinstance(session.get("csrf"), str):
        return "session:" + session["csrf"]
    seed = request.cookies.get(CSRF) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = request.state.csrf_seed = secrets.token_urlsafe(24)
    return seed


def csrf_ok(key: str, request: Request, submitted: str | None) -> bool:
    session = unseal(key, SESSION, request.cookies.get(SESSION))
    seed = (
        "session:" + session["csrf"] if session and isinstance(session.get("csrf"), str) else request.cookies.get(CSRF)
    )
    token = (submitted or "").partition(".")[0]
    return bool(seed and token) and hmac.compare_digest(csrf_token(key, seed).encode(), token.encode())
