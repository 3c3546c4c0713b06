"""HTTP routes of the workshops service: sessions for provider staff and facilitators, booking for
parents, attendance, follow-up calls and safeguarding concerns. Each route checks who may see the
record, then makes one call of `domain` in a unit of work and maps its answer (views) or its
refusal (refusals)."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse
from pydantic import BaseModel

from ptfc.auth import Caller, CurrentCaller
from ptfc.idempotency import IdempotencyKey
from ptfc.models import DateTime
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem, not_found
from ptfc.programme import PROVIDERS
from ptfc.runtime import Runtime, RuntimeDep
from ptfc.writes import writes
from workshops import access, assignment, domain, reports, store, views
from workshops.schemas import (
    AssignIn,
    AttendanceIn,
    BookIn,
    ConcernIn,
    ConsentIn,
    FollowupOutcomeIn,
    Format,
    Pattern,
    SessionIn,
    SessionPatch,
    WaitIn,
)
from workshops.store import UnitOfWork

router = APIRouter()
SessionId = Annotated[str, Path(max_length=24)]
write, run = writes(UnitOfWork)  # one domain call in one unit of work (ptfc.writes)


async def _session(rt: Runtime, caller: Caller, session_id: str) -> dict:
    return access.visible(caller, await store.session(rt.store.db, session_id))


async def _managed(rt: Runtime, caller: Caller, session_id: str) -> None:
    if not access.manages(caller, await _session(rt, caller, session_id)):
        raise not_found("session")


async def _run_by(rt: Runtime, caller: Caller, session_id: str, what: str) -> None:
    if not access.runs(caller, await _session(rt, caller, session_id)):
        raise Problem(403, "forbidden", "Not allowed", f"Only the session's facilitators {what}.")


# ---- sessions (provider staff, facilitators) ------------------------------------------------------


@router.post("/sessions", status_code=201, response_model=views.SessionView, tags=["sessions"])
async def create_session(
    body: SessionIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    caller.require("provider")
    if not caller.provider:
        raise Problem(403, "forbidden", "Not allowed", "Provider staff tokens name their provider.")

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        doc = await domain.add_session(uow, body.model_dump(), caller.provider, caller.sub, rt.settings)  # type: ignore[arg-type]
        return 201, views.session_view(doc)

    return await write(rt, key, f"{caller.sub}:session", body.model_dump(mode="json"), change)


@router.get("/sessions", response_model=Page[views.SessionView], tags=["sessions"])
async def list_sessions(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    starts_from: Annotated[DateTime | None, Query(alias="from")] = None,
    starts_to: Annotated[DateTime | None, Query(alias="to")] = None,
    format: Format | None = None,
    pattern: Pattern | None = None,
    language: Annotated[str | None, Query(max_length=10)] = None,
) -> Page[views.SessionView]:
    asked = store.session_filters(starts_from, starts_to, format=format, pattern=pattern, language=language)
    rows = await store.sessions_page(rt.store.db, access.session_scope(caller), asked, paging)
    return Page(items=[views.session_view(r) for r in rows], next_cursor=paging.next_cursor(rows))


@router.get("/sessions/{session_id}", response_model=views.SessionView, tags=["sessions"])
async def get_session(session_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> views.SessionView:
    return views.session_view(await _session(rt, caller, session_id))


@router.patch("/sessions/{session_id}", response_model=views.SessionView, tags=["sessions"])
async def change_session(
    session_id: SessionId, body: SessionPatch, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    await _managed(rt, caller, session_id)

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        doc = await domain.change_session(uow, session_id, body.model_dump(exclude_unset=True), rt.settings)
        return 200, views.session_view(doc)

    return await write(rt, key, f"{caller.sub}:patch:{session_id}", body.model_dump(mode="json"), change)


@router.post("/sessions/{session_id}/cancel", response_model=views.SessionView, tags=["sessions"])
async def cancel_session(session_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> views.SessionView:
    """Cancels every booking; each parent is told and put on the waiting list for another."""
    await _managed(rt, caller, session_id)
    return views.session_view(await run(rt, lambda uow: domain.cancel_session(uow, session_id)))


@router.get("/sessions/{session_id}/participants", response_model=list[views.ParticipantView], tags=["sessions"])
async def participants(session_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> list[views.ParticipantView]:
    await _session(rt, caller, session_id)  # visible to this caller, or not found
    return [views.participant_view(p, b) for p, b in await store.session_participants(rt.store.db, session_id)]


@router.post("/sessions/{session_id}/attendance", response_model=views.AttendanceView, tags=["attendance"])
async def record_attendance(
    session_id: SessionId, body: AttendanceIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """One part for one parent. Recording the same again acts once; a correction is allowed until
    the session closes, but not once `workshop.attended` is sent."""
    await _run_by(rt, caller, session_id, "record attendance")

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        b = await domain.record_mark(uow, session_id, body.participant_id, body.part, body.status, rt.settings)
        return 200, views.AttendanceView(participant_id=body.participant_id, attendance=b["marks"], status=b["status"])

    return await write(rt, key, f"{caller.sub}:attendance:{session_id}", body.model_dump(), change)


# ---- the parent's booking ----------------------------------------------------------------------------


async def _me(rt: Runtime, caller: Caller) -> dict:
    """The calling parent's record, for reading (refused until their referral has arrived)."""
    caller.require("parent")
    return domain.referred(await store.parent(rt.store.db, caller.sub))


