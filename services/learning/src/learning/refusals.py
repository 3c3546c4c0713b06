"""The problems a parent or a professional may meet, worded for them: each says what happened
and what to do next. Reasons (`type`) are stable; the words may improve."""

from datetime import datetime

from learning.domain import ACTIVATIONS, SIGN_INS, Refused, Unknown, Verdict
from learning.views import feedback
from ptfc.openapi import Declared
from ptfc.problems import Problem, not_found

ASK_FOR_LINK = "Please ask your Cafcass family court adviser (FCA) or your course provider to send you a new link."


def link_refused(state: str | None) -> Problem:
    if state is None:
        return Problem(
            404,
            "activation-link-unknown",
            "We do not recognise this link",
            "Check that you used the whole link from the email. " + ASK_FOR_LINK,
        )
    if state == "used":
        return Problem(
            409,
            "activation-link-used",
            "This link has already been used",
            "Each link works once. If you cannot sign in, " + ASK_FOR_LINK[0].lower() + ASK_FOR_LINK[1:],
        )
    if state == "superseded":
        return Problem(
            410,
            "activation-link-replaced",
            "A newer link has been sent",
            "Please use the link in the most recent email we sent you. " + ASK_FOR_LINK,
        )
    if state == "withdrawn":
        return Problem(
            410,
            "course-withdrawn",
            "This course is no longer needed",
            "The referral for this course was withdrawn, so the link no longer works.",
        )
    return Problem(
        410,
        "activation-link-expired",
        "This link has expired",
        "Links work for a limited time after they are sent. " + ASK_FOR_LINK,
    )


def sign_in_refused(state: str | None) -> Problem:
    again = "Please ask for a new link on the sign-in page, with the email address we write to you at."
    if state is None:
        return Problem(
            404,
            "sign-in-link-unknown",
            "We do not recognise this link",
            "Check that you used the whole link from the email. " + again,
        )
    if state == "used":
        return Problem(409, "sign-in-link-used", "This link has already been used", "Each link works once. " + again)
    return Problem(
        410,
        "sign-in-link-expired",
        "This link no longer works",
        "Sign-in links work for a short time, and only the newest one works. " + again,
    )


def activation_needed() -> Problem:
    return Problem(
        409,
        "activation-needed",
        "Please start with your newest welcome email",
        "The court ordered the course again. Use the link in the newest welcome email to start it.",
    )


def session_ended(reason: str | None) -> Problem:
    """401: the hub signs the parent out. Why it ended (signed out elsewhere, withdrawn) is not told:
    the secret's holder may not be the parent."""
    return Problem(401, "session-ended", "Please sign in again", "This sign-in has ended. Sign in again to carry on.")


def course_closed(reason: str, deadline: datetime | None = None) -> Problem:
    if reason == "withdrawn":
        return Problem(
            409,
            "course-withdrawn",
            "This course has been withdrawn",
            "The referral was withdrawn, so this course is closed. Your FCA can tell you more.",
        )
    if reason == "superseded":
        return Problem(
            409,
            "course-replaced",
            "This course has been replaced",
            "The court ordered the course again. Please use your newest link.",
        )
    if reason == "module-locked":
        return Problem(
            409,
            "module-locked",
            "Please finish the earlier modules first",
            "Modules open one at a time, in order. Finish the module you are on to open the next.",
        )
    when = f" on {deadline:%d %B %Y at %H:%M} UTC" if deadline else ""
    return Problem(
        409,
        "deadline-passed",
        "The time for the e-learning has ended",
        f"The e-learning had to be finished{when}. Your FCA and the court will be told. "
        "Please contact your FCA or your course provider about what happens next.",
    )


def enrolment_closed(status: str) -> Problem:
    why = {
        "completed": "The parent has already completed the e-learning.",
        "withdrawn": "The referral was withdrawn.",
        "missed": "The deadline has passed and the court has been told; the court may re-order the course.",
        "superseded": "A newer cycle of this course replaced this enrolment.",
    }[status]
    return Problem(409, "enrolment-closed", "This enrolment is closed", why, enrolment_status=status)


def answers_refused(reason: str, unknown: list[str] | None = None, verdict: Verdict | None = None) -> Problem:
    if reason == "answers-unknown":
        return Problem(
            422,
            reason,
            "Some answers are not for this module",
            "Answer only the questions of this module.",
            unknown=unknown,
        )
    assert verdict is not None
    if reason == "answers-missing":
        return Problem(
            422,
            reason,
            "Please answer every question",
            "Some questions have no answer yet.",
            missing=verdict.missing,
            feedback=feedback(verdict),
        )
    return Problem(
        422,
        reason,
        "Not quite: have another look",
        "Read the feedback, then try again. You can try as many times as you need.",
        feedback=feedback(verdict),
    )


def problem(refusal: Refused | Unknown) -> Problem:
    """The problem a domain refusal is answered with."""
    if isinstance(refusal, Unknown):
        return not_found(refusal.what)
    kind, reason, extra = refusal.kind, refusal.reason, refusal.extra
    if kind == ACTIVATIONS:
        return link_refused(reason)
    if kind == SIGN_INS:
        return sign_in_refused(reason)
    if kind == "activation-needed":
        return activation_needed()
    if kind == "enrolment":
        return enrolment_closed(str(reason))
    if kind == "session":
        return session_ended(reason)
    if kind == "answers":
        return answers_refused(str(reason), extra.get("unknown"), extra.get("verdict"))
    return course_closed(str(reason), extra.get("deadline"))


# The problems each operation answers besides those of every route (ptfc.openapi): its OpenAPI
# lists them, and a test fails on any other (ptfc.testing.plugin).
CLOSED = ("course-withdrawn", "course-replaced", "deadline-passed")  # course_closed, as a link is used
OPEN_MODULE = {404: ("no-course",), 409: (*CLOSED, "module-locked")}
ROUTES: Declared = {
    "POST /activate": {
        404: ("activation-link-unknown",),
        409: ("activation-link-used", *CLOSED, "credential-not-replayed"),
        410: ("activation-link-replaced", "course-withdrawn", "activation-link-expired"),
    },
    "POST /sign-in/session": {
        404: ("sign-in-link-unknown",),
        409: ("sign-in-link-used", *CLOSED, "activation-needed", "credential-not-replayed"),
        410: ("sign-in-link-expired",),
    },
    # session-ended: signed out, withdrawn, re-ordered or past its time
    "POST /sessions/refresh": {401: ("session-ended",), 409: ("credential-not-replayed",)},
    "GET /me/course": {404: ("no-course",)},
    "GET /modules/{number}/media/{file}": {404: ("no-course",), 416: ("range-not-satisfiable",)},
    "POST /me/modules/{number}/progress": {**OPEN_MODULE, 422: ("no-such-section",)},
    "POST /me/modules/{number}/complete": {
        **OPEN_MODULE,
        422: ("answers-unknown", "answers-missing", "answers-incorrect"),
    },
    "POST /enrolments/{enrolment_id}/activation": {409: ("enrolment-closed",)},
    "POST /enrolments/{enrolment_id}/extensions": {409: ("enrolment-closed",)},
}
