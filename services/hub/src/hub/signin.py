"""Start and sign in. The emailed links open `/activate?token=…` and `/sign-in?token=…`; opening
them never uses the token (mail scanners open links): the parent presses the button, which
posts it. After that the token lives only in an HttpOnly cookie."""

from contextlib import suppress
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hub.backend import Answer, Unavailable
from hub.security import LANG, SESSION, HubSession, cookie, delete_cookie, set_cookie, write_session
from hub.web import Csrf, redirect, render, services, session_of

router = APIRouter()
Link = Annotated[str | None, Query(max_length=200)]
# What a refused link means to the parent: learning's reasons, grouped into the pages we show.
LINK_PAGES = {
    "activation-link-expired": "expired",
    "sign-in-link-expired": "expired",
    "activation-link-used": "used",
    "credential-not-replayed": "used",  # pressed again, after the first press signed in another browser
    "sign-in-link-used": "used",
    "activation-link-replaced": "replaced",
    "activation-link-unknown": "unknown",
    "sign-in-link-unknown": "unknown",
    "course-withdrawn": "withdrawn",
    "course-replaced": "replaced",
    "activation-needed": "activation-needed",
    "deadline-passed": "closed",
}


@router.get("/")
async def home(request: Request) -> Response:
    if cookie(request, SESSION):
        return redirect("/course")
    return render(request, "start.html")


@router.get("/activate")
async def activation_page(request: Request, token: Link = None) -> Response:
    return render(request, "use_link.html", token=token, kind="activate")


@router.get("/sign-in")
async def sign_in_page(request: Request, token: Link = None, ended: int = 0) -> Response:
    if token:
        return render(request, "use_link.html", token=token, kind="sign-in")
    return render(request, "sign_in.html", ended=bool(ended), email="", errors={})


@router.post("/activate", dependencies=[Csrf])
async def activate(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    return await _use(request, "/activate", token)


@router.post("/sign-in/session", dependencies=[Csrf])
async def sign_in_with_link(request: Request, token: Annotated[str, Form(max_length=200)]) -> Response:
    return await _use(request, "/sign-in/session", token)


async def _use(request: Request, path: str, token: str) -> Response:
    learning = services(request)["learning"]
    answer = await learning.post(path, json={"token": token})
    if answer.reason == "credential-not-replayed" and cookie(request, SESSION):
        return redirect("/course")  # pressed twice: the first press signed the parent in
    if not answer.ok:
        return _refused(request, answer)
    session = answer.body
    settings = request.app.state.settings
    response = redirect("/course")
    ends = datetime.fromisoformat(session["session_expires_at"])
    write_session(response, settings, HubSession.new(session["refresh_token"], session["access_token"], ends))
    course = await learning.get("/me/course", session["access_token"])
    if course.ok and course.body.get("language"):  # the parent's language, from the referral
        set_cookie(response, settings.cookie_secure, LANG, course.body["language"], max_age=365 * 24 * 3600)
    return response


def _refused(request: Request, answer: Answer) -> Response:
    page = "busy" if answer.status == 429 else LINK_PAGES.get(answer.reason, "unknown")
    return render(request, "link_refused.html", status=answer.status if answer.status < 500 else 400, page=page)


@router.post("/sign-in", dependencies=[Csrf])
async def ask_for_link(request: Request, email: Annotated[str, Form(max_length=320)] = "") -> Response:
    email = email.strip()
    if not email or "@" not in email.strip("@") or " " in email:
        errors = {"email": "missing" if not email else "invalid"}
        return render(request, "sign_in.html", status=422, ended=False, email=email, errors=errors)
    answer = await services(request)["learning"].post("/sign-in", json={"email": email})
    if answer.status == 429:  # too many tries from this connection, not a wrong address
        return render(request, "sign_in.html", status=429, ended=False, email=email, errors={"email": "busy"})
    if not answer.ok:
        return render(request, "sign_in.html", status=422, ended=False, email=email, errors={"email": "invalid"})
    return render(request, "sign_in_sent.html")


@router.post("/sign-out", dependencies=[Csrf])
async def sign_out(request: Request) -> Response:
    """The session ends in learning, so its token stops working in every service within a minute,
    not only in this browser."""
    if session := session_of(request):
        with suppress(Unavailable):  # the cookie goes all the same; the session then ends with its time
            await services(request)["learning"].post("/sessions/end", json={"refresh_token": session.secret})
    request.state.session = None
    response = render(request, "signed_out.html")
    delete_cookie(response, request.app.state.settings.cookie_secure, SESSION)
    return response
