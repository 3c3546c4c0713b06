"""Who is in a plan: sharing it (with the co-parent, their FCA, or anyone by email), joining it from
the emailed invitation (`/plans/join`), keeping it on another device from the owner link
(`/plans/open`), and leaving it."""

from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hub.plan.reach import PlanId, by_sign_in, call, keys, problem, remember
from hub.web import Csrf, language, redirect, render

router = APIRouter()

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
    remember(response, request, plan, token)
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
    answer = await call(request, "POST", "/invitations/accept", json=body)
    if answer.reason == "credential-not-replayed":  # pressed twice: the first press joined (its secret is not kept)
        return redirect("/plan")
    if not answer.ok:
        return problem(request, answer)
    plan_id = answer.body["plan_id"]
    response = redirect(f"/plan/{plan_id}")
    if answer.body.get("party_token"):
        remember(response, request, plan_id, answer.body["party_token"])
    return response


@router.get("/plan/{plan_id}/share")
async def share_page(request: Request, plan_id: PlanId) -> Response:
    return render(
        request,
        "plan_share.html",
        plan_id=plan_id,
        on_programme=by_sign_in(request, plan_id),
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
    on_programme = by_sign_in(request, plan_id)
    email = email.strip()
    if to not in ("co_parent", "email", "fca") or (to == "email" and ("@" not in email or " " in email)):
        error = "to" if to not in ("co_parent", "email", "fca") else "email"
        return render(
            request, "plan_share.html", 422, plan_id=plan_id, on_programme=on_programme, email=email, errors=[error]
        )
    body = {"to": to} | ({"email": email} if to == "email" else {})
    answer = await call(request, "POST", f"/plans/{plan_id}/share", plan_id, json=body)
    if answer.reason == "invitation-limit":  # 429: as many invitations as one person gets in a day
        return render(
            request, "plan_share.html", 429, plan_id=plan_id, on_programme=on_programme, email=email, errors=["limit"]
        )
    if not answer.ok:
        return problem(request, answer)
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


@router.get("/plan/{plan_id}/leave")
async def leave_page(request: Request, plan_id: PlanId) -> Response:
    return render(request, "plan_leave.html", plan_id=plan_id)


@router.post("/plan/{plan_id}/leave", dependencies=[Csrf])
async def leave(request: Request, plan_id: PlanId) -> Response:
    """A parent may stop seeing a plan (a co-parent who makes them feel unsafe, a plan gone stale)."""
    answer = await call(request, "POST", f"/plans/{plan_id}/leave", plan_id)
    if not answer.ok and answer.status != 404:  # 404: left already (a second press), or never in it
        return problem(request, answer)
    response = redirect("/plan?left=1")
    if plan_id in keys(request):
        remember(response, request, plan_id, None)  # its token opens nothing now: forget it
    return response
