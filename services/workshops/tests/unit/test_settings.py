"""The co-parent split key is a secret like the sealing keys: its public development value (or
none) stops workshops outside PTFC_ENV=dev."""

from ptfc.settings import DEV_CO_PARENT_SPLIT_KEY
from workshops.config import Settings

REAL = "a-real-secret-of-at-least-thirty-two-characters"


def test_the_development_split_key_is_refused_outside_development():
    settings = Settings(env="production")
    assert settings.co_parent_split_key == DEV_CO_PARENT_SPLIT_KEY
    assert "co_parent_split_key" in settings.development_keys()
    assert "co_parent_split_key" not in Settings(env="production", co_parent_split_key=REAL).development_keys()
