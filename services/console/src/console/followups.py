"""Follow-up calls. Facilitators: my calls, each with the outcome measure form (the parent consented
to it during the course: workshops schedules a call for no one else, and withdraws it if they
withdraw consent). Coordinators: their provider's calls and who makes each. As workshops answers
`/follow-ups` for the person's token: a facilitator's own, a coordinator's provider's."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.flash import redirect_with, taken
from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
STAFF = needs("provider", "facilitator")
FACILITATOR = needs("facilitator")
COORDINATOR = needs("provider")

# workshops' outcome measure (workshops.domain.MEASURE): each answered 0 (never) to 4 (very often).
MEASURE = {
    "argue_in_front": "How often do you and the other parent argue in front of your child?",
    "discipline": "How often do you disagree about discipline in front of your child?",
    "verbal_hostility": "How often does your child hear you or the other parent speak with hostility about the other?",
    "complaints": "How often do you complain about the other parent to your child or where they can hear?",
    "money": "How often does your child hear you and the other parent argue about money?",
}
SCALE = ("Never", "Rarely", "Sometimes", "Often", "Very often")


@router.get("/follow-ups")
async def followups(request: Request, staff: Staff = STAFF, done: str = "") -> Response:
    backend = services(request)["workshops"]
    answer = await backend.get("/follow-ups", staff.token, params={"limit": 50})
    calls = answer.body["items"] if answer.ok else []
    shown = taken(request)  # a refused form: which call, its errors and what was chosen
    page = dict(errors=shown.get("errors", {}), failed=shown.get("failed"), form=shown.get("form"))
    if staff.caller.role == "provider":  # whom a call can go to: the facilitators their sessions name
        page["facilitators"] = await _facilitators(request, staff, calls)
    return render(request, "followups.html", calls=calls, done=done, measure=MEASURE, scale=SCALE, **page)


async def _facilitators(request: Request, staff: Staff, calls: list[dict]) -> list[str]:
    sessions = await services(request)["workshops"].get("/sessions", staff.token, params={"limit": 200})
    named = {f for s in (sessions.body["items"] if sessions.ok else []) for f in s["facilitators"]}
    return sorted(named | {c["facilitator"] for c in calls if c.get("facilitator")})


@router.post("/follow-ups/{followup_id}/facilitator", dependencies=[Csrf])
async def assign(
    request: Request,
    followup_id: Id,
    facilitator: Annotated[str, Form(max_length=100)] = "",
    staff: Staff = COORDINATOR,
) -> Response:
    """The call goes to another facilitator of the provider (workshops refuses a name none of its
    sessions has, and a call already made)."""
    if not facilitator:
        errors = {"facilitator": "Choose who makes the call."}
    else:
        body = {"facilitator": facilitator}
        call = await services(request)["workshops"].post(
            f"/follow-ups/{followup_id}/facilitator", staff.token, json=body
        )
        if call.ok:
            return redirect("/follow-ups?done=assigned")
        if call.status == 404:  # another provider's call, or none: as if there were none
            return render(request, "not_found.html", 404)
        errors = {"facilitator": call.detail("Not given.")}
    return redirect_with(request, "/follow-ups", errors=errors, failed=followup_id, form={}) or redirect("/follow-ups")


@router.post("/follow-ups/{followup_id}/outcome", dependencies=[Csrf])
async def record(request: Request, followup_id: Id, staff: Staff = FACILITATOR) -> Response:
    form = await request.form()
    reached = form.get("reached")
    errors: dict[str, str] = {}
    answers: dict[str, int] = {}
    if reached not in ("yes", "no"):
        errors["reached"] = "Say whether you reached the parent."
    elif reached == "yes":
        for item in MEASURE:
            value = str(form.get(item, ""))
            if value not in {str(n) for n in range(len(SCALE))}:
                errors[item] = "Choose the parent's answer."
            else:
                answers[item] = int(value)
    if not errors:
        body = {"reached": reached == "yes", "answers": answers or None}
        call = await services(request)["workshops"].post(f"/follow-ups/{followup_id}/outcome", staff.token, json=body)
        if call.ok:
            return redirect("/follow-ups?done=recorded")
        if call.status == 404:  # another facilitator's call, or none: as if there were none
            return render(request, "not_found.html", 404)
        errors["reached"] = call.detail("Not recorded.")
    chosen = {k: v for k, v in form.items() if k != "csrf" and isinstance(v, str)}
    return redirect_with(request, "/follow-ups", errors=errors, failed=followup_id, form=chosen) or redirect(
        "/follow-ups"
    )
