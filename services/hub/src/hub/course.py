"""My course: the three parts as a task list, the e-learning deadline in the parent's words and
time, what is done and what is next, and who to contact (for an interpreter or an adjustment too)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.backend import Unavailable
from hub.state import decide, plan_status
from hub.web import HEADERS, Token, course_of, language, redirect, render, services

router = APIRouter()

# The organisations that run the course (public bodies' public details: no person's).
PROVIDERS = {
    "action-for-children": {"name": "Action for Children", "website": "https://www.actionforchildren.org.uk"},
    "family-action": {"name": "Family Action", "website": "https://www.family-action.org.uk"},
}


async def booking_of(request: Request, token: str) -> dict | None:
    """The parent's workshop booking, or None (also while workshops does not answer)."""
    try:
        answer = await services(request)["workshops"].get("/me/booking", token)
    except Unavailable:
        return None
    return answer.body if answer.ok and isinstance(answer.body, dict) else None


async def plans_of(request: Request, token: str) -> list[dict] | None:
    """The parent's plans, read only for the task list (None while plans does not answer)."""
    try:
        answer = await services(request)["plans"].get("/plans", token)
    except Unavailable:
        return None
    return answer.body.get("items", []) if answer.ok and isinstance(answer.body, dict) else None


@router.get("/course")
async def my_course(request: Request, token: Token) -> Response:
    learning = services(request)["learning"]
    course = await course_of(request, token)
    # Module titles in the language the parent reads the page in (they may have switched).
    titles = (await learning.get("/modules", params={"lang": language(request)})).body
    for progress, title in zip(course["modules"], titles, strict=True):
        progress["title"] = title["title"]
    learning_done = course["status"] == "completed"
    booking = await booking_of(request, token) if learning_done else None
    state = decide(course, booking)
    plans = await plans_of(request, token)
    provider = PROVIDERS.get(course.get("provider", ""))
    return render(
        request,
        "course.html",
        course=course,
        state=state,
        booking=state.booking,
        plan=None if plans is None else plan_status(plans),
        provider=provider,
    )


@router.get("/course/certificate.pdf")
async def certificate(request: Request, token: Token) -> Response:
    """The parent's certificate, in the language they read the page in. Notifications makes it (it
    holds the parent's name and emails the same file with the completion letter), so the hub asks
    it with the parent's own token rather than keeping a second copy of the name or the layout."""
    answer = await services(request)["notifications"].get(
        "/me/certificate.pdf", token, params={"lang": language(request)}, raw=True
    )
    if not answer.ok:
        return redirect("/course")
    headers = {**HEADERS, "Content-Disposition": 'attachment; filename="ptfc-certificate.pdf"'}
    return Response(answer.body.content, media_type="application/pdf", headers=headers)
