"""Every message renders in every language it is sent in, reads in the right direction, and never
names the other parent."""

from dataclasses import replace
from datetime import UTC, datetime
from importlib.resources import files

import pytest

from notifications.attachments import calendar, certificate
from notifications.domain import PARENT_TEMPLATES, PROFESSIONAL_TEMPLATES
from notifications.letters import (
    contact_change_letters,
    plan_invitation,
    plan_messages,
    plan_reply,
    provider_heads_up,
)
from notifications.templates import LANGUAGES, Renderer

from .samples import BOOKING, EVENTS, INBOXES, LINK, NOW, REFERRAL, A, B

COMMON = {"support_email": "help@ptfc.example", "support_phone": "0300 000 0000", "hub_url": "https://hub.example"}
renderer = Renderer()


def all_planned(contact):
    found = [
        p
        for e in EVENTS
        for p in plan_messages(e, NOW, referral=REFERRAL, contact=contact, inboxes=INBOXES, booking=BOOKING, link=LINK)
    ]
    invite = plan_invitation("i", "x@y.example", "en", "https://p/i")
    reply = plan_reply("proposal", contact.language, contact)
    moved = replace(contact, email="new." + contact.email)
    changed = contact_change_letters(contact, moved, email_changed=True, phone_changed=True)
    return [provider_heads_up(REFERRAL, contact, INBOXES, NOW), *found, invite, reply, *changed]


def render(p, lang=None):
    return renderer.render(p.template, lang or p.language, {**COMMON, **p.context})


def test_the_samples_cover_every_template():
    assert {p.template for p in all_planned(A)} == set(PARENT_TEMPLATES) | set(PROFESSIONAL_TEMPLATES)


def test_every_template_file_is_shipped_for_every_language():
    root = files("notifications") / "templates"
    for lang in LANGUAGES:
        assert (root / lang / "_layout.html").is_file()
        for name in PARENT_TEMPLATES:
            assert (root / lang / f"{name}.txt").is_file(), f"{lang}/{name}"
    for name in PROFESSIONAL_TEMPLATES:
        assert (root / "en" / f"{name}.txt").is_file()


@pytest.mark.parametrize("lang", LANGUAGES)
def test_parent_messages_render_in_each_language_with_its_direction(lang):
    direction = "rtl" if lang == "ur" else "ltr"
    for p in all_planned(A):
        if p.role not in ("parent", "invitee"):
            continue
        message = render(p, lang)
        assert message.subject and "\n" not in message.subject
        assert f'<html lang="{lang}" dir="{direction}">' in message.html
        assert "{{" not in message.text and "{%" not in message.text
        if p.role == "parent":
            assert "Alex" in message.text


def test_urdu_dates_and_polish_months_are_written_the_local_way():
    welcome = next(p for p in all_planned(A) if p.template == "welcome")
    assert "مارچ" in render(welcome, "ur").text
    assert "marca" in render(welcome, "pl").text
    assert "Thursday 12 March 2026" in render(welcome, "en").text  # the 10-day deadline, in London time


def test_the_deadline_is_told_as_the_hub_tells_it_never_later_than_it_is():
    """A referral made at 01:32 closes the e-learning at 01:32 ten days on: the letters said "by Thursday
    12 March" (a parent working on it that evening would be refused), the hub "at 01:32"."""
    night = datetime(2026, 3, 12, 1, 32, tzinfo=UTC)
    for template in ("welcome", "deadline_reminder", "deadline_extended"):
        letter = next(p for p in all_planned(A) if p.template == template)
        context = {**COMMON, **letter.context, "deadline": night}
        told = {lang: renderer.render(template, lang, context).text for lang in LANGUAGES}
        assert "Wednesday 11 March 2026 at 23:59" in told["en"], template
        assert "środa, 11 marca 2026, godz. 23:59" in told["pl"], template
        assert "11 مارچ 2026، 23:59" in told["ur"], template
        assert not any("01:32" in text or "12 March" in text for text in told.values()), template
    afternoon = {**COMMON, **letter.context, "deadline": datetime(2026, 3, 12, 14, 47, tzinfo=UTC)}
    assert "Thursday 12 March 2026 at 14:00" in renderer.render("deadline_extended", "en", afternoon).text


def test_html_is_escaped_but_links_still_work():
    hostile = A.__class__(**{**A.__dict__, "given_name": '<script>alert("x")</script>'})
    welcome = next(p for p in all_planned(hostile) if p.template == "welcome")
    html = render(welcome).html
    assert "<script>" not in html and "&lt;script&gt;" in html
    assert '<a href="https://hub.example/activate?token=t&amp;x=1">' in html


