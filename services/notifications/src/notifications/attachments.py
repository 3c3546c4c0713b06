"""Files attached to a message: the workshop's calendar invitation and the parent's certificate."""

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from fpdf import FPDF
from icalendar import Calendar, Event

from ptfc.pdf import fonts


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


# The certificate's words in the parent's language (drafts: Polish and Urdu for native review).
CERTIFICATE_WORDS = {
    "en": (
        "Certificate of completion",
        "This is to certify that",
        "has completed the Planning Together for Children course",
        "E-learning completed: {day}",
        "Group workshop attended: {day}",
    ),
    "pl": (
        "Zaświadczenie o ukończeniu kursu",
        "Zaświadcza się, że Pan/Pani",
        "ukończył(a) kurs Planning Together for Children",
        "E-learning ukończony: {day}",
        "Udział w warsztacie grupowym: {day}",
    ),
    "ur": (
        "تکمیل کا سرٹیفکیٹ",
        "تصدیق کی جاتی ہے کہ",
        "نے پلاننگ ٹوگیدر فار چلڈرن کورس مکمل کر لیا ہے",
        "ای لرننگ مکمل: {day}",
        "گروپ ورکشاپ میں شرکت: {day}",
    ),
}


def certificate(context: dict[str, Any], day: Any, lang: str = "en") -> Attachment:
    """A one-page certificate naming the parent and the dates they completed each part, in the
    parent's language (`day(value)` writes a date in it). Emailed with the completion letter and
    downloaded from the hub (`GET /me/certificate.pdf`): the same file."""
    title, certify, completed, learning, workshop = CERTIFICATE_WORDS.get(lang, CERTIFICATE_WORDS["en"])
    pdf = FPDF(orientation="landscape", format="A4")
    pdf.set_title(title)
    pdf.set_lang({"en": "en-GB", "pl": "pl", "ur": "ur"}.get(lang, "en-GB"))
    pdf.set_author("Planning Together for Children")
    type_ = fonts(pdf)  # the same as plans' PDF (ptfc.pdf)
    pdf.add_page()
    pdf.set_line_width(1.5)
    pdf.rect(10, 10, 277, 190)
    pdf.set_y(35)
    lines = [
        (14, "Planning Together for Children"),
        (28, title),
        (14, certify),
        (26, context["full_name"]),
        (14, completed),
        (12, learning.format(day=day(context["elearning_completed_at"]))),
        (12, workshop.format(day=day(context["workshop_attended_at"]))),
    ]
    for size, text in lines:
        rtl = type_.use(pdf, size, text)  # each line in the direction of its own script
        height = size * (1.2 if rtl else 0.9)
        pdf.cell(0, height, text if rtl else type_.clean(text), align="C", new_x="LMARGIN", new_y="NEXT")
        pdf.ln(4)
    return Attachment("certificate.pdf", "application/pdf", bytes(pdf.output()))
