"""Files attached to a message: the workshop's calendar invitation and the parent's certificate."""

import unicodedata
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from fpdf import FPDF
from icalendar import Calendar, Event

# A Unicode font where the machine has one (Polish names need it); else the PDF core font.
FONT_CANDIDATES = (
    Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"),
    Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"),
)


@dataclass(frozen=True)
class Attachment:
    filename: str
    content_type: str  # "type/subtype"
    data: bytes


def calendar(context: dict[str, Any], now: datetime) -> Attachment:
    """One VEVENT per part of the workshop: a two-evening workshop is two events."""
    cal = Calendar()
    cal.add("prodid", "-//Planning Together for Children//Workshops//EN")
    cal.add("version", "2.0")
    cal.add("method", "PUBLISH")
    parts = context["parts"]
    where = context.get("video_link") if context["mode"] == "online" else context.get("venue")
    for number, part in enumerate(parts, start=1):
        event = Event()
        event.add("uid", f"{context['booking_id']}-{number}@ptfc")
        event.add("dtstamp", now)
        event.add("dtstart", part["starts_at"])
        event.add("dtend", part["ends_at"])
        title = "Planning Together for Children workshop"
        event.add("summary", f"{title} (part {number} of {len(parts)})" if len(parts) > 1 else title)
        if where:
            event.add("location", where)
        if context["mode"] == "online" and context.get("video_link"):
            event.add("url", context["video_link"])
        event.add("description", "Your Planning Together for Children group workshop.")
        cal.add_component(event)
    return Attachment("workshop.ics", "text/calendar", cal.to_ical())


def _latin1(text: str) -> str:
    """For the core PDF font, which has no Polish or Urdu letters: a readable approximation."""
    text = text.replace("ł", "l").replace("Ł", "L")
    plain = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return plain or "?"


def certificate(context: dict[str, Any], day: Any) -> Attachment:
    """A one-page certificate naming the parent and the dates they completed each part."""
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title("Certificate of completion")
    pdf.set_author("Planning Together for Children")
    font = next((f for f in FONT_CANDIDATES if f.exists()), None)
    if font:
        pdf.add_font("body", fname=str(font))
        family, clean = "body", str
    else:
        family, clean = "helvetica", _latin1
    pdf.add_page()
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_y(35)
    lines = [
        (14, "Planning Together for Children"),
        (28, "Certificate of completion"),
        (14, "This is to certify that"),
        (26, context["full_name"]),
        (14, "has completed the Planning Together for Children course"),
        (12, f"E-learning completed: {day(context['elearning_completed_at'])}"),
        (12, f"Group workshop attended: {day(context['workshop_attended_at'])}"),
    ]
    for size, text in lines:
        pdf.set_font(family, size=size)
        pdf.cell(0, size * 0.9, clean(text), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return Attachment("certificate.pdf", "application/pdf", bytes(pdf.output()))
