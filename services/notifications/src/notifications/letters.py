"""Which event becomes which letter(s), to whom, in which language: one small function per event
type, chosen by the table `LETTERS`. No I/O.

Privacy rule, enforced here by construction: a letter about a parent is planned from that parent's
own contact record and the referral's professional details only (`About`). The referral's other
participants are never passed to a template, so no letter can name the co-parent."""

from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Any, Union

from notifications.domain import Booking, Contact, Inboxes, Planned, Referral
from ptfc.events import (
    ActivationExpired,
    ActivationIssued,
    ActivationOverdue,
    CourseCompleted,
    CourseIncomplete,
    DeadlineApproaching,
    EventData,
    FollowupScheduled,
    LearningCompleted,
    LearningExtended,
    SafeguardingConcernRaised,
    SignInLinkIssued,
    SignInRefused,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopMissed,
    WorkshopReminderDue,
)
from ptfc.programme import MODULES

LANGUAGE_NAME = {"en": "English", "pl": "Polish", "ur": "Urdu"}  # a language code as a provider reads it
INCOMPLETE_REASONS = {
    "elearning_deadline_missed": "the e-learning was not finished by its deadline",
    "workshop_missed": "the parent missed the workshop a second time, after one rebooking",
    "withdrawn": "the referral was withdrawn",
}


@dataclass(frozen=True)
class About:
    """All a letter about one parent may use: their own contact, the referral's professionals, where
    their workshop is (`booking`), and the opened single-use link of an activation or sign-in event."""

    referral: Referral
    contact: Contact
    inboxes: Inboxes
    occurred_at: datetime
    booking: Booking | None = None
    link: str | None = None


def to_parent(contact: Contact, template: str, attachments: tuple[str, ...] = (), **context: Any) -> Planned:
    return Planned(
        template,
        "parent",
        contact.email,
        contact.language,
        contact.participant_id,
        {"name": contact.given_name, **context},
        attachments,
        # A withdrawn referral stops parent messages; reports to court and FCA still go.
        "referral_withdrawn" if contact.withdrawn else None,
    )


def to_fca_and_court(referral: Referral, contact: Contact, inboxes: Inboxes, template: str, **context: Any):
    base = {
        "case_number": referral.case_number,
        "court": referral.court,
        "referral_id": referral.referral_id,
        "participant_id": contact.participant_id,
        "parent_name": contact.full_name,  # the report is about this parent alone
        **context,
    }
    court_to, who = referral.court_email or inboxes.courts, contact.participant_id
    return [
        Planned(template, "court", court_to, "en", who, {**base, "greeting": referral.court}),
        Planned(template, "fca", referral.fca_email, "en", who, {**base, "greeting": referral.fca_name}),
    ]


# ---- one function per participant event --------------------------------------------------------


def welcome(data: ActivationIssued, a: About) -> list[Planned]:
    hours = max(round((data.expires_at - a.occurred_at).total_seconds() / 3600), 1)
    link = {"activation_url": a.link, "expires_at": data.expires_at, "hours": hours}
    return [to_parent(a.contact, "welcome", **link, deadline=data.deadline, reissue=data.reissue)]


def sign_in_link(data: SignInLinkIssued, a: About) -> list[Planned]:
    minutes = max(round((data.expires_at - a.occurred_at).total_seconds() / 60), 1)
    return [to_parent(a.contact, "sign_in_link", sign_in_url=a.link, expires_at=data.expires_at, minutes=minutes)]


def course_closed(data: SignInRefused, a: About) -> list[Planned]:
    """A withdrawn parent asked for a sign-in link: told their course is closed and since when, and to
    ask the court or their FCA (no one named). The one parent letter a withdrawal does not stop, as the
    parent asked for it; about their own course only. Never sent at the withdrawal (docs/security.md)."""
    return [replace(to_parent(a.contact, "course_closed", closed_at=data.closed_at), skip_reason=None)]


def link_expired(data: ActivationExpired, a: About) -> list[Planned]:
    return [to_parent(a.contact, "link_expired", expired_at=data.expired_at)]


