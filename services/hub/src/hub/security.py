"""The parent's sign-in cookie and the CSRF token every form carries.

The session cookie holds learning's session: its secret (with which the hub gets a fresh bearer
token, a minute long, until the session ends) and the current token, signed by the hub
(`PTFC_HUB_SECRET`) so no one can make up or alter one. HttpOnly (no script reads it), Secure
(unless a developer runs the hub on http://127.0.0.1), SameSite=Lax (a link from an email still
opens the parent's pages, but no other site can post with it).

A form's CSRF token is an HMAC of a random value: signed in, the one held in that signed session
(so a token from another browser's session, or a cookie planted from a sibling domain, is refused);
signed out, a random per-browser value kept in its own HttpOnly cookie."""

import hashlib
import hmac
import json
import secrets
from base64 import urlsafe_b64decode, urlsafe_b64encode
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from typing import Any

from fastapi import Request, Response

SESSION = "ptfc_session"
CSRF = "ptfc_csrf"
LANG = "ptfc_lang"
PLAN_KEYS = "ptfc_plans"  # anonymous plan owners' secret tokens, by plan id


def cookie_name(name: str, secure: bool) -> str:
    """`__Host-` wherever cookies are Secure: a browser then takes such a cookie only from this very
    host over https, with Path=/ and no Domain, so a sibling domain cannot plant one (cookie tossing:
    a CSRF value it knows, a plan's secret, its own sign-in)."""
    return f"__Host-{name}" if secure else name


def cookie(request: Request, name: str) -> str | None:
    return request.cookies.get(cookie_name(name, request.app.state.settings.cookie_secure))


def set_cookie(
    response: Response, secure: bool, name: str, value: str, max_age: int | None = None, same_site: str = "lax"
) -> None:
    response.set_cookie(
        cookie_name(name, secure), value, max_age=max_age, httponly=True, secure=secure, samesite=same_site, path="/"
    )


def delete_cookie(response: Response, secure: bool, name: str) -> None:
    response.delete_cookie(cookie_name(name, secure), path="/", secure=secure, httponly=True, samesite="lax")


def csrf_seed(request: Request) -> str:
    """This browser's random CSRF value; made on first sight and set by the `remember_seed` middleware."""
    seed = cookie(request, CSRF) or getattr(request.state, "csrf_seed", None)
    if not seed:
        seed = secrets.token_urlsafe(24)
        request.state.csrf_seed = seed
    return seed


def csrf_token(secret: str, seed: str) -> str:
    return hmac.new(secret.encode(), seed.encode(), hashlib.sha256).hexdigest()


def csrf_value(secret: str, request: Request) -> str:
    """The CSRF token for this browser's forms: bound to its sign-in when it has one."""
    session = read_session(secret, cookie(request, SESSION))
    return csrf_token(secret, "session:" + session.csrf) if session else csrf_token(secret, csrf_seed(request))


def csrf_ok(secret: str, request: Request, submitted: str | None) -> bool:
    session = read_session(secret, cookie(request, SESSION))
    seed = "session:" + session.csrf if session else cookie(request, CSRF)
    token = (submitted or "").partition(".")[0]  # after the dot: the form's key (`web.render`)
    # As bytes: compare_digest refuses str with non-ASCII characters (a 500 for a made-up token).
    return bool(seed and token) and hmac.compare_digest(csrf_token(secret, seed).encode(), token.encode())


@dataclass(frozen=True)
class HubSession:
    """What the session cookie holds: learning's session secret (`refresh_token`), the current short
    bearer token, when the session ends (epoch seconds), and the session's CSRF value."""

    secret: str
    token: str
    ends: int
    csrf: str

    @classmethod
    def new(cls, secret: str, token: str, ends: datetime) -> "HubSession":
        return cls(secret, token, int(ends.timestamp()), secrets.token_urlsafe(24))

    @property
    def ends_at(self) -> datetime | None:
        try:
            return datetime.fromtimestamp(self.ends, UTC)
        except (ValueError, OverflowError, OSError):
            return None


def _mac(key: str, payload: str) -> str:
    return hmac.new(key.encode(), ("session:" + payload).encode(), hashlib.sha256).hexdigest()


def seal_session(key: str, session: HubSession) -> str:
    payload = urlsafe_b64encode(json.dumps(asdict(session)).encode()).decode().rstrip("=")
    return f"{payload}.{_mac(key, payload)}"


def read_session(key: str, value: str | None) -> HubSession | None:
    """The session in a cookie the hub signed, or None (none, altered or made up)."""
    payload, _, mac = (value or "").partition(".")
    if not payload or not hmac.compare_digest(_mac(key, payload).encode(), mac.encode()):
        return None
    try:
        fields = json.loads(urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
        return HubSession(str(fields["secret"]), str(fields["token"]), int(fields["ends"]), str(fields["csrf"]))
    except (ValueError, KeyError, TypeError):
        return None


def token_expiry(token: str) -> datetime | None:
    """When the parent's sign-in ends, read from the token only to warn them in time (learning
    and the other services check the signature; the hub never trusts this for access)."""
    try:
        claims = json.loads(urlsafe_b64decode(token.split(".")[1] + "=="))
        return datetime.fromtimestamp(int(claims["exp"]), UTC)
    # OverflowError, OSError: an expiry past year 9999, in a cookie someone made up.
    except (IndexError, ValueError, KeyError, TypeError, OverflowError, OSError):
        return None


def cookie_for(key: str, token: str, secret: str = "") -> str:
    """A session cookie holding only a bearer token (no session to refresh it from): for tests."""
    ends = datetime.fromtimestamp(int(datetime.now(UTC).timestamp()) + 3600, UTC)
    return seal_session(key, HubSession.new(secret, token, ends))


def write_session(response: Response, settings: Any, session: HubSession) -> None:
    """The signed session cookie, kept until the session ends."""
    max_age = max(0, session.ends - int(datetime.now(UTC).timestamp()))
    set_cookie(response, settings.cookie_secure, SESSION, seal_session(settings.hub_secret, session), max_age=max_age)
