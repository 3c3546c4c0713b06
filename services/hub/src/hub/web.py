"""What every page shares: the language, the template environment for it, the CSRF token, the
parent's sign-in, security headers, and the page shown for a refusal."""

import secrets
from dataclasses import replace
from datetime import UTC, datetime
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import Depends, Form, Request
from fastapi.responses import HTMLResponse, RedirectResponse
from markupsafe import Markup

from hub import i18n
from hub.backend import Backend, SignedOut
from hub.security import LANG, SESSION, HubSession, cookie, csrf_ok, csrf_value, read_session, token_expiry
from ptfc.limits import client_address
from ptfc.web.pages import environment

HEADERS = {
    # Only the hub's own files; no inline script or style, no framing, forms post only here. A module's
    # film and captions come through the hub too (`elearning.media`), so media-src is the hub alone.
    "Content-Security-Policy": (
        "default-src 'none'; script-src 'self'; style-src 'self'; img-src 'self'; font-src 'self'; "
        "connect-src 'self'; media-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    # Addresses may hold a single-use token: never send them to another site, never cache a page.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


ENVIRONMENTS = {lang: environment("hub", i18n.translations(lang)) for lang in i18n.LANGUAGES}


def language(request: Request) -> str:
    return i18n.pick(
        request.query_params.get("lang"),
        cookie(request, LANG),
        i18n.from_accept_language(request.headers.get("accept-language", "")),
    )


def gettext(request: Request) -> Any:
    return i18n.translations(language(request)).gettext


def services(request: Request) -> dict[str, Backend]:
    """The services, called on behalf of the parent at this address (behind the ingress, the one it
    saw: `trusted_proxy_hops`, as in the services)."""
    address = client_address(request.scope, request.app.state.settings.trusted_proxy_hops)
    key = getattr(request.state, "form_key", None)
    return {name: backend.on_behalf_of(address, key) for name, backend in request.app.state.backends.items()}


def session_of(request: Request) -> HubSession | None:
    """The parent's session: as refreshed during this request, or as the signed cookie holds it."""
    refreshed = getattr(request.state, "session", None)
    return refreshed or read_session(request.app.state.settings.hub_secret, cookie(request, SESSION))


async def fresh_token(request: Request) -> str | None:
    """The parent's bearer token, None without a sign-in. Tokens live a minute: one missing or about to
    run out is replaced from learning's session (the cookie is rewritten on the way out, `app.cookies`).
    Once learning refuses (signed out elsewhere, withdrawn, re-ordered, past its time), or the cookie is
    not one the hub signed, the parent is signed out."""
    session = session_of(request)
    if session is None:
        if cookie(request, SESSION):
            raise SignedOut()
        return None
    expires = token_expiry(session.token)
    margin = request.app.state.settings.session_refresh_margin
    if expires is not None and expires - margin > datetime.now(UTC):
        return session.token
    answer = await services(request)["learning"].post("/sessions/refresh", json={"refresh_token": session.secret})
    if not answer.ok:
        raise SignedOut()
    request.state.session = replace(session, token=answer.body["access_token"])
    return request.state.session.token


async def token(request: Request) -> str:
    if (value := await fresh_token(request)) is None:
        raise SignedOut()
    return value


Token = Annotated[str, Depends(token)]


async def course_of(request: Request, token: str) -> dict:
    """The parent's course from learning. Any refusal (no course for this token, a token that is
    not a parent's) is treated as signed out: every personal page starts from the course."""
    answer = await services(request)["learning"].get("/me/course", token)
    if not answer.ok:
        raise SignedOut()
    request.state.course = answer.body  # the layout's menu reads it (`render`: no course links once withdrawn)
    return answer.body


async def check_csrf(request: Request, csrf: Annotated[str | None, Form()] = None) -> None:
    if not csrf_ok(request.app.state.settings.hub_secret, request, csrf):
        raise CsrfRefused()
    # The key of this rendering of the page: what the post asks the services to change is keyed by
    # it (`Backend.on_behalf_of`), so the same form posted twice is answered as the first time.
    request.state.form_key = csrf.partition(".")[2] or None


class CsrfRefused(Exception):
    pass


Csrf = Depends(check_csrf)


def render(request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
    settings = request.app.state.settings
    lang = language(request)
    fmt = i18n.Formats(lang, settings.timezone)
    session = session_of(request)
    expires = session.ends_at if session else None
    if expires and expires <= datetime.now(UTC):
        session, expires = None, None
    page = ENVIRONMENTS[lang].get_template(template)
    html = page.render(
        request=request,
        lang=lang,
        dir=fmt.direction,
        fmt=fmt,
        languages=i18n.NATIVE_NAMES,
        switch_url=lambda to: _switch(request, to),
        # The CSRF token, then a key for this rendering of the page's forms (`check_csrf`).
        csrf=f"{csrf_value(settings.hub_secret, request)}.{secrets.token_hex(16)}",
        signed_in=bool(session),
        # A withdrawn course's menu offers no course part, as its task list does not (issue 26); known on
        # every page that read the course, so also for the minute before the withdrawal signs them out.
        course_closed=bool((getattr(request.state, "course", None) or {}).get("withdrawn")),
        session_expires=expires,
        warning_minutes=settings.session_warning_minutes,
        # Numbers and addresses keep their own left-to-right order inside Urdu sentences.
        support_email=Markup('<bdi dir="ltr">{}</bdi>').format(settings.support_email),
        support_phone=Markup('<bdi dir="ltr">{}</bdi>').format(settings.support_phone),
        **context,
    )
    return HTMLResponse(html, status, headers=HEADERS)


def _switch(request: Request, to: str) -> str:
    """This page in another language, as a query-only link: the path is never echoed, so an address
    such as `//evil.example/..` cannot become a link to another site."""
    params = dict(request.query_params) | {"lang": to}
    return "?" + urlencode(params)


def redirect(url: str) -> RedirectResponse:
    return RedirectResponse(url, status_code=303, headers=HEADERS)
