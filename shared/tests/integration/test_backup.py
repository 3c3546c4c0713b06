"""The restore runbook (docs/operations.md, "Backup and restore") on the embedded store: a service's
database dumped with `python -m ptfc.backup`, restored into a fresh server, compared collection by
collection and index by index."""

import subprocess
import sys
from datetime import UTC, datetime, timedelta

from bson import Binary, ObjectId
from pymongo import MongoClient

from ptfc.dev.servers import start_mongodb
from ptfc.store import PLATFORM_INDEXES
from referrals.store import INDEXES as REFERRALS_INDEXES


def backup(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "ptfc.backup", *args], capture_output=True, text=True, timeout=120)


def contents(client: MongoClient, database: str) -> dict:
    db = client[database]
    return {
        name: (
            list(db[name].find({}, sort=[("_id", 1)])),
            sorted(
                (ix["name"], dict(ix["key"]), ix.get("unique"), ix.get("expireAfterSeconds"))
                for ix in db[name].list_indexes()
            ),
        )
        for name in sorted(db.list_collection_names())
    }


def test_a_dump_restored_into_a_fresh_store_has_every_document_and_index(tmp_path):
    source, fresh = start_mongodb(tmp_path / "source"), start_mongodb(tmp_path / "fresh")
    try:
        with MongoClient(source.url, tz_aware=True) as a, MongoClient(fresh.url, tz_aware=True) as b:
            db = a["referrals"]
            for name, models in {**PLATFORM_INDEXES, **REFERRALS_INDEXES}.items():
                db.create_collection(name)
                if models:
                    db[name].create_indexes(models)
            now = datetime(2026, 11, 1, 9, 30, 15, 123000, tzinfo=UTC)
            db["referrals"].insert_many(
                [
                    {
                        "_id": ObjectId(),
                        "fca_id": f"fca-{i}",
                        "provider": "action-for-children",
                        "created_at": now,
                        "parents": [{"id": f"p-{i}", "sealed": Binary(bytes([i, 0, 255]))}],
                        "due": now + timedelta(days=i),
                    }
                    for i in range(250)
                ]
            )
            db["outbox"].insert_one(
                {
                    "_id": ObjectId(),
                    "event_id": "e-1",
                    "subject": "referral.created",
                    "body": "{}",
                    "sent": False,
                    "created_at": now,
                }
            )
            dump = tmp_path / "referrals.bson.gz"
            done = backup("dump", "--uri", source.url, "--db", "referrals", "--to", str(dump))
            assert done.returncode == 0, done.stderr
            done = backup("restore", "--uri", fresh.url, "--db", "referrals", "--from", str(dump))
            assert done.returncode == 0, done.stderr
            assert "restore: referrals.referrals 250" in done.stdout
            before, after = contents(a, "referrals"), contents(b, "referrals")
            assert after == before and len(before["referrals"][1]) > 1  # documents, types and indexes alike
            # a restore never lands on data: into a database that holds collections it refuses
            again = backup("restore", "--uri", fresh.url, "--db", "referrals", "--from", str(dump))
            assert again.returncode != 0 and "not empty" in again.stderr
    finally:
        source.kill()
        fresh.kill()
