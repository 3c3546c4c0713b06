"""Every service's OpenAPI document says what its operations can answer: besides the success, the
RFC 9457 problems (`application/problem+json`) the platform gives for bad input, missing or wrong
credentials, records the caller cannot see, conflicts, limits and outages. Generated from the
routes, so a new route is documented like the others."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ptfc.problems import MALFORMED_JSON, MEDIA_TYPE, NOT_JSON, PROBLEM_BASE

PROBLEM_SCHEMA = {
    "type": "object",
    "description": "RFC 9457 problem details: `type` is the reason for machines; `title`, `detail` for people.",
    "properties": {
        "type": {"type": "string", "format": "uri", "example": PROBLEM_BASE + "not-found"},
        "title": {"type": "string"},
        "status": {"type": "integer"},
        "detail": {"type": "string"},
        "instance": {"type": "string"},
        "errors": {
            "type": "array",
            "description": "With `invalid-request`: each field that is wrong, never its value.",
            "items": {
                "type": "object",
                "properties": {
                    "location": {"type": "string"},
                    "reason": {"type": "string"},
                    "message": {"type": "string"},
                },
            },
        },
    },
    "required": ["type", "title", "status"],
    "additionalProperties": True,
}

# status → (when, the problem types any operation may carry). A route adds its own (its domain's
# refusals) in its service's table of problems by operation (`build_app(problems=...)`).
GENERAL = {
    400: ("The request could not be read.", ["bad-request"]),
    401: (
        "No bearer token, or one that is expired or not valid.",
        ["unauthenticated", "token-expired", "invalid-token"],
    ),
    403: ("The caller's role may not do this.", ["forbidden"]),
    404: ("No such record visible to the caller (records of others answer the same).", ["not-found"]),
    409: ("The request conflicts with the record's state.", []),
    410: ("What the request names is gone for good.", []),
    413: ("The body is larger than the service accepts.", ["body-too-large"]),
    415: ("The body is not JSON: send it with `Content-Type: application/json`.", [NOT_JSON]),
    422: (
        "The request is not valid (see `errors`), or its `Idempotency-Key` was sent before with another body.",
        ["invalid-request", "idempotency-key-reused"],
    ),
    429: ("Too many requests from this client: wait for `Retry-After` seconds.", ["too-many-requests"]),
    500: ("Something went wrong on our side; retrying with the same `Idempotency-Key` is safe.", ["internal-error"]),
    503: (
        "The service cannot reach its store or broker, or is too busy to take another write just now: "
        "retry after `Retry-After` seconds.",
        ["unavailable"],
    ),
}
PLATFORM_PATHS = {"/healthz", "/readyz"}
# An operation that only the platform's own front ends call, from inside the cluster (the Parent Hub,
# with the parent's token it holds), never a browser or a partner: given as a route's `openapi_extra`,
# it keeps the operation off the public ingress (tests/deploy/test_network.py checks both ways: every
# other operation is routed on its host, one marked so is not).
IN_CLUSTER = {"x-ptfc-audience": "in-cluster"}
REPLAYED = {
    "description": "`true` when this is the stored answer to an earlier request with the same `Idempotency-Key`: "
    "the write was done once, by that request.",
    "schema": {"type": "string", "enum": ["true"]},
}

# A table of the problems each operation adds: "METHOD /path" → status → problem types.
Declared = dict[str, dict[int, tuple[str, ...]]]


def problem_types(path: str, method: str, operation: dict[str, Any], declared: Declared) -> dict[int, list[str]]:
    """Every problem type the operation may answer, by status."""
    if path in PLATFORM_PATHS:  # no route logic, but the body limit runs before routing for every path
        return {413: ["body-too-large"]} | ({503: ["unavailable"]} if path == "/readyz" else {})
    found = [400, 404, 413, 429, 500, 503]
    if operation.get("security"):
        found += [401, 403]
    if operation.get("parameters") or operation.get("requestBody"):
        found += [422]
    if operation.get("requestBody"):
        found += [415]
    types = {status: list(GENERAL[status][1]) for status in found}
    if operation.get("requestBody"):
        types[400].append(MALFORMED_JSON)
    if any(p.get("name") == "cursor" and p.get("in") == "query" for p in operation.get("parameters", [])):
        types[400].append("invalid-cursor")
    for status, more in declared.get(f"{method.upper()} {path}", {}).items():
        types.setdefault(status, list(GENERAL.get(status, ("", []))[1]))
        types[status] += [t for t in more if t not in types[status]]
    return {status: found for status, found in sorted(types.items()) if found}


def problem_response(status: int, existing: dict[str, Any] | None, types: list[str]) -> dict[str, Any]:
    when = GENERAL.get(status, ("The request was refused.", []))[0]
    response = dict(existing or {})
    described = response.get("description")
    if not described or described in ("Validation Error", "Successful Response"):
        described = when
    response["description"] = f"{described} Problem types: {', '.join('`' + t + '`' for t in types)}."
    # The types as data too: a client (or schemathesis) can check an answer's `type` against them.
    schema = {
        "allOf": [
            {"$ref": "#/components/schemas/Problem"},
            {"properties": {"type": {"enum": [PROBLEM_BASE + t for t in types]}}},
        ]
    }
    response["content"] = {MEDIA_TYPE: {"schema": schema}}
    response["x-problem-types"] = types
    return response


def document_replays(operation: dict[str, Any]) -> None:
    """A write that takes an `Idempotency-Key` says how a retry's answer is told from the first."""
    if not any(p.get("name") == "Idempotency-Key" for p in operation.get("parameters", [])):
        return
    for status, response in operation.get("responses", {}).items():
        if status.startswith("2"):
            response.setdefault("headers", {})["Idempotent-Replayed"] = REPLAYED


