"""What partners build on, generated from the event models: the JSON Schema of each event as it
travels (its envelope with typed `data`), for the AsyncAPI documents and `docs/events/`."""

import json
import sys
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, create_model

from ptfc.events import EVENTS, STREAMS, Envelope, EventData


def envelope_model(model: type[EventData]) -> type[BaseModel]:
    """The envelope carrying `model` as its `data`: what a subscriber to `model.TYPE` receives."""
    name = "".join(part.title() for part in model.TYPE.replace("_", ".").split(".")) + f"V{model.VERSION}"
    return create_model(
        name,
        __base__=Envelope,
        __config__=None,
        __doc__=(model.__doc__ or "").strip() or f"The `{model.TYPE}` event, version {model.VERSION}.",
        type=(Literal[model.TYPE], model.TYPE),  # type: ignore[valid-type]
        version=(Literal[model.VERSION], model.VERSION),  # type: ignore[valid-type]
        data=(model, ...),
    )


def event_schema(model: type[EventData]) -> dict[str, Any]:
    return envelope_model(model).model_json_schema()


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
