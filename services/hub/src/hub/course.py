"""My course: the three parts as a task list, the e-learning deadline in the parent's words and
time, what is done and what is next, and who to contact (for an interpreter or an adjustment too)."""

from fastapi import APIRouter, Request
from fastapi.responses import Response

from hub.backend import Unavailable
from hub.web import Token, course_of, language, render, services

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
    provider = PROVIDERS.get(course.get("provider", ""))
    return render(
        request, "course.html", course=course, learning_done=learning_done, booking=booking, provider=provider
    )
