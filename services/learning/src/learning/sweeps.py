"""The 10-day clock, and queued sign-in requests: due work is stored and found by indexed
sweeps, so a restart loses nothing. Each item is claimed by a compare-and-set on its due field inside the transaction
that emits its event, so two replicas never fire the same reminder twice."""

import logging
from collections.abc import Awaitable, Callable
from datetime import datetime

from bson import ObjectId

from learning import domain
from learning.store import ACTIVATIONS, ENROLMENTS, SIGN_IN_REQUESTS, answer_sign_in, event_ids
from ptfc.events import ActivationExpired, DeadlineApproaching, DeadlineMissed
from ptfc.service import Runtime
from ptfc.store import Tx

BATCH = 100
log = logging.getLogger("learning.sweeps")


async def _due(rt: Runtime, collection: str, query: dict, field: str) -> list[dict]:
    return await rt.store.db[collection].find(query).sort(field, 1).limit(BATCH).to_list()


async def _run(rt: Runtime, work: Callable[[Tx], Awaitable[None]]) -> None:
    """One item's unit of work. A failing item stays due and is tried next round; it must not
    hold up the items behind it."""
    try:
        await rt.store.run(work)
    except Exception:
        log.exception("a due item failed; it stays due")


async def expire_activations(rt: Runtime) -> None:
    """Unused links past their time expire once; the parent's FCA and provider are told."""
    now = rt.clock.now()
    for row in await _due(rt, ACTIVATIONS, {"state": "pending", "expires_at": {"$lte": now}}, "expires_at"):

        async def work(tx: Tx, row: dict = row) -> None:
            claimed = await tx.db[ACTIVATIONS].find_one_and_update(
                {"_id": row["_id"], "state": "pending"},
                {"$set": {"state": "expired", "closed_at": now}},
                session=tx.session,
            )
            if claimed is None:
                return  # another replica, a use or a re-issue got there first
            enrolment = await tx.db[ENROLMENTS].find_one({"_id": ObjectId(row["enrolment_id"])}, session=tx.session)
            # A sign-in link sent after activation expires quietly: the account is not overdue.
            if enrolment and enrolment["status"] == "active" and enrolment["activated_at"] is None:
                await tx.emit(
                    ActivationExpired(**event_ids(enrolment), expired_at=row["expires_at"]), row["referral_id"]
                )

        await _run(rt, work)


async def send_reminders(rt: Runtime) -> None:
    """`learning.deadline_approaching` at each reminder offset before the deadline."""
    now = rt.clock.now()
    # Past the deadline a reminder is moot: `mark_missed` takes over.
    query = {"status": "active", "reminder_due": {"$lte": now}, "deadline": {"$gt": now}}
    for row in await _due(rt, ENROLMENTS, query, "reminder_due"):

        async def work(tx: Tx, row: dict = row) -> None:
            deadline: datetime = row["deadline"]
            claimed = await tx.db[ENROLMENTS].find_one_and_update(
                {"_id": row["_id"], "status": "active", "deadline": deadline, "reminder_due": row["reminder_due"]},
                {"$set": {"reminder_due": domain.next_reminder(deadline, rt.settings.reminders, now)}},
                session=tx.session,
            )
            if claimed is None:
                return
            await tx.emit(
                DeadlineApproaching(
                    **event_ids(row),
                    deadline=deadline,
                    days_left=domain.days_left(deadline, now),
                    modules_completed=claimed["modules_completed"],
                ),
                row["referral_id"],
            )

        await _run(rt, work)


async def mark_missed(rt: Runtime) -> None:
    """The window closed before the eighth module: `learning.deadline_missed`, once."""
    now = rt.clock.now()
    for row in await _due(rt, ENROLMENTS, {"status": "active", "deadline": {"$lte": now}}, "deadline"):

        async def work(tx: Tx, row: dict = row) -> None:
            claimed = await tx.db[ENROLMENTS].find_one_and_update(
                {"_id": row["_id"], "status": "active", "deadline": row["deadline"]},
                {"$set": {"status": "missed", "missed_at": now, "reminder_due": None}},
                session=tx.session,
            )
            if claimed is None:
                return  # completed, extended or withdrawn meanwhile
            await tx.emit(
                DeadlineMissed(
                    **event_ids(row), deadline=row["deadline"], modules_completed=claimed["modules_completed"]
                ),
                row["referral_id"],
            )

        await _run(rt, work)


async def send_sign_in_links(rt: Runtime) -> None:
    """Answer "email me a sign-in link" requests, oldest first, each once."""
    for row in await _due(rt, SIGN_IN_REQUESTS, {}, "requested_at"):

        async def work(tx: Tx, row: dict = row) -> None:
            if await tx.db[SIGN_IN_REQUESTS].find_one_and_delete({"_id": row["_id"]}, session=tx.session) is None:
                return  # another replica answered it
            await answer_sign_in(tx, rt.settings, row["_id"], row["requested_at"])

        await _run(rt, work)


SWEEPS = [expire_activations, send_reminders, mark_missed, send_sign_in_links]
