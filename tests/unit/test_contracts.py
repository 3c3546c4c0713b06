"""The contracts partners build on: every service's AsyncAPI document lists what it publishes and
consumes with real schemas (tests/checks/test_asyncapi_parser.py runs the reference parser over them,
out of the unit suite); `docs/events/` matches the models."""

import importlib
import json
from pathlib import Path

import httpx
import pytest

from ptfc.cli import SERVICES
from ptfc.contracts import published_by, schema_files

ROOT = Path(__file__).resolve().parents[2]


async def asyncapi_of(service: str) -> dict:
    app = importlib.import_module(f"{service}.app").create_app()
    transport = httpx.ASGITransport(app=app)  # the document needs no running broker or store
    async with httpx.AsyncClient(transport=transport, base_url="http://service.test") as client:
        response = await client.get("/asyncapi.json")
    assert response.status_code == 200
    return response.json()


def test_event_schema_files_are_current():
    on_disk = {p.name: p.read_text() for p in (ROOT / "docs" / "events").glob("*.json")}
    assert on_disk == schema_files(), "run: uv run python -m ptfc.contracts docs/events"


@pytest.mark.parametrize("service", list(SERVICES))
async def test_asyncapi_lists_what_a_service_publishes_and_consumes_with_schemas(service):
    doc = await asyncapi_of(service)
    assert doc["asyncapi"].startswith("3.")
    addresses = {c["address"] for c in doc["channels"].values()}
    for model in published_by(service):
        assert model.TYPE in addresses, f"{service} does not document {model.TYPE}"
    schemas = doc["components"]["schemas"]
    for message in doc["components"]["messages"].values():
        ref = message["payload"]["$ref"].rsplit("/", 1)[-1]
        payload = schemas[ref]
        # the envelope, with the typed event in `data`, never an empty payload
        assert {"event_id", "type", "version", "occurred_at", "correlation_id", "producer", "data"} <= set(
            payload["properties"]
        ), (service, message["title"])
        assert payload["properties"]["type"].get("const"), (service, message["title"])


@pytest.mark.parametrize("service", list(SERVICES))
def test_every_request_body_has_examples_that_its_schema_accepts(service):
    from jsonschema import Draft202012Validator

    doc = importlib.import_module(f"{service}.app").create_app().openapi()
    for path, item in doc["paths"].items():
        for method, operation in item.items():
            if "requestBody" not in operation:
                continue
            schema = operation["requestBody"]["content"]["application/json"]["schema"]
            refs = [s["$ref"] for s in schema.get("anyOf", [schema]) if "$ref" in s]
            [ref] = refs
            found = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]].get("examples")
            assert found, f"{service}: {method.upper()} {path} has no example"
            validator = Draft202012Validator({"$ref": ref, "components": doc["components"]})
            for example in found:
                assert not list(validator.iter_errors(example)), (method, path, example)


# Example bodies shipped beside a service for partners to copy, and the operation each is for.
EXAMPLE_FILES = {ROOT / "services" / "referrals" / "example-referral.json": ("referrals", "post", "/referrals")}


@pytest.mark.parametrize("path", list(EXAMPLE_FILES), ids=lambda p: p.name)
def test_every_example_file_is_accepted_by_its_operations_published_schema(path):
    from jsonschema import Draft202012Validator

    service, method, route = EXAMPLE_FILES[path]
    doc = importlib.import_module(f"{service}.app").create_app().openapi()
    schema = doc["paths"][route][method]["requestBody"]["content"]["application/json"]["schema"]
    validator = Draft202012Validator({**schema, "components": doc["components"]})
    errors = [f"{list(e.absolute_path)}: {e.message}" for e in validator.iter_errors(json.loads(path.read_text()))]
    assert not errors, errors
    assert sorted(p.name for p in ROOT.glob("services/*/example*.json")) == sorted(p.name for p in EXAMPLE_FILES)


def test_event_schemas_require_the_whole_envelope_and_name_the_producer():
    from ptfc.events import EVENTS, owner_of

    for name in schema_files():
        schema = json.loads((ROOT / "docs" / "events" / name).read_text())
        event_type = schema["properties"]["type"]["const"]
        assert {"event_id", "type", "version", "occurred_at", "correlation_id", "producer", "data"} <= set(
            schema["required"]
        ), name
        assert schema["properties"]["producer"]["const"] == owner_of(event_type), name
        assert schema["properties"]["version"]["const"] == EVENTS[event_type].VERSION, name


@pytest.mark.parametrize("service", list(SERVICES))
async def test_asyncapi_correlation_ids_are_the_envelopes(service):
    doc = await asyncapi_of(service)
    messages = doc["components"]["messages"].values()
    assert messages
    for message in messages:
        assert message["correlationId"]["location"] == "$message.payload#/correlation_id", message["title"]
