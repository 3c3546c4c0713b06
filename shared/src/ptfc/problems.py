"""RFC 9457 problem details: every error any service answers has this shape.

`type` is a stable URI naming the reason, for machines; `title` and `detail` are for people.
Validation errors never echo the input back, so a problem cannot carry personal data."""

import logging
from collections.abc import Iterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from pymongo.errors import ConnectionFailure, PyMongoError
from starlette.exceptions import HTTPException
from starlette.routing import BaseRoute, Match, Route

from ptfc.refusals import Refused, Table, Unknown

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


def refused(refusal: Refused | Unknown, words: Table) -> Problem:
    """The problem a domain refusal is answered with, worded by the service's table (ptfc.refusals).
    A reason missing from the table is a bug (a 500, logged): the service's tests meet it first."""
    if isinstance(refusal, Unknown):
        return not_found(refusal.what)
    status, title, *everyone = words[refusal.reason]
    return Problem(status, refusal.reason, title, everyone[0] if everyone else refusal.detail, **refusal.facts)


def respond(problem: Problem, request: Request, headers: dict[str, str] | None = None) -> JSONResponse:
    check_documented(problem, request)
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

# Problems answered for a request's form, not its content: any route with a JSON body may give them.
MALFORMED_JSON = "malformed-json"
NOT_JSON = "unsupported-media-type"

# Problem types answered where no operation documents them (a path, not an operation: 404, 405),
# or answered by an operation's OpenAPI but not listed there: a contract bug, logged, and failed
# by the test plugin (ptfc.testing.plugin) for every test that meets one.
UNDOCUMENTED: list[str] = []


RETRY_AFTER = 5  # seconds: about one server-selection timeout


def unavailable(error: Exception) -> bool:
    """The store is away (or too slow to answer in time): the caller should retry, not give up."""
    return isinstance(error, ConnectionFailure) or (isinstance(error, PyMongoError) and error.timeout)


def endpoints(routes: list[BaseRoute], prefix: str = "") -> Iterator[tuple[str, BaseRoute]]:
    """Every endpoint route with the prefix it is served under, looking inside included routers
    (FastAPI keeps them as routers of their own, with their prefix)."""
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            more = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            yield from endpoints(inner.routes, prefix + more)
        else:
            yield prefix, route


def allowed_methods(request: Request) -> str:
    """Every method some route serves on this path. Starlette's own `Allow` names only the methods
    of the first route matching the path, when a path has one route per method."""
    path, methods = request.url.path, set[str]()
    for prefix, route in endpoints(request.app.router.routes):
        inside = path.startswith(prefix) and isinstance(route, Route)
        if inside and route.methods and route.path_regex.match(path[len(prefix) :]):
            methods |= route.methods
    return ", ".join(sorted(methods))


def operation_of(request: Request) -> str | None:
    """The operation a request reached, as `POST /referrals/{referral_id}/withdraw`."""
    path = request.url.path
    for prefix, route in endpoints(request.app.router.routes):
        inside = path.startswith(prefix) and isinstance(route, Route)
        if inside and route.matches({**request.scope, "path": path[len(prefix) :]})[0] == Match.FULL:
            return f"{request.method} {prefix}{route.path}"
    return None


def check_documented(problem: "Problem", request: Request) -> None:
    """Record (and log) a problem type the operation's OpenAPI responses do not list."""
    operation = operation_of(request)
    if operation is None or not hasattr(request.app, "openapi"):
        return
    method, path = operation.split(" ", 1)
    try:
        responses = request.app.openapi()["paths"][path][method.lower()]["responses"]
    except KeyError:  # not in the document (HEAD, or a route kept out of it)
        return
    if not any("x-problem-types" in r for r in responses.values()):
        return  # an app that does not document problem types (not built by ptfc.service)
    if problem.reason not in responses.get(str(problem.status), {}).get("x-problem-types", []):
        UNDOCUMENTED.append(f"{operation} answered {problem.status} {problem.reason}")
        log.error("undocumented problem: %s answered %s %s", operation, problem.status, problem.reason)


def is_json(content_type: str | None) -> bool:
    main, _, sub = (content_type or "").partition(";")[0].strip().lower().partition("/")
    return main == "application" and (sub == "json" or sub.endswith("+json"))


def install(app: FastAPI, words: Table | None = None) -> None:
    """Every error as a problem; a domain refusal (ptfc.refusals) worded by the service's `words`."""

    async def on_refused(request: Request, exc: Refused | Unknown) -> JSONResponse:
        return respond(refused(exc, words or {}), request)

    app.exception_handler(Problem)(on_problem)
    app.exception_handler(Refused)(on_refused)
    app.exception_handler(Unknown)(on_refused)
    app.exception_handler(RequestValidationError)(on_invalid)
    app.exception_handler(HTTPException)(on_http)
    app.exception_handler(Exception)(on_error)


async def on_problem(request: Request, exc: Problem) -> JSONResponse:
    return respond(exc, request)


async def on_invalid(request: Request, exc: RequestValidationError) -> JSONResponse:
    """A body not sent as JSON (415), not well-formed (400), or fields not valid (422, each named,
    its value never echoed)."""
    # FastAPI parses a body as JSON only when its Content-Type says so, and answers a body it
    # did not or could not parse as a validation error: these are the request's form, not its fields.
    in_body = [e for e in exc.errors() if e["loc"][:1] == ("body",)]
    if in_body and await request.body() and not is_json(request.headers.get("content-type")):
        detail = "Send the body as JSON, with `Content-Type: application/json`."
        return respond(Problem(415, NOT_JSON, "Unsupported media type", detail), request)
    if any(e["type"] == "json_invalid" for e in in_body):
        detail = "The body is not well-formed JSON."
        return respond(Problem(400, MALFORMED_JSON, "Malformed JSON", detail), request)
    errors = [
        {"location": ".".join(str(p) for p in e["loc"]), "reason": e["type"], "message": e["msg"]} for e in exc.errors()
    ]
    problem = Problem(422, "invalid-request", "The request is not valid", "See `errors` for each field.", errors=errors)
    return respond(problem, request)


async def on_http(request: Request, exc: HTTPException) -> JSONResponse:
    """Starlette's own errors (no route, a method not served, …) as problems of their status."""
    reason, title = _STATUS_REASONS.get(exc.status_code, ("http-error", "Request failed"))
    detail = exc.detail if isinstance(exc.detail, str) and exc.detail.casefold() != title.casefold() else ""
    # Keep the exception's headers: a 405 must say which methods are allowed (`Allow`).
    headers = dict(exc.headers or {})
    if exc.status_code == 405:
        headers["Allow"] = allowed_methods(request)
    return respond(Problem(exc.status_code, reason, title, detail), request, headers)


async def on_error(request: Request, exc: Exception) -> JSONResponse:
    """The store away: 503, retry later. Anything else: a 500 that says nothing of the cause (logged)."""
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
