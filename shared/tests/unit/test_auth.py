"""Tokens: only a trusted issuer's signature, for us, short-lived, with a role that issuer may grant."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest

from ptfc.auth import decode_token, issue_token
from ptfc.problems import Problem
from ptfc.settings import DEV_JWT_PRIVATE_KEY, DEV_STAFF_ISSUER, PARENT_TOKEN_ISSUER, ServiceSettings
from ptfc.testing.keys import another_key

SETTINGS = ServiceSettings(env="dev")


def claims(**changes):
    now = datetime.now(UTC)
    base = {"sub": "fca-1", "role": "cafcass", "iat": now, "exp": now + timedelta(hours=1)}
    return {**base, "iss": DEV_STAFF_ISSUER, "aud": "ptfc", **changes}


def test_a_staff_token_from_the_identity_provider_and_a_parent_token_from_learning_are_accepted():
    assert decode_token(SETTINGS, issue_token(DEV_JWT_PRIVATE_KEY, "cafcass", "fca-1")).role == "cafcass"
    assert decode_token(SETTINGS, issue_token(DEV_JWT_PRIVATE_KEY, "parent", "p-1")).sub == "p-1"


@pytest.mark.parametrize(
    "token",
    [
        jwt.encode(claims(), another_key(), algorithm="EdDSA"),  # a key no issuer holds
        jwt.encode(claims(iss="https://attacker.example"), DEV_JWT_PRIVATE_KEY, algorithm="EdDSA"),
        jwt.encode(claims(aud="another-platform"), DEV_JWT_PRIVATE_KEY, algorithm="EdDSA"),
        jwt.encode({k: v for k, v in claims().items() if k != "aud"}, DEV_JWT_PRIVATE_KEY, algorithm="EdDSA"),
        jwt.encode(claims(exp=datetime.now(UTC) + timedelta(days=30)), DEV_JWT_PRIVATE_KEY, algorithm="EdDSA"),
        # what a compromised service holding the old shared HS256 secret could mint
        jwt.encode(claims(role="ops"), "ptfc-local-development-key-never-use-in-production", algorithm="HS256"),
        # learning's key may grant parents only; the identity provider may not grant parents
        jwt.encode(claims(iss=PARENT_TOKEN_ISSUER, role="court"), DEV_JWT_PRIVATE_KEY, algorithm="EdDSA"),
        jwt.encode(claims(role="parent"), DEV_JWT_PRIVATE_KEY, algorithm="EdDSA"),
    ],
    ids=["foreign key", "unknown issuer", "other audience", "no audience", "too long", "hs256", "court", "parent"],
)
def test_a_token_is_refused_unless_everything_about_it_holds(token):
    with pytest.raises(Problem) as refused:
        decode_token(SETTINGS, token)
    assert refused.value.status == 401
