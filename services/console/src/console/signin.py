"""Sign-in through the person's organisation's identity provider, and sign-out from both."""

import logging
import secrets
import time
from typing import Annotated

import jwt
from fastapi import APIRouter, Query, Request
from fastapi.responses import Response

from console import oidc
from console.backend import Unavailable
from console.security import LOGIN, SESSION, seal, set_cookie, unseal
from console.web import Csrf, redirect, render, staff_of

router = APIRouter()
log = logging.getLogger(__name__)

HOMES = {"provider": "/sessions", "facilitator": "/my-sessions", "cafcass": "/referrals", "ops": "/operations"}


def _callback(request: Request) -> str:
    return request.app.state.settings.public_url.rstrip("/") + "/auth/callback"


@router.get("/")
async def home(request: Request) -> Response:
    staff = staff_of(request)
    if staff is None:
        return redirect("/sign-in")
    return redirect(HOMES.get(staff.caller.role, "/signed-in"))


@router.get("/signed-in")
async def nothing_here(request: Request) -> Response:
    return render(request, "no_pages.html")


@router.get("/sign-in")
async def sign_in(request: Request, ended: bool = False, failed: bool = False) -> Response:
    logins = request.app.state.settings.oidc_issuers
    return render(request, "sign_in.html", logins=logins, ended=ended, failed=failed)


@router.get("/sign-in/start")
async def start(request: Request, issuer: Annotated[str, Query(max_length=500)]) -> Response:
    settings = request.app.state.settings
    login = settings.oidc_issuers.get(issuer)
    if login is None:
        return render(request, "sign_in.html", 404, logins=settings.oidc_issuers, failed=True)
    try:
        where = await oidc.endpoints(request.app.state.client, issuer)
    except Exception as error:  # whatever fails on their side, the page says sign-in is away
        log.warning("discovery of %s failed: %s", issuer, error)
        raise Unavailable(str(error)) from error
    address, pending = oidc.start(issuer, login, where, _callback(request))
    response = redirect(address)
    window = int(settings.sign_in_window.total_seconds())
    set_cookie(response, settings.cookie_secure, LOGIN, seal(settings.console_secret, LOGIN, pending), max_age=window)
    return response


@router.get("/auth/callback")
async def callback(
    request: Request,
    code: Annotated[str | None, Query(max_length=2000)] = None,
    state: Annotated[str | None, Query(max_length=500)] = None,
) -> Response:
    """Back from the provider: only with the state we sent (in this browser's signed cookie), in time."""
    settings = request.app.state.settings
    pending = unseal(settings.console_secret, LOGIN, request.cookies.get(LOGIN))
    in_time = pending and time.time() - int(pending.get("at", 0)) < settings.sign_in_window.total_seconds()
    if not pending or not in_time or not code or not state or state != pending.get("state"):
        return _failed(request, "no sign-in of this browser's matches (state missing, different or too old)")
    if pending.get("issuer") not in settings.oidc_issuers:
        return _failed(request, "issuer no longer configured")
    try:
        id_token, caller = await oidc.finish(request.app.state.client, settings, pending, code, _callback(request))
    except oidc.SignInFailed as refused:
        return _failed(request, str(refused))
    claims_end = int(jwt.decode(id_token, options={"verify_signature": False})["exp"])
    fields = {
        "token": id_token,
        "issuer": pending["issuer"],
        "name": settings.oidc_issuers[pending["issuer"]].name,
        "ends": claims_end,
        "csrf": secrets.token_urlsafe(24),
    }
    response = redirect(HOMES.get(caller.role, "/signed-in"))
    response.delete_cookie(LOGIN, path="/")
    max_age = max(0, claims_end - int(time.time()))
    set_cookie(
        response, settings.cookie_secure, SESSION, seal(settings.console_secret, SESSION, fields), max_age=max_age
    )
    return response


def _failed(request: Request, why: str) -> Response:
    log.warning("sign-in refused: %s", why)
    response = redirect("/sign-in?failed=1")
    response.delete_cookie(LOGIN, path="/")
    return response


@router.post("/sign-out", dependencies=[Csrf])
async def sign_out(request: Request) -> Response:
    """Ends the console's session, then the provider's (its end-session endpoint), back to a page here."""
    settings = request.app.state.settings
    staff = staff_of(request)
    after = settings.public_url.rstrip("/") + "/signed-out"
    address = None
    if staff is not None and staff.issuer in settings.oidc_issuers:
        try:
            where = await oidc.endpoints(request.app.state.client, staff.issuer)
            address = oidc.end_session_url(where, staff.token, after)
        except Exception as error:  # signed out here whatever the provider does
            log.warning("end-session endpoint of %s unknown: %s", staff.issuer, error)
    response = redirect(address or "/signed-out")
    response.delete_cookie(SESSION, path="/")
    return response


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html")
