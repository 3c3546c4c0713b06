"""Parenting plan ("Our Child's Plan"): start one, add children and topics, propose and
counter-propose topic by topic (seeing what the other parent proposed and what is agreed), share
it with the co-parent, its history, a child-friendly view, Word and PDF. Open to anyone at `/plan`:
a programme parent acts with their sign-in, anyone else with the secret plan token plans gives
them, kept in an HttpOnly cookie. Plans' emailed links open `/plans/join` and `/plans/open`."""

import secrets
from datetime import UTC, datetime
from typing import Annotated
from urllib.parse import urlencode

from fastapi import APIRouter, Form, Path, Query, Request
from fastapi.responses import Response

from hub.backend import Answer
from hub.security import PLAN_KEYS, SESSION, cookie, set_cookie
from hub.web import HEADERS, Csrf, fresh_token, language, redirect, render, services

router = APIRouter()
PlanId = Annotated[str, Path(min_length=16, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
TopicKey = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
CHILD_ROWS = 4  # child rows on the start form (no script needed to add one)
YEAR = 365 * 24 * 3600


def _keys(request: Request) -> dict[str, str]:
    """Secret plan tokens this browser holds, by plan id (`id:token` pairs)."""
    raw = cookie(request, PLAN_KEYS) or ""
    return dict(pair.split(":", 1) for pair in raw.split(",") if ":" in pair)


def _remember(response: Response, request: Request, plan_id: str, token: str | None) -> None:
    """Keep a plan's token in this browser (the last five); None forgets it."""
    keys = {k: v for k, v in (_keys(request) | {plan_id: token}).items() if v}
    value = ",".join(f"{k}:{v}" for k, v in list(keys.items())[-5:])
    set_cookie(response, request.app.state.settings.cookie_secure, PLAN_KEYS, value, max_age=YEAR)


async def _call(request: Request, method: str, path: str, plan_id: str | None = None, **kwargs) -> Answer:
    """Plans, called with the parent's sign-in, whose refusal (it ran out) signs them out as on every
    other page. A plan this browser holds the secret of (started or joined without an account) is
    reached by that secret when the sign-in is not one of its parties, also after signing in. The
    sign-in goes first: a secret planted by someone else's link never makes a parent act as another."""
    headers = kwargs.pop("headers", {})
    plans, session = services(request)["plans"], await fresh_token(request)
    key = _keys(request).get(plan_id) if plan_id else None
    if session:
        answer = await plans.call(method, path, session, headers=headers, **kwargs)
        if not key or answer.status not in (403, 404):
            return answer
    return await plans.call(method, path, headers={**headers, **({"X-Plan-Token": key} if key else {})}, **kwargs)


async def _read(request: Request, path: str, plan_id: str, **params) -> Answer:
    """A plan's view in the parent's language (plans renders titles, counts and dates in it; each
    parent's own words stay as written, marked with their language)."""
    return await _call(request, "GET", path, plan_id, params={**params, "lang": language(request)})


def _by_sign_in(request: Request, plan_id: str) -> bool:
    """Whether the parent reaches this plan by their sign-in (so as a parent on the course, who may
    share it with their co-parent or FCA), not by a secret this browser holds."""
    return bool(cookie(request, SESSION)) and plan_id not in _keys(request)


def _problem(request: Request, answer: Answer) -> Response:
    return render(
        request,
        "plan_problem.html",
        answer.status if 400 <= answer.status < 500 else 400,
        reason=answer.reason,
        body=answer.body if isinstance(answer.body, dict) else {},
    )


async def _topics(request: Request) -> list[dict]:
    return (await _call(request, "GET", "/topics", params={"lang": language(request)})).body


@router.get("/plan")
async def plans_home(request: Request, left: int = 0) -> Response:
    mine: list[dict] = []
    if cookie(request, SESSION):
        answer = await _call(request, "GET", "/plans")
        mine = answer.body["items"] if answer.ok else []
    held = [{"id": k} for k in _keys(request) if k not in {p["id"] for p in mine}]
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
    return render(request, "plan_new.html", topics=await _topics(request), rows=CHILD_ROWS, form={}, errors=[])


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
        answer = await _call(request, "POST", "/plans", json=body)
        if answer.reason == "credential-not-replayed":
            # Sent again without an account: the first answer's secret (which plans does not keep)
            # never reached this browser, so that plan is out of reach. Start it afresh instead.
            answer = await _call(
                request, "POST", "/plans", json=body, headers={"Idempotency-Key": secrets.token_hex(16)}
            )
        if answer.status == 201:
            plan_id = answer.body["plan"]["id"]
            response = redirect(f"/plan/{plan_id}?started=1")
            if answer.body.get("party_token"):
                _remember(response, request, plan_id, answer.body["party_token"])
            return response
        if answer.status == 202:  # the co-parent already shared one: plans emailed a link to it
            return render(request, "plan_co_parent.html")
        errors = ["refused"]
    values = {"display_name": name, "children": children, "topics": topics}
    return render(
        request, "plan_new.html", 422, topics=await _topics(request), rows=CHILD_ROWS, form=values, errors=errors
    )


PLAN_ID_PATTERN, PLAN_TOKEN_PATTERN = r"^[A-Za-z0-9_-]{16,40}$", r"^[A-Za-z0-9_-]{1,200}$"


@router.get("/plans/open")
async def open_owner_link_page(
    request: Request,
    plan: Annotated[str, Query(pattern=PLAN_ID_PATTERN)],
    token: Annotated[str, Query(pattern=PLAN_TOKEN_PATTERN)],
) -> Response:
    """The owner link (a plan's secret, for another device): opening it stores nothing. Anyone can
    send such a link, and a plan kept silently would be listed as the parent's own, with what she
    writes going to whoever made it; she is asked first, and a button (POST, CSRF) keeps it."""
    return render(request, "plan_open.html", plan=plan, token=token)


@router.post("/plans/open", dependencies=[Csrf])
async def open_owner_link(
    request: Request,
    plan: Annotated[str, Form(pattern=PLAN_ID_PATTERN)],
    token: Annotated[str, Form(pattern=PLAN_TOKEN_PATTERN)],
) -> Response:
    """Keep the plan's secret in this browser, and leave the address that carried it."""
    response = redirect(f"/plan/{plan}")
    _remember(response, request, plan, token)
    return response


@router.get("/plans/join")
async def join_page(request: Request, token: Annotated[str | None, Query(max_length=200)] = None) -> Response:
    return render(request, "plan_join.html", token=token, name="", errors=[])


@router.post("/plans/join", dependencies=[Csrf])
async def join(
    request: Request,
    token: Annotated[str, Form(max_length=200)],
    display_name: Annotated[str, Form(max_length=60)] = "",
) -> Response:
    name = display_name.strip()
    if not name:
        return render(request, "plan_join.html", 422, token=token, name=name, errors=["display_name"])
    body = {"token": token, "display_name": name, "language": language(request)}
    answer = await _call(request, "POST", "/invitations/accept", json=body)
    if answer.reason == "credential-not-replayed":  # pressed twice: the first press joined (its secret is not kept)
        return redirect("/plan")
    if not answer.ok:
        return _problem(request, answer)
    plan_id = answer.body["plan_id"]
    response = redirect(f"/plan/{plan_id}")
    if answer.body.get("party_token"):
        _remember(response, request, plan_id, answer.body["party_token"])
    return response


@router.get("/plan/{plan_id}")
async def plan_page(request: Request, plan_id: PlanId, started: int = 0, shared: int = 0) -> Response:
    answer = await _read(request, f"/plans/{plan_id}", plan_id)
    if not answer.ok:
        return _problem(request, answer)
    return render(
        request,
        "plan.html",
        plan=answer.body,
        just_started=bool(started),
        just_shared=bool(shared),
        on_programme=_by_sign_in(request, plan_id),
        owner_link=_owner_link(request, plan_id),
        invitation_open=_still_open(answer.body.get("invited_until")),
        more_topics=[t for t in await _topics(request) if t["key"] not in {i["topic"] for i in answer.body["items"]}],
        errors=[],
    )


def _still_open(until: str | None) -> bool:
    return bool(until) and datetime.fromisoformat(until) > datetime.now(UTC)


def _owner_link(request: Request, plan_id: str) -> str | None:
    """For a plan this browser reaches by its secret (started or joined without an account): the
    link that opens it on another device, where signing in would not."""
    token = _keys(request).get(plan_id)
    public = request.app.state.settings.public_url.rstrip("/")
    return f"{public}/plans/open?{urlencode({'plan': plan_id, 'token': token})}" if token else None


@router.get("/plan/{plan_id}/topic/{topic}")
async def topic_page(request: Request, plan_id: PlanId, topic: TopicKey) -> Response:
    answer = await _read(request, f"/plans/{plan_id}", plan_id)
    if not answer.ok:
        return _problem(request, answer)
    return await _topic(request, answer.body, topic, "", [])


async def _topic(request: Request, plan: dict, topic: str, text: str, errors: list[str], status: int = 200):
    item = next((i for i in plan["items"] if i["topic"] == topic), None)
    if item is None:
        return render(request, "plan_problem.html", 404, reason="not-found", body={})
    guide = next((t for t in await _topics(request) if t["key"] == topic), None)
    return render(request, "plan_topic.html", status, plan=plan, item=item, guide=guide, text=text, errors=errors)


async def _topic_again(request: Request, plan_id: str, topic: str, text: str, errors: list[str], status: int):
    """The topic page once more, read afresh, after what was sent there was refused."""
    answer = await _read(request, f"/plans/{plan_id}", plan_id)
    if not answer.ok:  # gone meanwhile (the parent left it on another device)
        return _problem(request, answer)
    return await _topic(request, answer.body, topic, text, errors, status)


@router.post("/plan/{plan_id}/topic/{topic}", dependencies=[Csrf])
async def propose(
    request: Request, plan_id: PlanId, topic: TopicKey, text: Annotated[str, Form(max_length=5000)] = ""
) -> Response:
    if text.strip():
        answer = await _call(
            request,
            "POST",
            f"/plans/{plan_id}/topics/{topic}/proposals",
            plan_id,
            json={"text": text.strip(), "language": language(request)},  # the words stay as written, in this
        )
        if answer.ok:
            return redirect(f"/plan/{plan_id}#topic-{topic}")
        if answer.status not in (409, 422):
            return _problem(request, answer)
    return await _topic_again(request, plan_id, topic, text, ["text"] if not text.strip() else ["refused"], 422)


@router.post("/plan/{plan_id}/topic/{topic}/accept", dependencies=[Csrf])
async def accept(request: Request, plan_id: PlanId, topic: TopicKey, version: Annotated[int, Form(ge=1)]) -> Response:
    answer = await _call(
        request, "POST", f"/plans/{plan_id}/topics/{topic}/acceptance", plan_id, json={"version": version}
    )
    if not answer.ok and answer.status not in (409,):
        return _problem(request, answer)
    return redirect(f"/plan/{plan_id}#topic-{topic}")


@router.post("/plan/{plan_id}/topic/{topic}/not-agreed", dependencies=[Csrf])
async def set_aside(
    request: Request, plan_id: PlanId, topic: TopicKey, version: Annotated[int, Form(ge=1)]
) -> Response:
    """A parent not ready to agree the proposal they read sets it aside; its words stay, to come back to."""
    path = f"/plans/{plan_id}/topics/{topic}/not-agreed"
    answer = await _call(request, "POST", path, plan_id, json={"version": version})
    if answer.ok or answer.reason == "already-not-agreed":  # the other parent did it first: as wanted
        return redirect(f"/plan/{plan_id}#topic-{topic}")
    if answer.status != 409:
        return _problem(request, answer)
    return await _topic_again(request, plan_id, topic, "", ["refused"], 409)  # it changed meanwhile


@router.post("/plan/{plan_id}/topics", dependencies=[Csrf])
async def add_topics(request: Request, plan_id: PlanId) -> Response:
    topics = [str(t) for t in (await request.form()).getlist("topics")]
    if topics:
        answer = await _call(request, "POST", f"/plans/{plan_id}/topics", plan_id, json={"topics": topics})
        if not answer.ok:
            return _problem(request, answer)
    return redirect(f"/plan/{plan_id}")


@router.get("/plan/{plan_id}/share")
async def share_page(request: Request, plan_id: PlanId) -> Response:
    return render(
        request,
        "plan_share.html",
        plan_id=plan_id,
        on_programme=_by_sign_in(request, plan_id),
        email="",
        errors=[],
    )


@router.post("/plan/{plan_id}/share", dependencies=[Csrf])
async def share(
    request: Request,
    plan_id: PlanId,
    to: Annotated[str, Form(max_length=20)] = "",
    email: Annotated[str, Form(max_length=320)] = "",
) -> Response:
    on_programme = _by_sign_in(request, plan_id)
    email = email.strip()
    if to not in ("co_parent", "email", "fca") or (to == "email" and ("@" not in email or " " in email)):
        error = "to" if to not in ("co_parent", "email", "fca") else "email"
        return render(
            request, "plan_share.html", 422, plan_id=plan_id, on_programme=on_programme, email=email, errors=[error]
        )
    body = {"to": to} | ({"email": email} if to == "email" else {})
    answer = await _call(request, "POST", f"/plans/{plan_id}/share", plan_id, json=body)
    if answer.reason == "invitation-limit":  # 429: as many invitations as one person gets in a day
        return render(
            request, "plan_share.html", 429, plan_id=plan_id, on_programme=on_programme, email=email, errors=["limit"]
        )
    if not answer.ok:
        return _problem(request, answer)
    if answer.body.get("emailed") is False:  # one sent recently still works: said so, with until when
        return render(
            request,
            "plan_share.html",
            plan_id=plan_id,
            on_programme=on_programme,
            email="",
            errors=[],
            kept_until=answer.body.get("expires_at"),
        )
    return redirect(f"/plan/{plan_id}?shared=1")


@router.post("/plan/{plan_id}/emails", dependencies=[Csrf])
async def reply_emails(request: Request, plan_id: PlanId, on: Annotated[int, Form(ge=0, le=1)]) -> Response:
    """A parent turns off (or on) the email telling them their co-parent replied in this plan."""
    answer = await _call(request, "PUT", f"/plans/{plan_id}/reply-emails", plan_id, json={"on": bool(on)})
    if not answer.ok:
        return _problem(request, answer)
    return redirect(f"/plan/{plan_id}#emails")


@router.get("/plan/{plan_id}/leave")
async def leave_page(request: Request, plan_id: PlanId) -> Response:
    return render(request, "plan_leave.html", plan_id=plan_id)


@router.post("/plan/{plan_id}/leave", dependencies=[Csrf])
async def leave(request: Request, plan_id: PlanId) -> Response:
    """A parent may stop seeing a plan (a co-parent who makes them feel unsafe, a plan gone stale)."""
    answer = await _call(request, "POST", f"/plans/{plan_id}/leave", plan_id)
    if not answer.ok and answer.status != 404:  # 404: left already (a second press), or never in it
        return _problem(request, answer)
    response = redirect("/plan?left=1")
    if plan_id in _keys(request):
        _remember(response, request, plan_id, None)  # its token opens nothing now: forget it
    return response


@router.get("/plan/{plan_id}/history")
async def history(request: Request, plan_id: PlanId) -> Response:
    answer = await _read(request, f"/plans/{plan_id}/history", plan_id, limit=200)
    if not answer.ok:
        return _problem(request, answer)
    plan = (await _read(request, f"/plans/{plan_id}", plan_id)).body
    titles = {i["topic"]: i["title"] for i in plan["items"]}
    return render(request, "plan_history.html", plan=plan, entries=answer.body["items"], titles=titles)


@router.get("/plan/{plan_id}/for-children")
async def for_children(
    request: Request, plan_id: PlanId, age: Annotated[int | None, Query(ge=0, le=18)] = None
) -> Response:
    plan = await _read(request, f"/plans/{plan_id}", plan_id)
    if not plan.ok:
        return _problem(request, plan)
    if age is None:
        ages = [c["age"] for c in plan.body["children"]]
        age = min(ages) if ages else 8
    answer = await _read(request, f"/plans/{plan_id}/for-children", plan_id, age=age)
    if not answer.ok:
        return _problem(request, answer)
    return render(request, "plan_children.html", plan=plan.body, view=answer.body, age=age)


@router.get("/plan/{plan_id}/for-children.pdf")
async def for_children_pdf(request: Request, plan_id: PlanId, age: Annotated[int, Query(ge=0, le=18)] = 8) -> Response:
    """The children's version to print on A4, in the parent's language."""
    answer = await _call(
        request,
        "GET",
        f"/plans/{plan_id}/for-children.pdf",
        plan_id,
        raw=True,
        params={"age": age, "lang": language(request)},
    )
    if not answer.ok:
        return _problem(request, Answer(answer.status, answer.body.json() if answer.body.content else None))
    headers = {**HEADERS, "Content-Disposition": 'attachment; filename="our-plan-for-you.pdf"'}
    return Response(answer.body.content, media_type="application/pdf", headers=headers)


@router.get("/plan/{plan_id}/export.{kind}")
async def export(request: Request, plan_id: PlanId, kind: Annotated[str, Path(pattern="^(docx|pdf)$")]) -> Response:
    answer = await _call(
        request, "GET", f"/plans/{plan_id}/export.{kind}", plan_id, raw=True, params={"lang": language(request)}
    )
    if not answer.ok:
        return _problem(request, Answer(answer.status, answer.body.json() if answer.body.content else None))
    upstream = answer.body
    headers = {**HEADERS, "Content-Disposition": upstream.headers.get("content-disposition", "attachment")}
    return Response(upstream.content, media_type=upstream.headers["content-type"], headers=headers)
