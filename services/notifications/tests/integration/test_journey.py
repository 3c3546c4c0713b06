"""A parent's whole course, event by event: every message goes to the right people once, even
when every event is delivered twice, and none reveals the other parent."""

from icalendar import Calendar

from notifications.app import create_app
from ptfc.events import PlanShared, ReferralWithdrawn, SessionPart, WorkshopReminderDue
from ptfc.sealing import seal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.events import event
from ptfc.testing.plugin import bearer, running

from .conftest import ALEX, COURT_EMAIL, FCA_EMAIL, PROVIDER_INBOX, SAMIRA, files_of, html_of, referral, soon, text_of
from .test_welcome import activation

R = "r-journey"
IDS = {"referral_id": R, "participant_id": ALEX.participant_id}
LEARN = {**IDS, "enrolment_id": "e-1"}
BOOKING = {**IDS, "booking_id": "b-1", "session_id": "s-1"}
EVENINGS = [
    SessionPart(starts_at=soon(48), ends_at=soon(48 + 1.25)),
    SessionPart(starts_at=soon(72), ends_at=soon(72 + 1.25)),
]


def journey() -> list:
    return [
        referral(R),
        activation(R, ALEX.participant_id),
        event("account.activation_expired", **LEARN, expired_at=soon()),
        activation(R, ALEX.participant_id, reissue=True),
        event("account.activated", **LEARN),  # nothing to say to anyone
        event("learning.deadline_approaching", **LEARN, deadline=soon(72), days_left=3, modules_completed=5),
        event("learning.extended", **LEARN, deadline=soon(120), days=5),
        event("learning.completed", **LEARN, completed_at=soon()),
        event(
            "workshop.booked",
            **BOOKING,
            parts=EVENINGS,
            mode="online",
            has_video_link=True,
            sealed_video_link=seal(DEV_LINK_SEAL_KEY, "https://video.example/w1"),  # as workshops seals it
        ),
        event("workshop.reminder_due", **BOOKING, starts_at=EVENINGS[0].starts_at),
        event("workshop.cancelled", **BOOKING, reason="facilitator_ill"),
        event("workshop.missed", **BOOKING, misses=1, rebooking_offered=True),
        event("safeguarding.concern_raised", **IDS, concern_id="c-1", session_id="s-1", raised_at=soon()),
        event("referral.activation_overdue", **IDS, provider="action-for-children", days_since_referral=14),
        event(
            "course.completed",
            **IDS,
            cycle=1,
            case_number="MA24P00123",
            elearning_completed_at=soon(-48),
            workshop_attended_at=soon(),
        ),
        event(
            "course.incomplete", **IDS, cycle=1, case_number="MA24P00123", reason="workshop_missed", modules_completed=8
        ),
        event("followup.scheduled", **IDS, followup_id="f-1", due_by=soon(24 * 42)),
        PlanShared(
            plan_id="plan-1",
            invitation_id="inv-1",
            sealed_invitee_email=seal(DEV_LINK_SEAL_KEY, "invitee@somewhere.example"),
            sealed_invite_url=seal(DEV_LINK_SEAL_KEY, "https://plans.example/i/inv-1"),
            expires_at=soon(24 * 7),
            preferred_language="pl",
        ),
    ]


EXPECTED = {  # (recipient, subject fragment) -> how many
    (PROVIDER_INBOX, "please contact Alex"): 1,
    (PROVIDER_INBOX, "please contact Samira"): 1,
    (ALEX.email, "Welcome to Planning Together for Children"): 1,
    (ALEX.email, "Your sign-in link has expired"): 1,
    (ALEX.email, "Your new link"): 1,
    (ALEX.email, "3 days left"): 1,
    (ALEX.email, "more time"): 1,
    (ALEX.email, "now book your workshop"): 1,
    (ALEX.email, "Your workshop is booked"): 1,
    (ALEX.email, "Reminder: your workshop is on"): 1,
    (ALEX.email, "has been cancelled"): 1,
    (ALEX.email, "We missed you"): 1,
    (FCA_EMAIL, "URGENT: safeguarding concern"): 1,
    (FCA_EMAIL, "Not started after 14 days"): 1,
    (PROVIDER_INBOX, "Not started after 14 days"): 1,
    (ALEX.email, "You have completed"): 1,
    (COURT_EMAIL, "Course completed: Alex Morgan"): 1,
    (FCA_EMAIL, "Course completed: Alex Morgan"): 1,
    (COURT_EMAIL, "Course not completed: Alex Morgan"): 1,
    (FCA_EMAIL, "Course not completed: Alex Morgan"): 1,
    (ALEX.email, "A short call"): 1,
    ("invitee@somewhere.example", "Zaproszenie do planu"): 1,
}


async def play(kit) -> list:
    """Publish the journey in order; the reminder waits for the booking, as it would in life (a day later)."""
    sent = []
    for each in journey():
        if isinstance(each, WorkshopReminderDue):
            await kit.subject_arrives("Your workshop is booked")
        sent.append(await kit.publish(each))
    return sent


def received(mailbox) -> dict[tuple[str, str], int]:
    counts: dict[tuple[str, str], int] = {}
    for rcpt, message in mailbox.received:
        match = [k for k in EXPECTED if k[0] in rcpt and k[1] in str(message["Subject"])]
        assert len(match) == 1, f"unexpected message {message['Subject']!r} to {rcpt}"
        counts[match[0]] = counts.get(match[0], 0) + 1
    return counts


