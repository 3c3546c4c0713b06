"""The sender sweep: claims up to `send_concurrency` due deliveries at once, sends them together
(the SMTP transport keeps a connection for each concurrent send between rounds), until nothing is due.

A round's outcomes are recorded together, in one transaction, once its sends are done; a slow send
holds up the others' records for at most `SETTLE_WINDOW`, when those done so far are recorded. One
commit per round, and a crash repeats at most the sends of one round that were not yet recorded.

A claim (`claims.claim_due_many`) marks each row `sending` with a lease token and moves its `due_at` to
the end of the lease, so two replicas never send the same row, and a sender that dies mid-send
leaves a row that becomes claimable again when the lease ends. The outcome (`domain.after_attempt`:
sent, retry later, failed) and its event commit in one transaction, only while the lease holds.

Exactly once has one unavoidable gap: a crash after the mail server accepted a message but
before the outcome committed sends it again when the lease ends. The Message-ID carries
the notification id so a receiving system can spot the repeat."""

import asyncio
import logging
from contextlib import suppress
from datetime import datetime
from typing import Any

from notifications import claims, domain, store
from notifications.domain import Attempt
from notifications.links import filled
from notifications.transports import Outgoing, Permanent, Transient, Transport, WebhookPoster
from ptfc.events import NotificationFailed, NotificationSent
from ptfc.runtime import Runtime, Sweep
from ptfc.sealing import unseal
from ptfc.store import Tx

log = logging.getLogger("notifications.sweeps")

SETTLE_WINDOW = 0.5  # seconds a finished send's outcome may wait for the rest of its round
SHUTDOWN_RECORD = 5.0  # seconds a shutdown waits to record the letters already sent


def outcome_event(row: dict[str, Any], reason: str | None) -> NotificationSent | NotificationFailed:
    ids = {
        "notification_id": row["notification_id"],
        "template": row["template"],
        "recipient_role": row["recipient_role"],
        "source_event_id": row["source_event_id"],
        "referral_id": row.get("referral_id"),
        "participant_id": row.get("participant_id"),
    }
    if reason is None:
        return NotificationSent(**ids)
    return NotificationFailed(**ids, reason=domain.failure_summary(reason))  # partners read it: no server words


Settled = tuple[dict[str, Any], Attempt]  # a claimed row and the outcome of its attempt


async def settle(rt: Runtime, outcomes: list[Settled]) -> None:
    """Record the outcomes of attempts that finished together in one transaction (one commit, not
    one each); a final outcome emits its event in it. A row whose lease ran out is left to its new sender."""

    async def work(tx: Tx) -> None:
        recorded = await claims.record_attempts(tx, [(row, attempt.changes) for row, attempt in outcomes])
        for (row, attempt), held in zip(outcomes, recorded, strict=True):
            if not held:
                log.warning("delivery %s: lease lost before its outcome was recorded", row["notification_id"])
            elif attempt.final:
                await tx.emit(outcome_event(row, attempt.failed), row["correlation_id"])

    await rt.store.run(work)
    for row, attempt in outcomes:
        told(row, attempt)


async def attempt(rt: Runtime, transport: Transport, row: dict[str, Any]) -> Attempt:
    """Send one claimed row; its outcome, not yet recorded."""
    attempts, limit, backoff = row["attempts"], rt.settings.send_attempts, rt.settings.send_backoff
    if attempts > limit:  # its sender died on the last attempt
        return domain.given_up(rt.clock.now())
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
        return domain.after_attempt(attempts, limit, backoff, rt.clock.now(), str(error), transient)
    except Exception as error:  # a bug in a transport: keep the message, try again later
        log.exception("delivery %s: unexpected error", row["notification_id"])
        return domain.retry_later(attempts, backoff, started, type(error).__name__)
    return domain.after_attempt(attempts, limit, backoff, rt.clock.now())


def told(row: dict[str, Any], attempt: Attempt) -> None:
    status = attempt.changes["status"]
    if status == "failed":
        log.warning("delivery %s failed: %s", row["notification_id"], attempt.failed)
    elif status != "sent":
        log.info("delivery %s: failure (attempt %d), retry later", row["notification_id"], row["attempts"])


