"""Event subscribers of the referrals service: other services' events build each parent's
timeline and progress, and settle the court-facing outcome (`domain.follow`)."""

import logging

from ptfc.events import (
    AccountActivated,
    ActivationExpired,
    ActivationIssued,
    DeadlineMissed,
    LearningCompleted,
    LearningExtended,
    ModuleCompleted,
    NotificationSent,
    WorkshopAttended,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopMissed,
)
from ptfc.handlers import Handlers, Meta, Unit
from ptfc.store import Tx
from referrals import domain
from referrals.store import UnitOfWork, load_parents

log = logging.getLogger("referrals.handlers")
handlers = Handlers()

# The events that make up a parent's timeline (domain.TIMELINE_DETAIL says what of each is kept).
TimelineEvent = (
    ActivationIssued
    | AccountActivated
    | ActivationExpired
    | ModuleCompleted
    | LearningCompleted
    | DeadlineMissed
    | LearningExtended
    | WorkshopBooked
    | WorkshopCancelled
    | WorkshopAttended
    | WorkshopMissed
    | NotificationSent
)


@handlers.on(prefetch=load_parents)
async def follow(event: TimelineEvent, meta: Meta, tx: Tx, unit: Unit[UnitOfWork] = UnitOfWork) -> None:
    """Adds the event to the parent's timeline; in the current cycle it updates progress and outcome."""
    known = await domain.follow(unit(tx), meta.type, event.model_dump(), meta.occurred_at, meta.correlation_id)
    if not known:
        log.info("%s for a parent this service does not know: ignored", meta.type)
