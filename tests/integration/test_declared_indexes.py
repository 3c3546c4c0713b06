"""Each service's declared indexes, as the store the tests run on reports them back (SecantusDB, or
mongod under testcontainers), read as the same indexes: a restart drops and rebuilds none of them
(`Store.ensure_indexes` drops what differs)."""

import importlib
from pathlib import Path

import pytest

from ptfc.clock import SystemClock
from ptfc.settings import ServiceSettings
from ptfc.store import Store

ROOT = Path(__file__).resolve().parents[2]
SERVICES = sorted(p.parents[2].name for p in ROOT.glob("services/*/src/*/store.py") if "INDEXES" in p.read_text())


def test_every_service_with_a_store_is_checked():
    assert SERVICES == ["learning", "notifications", "plans", "referrals", "workshops"]


@pytest.mark.parametrize("service", SERVICES)
async def test_a_restart_keeps_a_services_indexes(service, make_settings):
    indexes = importlib.import_module(f"{service}.store").INDEXES
    s = make_settings(ServiceSettings, service=service)
    store = Store(s.mongodb_uri, s.db_name, service, SystemClock())
    try:
        assert await store.ensure_indexes(indexes) == []  # a new database: nothing to drop
        assert await store.ensure_indexes(indexes) == []  # the next start
    finally:
        await store.close()
