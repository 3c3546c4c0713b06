"""Base for request bodies: an unknown field is a client error, never silently dropped. And the
types whose checks match what their JSON Schema says, so a schema-valid request is accepted and a
schema-violating one refused."""

import re
from datetime import datetime
from typing import Annotated, Any

from pydantic import AwareDatetime, BaseModel, BeforeValidator, ConfigDict, Field, StrictInt


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)


def examples(*values: dict[str, Any]) -> ConfigDict:
    """A request body's examples, shown in its schema (and sent by schemathesis' examples phase).
    A subclass's `model_config` is merged with its base's, so the rules above still hold."""
    return ConfigDict(json_schema_extra={"examples": list(values)})


def _whole(value: Any) -> Any:
    # JSON Schema counts 6.0 as an integer: accept it as 6 (a string or 6.5 is still refused).
    return int(value) if isinstance(value, float) and value.is_integer() else value


def integer(**constraints: Any) -> Any:
    """An integer in JSON (no strings, no booleans, no fractions) with Field `constraints`, which
    must sit inside the validator to appear in the schema."""
    return Annotated[StrictInt, Field(**constraints), BeforeValidator(_whole)]


Integer = integer()

# No control characters (C0, DEL, C1): a NUL or an escape code in a name would reach letters,
# documents and other systems' logs. JSON Schema, Python and pydantic read the pattern alike.
NO_CONTROLS = r"^[^\u0000-\u001f\u007f-\u009f]*$"


def line(min_length: int, max_length: int) -> Any:
    """One line of text (a name, a court, a language): no control characters."""
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=NO_CONTROLS)]


# RFC 3339 `date-time` as JSON Schema's `format` means it: date, time and offset. Pydantic alone
# would also take a bare date or a number of seconds since 1970.
RFC3339 = re.compile(r"^\d{4}-\d{2}-\d{2}[Tt]\d{2}:\d{2}:\d{2}(\.\d+)?([Zz]|[+-]\d{2}:\d{2})$")


def _rfc3339(value: Any) -> Any:
    if isinstance(value, datetime):
        return value
    if not (isinstance(value, str) and RFC3339.match(value)):
        raise ValueError("give a date and time with its offset (RFC 3339), e.g. 2026-03-02T10:00:00Z")
    return value


DateTime = Annotated[AwareDatetime, BeforeValidator(_rfc3339)]
