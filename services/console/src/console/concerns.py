"""Safeguarding concerns. Facilitators raise one about a parent of a session they run (category and
details). Workshops keeps the details and tells the referral's family court adviser at once (the
`safeguarding.concern_raised` event: ids and category only; notifications emails the FCA). The
confirmation says who is told, and who can read it. The FCA reads it here: workshops records every
read (who and when) before answering the details, and the page shows those reads."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.flash import redirect_with, taken
from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
FACILITATOR = needs("facilitator")
FCA = needs("cafcass")
CATEGORIES = {  # workshops' categories (workshops.schemas.Category)
    "child_at_risk": "A child may be at risk",
    "adult_at_risk": "An adult may be at risk",
    "domestic_abuse": "Domestic abuse",
    "self_harm": "Self-harm",
    "other": "Something else",
}


async def _parent(request: Request, staff: Staff, session_id: str, participant_id: str) -> dict | None:
    """The parent on the roster of this facilitator's session, or None (not theirs, not booked)."""
    roster = await services(request)["workshops"].get(f"/sessions/{session_id}/participants", staff.token)
    if not roster.ok:
        return None
    return next((p for p in roster.body if p["participant_id"] == participant_id), None)


@router.get("/sessions/{session_id}/concerns/{participant_id}")
async def concern_form(
    request: Request, session_id: Id, participant_id: Id, staff: Staff = FACILITATOR, done: str = ""
) -> Response:
    parent = await _parent(request, staff, session_id, participant_id)
    if parent is None:
        return render(request, "not_found.html", 404)
    shown = taken(request)  # a refused form's errors and words
    errors, form = shown.get("errors", {}), shown.get("form", {})
    page = dict(session_id=session_id, parent=parent, categories=CATEGORIES, errors=errors, form=form, done=done)
    return render(request, "concern.html", **page)


@router.post("/sessions/{session_id}/concerns/{participant_id}", dependencies=[Csrf])
async def raise_concern(
    request: Request,
    session_id: Id,
    participant_id: Id,
    category: Annotated[str, Form(max_length=40)] = "",
    details: Annotated[str, Form(max_length=6000)] = "",
    staff: Staff = FACILITATOR,
) -> Response:
    parent = await _parent(request, staff, session_id, participant_id)
    if parent is None:
        return render(request, "not_found.html", 404)
    errors = {}
    if category not in CATEGORIES:
        errors["category"] = "Choose what the concern is about."
    if not details.strip():
        errors["details"] = "Say what was said or seen, when and by whom."
    elif len(details) > 5000:
        errors["details"] = "The details must be 5,000 characters or fewer."
    if not errors:
        body = {"participant_id": participant_id, "category": category, "details": details.strip()}
        answer = await services(request)["workshops"].post(f"/sessions/{session_id}/concerns", staff.token, json=body)
        if answer.ok:
            return redirect(f"/sessions/{session_id}/concerns/{participant_id}?done=raised")
        errors["details"] = answer.detail("Not raised.")
    form = {"category": category, "details": details}
    if answer := redirect_with(request, f"/sessions/{session_id}/concerns/{participant_id}", errors=errors, form=form):
        return answer
    page = dict(session_id=session_id, parent=parent, categories=CATEGORIES, errors=errors, form=form, done="")
    return render(request, "concern.html", 400, **page)


@router.get("/concerns/{concern_id}")
async def read_concern(request: Request, concern_id: Id, staff: Staff = FCA) -> Response:
    backend = services(request)["workshops"]
    concern = await backend.get(f"/concerns/{concern_id}", staff.token)  # this is the recorded read
    if not concern.ok:
        return render(request, "not_found.html", 404)
    reads = await backend.get(f"/concerns/{concern_id}/reads", staff.token)
    page = dict(concern=concern.body, reads=reads.body if reads.ok else [], categories=CATEGORIES)
    return render(request, "concern_read.html", **page)