def _properties(schema: dict[str, Any], response: dict[str, Any]) -> tuple[str | None, set[str]]:
    """The component a JSON response is (by name) and its property names."""
    ref = response.get("content", {}).get("application/json", {}).get("schema", {}).get("$ref")
    if not ref:
        return None, set()
    name = ref.rsplit("/", 1)[-1]
    return name, set(schema["components"]["schemas"].get(name, {}).get("properties", {}))


def add_links(schema: dict[str, Any]) -> None:
    """OpenAPI links from a write to the record it answers with: `POST /referrals` creates the
    referral `GET /referrals/{referral_id}` reads, by the `id` of the answer (or a field named as
    the parameter). A client generator, or schemathesis' stateful phase, follows them. A route can
    declare more in its `openapi_extra` (`responses` → status → `links`)."""
    reads = {
        path: item["get"]
        for path, item in schema.get("paths", {}).items()
        if "get" in item and re.fullmatch(r"(/[^{}]+)+/\{\w+\}", path)
    }
    for path, item in schema.get("paths", {}).items():
        for method in ("post", "put", "patch"):
            operation = item.get(method)
            for status, response in (operation or {}).get("responses", {}).items():
                if not status.startswith("2"):
                    continue
                answer, fields = _properties(schema, response)
                for target, read in reads.items():
                    collection, parameter = target.rsplit("/", 1)
                    parameter = parameter.strip("{}")
                    same_record = (
                        answer is not None and _properties(schema, read["responses"].get("200", {}))[0] == answer
                    )
                    if parameter in fields and path.startswith(collection + "/"):
                        field = parameter
                    elif "id" in fields and (path == collection or (same_record and path.startswith(collection + "/"))):
                        field = "id"
                    else:
                        continue
                    link = {
                        "operationId": read["operationId"],
                        "parameters": {parameter: f"$response.body#/{field}"},
                        "description": f"The record this answer names, read with `GET {target}`.",
                    }
                    response.setdefault("links", {}).setdefault(read["operationId"], link)


def document(app: FastAPI, declared: Declared) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    description = app.description or (
        "Errors are RFC 9457 problem details (`application/problem+json`); each operation lists the "
        "problem types it may answer. A method a path does not serve is answered 405 `method-not-allowed` "
        "with `Allow` naming the methods it does."
    )
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=description)
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status, types in problem_types(path, method, operation, declared).items():
                responses[str(status)] = problem_response(status, responses.get(str(status)), types)
            document_replays(operation)
    add_links(schema)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI, declared: Declared | None = None) -> None:
    app.openapi = lambda: document(app, declared or {})  # type: ignore[method-assign]
