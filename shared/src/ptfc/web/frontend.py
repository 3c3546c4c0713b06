"""The wiring the two front ends (the Parent Hub, the staff console) share: an app with no store and
no broker, one HTTP client to the services it names, its own stylesheet after the shared one, and
error pages instead of FastAPI's JSON. Each front end's `create_app` adds its cookies, its
exception pages and its readiness rule (docs/architecture.md, "The two front ends")."""

from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import asynccontextmanager
from typing import Protocol

import httpx
from fastapi import APIRouter, FastAPI, Request, Response
from fastapi.exceptions import RequestValidationError
from fastapi.staticfiles import StaticFiles
from starlette.exceptions import HTTPException

from ptfc.web.backend import Backend, Unavailable

Render = Callable[..., Response]  # the front end's render(request, template, status, **context)
Moved = Callable[[Request, str], Response | None]  # a refused post's redirect to its problem page, or None


class FrontEndSettings(Protocol):
    backend_timeout: float

    def refuse_development_keys(self) -> None: ...


def front_end(
    settings: FrontEndSettings, *, title: str, package: str, services: Iterable[str], routers: Iterable[APIRouter]
) -> FastAPI:
    """`package`'s pages; `app.state.backends[name]` calls the service at `settings.<name>_url`
    with one client (`app.state.client`) that the app's lifespan opens and closes."""
    names = tuple(services)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        settings.refuse_development_keys()  # outside PTFC_ENV=dev, a public cookie or CSRF key stops the start
        async with httpx.AsyncClient(timeout=settings.backend_timeout) as client:
            app.state.client = client  # also the console's OpenID Connect client (discovery, token endpoint)
            app.state.backends = {name: Backend(client, getattr(settings, f"{name}_url")) for name in names}
            yield

    app = FastAPI(title=title, lifespan=lifespan, docs_url=None, redoc_url=None, openapi_url=None)
    app.state.settings = settings
    app.mount("/static", StaticFiles(packages=[(package, "static"), ("ptfc", "web/static")]), name="static")
    for router in routers:
        app.include_router(router)
    app.add_api_route("/healthz", healthz, include_in_schema=False)
    return app


async def healthz() -> dict[str, str]:
    """Liveness: the process answers."""
    return {"status": "ok"}


async def answering(request: Request) -> dict[str, bool]:
    """Each service this front end calls, and whether its /healthz answers: for /readyz."""
    checks = {}
    for name, backend in request.app.state.backends.items():
        try:
            checks[name] = (await backend.get("/healthz")).ok
        except Unavailable:
            checks[name] = False
    return checks


def _no_redirect(request: Request, kind: str) -> None:
    return None


def page_errors(app: FastAPI, render: Render, moved: Moved = _no_redirect) -> None:
    """A person reads pages: an unknown address, or one the routes refuse, is "Page not found", and a
    form the front end cannot read is "could not be done". Never FastAPI's JSON, which would also
    show back what was sent. `moved` answers a refused post with a redirect instead (the hub's
    Post/Redirect/Get), given the kind of problem: "not-found" or "not-done"."""

    async def http_error(request: Request, error: Exception) -> Response:
        assert isinstance(error, HTTPException)
        if redirect := moved(request, "not-found" if error.status_code == 404 else "not-done"):
            return redirect
        page = render(request, "page_problem.html", error.status_code, not_found=error.status_code == 404)
        page.headers.update(error.headers or {})  # a 405's Allow
        return page

    async def invalid(request: Request, _: Exception) -> Response:
        if redirect := moved(request, "not-done"):
            return redirect
        read = request.method in ("GET", "HEAD")
        return render(request, "page_problem.html", 404 if read else 400, not_found=read)

    app.add_exception_handler(HTTPException, http_error)
    app.add_exception_handler(RequestValidationError, invalid)
