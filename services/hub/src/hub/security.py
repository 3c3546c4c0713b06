"""The parent's sign-in cookie and the CSRF token every form carries.

The session cookie holds the bearer token learning issued: HttpOnly (no script reads it),
Secure (unless a developer runs the hub on http://127.0.0.1), SameSite=Lax (a link from an
email still opens the parent's pages, but no other site can post with it). A form's CSRF token
is an HMAC of a random per-browser value kept in its own HttpOnly cookie: a page from another
site can neither read it nor forge the token."""

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64decode
from datetime import UTC, datetime

from fastapi import Request, Response

SESSION = "ptfc_session"
CSRF = "ptfc_csrf"
LANG = "ptfc_lang"
PLAN_KEYS = "ptfc_plans"  # anonymous plan owners' secret tokens, by plan id


def set_cookie(
    response: Response, secure: bool, name: str, value: str, max_age: int | None = None, same_site: str = "lax"
) -> None:
    response.set_cookie(name, value, max_age=max_age, httponly=True, secure=secure, samesite=same_site, path="/")


def csrf_seed(request: Request) -> str:
    """This browser's random CSRF value; made on first sight and set by the `remember_seed` middleware."""
    seed = request.cookies.get(CSRF) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    return seed


def csrf_token(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), seed.encode(), hashlib.sha256).hexdigest()


def csrf_ok(secret: str, request: Request, submitted: str | None) -> bool:
    seed = request.cookies.get(CSRF)
    token = (submitted or "").partition(".")[0]  # after the dot: the form's key (`web.render`)
    # As bytes: compare_digest refuses str with non-ASCII characters (a 500 for a made-up token).
    return bool(seed and token) and hmac.compare_digest(csrf_token(secret, seed).encode(), token.encode())


def token_expiry(token: str) -> datetime | None:
    """When the parent's sign-in ends, read from the token only to warn them in time (learning
    and the other services check the signature; the hub never trusts this for access)."""
    try:
        claims = json.loads(urlsafe_b64decode(token.split(".")[1] + "=="))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    # OverflowError, OSError: an expiry past year 9999, in a cookie someone made up.
    except (IndexError, ValueError, KeyError, TypeError, OverflowError, OSError):
        return None
