"""Wires the staff console: `create_app(settings)`. No store, no broker: pages, an OpenID Connect
client for each organisation's identity provider, and HTTP clients for the five services."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

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
from console.backend import Backend, SignedOut, Unavailable
from console.config import Settings
from console.security import CSRF, SESSION, set_cookie
from console.web import CsrfRefused, NotYours, redirect, render

SERVICES = ("referrals", "learning", "workshops", "plans", "notifications")


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.refuse_development_keys()  # outside PTFC_ENV=dev, the public cookie key stops the start
        async with httpx.AsyncClient(timeout=settings.backend_timeout) as client:
            app.state.client = client  # also the OpenID Connect client's (discovery, token endpoint)
            app.state.backends = {name: Backend(client, getattr(settings, f"{name}_url")) for name in SERVICES}
            yield

    app = FastAPI(title="PTfC staff console", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(packages=[("console", "static"), ("ptfc", "web/static")]), name="static")
    pages = (signin, referrals, plans, sessions, contacts, waiting, followups, concerns, reports, operations, webhooks)
    for module in pages:
        app.include_router(module.router)

    # Sign-out is a form whose answer redirects to the provider's end-session page: CSP's
    # form-action covers that redirect, so it names the providers' origins, and no other.
    origins = " ".join(sorted({"/".join(issuer.split("/")[:3]) for issuer in settings.oidc_issuers}))

    @app.middleware("http")
    async def cookies(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        if origins and (policy := response.headers.get("Content-Security-Policy")):
            response.headers["Content-Security-Policy"] = policy.replace(
                "form-action 'self'", f"form-action 'self' {origins}"
            )
        flash.forget(request, response)  # a refused form's words are shown once
        seed = getattr(request.state, "csrf_seed", None)
        if seed and not request.cookies.get(CSRF):
            set_cookie(response, settings.cookie_secure, CSRF, seed)
        return response

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

    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        page = render(request, "page_problem.html", error.status_code, not_found=error.status_code == 404)
        page.headers.update(error.headers or {})
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, _: RequestValidationError) -> Response:
        read = request.method in ("GET", "HEAD")
        return render(request, "page_problem.html", 404 if read else 400, not_found=read)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        """Ready while the services answer; the pages say so themselves when one is away."""
        checks = {}
        for name, backend in request.app.state.backends.items():
            try:
                checks[name] = (await backend.get("/healthz")).ok
            except Unavailable:
                checks[name] = False
        ready = any(checks.values())
        return JSONResponse(
            {"status": "ok" if all(checks.values()) else "degraded", "checks": checks}, 200 if ready else 503
        )

    return app
