"""Helpers for the learning service's integration tests: refer parents over real JetStream,
read their activation links from the stream, and sign them in."""

from typing import Any
from urllib.parse import parse_qs, urlparse
from uuid import uuid4

import pytest

from learning.config import Settings
from ptfc.events import Envelope, EventData
from ptfc.sealing import unseal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.events import all_handled, participant, publish, referral_created
from ptfc.testing.plugin import EventTap, ParentBearer, eventually


def referral(referral_id: str, pids: list[str], fca_id: str = "fca-1", provider: str = "action-for-children"):
    parents = [participant(p, f"Given-{p}", f"Family-{p}", email=f"{p}@parents.example") for p in pids]
    return referral_created(referral_id, *parents, court="Manchester", fca_id=fca_id, provider=provider)


class Hub:
    def __init__(self, make_settings: Any, nats_url: str, tap: EventTap) -> None:
        self.make_settings = make_settings
        self.nats_url = nats_url
        self.tap = tap

    def settings(self, **overrides: Any) -> Settings:
        return self.make_settings(Settings, hub_url="https://hub.example", **overrides)

    async def publish(self, data: EventData, envelope: Envelope | None = None, msg_id: str | None = None) -> Envelope:
        """Publish as the referrals service would; reuse `envelope` to redeliver the same event."""
        return await publish(self.nats_url, envelope or data, msg_id=msg_id)

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

    async def sign_in(self, client: Any, participant_id: str, nth: int = 1) -> ParentBearer:
        answer = await client.post("/activate", json={"token": await self.token(participant_id, nth)})
        assert answer.status_code == 200, answer.text
        return ParentBearer.of(answer.json())  # learning's token, then signed afresh: tokens live a minute

    async def settled(self) -> bool:
        """Every event the learning service consumes has been handled and acknowledged."""
        return await all_handled(self.nats_url, "learning", ["REFERRALS"])


@pytest.fixture
def hub(make_settings: Any, infra: Any, tap: EventTap) -> Hub:
    return Hub(make_settings, infra.nats_url, tap)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:8]}"
