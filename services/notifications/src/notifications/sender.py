"""The sender sweep: claims due deliveries one at a time and sends them.

A claim is one atomic `find_one_and_update` that marks the row `sending` with a lease token
and moves its `due_at` to the end of the lease, so two replicas never send the same row,
and a sender that dies mid-send leaves a row that becomes claimable again when the lease
ends. The outcome (sent, retry later, failed) and its event commit in one transaction,
and only while the lease token still matches.

Exactly once has one unavoidable gap: a crash after the mail server accepted a message but
before the outcome committed sends it again when the lease ends. The Message-ID carries
the notification id so a receiving system can spot the repeat."""

import logging
from datetime import datetime
from typing import Any
from uuid import uuid4

from pymongo import ReturnDocument

from notifications.domain import retry_delay
from notifications.links import filled
from notifications.store import DELIVERIES, attachments_of
from notifications.transports import Outgoing, Permanent, Transient, Transport
from ptfc.events import NotificationFailed, NotificationSent
from ptfc.service import Runtime, Sweep
from ptfc.store import Tx

log = logging.getLogger("notifications.sender")


async def claim(rt: Runtime) -> dict[str, Any] | None:
    now = rt.clock.now()
    return await rt.store.db[DELIVERIES].find_one_and_update(
        # `sending` rows are due only once their lease has run out: their sender is gone.
        {"status": {"$in": ["pending", "sending"]}, "due_at": {"$lte": now}},
        {
            "$set": {"status": "sending", "lease": uuid4().hex, "due_at": now + rt.settings.send_lease},
            "$inc": {"attempts": 1},
        },
        sort=[("due_at", 1)],
        return_document=ReturnDocument.AFTER,
    )


def outcome_event(row: dict[str, Any], reason: str | None) -> NotificationSent | NotificationFailed:
    ids = {
        "notification_id": row["notification_id"],
        "template": row["template"],
        "recipient_role": row["recipient_role"],
        "source_event_id": row["source_event_id"],
        "referral_id": row.get("referral_id"),
        "participant_id": row.get("participant_id"),
    }
    return NotificationFailed(**ids, reason=reason) if reason is not None else NotificationSent(**ids)


async def settle(rt: Runtime, row: dict[str, Any], changes: dict[str, Any], reason: str | None = None) -> None:
    """Record the outcome of one attempt; a final outcome emits its event in the same transaction."""
    final = changes["status"] in ("sent", "failed")

    async def work(tx: Tx) -> None:
        done = await tx.db[DELIVERIES].update_one(
            {"_id": row["_id"], "status": "sending", "lease": row["lease"]},
            {"$set": {**changes, "lease": None}},
            session=tx.session,
        )
        if done.matched_count == 0:
            log.warning("delivery %s: lease lost before its outcome was recorded", row["notification_id"])
            return
        if final:
            await tx.emit(outcome_event(row, reason), row["correlation_id"])

    await rt.store.run(work)


async def deliver(rt: Runtime, transport: Transport, row: dict[str, Any]) -> str:
    now: datetime = rt.clock.now()
    attempts, limit = row["attempts"], rt.settings.send_attempts
    if attempts > limit:  # its sender died on the last attempt
        await settle(rt, row, {"status": "failed", "failed_at": now}, "attempts exhausted")
        return "failed"
    try:
        text, html = filled(row, rt.settings)  # the single-use link goes in only now
        message = Outgoing(
            notification_id=row["notification_id"],
            to=row["to"],
            subject=row["subject"],
            text=text,
            html=html,
            attachments=attachments_of(row),
            urgent=row.get("urgent", False),
        )
        await transport.send(message)
    except Permanent as error:
        reason = str(error)
    except Transient as error:
        reason = str(error)
        if attempts < limit:
            due = now + retry_delay(rt.settings.send_backoff, attempts)
            await settle(rt, row, {"status": "pending", "due_at": due, "last_error": reason})
            log.info("delivery %s: transient failure (attempt %d), retry later", row["notification_id"], attempts)
            return "retry"
        reason = f"attempts exhausted: {reason}"
    except Exception as error:  # a bug in a transport: keep the message, try again later
        log.exception("delivery %s: unexpected error", row["notification_id"])
        due = now + retry_delay(rt.settings.send_backoff, attempts)
        await settle(rt, row, {"status": "pending", "due_at": due, "last_error": type(error).__name__})
        return "retry"
    else:
        await settle(rt, row, {"status": "sent", "sent_at": rt.clock.now(), "last_error": None})
        return "sent"
    await settle(rt, row, {"status": "failed", "failed_at": rt.clock.now(), "last_error": reason}, reason)
    log.warning("delivery %s failed: %s", row["notification_id"], reason)
    return "failed"


def make_sender(transport: Transport) -> Sweep:
    async def send_due(rt: Runtime) -> None:
        """Send what is due, up to a batch per round."""
        for _ in range(rt.settings.send_batch):
            row = await claim(rt)
            if row is None:
                return
            await deliver(rt, transport, row)

    return send_due
