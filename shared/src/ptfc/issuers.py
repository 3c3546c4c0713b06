"""What each trusted token issuer may grant (`PTFC_JWT_ISSUERS`).

A partner's identity provider is trusted for its own people only: the roles it may grant, the
organisations (`provider`, `court`) it may name and the prefix of the subjects it may name. A token
that claims anything beyond its issuer's grant is refused (401), so a partner's compromised or
misconfigured identity provider cannot mint a Cafcass adviser, an operator, or another provider's
staff.

    PTFC_JWT_ISSUERS='{
      "ptfc-learning": {"public_key": "<PEM>", "roles": ["parent"]},
      "https://idp.family-action.example": {"public_key": "<PEM>", "roles": ["provider", "facilitator"],
                                            "providers": ["family-action"], "subject_prefix": "fa:"}
    }'

An organisation's OpenID Connect provider is configured by its published keys instead of a
static one: `"jwks_uri": "https://idp.example/jwks"`, or `"discover": true` to find them from the
issuer URL (`/.well-known/openid-configuration`); they are fetched, cached and rotated by `kid`
(ptfc.jwks). Its tokens carry our claims under its own names, mapped per issuer (`claims`, and
`role_values` for its own words for our roles), and name their own audience (`audience`: the
console's client id for the ID tokens the staff console forwards):

    "http://127.0.0.1:9400": {"discover": true, "audience": "ptfc-console",
        "roles": ["provider", "facilitator", "cafcass", "ops"], "providers": ["action-for-children"],
        "claims": {"role": "ptfc_role", "provider": "ptfc_provider"},
        "role_values": {"coordinator": "provider"}}

While learning's key changes, its issuer holds both keys, `"public_keys": ["<old PEM>", "<new PEM>"]`:
a token verifies with the key its `kid` names (the key's RFC 7638 thumbprint, ptfc.keys.key_id),
or, without a known `kid`, with any of them.

`"*"` in `providers` or `courts` grants every organisation; only `PTFC_ENV=dev` accepts it (the
development identity provider, for `ptfc token` and tests)."""

from functools import cached_property
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ptfc import keys

Role = Literal["cafcass", "court", "provider", "facilitator", "parent", "ops", "public"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
STAFF_ROLES: tuple[str, ...] = tuple(role for role in ROLES if role != "parent")
EVERY = "*"
# Roles whose access is to one organisation's records: their token must name it.
NEEDS = {"provider": "provider", "facilitator": "provider", "court": "court"}


class Issuer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    # Its key: exactly one of a static public key, static keys, the address of its JWKS, or discovery.
    public_key: str | None = None  # Ed25519 (or Ed448), in any form ptfc.keys reads; kept as PEM
    # During a change of its key (learning's, docs/operations.md "Rotating keys"): the old and the
    # new, each verifying the tokens whose `kid` (ptfc.keys.key_id) is its own.
    public_keys: list[str] = []
    jwks_uri: str | None = None
    discover: bool = False  # the JWKS found from `<issuer>/.well-known/openid-configuration`
    audience: str | None = None  # the `aud` its tokens carry for us; default: the service's jwt_audience
    roles: list[Role] = Field(min_length=1)
    providers: list[str] = []  # provider slugs its `provider` claims may name
    courts: list[str] = []  # court names its `court` claims may name
    subject_prefix: str = ""  # every `sub` it grants starts with this
    # Where its tokens hold our claims, when not under our names: {"role": "ptfc_role", ...}.
    claims: dict[Literal["sub", "role", "provider", "court"], str] = {}
    role_values: dict[str, Role] = {}  # its words for our roles ({"coordinator": "provider"})

    @field_validator("public_key")
    @classmethod
    def _a_public_key(cls, value: str | None) -> str | None:
        return None if value is None else keys.verification_key(value)

    @field_validator("public_keys")
    @classmethod
    def _public_keys(cls, value: list[str]) -> list[str]:
        return [keys.verification_key(key) for key in value]

    @model_validator(mode="after")
    def _one_source_of_keys(self) -> "Issuer":
        sources = [self.public_key is not None, bool(self.public_keys), self.jwks_uri is not None, self.discover]
        if sources.count(True) != 1:
            raise ValueError("an issuer has exactly one of public_key, public_keys, jwks_uri or discover: true")
        if self.jwks_uri is not None and not self.jwks_uri.startswith(("https://", "http://127.0.0.1")):
            raise ValueError("jwks_uri must be https (http only on 127.0.0.1, for development)")
        return self

    @property
    def publishes_keys(self) -> bool:
        return not self.static_keys

    @cached_property
    def static_keys(self) -> dict[str, str]:
        """Its configured public keys (PEM) by `kid`."""
        held = [self.public_key] if self.public_key is not None else self.public_keys
        return {keys.key_id(key): key for key in held}

    def ours(self, claims: dict[str, Any]) -> dict[str, Any]:
        """The token's claims with ours (sub, role, provider, court) read where this issuer puts them."""
        mapped = dict(claims)
        for ours, theirs in self.claims.items():
            mapped[ours] = claims.get(theirs)
            if mapped[ours] is None:
                del mapped[ours]
        if isinstance(role := mapped.get("role"), str) and role in self.role_values:
            mapped["role"] = self.role_values[role]
        return mapped

    @property
    def grants_every_organisation(self) -> bool:
        return EVERY in self.providers or EVERY in self.courts

    def refusal(self, role: str, sub: str, provider: str | None, court: str | None) -> str | None:
        """Why a token with these claims is beyond this issuer's grant, or None if it is within."""
        if role not in self.roles:
            return f"Its issuer may not grant the role {role}."
        for claim, value in (("provider", provider), ("court", court)):
            if NEEDS.get(role) == claim and not value:
                return f"A {role} token must name its {claim}."
            granted = self.providers if claim == "provider" else self.courts
            if value is not None and EVERY not in granted and value not in granted:
                return f"Its issuer may not grant access to that {claim}."
        if not sub.startswith(self.subject_prefix):
            return "Its issuer may not grant that subject."
        return None
