"""What it takes to reach people: the contacts a referral brings, kept (and the provider's heads-up
planned), changed only by `referral.contact_changed`, stopped by a withdrawal and resumed by a
re-order. Which letters each plans is letters.py; `post` (outgoing.Letters) makes them deliveries."""

import logging

from notifications import letters
from notifications.config import Settings
from notifications.domain.base import Post, UnitOfWork
from notifications.domain.records import Referral, contact_kept, referral_kept
from ptfc.events import NotYetKnown, ReferralContactChanged, ReferralCreated, ReferralReordered, ReferralWithdrawn
from ptfc.handlers import Meta

log = logging.getLogger("notifications.domain")


async def remember_referral(uow: UnitOfWork, data: ReferralCreated, meta: Meta, settings: Settings, post: Post):
    """Keeps the contact details of each parent and the referral's professionals; heads-up to the
    provider. A parent already known keeps their contact: only `referral.contact_changed` changes it."""
    referral = referral_kept(data)
    await uow.keep_referral(data.referral_id, referral)
    known = Referral(data.referral_id, **referral)
    planned = []
    for person in data.contacts(settings.contact_seal_key, settings.contact_seal_previous_keys):
        kept = await uow.keep_contact(person.participant_id, contact_kept(data.referral_id, person))
        if kept is None:  # a parent already known: how to reach them changes only by referral.contact_changed
            log.warning("referral.created %s names a participant already known: contact kept", data.referral_id)
            continue
        planned.append(letters.provider_heads_up(known, kept, post.inboxes, meta.occurred_at))
    await post.plan(uow, meta, planned, data.fca_id, data.referral_id)


async def change_contact(
    uow: UnitOfWork, data: ReferralContactChanged, meta: Meta, settings: Settings, post: Post
) -> None:
    """The FCA changed how to reach a parent: the held contact changes, the old address is told
    (without the new one) and a new address is told it is now the one we use."""
    old = await uow.contact(data.participant_id)
    if old is None:
        raise NotYetKnown(f"participant {data.participant_id} not known yet")
    if old.referral_id != data.referral_id:  # how to reach a parent is their own referral's
        log.warning("referral.contact_changed %s names a parent of another referral: ignored", data.referral_id)
        return
    new = data.contact(settings.contact_seal_key, settings.contact_seal_previous_keys)
    changes = {k: v for k, v in (("email", new.email), ("phone", new.phone)) if v is not None}
    changed = await uow.change_contact(data.participant_id, changes)
    planned = letters.contact_change_letters(old, changed, data.email_changed, data.phone_changed)
    found = await uow.known(data.referral_id, data.participant_id)
    await post.plan(uow, meta, planned, found[0].fca_id if found else None, data.referral_id)


async def withdraw(uow: UnitOfWork, data: ReferralWithdrawn) -> None:
    """A withdrawn parent gets no more reminders; queued ones are skipped."""
    await uow.withdraw_contacts(data.referral_id, data.participant_ids)


async def resume(uow: UnitOfWork, data: ReferralReordered, meta: Meta, post: Post) -> None:
    """A re-ordered course starts a new cycle: the parent is contacted again, maybe by another provider."""
    found = await uow.resume_contact(data.referral_id, data.participant_id, data.preferred_language, data.provider)
    if found is None:
        raise NotYetKnown(f"referral {data.referral_id} / participant {data.participant_id} not known yet")
    referral, contact = found
    # The provider calls the parent again for the new cycle: a fresh heads-up with the details.
    heads_up = letters.provider_heads_up(referral, contact, post.inboxes, meta.occurred_at)
    await post.plan(uow, meta, [heads_up], referral.fca_id, data.referral_id)
