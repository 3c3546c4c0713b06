"""The sender sweep: `send_concurrency` tasks, each claiming one due delivery at a time and sending
it (a transport keeps a connection per task between sends), until nothing is due.

A claim (`store.claim_due`) marks the row `sending` with a lease token and moves its `due_at` to
the end of the lease, so two replicas never send the same row, and a sender that dies mid-send
leaves a row that becomes claimable again when the lease ends. The outcome (`domain.after_attempt`:
sent, retry later, failed) and its event commit in one transaction, only while the lease holds.

Exactly once has one unavoidable gap: a crash after the mail server accepted a message but
before the outcome committed sends it again when the lease ends. The Message-ID carries
the notification id so a receiving system can spot the repeat."""

import asyncio
import logging
from typing import Any

from notifications import domain, store
from notifications.domain import Attempt
from notifications.links import filled
from notifications.transports import Outgoing, Permanent, Transient, Transport
from ptfc.events import NotificationFailed, NotificationSent
from ptfc.runtime import Runtime, Sweep
from ptfc.store import Tx

log = logging.getLogger("notifications.sweeps")


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


async def settle(rt: Runtime, row: dict[str, Any], attempt: Attempt) -> None:
    """Record the outcome of one attempt; a final outcome emits its event in the same transaction."""

    async def work(tx: Tx) -> None:
        if not await store.record_attempt(tx, row, attempt.changes):
            log.warning("delivery %s: lease lost before its outcome was recorded", row["notification_id"])
            return
        if attempt.final:
            await tx.emit(outcome_event(row, attempt.failed), row["correlation_id"])

    await rt.store.run(work)


async def deliver(rt: Runtime, transport: Transport, row: dict[str, Any]) -> str:
    attempts, limit, backoff = row["attempts"], rt.settings.send_attempts, rt.settings.send_backoff
    if attempts > limit:  # its sender died on the last attempt
        await settle(rt, row, domain.given_up(rt.clock.now()))
        return "failed"
    started = rt.clock.now()
    try:
        text, html = filled(row, rt.settings)  # the single-use link goes in only now (links.py)
        message = Outgoing(
            notification_id=row["notification_id"],
            to=row["to"],
            subject=row["subject"],
            text=text,
            html=html,
            attachments=store.attachments_of(row),
            urgent=row.get("urgent", False),
        )
        await transport.send(message)
    except (Permanent, Transient) as error:
        transient = isinstance(error, Transient)
        attempt = domain.after_attempt(attempts, limit, backoff, rt.clock.now(), str(error), transient)
    except Exception as error:  # a bug in a transport: keep the message, try again later
        log.exception("delivery %s: unexpected error", row["notification_id"])
        attempt = domain.retry_later(attempts, backoff, started, type(error).__name__)
    else:
        attempt = domain.after_attempt(attempts, limit, backoff, rt.clock.now())
    await settle(rt, row, attempt)
    outcome = {"sent": "sent", "failed": "failed"}.get(attempt.changes["status"], "retry")
    if outcome == "retry":
        log.info("delivery %s: failure (attempt %d), retry later", row["notification_id"], attempts)
    elif outcome == "failed":
        log.warning("delivery %s failed: %s", row["notification_id"], attempt.failed)
    return outcome


def make_sender(transport: Transport) -> Sweep:
    async def send_due(rt: Runtime) -> None:
        """Send what is due, up to a batch per round, with up to `send_concurrency` in flight."""
        budget = rt.settings.send_batch

        async def claim() -> dict[str, Any] | None:
            nonlocal budget
            if budget <= 0:
                return None
            budget -= 1
            return await store.claim_due(rt.store.db, rt.clock.now(), rt.settings.send_lease)

        async def sender(row: dict[str, Any] | None = None) -> None:
            row = row or await claim()
            while row is not None:
                await deliver(rt, transport, row)
                row = await claim()

        first = await claim()  # an idle round costs one query, not one per sender task
        if first is None:
            return
        others = [sender() for _ in range(rt.settings.send_concurrency - 1)]
        # Each task stops on its own failure; the others finish what they claimed (no cancel mid-send).
        outcomes = await asyncio.gather(sender(first), *others, return_exceptions=True)
        for outcome in outcomes:
            if isinstance(outcome, Exception):
                raise outcome  # logged by the sweep loop; what is still due is sent next round

    return send_due
