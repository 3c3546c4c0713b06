"""Event subscribers of the learning service. The inbox makes each event act once; the
`(participant_id, cycle)` check makes a different event for the same enrolment act once too."""

from learning.config import Settings
from learning.store import ACTIVATIONS, ENROLMENTS, open_enrolment, record_withdrawal
from ptfc.consumer import Handlers, Meta
from ptfc.events import ReferralCreated, ReferralReordered, ReferralWithdrawn
from ptfc.store import Tx


def make_handlers(settings: Settings) -> Handlers:
    """The subscribers, bound to one app's settings (tests run several apps in one process)."""
    handlers = Handlers()

    @handlers.on
    async def enrol_participants(data: ReferralCreated, meta: Meta, tx: Tx) -> None:
        """Open a Parent Hub account and enrolment for each parent, and send their activation link."""
        for p in data.participants:
            await open_enrolment(
                tx,
                settings,
                referral_id=data.referral_id,
                participant_id=p.participant_id,
                cycle=data.cycle,
                provider=data.provider,
                fca_id=data.fca_id,
                language=p.preferred_language,
                email_key=p.sign_in_key,  # hashed by referrals with this service's lookup key
            )

    @handlers.on
    async def enrol_again(data: ReferralReordered, meta: Meta, tx: Tx) -> None:
        """The court re-ordered the course: a new enrolment and a fresh 10-day window for this cycle."""
        # The re-order names no FCA: the one who followed the earlier cycle keeps following this one.
        earlier = await tx.db[ENROLMENTS].find_one(
            {"referral_id": data.referral_id, "participant_id": data.participant_id},
            {"fca_id": 1},
            sort=[("cycle", -1)],
            session=tx.session,
        )
        await open_enrolment(
            tx,
            settings,
            referral_id=data.referral_id,
            participant_id=data.participant_id,
            cycle=data.cycle,
            provider=data.provider,
            fca_id=earlier.get("fca_id") if earlier else None,
            language=data.preferred_language,
        )

    @handlers.on
    async def stop_clock(data: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
        """A withdrawn referral stops the clock: no reminders, no missed deadline, no sign-in."""
        scope: dict = {"referral_id": data.referral_id}
        if data.participant_ids:  # an empty list withdraws the whole referral
            scope["participant_id"] = {"$in": data.participant_ids}
        # Each event type has its own consumer, so this may overtake the `referral.created` or
        # `referral.reordered` it withdraws: remembered, an older one arriving later opens nothing.
        await record_withdrawal(tx, data.referral_id, data.participant_ids, meta.occurred_at)
        now = tx.clock.now()
        rows = await tx.db[ENROLMENTS].find({**scope, "status": "active"}, {"_id": 1}, session=tx.session).to_list()
        ids = [row["_id"] for row in rows]
        if not ids:
            return
        await tx.db[ENROLMENTS].update_many(
            {"_id": {"$in": ids}, "status": "active"},
            {"$set": {"status": "withdrawn", "withdrawn_at": now, "reminder_due": None}},
            session=tx.session,
        )
        await tx.db[ACTIVATIONS].update_many(
            {"enrolment_id": {"$in": [str(i) for i in ids]}, "state": "pending"},
            {"$set": {"state": "withdrawn", "closed_at": now}},
            session=tx.session,
        )

    return handlers
