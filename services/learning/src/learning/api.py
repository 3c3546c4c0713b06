"""HTTP routes of the learning service: course content, activation, the parent's own course,
and what an FCA or provider may see and do for their parents."""

from datetime import datetime
from typing import Annotated, Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse

from learning import content, domain
from learning.refusals import activation_needed, course_closed, enrolment_closed, link_refused, sign_in_refused
from learning.schemas import (
    Activate,
    CompletedModule,
    Completion,
    CompletionResult,
    Course,
    EnrolmentView,
    Extended,
    Extension,
    ExtensionView,
    ItemFeedback,
    Language,
    LinkIssued,
    ModuleProgress,
    ModuleSummary,
    ModuleView,
    Progress,
    Resume,
    Session,
    SignIn,
    SignInRequested,
)
from learning.store import (
    ACCOUNTS,
    ACTIVATIONS,
    ENROLMENTS,
    OPEN,
    SIGN_IN_REQUESTS,
    SIGN_INS,
    event_ids,
    issue_activation,
    latest_enrolment,
    spend_link,
)
from ptfc.auth import Caller, CurrentCaller, issue_token
from ptfc.events import AccountActivated, LearningCompleted, LearningExtended, ModuleCompleted
from ptfc.idempotency import IdempotencyKey, once
from ptfc.lookup import email_key
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem, not_found
from ptfc.service import Runtime, RuntimeDep
from ptfc.store import Tx

router = APIRouter()

ModuleNo = Annotated[int, Path(ge=1, le=content.MODULE_COUNT, description="1 to 8")]
EnrolmentId = Annotated[str, Path(max_length=24)]
Lang = Annotated[Language, Query(description="Falls back to English where a module is not translated yet")]

# ---- content ---------------------------------------------------------------------------------


@router.get("/modules", response_model=list[ModuleSummary], tags=["content"])
async def list_modules(lang: Lang = "en") -> list[ModuleSummary]:
    return [ModuleSummary(**m.model_dump(include=set(ModuleSummary.model_fields))) for m in content.course(lang)]


@router.get("/modules/{number}", response_model=ModuleView, tags=["content"])
async def get_module(number: ModuleNo, lang: Lang = "en") -> ModuleView:
    return ModuleView.of(content.module(number, lang))


# ---- activation ------------------------------------------------------------------------------


@router.post("/activate", response_model=Session, tags=["parent"])
async def activate(body: Activate, rt: RuntimeDep, key: IdempotencyKey = None) -> JSONResponse:
    """Use a single-use link from the welcome letter; answers a parent session token."""

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        now = tx.clock.now()
        link = await spend_link(tx, ACTIVATIONS, body.token, link_refused)
        enrolment = await tx.db[ENROLMENTS].find_one({"_id": ObjectId(link["enrolment_id"])}, session=tx.session)
        if enrolment["status"] not in OPEN:
            raise course_closed(enrolment["status"])
        if enrolment["activated_at"] is None:
            await tx.db[ENROLMENTS].update_one(
                {"_id": enrolment["_id"]}, {"$set": {"activated_at": now}}, session=tx.session
            )
            await tx.db[ACCOUNTS].update_one(
                {"_id": enrolment["participant_id"], "activated_at": None},
                {"$set": {"activated_at": now}},
                session=tx.session,
            )
            await tx.emit(AccountActivated(**event_ids(enrolment)), enrolment["referral_id"])
        return 200, _session(rt, enrolment)

    return await once(rt.store, key, "activate", {"token": domain.hash_token(body.token)}, work)


def _session(rt: Runtime, enrolment: dict) -> dict[str, Any]:
    ttl = rt.settings.parent_session_ttl
    session = Session(
        access_token=issue_token(rt.settings.jwt_secret, "parent", enrolment["participant_id"], ttl=ttl),
        expires_in=int(ttl.total_seconds()),
        enrolment_id=str(enrolment["_id"]),
    )
    return session.model_dump(mode="json")


# ---- signing in again ------------------------------------------------------------------------

SIGN_IN_SENT = (
    "If this email address belongs to a Parent Hub account, we have sent a sign-in link to it. "
    "The link works once, for a short time. If nothing arrives, check your junk folder or ask again in a minute."
)


