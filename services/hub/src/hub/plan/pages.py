"""A plan's own pages: the plans this browser holds (`/plan`), starting one, the plan with its
topics, its history, the child-friendly view, and the Word and PDF downloads."""

import secrets
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Path, Query, Request
from fastapi.responses import Response

from hub.backend import Answer
from hub.plan.reach import PlanId, all_topics, by_sign_in, call, keys, problem, read, remember
from hub.security import SESSION, cookie
from hub.web import HEADERS, Csrf, language, redirect, render, services

router = APIRouter()
CHILD_ROWS = 4  # child rows on the start form (no script needed to add one)


@router.get("/plan")
async def plans_home(request: Request, left: int = 0) -> Response:
    mine: list[dict] = []
    if cookie(request, SESSION):
        answer = await call(request, "GET", "/plans")
        mine = answer.body["items"] if answer.ok else []
    held = [{"id": k} for k in keys(request) if k not in {p["id"] for p in mine}]
    return render(request, "plan_home.html", plans=mine + held, just_left=bool(left))


@router.get("/plan/template.docx")
async def blank_template(request: Request) -> Response:
    """The blank plan to fill in on paper, in the page's language."""
    answer = await services(request)["plans"].call(
        "GET", "/plan-template.docx", params={"lang": language(request)}, raw=True
    )
    if not answer.ok:
        return render(request, "unavailable.html", 503)
    headers = {**HEADERS, "Content-Disposition": 'attachment; filename="our-childs-plan.docx"'}
    return Response(answer.body.content, media_type=answer.body.headers["content-type"], headers=headers)


@router.get("/plan/new")
async def new_plan_page(request: Request) -> Response:
    return render(request, "plan_new.html", topics=await all_topics(request), rows=CHILD_ROWS, form={}, errors=[])


@router.post("/plan/new", dependencies=[Csrf])
async def start_plan(request: Request) -> Response:
    form = await request.form()
    name = str(form.get("display_name", "")).strip()[:60]
    children = []
    for i in range(CHILD_ROWS):
        child, age = str(form.get(f"child-{i}-name", "")).strip()[:60], str(form.get(f"child-{i}-age", "")).strip()
        if child or age:
            children.append({"name": child, "age": int(age) if age.isdecimal() else -1})
    topics = [str(t) for t in form.getlist("topics")]
    errors = []
    if not name:
        errors.append("display_name")
    if not children:
        errors.append("children")
    elif any(not c["name"] or not 0 <= c["age"] <= 18 for c in children):
        errors.append("child-detail")
    if not topics:
        errors.append("topics")
    if not errors:
        body = {"display_name": name, "language": language(request), "children": children, "topics": topics}
        answer = await call(request, "POST", "/plans", json=body)
        if answer.reason == "credential-not-replayed":
            # Sent again without an account: the first answer's secret (which plans does not keep)
            # never reached this browser, so that plan is out of reach. Start it afresh instead.
            answer = await call(
                request, "POST", "/plans", json=body, headers={"Idempotency-Key": secrets.token_hex(16)}
            )
        if answer.status == 201:
            plan_id = answer.body["plan"]["id"]
            response = redirect(f"/plan/{plan_id}?started=1")
            if answer.body.get("party_token"):
                remember(response, request, plan_id, answer.body["party_token"])
            return response
        if answer.status == 202:  # the co-parent already shared one: plans emailed a link to it
            return render(request, "plan_co_parent.html")
        errors = ["refused"]
    values = {"display_name": name, "children": children, "topics": topics}
    return render(
        request, "plan_new.html", 422, topics=await all_topics(request), rows=CHILD_ROWS, form=values, errors=errors
    )


@router.get("/plan/{plan_id}")
async def plan_page(request: Request, plan_id: PlanId, started: int = 0, shared: int = 0) -> Response:
    answer = await read(request, f"/plans/{plan_id}", plan_id)
    if not answer.ok:
        return problem(request, answer)
    chosen = {i["topic"] for i in answer.body["items"]}
    return render(
        request,
        "plan.html",
        plan=answer.body,
        just_started=bool(started),
        just_shared=bool(shared),
        on_programme=by_sign_in(request, plan_id),
        owner_link=_owner_link(request, plan_id),
        invitation_open=_still_open(answer.body.get("invited_until")),
        more_topics=[t for t in await all_topics(request) if t["key"] not in chosen],
        errors=[],
    )


def _still_open(until: str | None) -> bool:
    return bool(until) and datetime.fromisoformat(until) > datetime.now(UTC)


def _owner_link(request: Request, plan_id: str) -> str | None:
    """For a plan this browser reaches by its secret (started or joined without an account): the
    link that opens it on another device, where signing in would not."""
    token = keys(request).get(plan_id)
    public = request.app.state.settings.public_url.rstrip("/")
    return f"{public}/plans/open?{urlencode({'plan': plan_id, 'token': token})}" if token else None


@router.get("/plan/{plan_id}/history")
async def history(request: Request, plan_id: PlanId) -> Response:
    answer = await read(request, f"/plans/{plan_id}/history", plan_id, limit=200)
    if not answer.ok:
        return problem(request, answer)
    plan = (await read(request, f"/plans/{plan_id}", plan_id)).body
    titles = {i["topic"]: i["title"] for i in plan["items"]}
    return render(request, "plan_history.html", plan=plan, entries=answer.body["items"], titles=titles)


@router.get("/plan/{plan_id}/for-children")
async def for_children(
    request: Request, plan_id: PlanId, age: Annotated[int | None, Query(ge=0, le=18)] = None
) -> Response:
    plan = await read(request, f"/plans/{plan_id}", plan_id)
    if not plan.ok:
        return problem(request, plan)
    if age is None:
        ages = [c["age"] for c in plan.body["children"]]
        age = min(ages) if ages else 8
    answer = await read(request, f"/plans/{plan_id}/for-children", plan_id, age=age)
    if not answer.ok:
        return problem(request, answer)
    return render(request, "plan_children.html", plan=plan.body, view=answer.body, age=age)


@router.get("/plan/{plan_id}/for-children.pdf")
async def for_children_pdf(request: Request, plan_id: PlanId, age: Annotated[int, Query(ge=0, le=18)] = 8) -> Response:
    """The children's version to print on A4, in the parent's language."""
    answer = await call(
        request,
        "GET",
        f"/plans/{plan_id}/for-children.pdf",
        plan_id,
        raw=True,
        params={"age": age, "lang": language(request)},
    )
    if not answer.ok:
        return problem(request, Answer(answer.status, answer.body.json() if answer.body.content else None))
    headers = {**HEADERS, "Content-Disposition": 'attachment; filename="our-plan-for-you.pdf"'}
    return Response(answer.body.content, media_type="application/pdf", headers=headers)


@router.get("/plan/{plan_id}/export.{kind}")
async def export(request: Request, plan_id: PlanId, kind: Annotated[str, Path(pattern="^(docx|pdf)$")]) -> Response:
    answer = await call(
        request, "GET", f"/plans/{plan_id}/export.{kind}", plan_id, raw=True, params={"lang": language(request)}
    )
    if not answer.ok:
        return problem(request, Answer(answer.status, answer.body.json() if answer.body.content else None))
    upstream = answer.body
    headers = {**HEADERS, "Content-Disposition": upstream.headers.get("content-disposition", "attachment")}
    return Response(upstream.content, media_type=upstream.headers["content-type"], headers=headers)
