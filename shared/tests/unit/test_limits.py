"""The per-client limit a route applies itself (ptfc.limits.PerClient), on a clock the test moves."""

import pytest

from ptfc.limits import PerClient, client_address
from ptfc.problems import Problem


def test_a_client_is_refused_past_its_limit_and_may_call_again_once_it_has_waited():
    limit = PerClient(2)  # two a minute
    limit.check("a", now=0.0)
    limit.check("a", now=0.0)
    with pytest.raises(Problem) as refused:
        limit.check("a", now=1.0)
    assert (refused.value.status, refused.value.reason) == (429, "too-many-requests")
    assert refused.value.extra["retry_after"] >= 1
    limit.check("b", now=1.0)  # another client is counted apart
    limit.check("a", now=31.0)  # a token back after half a minute


def test_the_client_is_the_address_the_nearest_trusted_proxy_saw():
    scope = {"client": ("10.0.0.9", 1), "headers": [(b"x-forwarded-for", b"198.51.100.7, 203.0.113.1")]}
    assert client_address(scope) == "10.0.0.9"  # no proxy trusted: a forwarded address is not believed
    assert client_address(scope, proxy_hops=1) == "203.0.113.1"
    assert client_address(scope, proxy_hops=2) == "198.51.100.7"
