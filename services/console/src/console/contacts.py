"""Coordinators: new referrals to contact the day after (due, overdue), marked contacted. As referrals
answers `/providers/{provider}/contacts-due` for their token: only their provider's parents, with
the needs a coordinator may see (interpreter, BSL, in person, support needs); never the co-parent,
never an email or phone (the heads-up email notifications sent the provider holds those)."""

from datetime import UTC, datetime, timedelta

from fastapi import APIRouter, Request
from fastapi.responses import Response

from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
COORDINATOR = needs("provider")
OVERDUE_AFTER = timedelta(days=1)  # due the day after the referral; a day later still, it is overdue


def _path(staff: Staff) -> str:
    return f"/providers/{staff.caller.provider or '-'}"


@router.get("/contacts")
async def contacts(request: Request, staff: Staff = COORDINATOR, done: str = "") -> Response:
    answer = await services(request)["referrals"].get(f"{_path(staff)}/contacts-due", staff.token, params={"limit": 50})
    rows = waiting(answer.body["items"] if answer.ok else [], datetime.now(UTC))
    return render(request, "contacts.html", contacts=rows, done=done)


def waiting(rows: list[dict], now: datetime) -> list[dict]:
    """Each parent to call, marked overdue once a further day has passed since the call fell due,
    the longest waiting first."""
    for row in rows:
        row["overdue"] = datetime.fromisoformat(row["due_at"]) + OVERDUE_AFTER <= now
    return sorted(rows, key=lambda r: r["due_at"])


@router.post("/contacts/{participant_id}", dependencies=[Csrf])
async def contacted(request: Request, participant_id: Id, staff: Staff = COORDINATOR) -> Response:
    answer = await services(request)["referrals"].post(f"{_path(staff)}/contacts/{participant_id}", staff.token)
    if answer.status == 404:  # not a parent of their provider: as if there were none
        return render(request, "not_found.html", 404)
    return redirect("/contacts?done=" + ("contacted" if answer.ok else "not-contacted"))
