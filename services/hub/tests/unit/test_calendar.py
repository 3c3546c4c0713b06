"""The workshop calendar file: one event per part, in UTC, with how to join and nothing else."""

from hub.workshop import ics

BOOKING = {
    "id": "b1",
    "status": "booked",
    "booked_at": "2026-11-20T09:00:00+00:00",
    "video_link": "https://video.example/s-1",
    "session": {
        "format": "online",
        "venue": None,
        "parts": [
            {"starts_at": "2026-12-01T18:00:00+00:00", "ends_at": "2026-12-01T19:15:00+00:00"},
            {"starts_at": "2026-12-02T18:00:00+00:00", "ends_at": "2026-12-02T19:15:00+00:00"},
        ],
    },
}


def test_each_part_is_an_event_with_the_video_link():
    text = ics(BOOKING)
    assert text.startswith("BEGIN:VCALENDAR\r\n") and text.endswith("END:VCALENDAR\r\n")
    assert text.count("BEGIN:VEVENT") == 2
    assert "DTSTART:20261201T180000Z" in text and "DTEND:20261202T191500Z" in text
    assert "LOCATION:https://video.example/s-1" in text
    assert "UID:b1-1@ptfc" in text and "UID:b1-2@ptfc" in text


def test_an_in_person_venue_is_escaped():
    venue = {"name": "Family Hub; Room 2", "address": "1 High St, Leeds", "postcode": "LS1 1AA"}
    booking = BOOKING | {"video_link": None, "session": BOOKING["session"] | {"format": "in_person", "venue": venue}}
    assert "LOCATION:Family Hub\\; Room 2\\, 1 High St\\, Leeds\\, LS1 1AA" in ics(booking)
