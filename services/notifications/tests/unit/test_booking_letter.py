"""workshop.booked v2: the session's video link travels sealed for notifications alone. The parent's
letter holds it (opened by the handler); a partner's webhook sees only that there is one."""

from notifications.domain import Booking, partner_view
from notifications.letters import plan_messages
from ptfc.events import Envelope, WorkshopBooked
from ptfc.sealing import seal

from .samples import BOOK, INBOXES, NOW, PARTS, REFERRAL
from .samples import A as CONTACT

KEY = "a-test-key-sealing-video-links-for-notifications"
LINK = "https://video.example/group-7"


def booked() -> WorkshopBooked:
    return WorkshopBooked(**BOOK, parts=PARTS, mode="online", has_video_link=True, sealed_video_link=seal(KEY, LINK))


def test_the_parents_booking_letter_holds_the_link_opened_from_its_seal():
    where = Booking(mode="online", video_link=LINK)
    [letter] = plan_messages(booked(), NOW, referral=REFERRAL, contact=CONTACT, inboxes=INBOXES, booking=where)
    assert letter.template == "workshop_booked" and letter.context["video_link"] == LINK


def test_a_partners_webhook_sees_that_there_is_a_link_and_nothing_of_it():
    envelope = Envelope.of(booked(), correlation_id="r-1", producer="workshops").model_dump(mode="json")
    assert LINK not in str(envelope)  # nor on the stream: only the seal
    view = partner_view(envelope)
    assert view["data"]["has_video_link"] is True and "sealed_video_link" not in view["data"]
