"""Readiness means the store takes writes, not only that it answers."""

import time

from fastapi import APIRouter

from ptfc.handlers import Handlers
from ptfc.service import build_app
from ptfc.settings import ServiceSettings
from ptfc.store import READINESS
from ptfc.testing.plugin import running


async def test_a_store_that_answers_pings_but_holds_writes_is_not_ready(make_settings):
    """Issue 30: a transaction left open by a killed client made every conflicting write wait, and
    `/readyz` answered 200 for ten minutes. Here a transaction holds this process's readiness row,
    so the probe's write waits as a wedged store's writes do: readiness says no within seconds."""
    settings = make_settings(ServiceSettings, service="referrals")
    service = build_app(settings, title="ready-probe", router=APIRouter(), handlers=Handlers(), indexes={})
    async with running(service) as client:
        assert (await client.get("/readyz")).status_code == 200
        store = service.state.rt.store
        async with store.client.start_session() as session:
            await session.start_transaction()
            await store.db[READINESS].update_one({"_id": store.probe_id}, {"$set": {"held": True}}, session=session)
            started = time.monotonic()
            ready = await client.get("/readyz")
            assert ready.status_code == 503 and ready.json()["checks"]["store"] is False
            assert time.monotonic() - started < 5
            await session.abort_transaction()
        assert (await client.get("/readyz")).status_code == 200
