"""Base for request bodies: an unknown field is a client error, never silently dropped."""

from pydantic import BaseModel, ConfigDict


class Request(BaseModel):
    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True)
