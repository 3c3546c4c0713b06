"""Signed webhooks for partners without a NATS client, against a real HTTP endpoint on a free port:
registration by operations, a `course.completed` POSTed and verified with the `standardwebhooks`
package, retries with back-off through a failing endpoint (visible meanwhile), a final failure,
disabling, and a replay from a time."""

import asyncio
import json
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from standardwebhooks import Webhook

from notifications.app import create_app
from ptfc.dev.servers import free_port
from ptfc.testing.events import event
from ptfc.testing.plugin import bearer, eventually, running

OPS = bearer("ops", "ops-1")


@dataclass
class Received:
    headers: dict[str, str]
    body: bytes


@dataclass
class Endpoint:
    """A partner's endpoint: answers 500 to the first `failures` POSTs, then 204; keeps every POST."""

    failures: int = 0
    posts: list[Received] = field(default_factory=list)
    port: int = field(default_factory=free_port)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hooks"

    async def handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        head = (await reader.readuntil(b"\r\n\r\n")).decode("latin-1").split("\r\n")
        headers = {k.strip().lower(): v.strip() for k, v in (h.split(":", 1) for h in head[1:] if ":" in h)}
        body = await reader.readexactly(int(headers.get("content-length", "0")))
        self.posts.append(Received(headers, body))
        status = "500 Internal Server Error" if len(self.posts) <= self.failures else "204 No Content"
        writer.write(f"HTTP/1.1 {status}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n".encode())
        await writer.drain()
        writer.close()


@pytest.fixture
async def endpoint():
    found = Endpoint()
    server = await asyncio.start_server(found.handle, "127.0.0.1", found.port)
    yield found
    server.close()
    await server.wait_closed()


@pytest.fixture
def settings(kit):
    return kit.settings(
        webhook_allow_local_http=True,
        webhook_backoff=timedelta(milliseconds=200),
        webhook_attempts=4,
        webhook_timeout=2.0,
        webhook_lease=timedelta(seconds=5),
    )


async def register(client, url: str, types: list[str]) -> dict:
    answer = await client.post(
        "/webhooks", json={"partner": "cafcass-cms", "url": url, "event_types": types}, headers=OPS
    )
    assert answer.status_code == 201, answer.text
    return answer.json()


def verified(secret: str, post: Received) -> dict:
    """What the `standardwebhooks` package makes of a POST: raises if the signature is wrong."""
    return Webhook(secret).verify(post.body, post.headers)


async def deliveries(client, endpoint_id: str, **query) -> list[dict]:
    answer = await client.get(f"/webhooks/{endpoint_id}/deliveries", params=query, headers=OPS)
    assert answer.status_code == 200, answer.text
    return answer.json()["items"]


async def test_a_signed_course_completed_survives_a_failing_endpoint_and_comes_again_on_replay(kit, settings, endpoint):
    endpoint.failures = 2
    app = create_app(settings)
    async with running(app) as client:
        hook = await register(client, endpoint.url, ["course.completed"])
        assert hook["secret"].startswith("whsec_")
        shown = await client.get(f"/webhooks/{hook['id']}", headers=OPS)
        assert "secret" not in shown.json()  # shown once, at registration
        stored = await app.state.rt.store.db.webhook_endpoints.find_one()
        assert hook["secret"] not in str(stored)  # kept sealed

        completed = await kit.publish(event("course.completed", "r-9", "p-9"))
        await kit.publish(event("course.incomplete", "r-9", "p-8"))  # not asked for

        async def failing_then_retried() -> list[dict]:
            rows = await deliveries(client, hook["id"])
            return rows if rows and rows[0]["attempts"] >= 1 and rows[0]["error"] else []

        [pending] = await eventually(failing_then_retried, timeout=20)
        assert pending["status"] in ("pending", "sending") and "HTTP 500" in pending["error"]  # visible meanwhile

        await eventually(lambda: _with_status(client, hook["id"], "sent"), timeout=20)
        assert len(endpoint.posts) == 3  # two failures, then success
        payload = verified(hook["secret"], endpoint.posts[-1])
        assert payload["event_id"] == str(completed.event_id) and payload["type"] == "course.completed"
        assert payload["data"]["referral_id"] == "r-9" and payload["data"]["participant_id"] == "p-9"
        assert {p.headers["webhook-id"] for p in endpoint.posts} == {str(completed.event_id)}  # the same id each time
        with pytest.raises(Exception):  # another endpoint's secret does not verify it
            verified("whsec_" + "A" * 44, endpoint.posts[-1])

        replay = await client.post(
            f"/webhooks/{hook['id']}/replay",
            json={"since": (completed.occurred_at - timedelta(minutes=1)).isoformat()},
            headers=OPS,
        )
        assert replay.status_code == 202 and replay.json()["events"] == 1, replay.text
        await eventually(lambda: _posts(endpoint, 4), timeout=20)
        again = verified(hook["secret"], endpoint.posts[3])
        assert again["event_id"] == str(completed.event_id)
        later = await client.post(
            f"/webhooks/{hook['id']}/replay",
            json={"since": (completed.occurred_at + timedelta(minutes=1)).isoformat()},
            headers=OPS,
        )
        assert later.json()["events"] == 0


