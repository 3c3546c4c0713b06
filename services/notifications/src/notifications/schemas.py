"""Response bodies of the delivery log. Explicit models, so nothing leaks: operations see ids,
status and times; an FCA also sees the address and the message."""

from datetime import datetime
from typing import Literal

from pydantic import BaseModel, Field

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
