"""The FCA's page says where each parent is with the workshop in this course, from the referral's
timeline: not booked, booked (a rebooking said), cancelled, attended and when, missed how often."""

from console.referrals import workshop


def parent(*events: tuple[str, str, dict], cycle: int = 2) -> dict:
    timeline = [{"event": e, "at": at, "cycle": cycle, "detail": d} for e, at, d in events]
    return {"cycle": cycle, "timeline": timeline}


def test_before_any_booking_the_workshop_is_not_booked():
    assert workshop(parent(("module.completed", "2031-03-01T10:00:00+00:00", {})))["status"] == "not_booked"


def test_the_last_workshop_event_of_this_course_says_where_the_parent_is():
    seen = workshop(
        parent(
            ("workshop.booked", "2031-03-02T10:00:00+00:00", {"session_id": "s1"}),
            ("workshop.missed", "2031-03-09T13:00:00+00:00", {"misses": 1, "rebooking_offered": True}),
        )
    )
    assert seen == {"status": "missed", "at": "2031-03-09T13:00:00+00:00", "note": "1 time; one rebooking offered"}
    seen = workshop(
        parent(
            ("workshop.missed", "2031-03-09T13:00:00+00:00", {"misses": 1, "rebooking_offered": True}),
            ("workshop.attended", "2031-03-16T13:00:00+00:00", {"attended_at": "2031-03-16T12:30:00+00:00"}),
            ("workshop.booked", "2031-03-10T10:00:00+00:00", {"rebooking": True}),
        )
    )
    assert seen["status"] == "attended" and seen["at"] == "2031-03-16T12:30:00+00:00"


def test_an_earlier_course_s_workshop_is_not_this_one_s():
    earlier = {"event": "workshop.attended", "at": "2030-01-01T10:00:00+00:00", "cycle": 1, "detail": {}}
    assert workshop({"cycle": 2, "timeline": [earlier]})["status"] == "not_booked"