@router.get("/me/sessions", response_model=Page[views.OfferedSession], tags=["parent"])
async def sessions_for_me(
    rt: RuntimeDep, caller: CurrentCaller, paging: Paging, format: Format | None = None, pattern: Pattern | None = None
) -> Page[views.OfferedSession]:
    """Sessions this parent may book: their provider's, not full, in their language or with their
    interpreter, in person only where needed, and never one their co-parent is in."""
    parent = await _me(rt, caller)
    rows, cursor = await store.offered_sessions(
        rt.store.db, rt.settings, parent, rt.clock.now(), paging, format, pattern
    )
    return Page(items=[views.offered(r) for r in rows], next_cursor=cursor)


@router.post("/me/booking", status_code=201, response_model=views.BookingView, tags=["parent"])
async def book(body: BookIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None) -> JSONResponse:
    caller.require("parent")

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        booking, session = await domain.book(uow, caller.sub, body.session_id, rt.settings)
        return 201, views.booking_view(booking, session, rt.settings.cancel_cutoff, rt.clock.now())

    return await write(rt, key, f"{caller.sub}:book", body.model_dump(), change)


@router.get("/me/booking", response_model=views.BookingView, tags=["parent"])
async def my_booking(rt: RuntimeDep, caller: CurrentCaller) -> views.BookingView:
    caller.require("parent")
    booking, session = await run(rt, lambda uow: domain.my_booking(uow, caller.sub))
    return views.booking_view(booking, session, rt.settings.cancel_cutoff, rt.clock.now())


@router.delete("/me/booking", response_model=views.BookingView, tags=["parent"])
async def cancel_my_booking(rt: RuntimeDep, caller: CurrentCaller) -> views.BookingView:
    """Allowed until the cut-off before the first part; the seat goes to the next parent waiting."""
    caller.require("parent")
    booking, session = await run(rt, lambda uow: domain.cancel_my_booking(uow, caller.sub, rt.settings))
    return views.booking_view(booking, session, rt.settings.cancel_cutoff, rt.clock.now())


@router.post("/me/waitlist", status_code=201, response_model=views.WaitlistView, tags=["parent"])
async def wait(body: WaitIn, rt: RuntimeDep, caller: CurrentCaller) -> views.WaitlistView:
    """Nothing suits: wait for a seat in a session of these patterns and formats. A seat that fits
    is booked for the parent (first come, first served), and they get the booking letter."""
    caller.require("parent")
    wish = await run(rt, lambda uow: domain.wait(uow, caller.sub, body.patterns, body.formats, rt.settings))
    return views.wish_view(wish)


@router.get("/me/waitlist", response_model=views.WaitlistView, tags=["parent"])
async def my_wait(rt: RuntimeDep, caller: CurrentCaller) -> views.WaitlistView:
    await _me(rt, caller)
    wish = await store.wish(rt.store.db, caller.sub)
    if wish is None:
        raise not_found("waiting list entry")
    return views.wish_view(wish)


@router.delete("/me/waitlist", status_code=204, tags=["parent"])
async def leave_waitlist(rt: RuntimeDep, caller: CurrentCaller) -> None:
    caller.require("parent")
    await run(rt, lambda uow: domain.stop_waiting(uow, caller.sub))


