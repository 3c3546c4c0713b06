"""Settings of the Parent Hub (environment variables `PTFC_*`). It keeps no data: it knows where
the services are, how to set its cookies, and what to tell parents about who to contact."""

from datetime import timedelta

from pydantic import Field, model_validator

from ptfc import keys
from ptfc.settings import ServiceSettings

DEV_HUB_SECRET = "ptfc-local-hub-csrf-key-never-use-in-production"


class Settings(ServiceSettings):
    service: str = "hub"
    learning_url: str = "http://127.0.0.1:8002"
    workshops_url: str = "http://127.0.0.1:8003"
    plans_url: str = "http://127.0.0.1:8004"
    notifications_url: str = "http://127.0.0.1:8005"  # the parent's certificate (it makes and emails it)
    backend_timeout: float = 10.0
    # Keys the CSRF tokens of forms; one per deployment, never the development one in production.
    hub_secret: str = Field(DEV_HUB_SECRET, min_length=32)
    # Cookies are Secure. Only a hub served on plain http from this machine (development) may turn it off.
    cookie_secure: bool = True
    timezone: str = "Europe/London"  # parents read times as people in England do
    session_warning_minutes: int = 5  # warn this long before the sign-in runs out
    # A parent's bearer token (a minute long) is refreshed from learning's session when this close to its end.
    session_refresh_margin: timedelta = timedelta(seconds=15)
    support_email: str = "support@ptfc.example"
    support_phone: str = "0300 123 4567"
    # Each provider's number for its parents (PTFC_PROVIDER_PHONES, JSON: {"family-action": "…"}), as the
    # provider publishes it: whom a parent calls when it is too late to cancel online. A provider not
    # listed falls back to support_phone.
    provider_phones: dict[str, str] = {}

    def development_keys(self) -> list[str]:
        """The hub holds one secret of its own (no bus, no store, no token keys: it forwards the
        parent's token to the services, which verify it)."""
        return ["hub_secret"] if keys.is_one_of(self.hub_secret, [DEV_HUB_SECRET]) else []  # in any form

    @model_validator(mode="after")
    def _secure_unless_local(self) -> "Settings":
        local = self.public_url.startswith(("http://127.0.0.1", "http://localhost"))
        if not self.cookie_secure and not local:
            raise ValueError("cookie_secure may be false only for a hub served at http://127.0.0.1 (development)")
        return self
