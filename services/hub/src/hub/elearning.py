"""E-learning: eight modules, section by section, each ending with its activity (a quiz with
feedback, or a reflection). Modules open in order; the parent picks up where they stopped
(learning keeps the position); a finished module says what comes next."""

import uuid
from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response, StreamingResponse
from starlette.background import BackgroundTask

from hub.flash import fits, redirect_with, taken
from hub.markdown import render as markdown
from hub.web import HEADERS, Csrf, Token, course_of, language, redirect, render, services

router = APIRouter(prefix="/learning")
ModuleNo = Annotated[int, Path(ge=1, le=8)]
SectionNo = Annotated[int, Path(ge=1, le=50)]


async def _module(request: Request, number: int) -> dict:
    answer = await services(request)["learning"].get(f"/modules/{number}", params={"lang": language(request)})
    return answer.body


def _progress(course: dict, number: int) -> dict:
    return course["modules"][number - 1]


def _closed(request: Request, course: dict, number: int) -> Response | None:
    """The page for a module the parent cannot open now, or None if they can."""
    status = _progress(course, number)["status"]
    if status == "completed":
        return None
    if course["status"] != "active":
        return render(request, "learning_closed.html", 409, course=course)
    if status == "locked":
        return render(request, "module_locked.html", 409, course=course, number=number)
    return None


class Closed(Exception):
    """A module the parent cannot open now: `page` says why (app.py shows it)."""

    def __init__(self, page: Response) -> None:
        self.page = page


async def _opened(request: Request, number: int, token: str) -> tuple[dict, dict]:
    """For a page of a module: the parent's course and the module in the page's language, once the
    course says the parent may open it (else `Closed`)."""
    course = await course_of(request, token)
    if closed := _closed(request, course, number):
        raise Closed(closed)
    return course, await _module(request, number)


@router.get("")
async def modules(request: Request, token: Token) -> Response:
    course = await course_of(request, token)
    titles = (await services(request)["learning"].get("/modules", params={"lang": language(request)})).body
    rows = [progress | {"title": title["title"]} for progress, title in zip(course["modules"], titles, strict=True)]
    return render(request, "modules.html", course=course, rows=rows)


@router.get("/{number}")
async def module_start(request: Request, number: ModuleNo, token: Token) -> Response:
    course, module = await _opened(request, number, token)
    transcript = markdown(module["video"]["transcript"]) if module.get("video") else None
    return render(
        request, "module.html", course=course, module=module, progress=_progress(course, number), transcript=transcript
    )


# A module's film and its captions, as learning names them (`video.webm`, `captions.pl.vtt`).
MediaName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.]{0,39}$")]
PASSED_ON = ("content-type", "content-length", "content-range", "accept-ranges", "etag", "last-modified")
PASSED_ON += ("cache-control",)  # learning's: private, so the player may seek back without asking again


@router.get("/{number}/media/{file}")
async def media(request: Request, number: ModuleNo, file: MediaName, token: Token) -> Response:
    """A module's film or captions, from learning with the parent's token (learning serves them only to
    a parent of an enrolment). From the page's own origin, so the CSP allows it as `media-src 'self'`
    and the sign-in cookie goes with the player's requests. The player's `Range` and `If-Range` are
    passed on and learning's answer (200, 206, 416) comes back as it is read, never held whole."""
    asked = {h: v for h in ("range", "if-range") if (v := request.headers.get(h))}
    path, params = f"/modules/{number}/media/{file}", {"lang": language(request)}
    upstream = await services(request)["learning"].stream(path, token, params=params, headers=asked)
    if upstream.status_code not in (200, 206, 416):
        await upstream.aclose()
        return render(request, "page_problem.html", 404, not_found=True)
    headers = {**HEADERS, **{h: upstream.headers[h] for h in PASSED_ON if h in upstream.headers}}
    return StreamingResponse(
        upstream.aiter_raw(), upstream.status_code, headers, background=BackgroundTask(upstream.aclose)
    )


