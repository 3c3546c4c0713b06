"""RFC 9457 problem details: every error any service answers has this shape.

`type` is a stable URI naming the reason, for machines; `title` and `detail` are for people.
Validation errors never echo the input back, so a problem cannot carry personal data."""

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException
from starlette.routing import Route

log = logging.getLogger("ptfc.problems")

PROBLEM_BASE = "https://ptfc.example/problems/"
MEDIA_TYPE = "application/problem+json"


class Problem(Exception):
    def __init__(self, status: int, reason: str, title: str, detail: str = "", **extra: Any) -> None:
        super().__init__(f"{status} {reason}: {detail or title}")
        self.status = status
        self.reason = reason
        self.title = title
        self.detail = detail
        self.extra = extra

    def body(self, instance: str) -> dict[str, Any]:
        body = {"type": PROBLEM_BASE + self.reason, "title": self.title, "status": self.status}
        if self.detail:
            body["detail"] = self.detail
        body["instance"] = instance
        return {**body, **self.extra}


def not_found(what: str) -> Problem:
    # Also answered for records the caller may not see, so their existence is not revealed.
    return Problem(404, "not-found", f"{what} not found", f"No {what} with that id is visible to you.")


def forbidden(detail: str) -> Problem:
    return Problem(403, "forbidden", "Not allowed", detail)


def respond(problem: Problem, request: Request, headers: dict[str, str] | None = None) -> JSONResponse:
    headers = dict(headers or {})
    if problem.status == 401:
        headers["WWW-Authenticate"] = "Bearer"
    return JSONResponse(problem.body(request.url.path), problem.status, headers=headers, media_type=MEDIA_TYPE)


_STATUS_REASONS = {
    400: ("bad-request", "Bad request"),
    401: ("unauthenticated", "Authentication required"),
    403: ("forbidden", "Not allowed"),
    404: ("not-found", "Not found"),
    405: ("method-not-allowed", "Method not allowed"),
    409: ("conflict", "Conflict"),
    415: ("unsupported-media-type", "Unsupported media type"),
}


RETRY_AFTER = 5  # seconds: about one server-selection timeout


def unavailable(error: Exception) -> bool:
    """The store is away (or too slow to answer in time): the caller should retry, not give up."""
    return isinstance(error, ConnectionFailure) or (isinstance(error, PyMongoError) and error.timeout)


def allowed_methods(request: Request) -> str:
    """Every method some route serves on this path. Starlette's own `Allow` names only the methods
    of the first route matching the path, when a path has one route per method."""
    methods: set[str] = set()
    for route in request.app.router.routes:
        if isinstance(route, Route) and route.methods and route.path_regex.match(request.url.path):
            methods |= route.methods
    return ", ".join(sorted(methods))


def install(app: FastAPI) -> None:
    @app.exception_handler(Problem)
    async def on_problem(request: Request, exc: Problem) -> JSONResponse:
        return respond(exc, request)

    @app.exception_handler(RequestValidationError)
    async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
        errors = [
            {"location": ".".join(str(p) for p in e["loc"]), "reason": e["type"], "message": e["msg"]}
            for e in exc.errors()
        ]
        problem = Problem(
            422, "invalid-request", "The request is not valid", "See `errors` for each field.", errors=errors
        )
        return respond(problem, request)

    @app.exception_handler(HTTPException)
    async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
        reason, title = _STATUS_REASONS.get(exc.status_code, ("http-error", "Request failed"))
        detail = exc.detail if isinstance(exc.detail, str) and exc.detail.casefold() != title.casefold() else ""
        # Keep the exception's headers: a 405 must say which methods are allowed (`Allow`).
        headers = dict(exc.headers or {})
        if exc.status_code == 405:
            headers["Allow"] = allowed_methods(request)
        return respond(Problem(exc.status_code, reason, title, detail), request, headers)

    @app.exception_handler(Exception)
    async def on_error(request: Request, exc: Exception) -> JSONResponse:
        if unavailable(exc):
            log.warning("store unavailable on %s %s: %s", request.method, request.url.path, type(exc).__name__)
            problem = Problem(
                503,
                "unavailable",
                "Service unavailable",
                "The service cannot reach its database just now. Retry later with the same Idempotency-Key.",
            )
            return respond(problem, request, {"Retry-After": str(RETRY_AFTER)})
        log.exception("unhandled error on %s %s", request.method, request.url.path)
        problem = Problem(
            500,
            "internal-error",
            "Something went wrong on our side",
            "The error has been logged. Retrying with the same Idempotency-Key is safe.",
        )
        return respond(problem, request)
