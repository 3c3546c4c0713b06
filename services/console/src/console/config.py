"""Settings of the staff console (environment variables `PTFC_*`). It keeps no data: it knows
where the services are, which organisations' identity providers staff sign in with, and how to
set its cookies."""

from datetime import timedelta

from pydantic import AliasChoices, BaseModel, ConfigDict, Field, model_validator

from ptfc import keys
from ptfc.settings import ServiceSettings

DEV_CONSOLE_SECRET = "ptfc-local-console-cookie-key-never-use-in-production"


class Login(BaseModel):
    """One organisation's OpenID Connect provider, by its issuer URL (the key in `oidc_issuers`).
    Its tokens are verified as every service verifies them: the same `PTFC_JWT_ISSUERS` entry
    (published keys, audience = this client id, claim mapping, what it may grant)."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1, max_length=80)  # on the sign-in button: "Action for Children"
    client_id: str = Field(min_length=1)
    client_secret: str | None = None  # None: a public client (PKCE alone)
    scopes: str = "openid profile email"


class Settings(ServiceSettings):
    service: str = "console"
    referrals_url: str = "http://127.0.0.1:8001"
    learning_url: str = "http://127.0.0.1:8002"
    workshops_url: str = "http://127.0.0.1:8003"
    plans_url: str = "http://127.0.0.1:8004"
    notifications_url: str = "http://127.0.0.1:8005"
    backend_timeout: float = 10.0
    # Signs the session cookie and keys the forms' CSRF tokens; never the development one in production.
    console_secret: str = Field(DEV_CONSOLE_SECRET, min_length=32)
    cookie_secure: bool = True  # only a console on http://127.0.0.1 (development) may turn it off
    # The identity providers staff sign in with, by issuer URL (each also in PTFC_JWT_ISSUERS).
    oidc_issuers: dict[str, Login] = Field(
        {}, validation_alias=AliasChoices("PTFC_OIDC_ISSUERS", "oidc_issuers"), min_length=0
    )
    sign_in_window: timedelta = timedelta(minutes=10)  # from leaving for the provider to coming back
    timezone: str = "Europe/London"

    def development_keys(self) -> list[str]:
        found = ["console_secret"] if keys.is_one_of(self.console_secret, [DEV_CONSOLE_SECRET]) else []
        if not self.oidc_issuers:
            found.append("oidc_issuers (no identity provider to sign in with)")
        return found

    @model_validator(mode="after")
    def _sign_in_is_verifiable(self) -> "Settings":
        local = self.public_url.startswith(("http://127.0.0.1", "http://localhost"))
        if not self.cookie_secure and not local:
            raise ValueError("cookie_secure may be false only for a console served at http://127.0.0.1")
        for issuer, login in self.oidc_issuers.items():
            grant = self.jwt_issuers.get(issuer)
            if grant is None or (grant.audience or self.jwt_audience) != login.client_id:
                raise ValueError(f"oidc_issuers: {issuer} must be in jwt_issuers with audience {login.client_id}")
        return self
