"""Two decisions a provider's coordinator takes for their provider's parents (issue 28): who makes a
follow-up call (another facilitator of the provider, when the one it went to is away), and the
allocator's proposed seat for a waiting parent, approved (booked now, through the same rules as a
parent's own booking) instead of left to the next `offer_seats` run. Rules and state changes only,
no I/O, as in `domain`; kept apart from it while `domain` is split by topic."""

from collections.abc import Mapping

from workshops import domain
from workshops.domain import Refused, UnitOfWork, Unknown


def check_assignable(followup: dict, facilitator: str, known: set[str]) -> None:
    """A call not made yet, to a facilitator the provider has (one named on any of its sessions:
    facilitators are known to workshops only as their sessions name them, so a mistyped name is
    refused instead of sending the call to nobody)."""
    if followup["status"] != "scheduled":
        raise Refused("followup-closed", "Only a call not made yet can go to another facilitator.")
    if facilitator not in known:
        raise Refused("not-a-facilitator", "Choose a facilitator who runs one of your provider's sessions.")


async def assign_call(
    uow: UnitOfWork, followup_id: str, provider: str | None, facilitator: str, known: set[str]
) -> tuple[dict, str]:
    """The call goes to `facilitator` (the same one again changes nothing); another provider's call
    is not found."""
    followup = await uow.followup(followup_id)
    if not followup or provider is None or followup["provider"] != provider:
        raise Unknown("follow-up call")
    check_assignable(followup, facilitator, known)
    if followup["facilitator"] != facilitator:
        followup = {**followup, "facilitator": facilitator, "assigned_at": uow.now()}
        await uow.save_followup(followup)
    parent = await uow.parent(followup["participant_id"])
    return followup, parent["given_name"] if parent else ""


def check_proposed(participant_id: str, session_id: str, waiting: set[str], proposal: Mapping[str, str]) -> None:
    """Approved as shown: the seat must be the one the allocator proposes now for this parent of the
    coordinator's provider. Since the page was read a seat may have gone, or a better one come."""
    if participant_id not in waiting:
        raise Unknown("waiting parent")
    if proposal.get(participant_id) != session_id:
        raise Refused("proposal-changed", "The allocator no longer proposes this seat: see the waiting list again.")


async def approve_seat(
    uow: UnitOfWork,
    participant_id: str,
    session_id: str,
    waiting: set[str],
    proposal: Mapping[str, str],
    t: domain.Programme,
) -> tuple[dict, dict]:
    check_proposed(participant_id, session_id, waiting, proposal)
    return await domain.book(uow, participant_id, session_id, t)