def deadline_reminder(data: DeadlineApproaching, a: About) -> list[Planned]:
    progress = {"modules_completed": data.modules_completed, "modules_left": max(MODULES - data.modules_completed, 0)}
    return [to_parent(a.contact, "deadline_reminder", deadline=data.deadline, days_left=data.days_left, **progress)]


def deadline_extended(data: LearningExtended, a: About) -> list[Planned]:
    return [to_parent(a.contact, "deadline_extended", deadline=data.deadline, days=data.days)]


def learning_complete(data: LearningCompleted, a: About) -> list[Planned]:
    return [to_parent(a.contact, "learning_complete", completed_at=data.completed_at)]


def workshop_booked(data: WorkshopBooked, a: About) -> list[Planned]:
    parts = [{"starts_at": p.starts_at, "ends_at": p.ends_at} for p in data.parts]
    where = {"mode": data.mode, "video_link": a.booking.video_link if a.booking else None, "venue": data.venue}
    news = {"booking_id": data.booking_id, "rebooking": data.rebooking, "changed": data.changed}
    return [to_parent(a.contact, "workshop_booked", ("ics",), parts=parts, **where, **news)]


def workshop_reminder(data: WorkshopReminderDue, a: About) -> list[Planned]:
    where = a.booking or Booking(mode="unknown")  # kept from `workshop.booked`, its link opened
    place = {"mode": where.mode, "video_link": where.video_link, "venue": where.venue}
    return [to_parent(a.contact, "workshop_reminder", starts_at=data.starts_at, **place)]


def workshop_cancelled(data: WorkshopCancelled, a: About) -> list[Planned]:
    if data.reason == "referral_withdrawn":
        return []  # the withdrawal itself is the news; there is nothing to rebook
    if data.reason == "parent_cancelled":
        return [to_parent(a.contact, "booking_cancelled")]  # a confirmation, not an apology
    return [to_parent(a.contact, "workshop_cancelled")]


def workshop_missed(data: WorkshopMissed, a: About) -> list[Planned]:
    missed = {"rebooking_offered": data.rebooking_offered, "parts_attended": data.parts_attended}
    return [to_parent(a.contact, "workshop_missed", **missed)]


def course_completed(data: CourseCompleted, a: About) -> list[Planned]:
    dates = {"elearning_completed_at": data.elearning_completed_at, "workshop_attended_at": data.workshop_attended_at}
    certificate = to_parent(a.contact, "course_completed", ("certificate",), full_name=a.contact.full_name, **dates)
    return [certificate, *to_fca_and_court(a.referral, a.contact, a.inboxes, "completion_report", **dates)]


def incomplete_report(data: CourseIncomplete, a: About) -> list[Planned]:
    facts = {"reason": INCOMPLETE_REASONS.get(data.reason, data.reason), "modules": MODULES}
    facts["modules_completed"] = data.modules_completed
    return to_fca_and_court(a.referral, a.contact, a.inboxes, "incomplete_report", **facts)


def followup_scheduled(data: FollowupScheduled, a: About) -> list[Planned]:
    return [to_parent(a.contact, "followup_scheduled", due_by=data.due_by)]


def safeguarding_alert(data: SafeguardingConcernRaised, a: About) -> list[Planned]:
    """Ids only: the details stay with the facilitator's record; the FCA follows up there."""
    context = {"referral_id": a.referral.referral_id, "case_number": a.referral.case_number}
    context |= {"participant_id": a.contact.participant_id, "concern_id": data.concern_id}
    context |= {"session_id": data.session_id, "raised_at": data.raised_at, "greeting": a.referral.fca_name}
    return [Planned("safeguarding_alert", "fca", a.referral.fca_email, "en", a.contact.participant_id, context)]


