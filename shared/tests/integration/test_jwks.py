"""Issuers that publish their keys (JWKS): tokens verified by the published key their `kid` names,
keys rotated by `kid`, claims read where the issuer puts them, and nothing beyond its grant."""

import base64
import hashlib
import hmac
import json
import threading
from datetime import UTC, datetime, timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import jwt
import pytest
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa

from ptfc import jwks
from ptfc.auth import decode_token, verified_caller
from ptfc.issuers import Issuer
from ptfc.problems import Problem
from ptfc.settings import ServiceSettings


class IdentityProvider:
    """A real HTTP server publishing a discovery document and a JWKS, counting fetches."""

    def __init__(self) -> None:
        self.keys: dict[str, rsa.RSAPrivateKey] = {"k1": rsa.generate_private_key(65537, 2048)}
        self.fetches = 0
        provider = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                if self.path == "/.well-known/openid-configuration":
                    body = {"issuer": provider.issuer, "jwks_uri": provider.issuer + "/jwks"}
                elif self.path == "/jwks":
                    provider.fetches += 1
                    body = {"keys": [provider.public(kid) for kid in provider.keys]}
                else:
                    self.send_error(404)
                    return
                data = json.dumps(body).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, *args: object) -> None:
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.issuer = f"http://127.0.0.1:{self.server.server_port}"
        threading.Thread(target=self.server.serve_forever, daemon=True).start()

    def public(self, kid: str) -> dict:
        found = json.loads(jwt.algorithms.RSAAlgorithm.to_jwk(self.keys[kid].public_key()))
        return {**found, "kid": kid, "use": "sig", "alg": "RS256"}

    def token(self, kid: str = "k1", key: rsa.RSAPrivateKey | None = None, **changes: object) -> str:
        now = datetime.now(UTC)
        claims = {
            "iss": self.issuer,
            "aud": "ptfc-console",
            "sub": "afc:coordinator",
            "iat": now,
            "exp": now + timedelta(hours=1),
            "ptfc_role": "coordinator",
            "ptfc_provider": "action-for-children",
            **changes,
        }
        return jwt.encode(claims, key or self.keys[kid], algorithm="RS256", headers={"kid": kid})


@pytest.fixture
def idp():
    jwks.forget()
    provider = IdentityProvider()
    yield provider
    provider.server.shutdown()
    jwks.forget()


def settings_for(idp: IdentityProvider, **issuer: object) -> ServiceSettings:
    grant = {
        "discover": True,
        "audience": "ptfc-console",
        "roles": ["provider", "facilitator"],
        "providers": ["action-for-children"],
        "subject_prefix": "afc:",
        "claims": {"role": "ptfc_role", "provider": "ptfc_provider"},
        "role_values": {"coordinator": "provider"},
        **issuer,
    }
    return ServiceSettings(env="dev", jwt_issuers={idp.issuer: Issuer.model_validate(grant)}, jwks_min_refetch=30)


async def test_a_token_signed_with_a_published_key_is_accepted_with_its_claims_mapped(idp):
    caller = await verified_caller(settings_for(idp), idp.token())
    assert (caller.sub, caller.role, caller.provider) == ("afc:coordinator", "provider", "action-for-children")
    by_uri = settings_for(idp, discover=False, jwks_uri=idp.issuer + "/jwks")
    jwks.forget()
    assert (await verified_caller(by_uri, idp.token(ptfc_role="facilitator"))).role == "facilitator"


async def test_keys_are_cached_and_rotated_by_kid_and_unknown_kids_do_not_hammer_the_issuer(idp):
    settings = settings_for(idp)
    for _ in range(3):
        await verified_caller(settings, idp.token())
    assert idp.fetches == 1
    idp.keys["k2"] = rsa.generate_private_key(65537, 2048)  # the issuer rotates: a new kid
    for kid in ("made-up-1", "made-up-2", "made-up-3"):  # junk kids: one fetch at most per jwks_min_refetch
        with pytest.raises(Problem) as refused:
            await verified_caller(settings, jwt.encode({"iss": idp.issuer}, idp.keys["k1"], "RS256", {"kid": kid}))
        assert refused.value.status == 401
    assert idp.fetches == 1  # within jwks_min_refetch of the last fetch: not fetched again
    quick = settings_for(idp).model_copy(update={"jwks_min_refetch": timedelta(0)})
    assert (await verified_caller(quick, idp.token(kid="k2"))).sub == "afc:coordinator"  # the new key, fetched
    assert idp.fetches == 2


def rsa_public_pem(key: rsa.RSAPrivateKey) -> bytes:
    return key.public_key().public_bytes(serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo)


@pytest.mark.parametrize(
    "forge",
    [
        lambda idp: idp.token(key=rsa.generate_private_key(65537, 2048)),  # a key it does not publish, its kid
        lambda idp: idp.token(aud="another-client"),  # an ID token made for another application
        lambda idp: idp.token(ptfc_role="ops"),  # a role this issuer may not grant
        lambda idp: idp.token(ptfc_role="cafcass"),
        lambda idp: idp.token(ptfc_provider="family-action"),  # another provider's staff
        lambda idp: idp.token(sub="fa:someone"),  # someone else's people
        lambda idp: idp.token(ptfc_role="parent"),  # parents only from learning
        lambda idp: idp.token(role="provider", ptfc_role=None),  # our claim name, not where this issuer puts it
        lambda idp: _hs256(idp),  # the published RSA key used as an HMAC secret (algorithm confusion)
    ],
    ids=[
        "foreign key",
        "other audience",
        "ops",
        "cafcass",
        "other provider",
        "other subjects",
        "parent",
        "unmapped",
        "hs256",
    ],
)
async def test_a_published_key_issuers_token_beyond_what_it_may_grant_is_refused(idp, forge):
    settings = settings_for(idp)
    await verified_caller(settings, idp.token())  # its keys are at hand
    with pytest.raises(Problem) as refused:
        await verified_caller(settings, forge(idp))
    assert refused.value.status == 401


def _hs256(idp: IdentityProvider) -> str:
    """A token whose header says HS256, signed with the issuer's public key as the secret (PyJWT
    refuses to sign with a PEM as HMAC secret, so the signature is made by hand)."""

    def part(value: dict) -> str:
        return base64.urlsafe_b64encode(json.dumps(value).encode()).rstrip(b"=").decode()

    now = int(datetime.now(UTC).timestamp())
    claims = {"iss": idp.issuer, "aud": "ptfc-console", "sub": "afc:x", "iat": now, "exp": now + 60}
    signing = part({"alg": "HS256", "kid": "k1", "typ": "JWT"}) + "." + part({**claims, "ptfc_role": "coordinator"})
    mac = hmac.new(rsa_public_pem(idp.keys["k1"]), signing.encode(), hashlib.sha256).digest()
    return signing + "." + base64.urlsafe_b64encode(mac).rstrip(b"=").decode()


def test_without_its_keys_at_hand_a_published_key_issuers_token_is_refused_not_fetched_synchronously(idp):
    with pytest.raises(Problem) as refused:
        decode_token(settings_for(idp), idp.token())
    assert "publishes" in refused.value.detail
    assert idp.fetches == 0


def test_an_issuer_has_exactly_one_source_of_keys():
    with pytest.raises(ValueError, match="exactly one"):
        Issuer(roles=["ops"])
    with pytest.raises(ValueError, match="exactly one"):
        Issuer(roles=["ops"], discover=True, jwks_uri="https://idp.example/jwks")
    with pytest.raises(ValueError, match="https"):
        Issuer(roles=["ops"], jwks_uri="http://idp.example/jwks")
