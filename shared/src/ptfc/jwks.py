"""The signing keys an issuer publishes (its JWKS), for issuers configured with `jwks_uri` or
`discover` instead of a static `public_key` (ptfc.issuers): fetched, cached and rotated by `kid`.

Verification (ptfc.auth.decode_token) only reads this cache, so it stays synchronous; what may
fetch is `ensure`, awaited before a token is decoded. A set is fetched when none is held, when it
is older than `jwks_max_age`, or when a token names a `kid` the set lacks (the issuer rotated its
keys) and the last fetch is older than `jwks_min_refetch`: tokens with made-up `kid`s cannot make a
service hammer an identity provider. A failed fetch keeps the keys already held."""

import asyncio
import logging
import time
from dataclasses import dataclass, field

import httpx
import jwt

log = logging.getLogger(__name__)

# Asymmetric signatures only: a symmetric or "none" algorithm in a published key set is ignored.
ALGORITHMS = {"RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA"}


@dataclass
class KeySet:
    keys: dict[str, jwt.PyJWK] = field(default_factory=dict)  # by kid ("" for a key without one)
    fetched: float = 0.0  # when the keys were last fetched (monotonic), 0: never
    tried: float = -1e9  # when a fetch was last tried, whatever came of it


_SETS: dict[str, KeySet] = {}  # by issuer
_LOCKS: dict[str, asyncio.Lock] = {}


def key_for(issuer: str, kid: str | None) -> jwt.PyJWK | None:
    """The key the issuer publishes under this `kid` (a token without one: the issuer's only key)."""
    keys = _SETS.get(issuer, KeySet()).keys
    if kid is None:
        return next(iter(keys.values())) if len(keys) == 1 else None
    return keys.get(kid)


def needs_fetch(issuer: str, kid: str | None, max_age: float, min_refetch: float) -> bool:
    held = _SETS.get(issuer)
    now = time.monotonic()
    if held is None or not held.keys:
        return held is None or now - held.tried >= min_refetch
    if now - held.fetched >= max_age:
        return now - held.tried >= min_refetch
    return key_for(issuer, kid) is None and now - held.tried >= min_refetch


async def ensure(issuer: str, jwks_uri: str | None, kid: str | None, max_age: float, min_refetch: float) -> None:
    """Fetch the issuer's keys if they are needed for this `kid` (see the module's docstring).
    `jwks_uri` None: found by OpenID Connect discovery from the issuer's URL."""
    if not needs_fetch(issuer, kid, max_age, min_refetch):
        return
    async with _LOCKS.setdefault(issuer, asyncio.Lock()):
        if not needs_fetch(issuer, kid, max_age, min_refetch):  # fetched while this waited
            return
        held = _SETS.setdefault(issuer, KeySet())
        held.tried = time.monotonic()
        try:
            keys = await _fetch(issuer, jwks_uri)
        except (httpx.HTTPError, ValueError, TypeError, KeyError) as error:
            log.warning("could not fetch the signing keys of %s: %s", issuer, error)
            return
        held.keys, held.fetched = keys, time.monotonic()


async def _fetch(issuer: str, jwks_uri: str | None) -> dict[str, jwt.PyJWK]:
    async with httpx.AsyncClient(timeout=5.0, follow_redirects=False) as client:
        if jwks_uri is None:
            found = (await client.get(issuer.rstrip("/") + "/.well-known/openid-configuration")).raise_for_status()
            document = found.json()
            if document.get("issuer") != issuer:  # OpenID Connect Discovery 1.0, section 4.3
                raise ValueError(f"the discovery document names another issuer: {document.get('issuer')!r}")
            jwks_uri = str(document["jwks_uri"])
        published = (await client.get(jwks_uri)).raise_for_status().json()
    keys: dict[str, jwt.PyJWK] = {}
    for entry in published.get("keys", []):
        if not isinstance(entry, dict) or entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except (jwt.PyJWKError, jwt.InvalidKeyError, ValueError, TypeError):
            continue  # a key type or algorithm we do not verify with
        if key.algorithm_name in ALGORITHMS:
            keys[str(entry.get("kid", ""))] = key
    return keys


def forget() -> None:
    """Drop every cached key set (tests)."""
    _SETS.clear()
    _LOCKS.clear()