@router.put("/me/follow-up-consent", response_model=views.ConsentView, tags=["parent"])
async def consent(body: ConsentIn, rt: RuntimeDep, caller: CurrentCaller) -> views.ConsentView:
    """Consent to a follow-up call, or withdraw it (a call already scheduled is then cancelled)."""
    caller.require("parent")
    await run(rt, lambda uow: domain.consent(uow, caller.sub, body.consent))
    return views.ConsentView(consent=body.consent)


@router.get("/me/follow-up-consent", response_model=views.ConsentView, tags=["parent"])
async def my_consent(rt: RuntimeDep, caller: CurrentCaller) -> views.ConsentView:
    return views.ConsentView(consent=(await _me(rt, caller)).get("consent") is True)


# ---- follow-up calls ------------------------------------------------------------------------------


@router.get("/follow-ups", response_model=Page[views.FollowupView], tags=["follow-up"])
async def list_followups(rt: RuntimeDep, caller: CurrentCaller, paging: Paging) -> Page[views.FollowupView]:
    rows = await store.followups_page(rt.store.db, access.followup_scope(caller), paging)
    cursor = paging.next_cursor([r for r, _ in rows])
    return Page(items=[views.followup_view(r, name) for r, name in rows], next_cursor=cursor)


@router.post("/follow-ups/{followup_id}/outcome", response_model=views.FollowupView, tags=["follow-up"])
async def record_call(
    followup_id: SessionId, body: FollowupOutcomeIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """The outcome of a ~10-minute call: reached or not, and the measure's answers if reached."""
    caller.require("facilitator")

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        who = (caller.provider, caller.sub)  # a facilitator is known by provider and subject
        doc, name = await domain.record_call(uow, followup_id, who, body.reached, body.answers)
        return 200, views.followup_view(doc, name)

    return await write(rt, key, f"{caller.sub}:call:{followup_id}", body.model_dump(), change)


@router.post("/follow-ups/{followup_id}/facilitator", response_model=views.FollowupView, tags=["follow-up"])
async def assign_call(
    followup_id: SessionId, body: AssignIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """A coordinator gives a call not made yet to another facilitator of their provider (one its
    sessions name); another provider's call is not found."""
    caller.require("provider")
    known = await store.facilitators_of(rt.store.db, caller.provider or "-")

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        doc, name = await assignment.assign_call(uow, followup_id, caller.provider, body.facilitator, known)
        return 200, views.followup_view(doc, name)

    return await write(rt, key, f"{caller.sub}:assign:{followup_id}", body.model_dump(), change)


@router.get("/providers/{provider}/follow-up-outcomes", response_model=views.FollowupOutcomes, tags=["follow-up"])
async def outcomes(
    provider: Annotated[str, Path(max_length=60)], rt: RuntimeDep, caller: CurrentCaller
) -> views.FollowupOutcomes:
    """Aggregates only: a distribution is shown once enough parents answered that none stands out."""
    caller.require("provider")
    if caller.provider != provider:
        raise not_found("provider")
    return views.outcomes(provider, await store.completed_followups(rt.store.db, provider), rt.settings.min_cell)


Month = Annotated[str, Query(pattern=r"^20\d\d-(0[1-9]|1[0-2])$")]


@router.get("/reports/follow-up-outcomes", response_model=reports.OutcomeReport, tags=["follow-up"])
async def outcome_report(rt: RuntimeDep, caller: CurrentCaller, since: Month, until: Month) -> reports.OutcomeReport:
    """The follow-up outcome measure per provider, region and month the call was made, small cells
    suppressed: a provider's staff see their provider's, Cafcass every provider's. No person is named."""
    caller.require("provider", "cafcass")
    providers = [caller.provider or "-"] if caller.role == "provider" else list(PROVIDERS)
    start, end = reports.month_start(since), reports.month_start(until, after=True)
    if end <= start or (end - start).days > 745:
        detail = "Ask for from 1 to 24 months, the first before the last."
        raise Problem(422, "bad-range", "Months out of range", detail)
    calls = [c for provider in providers for c in await store.calls_made(rt.store.db, provider, start, end)]
    return reports.report(calls, rt.settings.min_cell)


@router.get("/providers/{provider}/waitlist", response_model=list[views.Waiting], tags=["sessions"])
async def waitlist(provider: Annotated[str, Path(max_length=60)], rt: RuntimeDep, caller: CurrentCaller) -> Any:
    """The provider's parents waiting for a seat, earliest first, each with the seat the allocator
    proposes now (the `offer_seats` sweep books those on its next run, through the same rules as a
    parent's own booking) or none. Read only: nothing is booked by asking."""
    caller.require("provider")
    if caller.provider != provider:
        raise not_found("provider")
    seekers, slots = await store.waiting(rt.store.db, rt.settings, rt.clock.now())
    proposal = domain.allocate(seekers, slots, rt.settings.aim_group)
    mine = [s for s in seekers if s.provider == provider]
    parents = await store.parents_by_id(rt.store.db, [s.participant_id for s in mine])
    return [views.waiting_view(s, parents.get(s.participant_id, {}), proposal.get(s.participant_id)) for s in mine]


@router.post(
    "/providers/{provider}/waitlist/{participant_id}/booking",
    status_code=201,
    response_model=views.BookingView,
    tags=["sessions"],
)
async def approve_seat(
    provider: Annotated[str, Path(max_length=60)],
    participant_id: SessionId,
    body: BookIn,
    rt: RuntimeDep,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
) -> JSONResponse:
    """The coordinator approves the seat the allocator proposes for a waiting parent: booked now,
    through the same rules as a parent's own booking (the parent gets the booking letter). A seat it
    no longer proposes is 409 `proposal-changed`; a parent not waiting, or another provider's, 404."""
    caller.require("provider")
    if caller.provider != provider:
        raise not_found("provider")
    seekers, slots = await store.waiting(rt.store.db, rt.settings, rt.clock.now())
    proposal = domain.allocate(seekers, slots, rt.settings.aim_group)
    mine = {s.participant_id for s in seekers if s.provider == provider}

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        args = (participant_id, body.session_id, mine, proposal, rt.settings)
        booking, session = await assignment.approve_seat(uow, *args)
        return 201, views.booking_view(booking, session, rt.settings.cancel_cutoff, rt.clock.now())

    return await write(rt, key, f"{caller.sub}:approve:{participant_id}", body.model_dump(), change)


# ---- safeguarding concerns -------------------------------------------------------------------------


CONCERN_LINK = {
    "operationId": "read_concern_concerns__concern_id__get",
    "parameters": {"concern_id": "$response.body#/id"},
}


@router.post(
    "/sessions/{session_id}/concerns",
    status_code=201,
    response_model=views.ConcernCreated,
    tags=["safeguarding"],
    openapi_extra={"responses": {"201": {"links": {"read_concern": CONCERN_LINK}}}},
)
async def raise_concern(
    session_id: SessionId, body: ConcernIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """The details stay here; the event carries ids and the category, and the FCA is alerted at once."""
    await _run_by(rt, caller, session_id, "raise concerns here")

    async def change(uow: UnitOfWork) -> tuple[int, BaseModel]:
        args = (body.participant_id, body.category, body.details, caller.sub)
        return 201, views.concern_created(await domain.raise_concern(uow, session_id, *args))

    return await write(rt, key, f"{caller.sub}:concern:{session_id}", body.model_dump(), change)


@router.get("/concerns", response_model=list[views.ConcernCreated], tags=["safeguarding"])
async def list_concerns(
    referral_id: Annotated[str, Query(max_length=64)], rt: RuntimeDep, caller: CurrentCaller
) -> list[views.ConcernCreated]:
    """The concerns raised on a referral, for its FCA alone: ids, category and when, never the
    details (reading those is `GET /concerns/{id}`, and recorded). Anyone else gets an empty list."""
    caller.require("cafcass")
    rows = await store.concerns_of_referral(rt.store.db, referral_id)
    return [views.concern_created(r) for r in rows if domain.may_read_concern(r, caller.sub, caller.role)]


@router.get("/concerns/{concern_id}", response_model=views.ConcernView, tags=["safeguarding"])
async def read_concern(concern_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> views.ConcernView:
    """Only the FCA of that referral: not the facilitator, not the provider, not ops. Every read is
    recorded (who and when) before the details are answered."""
    return views.concern_view(await run(rt, lambda uow: domain.read_concern(uow, concern_id, caller.sub, caller.role)))


@router.get("/concerns/{concern_id}/reads", response_model=list[views.ConcernRead], tags=["safeguarding"])
async def concern_reads(concern_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> list[views.ConcernRead]:
    if not domain.may_read_concern(await store.concern(rt.store.db, concern_id), caller.sub, caller.role):
        raise not_found("concern")
    return [views.ConcernRead(**r) for r in await store.concern_reads(rt.store.db, concern_id)]
