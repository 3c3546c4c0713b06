"""An in-memory `domain.UnitOfWork` on the shared one (ptfc.testing.fakes): the event handlers run
against dicts, with no database, and a test reads the contacts kept and the letters planned (the
delivery rows as the sender would find them, rendered)."""

from datetime import UTC, datetime
from typing import Any

from notifications.domain import Booking, Contact, Referral
from notifications.store import UNTRIED_PARENT_LETTERS, booking_of, contact_of, referral_of
from ptfc.testing.fakes import FakeUnitOfWork as Base


class FakeUnitOfWork(Base):
    """Notifications' collections and queries, as store.UnitOfWork keeps them; the clock and ids are
    the base's."""

    start = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)

    def __init__(self, now: datetime | None = None) -> None:
        super().__init__(now)
        self.contacts: dict[str, dict] = {}
        self.referrals: dict[str, dict] = {}
        self.bookings: dict[str, dict] = {}
        self.invitees: dict[str, dict] = {}
        self.certificates: dict[str, dict] = {}
        self.deliveries: dict[str, dict] = {}  # by key: one message per event, template and recipient
        self.partner_events: dict[str, dict] = {}
        self.endpoints: dict[str, dict] = {}
        self.webhook_deliveries: dict[str, dict] = {}

    def letters(self, **equal: Any) -> list[dict]:
        """The delivery rows planned, in order, with these field values."""
        return self.where(self.deliveries, **equal)

    # ---- what it takes to reach people -----------------------------------------------------------

    async def keep_referral(self, referral_id: str, referral: dict[str, Any]) -> None:
        if referral_id not in self.referrals:  # the first referral.created sets the professionals
            self.put(self.referrals, {"_id": referral_id, **referral})

    async def keep_contact(self, participant_id: str, contact: dict[str, Any]) -> Contact | None:
        stored = self.one(self.contacts, participant_id)
        if stored is not None and (
            "email" in stored or stored.get("referral_id") not in (None, contact["referral_id"])
        ):
            return None
        kept = {"_id": participant_id, "withdrawn": False} | (stored or {}) | contact
        self.put(self.contacts, kept)
        return contact_of(kept)

    async def withdraw_contacts(self, referral_id: str, participant_ids: list[str]) -> None:
        for pid in participant_ids:
            self.put(
                self.contacts,
                (self.one(self.contacts, pid) or {"_id": pid, "referral_id": referral_id}) | {"withdrawn": True},
            )
        for row in self.where(self.deliveries, participant_id=participant_ids, **UNTRIED_PARENT_LETTERS):
            self.put(self.deliveries, row | {"status": "skipped", "skip_reason": "referral_withdrawn"}, key="key")

    async def resume_contact(
        self, referral_id: str, participant_id: str, language: str, provider: str
    ) -> tuple[Referral, Contact] | None:
        contact, referral = self.one(self.contacts, participant_id), self.one(self.referrals, referral_id)
        if contact is not None:
            self.put(self.contacts, contact := contact | {"withdrawn": False, "language": language})
        if referral is not None:
            self.put(self.referrals, referral := referral | {"provider": provider})
        if contact is None or "email" not in contact or referral is None:
            return None
        return referral_of(referral), contact_of(contact)

    async def known(self, referral_id: str, participant_id: str) -> tuple[Referral, Contact] | None:
        contact, referral = self.one(self.contacts, participant_id), self.one(self.referrals, referral_id)
        if contact is None or "email" not in contact or referral is None:
            return None
        return referral_of(referral), contact_of(contact)

    async def contact(self, participant_id: str) -> Contact | None:
        doc = self.one(self.contacts, participant_id)
        return contact_of(doc) if doc and "email" in doc else None

    async def change_contact(self, participant_id: str, changes: dict[str, Any]) -> Contact:
        self.put(self.contacts, doc := self.contacts[participant_id] | changes)
        return contact_of(doc)

    async def keep_booking(self, booking_id: str, where: dict[str, Any]) -> None:
        self.put(self.bookings, (self.one(self.bookings, booking_id) or {"_id": booking_id}) | where)

    async def booking(self, booking_id: str) -> Booking | None:
        return booking_of(self.one(self.bookings, booking_id))

    async def keep_invitee(self, invitation_id: str, invitee: dict[str, Any]) -> None:
        self.put(self.invitees, (self.one(self.invitees, invitation_id) or {"_id": invitation_id}) | invitee)

    async def invitee(self, invitation_id: str) -> dict[str, Any] | None:
        return self.one(self.invitees, invitation_id)

    async def keep_certificate(self, participant_id: str, facts: dict[str, Any]) -> None:
        known = self.one(self.certificates, participant_id)
        if known is None or known["cycle"] <= facts["cycle"]:
            self.put(self.certificates, {"_id": participant_id, **facts})

    # ---- deliveries and partners' webhooks -------------------------------------------------------

    async def plan_deliveries(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:  # planning the same message again is a no-op
            if row["key"] not in self.deliveries:
                self.put(self.deliveries, row, key="key")

    async def keep_partner_event(self, event: dict[str, Any]) -> None:
        if event["_id"] not in self.partner_events:
            self.put(self.partner_events, event)

    async def endpoints_for(self, event_type: str) -> list[dict[str, Any]]:
        return [e for e in self.where(self.endpoints, enabled=True) if event_type in e["event_types"]]

    async def plan_webhooks(self, rows: list[dict[str, Any]]) -> None:
        for row in rows:
            if row["key"] not in self.webhook_deliveries:
                self.put(self.webhook_deliveries, row, key="key")