def activation_chaser(data: ActivationOverdue, a: About) -> list[Planned]:
    context = {"referral_id": a.referral.referral_id, "case_number": a.referral.case_number}
    context |= {"participant_id": a.contact.participant_id, "given_name": a.contact.given_name}
    context["days"] = data.days_since_referral
    provider_to = a.inboxes.providers.get(data.provider) or a.inboxes.providers[a.referral.provider]
    return [
        Planned("activation_chaser", "fca", a.referral.fca_email, "en", a.contact.participant_id, context),
        Planned("activation_chaser", "provider", provider_to, "en", a.contact.participant_id, context),
    ]


# The event types that ask for letters about one parent, and the function that says which.
LETTERS: dict[type[EventData], Callable[[Any, About], list[Planned]]] = {
    ActivationIssued: welcome,
    SignInLinkIssued: sign_in_link,
    SignInRefused: course_closed,
    ActivationExpired: link_expired,
    DeadlineApproaching: deadline_reminder,
    LearningExtended: deadline_extended,
    LearningCompleted: learning_complete,
    WorkshopBooked: workshop_booked,
    WorkshopReminderDue: workshop_reminder,
    WorkshopCancelled: workshop_cancelled,
    WorkshopMissed: workshop_missed,
    CourseCompleted: course_completed,
    CourseIncomplete: incomplete_report,
    FollowupScheduled: followup_scheduled,
    SafeguardingConcernRaised: safeguarding_alert,
    ActivationOverdue: activation_chaser,
}
# What the handler subscribes to: exactly the table's events.
ParticipantEvent = Union[tuple(LETTERS)]  # type: ignore[valid-type]  # noqa: UP007


def plan_messages(
    data: EventData,
    occurred_at: datetime,
    *,
    referral: Referral,
    contact: Contact,
    inboxes: Inboxes,
    booking: Booking | None = None,
    link: str | None = None,
) -> list[Planned]:
    """The letters one participant event asks for (none for an event not in `LETTERS`)."""
    letters = LETTERS.get(type(data))
    return letters(data, About(referral, contact, inboxes, occurred_at, booking, link)) if letters else []


# ---- letters not about one participant event ---------------------------------------------------------


def provider_heads_up(referral: Referral, contact: Contact, inboxes: Inboxes, at: datetime) -> Planned:
    """One message per parent: the provider calls this parent tomorrow."""
    context = {
        "referral_id": referral.referral_id,
        "participant_id": contact.participant_id,
        "case_number": referral.case_number,
        "given_name": contact.given_name,
        "email": contact.email,
        "phone": contact.phone,
        "language_name": LANGUAGE_NAME.get(contact.language, contact.language),
        "interpreter": contact.interpreter,
        "in_person": contact.in_person,
        "contact_on": at + timedelta(days=1),
    }
    to = inboxes.providers[referral.provider]
    return Planned("provider_heads_up", "provider", to, "en", contact.participant_id, context)


def contact_change_letters(old: Contact, new: Contact, email_changed: bool, phone_changed: bool) -> list[Planned]:
    """`referral.contact_changed`: the address held until now is told its details were changed, without
    the new ones (whoever reads it may not be the parent now); a new address is told it is the one we
    write to from now on, without the old one."""
    what = "both" if email_changed and phone_changed else "email" if email_changed else "phone"
    letters = [to_parent(old, "contact_changed", what=what)]
    if email_changed:
        letters.append(to_parent(new, "contact_confirmed", phone_changed=phone_changed))
    return letters


def plan_invitation(invitation_id: str, to: str, language: str, invite_url: str) -> Planned:
    return Planned("plan_invitation", "invitee", to, language, invitation_id, {"invite_url": invite_url})


def plan_reply(reason: str, language: str, contact: Contact | None, invitation_id: str = "", to: str = "") -> Planned:
    """Your co-parent has replied, sign in to see; in the language they read the plan in. No word of
    the plan: an inbox may be read by others. A programme parent by their contact (a withdrawn referral
    stops it, as every parent letter); someone invited by email at the address their invitation went to."""
    if contact:
        return replace(to_parent(contact, "plan_reply", agreed=reason == "agreed"), language=language)
    return Planned("plan_reply", "invitee", to, language, invitation_id, {"agreed": reason == "agreed", "name": None})
