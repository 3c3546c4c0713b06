"""Each service's OpenAPI document says what its operations answer when they refuse: every problem
type a route gives is listed on that operation (and ptfc.testing.plugin fails any test that meets
one that is not); a body that is not JSON is 415 and malformed JSON 400, each with its own type; a
method a path does not serve is 405 with `Allow` naming those it does."""

import importlib
import re
from pathlib import Path

import httpx
import pytest

from ptfc.cli import SERVICES
from ptfc.problems import PROBLEM_BASE
from ptfc.testing.plugin import bearer

ROOT = Path(__file__).resolve().parents[2]
# Where a reason is written down: raised as a domain refusal, made as a problem, or in a table of them.
WORD = r'"([a-z]+(?:-[a-z]+)+)"'
REASON = re.compile(rf"Refused\(\s*{WORD}|Problem\(\s*\d{{3}},\s*{WORD}|^\s+{WORD}: \(\s*\d{{3}}", re.M)
CALLERS = {
    "referrals": bearer("cafcass", "fca-problems"),
    "learning": bearer("cafcass", "fca-problems"),
    "workshops": bearer("provider", "staff-problems", provider="family-action"),
    "plans": bearer("parent", "parent-problems"),
    "notifications": bearer("ops", "ops-problems"),
}
METHODS = {"get", "post", "put", "patch", "delete"}


def app_of(service: str):
    return importlib.import_module(f"{service}.app").create_app()


def listed(operation: dict) -> dict[str, set[str]]:
    return {status: set(r.get("x-problem-types", [])) for status, r in operation["responses"].items()}


def reasons_in_source(service: str) -> set[str]:
    found: set[str] = set()
    for path in (ROOT / "services" / service / "src" / service).glob("*.py"):
        found |= {next(g for g in m.groups() if g) for m in REASON.finditer(path.read_text())}
    return found


@pytest.mark.parametrize("service", list(SERVICES))
def test_each_operation_lists_the_problem_types_its_service_declares_for_it(service):
    app = app_of(service)
    doc = app.openapi()
    declared = importlib.import_module(f"{service}.refusals").ROUTES
    for key, by_status in declared.items():
        method, path = key.split(" ", 1)
        assert path in doc["paths"] and method.lower() in doc["paths"][path], f"{service}: no operation {key}"
        responses = doc["paths"][path][method.lower()]["responses"]
        for status, types in by_status.items():
            response = responses[str(status)]
            assert set(types) <= set(response["x-problem-types"]), (key, status)
            enum = response["content"]["application/problem+json"]["schema"]["allOf"][1]["properties"]["type"]["enum"]
            assert {PROBLEM_BASE + t for t in types} <= set(enum), (key, status)
            assert all(f"`{t}`" in response["description"] for t in types), (key, status)


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_reason_a_service_gives_is_listed_on_some_operation(service):
    doc = app_of(service).openapi()
    everywhere: set[str] = set()
    for item in doc["paths"].values():
        for method, operation in item.items():
            if method in METHODS:
                for types in listed(operation).values():
                    everywhere |= types
    missing = reasons_in_source(service) - everywhere
    assert not missing, f"{service}: reasons no operation lists (add them to {service}/refusals.py ROUTES): {missing}"


def test_the_problems_partners_met_unlisted_are_listed_where_they_are_answered():
    """The issue's list: each on the operation that answers it, and a 409 naming its type."""
    wanted = {
        "referrals": [
            ("post", "/referrals", "422", "invalid-case-number"),
            ("post", "/referrals", "422", "same-parent-twice"),
            ("post", "/referrals", "409", "parent-already-referred"),
            ("get", "/referrals", "400", "invalid-cursor"),
            ("post", "/referrals", "400", "malformed-json"),
            ("post", "/referrals", "415", "unsupported-media-type"),
        ],
        "notifications": [("post", "/webhooks", "422", "webhook-url-not-https")],
        "plans": [("post", "/plans/{plan_id}/topics/{topic}/proposals", "422", "field-not-for-topic")],
        "learning": [("post", "/activate", "409", "credential-not-replayed")],
    }
    for service, rows in wanted.items():
        doc = app_of(service).openapi()
        for method, path, status, reason in rows:
            assert reason in listed(doc["paths"][path][method]).get(status, set()), (service, method, path, status)
    referral = app_of("referrals").openapi()["paths"]["/referrals"]["post"]["responses"]
    assert "conflict" not in referral["409"]["x-problem-types"]
    assert "Idempotent-Replayed" in referral["201"]["headers"]


async def call(app, method: str, path: str, **kwargs) -> httpx.Response:
    transport = httpx.ASGITransport(app=app)  # refused before any route reaches the store or broker
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        return await client.request(method, path, **kwargs)


def concrete(path: str) -> str:
    return re.sub(r"\{[^}]+\}", "x1", path)


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_body_that_is_not_json_is_415_and_malformed_json_400(service):
    app = app_of(service)
    doc = app.openapi()
    headers = dict(CALLERS[service])
    seen = 0
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if method not in METHODS or "requestBody" not in operation:
                continue
            url, seen = concrete(path), seen + 1
            for content_type, body, status, reason in [
                ("text/plain", b"hello", 415, "unsupported-media-type"),
                ("application/x-www-form-urlencoded", b"a=b", 415, "unsupported-media-type"),
                ("application/json", b'{"unclosed": ', 400, "malformed-json"),
            ]:
                answer = await call(app, method, url, content=body, headers=headers | {"Content-Type": content_type})
                assert answer.status_code == status, (method, path, content_type, answer.text)
                assert answer.json()["type"] == PROBLEM_BASE + reason
                listed_here = listed(operation)[str(status)]
                assert reason in listed_here, (method, path, status)
    assert seen, f"{service} has no operation with a body"


@pytest.mark.parametrize("service", list(SERVICES))
async def test_a_method_a_path_does_not_serve_is_405_with_allow(service):
    app = app_of(service)
    doc = app.openapi()
    for path, item in doc["paths"].items():
        served = {m.upper() for m in item if m in METHODS}
        unserved = sorted({"GET", "POST", "PUT", "PATCH", "DELETE"} - served)
        if not unserved:
            continue
        answer = await call(app, unserved[0], concrete(path), headers=dict(CALLERS[service]))
        assert answer.status_code == 405, (unserved[0], path)
        assert answer.json()["type"] == PROBLEM_BASE + "method-not-allowed"
        allow = {m.strip() for m in answer.headers["allow"].split(",")}
        assert served <= allow and not allow & set(unserved), (path, answer.headers["allow"])
