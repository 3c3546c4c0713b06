"""The referrals service running in-process against real NATS JetStream and the MongoDB server,
with a clock the tests move, and other services' events injected as they would publish them."""

import copy
from datetime import timedelta
from typing import Any

from ptfc.events import Envelope, owner_of
from ptfc.testing.events import event, publish
from ptfc.testing.kit import ServiceKit, fixtures
from ptfc.testing.plugin import bearer
from ptfc.testing.referrals import ALEX, CHRIS, referral_body
from referrals.app import create_app
from referrals.config import Settings

FCA = bearer("cafcass", "fca-sam")
NOTHING_ASKED = {"interpreter": None, "in_person": False, "support_needs": ""}
POLISH = NOTHING_ASKED | {"interpreter": "Polish"}
# A Manchester court order (Family Action's area) for Alex and Chris Jones, Chris asking for Polish.
REQUEST: dict[str, Any] = referral_body(
    ALEX | {"preferred_language": "en", "adjustments": NOTHING_ASKED, "availability": ["evening", "weekend"]},
    CHRIS | {"family_name": "Jones", "preferred_language": "pl", "adjustments": POLISH, "availability": ["daytime"]},
    court="Manchester Civil Justice Centre",
    region="Greater Manchester",
    children=[{"age": 6}, {"age": 9}],
)
CONTACTS = ("alex@example.org", "07700900001", "chris@example.org", "07700900002")


def referral(**changes: Any) -> dict[str, Any]:
    body = copy.deepcopy(REQUEST)
    body.update(changes)
    return body


class Kit(ServiceKit):
    """Referrals running: the referrals an FCA makes and reads, and other services' events sent to it."""

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
        payload = event(kind, referral_id, participant_id, **data)
        self.clock.advance(timedelta(seconds=1))  # events happen one after another, as in life
        envelope = Envelope.of(payload, correlation_id=referral_id, producer=owner_of(kind), at=self.clock.now())
        # Producers add ids their contract does not list yet: they must not get in the way.
        envelope.data = {"referral_id": referral_id, "participant_id": participant_id, **data, **envelope.data}
        return envelope

    async def publish(self, envelope: Envelope, msg_id: str | None = None) -> None:
        await publish(self.nats_url, envelope, msg_id=msg_id)

    async def send(self, kind: str, referral_id: str, participant_id: str, **data: Any) -> Envelope:
        envelope = self.envelope(kind, referral_id, participant_id, **data)
        await self.publish(envelope)
        return envelope

    async def handled(self, envelope: Envelope) -> bool:
        """True once every consumer of this event type has recorded it in the inbox."""
        return await self.db.inbox.count_documents({"_id": {"$regex": f":{envelope.event_id}$"}}) >= 1


settings, kit = fixtures(Kit, create_app, Settings)
