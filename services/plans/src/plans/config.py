"""Settings of the plans service (environment variables `PTFC_*`)."""

from datetime import timedelta

from pydantic import Field, field_validator

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "plans"
    hub_url: str = "http://127.0.0.1:8000"  # the Parent Hub: links point at `{hub_url}/plans/...`
    invitation_ttl: timedelta = timedelta(days=7)  # an invitation link works once, until then
    # Whoever asks, one person (a programme parent, or an address by its keyed hash: `email_lookup_key`)
    # is sent at most this many invitations in the quiet period; sharing the same plan with them again
    # within it keeps the invitation already sent (domain.invite).
    invitation_emails_per_recipient: int = Field(3, ge=1)
    invitation_quiet_period: timedelta = timedelta(days=1)
    # The other parent is emailed of a reply (a proposal waiting for them, the plan agreed) at most once
    # in this period per plan (domain.tell_the_other).
    reply_email_period: timedelta = timedelta(days=1)
    # Anyone may reach the routes that need no account: each client (by address, `trusted_proxy_hops`
    # as every service) this many calls a minute (ptfc.limits.PerClient). The body limit is every service's.
    public_rate_limit: int = 60

    @field_validator("hub_url")
    @classmethod
    def _no_trailing_slash(cls, value: str) -> str:
        return value.rstrip("/")
