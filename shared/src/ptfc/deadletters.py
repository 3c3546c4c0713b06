"""Operations' view of parked messages: list them and replay one once the cause is fixed.

Operations see no personal data: the parked body stays in the store, only ids, the
consumer, the error and the counts are listed."""

from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Path
from pydantic import BaseModel

from ptfc.auth import CurrentCaller
from ptfc.consumer import describe
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem
from ptfc.runtime import RuntimeDep
from ptfc.store import DEAD_LETTERS, REPLAYED_KEPT, find_or_404

router = APIRouter(prefix="/ops/dead-letters", tags=["operations"])
# The problems these routes answer besides those of every route (ptfc.openapi).
PROBLEMS = {"POST /ops/dead-letters/{letter_id}/replay": {409: ("already-replayed", "not-replayable", "replay-failed")}}


class DeadLetter(BaseModel):
    id: str
    consumer: str
    subject: str
    event_id: str | None
    correlation_id: str | None
    error: str
    attempts: int
    parked_at: datetime
    replayed_at: datetime | None


def _view(doc: dict) -> DeadLetter:
    return DeadLetter(id=str(doc["_id"]), **{k: doc.get(k) for k in DeadLetter.model_fields if k != "id"})


@router.get("", response_model=Page[DeadLetter])
async def list_dead_letters(
    rt: RuntimeDep, caller: CurrentCaller, paging: Paging, include_replayed: bool = False
) -> Page[DeadLetter]:
    caller.require("ops")
    query = paging.filter() | ({} if include_replayed else {"replayed_at": None})
    rows = await rt.store.db[DEAD_LETTERS].find(query).sort("_id", 1).to_list(paging.limit)
    return Page(items=[_view(r) for r in rows], next_cursor=paging.next_cursor(rows))


@router.post("/{letter_id}/replay", response_model=DeadLetter)
async def replay_dead_letter(
    rt: RuntimeDep, caller: CurrentCaller, letter_id: Annotated[str, Path(max_length=24)]
) -> DeadLetter:
    caller.require("ops")
    doc = await find_or_404(rt.store.db, DEAD_LETTERS, letter_id, "dead letter")
    oid = doc["_id"]
    if doc["replayed_at"] is not None:
        raise Problem(409, "already-replayed", "Already replayed", "This message was replayed before.")
    if doc["consumer"] not in rt.consumer.by_durable or "event_id" not in doc:
        raise Problem(
            409,
            "not-replayable",
            "Cannot be replayed",
            "The message is not a valid event for a consumer of this service.",
        )
    try:
        await rt.consumer.replay(doc["consumer"], doc["body"], sealed=doc.get("body_sealed", False))
    except Exception as error:
        await rt.store.db[DEAD_LETTERS].update_one(
            {"_id": oid}, {"$inc": {"attempts": 1}, "$set": {"error": describe(error)}}
        )
        raise Problem(
            409,
            "replay-failed",
            "Replay failed",
            "The handler failed again; the message stays parked.",
            error_type=type(error).__name__,
        ) from error
    now = rt.clock.now()
    replayed = await rt.store.db[DEAD_LETTERS].find_one_and_update(
        {"_id": oid}, {"$set": {"replayed_at": now, "expires_at": now + REPLAYED_KEPT}}, return_document=True
    )
    return _view(replayed)
