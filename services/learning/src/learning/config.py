"""Settings of the learning service (environment variables `PTFC_*`).

Every programme duration is an ISO 8601 duration, so tests run the 10-day window in seconds."""

from datetime import timedelta

from pydantic import Field, field_validator, model_validator

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "learning"
    hub_url: str = "http://127.0.0.1:8000"  # the Parent Hub; links point at `{hub_url}/activate` and `/sign-in`
    activation_ttl: timedelta = timedelta(hours=72)
    learning_window: timedelta = timedelta(days=10)  # from the welcome letter (the first link)
    reminders: list[timedelta] = Field(default=[timedelta(days=3), timedelta(days=1)])  # before the deadline
    extension_unit: timedelta = timedelta(days=1)  # one "day" of an extension; tests shrink it
    # A parent's session (`sessions`): it ends at sign-out, a withdrawal or a re-order, or after this.
    parent_session_ttl: timedelta = timedelta(hours=8)
    # The bearer token the hub is given from it, refreshed from the session: so an ended session stops
    # working everywhere within this. At most `parent_token_max_lifetime`, which every service checks.
    parent_access_ttl: timedelta = timedelta(seconds=60)
    sign_in_link_ttl: timedelta = timedelta(minutes=30)  # a link an activated parent asks for to come back
    sign_in_cooldown: timedelta = timedelta(minutes=1)  # at most one such email per parent this often
    sign_in_daily_cap: int = 5  # and at most this many in a day
    max_body_bytes: int = 64 * 1024

    @model_validator(mode="after")
    def _access_within_the_limit(self) -> "Settings":
        if self.parent_access_ttl > self.parent_token_max_lifetime:
            raise ValueError("parent_access_ttl must not exceed parent_token_max_lifetime (every service refuses it)")
        return self

    @field_validator("hub_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
