"""The hub's one secret: outside PTFC_ENV=dev, its public development value stops the start in any
form a copy and paste gives it (ptfc.keys), not only as typed."""

import pytest

from hub.config import DEV_HUB_SECRET, Settings


@pytest.mark.parametrize(
    "secret", [DEV_HUB_SECRET, DEV_HUB_SECRET + "\n", f'"{DEV_HUB_SECRET}"', DEV_HUB_SECRET.upper()]
)
def test_the_development_csrf_key_in_any_form_stops_the_start(secret):
    with pytest.raises(RuntimeError, match="hub_secret"):
        Settings(env="production", hub_secret=secret).refuse_development_keys()


def test_a_real_csrf_key_starts():
    Settings(env="production", hub_secret="a-real-secret-of-at-least-32-characters").refuse_development_keys()
