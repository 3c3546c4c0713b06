"""Tokens: only a trusted issuer's signature, for us, short-lived, with a role, organisation and
subject that issuer may grant."""

from datetime import UTC, datetime, timedelta

import jwt
import pytest
from pydantic import ValidationError

from ptfc.auth import decode_token, issue_token
from ptfc.issuers import Issuer
from ptfc.problems import Problem
from ptfc.settings import DEV_JWT_PRIVATE_KEY, DEV_STAFF_ISSUER, PARENT_TOKEN_ISSUER, ServiceSettings
from ptfc.testing.keys import another_key, public_half

SETTINGS = ServiceSettings(env="dev")
PARTNER = "https://idp.family-action.example"
PARTNER_KEY = another_key()
# A provider's identity provider: its own staff and facilitators, its own provider, its own subjects.
BOUND = ServiceSettings(
    env="dev",
    jwt_issuers={
        **SETTINGS.jwt_issuers,
        PARTNER: Issuer(
            public_key=public_half(PARTNER_KEY),
            roles=["provider", "facilitator"],
            providers=["family-action"],
            subject_prefix="fa:",
        ),
        "https://idp.hmcts.example": Issuer(
            public_key=public_half(PARTNER_KEY), roles=["court"], courts=["Manchester Family Court"]
        ),
    },
)


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


def partner(role: str, sub: str, provider: str | None = None, court: str | None = None, iss: str = PARTNER) -> str:
    return issue_token(PARTNER_KEY, role, sub, provider, court, issuer=iss)


HMCTS = "https://idp.hmcts.example"


@pytest.mark.parametrize(
    ("token", "claim"),
    [
        (partner("cafcass", "fa:sam"), "role"),  # a provider's identity provider makes no adviser
        (partner("ops", "fa:sam"), "role"),
        (partner("court", "fa:sam", court="Manchester Family Court"), "role"),
        (partner("provider", "fa:ann", "action-for-children"), "provider"),  # another provider's staff
        (partner("facilitator", "fa:bob", "action-for-children"), "provider"),
        (partner("provider", "fa:ann"), "must name its provider"),  # staff of no provider
        (partner("facilitator", "fa:bob"), "must name its provider"),
        (partner("provider", "afc:ann", "family-action"), "subject"),  # someone else's people
        (partner("provider", "fa:ann", "family-action", court="Manchester Family Court"), "court"),
        (partner("court", "judge-1", court="Leeds Family Court", iss=HMCTS), "court"),  # a court it does not serve
        (partner("court", "judge-1", iss=HMCTS), "must name its court"),
        (partner("court", "judge-1", "family-action", "Manchester Family Court", iss=HMCTS), "provider"),
        # the development identity provider too: a role that needs an organisation names one
        (issue_token(DEV_JWT_PRIVATE_KEY, "provider", "staff-1"), "must name its provider"),
        (issue_token(DEV_JWT_PRIVATE_KEY, "court", "judge-1"), "must name its court"),
    ],
    ids=lambda value: value if len(value) < 40 else None,
)
def test_a_token_claiming_beyond_its_issuers_grant_is_refused_saying_which_claim(token, claim):
    with pytest.raises(Problem) as refused:
        decode_token(BOUND, token)
    assert (refused.value.status, refused.value.reason) == (401, "invalid-token")
    assert claim in refused.value.detail


@pytest.mark.parametrize(
    ("token", "organisation"),
    [
        (partner("provider", "fa:ann", "family-action"), "family-action"),
        (partner("facilitator", "fa:bob", "family-action"), "family-action"),
        (partner("court", "judge-1", court="Manchester Family Court", iss=HMCTS), "Manchester Family Court"),
        (issue_token(DEV_JWT_PRIVATE_KEY, "provider", "staff-1", "action-for-children"), "action-for-children"),
        (issue_token(DEV_JWT_PRIVATE_KEY, "court", "judge-1", court="Leeds Family Court"), "Leeds Family Court"),
        (issue_token(DEV_JWT_PRIVATE_KEY, "cafcass", "fca-1"), None),
        (issue_token(DEV_JWT_PRIVATE_KEY, "ops", "ops-1"), None),
    ],
)
def test_a_token_within_its_issuers_grant_is_accepted(token, organisation):
    caller = decode_token(BOUND, token)
    assert (caller.provider or caller.court) == organisation


def test_only_learning_grants_parents_and_it_grants_nothing_else():
    key = public_half(PARTNER_KEY)
    with pytest.raises(ValidationError, match="only ptfc-learning grants parent"):
        ServiceSettings(env="dev", jwt_issuers={PARTNER: Issuer(public_key=key, roles=["parent", "provider"])})
    with pytest.raises(ValidationError, match="only ptfc-learning grants parent"):
        ServiceSettings(env="dev", jwt_issuers={PARENT_TOKEN_ISSUER: Issuer(public_key=key, roles=["parent", "ops"])})


def test_an_issuer_granting_every_organisation_is_refused_outside_development():
    key = public_half(PARTNER_KEY)
    everyone = {PARTNER: Issuer(public_key=key, roles=["provider"], providers=["*"])}
    ServiceSettings(env="dev", jwt_issuers=everyone).refuse_development_keys()  # the development identity provider
    refused = ServiceSettings(env="production", jwt_issuers=everyone).development_keys()
    assert "jwt_issuers (an issuer that may grant every organisation, '*': list them)" in refused
    listed = {PARTNER: Issuer(public_key=key, roles=["provider"], providers=["family-action"])}
    held = ServiceSettings(env="production", jwt_issuers=listed).development_keys()
    assert not [name for name in held if name.startswith("jwt_issuers")]
