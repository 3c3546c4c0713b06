"""The notifications service in-process against real NATS JetStream, the MongoDB server and a
real SMTP server (aiosmtpd) on a free port, which can be told to refuse before it accepts."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import nats
import pytest

from notifications.config import Settings
from ptfc.events import (
    Envelope,
    EventData,
    ParticipantContact,
    Professional,
    ReferralCreated,
    ReferralKeys,
    owner_of,
    seal_participants,
)
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import EventTap, eventually

PROVIDER_INBOX = "intake@afc.example"
COURT_EMAIL = "family.manchester@justice.example"
FCA_EMAIL = "fiona@cafcass.example"


def text_of(message: EmailMessage) -> str:
    return message.get_body(("plain",)).get_content()


def html_of(message: EmailMessage) -> str:
    return message.get_body(("html",)).get_content()


def files_of(message: EmailMessage) -> dict[str, bytes]:
    return {part.get_filename(): part.get_content() for part in message.iter_attachments()}


def parent(pid: str, given: str, family: str, language: str = "en", phone: str = "") -> ParticipantContact:
    return ParticipantContact(
        participant_id=pid,
        given_name=given,
        family_name=family,
        email=f"{given.lower()}.{family.lower()}@parents.example",
        phone=phone,
        preferred_language=language,
    )


ALEX = parent("p-alex", "Alex", "Morgan", "en", "07700900001")
SAMIRA = parent("p-samira", "Samira", "Khan", "ur", "07700900002")


def referral(referral_id: str, *parents: ParticipantContact, fca_id: str = "fca-1") -> ReferralCreated:
    return ReferralCreated(
        referral_id=referral_id,
        case_number="MA24P00123",
        court="Manchester Family Court",
        court_email=COURT_EMAIL,
        source="court_order",
        stage="first_hearing",
        region="greater-manchester",
        provider="action-for-children",
        fca_id=fca_id,
        fca=Professional(name="Fiona Adviser", email=FCA_EMAIL),
        participants=seal_participants(list(parents or (ALEX, SAMIRA)), ReferralKeys.development()),
    )


def soon(hours: float = 0) -> datetime:
    return datetime.now(UTC).replace(microsecond=0) + timedelta(hours=hours)


class Kit:
    def __init__(self, make_settings: Any, nats_url: str, tap: EventTap, mailbox: Mailbox) -> None:
        self.make_settings, self.nats_url, self.tap, self.mailbox = make_settings, nats_url, tap, mailbox

    def settings(self, **overrides: Any) -> Settings:
        values = {
            "smtp_port": self.mailbox.port,
            "smtp_timeout": 2.0,
            "send_lease": timedelta(seconds=10),
            "send_backoff": timedelta(milliseconds=100),
            "send_attempts": 4,
            "provider_inboxes": {"action-for-children": PROVIDER_INBOX, "family-action": "fa@fa.example"},
            "hub_url": "https://hub.example",
            **overrides,
        }
        return self.make_settings(Settings, **values)

    async def publish(
        self, data: EventData | None = None, *, envelope: Envelope | None = None, msg_id: str | None = None
    ) -> Envelope:
        """Publish as the owning service would; pass `envelope` (and a new msg_id) to redeliver it."""
        if envelope is None:
            assert data is not None
            correlation = getattr(data, "referral_id", None) or getattr(data, "plan_id")
            envelope = Envelope.of(data, correlation_id=correlation, producer=owner_of(data.TYPE))
        nc = await nats.connect(self.nats_url)
        try:
            headers = {"Nats-Msg-Id": msg_id or str(envelope.event_id)}
            await nc.jetstream().publish(envelope.type, envelope.model_dump_json().encode(), headers=headers)
        finally:
            await nc.close()
        return envelope

    async def settled(self, app: Any) -> bool:
        """Every event is handled and acknowledged, and nothing is left to send."""
        nc = await nats.connect(self.nats_url)
        try:
            js = nc.jetstream()
            for stream in ("REFERRALS", "LEARNING", "WORKSHOPS", "PLANS"):
                for info in await js.consumers_info(stream):
                    if info.name.startswith("notifications-") and (info.num_pending or info.num_ack_pending):
                        return False
        finally:
            await nc.close()
        db = app.state.rt.store.db
        return await db.deliveries.count_documents({"status": {"$in": ["pending", "sending"]}}) == 0

    async def until_settled(self, app: Any) -> None:
        await eventually(lambda: self.settled(app), timeout=20)

    async def mail_to(self, address: str, count: int = 1) -> list[EmailMessage]:
        async def enough() -> list[EmailMessage]:
            found = self.mailbox.to(address)
            return found if len(found) >= count else []

        return await eventually(enough, timeout=20)

    async def subject_arrives(self, text: str) -> list[EmailMessage]:
        async def found() -> list[EmailMessage]:
            return self.mailbox.with_subject(text)

        return await eventually(found, timeout=20)


@pytest.fixture
def mailbox():
    box = Mailbox()
    box.start()
    yield box
    box.stop()


@pytest.fixture
def kit(make_settings: Any, infra: Any, tap: EventTap, mailbox: Mailbox) -> Kit:
    return Kit(make_settings, infra.nats_url, tap, mailbox)
