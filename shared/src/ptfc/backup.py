"""Dump a database to one file and restore it, with PyMongo alone: every collection's documents
(BSON, so types survive: ObjectIds, dates, binary) and index definitions.

Why not mongodump: it is not in any package registry the development and CI machines reach, and
the embedded store (SecantusDB) must be restorable the same way in tests. Production backups use
`mongodump --oplog` (point in time, deploy/overlays/prod/mongodb-backup.yaml); this tool is for
the embedded store, for copying a database between servers, and for the tested restore runbook.

    python -m ptfc.backup dump    --uri mongodb://... --db referrals --to referrals.bson.gz
    python -m ptfc.backup restore --uri mongodb://... --db referrals --from referrals.bson.gz

Restore refuses a database that already holds collections: restore into a fresh one, check it,
then point the service at it."""

import argparse
import gzip
import sys
from pathlib import Path
from typing import Any

import bson
from pymongo import MongoClient


def _index_specs(collection) -> list[dict[str, Any]]:
    return [dict(ix) for ix in collection.list_indexes() if ix["name"] != "_id_"]


def dump(client: MongoClient, database: str, path: Path) -> dict[str, int]:
    """Write every collection of `database` to `path` (gzip of BSON documents); answers counts."""
    db, counts = client[database], {}
    with gzip.open(path, "wb") as out:
        for name in sorted(db.list_collection_names()):
            indexes = _index_specs(db[name])
            out.write(bson.encode({"collection": name, "indexes": indexes}))
            counts[name] = 0
            for doc in db[name].find({}, sort=[("_id", 1)]):
                out.write(bson.encode({"doc": doc}))
                counts[name] += 1
    return counts


def restore(client: MongoClient, database: str, path: Path) -> dict[str, int]:
    """Load a dump into an empty `database`: its indexes first (a unique index refuses a duplicate
    as it would have at the source), then its documents in batches."""
    db = client[database]
    if db.list_collection_names():
        raise SystemExit(f"{database} is not empty: restore into a fresh database")
    counts: dict[str, int] = {}
    collection, batch = None, []

    def flush() -> None:
        if batch:
            collection.insert_many(batch, ordered=True)
            counts[collection.name] += len(batch)
            batch.clear()

    with gzip.open(path, "rb") as source:
        for record in bson.decode_file_iter(source):
            if "collection" in record:
                flush()
                collection = db[record["collection"]]
                db.create_collection(record["collection"])
                counts[collection.name] = 0
                for spec in record["indexes"]:
                    options = {k: v for k, v in spec.items() if k not in ("key", "v", "ns")}
                    collection.create_index(list(spec["key"].items()), **options)
            else:
                batch.append(record["doc"])
                if len(batch) >= 1000:
                    flush()
        flush()
    return counts


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ptfc.backup", description=__doc__.split("\n\n")[0])
    parser.add_argument("action", choices=["dump", "restore"])
    parser.add_argument("--uri", required=True)
    parser.add_argument("--db", required=True)
    parser.add_argument("--to", "--from", dest="path", required=True, type=Path)
    args = parser.parse_args(argv)
    with MongoClient(args.uri) as client:
        counts = (dump if args.action == "dump" else restore)(client, args.db, args.path)
    for name, count in counts.items():
        print(f"{args.action}: {args.db}.{name} {count}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
