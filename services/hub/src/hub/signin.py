"""Start and sign in. The emailed links open `/activate?token=…` and `/sign-in?token=…`; opening
them never uses the token (mail scanners open links): the parent presses the button, which
posts it. After that the token lives only in an HttpOnly cookie."""

from contextlib import suppress
from datetime import datetime
from typing import Annotated

from fastapi import APIRouter, Form, Query, Request
from fastapi.responses import Response

from hub.backend import Answer, Unavailable
from hub.flash import redirect_with, taken
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
    "activation-link-withdrawn": "withdrawn",  # the welcome link of a course withdrawn before it was used
    "course-replaced": "replaced",
    "activation-needed": "activation-needed",
    "deadline-passed": "closed",
}
# The status each page answers with (as learning answered the link).
LINK_STATUS = {
    "expired": 410,
    "used": 409,
    "replaced": 410,
    "unknown": 404,
    "withdrawn": 410,
    "activation-needed": 409,
    "closed": 409,
    "busy": 429,
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
    refused = taken(request)  # a refused address, sent back here (`ask_for_link`)
    errors = refused.get("errors", {})
    status = {"busy": 429}.get(errors.get("email", ""), 422) if errors else 200
    return render(request, "sign_in.html", status, ended=bool(ended), email=refused.get("email", ""), errors=errors)


@router.get("/sign-in/sent")
async def link_sent(request: Request) -> Response:
    return render(request, "sign_in_sent.html")


@router.get("/link-refused")
async def link_refused(request: Request, page: Annotated[str, Query(max_length=40)] = "unknown") -> Response:
    """Why an emailed link did not work. The page key is one of `LINK_PAGES`' (the address holds
    nothing else), so Back to it shows it again."""
    page = page if page in LINK_STATUS else "unknown"
    return render(request, "link_refused.html", status=LINK_STATUS[page], page=page)


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
    return redirect(f"/link-refused?page={page}")


@router.post("/sign-in", dependencies=[Csrf])
async def ask_for_link(request: Request, email: Annotated[str, Form(max_length=320)] = "") -> Response:
    """Learning emails a sign-in link to a parent who has started, and the welcome link again to one
    who never did; the answer is the same for every address."""
    email = email.strip()
    if not email or "@" not in email.strip("@") or " " in email:
        return redirect_with(request, "/sign-in", email=email, errors={"email": "missing" if not email else "invalid"})
    answer = await services(request)["learning"].post("/sign-in", json={"email": email})
    if answer.status == 429:  # too many tries from this connection, not a wrong address
        return redirect_with(request, "/sign-in", email=email, errors={"email": "busy"})
    if not answer.ok:
        return redirect_with(request, "/sign-in", email=email, errors={"email": "invalid"})
    return redirect("/sign-in/sent")


@router.post("/sign-out", dependencies=[Csrf])
async def sign_out(request: Request) -> Response:
    """The session ends in learning, so its token stops working in every service within a minute,
    not only in this browser."""
    if session := session_of(request):
        with suppress(Unavailable):  # the cookie goes all the same; the session then ends with its time
            await services(request)["learning"].post("/sessions/end", json={"refresh_token": session.secret})
    request.state.session = None
    response = redirect("/signed-out")  # shown without the cookie: no menu, no "signed out at"
    delete_cookie(response, request.app.state.settings.cookie_secure, SESSION)
    return response


@router.get("/signed-out")
async def signed_out(request: Request) -> Response:
    return render(request, "signed_out.html")