async def test_a_dead_endpoint_fails_visibly_after_its_attempts_and_a_disabled_one_gets_nothing(
    kit, settings, endpoint
):
    endpoint.failures = 100
    async with running(create_app(settings)) as client:
        hook = await register(client, endpoint.url, ["learning.deadline_missed"])
        await kit.publish(event("learning.deadline_missed", "r-1", "p-1"))
        [failed] = await eventually(lambda: _with_status(client, hook["id"], "failed"), timeout=30)
        assert failed["attempts"] == 4 and "HTTP 500" in failed["error"] and len(endpoint.posts) == 4

        disabled = await client.post(f"/webhooks/{hook['id']}/disable", headers=OPS)
        assert disabled.status_code == 200 and disabled.json()["enabled"] is False
        await kit.publish(event("learning.deadline_missed", "r-2", "p-2"))
        await asyncio.sleep(1.5)
        assert len(endpoint.posts) == 4 and len(await deliveries(client, hook["id"])) == 1


async def test_only_operations_register_only_https_and_never_an_event_with_sealed_material(kit, settings, names):
    async with running(create_app(settings.model_copy(update={"webhook_allow_local_http": False}))) as client:
        body = {"partner": "p", "url": "http://127.0.0.1:9/x", "event_types": ["course.completed"]}
        refused = await client.post("/webhooks", json=body, headers=OPS)
        assert refused.status_code == 422 and refused.json()["type"].endswith("/webhook-url-not-https")
        body["url"] = "https://hooks.partner.org.uk/hooks"
        assert (await client.post("/webhooks", json=body, headers=bearer("cafcass", "fca-1"))).status_code == 403
        for sealed in ("referral.created", "account.activation_issued", "account.sign_in_link_issued", "plan.shared"):
            answer = await client.post("/webhooks", json={**body, "event_types": [sealed]}, headers=OPS)
            assert answer.status_code == 422, sealed
        assert (await client.post("/webhooks", json=body, headers=OPS)).status_code == 201


# Issue 24 finding 11: endpoint addresses were checked by pattern only. Names are resolved by a
# stand-in here (`names`): no test looks a name up or sends anything beyond this machine.
PUBLIC = "81.2.69.160"
NAMES = {
    "hooks.partner.org.uk": [PUBLIC],
    "inside.partner.org.uk": ["10.1.2.3"],
    "both.partner.org.uk": [PUBLIC, "192.168.1.9"],
    "metadata.partner.org.uk": ["169.254.169.254"],
    "rebinding.partner.org.uk": [PUBLIC],
}
REFUSED = {
    "https://169.254.169.254/latest/meta-data/": "webhook-url-address-not-allowed",
    "https://127.0.0.1:8443/hooks": "webhook-url-address-not-allowed",
    "https://localhost/hooks": "webhook-url-address-not-allowed",
    "https://10.0.0.1/": "webhook-url-address-not-allowed",
    "https://172.16.5.4/": "webhook-url-address-not-allowed",
    "https://100.64.0.1/": "webhook-url-address-not-allowed",
    "https://0.0.0.0/": "webhook-url-address-not-allowed",
    "https://224.0.0.251/": "webhook-url-address-not-allowed",
    "https://[::1]/": "webhook-url-address-not-allowed",
    "https://[fd12:3456::1]/": "webhook-url-address-not-allowed",
    "https://[fe80::1]/": "webhook-url-address-not-allowed",
    "https://[::ffff:10.0.0.1]/": "webhook-url-address-not-allowed",
    "https://[64:ff9b::a9fe:a9fe]/": "webhook-url-address-not-allowed",
    "https://inside.partner.org.uk/hooks": "webhook-url-address-not-allowed",
    "https://both.partner.org.uk/hooks": "webhook-url-address-not-allowed",
    "https://metadata.partner.org.uk/hooks": "webhook-url-address-not-allowed",
    "https://user:pw@hooks.partner.org.uk/hooks": "webhook-url-has-credentials",
    "https://nowhere.partner.org.uk/hooks": "webhook-url-unresolvable",
    "https://cms.partner.example/hooks": "webhook-url-unresolvable",
    "http://hooks.partner.org.uk/hooks": "webhook-url-not-https",
    "https://hooks.partner.org.uk:99999/hooks": "webhook-url-not-https",
}


