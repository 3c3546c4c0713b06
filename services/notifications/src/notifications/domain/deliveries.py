"""What a delivery row holds, what happens after each attempt to send it, and when a message may
be sent again. No I/O."""

import re
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from notifications.domain.records import URGENT, Planned, rank
from ptfc.refusals import Refused


def retry_delay(backoff: timedelta, attempts: int) -> timedelta:
    """Wait before the next try after `attempts` tries: backoff, twice that, four times… capped at a day."""
    return min(backoff * 2 ** max(attempts - 1, 0), timedelta(days=1))


@dataclass(frozen=True)
class Source:
    """The event a message is planned from, and the referral whose FCA may read the log."""

    event_id: str
    type: str
    correlation_id: str
    fca_id: str | None
    referral_id: str | None


def delivery(planned: Planned, source: Source, row_id: Any, rendered: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The delivery row of one planned message, rendered once so a resend is the same message.
    `rendered` holds its subject, text, html and stored attachments."""
    return {
        "_id": row_id,
        "key": planned.key(source.event_id),
        "notification_id": str(row_id),
        "correlation_id": source.correlation_id,
        "referral_id": source.referral_id,
        "participant_id": planned.subject_id if planned.role != "invitee" else None,
        "fca_id": source.fca_id,  # which FCA may read this log
        "source_event_id": source.event_id,
        "source_type": source.type,
        "template": planned.template,
        "recipient_role": planned.role,
        "to": planned.to,
        "language": planned.language,
        **rendered,
        "urgent": planned.template in URGENT,
        "rank": rank(planned.template, planned.role),
        **_not_tried(now),
        "status": "skipped" if planned.skip_reason else "pending",
        "skip_reason": planned.skip_reason,
        "resend_of": None,
    }


def _not_tried(now: datetime) -> dict[str, Any]:
    """A row due now that no sender has tried yet."""
    status = {"status": "pending", "skip_reason": None, "attempts": 0, "due_at": now, "created_at": now}
    return status | {"sent_at": None, "failed_at": None, "last_error": None}


def resend(original: dict[str, Any], row_id: Any, by: str, now: datetime) -> dict[str, Any]:
    """The same message again, to the same recipient, as a new notification: only once the
    original was sent or failed (a pending one is still going to be tried)."""
    if original["status"] not in ("sent", "failed"):
        raise Refused(
            "not-finished",
            f"This notification is {original['status']}; only a sent or failed one can be resent.",
        )
    return {
        **{k: v for k, v in original.items() if k not in ("_id", "lease")},
        "_id": row_id,
        "notification_id": str(row_id),
        "key": f"resend:{original['notification_id']}:{row_id}",
        **_not_tried(now),
        "resend_of": original["notification_id"],
        "resent_by": by,
    }


@dataclass(frozen=True)
class Attempt:
    """What to record after one try to send: the row's changes, and the reason if it finally failed."""

    changes: dict[str, Any]
    failed: str | None = None

    @property
    def final(self) -> bool:
        return self.changes["status"] in ("sent", "failed")


def after_attempt(
    attempts: int, limit: int, backoff: timedelta, now: datetime, error: str | None = None, transient: bool = False
) -> Attempt:
    """Sent; or a transient failure with attempts left, tried again later; or failed for good."""
    if error is None:
        return Attempt({"status": "sent", "sent_at": now, "last_error": None})
    if transient and attempts < limit:
        return retry_later(attempts, backoff, now, error)
    reason = f"attempts exhausted: {error}" if transient else error
    return Attempt({"status": "failed", "failed_at": now, "last_error": reason}, reason)


FAILURE_STATUS = re.compile(r"\b(smtp|notify)\s+([2-5][0-9]{2})\b")
FIXED_FAILURES = {"attempts exhausted", "endpoint disabled", "the event expired before it was sent"}


def failure_summary(error: str) -> str:
    """What partners read of a failure (`notification.failed`'s `reason`): a fixed vocabulary (the
    transport and its status code, `smtp no answer`, `delivery error`), never a server's own words,
    which may echo the recipient however well the delivery log's copy is scrubbed (issue 24, finding 10)."""
    if error in FIXED_FAILURES:
        return error
    exhausted = error.startswith("attempts exhausted")
    if found := FAILURE_STATUS.search(error):
        what = f"{found[1]} {found[2]}"
    elif (transport := error.removeprefix("attempts exhausted: ").split(" ", 1)[0]) in ("smtp", "notify"):
        what = f"{transport} no answer"  # refused or dropped connections, timeouts
    else:
        what = "delivery error"
    return f"attempts exhausted: {what}" if exhausted else what


def retry_later(attempts: int, backoff: timedelta, now: datetime, error: str) -> Attempt:
    """Kept pending, tried again after a growing delay (also after an unexpected error in a transport)."""
    return Attempt({"status": "pending", "due_at": now + retry_delay(backoff, attempts), "last_error": error})


def not_sent(now: datetime, why: str) -> Attempt:
    """Failed without a try: nothing (no endpoint, no event) left to send it to or with."""
    return Attempt({"status": "failed", "failed_at": now, "last_error": why}, why)


def given_up(now: datetime) -> Attempt:
    """A row claimed past its last attempt: its sender died on that one."""
    return Attempt({"status": "failed", "failed_at": now}, "attempts exhausted")
