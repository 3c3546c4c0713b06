"""The referrals service running in-process against real NATS JetStream and the MongoDB server,
with a clock the tests move, and other services' events injected as they would publish them."""

import copy
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import nats
import pytest

from ptfc.clock import FakeClock
from ptfc.events import EVENTS, Envelope, owner_of
from ptfc.testing.plugin import bearer, running
from referrals.app import create_app
from referrals.config import Settings

FCA = bearer("cafcass", "fca-sam")
REQUEST: dict[str, Any] = {
    "case_number": "MA24P00123",
    "court": "Manchester Civil Justice Centre",
    "source": "court_order",
    "stage": "first_hearing",
    "court_declined": False,
    "safeguarding_concerns": False,
    "region": "Greater Manchester",
    "fca": {"name": "Sam Patel", "email": "sam.patel@cafcass.example"},
    "parents": [
        {
            "given_name": "Alex",
            "family_name": "Jones",
            "email": "alex@example.org",
            "phone": "07700900001",
            "preferred_language": "en",
            "gender": "female",
            "adjustments": {"interpreter": None, "in_person": False, "support_needs": ""},
            "availability": ["evening", "weekend"],
        },
        {
            "given_name": "Chris",
            "family_name": "Jones",
            "email": "chris@example.org",
            "phone": "07700900002",
            "preferred_language": "pl",
            "gender": "male",
            "adjustments": {"interpreter": "Polish", "in_person": False, "support_needs": ""},
            "availability": ["daytime"],
        },
    ],
    "children": [{"age": 6}, {"age": 9}],
}
CONTACTS = ("alex@example.org", "07700900001", "chris@example.org", "07700900002")


def referral(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(REQUEST)
    body.update(changes)
    return body


# Each event type's required fields besides the ids, as its producer fills them.
DEFAULTS: dict[str, dict[str, Any]] = {
    "account.activation_issued": {"sealed_activation_url": "sealed", "expires_at": "2026-01-08T09:00:00Z"},
    "module.completed": {"module": 1, "modules_completed": 1},
    "learning.completed": {"completed_at": "2026-01-10T10:00:00Z"},
    "learning.deadline_missed": {"deadline": "2026-01-15T09:00:00Z", "modules_completed": 0},
    "learning.extended": {"deadline": "2026-01-20T09:00:00Z", "days": 5, "reason": "illness"},
    "workshop.booked": {"parts": [], "mode": "online"},
    "workshop.cancelled": {"reason": "referral_withdrawn"},
    "workshop.attended": {"attended_at": "2026-01-20T12:30:00Z"},
    "workshop.missed": {"misses": 1, "rebooking_offered": True},
    "notification.sent": {"notification_id": "n1", "template": "court_outcome", "recipient_role": "court"},
}
IDS = {"account": "enrolment_id", "module": "enrolment_id", "learning": "enrolment_id", "workshop": "booking_id"}


class Kit:
    def __init__(self, app: Any, client: httpx.AsyncClient, nats_url: str, clock: FakeClock) -> None:
        self.app, self.client, self.nats_url, self.clock = app, client, nats_url, clock
        self.db = app.state.rt.store.db

    async def refer(self, body: dict | None = None, headers: dict | None = None, key: str | None = None):
        extra = {"Idempotency-Key": key} if key else {}
        return await self.client.post("/referrals", json=body or REQUEST, headers={**(headers or FCA), **extra})

    async def referred(self, body: dict | None = None) -> tuple[str, list[str]]:
        answer = await self.refer(body)
        assert answer.status_code == 201, answer.text
        return answer.json()["id"], [p["participant_id"] for p in answer.json()["participants"]]

    async def view(self, referral_id: str, headers: dict | None = None) -> dict:
        answer = await self.client.get(f"/referrals/{referral_id}", headers=headers or FCA)
        assert answer.status_code == 200, answer.text
        return answer.json()

    async def parent(self, referral_id: str, participant_id: str) -> dict:
        view = await self.view(referral_id)
        return next(p for p in view["participants"] if p["participant_id"] == participant_id)

    def envelope(self, kind: str, referral_id: str, participant_id: str, **data: Any) -> Envelope:
        prefix = kind.split(".")[0]
        fields = {"referral_id": referral_id, "participant_id": participant_id, **DEFAULTS.get(kind, {}), **data}
        if prefix in IDS:
            fields.setdefault(IDS[prefix], "x1")
        if prefix == "workshop":
            fields.setdefault("session_id", "s1")
        if kind == "account.activation_issued":
            fields.setdefault("deadline", "2026-01-15T09:00:00Z")
        if kind == "notification.sent":
            fields.setdefault("source_event_id", "e1")
        payload = EVENTS[kind].model_validate(fields)
        self.clock.advance(timedelta(seconds=1))  # events happen one after another, as in life
        envelope = Envelope.of(payload, correlation_id=referral_id, producer=owner_of(kind), at=self.clock.now())
        envelope.data = {**fields, **envelope.data}  # producers add ids their contract does not list yet
        return envelope

    async def publish(self, envelope: Envelope, msg_id: str | None = None) -> None:
        nc = await nats.connect(self.nats_url)
        try:
            body = envelope.model_dump_json().encode()
            await nc.jetstream().publish(envelope.type, body, headers={"Nats-Msg-Id": msg_id or str(envelope.event_id)})
        finally:
            await nc.close()

    async def send(self, kind: str, referral_id: str, participant_id: str, **data: Any) -> Envelope:
        envelope = self.envelope(kind, referral_id, participant_id, **data)
        await self.publish(envelope)
        return envelope

    async def handled(self, envelope: Envelope) -> bool:
        """True once every consumer of this event type has recorded it in the inbox."""
        return await self.db.inbox.count_documents({"_id": {"$regex": f":{envelope.event_id}$"}}) >= 1


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock(datetime.now(UTC).replace(microsecond=0))


@pytest.fixture
def settings(make_settings) -> Settings:
    return make_settings(Settings)


@pytest.fixture
async def kit(settings, infra, clock):
    app = create_app(settings, clock)
    async with running(app) as client:
        yield Kit(app, client, infra.nats_url, clock)