@pytest.fixture
def names(monkeypatch):
    """Resolves the names above (an IP address resolves to itself, `localhost` to loopback)."""
    import ipaddress

    from notifications import endpoints

    looked_up: list[str] = []

    async def resolve(host: str, port: int) -> list[str]:
        looked_up.append(host)
        try:
            return [str(ipaddress.ip_address(host))]
        except ValueError:
            return ["127.0.0.1", "::1"] if host == "localhost" else NAMES.get(host, [])

    monkeypatch.setattr(endpoints, "resolve", resolve)
    return NAMES


async def test_every_refused_endpoint_address_answers_422_with_its_problem_type_and_duplicates_409(
    kit, settings, names
):
    async with running(create_app(settings.model_copy(update={"webhook_allow_local_http": False}))) as client:
        for url, kind in REFUSED.items():
            body = {"partner": "cafcass-cms", "url": url, "event_types": ["course.completed"]}
            answer = await client.post("/webhooks", json=body, headers=OPS)
            assert answer.status_code == 422, (url, answer.text)
            assert answer.json()["type"].endswith(f"/{kind}"), (url, answer.json())
        assert (await client.get("/webhooks", headers=OPS)).json()["items"] == []

        first = await register(client, "https://hooks.partner.org.uk/hooks", ["course.completed"])
        same = {"partner": "cafcass-cms", "url": "https://hooks.partner.org.uk/hooks", "event_types": ["plan.agreed"]}
        again = await client.post("/webhooks", json=same, headers=OPS)
        assert again.status_code == 409 and again.json()["type"].endswith("/webhook-already-registered")
        assert again.json()["existing_webhook_id"] == first["id"]
        await client.post(f"/webhooks/{first['id']}/disable", headers=OPS)
        await register(client, "https://hooks.partner.org.uk/hooks", ["course.completed"])  # a disabled one is replaced


async def test_loopback_endpoints_are_for_development_and_tests_only(kit):
    from notifications.config import Settings

    with pytest.raises(ValueError, match="webhook_allow_local_http"):
        inboxes = {"action-for-children": "afc@afc.example", "family-action": "fa@fa.example"}
        Settings(env="production", webhook_allow_local_http=True, provider_inboxes=inboxes)


async def _with_status(client, endpoint_id: str, status: str) -> list[dict]:
    return await deliveries(client, endpoint_id, status=status)


async def _posts(endpoint: Endpoint, count: int) -> bool:
    return len(endpoint.posts) >= count


def test_the_secret_signs_as_standard_webhooks_says():
    from notifications.domain import new_webhook_secret, sign_webhook

    secret = new_webhook_secret()
    body = json.dumps({"a": 1}).encode()
    signature = sign_webhook(secret, "msg_1", 1_700_000_000, body)
    wh = Webhook(secret)
    assert wh.sign("msg_1", _at(1_700_000_000), body.decode()) == signature


def _at(seconds: int):
    from datetime import UTC, datetime

    return datetime.fromtimestamp(seconds, UTC)


