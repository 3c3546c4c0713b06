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
        correlation_id=doc["correlation_id"],
        template=doc["template"],
        recipient_role=doc["recipient_role"],
        language=doc["language"],
        status=doc["status"],
        attempts=doc["attempts"],
        source_event_id=doc["source_event_id"],
        source_type=doc["source_type"],
        created_at=doc["created_at"],
        sent_at=doc.get("sent_at"),
        failed_at=doc.get("failed_at"),
        next_attempt_at=doc["due_at"] if doc["status"] == "pending" else None,
        error=doc.get("last_error"),
        skip_reason=doc.get("skip_reason"),
        resend_of=doc.get("resend_of"),
        message=message,
    )


def webhook_view(doc: dict[str, Any]) -> Webhook:
    return Webhook(
        id=str(doc["_id"]),
        partner=doc["partner"],
        url=doc["url"],
        event_types=doc["event_types"],
        enabled=doc["enabled"],
        created_at=doc["created_at"],
        disabled_at=doc.get("disabled_at"),
        secret_created_at=doc.get("secret_created_at", doc["created_at"]),
        previous_secret_until=doc.get("previous_secret_until"),
    )


def webhook_created(doc: dict[str, Any], secret: str) -> WebhookCreated:
    """The one answer that shows the signing secret: it is kept only sealed."""
    return WebhookCreated(**webhook_view(doc).model_dump(), secret=secret)


def webhook_delivery_view(doc: dict[str, Any]) -> WebhookDelivery:
    return WebhookDelivery(
        id=str(doc["_id"]),
        event_id=doc["event_id"],
        type=doc["type"],
        occurred_at=doc["occurred_at"],
        replay=doc.get("replay"),
        status=doc["status"],
        attempts=doc["attempts"],
        next_attempt_at=doc["due_at"] if doc["status"] == "pending" else None,
        sent_at=doc.get("sent_at"),
        failed_at=doc.get("failed_at"),
        error=doc.get("last_error"),
    )
