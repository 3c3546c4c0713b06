"""Operations: each service's health and its dead letters (list, replay). No personal data:
a dead letter shows its event type, handler, error and time, never its body."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from console.backend import Unavailable
from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
OPS = needs("ops")
SERVICES = ("referrals", "learning", "workshops", "plans", "notifications")
NOT_REPLAYED = {
    "replay-failed": "Its handler failed again, so it stays parked: fix the cause (see the error), then replay it.",
    "already-replayed": "It was replayed before.",
    "not-replayable": "It is not a valid event for this service, so it cannot be run again.",
    "not-replayed": "That dead letter could not be replayed (it may have expired).",
}
Service = Annotated[str, Path(pattern="^(" + "|".join(SERVICES) + ")$")]


@router.get("/operations")
async def operations(request: Request, staff: Staff = OPS, done: str = "") -> Response:
    backends = services(request)
    health, letters = {}, {}
    for name in SERVICES:
        try:
            ready = await backends[name].get("/readyz")
            health[name] = "ready" if ready.ok else "not ready"
            found = await backends[name].get("/ops/dead-letters", staff.token, params={"limit": 50})
            letters[name] = found.body["items"] if found.ok else []
        except Unavailable:
            health[name], letters[name] = "not answering", []
    refused = NOT_REPLAYED.get(done, "")
    return render(request, "operations.html", health=health, letters=letters, done=done, refused=refused)


@router.post("/operations/{service}/dead-letters/{letter_id}/replay", dependencies=[Csrf])
async def replay(request: Request, service: Service, letter_id: Id, staff: Staff = OPS) -> Response:
    answer = await services(request)[service].post(f"/ops/dead-letters/{letter_id}/replay", staff.token)
    # Why not, in the service's words: the handler failed again (the cause is not fixed yet), it was
    # replayed before, or it is not an event this service can run again.
    why = answer.reason if answer.reason in NOT_REPLAYED else "not-replayed"
    return redirect("/operations?done=" + ("replayed" if answer.ok else why))
