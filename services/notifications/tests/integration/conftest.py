"""The notifications service in-process against real NATS JetStream, the MongoDB server and a
real SMTP server (aiosmtpd) on a free port, which can be told to refuse before it accepts."""

from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any

import pytest

from notifications.config import Settings
from ptfc.events import Envelope, EventData, ParticipantContact, Professional, ReferralCreated
from ptfc.testing.events import all_handled, participant, publish, referral_created
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
    return participant(pid, given, family, language, phone, email=f"{given.lower()}.{family.lower()}@parents.example")


ALEX = parent("p-alex", "Alex", "Morgan", "en", "07700900001")
SAMIRA = parent("p-samira", "Samira", "Khan", "ur", "07700900002")


def referral(referral_id: str, *parents: ParticipantContact, fca_id: str = "fca-1") -> ReferralCreated:
    return referral_created(
        referral_id,
        *(parents or (ALEX, SAMIRA)),
        court_email=COURT_EMAIL,
        fca_id=fca_id,
        fca=Professional(name="Fiona Adviser", email=FCA_EMAIL),
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
        return await publish(self.nats_url, envelope or data, msg_id=msg_id)

    async def settled(self, app: Any) -> bool:
        """Every event is handled and acknowledged, and nothing is left to send."""
        if not await all_handled(self.nats_url, "notifications", ["REFERRALS", "LEARNING", "WORKSHOPS", "PLANS"]):
            return False
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
