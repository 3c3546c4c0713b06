"""The HTTP conventions every service shares: problem details, bearer auth, Idempotency-Key,
turns for writes."""

import asyncio
import time
from datetime import timedelta
from typing import Annotated

import httpx
from fastapi import APIRouter, Depends
from fastapi import Request as HTTPRequest
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer

from ptfc.auth import CurrentCaller, decode_token, issue_token
from ptfc.dev.servers import start_mongodb
from ptfc.events import ReferralWithdrawn
from ptfc.handlers import Handlers
from ptfc.idempotency import IdempotencyKey, once
from ptfc.metrics import HTTP_WAITING
from ptfc.models import Request
from ptfc.service import RuntimeDep, build_app
from ptfc.settings import DEV_JWT_PRIVATE_KEY, ServiceSettings
from ptfc.testing.keys import another_key
from ptfc.testing.plugin import bearer, eventually, running, serve


class Note(Request):
    text: str
    days: int


router = APIRouter()


@router.post("/notes", status_code=201)
async def add_note(note: Note, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None):
    caller.require("cafcass")

    async def work(tx):
        result = await tx.db.notes.insert_one({"text": note.text}, session=tx.session)
        await tx.emit(
            ReferralWithdrawn(referral_id=str(result.inserted_id), participant_ids=[]),
            str(result.inserted_id),
        )
        return 201, {"id": str(result.inserted_id)}

    return await once(rt.store, key, f"{caller.sub}:notes", note.model_dump(), work)


def app(make_settings):
    return build_app(
        make_settings(ServiceSettings, service="referrals"),
        title="http-probe",
        router=router,
        handlers=Handlers(),
        indexes={},
    )


async def test_a_retried_write_with_the_same_key_acts_once(make_settings, tap):
    fca = bearer("cafcass", "fca-1")
    service = app(make_settings)
    async with running(service) as client:
        first = await client.post("/notes", json={"text": "a", "days": 1}, headers={**fca, "Idempotency-Key": "k1"})
        again = await client.post("/notes", json={"text": "a", "days": 1}, headers={**fca, "Idempotency-Key": "k1"})
        assert first.status_code == again.status_code == 201
        assert first.json() == again.json()
        assert again.headers["Idempotent-Replayed"] == "true"
        assert await service.state.rt.store.db.notes.count_documents({}) == 1

        reused = await client.post("/notes", json={"text": "b", "days": 1}, headers={**fca, "Idempotency-Key": "k1"})
        assert reused.status_code == 422
        assert reused.json()["type"].endswith("/idempotency-key-reused")

        # the same key from another caller is that caller's own key
        other = await client.post(
            "/notes", json={"text": "a", "days": 1}, headers={**bearer("cafcass", "fca-2"), "Idempotency-Key": "k1"}
        )
        assert other.status_code == 201 and other.json() != first.json()
    assert len(await tap.wait_for("referral.withdrawn", count=2)) == 2


async def test_bad_input_gets_problem_details_without_echoing_it(make_settings):
    fca = bearer("cafcass", "fca-1")
    async with running(app(make_settings)) as client:
        unknown = await client.post("/notes", json={"text": "x", "days": 1, "email": "secret@example.org"}, headers=fca)
        assert unknown.status_code == 422
        assert unknown.headers["content-type"] == "application/problem+json"
        body = unknown.json()
        assert body["type"].endswith("/invalid-request") and body["status"] == 422
        assert body["errors"][0]["location"] == "body.email" and body["errors"][0]["reason"] == "extra_forbidden"
        assert "secret@example.org" not in unknown.text

        wrong_type = await client.post("/notes", json={"text": "x", "days": "many"}, headers=fca)
        assert wrong_type.status_code == 422 and wrong_type.json()["errors"][0]["location"] == "body.days"

        json_type = {"content-type": "application/json"}
        not_json = await client.post("/notes", content=b"{not json", headers={**fca, **json_type})
        assert not_json.status_code == 400 and not_json.json()["type"].endswith("/malformed-json")
        a_form = await client.post("/notes", data={"text": "x", "days": "1"}, headers=fca)
        assert a_form.status_code == 415 and a_form.json()["type"].endswith("/unsupported-media-type")
        text = await client.post("/notes", content=b"x", headers={**fca, "content-type": "text/plain"})
        assert text.status_code == 415 and text.json()["type"].endswith("/unsupported-media-type")

        missing = await client.get("/nowhere")
        assert missing.status_code == 404 and missing.json()["type"].endswith("/not-found")


