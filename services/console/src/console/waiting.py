"""Coordinators: their provider's waiting list, each parent with the seat the allocator proposes now,
shown before it is applied (workshops' `offer_seats` sweep books it on its next run, through the same
rules as a parent's own booking), and approved here to book it at once. As workshops answers
`/providers/{provider}/waitlist`: their provider's parents only, first names and needs, never
contact details."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
COORDINATOR = needs("provider")
NOT_BOOKED = {
    "proposal-changed": "The allocator proposes another seat now (one went, or a better one came): see it below.",
    "session-unavailable": "That seat is no longer free: see what the allocator proposes now.",
}


@router.get("/waiting-list")
async def waiting_list(request: Request, staff: Staff = COORDINATOR, done: str = "") -> Response:
    backend = services(request)["workshops"]
    answer = await backend.get(f"/providers/{staff.caller.provider or '-'}/waitlist", staff.token)
    waiting = answer.body if answer.ok else []
    sessions = await backend.get("/sessions", staff.token, params={"limit": 200})
    starts = {s["id"]: s["parts"][0]["starts_at"] for s in (sessions.body["items"] if sessions.ok else [])}
    refused = NOT_BOOKED.get(done, "That parent could not be booked." if done == "not-booked" else "")
    return render(request, "waiting.html", waiting=waiting, starts=starts, done=done, refused=refused)


@router.post("/waiting-list/{participant_id}", dependencies=[Csrf])
async def approve(
    request: Request,
    participant_id: Id,
    session_id: Annotated[str, Form(max_length=24)],
    staff: Staff = COORDINATOR,
) -> Response:
    """The seat shown is booked now (workshops books it only if the allocator still proposes it)."""
    path = f"/providers/{staff.caller.provider or '-'}/waitlist/{participant_id}/booking"
    answer = await services(request)["workshops"].post(path, staff.token, json={"session_id": session_id})
    if answer.ok:
        return redirect("/waiting-list?done=booked")
    if answer.status == 404:  # not waiting (booked meanwhile), or not their provider's
        return render(request, "not_found.html", 404)
    return redirect("/waiting-list?done=" + (answer.reason if answer.reason in NOT_BOOKED else "not-booked"))
