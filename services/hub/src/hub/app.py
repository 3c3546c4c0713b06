"""Wires the Parent Hub: `create_app(settings)`. No store, no broker: pages, and HTTP clients
for learning, workshops and plans."""

from collections.abc import Callable

from fastapi import FastAPI, Request, Response
from fastapi.responses import JSONResponse

from hub import course, elearning, flash, plan, resources, signin, workshop
from hub.backend import SignedOut, Unavailable
from hub.config import Settings
from hub.i18n import LANGUAGES
from hub.security import CSRF, LANG, SESSION, cookie, delete_cookie, set_cookie, write_session
from hub.web import CsrfRefused, redirect, render, session_of
from ptfc.web.frontend import answering, front_end, page_errors

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
    app = front_end(
        settings,
        title="PTfC Parent Hub",
        package="hub",
        services=("learning", "workshops", "plans", "notifications"),
        routers=[module.router for module in (signin, course, elearning, workshop, plan, resources)],
    )
    app.middleware("http")(cookies)
    _refusal_pages(app)
    page_errors(app, render, after_post)
    app.add_api_route("/problem/{kind}", problem, include_in_schema=False)
    app.add_api_route("/readyz", readyz, include_in_schema=False)
    return app


async def cookies(request: Request, call_next: Callable) -> Response:
    """The language chosen, a refused form's errors forgotten once shown, a refreshed session, the CSRF seed."""
    settings: Settings = request.app.state.settings
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


def _refusal_pages(app: FastAPI) -> None:
    """Signed out, a service away, a form expired: each its page (or, for a post, a 303 to it)."""

    @app.exception_handler(SignedOut)
    async def signed_out(request: Request, _: SignedOut) -> Response:
        # "You have been signed out" only to someone who was signed in.
        response = redirect("/sign-in?ended=1" if cookie(request, SESSION) else "/sign-in")
        delete_cookie(response, request.app.state.settings.cookie_secure, SESSION)
        request.state.session = None  # a token refreshed earlier in this request is not written back
        return response

    @app.exception_handler(elearning.Closed)
    async def module_closed(request: Request, closed: elearning.Closed) -> Response:
        return closed.page  # why this module cannot be opened now

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


async def problem(request: Request, kind: str) -> Response:
    """Post/Redirect/Get for refusals too (`flash`): a form the hub could not take is answered with a
    303 to its page here, so Back from it, or to it, never asks to send the form again."""
    if kind not in PROBLEMS:
        return render(request, "page_problem.html", 404, not_found=True)
    template, status = PROBLEMS[kind]
    return render(request, template, status, not_found=kind == "not-found")


async def readyz(request: Request) -> Response:
    """Ready while learning answers (nobody signs in without it). Workshops and plans are
    reported too, but their pages say so themselves when they are away: taking the whole hub
    out of service for one of them would also take away sign-in and the e-learning."""
    checks = await answering(request)
    status = "ok" if all(checks.values()) else "degraded"
    return JSONResponse({"status": status, "checks": checks}, 200 if checks["learning"] else 503)
