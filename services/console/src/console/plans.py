"""Family court advisers: the parenting plans parents shared with them, read only — each topic as it
stands, the history of every change, and the Word and PDF exports. As plans answers for their token:
a plan is listed and opened only once a parent shared it with their FCA (plans.access)."""

from typing import Annotated

from fastapi import APIRouter, Path, Request
from fastapi.responses import Response

from console.web import HEADERS, Id, Staff, needs, render, services

router = APIRouter()
FCA = needs("cafcass")
Kind = Annotated[str, Path(pattern="^(docx|pdf)$")]


@router.get("/plans")
async def shared_plans(request: Request, staff: Staff = FCA) -> Response:
    answer = await services(request)["plans"].get("/plans", staff.token, params={"limit": 50})
    return render(request, "plans.html", plans=answer.body["items"] if answer.ok else [])


@router.get("/plans/{plan_id}")
async def shared_plan(request: Request, plan_id: Id, staff: Staff = FCA) -> Response:
    backend = services(request)["plans"]
    plan = await backend.get(f"/plans/{plan_id}", staff.token)
    if not plan.ok:
        return render(request, "not_found.html", 404)
    history = await backend.get(f"/plans/{plan_id}/history", staff.token, params={"limit": 100})
    return render(request, "plan.html", plan=plan.body, history=history.body["items"] if history.ok else [])


@router.get("/plans/{plan_id}/export.{kind}")
async def export(request: Request, plan_id: Id, kind: Kind, staff: Staff = FCA) -> Response:
    """The plan's own Word or PDF, passed through as plans made it (not stored here)."""
    answer = await services(request)["plans"].get(f"/plans/{plan_id}/export.{kind}", staff.token, raw=True)
    if not answer.ok:
        return render(request, "not_found.html", 404)
    upstream = answer.body
    headers = {**HEADERS, "Content-Disposition": upstream.headers.get("content-disposition", "attachment")}
    return Response(upstream.content, media_type=upstream.headers.get("content-type"), headers=headers)
