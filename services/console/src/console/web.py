"""What every page shares: the template environment, the CSRF token, the staff member's sign-in,
security headers, and the answers for a refusal. As the Parent Hub's `web`, in English only."""

import secrets
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import Depends, Form, Path, Request
from fastapi.responses import HTMLResponse, RedirectResponse

from console.backend import Backend, SignedOut
from console.security import SESSION, csrf_ok, csrf_seed, csrf_token, unseal
from ptfc.auth import Caller, decode_token
from ptfc.limits import client_address
from ptfc.problems import Problem
from ptfc.web.pages import environment

HEADERS = {
    # Only the console's own files; no script at all, no framing, forms post only here.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'none'; style-src 'self'; img-src 'self'; "
        "form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}

# A referral's, session's, parent's or plan's id in an address, as the services make them: anything
# else is "Page not found" before any service is asked.
Id = Annotated[str, Path(pattern=r"^[A-Za-z0-9_-]{1,64}$")]

ROLE_NAMES = {
    "provider": "Coordinator",
    "facilitator": "Facilitator",
    "cafcass": "Family court adviser",
    "ops": "Operations",
    "court": "Court",
}

ENVIRONMENT = environment("console")


@dataclass(frozen=True)
class Staff:
    """The signed-in person: who the services say they are (the ID token, verified here as there)."""

    caller: Caller
    token: str
    issuer: str
    name: str
    ends: datetime


def staff_of(request: Request) -> Staff | None:
    settings = request.app.state.settings
    session = unseal(settings.console_secret, SESSION, request.cookies.get(SESSION))
    if not session:
        return None
    try:
        caller = decode_token(settings, str(session["token"]))  # expired or no longer trusted: signed out
        ends = datetime.fromtimestamp(int(session["ends"]), UTC)
    except (Problem, KeyError, ValueError, TypeError, OverflowError, OSError):
        return None
    return Staff(caller, str(session["token"]), str(session.get("issuer", "")), str(session.get("name", "")), ends)


def signed_in(request: Request) -> Staff:
    if (staff := staff_of(request)) is None:
        raise SignedOut()
    return staff


SignedIn = Annotated[Staff, Depends(signed_in)]


def needs(*roles: str) -> Any:
    """A dependency: the signed-in person, if their role is one of these (else 'not for you')."""

    def check(staff: SignedIn) -> Staff:
        if staff.caller.role not in roles:
            raise NotYours()
        return staff

    return Depends(check)


class NotYours(Exception):
    """A page for another role."""


class CsrfRefused(Exception):
    pass


async def check_csrf(request: Request, csrf: Annotated[str | None, Form()] = None) -> None:
    if not csrf_ok(request.app.state.settings.console_secret, request, csrf):
        raise CsrfRefused()
    request.state.form_key = (csrf or "").partition(".")[2] or None  # the same form posted twice acts once


Csrf = Depends(check_csrf)


def services(request: Request) -> dict[str, Backend]:
    address = client_address(request.scope, request.app.state.settings.trusted_proxy_hops)
    key = getattr(request.state, "form_key", None)
    return {name: backend.on_behalf_of(address, key) for name, backend in request.app.state.backends.items()}


def when(value: str | datetime | None, timezone: str = "Europe/London", date_only: bool = False) -> str:
    """A time as people in England read it: 'Tue 4 Mar 2031, 09:30'."""
    if not value:
        return ""
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    local = moment.astimezone(ZoneInfo(timezone))
    return local.strftime("%a %-d %b %Y") if date_only else local.strftime("%a %-d %b %Y, %H:%M")


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    staff = staff_of(request)
    key = settings.console_secret
    html = ENVIRONMENT.get_template(template).render(
        request=request,
        staff=staff,
        signed_in=bool(staff),  # the menu (ptfc/page.html)
        lang="en-GB",
        role_name=ROLE_NAMES.get(staff.caller.role, staff.caller.role) if staff else "",
        csrf=f"{csrf_token(key, csrf_seed(request, key))}.{secrets.token_hex(16)}",
        when=lambda value, date_only=False: when(value, settings.timezone, date_only),
        **context,
    )
    return HTMLResponse(html, status, headers=HEADERS)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)
