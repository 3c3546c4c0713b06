"""Workshop: the sessions this parent can book (workshops offers only those: never one their
co-parent is in), booking, their booking with how to join and a calendar file, cancelling, the
waiting list when nothing suits, and consent to a follow-up call. Built on workshops' `/me/...`."""

from datetime import UTC, datetime
from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response
from markupsafe import Markup

from hub.course import PROVIDERS
from hub.flash import redirect_with, taken
from hub.state import decide
from hub.web import HEADERS, Csrf, Token, course_of, redirect, render, services

router = APIRouter(prefix="/workshop")
PATTERNS = ("daytime", "weekend", "two_evenings")
FORMATS = ("online", "in_person")


async def _state(request: Request, token: str) -> dict:
    """What the workshop page needs: the course, and the booking, offers, wait and consent."""
    workshops = services(request)["workshops"]
    course = await course_of(request, token)
    booking = await workshops.get("/me/booking", token)
    consent = await workshops.get("/me/follow-up-consent", token)
    wait = await workshops.get("/me/waitlist", token)
    mine = booking.body if booking.ok else None
    settings = request.app.state.settings
    provider = PROVIDERS.get(course.get("provider", ""))
    return {
        # Workshops says so by its own clock, the one that refuses a late cancel: after the cut-off the
        # page offers no cancel button and says whom to call (the parent's provider, on its number).
        "cancellable": bool(mine and mine.get("cancellable")),
        "provider": provider,
        "provider_phone": Markup('<bdi dir="ltr">{}</bdi>').format(
            settings.provider_phones.get(course.get("provider", ""), settings.support_phone)
        ),
        "course": course,
        "state": decide(course, mine),
        "booking": mine,
        "consent": consent.body["consent"] if consent.ok else None,
        "wait": wait.body if wait.ok else None,
        "not_referred": booking.reason == "not-referred",
    }


async def _offers(request: Request, token: str) -> list[dict]:
    answer = await services(request)["workshops"].get("/me/sessions", token, params={"limit": 50})
    return answer.body["items"] if answer.ok else []


@router.get("")
async def workshop(request: Request, token: Token, booked: int = 0, cancelled: int = 0, waiting: int = 0) -> Response:
    state = await _state(request, token)
    offers = await _offers(request, token) if state["state"].may_book else []  # never after attending
    errors = taken(request).get("errors", [])  # a refused booking or consent, sent back here
    status = (422 if errors[0] in ("choose", "consent") else 409) if errors else 200
    return render(
        request,
        "workshop.html",
        status,
        **state,
        offers=offers,
        errors=errors,
        just_booked=bool(booked),
        just_cancelled=bool(cancelled),
        just_waiting=bool(waiting),
    )


@router.post("/booking", dependencies=[Csrf])
async def book(request: Request, token: Token, session_id: Annotated[str, Form(max_length=24)] = "") -> Response:
    if session_id:
        answer = await services(request)["workshops"].post("/me/booking", token, json={"session_id": session_id})
        if answer.ok:
            return redirect("/workshop?booked=1")
        error = answer.reason if answer.reason != "session-unavailable" else "unavailable"
    else:
        error = "choose"
    return redirect_with(request, "/workshop", errors=[error])


@router.get("/cancel")
async def confirm_cancel(request: Request, token: Token) -> Response:
    state = await _state(request, token)
    if not state["booking"] or state["booking"]["status"] != "booked" or not state["cancellable"]:
        return redirect("/workshop")  # after the cut-off the page says whom to call instead
    errors = taken(request).get("errors", [])
    return render(request, "workshop_cancel.html", 409 if errors else 200, booking=state["booking"], errors=errors)


@router.post("/cancel", dependencies=[Csrf])
async def cancel(request: Request, token: Token) -> Response:
    answer = await services(request)["workshops"].call("DELETE", "/me/booking", token)
    if answer.ok or answer.reason == "no-booking":  # pressed twice: the first press cancelled it
        return redirect("/workshop?cancelled=1")
    return redirect_with(request, "/workshop/cancel", errors=[answer.reason])


