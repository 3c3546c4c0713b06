"""Wires the staff console: `create_app(settings)`. No store, no broker: pages, an OpenID Connect
client for each organisation's identity provider, and HTTP clients for the five services."""

from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from console import (
    concerns,
    contacts,
    flash,
    followups,
    operations,
    plans,
    referrals,
    reports,
    sessions,
    signin,
    waiting,
    webhooks,
)
from console.backend import SignedOut, Unavailable
from console.config import Settings
from console.security import CSRF, SESSION, set_cookie
from console.web import CsrfRefused, NotYours, redirect, render
from ptfc.web.frontend import answering, front_end, page_errors

SERVICES = ("referrals", "learning", "workshops", "plans", "notifications")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    pages = (signin, referrals, plans, sessions, contacts, waiting, followups, concerns, reports, operations, webhooks)
    app = front_end(
        settings, title="PTfC staff console", package="console", services=SERVICES, routers=[m.router for m in pages]
    )
    # Sign-out is a form whose answer redirects to the provider's end-session page: CSP's
    # form-action covers that redirect, so it names the providers' origins, and no other.
    app.state.origins = " ".join(sorted({"/".join(issuer.split("/")[:3]) for issuer in settings.oidc_issuers}))
    app.middleware("http")(cookies)
    _refusal_pages(app)
    page_errors(app, render)
    app.add_api_route("/readyz", readyz, include_in_schema=False)
    return app


async def cookies(request: Request, call_next: Callable) -> Response:
    """The providers' origins in CSP's form-action, a refused form's words forgotten once shown, the CSRF seed."""
    response = await call_next(request)
    origins = request.app.state.origins
    if origins and (policy := response.headers.get("Content-Security-Policy")):
        response.headers["Content-Security-Policy"] = policy.replace(
            "form-action 'self'", f"form-action 'self' {origins}"
        )
    flash.forget(request, response)  # a refused form's words are shown once
    seed = getattr(request.state, "csrf_seed", None)
    if seed and not request.cookies.get(CSRF):
        set_cookie(response, request.app.state.settings.cookie_secure, CSRF, seed)
    return response


def _refusal_pages(app: FastAPI) -> None:
    """Signed out, not theirs, a service away, a form expired: each its page."""

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, _: SignedOut) -> Response:
        response = redirect("/sign-in?ended=1" if request.cookies.get(SESSION) else "/sign-in")
        response.delete_cookie(SESSION, path="/")
        return response

    @app.exception_handler(NotYours)
    async def not_yours(request: Request, _: NotYours) -> Response:
        return render(request, "not_yours.html", 403)

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, _: Unavailable) -> Response:
        return render(request, "unavailable.html", 503)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        return render(request, "form_expired.html", 403)


async def readyz(request: Request) -> Response:
    """Ready while the services answer; the pages say so themselves when one is away."""
    checks = await answering(request)
    status = "ok" if all(checks.values()) else "degraded"
    return JSONResponse({"status": status, "checks": checks}, 200 if any(checks.values()) else 503)
