"""Wires the Parent Hub: `create_app(settings)`. No store, no broker: pages, and HTTP clients
for learning, workshops and plans."""

from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager

import httpx
from fastapi import FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from hub import course, elearning, flash, plan, resources, signin, workshop
from hub.backend import Backend, SignedOut, Unavailable
from hub.config import Settings
from hub.i18n import LANGUAGES
from hub.security import CSRF, LANG, SESSION, cookie, delete_cookie, set_cookie, write_session
from hub.web import CsrfRefused, redirect, render, session_of

# The pages a refused post is shown on: template and status.
PROBLEMS = {
    "form-expired": ("form_expired.html", 403),
    "not-done": ("page_problem.html", 400),
    "not-found": ("page_problem.html", 404),
    "unavailable": ("unavailable.html", 503),
}


def after_post(request: Request, kind: str) -> Response | None:
    """For a post, the 303 to the page that says why it was refused; None for a read."""
    return redirect(f"/problem/{kind}") if request.method == "POST" else None


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.refuse_development_keys()  # outside PTFC_ENV=dev, the public CSRF key stops the start
        async with httpx.AsyncClient(timeout=settings.backend_timeout) as client:
            app.state.backends = {
                "learning": Backend(client, settings.learning_url),
                "workshops": Backend(client, settings.workshops_url),
                "plans": Backend(client, settings.plans_url),
                "notifications": Backend(client, settings.notifications_url),
            }
            yield

    app = FastAPI(title="PTfC Parent Hub", lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(packages=[("hub", "static"), ("ptfc", "web/static")]), name="static")
    for module in (signin, course, elearning, workshop, plan, resources):
        app.include_router(module.router)

    @app.middleware("http")
    async def cookies(request: Request, call_next: Callable) -> Response:
        response = await call_next(request)
        chosen = request.query_params.get("lang")
        if chosen in LANGUAGES:
            set_cookie(response, settings.cookie_secure, LANG, chosen, max_age=365 * 24 * 3600)
        flash.forget(request, response)  # a refused form's errors are shown once
        if refreshed := getattr(request.state, "session", None):  # a new token from learning's session
            write_session(response, settings, refreshed)
        seed = getattr(request.state, "csrf_seed", None)
        if seed and not cookie(request, CSRF):
            # Lax, not Strict: a page opened from an email link must not mint a new seed (and so
            # void the forms in the parent's other tabs). The token in the form is what protects.
            set_cookie(response, settings.cookie_secure, CSRF, seed)
        return response

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, _: SignedOut) -> Response:
        # "You have been signed out" only to someone who was signed in.
        response = redirect("/sign-in?ended=1" if cookie(request, SESSION) else "/sign-in")
        delete_cookie(response, settings.cookie_secure, SESSION)
        request.state.session = None  # a token refreshed earlier in this request is not written back
        return response

    @app.exception_handler(Unavailable)
    async def unavailable(request: Request, _: Unavailable) -> Response:
        return after_post(request, "unavailable") or render(request, "unavailable.html", 503)

    @app.exception_handler(CsrfRefused)
    async def csrf_refused(request: Request, _: CsrfRefused) -> Response:
        if request.url.path in ("/activate", "/sign-in/session") and session_of(request):
            # The button pressed twice: the first press signed the parent in, and the form's token was
            # made before that sign-in (so it is refused now). Nothing is done: on to the course.
            return redirect("/course")
        return after_post(request, "form-expired") or render(request, "form_expired.html", 403)

    # A parent reads pages: an unknown address, or one the routes refuse (a module 9, a link cut
    # short), is "Page not found", and a form the hub cannot read is "could not be done". Never
    # FastAPI's JSON, which would also show back what was sent.
    @app.exception_handler(HTTPException)
    async def http_error(request: Request, error: HTTPException) -> Response:
        if moved := after_post(request, "not-found" if error.status_code == 404 else "not-done"):
            return moved
        page = render(request, "page_problem.html", error.status_code, not_found=error.status_code == 404)
        page.headers.update(error.headers or {})  # a 405's Allow
        return page

    @app.exception_handler(RequestValidationError)
    async def invalid(request: Request, _: RequestValidationError) -> Response:
        read = request.method in ("GET", "HEAD")
        if moved := after_post(request, "not-done"):
            return moved
        return render(request, "page_problem.html", 404 if read else 400, not_found=read)

    # Post/Redirect/Get for refusals too (`flash`): a form the hub could not take is answered with a
    # 303 to its page here, so Back from it, or to it, never asks to send the form again.
    @app.get("/problem/{kind}", include_in_schema=False)
    async def problem(request: Request, kind: str) -> Response:
        if kind not in PROBLEMS:
            return render(request, "page_problem.html", 404, not_found=True)
        template, status = PROBLEMS[kind]
        return render(request, template, status, not_found=kind == "not-found")

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @app.get("/readyz", include_in_schema=False)
    async def readyz(request: Request) -> Response:
        """Ready while learning answers (nobody signs in without it). Workshops and plans are
        reported too, but their pages say so themselves when they are away: taking the whole hub
        out of service for one of them would also take away sign-in and the e-learning."""
        checks = {}
        for name, backend in request.app.state.backends.items():
            try:
                checks[name] = (await backend.get("/healthz")).ok
            except Unavailable:
                checks[name] = False
        status = "ok" if all(checks.values()) else "degraded"
        return JSONResponse({"status": status, "checks": checks}, 200 if checks["learning"] else 503)

    return app