async def test_a_disabled_endpoint_refuses_a_replay_until_it_is_enabled_again(kit, settings, endpoint):
    async with running(create_app(settings)) as client:
        hook = await register(client, endpoint.url, ["course.completed"])
        await client.post(f"/webhooks/{hook['id']}/disable", headers=OPS)
        since = {"since": "2020-01-01T00:00:00Z"}
        refused = await client.post(f"/webhooks/{hook['id']}/replay", json=since, headers=OPS)
        assert refused.status_code == 409 and refused.json()["type"].endswith("/webhook-endpoint-disabled")
        assert await deliveries(client, hook["id"]) == []  # nothing queued to fail one by one

        enabled = await client.post(f"/webhooks/{hook['id']}/enable", headers=OPS)
        assert enabled.status_code == 200 and enabled.json()["enabled"] is True
        assert enabled.json()["disabled_at"] is None
        completed = await kit.publish(event("course.completed", "r-3", "p-3"))
        await eventually(lambda: _posts(endpoint, 1), timeout=20)
        assert verified(hook["secret"], endpoint.posts[0])["event_id"] == str(completed.event_id)  # the same secret
        assert (await client.post(f"/webhooks/{hook['id']}/replay", json=since, headers=OPS)).status_code == 202
        assert (await client.post(f"/webhooks/{hook['id']}/enable", headers=bearer("cafcass", "f"))).status_code == 403


async def test_a_rotated_secret_signs_beside_the_old_one_until_the_overlap_ends(kit, settings, endpoint):
    overlap = timedelta(seconds=3)
    async with running(create_app(settings.model_copy(update={"webhook_secret_overlap": overlap}))) as client:
        hook = await register(client, endpoint.url, ["course.completed"])
        key = {"Idempotency-Key": "rotate-1"}
        rotated = await client.post(f"/webhooks/{hook['id']}/rotate-secret", headers=OPS | key)
        assert rotated.status_code == 200, rotated.text
        new = rotated.json()["secret"]
        assert new.startswith("whsec_") and new != hook["secret"] and rotated.json()["previous_secret_until"]
        again = await client.post(f"/webhooks/{hook['id']}/rotate-secret", headers=OPS | key)  # a lost answer
        assert again.json()["secret"] == new and again.headers["Idempotent-Replayed"] == "true"

        await kit.publish(event("course.completed", "r-4", "p-4"))
        await eventually(lambda: _posts(endpoint, 1), timeout=20)
        during = endpoint.posts[0]
        assert len(during.headers["webhook-signature"].split(" ")) == 2
        assert verified(new, during) and verified(hook["secret"], during)  # a partner on either secret

        await asyncio.sleep(overlap.total_seconds())
        await kit.publish(event("course.completed", "r-5", "p-5"))
        await eventually(lambda: _posts(endpoint, 2), timeout=20)
        after = endpoint.posts[1]
        assert verified(new, after)
        with pytest.raises(Exception):  # the old secret no longer signs
            verified(hook["secret"], after)


async def test_a_retried_registration_gets_the_same_secret_while_it_is_current(kit, settings, endpoint):
    app = create_app(settings)
    async with running(app) as client:
        body = {"partner": "cafcass-cms", "url": endpoint.url, "event_types": ["course.completed"]}
        key = {"Idempotency-Key": "register-1"}
        first = await client.post("/webhooks", json=body, headers=OPS | key)
        retry = await client.post("/webhooks", json=body, headers=OPS | key)  # the first answer was lost
        assert retry.status_code == 201 and retry.headers["Idempotent-Replayed"] == "true"
        assert retry.json() == first.json() and retry.json()["secret"].startswith("whsec_")
        stored = await app.state.rt.store.db.idempotency.find_one({"_id": "webhook:ops-1:register-1"})
        assert stored is not None
        assert first.json()["secret"] not in str(stored)  # the answer is kept without it
        # another operator's retry with that key is their own request: it registers nothing twice
        other = await client.post("/webhooks", json=body, headers=bearer("ops", "ops-2") | key)
        assert other.status_code == 409 and other.json()["type"].endswith("/webhook-already-registered")
        # once rotated, the first secret is not given out again
        await client.post(f"/webhooks/{first.json()['id']}/rotate-secret", headers=OPS)
        late = await client.post("/webhooks", json=body, headers=OPS | key)
        assert late.status_code == 409 and late.json()["type"].endswith("/credential-not-replayed")
