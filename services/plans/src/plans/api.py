"""HTTP routes of the plans service: topics, plans and their negotiation, sharing, history,
the children's version and the Word and PDF files. Each write makes one call of `domain` in a
unit of work, once per Idempotency-Key, and maps its answer (views) or its refusal (refusals)."""

from functools import partial
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Path, Query, Request
from fastapi.responses import HTMLResponse, JSONResponse, Response
from pydantic import BaseModel

from plans import content, domain, exports, store, views
from plans.access import Caller, client_of, limit_public, reader_of
from plans.content import Language
from plans.schemas import (
    Acceptance,
    ChildView,
    CoParentPlan,
    HistoryEntry,
    Invited,
    Join,
    Joined,
    Left,
    MoreTopics,
    NewPlan,
    PlanSummary,
    PlanView,
    Proposal,
    ReplyEmails,
    SetAside,
    Share,
    Started,
    TopicKey,
    TopicView,
)
from plans.views import for_children_html, for_children_view, history_view, plan_view, summary, topic_view
from ptfc.idempotency import IdempotencyKey
from ptfc.pagination import Page
from ptfc.problems import Problem
from ptfc.runtime import Runtime, RuntimeDep
from ptfc.writes import writes

router = APIRouter()

PlanId = Annotated[str, Path(min_length=16, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Lang = Annotated[Language, Query()]
# The language the reader asks for (the hub passes the parent's); else the one they chose, else the plan's.
ReadIn = Annotated[Language | None, Query(alias="lang", description="Answer in this language (else yours).")]
Limit = Annotated[int, Query(ge=1, le=200)]
Cursor = Annotated[str | None, Query(max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
# Anyone may start a plan or accept an invitation: a credential is used when sent, not required.
ANYONE = {"security": [{"HTTPBearer": []}, {"PlanToken": []}, {}]}


def link(status: str, operation_id: str, **parameters: str) -> dict:
    """An OpenAPI link from this route's answer to the plan it names (ptfc.openapi adds the rest)."""
    return {"responses": {status: {"links": {operation_id: {"operationId": operation_id, "parameters": parameters}}}}}


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"
write, run = writes(store.UnitOfWork)  # one domain call in one unit of work (ptfc.writes)


async def step(rt: Runtime, key: str | None, scope: str, payload: Any, plan_id: str, who: Any, act: Any, lang=None):
    """One step of the negotiation (domain.negotiate), answered as the plan the caller now sees."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, plan_view(*await domain.negotiate(uow, plan_id, who, act, rt.settings), lang)

    return await write(rt, key, scope, payload, change)


@router.get("/topics", response_model=list[TopicView], tags=["plan"])
async def list_topics(lang: Lang = "en") -> list[TopicView]:
    return [topic_view(t) for t in content.topics(lang)]


@router.get("/plan-template.docx", tags=["plan"], response_class=Response)
async def blank_template(lang: Lang = "en") -> Response:
    """A blank plan to fill in on paper or in Word, for parents who do not use it online."""
    headers = {"Content-Disposition": f'attachment; filename="our-childs-plan-{lang}.docx"'}
    return Response(exports.template_docx(lang), media_type=DOCX, headers=headers)


def limit_strangers(request: Request, who: Caller) -> None:
    """Starting a plan without an account is public: limited per client, before the body is read."""
    if not who.participant_id:
        limit_public(request)


@router.post(
    "/plans",
    status_code=201,
    response_model=Started,
    responses={202: {"model": CoParentPlan, "description": "The co-parent's plan was shared again instead"}},
    tags=["plan"],
    dependencies=[Depends(limit_strangers)],
    openapi_extra=ANYONE | link("201", "get_plan_plans__plan_id__get", plan_id="$response.body#/plan/id"),
)
async def start_plan(request: Request, body: NewPlan, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None):
    """Anyone may start a plan. Without a Parent Hub token, the answer holds a secret plan token
    and owner link, shown this once: only its hash is kept."""
    if who.fca_id:
        raise Problem(403, "forbidden", "Not allowed", "An FCA cannot start a parent's plan.")
    # Without an account the replay holds the secret token: only the same client address may replay it.
    client = client_of(request)
    scope = f"{who.participant_id}:start" if who.participant_id else f"anonymous:{client}:start"
    children = [c.model_dump() for c in body.children]

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        started = await domain.start(
            uow, who, body.display_name, body.language, children, list(body.topics), rt.settings
        )
        return views.started(started)

    return await write(rt, key, scope, body.model_dump(), change)


@router.get("/plans", response_model=Page[PlanSummary], tags=["plan"])
async def my_plans(rt: RuntimeDep, who: Caller, limit: Limit = 50, cursor: Cursor = None) -> Page[PlanSummary]:
    """A programme parent's plans, or the plans parents shared with an FCA. (Someone with a plan
    token has one plan, named by its link.)"""
    if not (who.participant_id or who.fca_id):  # a plan token names one plan: it lists none
        raise Problem(401, "unauthenticated", "Authentication required", "Lists need a Parent Hub or FCA token.")
    rows = await store.plans_of(rt.store.db, who, cursor, limit)
    return Page(items=[summary(r) for r in rows], next_cursor=rows[-1]["_id"] if len(rows) == limit else None)


@router.get("/plans/{plan_id}", response_model=PlanView, tags=["plan"])
async def get_plan(plan_id: PlanId, rt: RuntimeDep, who: Caller, lang: ReadIn = None) -> PlanView:
    """The plan in the reader's language: topic titles, statuses and counts in it; each parent's own
    words as written, with the language they were written in (`content_language`, `written_in`)."""
    plan = await store.read_plan(rt.store.db, plan_id)
    me = reader_of(plan, who)  # type: ignore[arg-type]
    emails = not await store.reply_emails_off(rt.store.db, plan_id, me["party_id"]) if me else None
    return plan_view(plan, me, lang, emails)  # type: ignore[arg-type]


@router.post("/plans/{plan_id}/topics", response_model=PlanView, tags=["negotiation"])
async def add_topics(
    plan_id: PlanId, body: MoreTopics, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None, lang: ReadIn = None
):
    """Either parent may add topics to the plan; each starts with nothing proposed."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, plan_view(*await domain.more_topics(uow, plan_id, who, list(body.topics)), lang)

    return await write(rt, key, f"{who.key}:topics:{plan_id}", body.model_dump(), change)


@router.post("/plans/{plan_id}/topics/{topic}/proposals", response_model=PlanView, tags=["negotiation"])
async def propose(
    plan_id: PlanId, topic: TopicKey, body: Proposal, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None
):
    """Propose wording for a topic, or a counter-proposal to the other parent's (kept as written, with
    the `language` it is written in: else yours)."""
    act = partial(domain.propose, topic=topic, content=body.content(), language=body.language)
    return await step(rt, key, f"{who.key}:propose:{plan_id}:{topic}", body.model_dump(), plan_id, who, act)


@router.post("/plans/{plan_id}/topics/{topic}/acceptance", response_model=PlanView, tags=["negotiation"])
async def accept(
    plan_id: PlanId, topic: TopicKey, body: Acceptance, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None
):
    """Accept the version you read; the topic is agreed once both parents accept the same version."""
    act = partial(domain.accept, topic=topic, version=body.version)
    return await step(rt, key, f"{who.key}:accept:{plan_id}:{topic}", body.model_dump(), plan_id, who, act)


@router.post("/plans/{plan_id}/topics/{topic}/not-agreed", response_model=PlanView, tags=["negotiation"])
async def not_agreed(
    plan_id: PlanId,
    topic: TopicKey,
    rt: RuntimeDep,
    who: Caller,
    body: SetAside | None = None,
    key: IdempotencyKey = None,
):
    """Set a topic aside as not agreed for now; send the `version` you read, so that a newer one is not."""
    body = body or SetAside()
    act = partial(domain.mark_not_agreed, topic=topic, version=body.version)
    return await step(rt, key, f"{who.key}:not-agreed:{plan_id}:{topic}", body.model_dump(), plan_id, who, act)


@router.get("/plans/{plan_id}/history", response_model=Page[HistoryEntry], tags=["plan"])
async def history(
    plan_id: PlanId, rt: RuntimeDep, who: Caller, limit: Limit = 50, cursor: Cursor = None, lang: ReadIn = None
):
    """Every change, oldest first: who, when, what, and the difference from the version before; topic
    titles in the reader's language, the parents' words as written."""
    plan = await store.read_plan(rt.store.db, plan_id)
    lang = views.reading(plan, reader_of(plan, who), lang)  # type: ignore[arg-type]
    after = int(cursor) if cursor and cursor.isdigit() and len(cursor) < 10 else -1
    rows = await store.history(rt.store.db, plan_id, after, limit)
    items = [history_view(r, lang) for r in rows]
    return Page(items=items, next_cursor=str(rows[-1]["seq"]) if len(rows) == limit else None)


@router.put("/plans/{plan_id}/reply-emails", response_model=PlanView, tags=["sharing"])
async def reply_emails(plan_id: PlanId, body: ReplyEmails, rt: RuntimeDep, who: Caller, lang: ReadIn = None):
    """Turn on or off the email (at most one a day, no words of the plan) telling you that your
    co-parent replied in this plan. It is yours alone: the other parent sees no change."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, plan_view(*await domain.choose_reply_emails(uow, plan_id, who, body.on), lang, body.on)

    return await write(rt, None, f"{who.key}:reply-emails:{plan_id}", body.model_dump(), change)


@router.post("/plans/{plan_id}/share", status_code=202, response_model=Invited, tags=["sharing"])
async def share(plan_id: PlanId, body: Share, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None):
    """Invite the co-parent (by the referral, or by an email only notifications sees), or let your FCA read the plan."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 202, views.invited(await domain.share(uow, plan_id, who, body.to, body.email, rt.settings))

    return await write(rt, key, f"{who.key}:share:{plan_id}", body.model_dump(), change)


@router.post(
    "/invitations/accept",
    response_model=Joined,
    tags=["sharing"],
    dependencies=[Depends(limit_public)],
    openapi_extra=ANYONE | link("200", "get_plan_plans__plan_id__get", plan_id="$response.body#/plan_id"),
)
async def join(body: Join, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None):
    """Use a single-use invitation link. A programme co-parent sends their Parent Hub token; anyone
    else gets their own secret plan token, shown this once."""
    payload = {"display_name": body.display_name, "who": who.key, "language": body.language}

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        return 200, views.joined(await domain.join(uow, who, body.token, body.display_name, body.language))

    return await write(rt, key, f"join:{domain.hash_token(body.token)}", payload, change)


@router.post("/plans/{plan_id}/leave", response_model=Left, tags=["sharing"])
async def leave(plan_id: PlanId, rt: RuntimeDep, who: Caller, key: IdempotencyKey = None) -> JSONResponse:
    """Leave the plan: you stop seeing it; what you wrote stays in its history."""

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        await domain.leave(uow, plan_id, who)
        return 200, Left(plan_id=plan_id)

    return await write(rt, key, f"{who.key}:leave:{plan_id}", {}, change)


Age = Annotated[int, Query(ge=0, le=18)]


@router.get("/plans/{plan_id}/for-children", response_model=ChildView, tags=["outputs"])
async def for_children(request: Request, plan_id: PlanId, rt: RuntimeDep, who: Caller, age: Age, lang: ReadIn = None):
    """The agreed arrangements for the children, by name, in warm words for the child's age, in the
    reader's language: a week per child of which home each night, pocket money, pets, handovers. Only
    what is agreed; nothing about the adults. `Accept: text/html` answers a page that prints well."""
    plan = await store.read_plan(rt.store.db, plan_id)
    view = for_children_view(plan, age, views.reading(plan, reader_of(plan, who), lang))  # type: ignore[arg-type]
    if "text/html" in request.headers.get("accept", ""):
        return HTMLResponse(for_children_html(view))
    return view


@router.get("/plans/{plan_id}/for-children.pdf", tags=["outputs"], response_class=Response)
async def for_children_pdf(plan_id: PlanId, rt: RuntimeDep, who: Caller, age: Age, lang: ReadIn = None) -> Response:
    """The children's version to print (A4)."""
    plan = await store.read_plan(rt.store.db, plan_id)
    view = for_children_view(plan, age, views.reading(plan, reader_of(plan, who), lang))  # type: ignore[arg-type]
    headers = {"Content-Disposition": 'attachment; filename="our-plan-for-you.pdf"'}
    return Response(exports.children_pdf(view), media_type="application/pdf", headers=headers)


@router.get("/plans/{plan_id}/export.{kind}", tags=["outputs"], response_class=Response)
async def export(
    plan_id: PlanId,
    kind: Annotated[str, Path(pattern="^(docx|pdf)$")],
    rt: RuntimeDep,
    who: Caller,
    lang: ReadIn = None,
):
    """The whole plan as Word or PDF in the reader's language: agreed and not-yet-agreed topics, the
    parents' words as written, who proposed and who accepted each version and when, the plan's
    version and the date in words."""
    plan = await store.read_plan(rt.store.db, plan_id)
    lang = views.reading(plan, reader_of(plan, who), lang)  # type: ignore[arg-type]
    rows = await store.history(rt.store.db, plan_id, -1, 0)  # 0: no limit; the record of every topic
    make = exports.plan_docx if kind == "docx" else exports.plan_pdf
    data = make(plan, rt.clock.now(), lang, rows)  # type: ignore[arg-type]
    name = f"our-childs-plan-v{plan['revision']}.{kind}"  # type: ignore[index]
    media = DOCX if kind == "docx" else "application/pdf"
    return Response(data, media_type=media, headers={"Content-Disposition": f'attachment; filename="{name}"'})