@router.post("/sign-in", status_code=202, response_model=SignInRequested, tags=["parent"])
async def request_sign_in(body: SignIn, rt: RuntimeDep, key: IdempotencyKey = None) -> JSONResponse:
    """An activated parent comes back: we email them a single-use sign-in link. The answer is the
    same whether or not the address has an account, so it tells nobody who is on the course."""
    key_of_email = email_key(rt.settings.email_lookup_key, body.email)
    answer = SignInRequested(message=SIGN_IN_SENT).model_dump()

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        # Only queued here (one pending request per address), answered by a sweep: the same small
        # work for every address, so not even the time taken tells whether it has an account.
        await tx.db[SIGN_IN_REQUESTS].update_one(
            {"_id": key_of_email}, {"$setOnInsert": {"requested_at": tx.clock.now()}}, upsert=True, session=tx.session
        )
        return 202, answer

    return await once(rt.store, key, "sign-in", {"email": key_of_email}, work)


@router.post("/sign-in/session", response_model=Session, tags=["parent"])
async def sign_in(body: Activate, rt: RuntimeDep, key: IdempotencyKey = None) -> JSONResponse:
    """Use a sign-in link from the email; answers a parent session token, like activation."""

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        link = await spend_link(tx, SIGN_INS, body.token, sign_in_refused)
        enrolment = await latest_enrolment(tx, link["participant_id"])
        if enrolment is None or enrolment["status"] not in OPEN:
            raise course_closed(enrolment["status"] if enrolment else "withdrawn")
        if enrolment["activated_at"] is None:  # re-ordered since the link was sent
            raise activation_needed()
        return 200, _session(rt, enrolment)

    return await once(rt.store, key, "sign-in-session", {"token": domain.hash_token(body.token)}, work)


# ---- the parent's own course -------------------------------------------------------------------


async def _my_enrolment(rt: Runtime, caller: Caller) -> dict:
    caller.require("parent")
    enrolment = await rt.store.db[ENROLMENTS].find_one({"participant_id": caller.sub}, sort=[("cycle", -1)])
    if enrolment is None:
        raise Problem(404, "no-course", "No course found", "There is no e-learning course for this account.")
    return enrolment


def _module_progress(enrolment: dict, m: content.Module) -> ModuleProgress:
    completed, positions = enrolment["modules_completed"], enrolment["positions"]
    return ModuleProgress(
        number=m.number,
        title=m.title,
        minutes=m.minutes,
        status=domain.module_status(m.number, completed, positions),
        section=positions.get(str(m.number)),
        sections=len(m.sections),
        completed_at=enrolment["completed_at"].get(str(m.number)),
    )


@router.get("/me/course", response_model=Course, tags=["parent"])
async def my_course(rt: RuntimeDep, caller: CurrentCaller) -> Course:
    e = await _my_enrolment(rt, caller)
    now, deadline = rt.clock.now(), e["deadline"]
    resume = domain.resume_point(e["modules_completed"], e["positions"]) if e["status"] == "active" else None
    return Course(
        enrolment_id=str(e["_id"]),
        cycle=e["cycle"],
        status=e["status"],
        language=e["language"],
        provider=e["provider"],
        deadline=deadline,
        days_left=domain.days_left(deadline, now),
        seconds_left=max(0, int((deadline - now).total_seconds())),
        modules_completed=e["modules_completed"],
        resume=Resume(module=resume[0], section=resume[1]) if resume else None,
        completed_at=e["learning_completed_at"],
        modules=[_module_progress(e, m) for m in content.course(e["language"])],
    )


def _refuse_unless_open(e: dict, number: int, now: datetime) -> None:
    reason = domain.refusal(e["status"], e["modules_completed"], number, e["deadline"], now)
    if reason:
        raise course_closed(reason, e["deadline"])


@router.post("/me/modules/{number}/progress", response_model=ModuleProgress, tags=["parent"])
async def save_progress(number: ModuleNo, body: Progress, rt: RuntimeDep, caller: CurrentCaller) -> ModuleProgress:
    """Remember how far the parent read, so they can sign out and pick up there. Repeating it is harmless."""
    e = await _my_enrolment(rt, caller)
    _refuse_unless_open(e, number, rt.clock.now())
    m = content.module(number, e["language"])
    if body.section > len(m.sections):
        raise Problem(
            422,
            "no-such-section",
            "No such section",
            f"Module {number} has {len(m.sections)} sections.",
            sections=len(m.sections),
        )
    e = await rt.store.db[ENROLMENTS].find_one_and_update(
        {"_id": e["_id"]}, {"$set": {f"positions.{number}": body.section}}, return_document=True
    )
    return _module_progress(e, m)


