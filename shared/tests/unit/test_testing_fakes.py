"""The shared in-memory kit (ptfc.testing.fakes) behaves as the store and the consumer would, so a
service's unit test that passes on it means what it says."""

from datetime import timedelta

import pytest

from ptfc.events import LearningCompleted, ReferralWithdrawn
from ptfc.handlers import Handlers, Meta, Unit
from ptfc.store import Tx
from ptfc.testing.events import event
from ptfc.testing.fakes import FakeUnitOfWork, handle


class Fake(FakeUnitOfWork):
    def __init__(self) -> None:
        super().__init__()
        self.parents: dict[str, dict] = {}


def test_what_a_rule_reads_is_a_copy_so_a_change_not_saved_is_lost():
    uow = Fake()
    saved = {"_id": "p-1", "status": "open", "needs": ["loop"]}
    uow.put(uow.parents, saved)
    saved["needs"].append("changed after the save")
    read = uow.one(uow.parents, "p-1")
    assert read is not None
    read["needs"].append("interpreter")
    [found] = uow.where(uow.parents, status=["open", "done"])
    found["status"] = "done"
    assert uow.parents["p-1"] == {"_id": "p-1", "status": "open", "needs": ["loop"]}
    assert uow.where(uow.parents, status="done") == [] and [uow.new_id(), uow.new_id()] == [f"{1:024x}", f"{2:024x}"]


async def test_one_handler_runs_on_the_fake_with_the_envelope_its_owner_would_send():
    seen: list[Meta] = []
    registry = Handlers()

    @registry.on
    async def learned(data: LearningCompleted, meta: Meta, tx: Tx, unit: Unit[Fake] = Fake) -> None:
        seen.append(meta)
        uow = unit(tx)
        uow.put(uow.parents, {"_id": data.participant_id, "learned": data.completed_at})

    @registry.on
    async def reaches_the_store(data: ReferralWithdrawn, meta: Meta, tx: Tx) -> None:
        await tx.db["parents"].delete_many({})  # the store itself: not a unit test's

    uow = Fake()
    meta = await handle(registry, event("learning.completed", "r-9", "p-1"), uow)
    assert uow.parents["p-1"]["learned"] is not None and seen == [meta]
    assert (meta.producer, meta.correlation_id, meta.occurred_at) == ("learning", "r-9", uow.now())
    with pytest.raises(AssertionError, match="no store"):
        await handle(registry, event("referral.withdrawn"), uow)
    with pytest.raises(LookupError):
        await handle(registry, event("referral.reordered"), uow)


async def test_a_meta_given_back_delivers_the_same_envelope_again():
    """Each call is a new event (a new id); `meta=` what a call returned is that event redelivered."""
    seen: list[Meta] = []
    registry = Handlers()

    @registry.on
    async def learned(data: LearningCompleted, meta: Meta, tx: Tx) -> None:
        seen.append(meta)

    uow = Fake()
    completed = event("learning.completed", "r-9", "p-1")
    first = await handle(registry, completed, uow)
    uow.clock += timedelta(hours=1)
    other = await handle(registry, completed, uow)
    again = await handle(registry, completed, uow, meta=first)
    assert seen == [first, other, again] and again == first
    assert other.event_id != first.event_id and other.occurred_at > first.occurred_at
    with pytest.raises(ValueError):
        await handle(registry, event("learning.completed", "r-9", "p-1"), uow, meta=first, correlation_id="r-8")
