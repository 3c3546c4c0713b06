"""Family court advisers: my referrals with each parent's progress, extend a deadline, withdraw.
What they see is what referrals and learning answer for their token: only their own referrals."""

from typing import Annotated, Any

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.flash import redirect_with, taken
from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
FCA = needs("cafcass")


@router.get("/referrals")
async def my_referrals(request: Request, staff: Staff = FCA) -> Response:
    answer = await services(request)["referrals"].get("/referrals", staff.token, params={"limit": 50})
    return render(request, "referrals.html", referrals=answer.body["items"] if answer.ok else [])


async def _progress(request: Request, staff: Staff, referral_id: str) -> dict[str, Any] | None:
    """The referral (referrals) with each parent's e-learning (learning), or None if not theirs."""
    backends = services(request)
    referral = await backends["referrals"].get(f"/referrals/{referral_id}", staff.token)
    if not referral.ok:
        return None
    enrolments = await backends["learning"].get("/enrolments", staff.token, params={"referral_id": referral_id})
    current = {e["participant_id"]: e for e in (enrolments.body["items"] if enrolments.ok else [])}
    for parent in referral.body["participants"]:
        parent["enrolment"] = current.get(parent["participant_id"])
        parent["workshop"] = workshop(parent)
    # Safeguarding concerns raised on it: ids, category and when; reading one is a recorded read.
    concerns = await backends["workshops"].get("/concerns", staff.token, params={"referral_id": referral_id})
    referral.body["concerns"] = concerns.body if concerns.ok else []
    return referral.body


WORKSHOP_EVENTS = ("workshop.booked", "workshop.cancelled", "workshop.attended", "workshop.missed")


def workshop(parent: dict[str, Any]) -> dict[str, Any]:
    """Where the parent is with the workshop in this course (the referral's timeline of workshops'
    events, as referrals heard them): the last of booked, cancelled, attended, missed, and when;
    "not booked" before any."""
    events = [e for e in parent.get("timeline", []) if e["event"] in WORKSHOP_EVENTS and e["cycle"] == parent["cycle"]]
    if not events:
        return {"status": "not_booked", "at": None, "note": ""}
    last = max(events, key=lambda e: e["at"])
    status, detail = last["event"].split(".", 1)[1], last.get("detail", {})
    note = ""
    if status == "booked" and detail.get("rebooking"):
        note = "after a missed workshop"
    elif status == "missed":
        misses = detail.get("misses") or 1
        offered = "; one rebooking offered" if detail.get("rebooking_offered") else ""
        note = f"{misses} time{'s' if misses != 1 else ''}{offered}"
    return {"status": status, "at": detail.get("attended_at") or last["at"], "note": note}


async def _theirs(request: Request, staff: Staff, referral_id: str) -> bool:
    """Whether referrals shows this FCA the referral: a form about another's is answered as not found."""
    return (await services(request)["referrals"].get(f"/referrals/{referral_id}", staff.token)).ok


@router.get("/referrals/{referral_id}")
async def referral(request: Request, referral_id: Id, staff: Staff = FCA, done: str = "") -> Response:
    found = await _progress(request, staff, referral_id)
    if found is None:
        return render(request, "not_found.html", 404)
    shown = taken(request)  # a refused form's errors and words
    return render(
        request, "referral.html", referral=found, done=done, errors=shown.get("errors", {}), form=shown.get("form")
    )


@router.post("/referrals/{referral_id}/extend", dependencies=[Csrf])
async def extend(
    request: Request,
    referral_id: Id,
    enrolment_id: Annotated[str, Form(max_length=64)],
    days: Annotated[str, Form(max_length=4)] = "",
    reason: Annotated[str, Form(max_length=2000)] = "",
    staff: Staff = FCA,
) -> Response:
    if not await _theirs(request, staff, referral_id):
        return render(request, "not_found.html", 404)
    errors = {}
    if not days.isdigit() or not 1 <= int(days) <= 30:
        errors["days"] = "Enter a number of days from 1 to 30."
    if not reason.strip():
        errors["reason"] = "Say why the parent needs more time (the court may read it)."
    elif len(reason) > 500:
        errors["reason"] = "The reason must be 500 characters or fewer."
    if not errors:
        body = {"days": int(days), "reason": reason.strip()}
        answer = await services(request)["learning"].post(
            f"/enrolments/{enrolment_id}/extensions", staff.token, json=body
        )
        if answer.ok:
            return redirect(f"/referrals/{referral_id}?done=extended")
        errors["days"] = answer.detail("The deadline could not be extended.")
    form = {"enrolment_id": enrolment_id, "days": days, "reason": reason}
    return await _refused(request, staff, referral_id, errors, form)


@router.post("/referrals/{referral_id}/withdraw", dependencies=[Csrf])
async def withdraw(
    request: Request, referral_id: Id, reason: Annotated[str, Form(max_length=2000)] = "", staff: Staff = FCA
) -> Response:
    if not await _theirs(request, staff, referral_id):
        return render(request, "not_found.html", 404)
    if reason.strip() and len(reason) <= 500:
        answer = await services(request)["referrals"].post(
            f"/referrals/{referral_id}/withdraw", staff.token, json={"reason": reason.strip()}
        )
        if answer.ok:
            return redirect(f"/referrals/{referral_id}?done=withdrawn")
    errors = {"withdraw": "Say why the referral is withdrawn (500 characters or fewer)."}
    return await _refused(request, staff, referral_id, errors, {"withdraw": reason})


async def _refused(request: Request, staff: Staff, referral_id: str, errors: dict, form: dict) -> Response:
    """A form on the referral's page the services refused: the page again with why, and what was typed
    (through a redirect, or shown here when that would not fit in the cookie)."""
    if answer := redirect_with(request, f"/referrals/{referral_id}", errors=errors, form=form):
        return answer
    found = await _progress(request, staff, referral_id)
    if found is None:
        return render(request, "not_found.html", 404)
    return render(request, "referral.html", 400, referral=found, errors=errors, form=form)