async def test_callers_without_a_valid_token_or_role_are_refused(make_settings):
    async with running(app(make_settings)) as client:
        none = await client.post("/notes", json={"text": "x", "days": 1})
        assert none.status_code == 401 and none.json()["type"].endswith("/unauthenticated")
        assert none.headers["www-authenticate"] == "Bearer"

        forged = issue_token(another_key(), "cafcass", "fca-1")
        bad = await client.post("/notes", json={"text": "x", "days": 1}, headers={"Authorization": f"Bearer {forged}"})
        assert bad.status_code == 401 and bad.json()["type"].endswith("/invalid-token")

        old = issue_token(DEV_JWT_PRIVATE_KEY, "cafcass", "fca-1", ttl=timedelta(seconds=-1))
        expired = await client.post("/notes", json={"text": "x", "days": 1}, headers={"Authorization": f"Bearer {old}"})
        assert expired.status_code == 401 and expired.json()["type"].endswith("/token-expired")

        parent = await client.post("/notes", json={"text": "x", "days": 1}, headers=bearer("parent", "p-1"))
        assert parent.status_code == 403 and parent.json()["type"].endswith("/forbidden")


async def test_a_store_outage_shows_on_readyz_at_once_and_writes_answer_503_with_retry_after(make_settings, tmp_path):
    """A partner told 503 + Retry-After retries; a 500 would look like a bug, and a hang like a dead service."""
    own_store = start_mongodb(tmp_path / "store")
    settings = make_settings(ServiceSettings, service="referrals", transaction_timeout=timedelta(seconds=2))
    settings = settings.model_copy(update={"mongodb_uri": own_store.url})
    service = build_app(settings, title="http-probe", router=router, handlers=Handlers(), indexes={})
    fca = bearer("cafcass", "fca-1")
    try:
        async with running(service) as client:
            assert (await client.get("/readyz")).status_code == 200
            own_store.kill()
            started = time.monotonic()
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["store"] is False
            assert time.monotonic() - started < 3
            write = await client.post("/notes", json={"text": "a", "days": 1}, headers=fca)
            assert write.status_code == 503, write.text
            assert write.headers["Retry-After"] == "5"
            assert write.json()["type"].endswith("/unavailable")
            assert time.monotonic() - started < 15  # the unit of work's bound, not the driver's two minutes
    finally:
        own_store.kill()


async def test_with_nats_down_a_service_stays_ready_and_takes_writes_into_its_outbox(make_settings, tmp_path):
    """Issue 29: `/readyz` required the broker, so a NATS blip took every API out of its Service though
    the outbox would hold the events. Readiness is the store's; the broker is reported beside it."""
    from ptfc.dev.servers import start_nats
    from ptfc.store import OUTBOX
    from ptfc.streams import declare_all

    own_bus = start_nats(tmp_path / "nats")  # no authorization: this test's alone
    await declare_all(own_bus.url)
    settings = make_settings(ServiceSettings, service="referrals").model_copy(update={"nats_url": own_bus.url})
    service = build_app(settings, title="broker-blip", router=router, handlers=Handlers(), indexes={})
    try:
        async with running(service) as client:
            assert (await client.get("/readyz")).json()["broker"] is True
            own_bus.kill()
            ready = await client.get("/readyz")
            assert ready.status_code == 200
            assert ready.json() == {"ready": True, "checks": {"store": True}, "broker": False}
            assert (await client.get("/readyz/broker")).status_code == 503
            assert 'ptfc_broker_connected{service="referrals"} 0.0' in (await client.get("/metrics")).text
            write = await client.post("/notes", json={"text": "a", "days": 1}, headers=bearer("cafcass", "fca-1"))
            assert write.status_code == 201, write.text
            rows = await service.state.rt.store.db[OUTBOX].find({"sent": False}).to_list(None)
            assert [r["subject"] for r in rows if write.json()["id"] in r["body"]] == ["referral.withdrawn"]
    finally:
        own_bus.kill()


def async_true(condition):
    async def check() -> bool:
        return condition()

    return check


