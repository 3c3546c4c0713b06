"""What the delivery log shows. Built field by field from explicit models, so nothing leaks:
operations see ids, status and times; an FCA also sees the address and the message."""

import re
from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, Field

from ptfc.auth import Caller

# Links in letters carry single-use tokens (activation, sign-in): whoever holds one acts as the
# parent, so the log shows that a link was sent, never the token itself.
TOKEN = re.compile(r"([?&]token=)[^\s&\"'<>]+")
HIDDEN = r"\1[sent only to the recipient]"

Status = Literal["pending", "sending", "sent", "failed", "skipped"]


class Message(BaseModel):
    to: str
    subject: str
    text: str
    attachments: list[str] = Field(description="file names")


class Notification(BaseModel):
    id: str
    correlation_id: str
    template: str
    recipient_role: str
    language: str
    status: Status
    attempts: int
    source_event_id: str
    source_type: str
    created_at: datetime
    sent_at: datetime | None
    failed_at: datetime | None
    next_attempt_at: datetime | None = Field(description="when a pending message is tried again")
    error: str | None = Field(description="the last failure, with the address removed")
    skip_reason: str | None
    resend_of: str | None
    message: Message | None = Field(None, description="absent for operations, who see no personal data")


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
