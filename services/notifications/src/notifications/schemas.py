"""Response bodies of the delivery log. Explicit models, so nothing leaks: operations see ids,
status and times; an FCA also sees the address and the message."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field

from notifications.domain import WEBHOOK_EVENTS
from ptfc.models import DateTime, Request, examples

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


# ---- webhooks ------------------------------------------------------------------------------------

WebhookEvent = Literal[WEBHOOK_EVENTS]  # type: ignore[valid-type]
WebhookStatus = Literal["pending", "sending", "sent", "failed"]


class WebhookIn(Request):
    """A partner's endpoint and the events it wants."""

    partner: Annotated[str, Field(min_length=1, max_length=100, pattern=r"^[a-z0-9][a-z0-9-]*$")]
    url: Annotated[
        str,
        Field(
            min_length=9,
            max_length=2000,
            pattern=r"^https?://[^\s]+$",
            description=(
                "An https:// address with no user or password, whose host resolves to public addresses only "
                "(422 `webhook-url-not-https`, `webhook-url-has-credentials`, `webhook-url-unresolvable`, "
                "`webhook-url-address-not-allowed`); one per partner and address (409 `webhook-already-registered`). "
                "Loopback and http:// to it only where the service allows it, in development and tests."
            ),
        ),
    ]
    event_types: Annotated[list[WebhookEvent], Field(min_length=1, max_length=len(WEBHOOK_EVENTS))]

    model_config = examples(
        {
            "partner": "cafcass-cms",
            "url": "https://cms.cafcass.example/ptfc/webhooks",
            "event_types": ["course.completed", "course.incomplete"],
        }
    )


class ReplayIn(Request):
    since: DateTime = Field(description="Send again every event this endpoint wants that occurred since then.")

    model_config = examples({"since": "2026-11-01T00:00:00Z"})


class Webhook(BaseModel):
    id: str
    partner: str
    url: str
    event_types: list[str]
    enabled: bool
    created_at: datetime
    disabled_at: datetime | None
    secret_created_at: datetime = Field(description="When the current signing secret was made.")
    previous_secret_until: datetime | None = Field(
        description="After a rotation: until then each POST is also signed with the previous secret."
    )


class WebhookCreated(Webhook):
    secret: str = Field(description="The signing secret (`whsec_...`), shown this once: keep it safe.")


class WebhookDelivery(BaseModel):
    id: str
    event_id: str = Field(description="Also the `webhook-id` header: drop a repeat by it.")
    type: str
    occurred_at: datetime
    replay: str | None = Field(description="The replay that asked for it; null for a live event.")
    status: WebhookStatus
    attempts: int
    next_attempt_at: datetime | None
    sent_at: datetime | None
    failed_at: datetime | None
    error: str | None = Field(description="The last failure, e.g. `endpoint answered HTTP 500`.")


class ReplayStarted(BaseModel):
    replay: str
    events: int = Field(description="How many events were queued for the endpoint.")
