"""HTTP routes of the workshops service: sessions for provider staff and facilitators, booking for
parents, attendance, follow-up calls and safeguarding concerns."""

from typing import Annotated, Any

from bson import ObjectId
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from ptfc.auth import Caller, CurrentCaller
from ptfc.events import FollowupCompleted, SafeguardingConcernRaised
from ptfc.idempotency import IdempotencyKey, once
from ptfc.models import DateTime
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem, not_found
from ptfc.service import Runtime, RuntimeDep
from ptfc.store import Tx
from workshops import access, domain, store, views
from workshops.schemas import (
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
from workshops.store import BOOKINGS, CONCERN_READS, CONCERNS, FOLLOWUPS, PARENTS, SESSIONS, TAKEN, WAITLIST

router = APIRouter()
SessionId = Annotated[str, Path(max_length=24)]
Refused = domain.Refused


def _dump(model: Any) -> dict:
    return model.model_dump(mode="json")


async def _session(rt: Runtime, caller: Caller, session_id: str, tx: Tx | None = None) -> dict:
    sid = store.oid(session_id)
    db, s = (tx.db, tx.session) if tx else (rt.store.db, None)
    return access.visible(caller, sid and await db[SESSIONS].find_one({"_id": sid}, session=s))


# ---- sessions (provider staff, facilitators) ------------------------------------------------------


@router.post("/sessions", status_code=201, response_model=views.SessionView, tags=["sessions"])
async def create_session(
    body: SessionIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    caller.require("provider")
    if not caller.provider:
        raise Problem(403, "forbidden", "Not allowed", "Provider staff tokens name their provider.")
    parts = sorted((p.starts_at, p.ends_at) for p in body.parts)
    domain.check_shape(body.pattern, parts, body.capacity, rt.clock.now(), rt.settings.rules)
    domain.check_place(body.format, body.video_link, body.venue)

    async def work(tx: Tx) -> tuple[int, dict]:
        doc = store.new_session(body.model_dump(), parts, caller, tx.clock.now(), rt.settings)
        await tx.db[SESSIONS].insert_one(doc, session=tx.session)
        return 201, _dump(views.session_view(doc))

    return await once(rt.store, key, f"{caller.sub}:session", body.model_dump(mode="json"), work)


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
    query = {**access.session_scope(caller), **paging.filter()}
    query |= store.session_filters(starts_from, starts_to, format=format, pattern=pattern, language=language)
    rows = await rt.store.db[SESSIONS].find(query).sort("_id", 1).limit(paging.limit).to_list()
    return Page(items=[views.session_view(r) for r in rows], next_cursor=paging.next_cursor(rows))


@router.get("/sessions/{session_id}", response_model=views.SessionView, tags=["sessions"])
async def get_session(session_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> views.SessionView:
    return views.session_view(await _session(rt, caller, session_id))


@router.patch("/sessions/{session_id}", response_model=views.SessionView, tags=["sessions"])
async def change_session(
    session_id: SessionId, body: SessionPatch, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    async def work(tx: Tx) -> tuple[int, dict]:
        session = await _session(rt, caller, session_id, tx)
        if not access.manages(caller, session):
            raise not_found("session")
        doc = await store.change_session(tx, rt.settings, session, body.model_dump(exclude_unset=True))
        return 200, _dump(views.session_view(doc))

    return await once(rt.store, key, f"{caller.sub}:patch:{session_id}", body.model_dump(mode="json"), work)


@router.post("/sessions/{session_id}/cancel", response_model=views.SessionView, tags=["sessions"])
async def cancel_session(session_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> views.SessionView:
    """Cancels every booking; each parent is told and put on the waiting list for another."""

    async def work(tx: Tx) -> dict:
        session = await _session(rt, caller, session_id, tx)
        if not access.manages(caller, session):
            raise not_found("session")
        return await store.cancel_session(tx, session)

    return views.session_view(await rt.store.run(work))


@router.get("/sessions/{session_id}/participants", response_model=list[views.ParticipantView], tags=["sessions"])
async def participants(session_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> list[views.ParticipantView]:
    await _session(rt, caller, session_id)  # visible to this caller, or not found
    bookings = await rt.store.db[BOOKINGS].find({"session_id": session_id, "status": {"$in": TAKEN}}).to_list()
    parents = {
        p["_id"]: p
        for p in await rt.store.db[PARENTS].find({"_id": {"$in": [b["participant_id"] for b in bookings]}}).to_list()
    }
    return [views.participant_view(parents[b["participant_id"]], b) for b in bookings if b["participant_id"] in parents]


@router.post("/sessions/{session_id}/attendance", response_model=views.AttendanceView, tags=["attendance"])
async def record_attendance(
    session_id: SessionId, body: AttendanceIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """One part for one parent. Recording the same again acts once; a correction is allowed until
    the session closes, but not once `workshop.attended` is sent."""

    async def work(tx: Tx) -> tuple[int, dict]:
        session = await _session(rt, caller, session_id, tx)
        if not access.runs(caller, session):
            raise Problem(403, "forbidden", "Not allowed", "Only the session's facilitators record attendance.")
        store.check_open_part(session, body.part, tx.clock.now())
        booking = await store.record_mark(tx, rt.settings, session, body.participant_id, body.part, body.status)
        view = views.AttendanceView(
            participant_id=body.participant_id, attendance=booking["marks"], status=booking["status"]
        )
        return 200, _dump(view)

    return await once(rt.store, key, f"{caller.sub}:attendance:{session_id}", body.model_dump(), work)


# ---- the parent's booking ----------------------------------------------------------------------------


async def _me(rt: Runtime, caller: Caller, tx: Tx | None = None) -> dict:
    caller.require("parent")
    db, s = (tx.db, tx.session) if tx else (rt.store.db, None)
    parent = await db[PARENTS].find_one({"_id": caller.sub}, session=s)
    if parent is None or "provider" not in parent:  # only `learning.completed` has arrived so far
        raise Refused("not-referred", "There is no workshop course for this account yet.")
    return parent


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

    async def work(tx: Tx) -> tuple[int, dict]:
        booking = await store.book(tx, rt.settings, caller.sub, body.session_id)
        session = await tx.db[SESSIONS].find_one({"_id": ObjectId(body.session_id)}, session=tx.session)
        return 201, _dump(views.booking_view(booking, session, rt.settings.cancel_cutoff))

    return await once(rt.store, key, f"{caller.sub}:book", body.model_dump(), work)


async def _my_booking(rt: Runtime, caller: Caller, tx: Tx | None = None) -> tuple[dict, dict]:
    parent = await _me(rt, caller, tx)
    db, s = (tx.db, tx.session) if tx else (rt.store.db, None)
    booking = parent.get("booking_id") and await db[BOOKINGS].find_one(
        {"_id": ObjectId(parent["booking_id"])}, session=s
    )
    if not booking:
        raise Refused("no-booking", "You have no workshop booked.")
    return booking, await db[SESSIONS].find_one({"_id": ObjectId(booking["session_id"])}, session=s)


@router.get("/me/booking", response_model=views.BookingView, tags=["parent"])
async def my_booking(rt: RuntimeDep, caller: CurrentCaller) -> views.BookingView:
    booking, session = await _my_booking(rt, caller)
    return views.booking_view(booking, session, rt.settings.cancel_cutoff)


@router.delete("/me/booking", response_model=views.BookingView, tags=["parent"])
async def cancel_my_booking(rt: RuntimeDep, caller: CurrentCaller) -> views.BookingView:
    """Allowed until the cut-off before the first part; the seat goes to the next parent waiting."""

    async def work(tx: Tx) -> views.BookingView:
        booking, session = await _my_booking(rt, caller, tx)
        domain.check_may_cancel(session["starts_at"], tx.clock.now(), rt.settings.cancel_cutoff)
        await store.cancel_booking(tx, booking, "parent_cancelled")
        return views.booking_view({**booking, "status": "cancelled"}, session, rt.settings.cancel_cutoff)

    return await rt.store.run(work)


@router.post("/me/waitlist", status_code=201, response_model=views.WaitlistView, tags=["parent"])
async def wait(body: WaitIn, rt: RuntimeDep, caller: CurrentCaller) -> views.WaitlistView:
    """Nothing suits: wait for a seat in a session of these patterns and formats. A seat that fits
    is booked for the parent (first come, first served), and they get the booking letter."""

    async def work(tx: Tx) -> dict:
        parent = await _me(rt, caller, tx)
        domain.check_may_book(store.course_of(parent), rt.settings.max_misses)
        return await store.join_waitlist(tx, caller.sub, body.patterns, body.formats)

    return views.WaitlistView(**await rt.store.run(work))


@router.get("/me/waitlist", response_model=views.WaitlistView, tags=["parent"])
async def my_wait(rt: RuntimeDep, caller: CurrentCaller) -> views.WaitlistView:
    await _me(rt, caller)
    wish = await rt.store.db[WAITLIST].find_one({"_id": caller.sub})
    if wish is None:
        raise not_found("waiting list entry")
    return views.WaitlistView(**wish)


@router.delete("/me/waitlist", status_code=204, tags=["parent"])
async def leave_waitlist(rt: RuntimeDep, caller: CurrentCaller) -> None:
    await _me(rt, caller)
    await rt.store.db[WAITLIST].delete_one({"_id": caller.sub})


@router.put("/me/follow-up-consent", response_model=views.ConsentView, tags=["parent"])
async def consent(body: ConsentIn, rt: RuntimeDep, caller: CurrentCaller) -> views.ConsentView:
    """Consent to a follow-up call, or withdraw it (a call already scheduled is then cancelled)."""

    async def work(tx: Tx) -> None:
        await _me(rt, caller, tx)
        await tx.db[PARENTS].update_one({"_id": caller.sub}, {"$set": {"consent": body.consent}}, session=tx.session)
        if not body.consent:
            await tx.db[FOLLOWUPS].update_many(
                {"participant_id": caller.sub, "status": "scheduled"},
                {"$set": {"status": "withdrawn"}},
                session=tx.session,
            )

    await rt.store.run(work)
    return views.ConsentView(consent=body.consent)


@router.get("/me/follow-up-consent", response_model=views.ConsentView, tags=["parent"])
async def my_consent(rt: RuntimeDep, caller: CurrentCaller) -> views.ConsentView:
    return views.ConsentView(consent=(await _me(rt, caller)).get("consent") is True)


# ---- follow-up calls ------------------------------------------------------------------------------


@router.get("/follow-ups", response_model=Page[views.FollowupView], tags=["follow-up"])
async def list_followups(rt: RuntimeDep, caller: CurrentCaller, paging: Paging) -> Page[views.FollowupView]:
    caller.require("facilitator", "provider")
    scope = {"facilitator": caller.sub} if caller.role == "facilitator" else {"provider": caller.provider or "-"}
    rows = await rt.store.db[FOLLOWUPS].find({**scope, **paging.filter()}).sort("_id", 1).limit(paging.limit).to_list()
    names = {
        p["_id"]: p["given_name"]
        for p in await rt.store.db[PARENTS].find({"_id": {"$in": [r["participant_id"] for r in rows]}}).to_list()
    }
    return Page(
        items=[views.followup_view(r, names.get(r["participant_id"], "")) for r in rows],
        next_cursor=paging.next_cursor(rows),
    )


@router.post("/follow-ups/{followup_id}/outcome", response_model=views.FollowupView, tags=["follow-up"])
async def record_call(
    followup_id: SessionId, body: FollowupOutcomeIn, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """The outcome of a ~10-minute call: reached or not, and the measure's answers if reached."""
    caller.require("facilitator")
    if body.reached:
        domain.check_measure(body.answers or {})
    elif body.answers:
        raise Refused("answers-without-reach", "Send answers only for a call that reached the parent.")

    async def work(tx: Tx) -> tuple[int, dict]:
        fid = store.oid(followup_id)
        doc = fid and await tx.db[FOLLOWUPS].find_one({"_id": fid, "facilitator": caller.sub}, session=tx.session)
        if not doc:
            raise not_found("follow-up")
        if doc["status"] != "scheduled":
            raise Refused("followup-recorded" if doc["status"] == "completed" else "followup-closed")
        done = {"status": "completed", "reached": body.reached, "answers": body.answers, "completed_at": tx.clock.now()}
        await tx.db[FOLLOWUPS].update_one({"_id": fid, "status": "scheduled"}, {"$set": done}, session=tx.session)
        ids = {k: doc[k] for k in ("referral_id", "participant_id")}
        await tx.emit(FollowupCompleted(**ids, followup_id=followup_id), doc["referral_id"])
        parent = await tx.db[PARENTS].find_one({"_id": doc["participant_id"]}, session=tx.session)
        return 200, _dump(views.followup_view({**doc, **done}, parent["given_name"] if parent else ""))

    return await once(rt.store, key, f"{caller.sub}:call:{followup_id}", body.model_dump(), work)


@router.get("/providers/{provider}/follow-up-outcomes", response_model=views.FollowupOutcomes, tags=["follow-up"])
async def outcomes(
    provider: Annotated[str, Path(max_length=60)], rt: RuntimeDep, caller: CurrentCaller
) -> views.FollowupOutcomes:
    """Aggregates only: a distribution is shown once enough parents answered that none stands out."""
    caller.require("provider")
    if caller.provider != provider:
        raise not_found("provider")
    done = (
        await rt.store.db[FOLLOWUPS]
        .find({"provider": provider, "status": "completed"}, {"reached": 1, "answers": 1})
        .to_list()
    )
    return store.aggregate(provider, done, rt.settings.min_cell)


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

    async def work(tx: Tx) -> tuple[int, dict]:
        session = await _session(rt, caller, session_id, tx)
        if not access.runs(caller, session):
            raise Problem(403, "forbidden", "Not allowed", "Only the session's facilitators raise concerns here.")
        doc = await store.new_concern(tx, session, body.participant_id, body.category, body.details, caller.sub)
        event = SafeguardingConcernRaised(
            concern_id=str(doc["_id"]),
            referral_id=doc["referral_id"],
            participant_id=doc["participant_id"],
            session_id=session_id,
            raised_at=doc["raised_at"],
            category=doc["category"],
        )
        await tx.emit(event, doc["referral_id"])
        return 201, _dump(views.concern_created(doc))

    return await once(rt.store, key, f"{caller.sub}:concern:{session_id}", body.model_dump(), work)


async def _concern_for_fca(rt: Runtime, caller: Caller, concern_id: str) -> dict:
    """Only the FCA of that referral: not the facilitator, not the provider, not ops."""
    cid = store.oid(concern_id)
    doc = cid and await rt.store.db[CONCERNS].find_one({"_id": cid})
    if not doc or caller.role != "cafcass" or caller.sub != doc["fca_id"]:
        raise not_found("concern")
    return doc


@router.get("/concerns/{concern_id}", response_model=views.ConcernView, tags=["safeguarding"])
async def read_concern(concern_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> views.ConcernView:
    """Every read is recorded (who and when) before the details are answered."""
    doc = await _concern_for_fca(rt, caller, concern_id)
    await rt.store.db[CONCERN_READS].insert_one(
        {"concern_id": concern_id, "reader": caller.sub, "role": caller.role, "at": rt.clock.now()}
    )
    return views.ConcernView(
        **_dump(views.concern_created(doc)),
        referral_id=doc["referral_id"],
        details=doc["details"],
        raised_by=doc["raised_by"],
    )


@router.get("/concerns/{concern_id}/reads", response_model=list[views.ConcernRead], tags=["safeguarding"])
async def concern_reads(concern_id: SessionId, rt: RuntimeDep, caller: CurrentCaller) -> list[views.ConcernRead]:
    await _concern_for_fca(rt, caller, concern_id)
    rows = await rt.store.db[CONCERN_READS].find({"concern_id": concern_id}).sort("at", 1).to_list(1000)
    return [views.ConcernRead(**r) for r in rows]
