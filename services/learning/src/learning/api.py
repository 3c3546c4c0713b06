"""HTTP routes of the learning service: course content, activation, the parent's own course,
and what an FCA or provider may see and do for their parents. Each route checks who may see the
record (access) and makes one call of `domain`, a write in a unit of work (ptfc.writes), answering
its result (views); a refusal the rule raises is answered by the app, worded by refusals.WORDS."""

from typing import Annotated, Any

from fastapi import APIRouter, Header, Path, Query, Request
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from learning import content, domain, media, store, views
from learning.access import my_enrolment, staff_scope, visible_enrolment
from learning.schemas import (
    AccessToken,
    Activate,
    Completion,
    CompletionResult,
    Course,
    EnrolmentView,
    Extended,
    Extension,
    LinkIssued,
    ModuleProgress,
    ModuleSummary,
    ModuleView,
    Progress,
    Session,
    SessionSecret,
    SignIn,
    SignInRequested,
)
from ptfc.auth import CurrentCaller
from ptfc.idempotency import IdempotencyKey, once
from ptfc.lookup import email_key
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem, not_found
from ptfc.programme import Language
from ptfc.runtime import Runtime, RuntimeDep
from ptfc.store import Tx
from ptfc.writes import writes

router = APIRouter()

ModuleNo = Annotated[int, Path(ge=1, le=content.MODULE_COUNT, description="1 to 8")]
EnrolmentId = Annotated[str, Path(max_length=24)]
Lang = Annotated[Language, Query(description="Falls back to English where a module is not translated yet")]
MediaName = Annotated[str, Path(pattern=r"^[a-z0-9][a-z0-9.]{0,39}$", description="e.g. video.webm, captions.pl.vtt")]
write, run = writes(store.UnitOfWork)  # one domain call in one unit of work (ptfc.writes)


# ---- content ---------------------------------------------------------------------------------


@router.get("/modules", response_model=list[ModuleSummary], tags=["content"])
async def list_modules(lang: Lang = "en") -> list[ModuleSummary]:
    return [ModuleSummary(**m.model_dump(include=set(ModuleSummary.model_fields))) for m in content.course(lang)]


@router.get("/modules/{number}", response_model=ModuleView, tags=["content"])
async def get_module(number: ModuleNo, lang: Lang = "en") -> ModuleView:
    return ModuleView.of(content.module(number, lang))


@router.get("/modules/{number}/media/{file}", tags=["content"], response_class=Response, responses=media.RESPONSES)
async def module_media(
    request: Request,
    number: ModuleNo,
    file: MediaName,
    rt: RuntimeDep,
    caller: CurrentCaller,
    lang: Lang = "en",
    range: Annotated[str | None, Header(description="`bytes=first-last`, `bytes=first-` or `bytes=-suffix`")] = None,
    if_range: Annotated[str | None, Header()] = None,
) -> Response:
    """A file of the module's film (`video.sources`, `video.captions` of the module): a film as
    `video/webm` or `video/mp4`, captions as `text/vtt`, in byte ranges. For a parent of an enrolment
    only: the text of the course is public, but a provider's film may show its staff or be licensed
    for the course alone, so it is not published."""
    await my_enrolment(rt.store.db, caller)
    video = content.module(number, lang).video
    if video is None or file not in video.files:
        raise not_found("media file")
    path, media_type = video.files[file]
    return media.serve(request, path, media_type, range, if_range)


# ---- activation and signing in -----------------------------------------------------------------


@router.post("/activate", response_model=Session, tags=["parent"])
async def activate(body: Activate, rt: RuntimeDep, key: IdempotencyKey = None) -> JSONResponse:
    """Use a single-use link from the welcome letter; answers a parent session token."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, await _signed_in(uow, rt, await domain.activate(uow, body.token))

    return await write(rt, key, "activate", {"token": domain.hash_token(body.token)}, change)


SIGN_IN_SENT = (
    "If this email address belongs to a Parent Hub account, we have sent a sign-in link to it. "
    "The link works once, for a short time. If nothing arrives, check your junk folder or ask again in a minute."
)


@router.post("/sign-in", status_code=202, response_model=SignInRequested, tags=["parent"])
async def request_sign_in(body: SignIn, rt: RuntimeDep, key: IdempotencyKey = None) -> JSONResponse:
    """An activated parent comes back: we email them a single-use sign-in link. The answer is the
    same whether or not the address has an account, so it tells nobody who is on the course."""
    key_of_email = email_key(rt.settings.email_lookup_key, body.email)

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        # Only queued here, answered by a sweep: the same small work for every address, so not even
        # the time taken tells whether it has an account.
        await store.queue_sign_in(tx, key_of_email)
        return 202, SignInRequested(message=SIGN_IN_SENT).model_dump()

    return await once(rt.store, key, "sign-in", {"email": key_of_email}, work)


@router.post("/sign-in/session", response_model=Session, tags=["parent"])
async def sign_in(body: Activate, rt: RuntimeDep, key: IdempotencyKey = None) -> JSONResponse:
    """Use a sign-in link from the email; answers a parent session token, like activation."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, await _signed_in(uow, rt, await domain.sign_in(uow, body.token))

    return await write(rt, key, "sign-in-session", {"token": domain.hash_token(body.token)}, change)


async def _signed_in(uow: store.UnitOfWork, rt: Runtime, enrolment: dict[str, Any]) -> BaseModel:
    """A new session for the parent of this enrolment, in the same unit of work as the link's use."""
    secret, record = await domain.open_session(uow, rt.settings, enrolment)
    return views.session(rt.settings, enrolment, secret, record)


