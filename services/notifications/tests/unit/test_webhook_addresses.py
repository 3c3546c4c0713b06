"""A webhook POST goes only to an address checked just before it (issue 24, finding 11): the name is
resolved again at each POST, refused if any address it has now is not public (DNS rebinding), and
the connection made to the address checked. Resolution is a stand-in: nothing leaves this machine."""

import httpx
import pytest

from notifications import endpoints
from notifications.config import Settings
from notifications.domain import address_refused
from notifications.transports import Transient, WebhookPoster

INBOXES = {"action-for-children": "afc@afc.example", "family-action": "fa@fa.example"}


def poster(allow_loopback: bool = False) -> WebhookPoster:
    return WebhookPoster(Settings(provider_inboxes=INBOXES, webhook_allow_local_http=allow_loopback))


class Recorded:
    """Stands in for httpx's send: records where a request would have gone, sends nothing."""

    def __init__(self) -> None:
        self.requests: list[httpx.Request] = []

    async def __call__(self, client: httpx.AsyncClient, request: httpx.Request, **_: object) -> httpx.Response:
        self.requests.append(request)
        return httpx.Response(204, request=request)


@pytest.fixture
def sent(monkeypatch) -> Recorded:
    recorded = Recorded()

    async def send(client: httpx.AsyncClient, request: httpx.Request, **kw: object) -> httpx.Response:
        return await recorded(client, request, **kw)

    monkeypatch.setattr(httpx.AsyncClient, "send", send)
    return recorded


def resolving(monkeypatch, *answers: list[str]) -> list[str]:
    """The name resolves to each answer in turn (registration, then each POST)."""
    asked: list[str] = []
    queue = list(answers)

    async def resolve(host: str, port: int) -> list[str]:
        asked.append(host)
        return queue.pop(0) if len(queue) > 1 else queue[0]

    monkeypatch.setattr(endpoints, "resolve", resolve)
    return asked


async def test_a_name_that_now_resolves_to_a_private_address_is_refused_at_the_post(monkeypatch, sent):
    asked = resolving(monkeypatch, ["10.0.0.7"])
    with pytest.raises(Transient, match="webhook-url-address-not-allowed"):
        await poster().post("https://hooks.partner.org.uk/in", b"{}", {"webhook-id": "e1"})
    assert asked == ["hooks.partner.org.uk"] and sent.requests == []


async def test_a_name_with_one_private_address_among_public_ones_is_refused(monkeypatch, sent):
    resolving(monkeypatch, ["81.2.69.160", "169.254.169.254"])
    with pytest.raises(Transient, match="webhook-url-address-not-allowed"):
        await poster().post("https://hooks.partner.org.uk/in", b"{}", {})
    assert sent.requests == []


async def test_the_post_connects_to_the_address_checked_with_the_name_for_host_and_certificate(monkeypatch, sent):
    resolving(monkeypatch, ["81.2.69.160"])
    await poster().post("https://hooks.partner.org.uk:8443/in?x=1", b"{}", {"webhook-id": "e1"})
    [request] = sent.requests
    assert str(request.url) == "https://81.2.69.160:8443/in?x=1"
    assert request.headers["host"] == "hooks.partner.org.uk:8443"
    assert request.extensions["sni_hostname"] == "hooks.partner.org.uk"


async def test_a_stored_address_with_credentials_is_refused_at_the_post(monkeypatch, sent):
    resolving(monkeypatch, ["81.2.69.160"])
    with pytest.raises(Transient, match="webhook-url-has-credentials"):
        await poster().post("https://user:pw@hooks.partner.org.uk/in", b"{}", {})
    assert sent.requests == []


async def test_loopback_only_where_the_development_setting_allows_it(monkeypatch, sent):
    resolving(monkeypatch, ["127.0.0.1"])
    with pytest.raises(Transient, match="webhook-url-address-not-allowed"):
        await poster().post("https://127.0.0.1:9999/in", b"{}", {})
    await poster(allow_loopback=True).post("http://127.0.0.1:9999/in", b"{}", {})
    assert [str(r.url) for r in sent.requests] == ["http://127.0.0.1:9999/in"]


@pytest.mark.parametrize(
    "address",
    [
        "127.0.0.1", "10.0.0.1", "172.31.255.255", "192.168.0.1", "169.254.169.254", "100.64.0.1", "100.127.255.254",
        "0.0.0.0", "0.1.2.3", "224.0.0.1", "239.255.255.250", "255.255.255.255", "192.0.2.1", "198.18.0.1",
        "::", "::1", "fc00::1", "fd00:ec2::254", "fe80::1", "fe80::1%eth0", "ff02::1", "ff0e::1",
        "::ffff:10.0.0.1", "::ffff:127.0.0.1", "64:ff9b::a9fe:a9fe", "2002:a00:1::1", "2001:db8::1", "not an address",
    ],
)  # fmt: skip
def test_every_address_that_is_not_public_unicast_is_refused(address):
    assert address_refused(address, allow_loopback=False)


@pytest.mark.parametrize("address", ["81.2.69.160", "8.8.8.8", "2a00:1450:4009:81f::200e", "::ffff:81.2.69.160"])
def test_public_unicast_addresses_are_allowed(address):
    assert not address_refused(address, allow_loopback=False)
