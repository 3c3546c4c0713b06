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

`"*"` in `providers` or `courts` grants every organisation; only `PTFC_ENV=dev` accepts it (the
development identity provider, for `ptfc token` and tests)."""

from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from ptfc import keys

Role = Literal["cafcass", "court", "provider", "facilitator", "parent", "ops", "public"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]
STAFF_ROLES: tuple[str, ...] = tuple(role for role in ROLES if role != "parent")
EVERY = "*"
# Roles whose access is to one organisation's records: their token must name it.
NEEDS = {"provider": "provider", "facilitator": "provider", "court": "court"}


class Issuer(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)

    public_key: str  # Ed25519 (or Ed448), in any form ptfc.keys reads; kept as PEM
    roles: list[Role] = Field(min_length=1)
    providers: list[str] = []  # provider slugs its `provider` claims may name
    courts: list[str] = []  # court names its `court` claims may name
    subject_prefix: str = ""  # every `sub` it grants starts with this

    @field_validator("public_key")
    @classmethod
    def _a_public_key(cls, value: str) -> str:
        return keys.verification_key(value)

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
