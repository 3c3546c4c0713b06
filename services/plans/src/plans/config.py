"""Settings of the plans service (environment variables `PTFC_*`)."""

from datetime import timedelta

from pydantic import field_validator

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "plans"
    hub_url: str = "http://127.0.0.1:8000"  # the Parent Hub: links point at `{hub_url}/plans/...`
    invitation_ttl: timedelta = timedelta(days=7)  # an invitation link works once, until then
    max_body_bytes: int = 64 * 1024
    # Anyone may reach the routes that need no account: each client (by address) this many calls per window.
    public_rate_limit: int = 60
    public_rate_window: timedelta = timedelta(minutes=1)
    trusted_proxies: list[str] = []  # e.g. the Parent Hub's address: its X-Forwarded-For is believed

    @field_validator("hub_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
