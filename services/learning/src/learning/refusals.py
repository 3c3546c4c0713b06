"""The problems a parent or a professional may meet, worded for them: each says what happened
and what to do next (ptfc.refusals: `build_app(refusals=WORDS)` answers each). Reasons (`type`) are
stable; the words may improve."""

from ptfc.openapi import Declared
from ptfc.refusals import Table

ASK_FOR_LINK = "Please ask your Cafcass family court adviser (FCA) or your course provider to send you a new link."
ASK_AGAIN = "Please ask for a new link on the sign-in page, with the email address we write to you at."
UNKNOWN_LINK = "We do not recognise this link"
WHOLE_LINK = "Check that you used the whole link from the email. "
USED_LINK = "This link has already been used"

WORDS: Table = {
    # A link from an email that does not work: what to do to get one that does.
    "activation-link-unknown": (404, UNKNOWN_LINK, WHOLE_LINK + ASK_FOR_LINK),
    "activation-link-used": (
        409,
        USED_LINK,
        "Each link works once. If you cannot sign in, " + ASK_FOR_LINK[0].lower() + ASK_FOR_LINK[1:],
    ),
    "activation-link-replaced": (
        410,
        "A newer link has been sent",
        "Please use the link in the most recent email we sent you. " + ASK_FOR_LINK,
    ),
    # The welcome link of a course withdrawn before it was used: the link is gone (the hub shows the
    # same page as for `course-withdrawn`).
    "activation-link-withdrawn": (
        410,
        "This course is no longer needed",
        "The referral for this course was withdrawn, so the link no longer works.",
    ),
    "activation-link-expired": (
        410,
        "This link has expired",
        "Links work for a limited time after they are sent. " + ASK_FOR_LINK,
    ),
    "sign-in-link-unknown": (404, UNKNOWN_LINK, WHOLE_LINK + ASK_AGAIN),
    "sign-in-link-used": (409, USED_LINK, "Each link works once. " + ASK_AGAIN),
    "sign-in-link-expired": (
        410,
        "This link no longer works",
        "Sign-in links work for a short time, and only the newest one works. " + ASK_AGAIN,
    ),
    "activation-needed": (
        409,
        "Please start with your newest welcome email",
        "The court ordered the course again. Use the link in the newest welcome email to start it.",
    ),
    # The hub signs the parent out. Why it ended (signed out elsewhere, withdrawn) is not told: the
    # secret's holder may not be the parent.
    "session-ended": (401, "Please sign in again", "This sign-in has ended. Sign in again to carry on."),
    # The parent's course is closed to them.
    "course-withdrawn": (
        409,
        "This course has been withdrawn",
        "The referral was withdrawn, so this course is closed. Your FCA can tell you more.",
    ),
    "course-replaced": (
        409,
        "This course has been replaced",
        "The court ordered the course again. Please use your newest link.",
    ),
    "module-locked": (
        409,
        "Please finish the earlier modules first",
        "Modules open one at a time, in order. Finish the module you are on to open the next.",
    ),
    "deadline-passed": (409, "The time for the e-learning has ended"),  # the rule says when it was
    # Staff acting on a closed enrolment: the rule says why (`enrolment_status`).
    "enrolment-closed": (409, "This enrolment is closed"),
    # A module's activity (with `unknown`, `missing` and each item's `feedback`).
    "answers-unknown": (422, "Some answers are not for this module", "Answer only the questions of this module."),
    "answers-missing": (422, "Please answer every question", "Some questions have no answer yet."),
    "answers-incorrect": (
        422,
        "Not quite: have another look",
        "Read the feedback, then try again. You can try as many times as you need.",
    ),
}


# The problems each operation answers besides those of every route (ptfc.openapi): its OpenAPI
# lists them, and a test fails on any other (ptfc.testing.plugin).
CLOSED = ("course-withdrawn", "course-replaced", "deadline-passed")  # course_closed, as a link is used
OPEN_MODULE = {404: ("no-course",), 409: (*CLOSED, "module-locked")}
ROUTES: Declared = {
    "POST /activate": {
        404: ("activation-link-unknown",),
        409: ("activation-link-used", *CLOSED, "credential-not-replayed"),
        410: ("activation-link-replaced", "activation-link-withdrawn", "activation-link-expired"),
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