async def test_writes_beyond_their_turns_wait_for_one_and_reads_never_wait(make_settings):
    """A burst of partners' writes must not crowd out the work that follows from them (the letters)."""
    inside, most, go = 0, 0, asyncio.Event()
    held = APIRouter()

    @held.post("/held")
    async def hold() -> dict:
        nonlocal inside, most
        inside += 1
        most = max(most, inside)
        await go.wait()
        inside -= 1
        return {"done": True}

    settings = make_settings(
        ServiceSettings, service="turns-probe", write_concurrency=2, write_wait=timedelta(seconds=2)
    )
    service = build_app(settings, title="turns-probe", router=held, handlers=Handlers(), indexes={})
    waiting = HTTP_WAITING.labels("turns-probe")._value.get
    async with serve(service) as url, httpx.AsyncClient(base_url=url, timeout=10) as client:
        try:
            five = [asyncio.create_task(client.post("/held")) for _ in range(5)]
            await eventually(async_true(lambda: inside == 2 and waiting() == 3))  # two handled, three wait
            assert (await client.get("/readyz")).status_code == 200  # a read takes no turn
            go.set()
            assert [r.status_code for r in await asyncio.gather(*five)] == [200] * 5  # each had its turn
            assert most == 2 and waiting() == 0

            # A wait past its bound is answered 503 with Retry-After, as when the store is away.
            go.clear()
            two = [asyncio.create_task(client.post("/held")) for _ in range(2)]
            await eventually(async_true(lambda: inside == 2))
            async with asyncio.timeout(5):
                late = await client.post("/held")
            assert late.status_code == 503 and late.headers["Retry-After"] == "5"
            assert late.json()["type"].endswith("/unavailable")
            go.set()
            assert [r.status_code for r in await asyncio.gather(*two)] == [200, 200]
            assert (await client.post("/held")).status_code == 200  # the turns are all back
        finally:
            go.set()  # a failed assertion must not leave the server waiting on held requests


async def test_writes_with_junk_or_no_tokens_take_no_turn_from_genuine_ones(make_settings):
    """300 writes with a junk token made 3 of 10 genuine parents' writes answer 503 (issue 24,
    finding 7): a write whose token will be refused is answered 401 before it waits for a turn."""
    go, inside = asyncio.Event(), 0
    held = APIRouter()
    optional = HTTPBearer(auto_error=False)

    @held.post("/held")
    async def hold(caller: CurrentCaller) -> dict:
        nonlocal inside
        inside += 1
        await go.wait()
        return {"sub": caller.sub}

    @held.post("/maybe")  # reads a token if one is sent, as plans does
    async def maybe(
        request: HTTPRequest, credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(optional)]
    ):
        if credentials is not None:
            decode_token(request.app.state.settings, credentials.credentials)
        return {"done": True}

    # One turn and a queue of 64: today 64 junk writes queue behind the held one and the rest are told 503.
    settings = make_settings(
        ServiceSettings, service="turns-probe", write_concurrency=1, write_wait=timedelta(seconds=3)
    )
    service = build_app(settings, title="turns-probe", router=held, handlers=Handlers(), indexes={})
    waiting = HTTP_WAITING.labels("turns-probe")._value.get
    junk = {"Authorization": "Bearer junk"}
    limits = httpx.Limits(max_connections=200)
    async with serve(service) as url, httpx.AsyncClient(base_url=url, timeout=30, limits=limits) as client:
        try:
            first = asyncio.create_task(client.post("/held", headers=bearer("parent", "p-0")))
            await eventually(async_true(lambda: inside == 1))  # the only turn is taken
            flood = await asyncio.gather(  # today: 64 wait out their turn, then all are told 503
                *(client.post("/held", headers=junk) for _ in range(100)),
                *(client.post("/held") for _ in range(25)),
                *(client.post("/maybe", headers=junk) for _ in range(25)),
            )
            assert [r.status_code for r in flood] == [401] * 150
            assert {r.json()["type"].rsplit("/", 1)[-1] for r in flood} == {"invalid-token", "unauthenticated"}
            assert waiting() == 0
            genuine = [asyncio.create_task(client.post("/held", headers=bearer("parent", f"p-{n}"))) for n in range(10)]
            await eventually(async_true(lambda: waiting() == 10))  # they wait their turn
            go.set()
            answers = await asyncio.gather(first, *genuine)
            assert [r.status_code for r in answers] == [200] * 11
            assert (await client.post("/maybe")).status_code == 200  # an anonymous write still goes, in turn
        finally:
            go.set()
