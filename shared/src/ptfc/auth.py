"""Bearer JWTs (HS256) carrying the caller's role, subject and, for provider staff, provider.

Handlers take `Caller` and check object-level access themselves: a role alone never
grants a record."""

from datetime import UTC, datetime, timedelta
from typing import Annotated, Literal

import jwt
from fastapi import Depends, Request
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError

from ptfc.problems import Problem, forbidden

Role = Literal["cafcass", "court", "provider", "facilitator", "parent", "ops", "public"]
ROLES: tuple[str, ...] = Role.__args__  # type: ignore[attr-defined]


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
    secret: str,
    role: str,
    sub: str,
    provider: str | None = None,
    court: str | None = None,
    ttl: timedelta = timedelta(hours=8),
) -> str:
    if role not in ROLES:
        raise ValueError(f"unknown role {role!r}; one of {', '.join(ROLES)}")
    now = datetime.now(UTC)
    claims = {"sub": sub, "role": role, "iat": now, "exp": now + ttl}
    if provider:
        claims["provider"] = provider
    if court:
        claims["court"] = court
    return jwt.encode(claims, secret, algorithm="HS256")


def decode_token(secret: str, token: str) -> Caller:
    try:
        claims = jwt.decode(token, secret, algorithms=["HS256"], options={"require": ["sub", "exp"]})
        return Caller.model_validate(claims, strict=False)
    except jwt.ExpiredSignatureError as error:
        raise Problem(401, "token-expired", "Authentication required", "The bearer token has expired.") from error
    except (jwt.InvalidTokenError, ValidationError) as error:
        raise Problem(401, "invalid-token", "Authentication required", "The bearer token is not valid.") from error


_bearer = HTTPBearer(auto_error=False)


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None:
        raise Problem(401, "unauthenticated", "Authentication required", "Send `Authorization: Bearer <token>`.")
    return decode_token(request.app.state.settings.jwt_secret, credentials.credentials)


CurrentCaller = Annotated[Caller, Depends(current_caller)]