def test_no_message_about_parent_a_holds_parent_b_details():
    """Every message planned about A, in every language a parent gets: nothing of B, ever."""
    b_details = (B.given_name, B.family_name, B.email, B.phone)
    for p in all_planned(A):
        for lang in LANGUAGES if p.role in ("parent", "invitee") else ("en",):
            message = render(p, lang)
            for part in (message.subject, message.text, message.html):
                for detail in b_details:
                    assert detail not in part, f"{p.template}/{lang} reveals {detail}"
    for p in all_planned(A):
        assert not any(detail in str(p.context) for detail in b_details)


def test_reports_name_only_their_parent():
    reports = [p for p in all_planned(A) if p.role in ("court", "fca")]
    assert reports
    for p in reports:
        text = render(p).text
        if p.template in ("completion_report", "incomplete_report"):
            assert "Alex Morgan" in text
        assert B.given_name not in text


def test_safeguarding_alert_holds_ids_only():
    [alert] = [p for p in all_planned(A) if p.template == "safeguarding_alert"]
    message = render(alert)
    assert message.subject.startswith("URGENT")
    assert "c-1" in message.text and "r-1" in message.text
    assert A.given_name not in message.text and A.email not in message.text


def test_two_evening_workshop_invitation_has_two_events_and_the_venue():
    from icalendar import Calendar

    [booked] = [p for p in all_planned(A) if p.template == "workshop_booked"]
    ics = calendar(booked.context, NOW)
    events = list(Calendar.from_ical(ics.data).walk("VEVENT"))
    assert len(events) == 2
    assert [e.decoded("dtstart") for e in events] == [p["starts_at"] for p in booked.context["parts"]]
    assert all("Family Hub" in str(e["location"]) for e in events)
    assert len({str(e["uid"]) for e in events}) == 2
    assert "Part 2:" in render(booked).text


def test_certificate_is_a_pdf_that_takes_polish_names():
    pdf = certificate(
        {"full_name": "Bartosz Wiśniewski Łukasz", "elearning_completed_at": NOW, "workshop_attended_at": NOW},
        lambda v: renderer.day(v, "en"),
    )
    assert pdf.data.startswith(b"%PDF") and pdf.filename == "certificate.pdf"


@pytest.mark.parametrize("lang", LANGUAGES)
def test_a_changed_booking_says_so_and_gives_the_new_place(lang):
    booked = next(e for e in EVENTS if e.TYPE == "workshop.booked")
    changed = booked.model_copy(update={"changed": True, "venue": "Town Hall, 2 Low Street, Salford"})
    [first] = plan_messages(booked, NOW, referral=REFERRAL, contact=A, inboxes=INBOXES)
    [again] = plan_messages(changed, NOW, referral=REFERRAL, contact=A, inboxes=INBOXES)
    before, after = render(first, lang), render(again, lang)
    assert after.subject != before.subject and "Town Hall, 2 Low Street, Salford" in after.text
    body = after.text.split("Town Hall")[0]
    assert body != before.text.split("Family Hub")[0]  # the opening says what changed


def test_a_parent_who_cancelled_gets_no_apology():
    ids = {"referral_id": "r-1", "participant_id": "p-a", "booking_id": "b", "session_id": "s"}
    cancelled = next(e for e in EVENTS if e.TYPE == "workshop.cancelled").model_copy(update=ids)
    [own] = plan_messages(
        cancelled.model_copy(update={"reason": "parent_cancelled"}), NOW, referral=REFERRAL, contact=A, inboxes=INBOXES
    )
    assert "not because of anything you did" not in render(own, "en").text
    assert "cancelled" in render(own, "en").subject


@pytest.mark.parametrize(
    ("lang", "whole", "part"),
    [
        ("en", "We missed you at your", "Thank you for coming to part 1"),
        ("pl", "Nie było Pani/Pana na warsztatach", "Dziękujemy za udział w części 1"),
        ("ur", "ورکشاپ میں نہیں آ سکے", "حصہ 1 میں آنے کا شکریہ"),
    ],
)
def test_a_parent_who_came_to_part_1_is_not_told_they_were_not_at_the_workshop(lang, whole, part):
    from ptfc.events import WorkshopMissed

    from .samples import BOOK

    def letter(parts: list[int]):
        event = WorkshopMissed(**BOOK, misses=1, rebooking_offered=True, parts_attended=parts)
        planned = plan_messages(event, NOW, referral=REFERRAL, contact=A, inboxes=INBOXES)
        [planned] = [p for p in planned if p.role == "parent"]
        return render(planned, lang)

    none, first = letter([]), letter([1])
    assert whole in none.text and part not in none.text
    assert part in first.text and whole not in first.text + first.subject
