"""Helpers for the learning service's integration tests: refer parents over real JetStream,
read their activation links from the stream, and sign them in."""

from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import uuid4

import nats
import pytest

from learning.config import Settings
from ptfc.events import (
    Envelope,
    EventData,
    ParticipantContact,
    Professional,
    ReferralCreated,
    ReferralKeys,
    seal_participants,
)
from ptfc.sealing import unseal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.plugin import EventTap, eventually


def contact(pid: str, language: str = "en") -> ParticipantContact:
    return ParticipantContact(
        participant_id=pid,
        given_name=f"Given-{pid}",
        family_name=f"Family-{pid}",
        email=f"{pid}@parents.example",
        phone="07700900123",
        preferred_language=language,
    )


def referral(referral_id: str, pids: list[str], fca_id: str = "fca-1", provider: str = "action-for-children"):
    return ReferralCreated(
        referral_id=referral_id,
        case_number="MA24P00123",
        court="Manchester",
        source="court_order",
        stage="first_hearing",
        region="greater-manchester",
        provider=provider,
        fca_id=fca_id,
        fca=Professional(name="Fiona Adviser", email="fiona@cafcass.example"),
        participants=seal_participants([contact(p) for p in pids], ReferralKeys.development()),
    )


class Hub:
    def __init__(self, make_settings: Any, nats_url: str, tap: EventTap) -> None:
        self.make_settings = make_settings
        self.nats_url = nats_url
        self.tap = tap

    def settings(self, **overrides: Any) -> Settings:
        return self.make_settings(Settings, hub_url="https://hub.example", **overrides)

    async def publish(self, data: EventData, envelope: Envelope | None = None, msg_id: str | None = None) -> Envelope:
        """Publish as the referrals service would; reuse `envelope` to redeliver the same event."""
        envelope = envelope or Envelope.of(data, correlation_id=data.referral_id, producer="referrals")
        nc = await nats.connect(self.nats_url)
        try:
            await nc.jetstream().publish(
                envelope.type,
                envelope.model_dump_json().encode(),
                headers={"Nats-Msg-Id": msg_id or str(envelope.event_id)},
            )
        finally:
            await nc.close()
        return envelope

    referral = staticmethod(referral)

    async def refer(self, referral_id: str, *pids: str, **kw: Any) -> Envelope:
        return await self.publish(referral(referral_id, list(pids), **kw))

    async def events(self, event_type: str, participant_id: str | None = None) -> list[Envelope]:
        found = await self.tap.of(event_type)
        return [e for e in found if participant_id is None or e.data["participant_id"] == participant_id]

    async def wait(self, event_type: str, participant_id: str, count: int = 1, timeout: float = 15) -> list[Envelope]:  # noqa: ASYNC109
        async def enough() -> list[Envelope]:
            found = await self.events(event_type, participant_id)
            return found if len(found) >= count else []

        return await eventually(enough, timeout)

    async def token(self, participant_id: str, nth: int = 1) -> str:
        """The token in the `nth` activation link sent to this parent (1 = the welcome letter)."""
        links = await self.wait("account.activation_issued", participant_id, count=nth)
        url = unseal(DEV_LINK_SEAL_KEY, links[nth - 1].data["sealed_activation_url"])
        assert url.startswith("https://hub.example/activate?token=")
        return parse_qs(urlparse(url).query)["token"][0]

    async def sign_in(self, client: Any, participant_id: str, nth: int = 1) -> dict[str, str]:
        answer = await client.post("/activate", json={"token": await self.token(participant_id, nth)})
        assert answer.status_code == 200, answer.text
        return {"Authorization": f"Bearer {answer.json()['access_token']}"}

    async def settled(self) -> bool:
        """Every event the learning service consumes has been handled and acknowledged."""
        nc = await nats.connect(self.nats_url)
        try:
            infos = await nc.jetstream().consumers_info("REFERRALS")
            mine = [i for i in infos if i.name.startswith("learning-")]
            return bool(mine) and all(i.num_pending == 0 and i.num_ack_pending == 0 for i in mine)
        finally:
            await nc.close()


@pytest.fixture
def hub(make_settings: Any, infra: Any, tap: EventTap) -> Hub:
    return Hub(make_settings, infra.nats_url, tap)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:8]}"
