"""Indexes are declared in code, and a service starting makes its store match them (`Store.ensure_indexes`):
an index an earlier release made and this one no longer declares, or declares otherwise, would cost
every write or clash with its replacement."""

from pymongo import ASCENDING, IndexModel

from ptfc.clock import SystemClock
from ptfc.settings import ServiceSettings
from ptfc.store import DEAD_LETTERS, OUTBOX, PLATFORM_INDEXES, Store, index_spec


async def test_an_earlier_releases_indexes_are_replaced_by_the_declared_ones_and_a_restart_changes_nothing(
    make_settings,
):
    s = make_settings(ServiceSettings, service="referrals")
    store = Store(s.mongodb_uri, s.db_name, "indexes", SystemClock())
    # The outbox as the release before this one left it, and an index nobody declares.
    await store.db[OUTBOX].create_indexes(
        [
            IndexModel([("sent", ASCENDING), ("_id", ASCENDING)]),
            IndexModel("event_id", unique=True),
            IndexModel("sent_at", expireAfterSeconds=30 * 24 * 3600),
            IndexModel("subject"),
        ]
    )
    await store.db[OUTBOX].insert_one({"event_id": "e1", "sent": False})
    await store.db[DEAD_LETTERS].create_index("expires_at")  # declared with a TTL of 0, made without one
    declared = {"parents": [IndexModel([("family", ASCENDING), ("_id", ASCENDING)], unique=True)]}
    await store.db.parents.create_index("family", sparse=True)  # not declared any more
    await store.db.parents.create_index([("where", "2dsphere")])  # nor this, of another kind
    try:
        dropped = await store.ensure_indexes(declared)
        assert sorted(dropped) == [
            "dead_letters.expires_at_1",
            "outbox.event_id_1",
            "outbox.sent_1__id_1",
            "outbox.sent_at_1",
            "outbox.subject_1",
            "parents.family_1",
            "parents.where_2dsphere",
        ]
        for name, models in {**PLATFORM_INDEXES, **declared}.items():
            held = await store.db[name].index_information()
            assert {n: index_spec(i) for n, i in held.items() if n != "_id_"} == {
                m.document["name"]: index_spec(m.document) for m in models
            }
        assert await store.db[OUTBOX].count_documents({"sent": False}) == 1  # the rows stay; only indexes go
        assert await store.ensure_indexes(declared) == []  # a restart drops and rebuilds nothing
    finally:
        await store.close()
