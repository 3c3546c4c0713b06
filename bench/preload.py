"""Fills the platform's stores with N referrals as the real paths leave them, fast enough for a
year's volume (12,000 referrals, 24,000 parents) in a bench run.

Posting 12,000 referrals through intake would take the store about an hour on this machine, so
the loader clones instead, from what the real code wrote: the bench posts a few template
referrals through `POST /referrals`, waits until every consumer has handled them and every
planned letter is sent, takes every document those referrals made in every service's database
(referrals and participants, learning's enrolments, accounts and activation links, workshops'
parents, notifications' contacts and sent delivery rows, each service's inbox marks, sent outbox
rows and idempotency records), and writes copies with `insert_many`. Nothing here knows a
document's shape, so a change to what a path writes is cloned as it is and the load cannot drift
from the code. Each copy gets fresh identities, the same within a copy so its references hold:
every UUID (with or without hyphens) and every hex digest (lookup keys, token hashes) is replaced,
case numbers and the templates' email addresses too. What a copy keeps of its template: sealed
contact details (ciphertext the loader cannot reseal; the letters they address were all sent),
and its times: the copies look like referrals made in the last minutes, all in the state intake
leaves them (invited, e-learning not started, nothing due for days), the hardest case for the
indexes on live states. JetStream is not filled: streams keep 30 days and consumers read only
what is new."""

import itertools
import re
import secrets
import time
from collections.abc import Iterator
from typing import Any
from uuid import uuid4

from bson import ObjectId
from pymongo import AsyncMongoClient
from pymongo.errors import BulkWriteError

SKIPPED = {"readiness"}  # the probes' own rows, one per process
SHARED = {"court_key"}  # keyed digests many referrals share (the court's): kept, so copies share them too
TOKEN = re.compile(
    r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}"  # UUID
    r"|(?<![0-9a-f])[0-9a-f]{16,}(?![0-9a-f])"  # digests, uuid4().hex, ObjectId strings
    r"|(?<![A-Z0-9])[A-Z]{2}\d{2}[A-Z]\d{5}(?![0-9])"  # case numbers
    r"|tpl-\d+-"  # the templates' email addresses
)

CASES = itertools.count(1)  # the copies' case numbers, PL00P00001 onwards

Found = dict[tuple[str, str], list[dict[str, Any]]]


async def snapshot(client: AsyncMongoClient, databases: list[str]) -> dict[tuple[str, str], set[Any]]:
    """The ids of every document now in the services' databases."""
    ids: dict[tuple[str, str], set[Any]] = {}
    for name in databases:
        db = client[name]
        for collection in await db.list_collection_names():
            if collection not in SKIPPED and not collection.startswith("system."):
                ids[name, collection] = {d["_id"] async for d in db[collection].find({}, {"_id": 1})}
    return ids


async def made_since(client: AsyncMongoClient, databases: list[str], before: dict) -> Found:
    """Every document written since `before` was taken: what the template referrals made."""
    found: Found = {}
    for name in databases:
        db = client[name]
        for collection in await db.list_collection_names():
            if collection in SKIPPED or collection.startswith("system."):
                continue
            known = before.get((name, collection), set())
            docs = [d async for d in db[collection].find({}) if d["_id"] not in known]
            if docs:
                found[name, collection] = docs
    return found


class Copy:
    """One copy's fresh identities: each template value is replaced the same way everywhere."""

    def __init__(self, serial: int) -> None:
        self.serial = serial
        self.fresh: dict[str, str] = {}

    def new(self, token: str) -> str:
        if token not in self.fresh:
            if token.startswith("tpl-"):
                self.fresh[token] = f"pre{self.serial}x{token[4:]}"
            elif "-" in token:
                self.fresh[token] = str(uuid4())
            elif token[0].isupper():  # a case number, unique per copy and template
                n = next(CASES)
                self.fresh[token] = f"PL{n % 100:02d}P{n // 100 % 100000:05d}"
            else:
                self.fresh[token] = secrets.token_hex(len(token) // 2 + 1)[: len(token)]
        return self.fresh[token]

    def rewrite(self, value: Any) -> Any:
        if isinstance(value, str):
            return TOKEN.sub(lambda m: self.new(m.group(0)), value)
        if isinstance(value, dict):
            return {self.rewrite(k): v if k in SHARED else self.rewrite(v) for k, v in value.items()}
        if isinstance(value, list):
            return [self.rewrite(v) for v in value]
        if isinstance(value, ObjectId):
            return ObjectId()
        return value


def copies(found: Found, times: int, first: int = 0) -> Iterator[tuple[tuple[str, str], list[dict[str, Any]]]]:
    """The documents of `times` copies of the templates, by collection, one copy at a time."""
    for serial in range(first, first + times):
        copy = Copy(serial)
        for where, docs in found.items():
            yield where, [copy.rewrite(d) for d in docs]


async def write(client: AsyncMongoClient, where: tuple[str, str], rows: list[dict[str, Any]]) -> int:
    try:
        await client[where[0]][where[1]].insert_many(rows, ordered=False)
    except BulkWriteError as error:  # the first is enough to see which identity was not replaced
        first = error.details["writeErrors"][0]
        raise RuntimeError(f"{where}: {len(error.details['writeErrors'])} refused, e.g. {first['errmsg']}") from None
    return len(rows)


async def load(client: AsyncMongoClient, found: Found, times: int, batch: int = 2000) -> tuple[int, float]:
    """Writes `times` copies of the templates; returns (documents written, seconds)."""
    started, written = time.monotonic(), 0
    pending: dict[tuple[str, str], list[dict[str, Any]]] = {}
    for where, docs in copies(found, times):
        rows = pending.setdefault(where, [])
        rows.extend(docs)
        if len(rows) >= batch:
            written += await write(client, where, rows)
            rows.clear()
    for where, rows in pending.items():
        if rows:
            written += await write(client, where, rows)
    return written, time.monotonic() - started
