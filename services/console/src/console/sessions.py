"""Workshop sessions. Coordinators: schedule one (a refusal explained by the programme's rule it
breaks), see their provider's sessions with seats and rosters. Facilitators: my sessions, the
roster with needs, attendance per part. All as workshops answers for the person's token."""

from datetime import UTC, datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from console.flash import redirect_with, taken
from console.web import Csrf, Id, Staff, needs, redirect, render, services

router = APIRouter()
COORDINATOR = needs("provider")
STAFF = needs("provider", "facilitator")
FACILITATOR = needs("facilitator")

# Why each rule exists, shown beside workshops' own words when it refuses a session.
RULES = {
    "capacity-too-large": "Never more than 6 parents in a group (around 5 is the aim).",
    "parts-not-two-halves": (
        "A workshop is 2 hours 30 minutes of content in two halves with a break; a daytime or weekend "
        "session has both halves on the same day."
    ),
    "parts-overlap": "Part 2 starts after part 1 ends.",
    "parts-in-past": "Sessions are scheduled for parents to book: both parts in the future.",
    "evenings-not-consecutive": "A two-evening session is two parts on two consecutive evenings.",
    "weekend-not-on-weekend": "A weekend session is on a Saturday or a Sunday.",
    "video-link-required": "Online sessions need the link parents will join with.",
    "venue-required": "In-person sessions need the venue's name, address and postcode.",
    "session-has-bookings": (
        "Once a parent is booked, the times stay: cancel the session (each booked parent is told and "
        "offered another seat) and schedule a new one."
    ),
    "session-closed": "Only a session still to come can change or be cancelled.",
    "capacity-below-bookings": "A session keeps a place for every parent already booked on it.",
}
FIELD_NAMES = {"format": "format", "pattern": "pattern", "video_link": "video link", "capacity": "group size"}


@router.get("/sessions")
async def provider_sessions(request: Request, staff: Staff = COORDINATOR, done: str = "") -> Response:
    answer = await services(request)["workshops"].get("/sessions", staff.token, params={"limit": 50})
    return render(request, "sessions.html", sessions=answer.body["items"] if answer.ok else [], done=done)


@router.get("/my-sessions")
async def my_sessions(request: Request, staff: Staff = FACILITATOR) -> Response:
    answer = await services(request)["workshops"].get("/sessions", staff.token, params={"limit": 50})
    sessions = answer.body["items"] if answer.ok else []
    groups = by_day(sessions, datetime.now(UTC), request.app.state.settings.timezone)
    return render(request, "my_sessions.html", groups=groups)


WHEN = ("Today", "This week", "Later", "Earlier")


def by_day(sessions: list[dict], now: datetime, timezone: str) -> dict[str, list[dict]]:
    """A facilitator's sessions as they plan their days (in England's time): today's (either part
    today, so the second evening of a two-evening session is today's too), the rest of the next seven
    days, later, and earlier ones (attendance may still be theirs to record). Each group by start."""
    zone = ZoneInfo(timezone)
    today = now.astimezone(zone).date()
    groups: dict[str, list[dict]] = {name: [] for name in WHEN}
    for session in sorted(sessions, key=lambda s: s["parts"][0]["starts_at"]):
        days = [datetime.fromisoformat(p["starts_at"]).astimezone(zone).date() for p in session["parts"]]
        if today in days:
            groups["Today"].append(session)
        elif days[0] > today and (days[0] - today).days < 7:
            groups["This week"].append(session)
        elif days[0] > today:
            groups["Later"].append(session)
        else:
            groups["Earlier"].append(session)
    groups["Earlier"].reverse()  # the most recent first
    return groups


@router.get("/sessions/new")
async def new_session(request: Request, staff: Staff = COORDINATOR) -> Response:
    shown = taken(request)  # a refused form: its errors or workshops' refusal, and what was typed
    form = shown.get("form") or {"format": "online", "pattern": "daytime", "capacity": "6"}
    return render(request, "session_new.html", form=form, errors=shown.get("errors", {}), refusal=shown.get("refusal"))


def _local(value: str, timezone: str) -> str | None:
    """A datetime-local value as a UTC ISO time (times are entered as in England)."""
    try:
        return datetime.fromisoformat(value).replace(tzinfo=ZoneInfo(timezone)).isoformat()
    except ValueError:
        return None


