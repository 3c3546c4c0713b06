"""Well-formed request bodies from a service's OpenAPI document, for the tests that call every
route (the authorisation matrix, the no-server-error fuzzer)."""

from collections.abc import Mapping
from typing import Any


def resolve(spec: dict, schema: dict) -> dict:
    """The schema itself, its `$ref`s followed into `spec`'s components."""
    while "$ref" in schema:
        schema = spec["components"]["schemas"][schema["$ref"].rsplit("/", 1)[-1]]
    return schema


def sample(spec: dict, schema: dict, name: str = "", values: Mapping[str, Any] | None = None, text: str = "x") -> Any:
    """A well-formed value for `schema`: `values[name]` for a field of that name (a real id, a case
    number), else its const or first choice, every property of an object, one item of a list (or
    `minItems`), a number at its minimum, and `text` padded to `minLength`."""
    schema, values = resolve(spec, schema), values or {}
    if name in values:
        return values[name]
    if "const" in schema:
        return schema["const"]
    if "enum" in schema:
        return schema["enum"][0]
    for key in ("anyOf", "oneOf", "allOf"):
        if key in schema:
            branch = next((s for s in schema[key] if s.get("type") != "null"), schema[key][0])
            return sample(spec, branch, name, values, text)
    kind = schema.get("type")
    if kind == "object":
        return {k: sample(spec, s, k, values, text) for k, s in schema.get("properties", {}).items()}
    if kind == "array":
        return [sample(spec, schema.get("items", {}), name, values, text)] * max(1, schema.get("minItems", 1))
    if kind == "integer":
        return int(schema.get("minimum", schema.get("exclusiveMinimum", 0) + 1))
    if kind == "number":
        return float(schema.get("minimum", 1))
    if kind == "boolean":
        return False
    padded = text.ljust(schema.get("minLength", 1), "x")
    return padded[: schema.get("maxLength", len(padded))]