@router.post("/sessions/refresh", response_model=AccessToken, tags=["parent"])
async def refresh_session(body: SessionSecret, rt: RuntimeDep) -> JSONResponse:
    """A fresh short token (a minute) from the session's secret, which the hub holds; refused (401
    `session-ended`) once the session has ended: signed out, withdrawn, re-ordered, or past its time."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, views.access_token(rt.settings, await domain.current_session(uow, body.refresh_token))

    return await write(rt, None, "refresh", {}, change)


@router.post("/sessions/end", status_code=204, tags=["parent"])
async def end_session(body: SessionSecret, rt: RuntimeDep) -> Response:
    """Sign-out: the session ends, so its token stops working everywhere within a minute. The same
    answer for a session already ended or unknown."""
    await run(rt, lambda uow: domain.end_session(uow, body.refresh_token))
    return Response(status_code=204)


# ---- the parent's own course -------------------------------------------------------------------


@router.get("/me/course", response_model=Course, tags=["parent"])
async def my_course(rt: RuntimeDep, caller: CurrentCaller) -> Course:
    e = await my_enrolment(rt.store.db, caller)
    earlier = await store.earlier_enrolments(rt.store.db, caller.sub, e["cycle"]) if e["cycle"] > 1 else []
    return views.course(e, rt.clock.now(), earlier)


@router.post("/me/modules/{number}/progress", response_model=ModuleProgress, tags=["parent"])
async def save_progress(number: ModuleNo, body: Progress, rt: RuntimeDep, caller: CurrentCaller) -> ModuleProgress:
    """Remember how far the parent read, so they can sign out and pick up there. Repeating it is harmless."""
    e = await my_enrolment(rt.store.db, caller)
    domain.refuse_unless_open(e, number, rt.clock.now())
    m = content.module(number, e["language"])
    if body.section > len(m.sections):
        sections = len(m.sections)
        detail = f"Module {number} has {sections} sections."
        raise Problem(422, "no-such-section", "No such section", detail, sections=sections)
    return views.module_progress(await store.save_position(rt.store.db, e["_id"], number, body.section), m)


@router.post("/me/modules/{number}/complete", response_model=CompletionResult, tags=["parent"])
async def complete_module(
    number: ModuleNo,
    body: Completion,
    rt: RuntimeDep,
    caller: CurrentCaller,
    key: IdempotencyKey = None,
    lang: Annotated[Language | None, Query(description="The page's language; default the referral's")] = None,
) -> JSONResponse:
    """Complete a module with its activity. A quiz needs every answer right: a wrong one gets
    feedback and the parent tries again, as often as they like. Completing twice acts once.
    The feedback and closing words are in the language the parent reads the module in (`lang`), which
    may not be the referral's: ids and answers are the same in every language."""
    e = await my_enrolment(rt.store.db, caller)
    domain.refuse_unless_open(e, number, rt.clock.now())
    m = content.module(number, lang or e["language"])
    verdict = domain.grade(m.activity, body.answers)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        done, already = await domain.complete_module(uow, str(e["_id"]), number)
        return 200, views.completion(number, done, already, verdict, m)

    return await write(rt, key, f"{caller.sub}:complete:{number}", body.model_dump(), change)


# ---- FCA and provider ----------------------------------------------------------------------------


@router.get("/enrolments", response_model=Page[EnrolmentView], tags=["staff"])
async def list_enrolments(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    referral_id: Annotated[str, Query(min_length=1, max_length=100)],
) -> Page[EnrolmentView]:
    rows = await store.enrolments_page(rt.store.db, {"referral_id": referral_id, **staff_scope(caller)}, paging)
    now = rt.clock.now()
    return Page(items=[views.enrolment(r, now) for r in rows], next_cursor=paging.next_cursor(rows))


@router.get("/enrolments/{enrolment_id}", response_model=EnrolmentView, tags=["staff"])
async def get_enrolment(enrolment_id: EnrolmentId, rt: RuntimeDep, caller: CurrentCaller) -> EnrolmentView:
    return views.enrolment(await visible_enrolment(rt.store.db, caller, enrolment_id), rt.clock.now())


@router.post("/enrolments/{enrolment_id}/activation", status_code=201, response_model=LinkIssued, tags=["staff"])
async def reissue_link(
    enrolment_id: EnrolmentId, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """Send the parent a new link (also a way back in after activation); older unused links stop working.
    The link goes to the parent by email, never to the caller. The deadline does not move."""
    await visible_enrolment(rt.store.db, caller, enrolment_id)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 201, views.link_issued(await domain.reissue(uow, rt.settings, enrolment_id))

    return await write(rt, key, f"{caller.sub}:activation:{enrolment_id}", {}, change)


@router.post("/enrolments/{enrolment_id}/extensions", status_code=201, response_model=Extended, tags=["staff"])
async def extend(
    enrolment_id: EnrolmentId, body: Extension, rt: RuntimeDep, caller: CurrentCaller, key: IdempotencyKey = None
) -> JSONResponse:
    """An FCA gives their parent more days; reminders are re-armed for the new deadline."""
    caller.require("cafcass")
    await visible_enrolment(rt.store.db, caller, enrolment_id)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 201, views.extended(await domain.extend(uow, rt.settings, enrolment_id, body.days, body.reason))

    return await write(rt, key, f"{caller.sub}:extend:{enrolment_id}", body.model_dump(), change)
