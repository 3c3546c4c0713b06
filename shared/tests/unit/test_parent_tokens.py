"""A parent's token lives a minute at most: learning's sessions end at sign-out, a withdrawal or a
re-order, and a token signed for longer would outlive them. Every service checks it (decode_token)."""

from datetime import timedelta

import pytest

from ptfc.auth import decode_token, issue_token
from ptfc.problems import Problem
from ptfc.settings import DEV_JWT_PRIVATE_KEY, ServiceSettings

SETTINGS = ServiceSettings(env="dev")


@pytest.mark.parametrize("ttl", [timedelta(hours=8), timedelta(seconds=61)], ids=["8 h", "61 s"])
def test_a_parent_token_living_longer_than_a_minute_is_refused(ttl):
    with pytest.raises(Problem) as refused:
        decode_token(SETTINGS, issue_token(DEV_JWT_PRIVATE_KEY, "parent", "p-1", ttl=ttl))
    assert refused.value.status == 401 and "longer" in refused.value.detail


def test_a_minute_long_parent_token_and_an_eight_hour_staff_token_are_accepted():
    assert decode_token(SETTINGS, issue_token(DEV_JWT_PRIVATE_KEY, "parent", "p-1", ttl=timedelta(seconds=60)))
    assert decode_token(SETTINGS, issue_token(DEV_JWT_PRIVATE_KEY, "cafcass", "fca-1", ttl=timedelta(hours=8)))
    assert decode_token(SETTINGS, issue_token(DEV_JWT_PRIVATE_KEY, "parent", "p-1")).sub == "p-1"  # the default


def test_the_limit_is_a_setting():
    shorter = ServiceSettings(env="dev", parent_token_max_lifetime="PT5S")
    with pytest.raises(Problem):
        decode_token(shorter, issue_token(DEV_JWT_PRIVATE_KEY, "parent", "p-1", ttl=timedelta(seconds=6)))
