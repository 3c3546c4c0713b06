"""Bearer JWTs carrying the caller's role, subject and, for provider staff, provider: signed
with EdDSA by their issuer (learning for parents, the partners' identity provider for staff),
verified by every service against that issuer's public key.

Handlers take `Caller` and check object-level access themselves: a role alone never
grants a record."""

from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from ptfc.issuers import ROLES as ROLES  # re-exported: the roles live with what issuers may grant
from ptfc.issuers import Role as Role
from ptfc.problems import Problem, forbidden
from ptfc.settings import DEV_STAFF_ISSUER, PARENT_TOKEN_ISSUER, PARENT_TOKEN_LIFETIME, ServiceSettings


class Caller(BaseModel):
    sub: str
    role: Role
    provider: str | None = None  # provider staff and facilitators
    court: str | None = None  # court users: the court whose cases they see

    def require(self, *roles: str) -> "Caller":
        if self.role not in roles:
            raise forbidden(f"This needs one of the roles: {', '.join(roles)}.")
        return self


def issue_token(
    private_key: str,
    role: str,
    sub: str,
    provider: str | None = None,
    court: str | None = None,
    ttl: timedelta | None = None,
    *,
    issuer: str | None = None,
    audience: str = "ptfc",
) -> str:
    """A token signed with `private_key` (Ed25519 PEM). Without `issuer`: learning's for a parent,
    the development identity provider's for staff (what `ptfc token` and tests need)."""
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    now = datetime.now(UTC)
    # A parent's token lives a minute at most, as learning's (every service refuses a longer one).
    ttl = ttl if ttl is not None else PARENT_TOKEN_LIFETIME if role == "parent" else timedelta(hours=8)
    iss = issuer or (PARENT_TOKEN_ISSUER if role == "parent" else DEV_STAFF_ISSUER)
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + ttl, "iss": iss, "aud": audience}
    if provider:
        claims["provider"] = provider
    if court:
        claims["court"] = court
    return jwt.encode(claims, private_key, algorithm="EdDSA")


def _invalid(detail: str = "The bearer token is not valid.") -> Problem:
    return Problem(401, "invalid-token", "Authentication required", detail)


def decode_token(settings: ServiceSettings, token: str) -> Caller:
    """The caller a token names, if its issuer is one we trust, its signature that issuer's, it is
    meant for us (`aud`), current, not longer-lived than `jwt_max_lifetime`, and its role,
    organisation (`provider`, `court`) and subject within what that issuer may grant (ptfc.issuers):
    parents only from learning, staff only from the others."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        grant = settings.jwt_issuers.get(issuer) if isinstance(issuer, str) else None
        if grant is None:
            raise _invalid("The bearer token's issuer is not trusted.")
        claims = jwt.decode(
            token,
            grant.public_key,
            algorithms=["EdDSA"],
            audience=settings.jwt_audience,
            issuer=issuer,
            options={"require": ["sub", "exp", "iat", "iss", "aud"]},
        )
        caller = Caller.model_validate(claims, strict=False)
        if claims["exp"] - claims["iat"] > settings.jwt_max_lifetime.total_seconds():
            raise _invalid("The bearer token lives longer than allowed.")
        parent_limit = settings.parent_token_max_lifetime.total_seconds()
        if caller.role == "parent" and claims["exp"] - claims["iat"] > parent_limit:
            raise _invalid("A parent's bearer token lives longer than allowed.")
        if (caller.role == "parent") != (issuer == settings.parent_token_issuer):
            raise _invalid("This issuer may not grant that role.")
        if beyond := grant.refusal(caller.role, caller.sub, caller.provider, caller.court):
            raise _invalid(f"The bearer token claims more than its issuer may grant. {beyond}")
        return caller
    except jwt.ExpiredSignatureError as error:
        raise Problem(401, "token-expired", "Authentication required", "The bearer token has expired.") from error
    except (jwt.InvalidTokenError, ValidationError, TypeError) as error:
        raise _invalid() from error


_bearer = HTTPBearer(auto_error=False)


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None:
        raise Problem(401, "unauthenticated", "Authentication required", "Send `Authorization: Bearer <token>`.")
    return decode_token(request.app.state.settings, credentials.credentials)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
