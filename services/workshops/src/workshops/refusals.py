"""Domain refusals as RFC 9457 problems, worded for the person who meets them (ptfc.refusals:
`build_app(refusals=WORDS)` answers each). Reasons (`type`) are stable; the words may improve."""

from ptfc.openapi import Declared
from ptfc.refusals import Table

WORDS: Table = {
    # One answer for every session a parent cannot book, word for word, whatever the reason (full,
    # cancelled, another provider's, their co-parent's…): it must never tell where a co-parent is.
    "session-unavailable": (
        409,
        "Session unavailable",
        "This session cannot be booked. Please choose another from the sessions offered to you, "
        "or join the waiting list.",
    ),
    "capacity-too-large": (422, "Too many places"),
    "parts-not-two-halves": (422, "Not two halves of the workshop"),
    "parts-overlap": (422, "The parts overlap"),
    "parts-in-past": (422, "The session is in the past"),
    "evenings-not-consecutive": (422, "Not two consecutive evenings"),
    "weekend-not-on-weekend": (422, "Not on a weekend"),
    "video-link-required": (422, "An online session needs a video link"),
    "venue-required": (422, "An in-person session needs a venue"),
    "capacity-below-bookings": (409, "More parents are booked than that"),
    "session-has-bookings": (409, "Parents are booked on this session"),
    "session-closed": (409, "This session is closed"),
    "course-closed": (409, "This course is closed"),
    "workshop-attended": (409, "Workshop already attended"),
    "no-more-rebooking": (409, "No more rebooking"),
    "learning-not-complete": (409, "Please finish the e-learning first"),
    "already-booked": (409, "You already have a booking"),
    "too-late-to-cancel": (409, "Too late to cancel online"),
    "no-booking": (404, "No booking"),
    "not-in-session": (422, "This parent is not booked on this session"),
    "part-not-started": (409, "This part has not started yet"),
    "attendance-final": (409, "Attendance is final"),
    "measure-incomplete": (422, "Please answer every item"),
    "measure-out-of-range": (422, "Answers are 0 to 4"),
    "answers-without-reach": (422, "No answers without a call"),
    "followup-recorded": (409, "This call is already recorded"),
    "followup-closed": (409, "This call is no longer scheduled"),
    "not-referred": (404, "No workshop course found"),
    "not-a-facilitator": (422, "Not a facilitator of your provider"),
    "proposal-changed": (409, "The allocator proposes another seat now"),
}


# The problems each operation answers besides those of every route (ptfc.openapi): its OpenAPI
# lists them, and a test fails on any other (ptfc.testing.plugin).
SHAPE = (
    "capacity-too-large",
    "parts-not-two-halves",
    "parts-overlap",
    "parts-in-past",
    "evenings-not-consecutive",
    "weekend-not-on-weekend",
    "video-link-required",
    "venue-required",
)
MAY_BOOK = ("course-closed", "workshop-attended", "no-more-rebooking", "learning-not-complete", "already-booked")
NOT_REFERRED = {404: ("not-referred",)}
ROUTES: Declared = {
    "POST /sessions": {422: SHAPE},
    "PATCH /sessions/{session_id}": {
        409: ("session-closed", "session-has-bookings", "capacity-below-bookings"),
        422: SHAPE,
    },
    "POST /sessions/{session_id}/cancel": {409: ("session-closed",)},
    "POST /sessions/{session_id}/attendance": {
        409: ("session-closed", "part-not-started", "attendance-final"),
        422: ("not-in-session",),
    },
    "GET /me/sessions": NOT_REFERRED,
    "POST /me/booking": {404: ("not-referred",), 409: ("session-unavailable", *MAY_BOOK)},
    "GET /me/booking": {404: ("not-referred", "no-booking")},
    "DELETE /me/booking": {404: ("not-referred", "no-booking"), 409: ("too-late-to-cancel",)},
    "POST /me/waitlist": {404: ("not-referred",), 409: MAY_BOOK},
    "GET /me/waitlist": NOT_REFERRED,
    "DELETE /me/waitlist": NOT_REFERRED,
    "PUT /me/follow-up-consent": NOT_REFERRED,
    "GET /me/follow-up-consent": NOT_REFERRED,
    "POST /follow-ups/{followup_id}/outcome": {
        409: ("followup-recorded", "followup-closed"),
        422: ("answers-without-reach", "measure-incomplete", "measure-out-of-range"),
    },
    "POST /sessions/{session_id}/concerns": {422: ("not-in-session",)},
    "GET /reports/follow-up-outcomes": {422: ("bad-range",)},
    "POST /follow-ups/{followup_id}/facilitator": {409: ("followup-closed",), 422: ("not-a-facilitator",)},
    "POST /providers/{provider}/waitlist/{participant_id}/booking": {
        409: ("proposal-changed", "session-unavailable", *MAY_BOOK)
    },
}