@router.get("/{number}/section/{section}")
async def section(request: Request, number: ModuleNo, section: SectionNo, token: Token) -> Response:
    _, module = await _opened(request, number, token)
    if section > len(module["sections"]):
        return redirect(f"/learning/{number}/activity")
    part = module["sections"][section - 1]
    return render(
        request,
        "section.html",
        module=module,
        part=part,
        body=markdown(part["body"]),
        section=section,
        total=len(module["sections"]),
    )


@router.post("/{number}/section/{section}", dependencies=[Csrf])
async def next_section(request: Request, number: ModuleNo, section: SectionNo, token: Token) -> Response:
    """Continue: remember that the parent reached the next section, then show it."""
    course = await course_of(request, token)
    if _closed(request, course, number):
        return redirect(f"/learning/{number}")  # that page says why it is closed
    total = _progress(course, number)["sections"]
    if _progress(course, number)["status"] != "completed":
        reached = min(section + 1, total)
        await services(request)["learning"].post(f"/me/modules/{number}/progress", token, json={"section": reached})
    if section >= total:
        return redirect(f"/learning/{number}/activity")
    return redirect(f"/learning/{number}/section/{section + 1}")


@router.get("/{number}/activity")
async def activity(request: Request, number: ModuleNo, token: Token) -> Response:
    _, module = await _opened(request, number, token)
    refused = taken(request)  # answers sent back here (`submit_activity`), shown once
    errors = [tuple(e) for e in refused.get("errors", [])]
    answers, feedback = refused.get("answers", {}), refused.get("feedback", {})
    return render(
        request,
        "activity.html",
        422 if errors else 200,
        module=module,
        answers=answers,
        feedback=feedback,
        errors=errors,
    )


@router.get("/{number}/done")
async def module_done(request: Request, number: ModuleNo, token: Token) -> Response:
    """A finished module: what comes next. Read from the course, so it is the same page however
    often it is shown, and in the language the page is read in."""
    course = await course_of(request, token)
    if _progress(course, number)["status"] != "completed":
        return redirect(f"/learning/{number}")
    module = await _module(request, number)
    result = {
        "modules_completed": course["modules_completed"],
        "learning_completed": course["status"] == "completed",
        "message": module["activity"]["closing"],
    }
    nxt = await _module(request, number + 1) if number < 8 and not result["learning_completed"] else None
    return render(request, "module_done.html", module=module, result=result, next_module=nxt)


@router.post("/{number}/activity", dependencies=[Csrf])
async def submit_activity(request: Request, number: ModuleNo, token: Token) -> Response:
    course = await course_of(request, token)
    if _closed(request, course, number):
        return redirect(f"/learning/{number}")
    module = await _module(request, number)
    form = await request.form()
    items = [q["id"] for q in module["activity"]["questions"]] or [p["id"] for p in module["activity"]["prompts"]]
    answers = {i: str(form.get(i, "")).strip()[:4000] for i in items}
    given = {i: a for i, a in answers.items() if a}
    answer = await services(request)["learning"].post(
        f"/me/modules/{number}/complete",
        token,
        params={"lang": language(request)},  # feedback in the page's language, not the referral's
        json={"answers": given},
        headers={"Idempotency-Key": str(uuid.uuid4())},
    )
    if answer.ok:
        return redirect(f"/learning/{number}/done")
    reason = answer.reason
    if reason in ("answers-incorrect", "answers-missing"):
        feedback = {f["id"]: f for f in answer.body.get("feedback", [])}
        missing = [i for i in items if not answers[i]]
        wrong = [i for i, f in feedback.items() if f["correct"] is False]
        errors = [(i, "missing") for i in missing] + [(i, "wrong") for i in wrong if i not in missing]
        errors.sort(key=lambda e: items.index(e[0]))
        refused = {"answers": answers, "feedback": feedback, "errors": errors}
        here = f"/learning/{number}/activity"
        if fits(request, here, refused):
            return redirect_with(request, here, **refused)
        return render(request, "activity.html", 422, module=module, answers=answers, feedback=feedback, errors=errors)
    return redirect(f"/learning/{number}")  # closed meanwhile: that page says so
