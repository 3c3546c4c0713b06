"""Delivery rows → what the delivery log shows, built field by field: operations see ids, status
and times; an FCA also sees the address and the message, with sign-in tokens hidden."""

import re
from typing import Any

from notifications.schemas import Message, Notification, Webhook, WebhookCreated, WebhookDelivery
from ptfc.auth import Caller

# Links in letters carry single-use tokens (activation, sign-in): whoever holds one acts as the
# parent, so the log shows that a link was sent, never the token itself.
TOKEN = re.compile(r"([?&]token=)[^\s&\"'<>]+")
HIDDEN = r"\1[sent only to the recipient]"


def copied(doc: dict[str, Any], stored: str, optional: str = "") -> dict[str, Any]:
    """The named fields of a row, and no others: each of `stored` as kept, each of `optional` or None."""
    return {k: doc[k] for k in stored.split()} | {k: doc.get(k) for k in optional.split()}


LOGGED = "correlation_id template recipient_role language status attempts source_event_id source_type created_at"


def view(doc: dict[str, Any], caller: Caller) -> Notification:
    message = None
    if caller.role != "ops":
        message = Message(
            to=doc["to"],
            subject=doc["subject"],
            text=TOKEN.sub(HIDDEN, doc["text"]),
            attachments=[a["filename"] for a in doc.get("attachments", [])],
        )
    return Notification(
        id=doc["notification_id"],
        **copied(doc, LOGGED, "sent_at failed_at skip_reason resend_of"),
        next_attempt_at=doc["due_at"] if doc["status"] == "pending" else None,
        error=doc.get("last_error"),
        message=message,
    )


def webhook_view(doc: dict[str, Any]) -> Webhook:
    return Webhook(
        id=str(doc["_id"]),
        **copied(doc, "partner url event_types enabled created_at", "disabled_at previous_secret_until"),
        secret_created_at=doc.get("secret_created_at", doc["created_at"]),
    )


def webhook_created(doc: dict[str, Any], secret: str) -> WebhookCreated:
    """The one answer that shows the signing secret: it is kept only sealed."""
    return WebhookCreated(**webhook_view(doc).model_dump(), secret=secret)


def webhook_delivery_view(doc: dict[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=str(doc["_id"]),
        **copied(doc, "event_id type occurred_at status attempts", "replay sent_at failed_at"),
        next_attempt_at=doc["due_at"] if doc["status"] == "pending" else None,
        error=doc.get("last_error"),
    )