@router.post("/me/modules/{number}/complete", response_model=CompletionResult, tags=["parent"])
async def complete_module(
    number: ModuleNo, body: Completion, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Complete a module with its activity. A quiz needs every answer right: a wrong one gets
    feedback and the parent tries again, as often as they like. Completing twice acts once."""
    e = await _my_enrolment(rt, caller)
    _refuse_unless_open(e, number, rt.clock.now())
    m = content.module(number, e["language"])
    verdict = domain.check_activity(m.activity, body.answers)
    feedback = [ItemFeedback(id=r.id, correct=r.correct, feedback=r.feedback).model_dump() for r in verdict.results]
    if verdict.unknown:
        raise Problem(
            422,
            "answers-unknown",
            "Some answers are not for this module",
            "Answer only the questions of this module.",
            unknown=verdict.unknown,
        )
    if verdict.missing:
        raise Problem(
            422,
            "answers-missing",
            "Please answer every question",
            "Some questions have no answer yet.",
            missing=verdict.missing,
            feedback=feedback,
        )
    if not verdict.passed:
        raise Problem(
            422,
            "answers-incorrect",
            "Not quite: have another look",
            "Read the feedback, then try again. You can try as many times as you need.",
            feedback=feedback,
        )

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        now = tx.clock.now()
        fresh = await tx.db[ENROLMENTS].find_one({"_id": e["_id"]}, session=tx.session)
        _refuse_unless_open(fresh, number, now)
        already = number <= fresh["modules_completed"]
        done = number if not already else fresh["modules_completed"]
        if not already:
            finished = number == content.MODULE_COUNT
            changes: dict[str, Any] = {"modules_completed": number, f"completed_at.{number}": now}
            if finished:
                changes |= {"status": "completed", "learning_completed_at": now, "reminder_due": None}
            claimed = await tx.db[ENROLMENTS].update_one(
                {"_id": e["_id"], "status": "active", "modules_completed": number - 1, "deadline": {"$gt": now}},
                {"$set": changes},
                session=tx.session,
            )
            if not claimed.modified_count:  # the clock or a concurrent completion won: answer from its state
                raise Problem(409, "conflict", "Please try again", "Your course changed while saving. Reload it.")
            await tx.emit(
                ModuleCompleted(**event_ids(fresh), module=number, modules_completed=number), fresh["referral_id"]
            )
            if finished:
                await tx.emit(LearningCompleted(**event_ids(fresh), completed_at=now), fresh["referral_id"])
        result = CompletionResult(
            module=number,
            modules_completed=done,
            learning_completed=done == content.MODULE_COUNT,
            already_completed=already,
            feedback=feedback,
            message=m.activity.closing,
            next_module=number + 1 if number < content.MODULE_COUNT else None,
        )
        return 200, result.model_dump(mode="json")

    return await once(rt.store, key, f"{caller.sub}:complete:{number}", body.model_dump(), work)


# ---- FCA and provider ----------------------------------------------------------------------------


def _may_see(caller: Caller, enrolment: dict) -> bool:
    """An FCA follows the referrals they made; provider staff the parents routed to them."""
    if caller.role == "cafcass":
        return enrolment.get("fca_id") == caller.sub
    if caller.role == "provider":
        return caller.provider is not None and enrolment["provider"] == caller.provider
    return False


async def _visible(rt: Runtime, caller: Caller, enrolment_id: str) -> dict:
    try:
        oid = ObjectId(enrolment_id)
    except InvalidId as error:
        raise not_found("enrolment") from error
    enrolment = await rt.store.db[ENROLMENTS].find_one({"_id": oid})
    if enrolment is None or not _may_see(caller, enrolment):
        raise not_found("enrolment")
    return enrolment


def _view(e: dict, now: datetime) -> EnrolmentView:
    if e["activated_at"]:
        activation = "activated"
    elif e["link_expires_at"] and now >= e["link_expires_at"]:
        activation = "expired"
    else:
        activation = "pending"
    return EnrolmentView(
        **event_ids(e),
        provider=e["provider"],
        status=e["status"],
        activation=activation,
        activated_at=e["activated_at"],
        issued_at=e["issued_at"],
        deadline=e["deadline"],
        modules_completed=e["modules_completed"],
        modules=[CompletedModule(number=int(n), completed_at=at) for n, at in sorted(e["completed_at"].items())],
        learning_completed_at=e["learning_completed_at"],
        extensions=[ExtensionView(**x) for x in e["extensions"]],
    )


@router.get("/enrolments", response_model=Page[EnrolmentView], tags=["staff"])
async def list_enrolments(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    referral_id: Annotated[str, Query(min_length=1, max_length=100)],
) -> Page[EnrolmentView]:
    caller.require("cafcass", "provider")
    scope = {"fca_id": caller.sub} if caller.role == "cafcass" else {"provider": caller.provider or "-"}
    query = {"referral_id": referral_id, **scope, **paging.filter()}
    rows = await rt.store.db[ENROLMENTS].find(query).sort("_id", 1).limit(paging.limit).to_list()
    now = rt.clock.now()
    return Page(items=[_view(r, now) for r in rows], next_cursor=paging.next_cursor(rows))


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentView, tags=["staff"])
async def get_enrolment(enrolment_id: EnrolmentId, rt: RuntimeDep, caller: CurrentCaller) -> EnrolmentView:
    caller.require("cafcass", "provider")
    return _view(await _visible(rt, caller, enrolment_id), rt.clock.now())


@router.post("/enrolments/{enrolment_id}/activation", status_code=201, response_model=LinkIssued, tags=["staff"])
async def reissue_link(
    enrolment_id: EnrolmentId, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Send the parent a new link (also a way back in after activation); older unused links stop working.
    The link goes to the parent by email, never to the caller. The deadline does not move."""
    caller.require("cafcass", "provider")
    e = await _visible(rt, caller, enrolment_id)

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        fresh = await tx.db[ENROLMENTS].find_one({"_id": e["_id"]}, session=tx.session)
        if fresh["status"] not in OPEN:
            raise enrolment_closed(fresh["status"])
        expires_at = await issue_activation(tx, rt.settings, fresh, reissue=True)
        issued = LinkIssued(enrolment_id=enrolment_id, expires_at=expires_at, deadline=fresh["deadline"])
        return 201, issued.model_dump(mode="json")

    return await once(rt.store, key, f"{caller.sub}:activation:{enrolment_id}", {}, work)


@router.post("/enrolments/{enrolment_id}/extensions", status_code=201, response_model=Extended, tags=["staff"])
async def extend(
    enrolment_id: EnrolmentId, body: Extension, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """An FCA gives their parent more days; reminders are re-armed for the new deadline."""
    caller.require("cafcass")
    e = await _visible(rt, caller, enrolment_id)

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        now = tx.clock.now()
        fresh = await tx.db[ENROLMENTS].find_one({"_id": e["_id"]}, session=tx.session)
        if fresh["status"] != "active" or now >= fresh["deadline"]:
            raise enrolment_closed("missed" if fresh["status"] == "active" else fresh["status"])
        deadline = domain.extended(fresh["deadline"], body.days, rt.settings.extension_unit)
        reminder_due = domain.next_reminder(deadline, rt.settings.reminders, now)
        record = {"days": body.days, "reason": body.reason, "deadline": deadline, "at": now}
        moved = await tx.db[ENROLMENTS].update_one(
            {"_id": e["_id"], "status": "active", "deadline": fresh["deadline"]},
            {"$set": {"deadline": deadline, "reminder_due": reminder_due}, "$push": {"extensions": record}},
            session=tx.session,
        )
        if not moved.modified_count:
            raise Problem(409, "conflict", "Please try again", "The enrolment changed while extending it.")
        await tx.emit(
            LearningExtended(**event_ids(fresh), deadline=deadline, days=body.days, reason=body.reason),
            fresh["referral_id"],
        )
        done = Extended(enrolment_id=enrolment_id, deadline=deadline, days=body.days, reason=body.reason)
        return 201, done.model_dump(mode="json")

    return await once(rt.store, key, f"{caller.sub}:extend:{enrolment_id}", body.model_dump(), work)