async def send_round(rt: Runtime, transport: Transport, rows: list[dict[str, Any]]) -> None:
    """Send claimed rows at once and record their outcomes: together when all are done, or every
    `SETTLE_WINDOW` those done by then. A row whose send or record failed is sent again when its
    lease ends; the first such failure is raised once the round is over (the sweep loop logs it).
    Stopped (a shutdown), it still records the letters already sent, or they would go again."""
    sending = {asyncio.create_task(attempt(rt, transport, row)): row for row in rows}
    unrecorded: list[Settled] = []
    failed: BaseException | None = None
    try:
        while sending:
            done, _ = await asyncio.wait(sending, timeout=SETTLE_WINDOW)
            for task in [t for t in sending if t in done]:  # in claim order
                row = sending.pop(task)
                if task.exception() is None:
                    unrecorded.append((row, task.result()))
                else:
                    failed = failed or task.exception()
            if unrecorded:
                try:
                    await settle(rt, unrecorded)
                except Exception as error:  # the store is away: the sends still in flight finish first
                    failed = failed or error
                unrecorded = []
    except asyncio.CancelledError:
        unrecorded += [
            (r, t.result()) for t, r in sending.items() if t.done() and not t.cancelled() and not t.exception()
        ]
        if unrecorded:  # a second record of one that did commit changes nothing (its lease is spent)
            with suppress(Exception):
                async with asyncio.timeout(SHUTDOWN_RECORD):
                    await asyncio.shield(settle(rt, unrecorded))
        raise
    finally:
        for task in sending:  # still sending at a shutdown: those rows go again when their lease ends
            task.cancel()
    if failed is not None:
        raise failed


def make_sender(transport: Transport) -> Sweep:
    async def send_due(rt: Runtime) -> None:
        """Send what is due, up to `send_batch` per round: `send_concurrency` rows claimed together,
        sent at once, their outcomes recorded together; then the next rows."""
        budget = rt.settings.send_batch
        while budget > 0:
            now, lease = rt.clock.now(), rt.settings.send_lease
            rows = await claims.claim_due_many(rt.store, now, lease, min(rt.settings.send_concurrency, budget))
            if not rows:
                return
            budget -= len(rows)
            await send_round(rt, transport, rows)

    return send_due


# ---- webhooks ------------------------------------------------------------------------------------


def secrets_of(rt: Runtime, endpoint: dict[str, Any], now: datetime) -> list[str]:
    return [unseal(rt.settings.webhook_seal_key, s) for s in domain.signing_secrets(endpoint, now)]


async def post_webhook(rt: Runtime, poster: WebhookPoster, row: dict[str, Any]) -> str:
    """One signed POST of one event to one endpoint (Standard Webhooks), and its outcome recorded
    while the lease holds. At least once: a crash after the endpoint took it posts it again, with
    the same `webhook-id` (the event id) for the partner to drop the repeat."""
    attempts, limit, backoff = row["attempts"], rt.settings.webhook_attempts, rt.settings.webhook_backoff
    endpoint, event = await store.endpoint_and_event(rt.store.db, row)
    now = rt.clock.now()
    if attempts > limit:  # its sender died on the last attempt
        attempt = domain.given_up(now)
    elif endpoint is None or not endpoint["enabled"] or event is None:
        why = "the event expired before it was sent" if event is None else "endpoint disabled"
        attempt = domain.not_sent(now, why)
    else:
        body = event["body"].encode()
        timestamp = int(now.timestamp())
        headers = {
            "webhook-id": event["_id"],
            "webhook-timestamp": str(timestamp),
            "webhook-signature": domain.sign_webhook_with(secrets_of(rt, endpoint, now), event["_id"], timestamp, body),
        }
        try:
            await poster.post(endpoint["url"], body, headers)
        except Transient as error:
            attempt = domain.after_attempt(attempts, limit, backoff, rt.clock.now(), str(error), transient=True)
        else:
            attempt = domain.after_attempt(attempts, limit, backoff, rt.clock.now())

    async def work(tx: Tx) -> None:
        if not (await claims.record_attempts(tx, [(row, attempt.changes)], store.WEBHOOK_DELIVERIES))[0]:
            log.warning("webhook %s: lease lost before its outcome was recorded", row["_id"])

    await rt.store.run(work)
    if attempt.failed:
        log.warning("webhook %s to endpoint %s failed: %s", row["event_id"], row["endpoint_id"], attempt.failed)
    return attempt.changes["status"]


def make_webhook_sender(poster: WebhookPoster) -> Sweep:
    async def post_due_webhooks(rt: Runtime) -> None:
        """POST what is due to partners' endpoints, up to a batch per round."""
        for _ in range(rt.settings.send_batch):
            row = await claims.claim_due(
                rt.store.db, rt.clock.now(), rt.settings.webhook_lease, store.WEBHOOK_DELIVERIES
            )
            if row is None:
                return
            await post_webhook(rt, poster, row)

    return post_due_webhooks
