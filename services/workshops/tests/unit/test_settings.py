"""The co-parent split key is a secret like the sealing keys: its public development value (or
none) stops workshops outside PTFC_ENV=dev."""

import pytest

from ptfc.settings import DEV_CO_PARENT_SPLIT_KEY
from workshops.config import Settings

REAL = "a-real-secret-of-at-least-thirty-two-characters"


def test_the_development_split_key_is_refused_outside_development():
    others = {"workshops_seal_key": REAL, "dead_letter_seal_key": REAL, "jwt_public_keys": {"idp": REAL}}
    settings = Settings(env="production", nats_password=REAL, **others)
    assert settings.co_parent_split_key == DEV_CO_PARENT_SPLIT_KEY
    assert settings.development_keys() == ["co_parent_split_key"]
    with pytest.raises(RuntimeError, match="co_parent_split_key"):
        settings.refuse_development_keys()
    Settings(env="production", nats_password=REAL, co_parent_split_key=REAL, **others).refuse_development_keys()
