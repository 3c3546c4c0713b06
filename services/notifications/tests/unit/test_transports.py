"""How a message is handed to GOV.UK Notify (with a fake client: no network here) and built for
SMTP, and which failures are worth retrying."""

from email import message_from_bytes, policy

import pytest
from notifications_python_client.errors import HTTPError
from pydantic import ValidationError

from notifications.attachments import Attachment
from notifications.config import Settings
from notifications.transports import NotifyTransport, Outgoing, Permanent, SmtpTransport, Transient, make_transport

PDF = Attachment("certificate.pdf", "application/pdf", b"%PDF-1.3 fake")
ICS = Attachment("workshop.ics", "text/calendar", b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n")
MESSAGE = Outgoing("n-1", "alex@parents.example", "Hello", "Dear Alex,\n\nHi.", "<p>Dear Alex</p>", [ICS, PDF])


def notify_settings(**changes) -> Settings:
    return Settings(transport="notify", notify_api_key="key-" + "x" * 70, notify_template_id="tpl-1", **changes)


class FakeNotify:
    def __init__(self, fail_with: int | None = None) -> None:
        self.calls: list[dict] = []
        self.fail_with = fail_with

    def send_email_notification(self, **kwargs):
        self.calls.append(kwargs)
        if self.fail_with:
            raise HTTPError(FakeResponse(self.fail_with))
        return {"id": "notify-id"}


class FakeResponse:
    def __init__(self, status: int) -> None:
        self.status_code = status

    def json(self):
        return {"errors": [{"error": "BadRequestError", "message": "Can't send to alex@parents.example"}]}


async def test_notify_gets_the_subject_body_reference_and_the_certificate_as_a_file():
    client = FakeNotify()
    await NotifyTransport(notify_settings(notify_reply_to_id="reply-1"), client).send(MESSAGE)
    [call] = client.calls
    assert call["email_address"] == "alex@parents.example"
    assert call["template_id"] == "tpl-1" and call["reference"] == "n-1" and call["email_reply_to_id"] == "reply-1"
    values = call["personalisation"]
    assert values["subject"] == "Hello" and values["body"] == "Dear Alex,\n\nHi."
    assert values["link_to_file"]["filename"] == "certificate.pdf"  # the .ics is not a Notify file type


async def test_notify_without_a_file_leaves_the_placeholder_empty():
    client = FakeNotify()
    await NotifyTransport(notify_settings(), client).send(Outgoing("n-2", "a@b.example", "S", "T", "<p>T</p>"))
    assert client.calls[0]["personalisation"]["link_to_file"] == ""
    assert "email_reply_to_id" not in client.calls[0]


@pytest.mark.parametrize(("status", "kind"), [(400, Permanent), (403, Permanent), (429, Transient), (500, Transient)])
async def test_notify_errors_are_sorted_into_retry_or_give_up(status, kind):
    with pytest.raises(kind) as raised:
        await NotifyTransport(notify_settings(), FakeNotify(fail_with=status)).send(MESSAGE)
    assert str(status) in str(raised.value) and "alex@parents.example" not in str(raised.value)


def test_settings_choose_the_transport_and_refuse_an_incomplete_notify_setup():
    assert isinstance(make_transport(Settings()), SmtpTransport)
    assert isinstance(make_transport(notify_settings()), NotifyTransport)
    with pytest.raises(ValidationError):
        Settings(transport="notify")
    with pytest.raises(ValidationError):
        Settings(provider_inboxes={"family-action": "fa@fa.example"})  # every provider needs an inbox


def test_smtp_message_has_text_html_and_files_and_urgent_ones_say_so():
    mail = SmtpTransport(Settings(sender="PTfC <no-reply@ptfc.example>")).build(MESSAGE)
    parsed = message_from_bytes(mail.as_bytes(), policy=policy.default)
    assert parsed["From"] == "PTfC <no-reply@ptfc.example>" and parsed["To"] == "alex@parents.example"
    assert "n-1" in parsed["Message-ID"]
    assert parsed.get_body(("plain",)).get_content().startswith("Dear Alex")
    assert parsed.get_body(("html",)).get_content().startswith("<p>Dear Alex")
    files = {p.get_filename(): p.get_content_type() for p in parsed.iter_attachments()}
    assert files == {"workshop.ics": "text/calendar", "certificate.pdf": "application/pdf"}
    assert parsed["Importance"] is None
    urgent = SmtpTransport(Settings()).build(Outgoing("n-3", "f@c.example", "URGENT", "t", "<p>t</p>", urgent=True))
    assert urgent["Importance"] == "high"