@router.get("/waitlist")
async def waitlist_page(request: Request, token: Token) -> Response:
    state = await _state(request, token)
    wait = state["wait"] or {"patterns": [], "formats": []}
    if refused := taken(request):  # what was chosen, sent back with what is missing
        return render(request, "waitlist.html", 422, **refused)
    return render(request, "waitlist.html", patterns=wait["patterns"], formats=wait["formats"], errors=[])


@router.post("/waitlist", dependencies=[Csrf])
async def join_waitlist(request: Request, token: Token) -> Response:
    form = await request.form()
    patterns = [p for p in form.getlist("patterns") if p in PATTERNS]
    formats = [f for f in form.getlist("formats") if f in FORMATS]
    errors = ([] if patterns else ["patterns"]) + ([] if formats else ["formats"])
    if not errors:
        answer = await services(request)["workshops"].post(
            "/me/waitlist", token, json={"patterns": patterns, "formats": formats}
        )
        if answer.ok:
            return redirect("/workshop?waiting=1")
        errors = [answer.reason or "refused"]
    return redirect_with(request, "/workshop/waitlist", patterns=patterns, formats=formats, errors=errors)


@router.post("/waitlist/leave", dependencies=[Csrf])
async def leave_waitlist(request: Request, token: Token) -> Response:
    await services(request)["workshops"].call("DELETE", "/me/waitlist", token)
    return redirect("/workshop")


@router.post("/follow-up", dependencies=[Csrf])
async def follow_up(request: Request, token: Token, consent: Annotated[str, Form(max_length=3)] = "") -> Response:
    if consent not in ("yes", "no"):
        return redirect_with(request, "/workshop#follow-up", errors=["consent"])
    await services(request)["workshops"].call("PUT", "/me/follow-up-consent", token, json={"consent": consent == "yes"})
    return redirect("/workshop#follow-up")


@router.get("/booking.ics")
async def calendar(request: Request, token: Token) -> Response:
    """The booked workshop as a calendar file: one event per part, with how to join."""
    answer = await services(request)["workshops"].get("/me/booking", token)
    if not answer.ok or answer.body["status"] != "booked":
        return redirect("/workshop")
    return Response(
        ics(answer.body),
        media_type="text/calendar; charset=utf-8",
        headers={**HEADERS, "Content-Disposition": 'attachment; filename="ptfc-workshop.ics"'},
    )


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,").replace("\n", "\\n")


def _stamp(moment: str | datetime) -> str:
    value = datetime.fromisoformat(moment) if isinstance(moment, str) else moment
    return value.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def ics(booking: dict) -> str:
    session = booking["session"]
    where = booking["video_link"] or ""
    if session.get("venue"):
        v = session["venue"]
        where = f"{v['name']}, {v['address']}, {v['postcode']}"
    parts = session["parts"]
    lines = ["BEGIN:VCALENDAR", "VERSION:2.0", "PRODID:-//PTfC//Parent Hub//EN", "METHOD:PUBLISH"]
    for n, part in enumerate(parts, 1):
        lines += [
            "BEGIN:VEVENT",
            f"UID:{booking['id']}-{n}@ptfc",
            f"DTSTAMP:{_stamp(booking['booked_at'])}",
            f"DTSTART:{_stamp(part['starts_at'])}",
            f"DTEND:{_stamp(part['ends_at'])}",
            f"SUMMARY:{_escape(f'Planning Together for Children workshop, part {n} of {len(parts)}')}",
            f"LOCATION:{_escape(where)}",
            f"DESCRIPTION:{_escape('Join: ' + where if booking['video_link'] else where)}",
            "END:VEVENT",
        ]
    lines.append("END:VCALENDAR")
    return "\r\n".join(lines) + "\r\n"
