"""Helpers for the workshops service's integration tests: refer parents and complete their
e-learning over real JetStream (as referrals and learning publish), sessions, tokens, and a
clock the test can move forward to the day of the workshop."""

from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import uuid4

import nats
import pytest

from ptfc.clock import MovingClock
from ptfc.events import (
    Envelope,
    EventData,
    LearningCompleted,
    ParticipantContact,
)
from ptfc.testing.events import referral_created
from ptfc.testing.plugin import EventTap, bearer, eventually
from workshops import domain
from workshops.config import Settings

PROVIDER = "action-for-children"
STAFF = bearer("provider", "staff-1", PROVIDER)
ANN = bearer("facilitator", "fac-ann", PROVIDER)


def parent(pid: str, **kw: Any) -> ParticipantContact:
    return ParticipantContact(
        participant_id=pid,
        given_name=f"Given-{pid}",
        family_name=f"Family-{pid}",
        email=f"{pid}@parents.example",
        phone="07700900123",
        **kw,
    )


def day_at(days: int, hour: int, weekday: int | None = None) -> datetime:
    """A day `days` ahead (moved on to `weekday` if given) at `hour` UTC."""
    day = (datetime.now(UTC) + timedelta(days=days)).replace(hour=hour, minute=0, second=0, microsecond=0)
    while weekday is not None and day.weekday() != weekday:
        day += timedelta(days=1)
    return day


def session_body(start: datetime | None = None, **kw: Any) -> dict:
    start = start or day_at(10, 10, weekday=1)
    half, gap = timedelta(minutes=75), timedelta(minutes=15)
    parts = [(start, start + half), (start + half + gap, start + 2 * half + gap)]
    body = {
        "format": "online",
        "video_link": "https://video.example/abc",
        "pattern": "daytime",
        "parts": [{"starts_at": s.isoformat(), "ends_at": e.isoformat()} for s, e in parts],
        "capacity": 6,
        "language": "en",
        "interpreters": [],
        "facilitators": ["fac-ann"],
    }
    return body | kw


class Bus:
    def __init__(self, make_settings: Any, nats_url: str, tap: EventTap) -> None:
        self.make_settings = make_settings
        self.nats_url = nats_url
        self.tap = tap
        self.clock = MovingClock()
        self.co_parents: dict[str, set[str]] = {}  # as referred: who is whose co-parent

    def settings(self, **overrides: Any) -> Settings:
        return self.make_settings(Settings, **overrides)

    STAFF, ANN = STAFF, ANN
    parent = staticmethod(parent)
    session_body = staticmethod(session_body)
    day_at = staticmethod(day_at)

    @staticmethod
    def me(pid: str) -> dict[str, str]:
        return bearer("parent", pid)

    async def publish(self, data: EventData, producer: str) -> Envelope:
        envelope = Envelope.of(data, correlation_id=data.referral_id, producer=producer)
        nc = await nats.connect(self.nats_url)
        try:
            await nc.jetstream().publish(
                envelope.type, envelope.model_dump_json().encode(), headers={"Nats-Msg-Id": str(envelope.event_id)}
            )
        finally:
            await nc.close()
        return envelope

    def eligible(self, session_id: str, pid: str) -> bool:
        """Whether the session is in `pid`'s half (a parent with a co-parent has half of them)."""
        key = self.settings().co_parent_split_key
        return domain.eligible(session_id, pid, self.co_parents.get(pid, set()), key)

    async def session_for(self, client: Any, pid: str, start: datetime | None = None, **kw: Any) -> str:
        """A new session in `pid`'s half. Those made on the way (in the co-parent's half) are
        cancelled, so nobody is offered them: call it while nobody waits for a seat."""
        while True:
            created = await client.post("/sessions", json=session_body(start, **kw), headers=STAFF)
            assert created.status_code == 201, created.text
            if self.eligible(sid := created.json()["id"], pid):
                return sid
            assert (await client.post(f"/sessions/{sid}/cancel", headers=STAFF)).status_code == 200

    async def refer(self, referral_id: str, *parents: ParticipantContact, provider: str = PROVIDER) -> None:
        for p in parents:
            self.co_parents[p.participant_id] = {o.participant_id for o in parents} - {p.participant_id}
        await self.publish(
            referral_created(referral_id, *parents, provider=provider),  # sealed as referrals seals them
            "referrals",
        )

    async def learned(self, referral_id: str, *pids: str) -> None:
        for pid in pids:
            done = LearningCompleted(
                referral_id=referral_id, participant_id=pid, enrolment_id=f"e-{pid}", completed_at=datetime.now(UTC)
            )
            await self.publish(done, "learning")

    async def ready(self, app: Any, *pids: str) -> None:
        """Wait until workshops knows these parents (their referral.created, handled by another
        consumer than the e-learning's completion, in either order) and that they finished the e-learning."""
        parents = app.state.rt.store.db["parents"]

        async def known() -> bool:
            query = {
                "_id": {"$in": list(pids)},
                "learning_completed_at": {"$ne": None},
                "referral_id": {"$exists": True},
            }
            return await parents.count_documents(query) == len(pids)

        await eventually(known, timeout=20)

    async def bookable(
        self, app: Any, referral_id: str, *parents: ParticipantContact, provider: str = PROVIDER
    ) -> None:
        """Refer these parents, complete their e-learning, and wait until workshops has both: each
        may now book a workshop."""
        await self.refer(referral_id, *parents, provider=provider)
        await self.learned(referral_id, *[p.participant_id for p in parents])
        await self.ready(app, *[p.participant_id for p in parents])

    def weekend_start(self) -> datetime:
        """10:00 on the first Saturday a week or more ahead on the test's clock."""
        day = self.clock.now() + timedelta(days=7)
        while day.weekday() != 5:
            day += timedelta(days=1)
        return day.replace(hour=10, minute=0, second=0, microsecond=0)

    async def join_weekend_waitlist(self, client: Any, pid: str) -> None:
        """The parent joins the waiting list for an online weekend workshop."""
        wish = {"patterns": ["weekend"], "formats": ["online"]}
        joined = await client.post("/me/waitlist", json=wish, headers=self.me(pid))
        assert joined.status_code == 201, joined.text

    async def events(self, event_type: str, participant_id: str | None = None) -> list[Envelope]:
        found = await self.tap.of(event_type)
        return [e for e in found if participant_id is None or e.data.get("participant_id") == participant_id]


@pytest.fixture
def bus(make_settings: Any, infra: Any, tap: EventTap) -> Bus:
    return Bus(make_settings, infra.nats_url, tap)


def new_id(prefix: str) -> str:
    return f"{prefix}-{uuid4().hex[:8]}"


def me(pid: str) -> dict[str, str]:
    return bearer("parent", pid)