@router.post("/sessions/new", dependencies=[Csrf])
async def schedule(
    request: Request,
    format: Annotated[str, Form(max_length=20)] = "online",
    pattern: Annotated[str, Form(max_length=20)] = "daytime",
    video_link: Annotated[str, Form(max_length=500)] = "",
    venue_name: Annotated[str, Form(max_length=200)] = "",
    venue_address: Annotated[str, Form(max_length=400)] = "",
    venue_postcode: Annotated[str, Form(max_length=10)] = "",
    part1_start: Annotated[str, Form(max_length=30)] = "",
    part1_end: Annotated[str, Form(max_length=30)] = "",
    part2_start: Annotated[str, Form(max_length=30)] = "",
    part2_end: Annotated[str, Form(max_length=30)] = "",
    capacity: Annotated[str, Form(max_length=4)] = "6",
    facilitators: Annotated[str, Form(max_length=500)] = "",
    staff: Staff = COORDINATOR,
) -> Response:
    form = {k: v for k, v in (await request.form()).items() if k != "csrf" and isinstance(v, str)}
    zone = request.app.state.settings.timezone
    errors: dict[str, str] = {}
    times = {
        name: _local(form.get(name, ""), zone) for name in ("part1_start", "part1_end", "part2_start", "part2_end")
    }
    for name, value in times.items():
        if value is None:
            errors[name] = "Enter a date and time."
    people = [p.strip() for p in facilitators.replace("\n", ",").split(",") if p.strip()]
    if not people:
        errors["facilitators"] = "Name at least one facilitator (their sign-in id)."
    if not capacity.isdigit():
        errors["capacity"] = "Enter the number of places, at most 6."
    if errors:
        return redirect_with(request, "/sessions/new", form=form, errors=errors) or render(
            request, "session_new.html", 400, form=form, errors=errors
        )
    body: dict[str, Any] = {
        "format": format,
        "pattern": pattern,
        "parts": [
            {"starts_at": times["part1_start"], "ends_at": times["part1_end"]},
            {"starts_at": times["part2_start"], "ends_at": times["part2_end"]},
        ],
        "capacity": int(capacity),
        "facilitators": people,
    }
    if format == "online":
        body["video_link"] = video_link.strip() or None
    else:
        body["venue"] = {"name": venue_name, "address": venue_address, "postcode": venue_postcode}
    answer = await services(request)["workshops"].post("/sessions", staff.token, json=body)
    if answer.ok:
        return redirect(f"/sessions/{answer.body['id']}?done=scheduled")
    refusal = _refusal(answer.body)
    return redirect_with(request, "/sessions/new", form=form, refusal=refusal) or render(
        request, "session_new.html", 400, form=form, errors={}, refusal=refusal
    )


def _refusal(problem: Any) -> dict[str, str]:
    """Workshops' refusal, with the programme's rule behind it."""
    if not isinstance(problem, dict):
        return {"detail": "The session could not be scheduled.", "rule": ""}
    reason = str(problem.get("type", "")).rsplit("/", 1)[-1]
    detail = str(problem.get("detail") or problem.get("title") or "The session could not be scheduled.")
    if problem.get("errors"):  # validation: which fields
        fields = sorted(
            {
                FIELD_NAMES.get(str(e.get("loc", ["", ""])[-1]), str(e.get("loc", [""])[-1]))
                for e in problem["errors"]
                if isinstance(e, dict)
            }
        )
        detail = "Check these answers: " + ", ".join(fields) + "."
    return {"detail": detail, "rule": RULES.get(reason, "")}


async def _session(request: Request, staff: Staff, session_id: str) -> tuple[dict | None, list[dict]]:
    backends = services(request)
    session = await backends["workshops"].get(f"/sessions/{session_id}", staff.token)
    if not session.ok:
        return None, []
    roster = await backends["workshops"].get(f"/sessions/{session_id}/participants", staff.token)
    return session.body, roster.body if roster.ok else []


@router.get("/sessions/{session_id}")
async def session(request: Request, session_id: Id, staff: Staff = STAFF, done: str = "") -> Response:
    found, roster = await _session(request, staff, session_id)
    if found is None:
        return render(request, "not_found.html", 404)
    error = taken(request).get("error", "")  # attendance not recorded, and why
    return render(request, "session.html", session=found, roster=roster, done=done, error=error)


@router.post("/sessions/{session_id}/attendance", dependencies=[Csrf])
async def attendance(
    request: Request,
    session_id: Id,
    participant_id: Annotated[str, Form(max_length=64)],
    part: Annotated[int, Form(ge=1, le=2)],
    status: Annotated[str, Form(max_length=20)],
    staff: Staff = FACILITATOR,
) -> Response:
    body = {"participant_id": participant_id, "part": part, "status": status}
    answer = await services(request)["workshops"].post(f"/sessions/{session_id}/attendance", staff.token, json=body)
    if answer.ok:
        return redirect(f"/sessions/{session_id}?done=recorded#p-{participant_id}")
    if answer.status == 404:  # not a session of theirs: as if there were none
        return render(request, "not_found.html", 404)
    error = answer.detail("Not recorded.")
    return redirect_with(request, f"/sessions/{session_id}", error=error) or redirect(f"/sessions/{session_id}")


