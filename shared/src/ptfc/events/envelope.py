"""The envelope every event travels in, the `data` base class of every event type, the registry
of types (`EVENTS`, filled as each `EventData` subclass with a `TYPE` is defined) and which
service's stream holds which subjects (`STREAMS`)."""

from datetime import UTC, datetime
from typing import Any, ClassVar
from uuid import UUID, uuid4

from pydantic import BaseModel, ConfigDict, Field


class NotYetKnown(LookupError):
    """A handler met an event about something whose own event has not been handled here yet: events
    of different subjects arrive in any order (an `account.activation_issued` may come before the
    `referral.created` it follows). Retried soon and patiently (ptfc.consumer), not as a failure."""


class EventData(BaseModel):
    """The `data` of one event type. Unknown fields are ignored, so producers may add fields."""

    model_config = ConfigDict(extra="ignore", frozen=True)
    TYPE: ClassVar[str]
    VERSION: ClassVar[int] = 1

    @classmethod
    def __pydantic_init_subclass__(cls, **kwargs: Any) -> None:
        super().__pydantic_init_subclass__(**kwargs)
        if "TYPE" in cls.__dict__:  # an event type, not a base such as LearningEvent
            EVENTS[cls.TYPE] = cls


class Envelope(BaseModel):
    model_config = ConfigDict(extra="ignore")

    event_id: UUID = Field(default_factory=uuid4)
    type: str
    version: int = 1
    occurred_at: datetime
    correlation_id: str
    producer: str
    data: dict[str, Any]

    @classmethod
    def of(cls, data: EventData, *, correlation_id: str, producer: str, at: datetime | None = None) -> "Envelope":
        return cls(
            type=data.TYPE,
            version=data.VERSION,
            occurred_at=at or datetime.now(UTC),
            correlation_id=correlation_id,
            producer=producer,
            data=data.model_dump(mode="json"),
        )

    def payload(self) -> EventData:
        """The typed `data`; raises `pydantic.ValidationError` if it breaks its contract."""
        return EVENTS[self.type].model_validate(self.data)


# Every event type and its model; complete once ptfc.events (its __init__) has imported every topic.
EVENTS: dict[str, type[EventData]] = {}

# Which service owns (declares and publishes to) which stream, and the subjects in it.
STREAMS: dict[str, tuple[str, list[str]]] = {
    "referrals": ("REFERRALS", ["referral.>", "course.>"]),
    "learning": ("LEARNING", ["account.>", "module.>", "learning.>"]),
    "workshops": ("WORKSHOPS", ["workshop.>", "followup.>", "safeguarding.>"]),
    "plans": ("PLANS", ["plan.>"]),
    "notifications": ("NOTIFICATIONS", ["notification.>"]),
}


def owner_of(event_type: str) -> str:
    """The service that alone may publish `event_type` (the owner of its stream)."""
    prefix = event_type.split(".", 1)[0]
    for owner, (_, subjects) in STREAMS.items():
        if f"{prefix}.>" in subjects:
            return owner
    raise KeyError(f"no stream holds {event_type}")


def stream_for(event_type: str) -> str:
    """The stream that holds `event_type`: its owner's."""
    return STREAMS[owner_of(event_type)][0]
