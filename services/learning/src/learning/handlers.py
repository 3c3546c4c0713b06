"""Event subscribers of the learning service. The inbox makes each event act once; the
`(participant_id, cycle)` check in `domain.open_enrolment` makes a different event for the same
enrolment act once too."""

from learning import domain
from learning.config import Settings
from learning.store import UnitOfWork, load_enrolments
from ptfc.events import NotYetKnown, ReferralContactChanged, ReferralCreated, ReferralReordered, ReferralWithdrawn
from ptfc.handlers import Handlers, Meta, Unit
from ptfc.store import Tx

handlers = Handlers()


@handlers.on(prefetch=load_enrolments)
async def enrol_participants(
    data: ReferralCreated, meta: Meta, tx: Tx, settings: Settings, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """Open a Parent Hub account and enrolment for each parent, and send their activation link."""
    for p in data.participants:
        await domain.open_enrolment(
            unit(tx),
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
async def enrol_again(
    data: ReferralReordered, meta: Meta, tx: Tx, settings: Settings, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """The court re-ordered the course: a new enrolment and a fresh 10-day window for this cycle; the
    parent's sessions end."""
    uow = unit(tx)
    # The re-order names no FCA: the one who followed the earlier cycle keeps following this one.
    earlier = await uow.enrolment_of(data.participant_id)
    await domain.reorder(
        uow,
        settings,
        referral_id=data.referral_id,
        participant_id=data.participant_id,
        cycle=data.cycle,
        provider=data.provider,
        fca_id=earlier.get("fca_id") if earlier and earlier["referral_id"] == data.referral_id else None,
        language=data.preferred_language,
    )


@handlers.on
async def change_sign_in_email(
    data: ReferralContactChanged, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """The FCA changed a parent's email (referrals, audited): the one way their sign-in email
    changes; no `referral.created` replaces it."""
    if data.sign_in_key and not await unit(tx).change_email_key(data.participant_id, data.sign_in_key):
        raise NotYetKnown(f"participant {data.participant_id} has no account yet")


@handlers.on
async def stop_clock(data: ReferralWithdrawn, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork) -> None:
    """A withdrawn referral stops the clock: no reminders, no missed deadline, no sign-in, and the
    parents' sessions end."""
    await domain.withdraw(unit(tx), data.referral_id, data.participant_ids, meta.occurred_at)