def _as_local(value: str, timezone: str) -> str:
    """A stored UTC time as a datetime-local field shows it (in England's time)."""
    return datetime.fromisoformat(value).astimezone(ZoneInfo(timezone)).strftime("%Y-%m-%dT%H:%M")


@router.get("/sessions/{session_id}/move")
async def move_form(request: Request, session_id: Id, staff: Staff = COORDINATOR) -> Response:
    found = await services(request)["workshops"].get(f"/sessions/{session_id}", staff.token)
    if not found.ok:
        return render(request, "not_found.html", 404)
    zone = request.app.state.settings.timezone
    parts = found.body["parts"]
    form = {
        f"part{n}_{edge}": _as_local(parts[n - 1][f"{edge}s_at"], zone) for n in (1, 2) for edge in ("start", "end")
    }
    form["video_link"] = found.body.get("video_link") or ""
    shown = taken(request)  # a refused change: what was typed and workshops' reason
    page = dict(session=found.body, form=shown.get("form") or form, errors=shown.get("errors", {}))
    return render(request, "session_move.html", refusal=shown.get("refusal"), **page)


@router.post("/sessions/{session_id}/move", dependencies=[Csrf])
async def move(request: Request, session_id: Id, staff: Staff = COORDINATOR) -> Response:
    """New times (only while nobody is booked: workshops says so otherwise) or a new video link
    (each booked parent is sent it)."""
    backend = services(request)["workshops"]
    current = await backend.get(f"/sessions/{session_id}", staff.token)
    if not current.ok:  # not their provider's: as if there were none
        return render(request, "not_found.html", 404)
    form = {k: v for k, v in (await request.form()).items() if k != "csrf" and isinstance(v, str)}
    zone = request.app.state.settings.timezone
    names = ("part1_start", "part1_end", "part2_start", "part2_end")
    times = {name: _local(form.get(name, "")[:30], zone) for name in names}
    errors = {name: "Enter a date and time." for name, value in times.items() if value is None}
    back = f"/sessions/{session_id}/move"
    if errors:
        return redirect_with(request, back, form=form, errors=errors) or redirect(back)
    body: dict[str, Any] = {
        "parts": [
            {"starts_at": times["part1_start"], "ends_at": times["part1_end"]},
            {"starts_at": times["part2_start"], "ends_at": times["part2_end"]},
        ]
    }
    link = form.get("video_link", "").strip()[:500]
    if link:
        body["video_link"] = link
    if _same_times(current.body["parts"], body["parts"]):
        del body["parts"]  # only the link changes: allowed with parents booked
    answer = await backend.call("PATCH", f"/sessions/{session_id}", staff.token, json=body)
    if answer.ok:
        return redirect(f"/sessions/{session_id}?done=moved")
    if answer.status == 404:
        return render(request, "not_found.html", 404)
    refusal = _refusal(answer.body)
    return redirect_with(request, back, form=form, refusal=refusal) or redirect(back)


def _same_times(stored: list[dict], asked: list[dict]) -> bool:
    def moments(parts: list[dict]) -> list[tuple[datetime, datetime]]:
        return [(datetime.fromisoformat(p["starts_at"]), datetime.fromisoformat(p["ends_at"])) for p in parts]

    return moments(stored) == moments(asked)


@router.get("/sessions/{session_id}/cancel")
async def cancel_form(request: Request, session_id: Id, staff: Staff = COORDINATOR) -> Response:
    found = await services(request)["workshops"].get(f"/sessions/{session_id}", staff.token)
    if not found.ok:
        return render(request, "not_found.html", 404)
    return render(request, "session_cancel.html", session=found.body, refusal=taken(request).get("refusal"))


@router.post("/sessions/{session_id}/cancel", dependencies=[Csrf])
async def cancel(request: Request, session_id: Id, staff: Staff = COORDINATOR) -> Response:
    """Every booking is cancelled; each parent is told and put on the waiting list for another seat."""
    answer = await services(request)["workshops"].post(f"/sessions/{session_id}/cancel", staff.token)
    if answer.ok:
        return redirect(f"/sessions/{session_id}?done=cancelled")
    if answer.status == 404:
        return render(request, "not_found.html", 404)
    back = f"/sessions/{session_id}/cancel"
    return redirect_with(request, back, refusal=_refusal(answer.body)) or redirect(back)
