"""How the hub reaches a plan for this browser: with the parent's sign-in, or with the secret plan
token plans gave when the plan was started or joined without an account, kept in an HttpOnly cookie
(the last five). The plan's pages, its sharing and its topics all call plans through `call`."""

from typing import Annotated

from fastapi import Path, Request
from fastapi.responses import Response

from hub.backend import Answer
from hub.security import PLAN_KEYS, SESSION, cookie, set_cookie
from hub.web import fresh_token, language, render, services

PlanId = Annotated[str, Path(min_length=16, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
TopicKey = Annotated[str, Path(min_length=1, max_length=40, pattern=r"^[a-z_]+$")]
YEAR = 365 * 24 * 3600


def keys(request: Request) -> dict[str, str]:
    """Secret plan tokens this browser holds, by plan id (`id:token` pairs)."""
    raw = cookie(request, PLAN_KEYS) or ""
    return dict(pair.split(":", 1) for pair in raw.split(",") if ":" in pair)


def remember(response: Response, request: Request, plan_id: str, token: str | None) -> None:
    """Keep a plan's token in this browser (the last five); None forgets it."""
    kept = {k: v for k, v in (keys(request) | {plan_id: token}).items() if v}
    value = ",".join(f"{k}:{v}" for k, v in list(kept.items())[-5:])
    set_cookie(response, request.app.state.settings.cookie_secure, PLAN_KEYS, value, max_age=YEAR)


async def call(request: Request, method: str, path: str, plan_id: str | None = None, **kwargs) -> Answer:
    """Plans, called with the parent's sign-in, whose refusal (it ran out) signs them out as on every
    other page. A plan this browser holds the secret of (started or joined without an account) is
    reached by that secret when the sign-in is not one of its parties, also after signing in. The
    sign-in goes first: a secret planted by someone else's link never makes a parent act as another."""
    headers = kwargs.pop("headers", {})
    plans, session = services(request)["plans"], await fresh_token(request)
    key = keys(request).get(plan_id) if plan_id else None
    if session:
        answer = await plans.call(method, path, session, headers=headers, **kwargs)
        if not key or answer.status not in (403, 404):
            return answer
    return await plans.call(method, path, headers={**headers, **({"X-Plan-Token": key} if key else {})}, **kwargs)


async def read(request: Request, path: str, plan_id: str, **params) -> Answer:
    """A plan's view in the parent's language (plans renders titles, counts and dates in it; each
    parent's own words stay as written, marked with their language)."""
    return await call(request, "GET", path, plan_id, params={**params, "lang": language(request)})


def by_sign_in(request: Request, plan_id: str) -> bool:
    """Whether the parent reaches this plan by their sign-in (so as a parent on the course, who may
    share it with their co-parent or FCA), not by a secret this browser holds."""
    return bool(cookie(request, SESSION)) and plan_id not in keys(request)


def problem(request: Request, answer: Answer) -> Response:
    return render(
        request,
        "plan_problem.html",
        answer.status if 400 <= answer.status < 500 else 400,
        reason=answer.reason,
        body=answer.body if isinstance(answer.body, dict) else {},
    )


async def all_topics(request: Request) -> list[dict]:
    return (await call(request, "GET", "/topics", params={"lang": language(request)})).body
