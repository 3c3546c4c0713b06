"""Sweeps claim due work atomically: replicas sweeping at the same moment fire it once."""

import asyncio
from datetime import timedelta
from types import SimpleNamespace

from bson import ObjectId

from learning.store import ENROLMENTS, INDEXES
from learning.sweeps import mark_missed, send_reminders
from ptfc.clock import SystemClock
from ptfc.store import OUTBOX, Store


async def test_concurrent_sweeps_fire_each_due_reminder_and_missed_deadline_once(hub):
    s = hub.settings(reminders=[timedelta(seconds=30)])
    clock = SystemClock()
    stores = [Store(s.mongodb_uri, s.db_name, "learning", clock) for _ in range(4)]  # four replicas
    try:
        await stores[0].ensure_indexes(INDEXES)
        now = clock.now()
        due = [
            {"_id": ObjectId(), "deadline": now + timedelta(seconds=20), "reminder_due": now - timedelta(seconds=1)},
            {"_id": ObjectId(), "deadline": now - timedelta(seconds=1), "reminder_due": None},
        ]
        await (
            stores[0]
            .db[ENROLMENTS]
            .insert_many(
                [
                    {**d, "referral_id": "r-s", "participant_id": f"p{i}", "status": "active", "modules_completed": 0}
                    for i, d in enumerate(due)
                ]
            )
        )
        replicas = [SimpleNamespace(store=store, clock=clock, settings=s) for store in stores]
        await asyncio.gather(*(sweep(rt) for rt in replicas for sweep in (send_reminders, mark_missed)))

        sent = await stores[0].db[OUTBOX].find({}, {"subject": 1}).to_list()
        assert sorted(row["subject"] for row in sent) == ["learning.deadline_approaching", "learning.deadline_missed"]
        stored = await stores[0].db[ENROLMENTS].find({}).sort("_id", 1).to_list()
        assert stored[0]["reminder_due"] is None and stored[1]["status"] == "missed"
    finally:
        for store in stores:
            await store.close()
