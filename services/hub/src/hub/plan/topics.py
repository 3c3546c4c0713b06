"""Planning topic by topic: propose (or counter-propose) the words for a topic, accept the other
parent's proposal or set it aside for now, add topics, and whether to be emailed when the other
parent replies."""

from typing import Annotated

from fastapi import APIRouter, Form, Request
from fastapi.responses import Response

from hub.plan.reach import PlanId, TopicKey, all_topics, call, problem, read
from hub.web import Csrf, language, redirect, render

router = APIRouter()


@router.get("/plan/{plan_id}/topic/{topic}")
async def topic_page(request: Request, plan_id: PlanId, topic: TopicKey) -> Response:
    answer = await read(request, f"/plans/{plan_id}", plan_id)
    if not answer.ok:
        return problem(request, answer)
    return await _topic(request, answer.body, topic, "", [])


async def _topic(request: Request, plan: dict, topic: str, text: str, errors: list[str], status: int = 200):
    item = next((i for i in plan["items"] if i["topic"] == topic), None)
    if item is None:
        return render(request, "plan_problem.html", 404, reason="not-found", body={})
    guide = next((t for t in await all_topics(request) if t["key"] == topic), None)
    return render(request, "plan_topic.html", status, plan=plan, item=item, guide=guide, text=text, errors=errors)


async def _topic_again(request: Request, plan_id: str, topic: str, text: str, errors: list[str], status: int):
    """The topic page once more, read afresh, after what was sent there was refused."""
    answer = await read(request, f"/plans/{plan_id}", plan_id)
    if not answer.ok:  # gone meanwhile (the parent left it on another device)
        return problem(request, answer)
    return await _topic(request, answer.body, topic, text, errors, status)


@router.post("/plan/{plan_id}/topic/{topic}", dependencies=[Csrf])
async def propose(
    request: Request, plan_id: PlanId, topic: TopicKey, text: Annotated[str, Form(max_length=5000)] = ""
) -> Response:
    if text.strip():
        answer = await call(
            request,
            "POST",
            f"/plans/{plan_id}/topics/{topic}/proposals",
            plan_id,
            json={"text": text.strip(), "language": language(request)},  # the words stay as written, in this
        )
        if answer.ok:
            return redirect(f"/plan/{plan_id}#topic-{topic}")
        if answer.status not in (409, 422):
            return problem(request, answer)
    return await _topic_again(request, plan_id, topic, text, ["text"] if not text.strip() else ["refused"], 422)


@router.post("/plan/{plan_id}/topic/{topic}/accept", dependencies=[Csrf])
async def accept(request: Request, plan_id: PlanId, topic: TopicKey, version: Annotated[int, Form(ge=1)]) -> Response:
    answer = await call(
        request, "POST", f"/plans/{plan_id}/topics/{topic}/acceptance", plan_id, json={"version": version}
    )
    if not answer.ok and answer.status not in (409,):
        return problem(request, answer)
    return redirect(f"/plan/{plan_id}#topic-{topic}")


@router.post("/plan/{plan_id}/topic/{topic}/not-agreed", dependencies=[Csrf])
async def set_aside(
    request: Request, plan_id: PlanId, topic: TopicKey, version: Annotated[int, Form(ge=1)]
) -> Response:
    """A parent not ready to agree the proposal they read sets it aside; its words stay, to come back to."""
    path = f"/plans/{plan_id}/topics/{topic}/not-agreed"
    answer = await call(request, "POST", path, plan_id, json={"version": version})
    if answer.ok or answer.reason == "already-not-agreed":  # the other parent did it first: as wanted
        return redirect(f"/plan/{plan_id}#topic-{topic}")
    if answer.status != 409:
        return problem(request, answer)
    return await _topic_again(request, plan_id, topic, "", ["refused"], 409)  # it changed meanwhile


@router.post("/plan/{plan_id}/topics", dependencies=[Csrf])
async def add_topics(request: Request, plan_id: PlanId) -> Response:
    topics = [str(t) for t in (await request.form()).getlist("topics")]
    if topics:
        answer = await call(request, "POST", f"/plans/{plan_id}/topics", plan_id, json={"topics": topics})
        if not answer.ok:
            return problem(request, answer)
    return redirect(f"/plan/{plan_id}")


@router.post("/plan/{plan_id}/emails", dependencies=[Csrf])
async def reply_emails(request: Request, plan_id: PlanId, on: Annotated[int, Form(ge=0, le=1)]) -> Response:
    """A parent turns off (or on) the email telling them their co-parent replied in this plan."""
    answer = await call(request, "PUT", f"/plans/{plan_id}/reply-emails", plan_id, json={"on": bool(on)})
    if not answer.ok:
        return problem(request, answer)
    return redirect(f"/plan/{plan_id}#emails")
