"""What partners build on, generated from the event models: the JSON Schema of each event as it
travels (its envelope with typed `data`), for the AsyncAPI documents and `docs/events/`."""

import json
import sys
from pathlib import Path
from typing import Any, Literal
from uuid import UUID

from pydantic import BaseModel, create_model

from ptfc.events import EVENTS, STREAMS, Envelope, EventData, owner_of


def envelope_model(model: type[EventData]) -> type[BaseModel]:
    """The envelope carrying `model` as its `data`: what a subscriber to `model.TYPE` receives."""
    name = "".join(part.title() for part in model.TYPE.replace("_", ".").split(".")) + f"V{model.VERSION}"
    return create_model(
        name,
        __base__=Envelope,
        __config__=None,
        __doc__=(model.__doc__ or "").strip() or f"The `{model.TYPE}` event, version {model.VERSION}.",
        # Every field of the envelope is there in every event: the schema requires them all, and
        # names the one service that publishes the type (a consumer trusts no other producer).
        event_id=(UUID, ...),
        type=(Literal[model.TYPE], ...),  # type: ignore[valid-type]
        version=(Literal[model.VERSION], ...),  # type: ignore[valid-type]
        producer=(Literal[owner_of(model.TYPE)], ...),  # type: ignore[valid-type]
        data=(model, ...),
    )


def event_schema(model: type[EventData]) -> dict[str, Any]:
    return envelope_model(model).model_json_schema()


CORRELATION = "$message.payload#/correlation_id"


def correlated(document: dict[str, Any]) -> dict[str, Any]:
    """An AsyncAPI document whose messages say where their correlation id is: the envelope's
    `correlation_id` (FastStream names a header of its own, which our events do not carry)."""
    schemas = document.get("components", {}).get("schemas", {})
    for message in document.get("components", {}).get("messages", {}).values():
        ref = message.get("payload", {}).get("$ref", "").rsplit("/", 1)[-1]
        if "correlation_id" in schemas.get(ref, {}).get("properties", {}):
            message["correlationId"] = {
                "location": CORRELATION,
                "description": "The referral or plan the event belongs to.",
            }
        else:
            message.pop("correlationId", None)
    return document


def published_by(service: str) -> list[type[EventData]]:
    """The events a service publishes: those whose subjects sit in the stream it owns."""
    if service not in STREAMS:
        return []
    prefixes = {subject.removesuffix(".>") for subject in STREAMS[service][1]}
    return [m for t, m in sorted(EVENTS.items()) if t.split(".", 1)[0] in prefixes]


def schema_files() -> dict[str, str]:
    """`docs/events/<type>.v<version>.json` for every event: what `python -m ptfc.contracts` writes."""
    return {
        f"{model.TYPE}.v{model.VERSION}.json": json.dumps(event_schema(model), indent=2, sort_keys=True) + "\n"
        for model in EVENTS.values()
    }


if __name__ == "__main__":  # python -m ptfc.contracts docs/events
    out = Path(sys.argv[1] if len(sys.argv) > 1 else "docs/events")
    out.mkdir(parents=True, exist_ok=True)
    for stale in out.glob("*.json"):
        stale.unlink()
    for name, text in schema_files().items():
        (out / name).write_text(text)
    print(f"wrote {len(schema_files())} event schemas to {out}")
