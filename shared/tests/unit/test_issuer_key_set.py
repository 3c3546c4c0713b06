"""An issuer held by a static key set during a change of its key (`public_keys`, learning's): each
key known by its RFC 7638 thumbprint (`kid`), the development key found among them, one source of
keys only."""

import pytest
from pydantic import ValidationError

from ptfc.issuers import Issuer
from ptfc.keys import key_id
from ptfc.settings import DEV_JWT_PUBLIC_KEY, PARENT_TOKEN_ISSUER, ServiceSettings
from ptfc.testing.keys import another_key, public_half

pytestmark = pytest.mark.unit


def test_a_keys_kid_is_its_rfc_7638_thumbprint():
    # RFC 8037, appendix A.3: the thumbprint of the example Ed25519 key
    jwk = '{"crv": "Ed25519", "kty": "OKP", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo"}'
    assert key_id(jwk) == "kPrK_qmxVWaYVA9wwBF6Iuo3vVzz7TxHCTwXBygrS4k"
    private = another_key()
    assert key_id(private) == key_id(public_half(private))  # the signer and its verifiers agree


def test_the_development_key_is_found_in_a_key_set_outside_dev():
    issuers = {
        PARENT_TOKEN_ISSUER: Issuer(public_keys=[public_half(another_key()), DEV_JWT_PUBLIC_KEY], roles=["parent"])
    }
    settings = ServiceSettings(env="production", jwt_issuers=issuers)
    assert "jwt_issuers" in settings.development_keys()
    with pytest.raises(RuntimeError, match="jwt_issuers"):
        settings.refuse_development_keys()


def test_an_issuer_has_one_source_of_keys():
    key = public_half(another_key())
    with pytest.raises(ValidationError, match="exactly one of"):
        Issuer(public_key=key, public_keys=[key], roles=["parent"])
    with pytest.raises(ValidationError, match="private key"):
        Issuer(public_keys=[key, another_key()], roles=["parent"])
