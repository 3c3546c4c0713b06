"""Bearer JWTs carrying the caller's role, subject and, for provider staff, provider: signed
by their issuer (learning for parents, with EdDSA; the organisations' identity providers for
staff), verified by every service against that issuer's public key or the keys it publishes
(its JWKS, ptfc.jwks), with the claims read where that issuer puts them (ptfc.issuers).

Handlers take `Caller` and check object-level access themselves: a role alone never
grants a record."""

import contextlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from typing import Annotated

import jwt
from fastapi import Depends, Request
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from pydantic import BaseModel, ValidationError
from starlette.datastructures import Headers
from starlette.routing import BaseRoute, Match
from starlette.types import Scope

from ptfc import jwks, keys
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
    # `kid` names the key (ptfc.keys.key_id): while an issuer's key changes, verifiers hold both.
    return jwt.encode(claims, private_key, algorithm="EdDSA", headers={"kid": keys.key_id(private_key)})


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
        header = jwt.get_unverified_header(token)
        candidates: list[object] = list(_static_candidates(grant.static_keys, header.get("kid")))
        algorithms = ["EdDSA"]
        if grant.publishes_keys:  # only a key it publishes, and only with that key's own algorithm
            published = jwks.key_for(issuer, header.get("kid"))
            if published is None:
                raise _invalid("The bearer token is not signed with a key its issuer publishes.")
            candidates, algorithms = [published.key], [published.algorithm_name]
        claims = grant.ours(_verified(token, candidates, algorithms, grant.audience or settings.jwt_audience, issuer))
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


def _static_candidates(held: dict[str, str], kid: object) -> list[str]:
    """The configured keys to verify with: the one the token's `kid` names, else each (a partner's
    identity provider given by `public_key` may name its key its own way)."""
    return [held[kid]] if isinstance(kid, str) and kid in held else list(held.values())


def _verified(token: str, candidates: list[object], algorithms: list[str], audience: str, issuer: str) -> dict:
    """The token's claims, verified with the candidate key that signed it."""

    def decode(key: object) -> dict:
        return jwt.decode(
            token,
            key,  # type: ignore[arg-type]
            algorithms=algorithms,
            audience=audience,
            issuer=issuer,
            options={"require": ["sub", "exp", "iat", "iss", "aud"]},
        )

    for key in candidates[:-1]:
        with contextlib.suppress(jwt.InvalidSignatureError):
            return decode(key)
    return decode(candidates[-1])


def _publishing(settings: ServiceSettings, token: str) -> tuple[str, str | None, str | None] | None:
    """(issuer, its jwks_uri, the token's kid) if the token names a trusted issuer that publishes its keys."""
    try:
        issuer = jwt.decode(token, options={"verify_signature": False}).get("iss")
        kid = jwt.get_unverified_header(token).get("kid")
    except jwt.InvalidTokenError:
        return None  # decode_token says why
    grant = settings.jwt_issuers.get(issuer) if isinstance(issuer, str) else None
    if grant is None or not grant.publishes_keys or not (kid is None or isinstance(kid, str)):
        return None
    return issuer, grant.jwks_uri, kid


async def fetch_keys(settings: ServiceSettings, token: str) -> None:
    """Fetch the signing keys this token's issuer publishes, when it is a trusted issuer that
    publishes them and they are not at hand (ptfc.jwks); then `decode_token` can verify it."""
    if found := _publishing(settings, token):
        issuer, uri, kid = found
        await jwks.ensure(
            issuer, uri, kid, settings.jwks_max_age.total_seconds(), settings.jwks_min_refetch.total_seconds()
        )


async def verified_caller(settings: ServiceSettings, token: str) -> Caller:
    """`decode_token`, after fetching the issuer's published keys when needed."""
    await fetch_keys(settings, token)
    return decode_token(settings, token)


_bearer = HTTPBearer(auto_error=False)


def _unauthenticated() -> Problem:
    return Problem(401, "unauthenticated", "Authentication required", "Send `Authorization: Bearer <token>`.")


async def current_caller(
    request: Request, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)]
) -> Caller:
    if credentials is None:
        raise _unauthenticated()
    return await verified_caller(request.app.state.settings, credentials.credentials)


def bearer_use(route: BaseRoute) -> str | None:
    """How a route reads a bearer token: "required" (it depends on `current_caller`), "optional" (it
    reads one if sent, as plans does, and refuses a bad one), or None."""
    found: str | None = None
    pending = [route.dependant] if isinstance(route, APIRoute) else []
    while pending:
        dependant = pending.pop()
        for dependency in dependant.dependencies:
            if dependency.call is current_caller:
                return "required"
            if isinstance(dependency.call, HTTPBearer):
                found = "optional"
            pending.append(dependency)
    return found


def _route_for(routes: Iterable[BaseRoute], scope: Scope, prefix: str = "") -> BaseRoute | None:
    """The endpoint route a request reaches, looking inside included routers (FastAPI keeps them
    as routers of their own, with their prefix)."""
    path = scope["path"]
    for route in routes:
        inner = getattr(route, "original_router", None)
        if inner is not None:
            more = getattr(getattr(route, "include_context", None), "prefix", "") or ""
            if (found := _route_for(inner.routes, scope, prefix + more)) is not None:
                return found
        elif path.startswith(prefix) and route.matches({**scope, "path": path[len(prefix) :]})[0] == Match.FULL:
            return route
    return None


def admission(scope: Scope, uses: dict[int, str | None]) -> Problem | bool:
    """Whether a write request needs a write turn (ptfc.limits.WriteTurns), decided before it waits
    for one, so that a flood of writes with junk or no tokens takes no turn from genuine ones:
    the 401 it is going to get (a route that needs a token and has none, or any route that reads a
    token and is sent a bad one), answered at once; False for a request no route matches (the
    router answers 404 or 405, doing nothing); else True. Anonymous writes take turns and are
    limited per client by their routes. `uses` caches `bearer_use` per route."""
    app = scope.get("app")
    route = _route_for(getattr(app, "routes", ()), scope)
    if route is None:
        return False
    if id(route) not in uses:
        uses[id(route)] = bearer_use(route)
    use = uses[id(route)]
    if use is None:
        return True
    scheme, _, token = (Headers(scope=scope).get("authorization") or "").partition(" ")
    if scheme.lower() != "bearer" or not token.strip():  # as HTTPBearer reads it: no credentials
        return _unauthenticated() if use == "required" else True
    if _keys_to_fetch(app.state.settings, token.strip()):
        return True  # the route fetches them (awaited, throttled: ptfc.jwks) and then decides
    try:
        decode_token(app.state.settings, token.strip())
    except Problem as refused:
        return refused
    return True


def _keys_to_fetch(settings: ServiceSettings, token: str) -> bool:
    if (found := _publishing(settings, token)) is None:
        return False
    issuer, _, kid = found
    return jwks.needs_fetch(
        issuer, kid, settings.jwks_max_age.total_seconds(), settings.jwks_min_refetch.total_seconds()
    )


CurrentCaller = Annotated[Caller, Depends(current_caller)]
