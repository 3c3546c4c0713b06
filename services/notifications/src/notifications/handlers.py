"""Event subscribers: each receives one event, keeps what it takes to reach people, and plans the
letters it asks for as pending deliveries in the same transaction as the inbox mark. Nothing is sent
here: the sender sweep (sweeps.py) does the SMTP I/O outside any transaction, so a redelivered event
plans nothing twice. A handler only receives: what each event keeps and plans is the domain's
(`domain.people`, `domain.progress`, `domain.webhooks`), on `store.UnitOfWork`; which event becomes
which letter is letters.py (`LETTERS`); rendering them into delivery rows is outgoing.py. Each
handler is a module function given `settings` (by ptfc.service.build_app) and `letters`
(outgoing.Letters, bound in app.py) through ptfc.handlers.Handlers.bind, and opens its unit of
work as `unit(tx)`: the store's, or a unit test's in-memory one (`ptfc.testing.fakes.handle`)."""

from typing import Union

from notifications import store
from notifications.config import Settings
from notifications.domain import WEBHOOK_EVENTS, people, progress
from notifications.domain.webhooks import keep_for_partners
from notifications.letters import ParticipantEvent
from notifications.outgoing import Letters
from notifications.store import UnitOfWork
from ptfc.events import (
    EVENTS,
    PlanReplyWaiting,
    PlanShared,
    ReferralContactChanged,
    ReferralCreated,
    ReferralReordered,
    ReferralWithdrawn,
)
from ptfc.handlers import Handlers, Meta, Unit
from ptfc.store import Tx

handlers = Handlers()

# Every event partners may receive by webhook (none with sealed material): one subscription each.
PartnerEvent = Union[tuple(EVENTS[t] for t in WEBHOOK_EVENTS)]  # type: ignore[valid-type]  # noqa: UP007


@handlers.on
async def for_partner_webhooks(
    data: PartnerEvent,  # type: ignore[valid-type]
    meta: Meta,
    tx: Tx,
    unit: Unit[UnitOfWork] = UnitOfWork,
) -> None:
    """Keeps the event as partners may see it (for replays) and plans a POST to each endpoint that wants it."""
    await keep_for_partners(unit(tx), data, meta)


@handlers.on(prefetch=store.load_contacts)
async def remember_referral(
    data: ReferralCreated, meta: Meta, tx: Tx, settings: Settings, letters: Letters, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """Keeps the contact details of each parent and the referral's professionals; heads-up to the provider."""
    await people.remember_referral(unit(tx), data, meta, settings, letters)


@handlers.on
async def change_contact(
    data: ReferralContactChanged,
    meta: Meta,
    tx: Tx,
    settings: Settings,
    letters: Letters,
    unit: Unit[UnitOfWork] = UnitOfWork,
) -> None:
    """The FCA changed how to reach a parent: the old address is told, the new one confirmed."""
    await people.change_contact(unit(tx), data, meta, settings, letters)


@handlers.on
async def stop_parent_messages(
    data: ReferralWithdrawn, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """A withdrawn parent gets no more reminders; queued ones are skipped."""
    await people.withdraw(unit(tx), data)


@handlers.on
async def resume_parent_messages(
    data: ReferralReordered, meta: Meta, tx: Tx, letters: Letters, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """A re-ordered course starts a new cycle: the parent is contacted again, maybe by another provider."""
    await people.resume(unit(tx), data, meta, letters)


@handlers.on(prefetch=store.load_contacts)
async def notify_participant(
    data: ParticipantEvent,
    meta: Meta,
    tx: Tx,
    settings: Settings,
    letters: Letters,
    unit: Unit[UnitOfWork] = UnitOfWork,
) -> None:
    """Plans the letters a parent's progress asks for (`letters.LETTERS`)."""
    await progress.tell_of_progress(unit(tx), data, meta, settings, letters)


@handlers.on
async def invite_to_plan(
    data: PlanShared, meta: Meta, tx: Tx, settings: Settings, letters: Letters, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """Sends the plan invitation, to an address neither party ever sees."""
    await progress.invite(unit(tx), data, meta, settings, letters)


@handlers.on
async def tell_of_plan_reply(
    data: PlanReplyWaiting, meta: Meta, tx: Tx, letters: Letters, unit: Unit[UnitOfWork] = UnitOfWork
) -> None:
    """Tells a parent that their co-parent replied in a plan, or that it is agreed, with no words of it."""
    await progress.tell_of_plan_reply(unit(tx), data, meta, letters)