async def test_every_event_yields_its_messages_once_even_when_delivered_twice(kit, tap):
    app = create_app(kit.settings())
    async with running(app):
        sent = await play(kit)
        await kit.mail_to(ALEX.email, count=12)
        await kit.until_settled(app)
        for envelope in sent:  # every event again, as a redelivery JetStream cannot dedupe
            await kit.publish(envelope=envelope, msg_id=f"again-{envelope.event_id}")
        await kit.until_settled(app)
    assert received(kit.mailbox) == EXPECTED
    assert len(await tap.of("notification.sent")) == sum(EXPECTED.values())

    # the calendar invitation: one event per evening, with the video link
    [booked] = kit.mailbox.with_subject("Your workshop is booked")
    calendar = Calendar.from_ical(files_of(booked)["workshop.ics"])
    events = [c for c in calendar.walk("VEVENT")]
    assert [e.decoded("dtstart") for e in events] == [p.starts_at for p in EVENINGS]
    assert all(str(e["location"]) == "https://video.example/w1" for e in events)
    assert "Part 2:" in text_of(booked) and "https://video.example/w1" in text_of(booked)

    [certificate] = kit.mailbox.with_subject("You have completed")
    assert files_of(certificate)["certificate.pdf"].startswith(b"%PDF")
    [urgent] = kit.mailbox.with_subject("URGENT")
    assert urgent["Importance"] == "high"
    [reminder] = kit.mailbox.with_subject("Reminder: your workshop is on")
    assert "https://video.example/w1" in text_of(reminder)  # where, remembered from the booking
    [invitation] = kit.mailbox.with_subject("Zaproszenie")
    assert 'lang="pl"' in html_of(invitation) and "https://plans.example/i/inv-1" in text_of(invitation)


async def test_no_message_about_one_parent_reveals_the_other(kit):
    app = create_app(kit.settings())
    async with running(app):
        await play(kit)
        await kit.mail_to(ALEX.email, count=12)
        await kit.until_settled(app)
    samira = (SAMIRA.given_name, SAMIRA.family_name, SAMIRA.email, SAMIRA.phone)
    about_alex = [m for _, m in kit.mailbox.received if "please contact Samira" not in str(m["Subject"])]
    assert len(about_alex) == sum(EXPECTED.values()) - 1
    for message in about_alex:
        whole = message.as_string() + text_of(message) + html_of(message)
        for detail in samira:
            assert detail not in whole, f"{message['Subject']!r} reveals {detail}"


async def test_withdrawal_stops_parent_reminders_but_the_court_still_hears(kit):
    app = create_app(kit.settings())
    async with running(app) as client:
        await kit.publish(referral(R, ALEX))
        await kit.publish(ReferralWithdrawn(referral_id=R, participant_ids=[ALEX.participant_id]))
        await kit.until_settled(app)
        await kit.publish(
            event("learning.deadline_approaching", **LEARN, deadline=soon(24), days_left=1, modules_completed=2)
        )
        await kit.publish(event("course.incomplete", **IDS, cycle=1, case_number="MA24P00123", reason="withdrawn"))
        await kit.mail_to(COURT_EMAIL)
        await kit.until_settled(app)
        log = await client.get("/notifications", params={"correlation_id": R}, headers=bearer("ops", "ops-1"))
    assert kit.mailbox.to(ALEX.email) == []
    reminder = next(n for n in log.json()["items"] if n["template"] == "deadline_reminder")
    assert reminder["status"] == "skipped" and reminder["skip_reason"] == "referral_withdrawn"
    assert "withdrawn" in text_of(kit.mailbox.to(COURT_EMAIL)[0])


async def test_a_withdrawn_parent_who_asks_for_a_link_is_told_their_course_is_closed(kit):
    """Learning answers a withdrawn parent's sign-in request with `account.sign_in_refused`: the one
    letter the withdrawal does not stop, in their language, about their own course, no one named."""
    app = create_app(kit.settings())
    withdrawn_at = soon(-50)
    async with running(app):
        await kit.publish(referral(R, ALEX, SAMIRA))
        both = [ALEX.participant_id, SAMIRA.participant_id]  # as referrals names them: both courses end
        await kit.publish(ReferralWithdrawn(referral_id=R, participant_ids=both))
        await kit.until_settled(app)
        for who in (ALEX, SAMIRA):
            ids = {"referral_id": R, "participant_id": who.participant_id, "enrolment_id": f"e-{who.given_name}"}
            await kit.publish(event("account.sign_in_refused", **ids, reason="withdrawn", closed_at=withdrawn_at))
        [alex] = await kit.mail_to(ALEX.email)
        [samira] = await kit.mail_to(SAMIRA.email)
        await kit.until_settled(app)
    text = text_of(alex)
    assert alex["Subject"] == "Your Planning Together for Children course is closed"
    assert withdrawn_at.strftime("%-d %B %Y") in text and "court or your Cafcass family court adviser" in text
    assert "Dear Alex" in text and "/sign-in?token=" not in text
    assert "کورس بند ہو گیا ہے" in samira["Subject"] and "rtl" in html_of(samira)  # in Urdu, as she reads
    for message, other in ((alex, SAMIRA), (samira, ALEX)):  # each is told of their own course only
        whole = message.as_string() + text_of(message)
        for detail in (other.given_name, other.family_name, other.email, "Fiona", FCA_EMAIL, COURT_EMAIL):
            assert detail not in whole
    assert len(kit.mailbox.to(ALEX.email)) == 1 and len(kit.mailbox.to(SAMIRA.email)) == 1
