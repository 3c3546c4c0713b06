"""Every service's OpenAPI document says what its operations can answer: besides the success, the
RFC 9457 problems (`application/problem+json`) the platform gives for bad input, missing or wrong
credentials, records the caller cannot see, conflicts, limits and outages. Generated from the
routes, so a new route is documented like the others."""

import re
from typing import Any

from fastapi import FastAPI
from fastapi.openapi.utils import get_openapi

from ptfc.problems import MEDIA_TYPE, PROBLEM_BASE

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

# status → (when, the problem types it may carry)
GENERAL = {
    400: ("The request could not be read.", ["bad-request"]),
    401: (
        "No bearer token, or one that is expired or not valid.",
        ["unauthenticated", "token-expired", "invalid-token"],
    ),
    403: ("The caller's role may not do this.", ["forbidden"]),
    404: ("No such record visible to the caller (records of others answer the same).", ["not-found"]),
    409: ("The request conflicts with the record's state.", ["conflict"]),
    413: ("The body is larger than the service accepts.", ["body-too-large"]),
    415: ("The body is not JSON.", ["unsupported-media-type"]),
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


def statuses(path: str, method: str, operation: dict[str, Any]) -> list[int]:
    if path in PLATFORM_PATHS:
        return [503] if path == "/readyz" else []
    found = [400, 404, 413, 429, 500, 503]
    if operation.get("security"):
        found += [401, 403]
    if operation.get("parameters") or operation.get("requestBody"):
        found += [422]
    if operation.get("requestBody"):
        found += [415]
    if method in ("post", "put", "patch", "delete"):
        found += [409]
    return sorted(found)


def problem_response(status: int, existing: dict[str, Any] | None) -> dict[str, Any]:
    when, types = GENERAL[status]
    response = dict(existing or {})
    described = response.get("description")
    if not described or described in ("Validation Error", "Successful Response"):
        described = when
    response["description"] = f"{described} Problem types: {', '.join('`' + t + '`' for t in types)}."
    response["content"] = {MEDIA_TYPE: {"schema": {"$ref": "#/components/schemas/Problem"}}}
    return response


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


def document(app: FastAPI) -> dict[str, Any]:
    if app.openapi_schema:
        return app.openapi_schema
    schema = get_openapi(title=app.title, version=app.version, routes=app.routes, description=app.description)
    schema.setdefault("components", {}).setdefault("schemas", {})["Problem"] = PROBLEM_SCHEMA
    for name in ("HTTPValidationError", "ValidationError"):
        schema["components"]["schemas"].pop(name, None)
    for path, item in schema.get("paths", {}).items():
        for method, operation in item.items():
            responses = operation.setdefault("responses", {})
            for status in statuses(path, method, operation):
                responses[str(status)] = problem_response(status, responses.get(str(status)))
    add_links(schema)
    app.openapi_schema = schema
    return schema


def install(app: FastAPI) -> None:
    app.openapi = lambda: document(app)  # type: ignore[method-assign]
