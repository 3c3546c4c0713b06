"""Coordinators: their provider's waiting list, each parent with the seat the allocator proposes now,
shown before it is applied (workshops' `offer_seats` sweep books it on its next run, through the same
rules as a parent's own booking). As workshops answers `/providers/{provider}/waitlist`: their
provider's parents only, first names and needs, never contact details."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.web import Staff, needs, render, services

router = APIRouter()
COORDINATOR = needs("provider")


@router.get("/waiting-list")
async def waiting_list(request: Request, staff: Staff = COORDINATOR) -> Response:
    backend = services(request)["workshops"]
    answer = await backend.get(f"/providers/{staff.caller.provider or '-'}/waitlist", staff.token)
    waiting = answer.body if answer.ok else []
    sessions = await backend.get("/sessions", staff.token, params={"limit": 200})
    starts = {s["id"]: s["parts"][0]["starts_at"] for s in (sessions.body["items"] if sessions.ok else [])}
    return render(request, "waiting.html", waiting=waiting, starts=starts)
