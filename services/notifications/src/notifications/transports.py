"""How a message leaves: SMTP (aiosmtplib) or GOV.UK Notify, chosen by `settings.transport`.

A transport raises `Transient` for what may work later (connection refused, timeouts, SMTP 4xx,
Notify 429/5xx) and `Permanent` for what never will (SMTP 5xx, Notify 400/403)."""

import asyncio
import io
import re
import time
from dataclasses import dataclass, field
from email.message import EmailMessage
from email.utils import formatdate, make_msgid
from typing import Any, Protocol

import aiosmtplib
import httpx

from notifications import endpoints
from notifications.attachments import Attachment
from notifications.config import Settings
from notifications.domain import Refused

# Notify sends these file types as a download link; others (the .ics) are left to the body text.
NOTIFY_FILE_TYPES = {"application/pdf", "text/csv", "text/plain", "application/json", "application/rtf"}


class Transient(Exception):
    """Try again later."""


class Permanent(Exception):
    """Do not try again."""


@dataclass(frozen=True)
class Outgoing:
    notification_id: str
    to: str
    subject: str
    text: str
    html: str
    attachments: list[Attachment] = field(default_factory=list)
    urgent: bool = False


class Transport(Protocol):
    async def send(self, message: Outgoing) -> None: ...


# Anything shaped like an address, in any case or encoding a server echoes it in (`<a@b>`,
# lower-cased, quoted, URL-escaped `%40`): operations must see none.
EMAIL_SHAPED = re.compile(r"[^\s<>\"'(),;:\[\]]+(?:@|%40)[^\s<>\"'(),;:\[\]]+", re.IGNORECASE)


# How servers write the "@" of an echoed address besides itself: URL-escaped, quoted-printable,
# an HTML entity. Read as "@" before scrubbing, so each is found as an address.
ENCODED_AT = re.compile(r"%40|=40|&#0*64;|&#x0*40;", re.IGNORECASE)
# "@" spelled out between the recipient's local part and domain: ` at `, `(at)`, `[at]`, `{at}`, `<at>`.
SPELLED_AT = r"\s*(?:@|[(\[{<]\s*at\s*[)\]}>]|\bat\b)\s*"


def _bounded(text: str) -> str:
    """`text` as a whole token: not inside a longer name or address."""
    return rf"(?<![\w.+-]){re.escape(text)}(?![\w+-]|\.\w)"


def scrub(reason: str, address: str) -> str:
    """An error as the delivery log keeps it. Servers echo the recipient in many forms (the address in
    any case, its bare local part, `local at domain`, `local(at)domain`, `=40`, `%40`); operations,
    FCAs and partners must see none of them (issue 24, finding 10)."""
    text = EMAIL_SHAPED.sub("<address>", ENCODED_AT.sub("@", reason.replace(address, "<recipient>")))
    local, _, domain = address.strip().rpartition("@")
    if local and domain:
        whole = re.compile(re.escape(local) + SPELLED_AT + re.escape(domain), re.IGNORECASE)
        text = whole.sub("<recipient>", text)
    for part in (p for p in (local, domain) if len(p) > 1):
        text = re.sub(_bounded(part), "<recipient>", text, flags=re.IGNORECASE)
    return text[:500]


# A connection idle longer than this is closed rather than reused: servers drop idle clients
# (often after a minute or more), and a send on a dropped connection would fail for nothing.
IDLE_SECONDS = 15.0


class SmtpTransport:
    def __init__(self, settings: Settings) -> None:
        self.settings = settings
        self.idle: list[tuple[aiosmtplib.SMTP, float]] = []  # connections between two sends

    def build(self, message: Outgoing) -> EmailMessage:
        mail = EmailMessage()
        mail["From"] = self.settings.sender
        mail["To"] = message.to
        mail["Subject"] = message.subject
        mail["Date"] = formatdate(localtime=False)
        # The notification id in the Message-ID lets a receiving system spot a repeat after a crash.
        mail["Message-ID"] = make_msgid(idstring=message.notification_id, domain="ptfc.notifications")
        mail["X-PTfC-Notification-Id"] = message.notification_id
        if message.urgent:
            mail["Importance"] = "high"
            mail["X-Priority"] = "1"
        mail.set_content(message.text)
        mail.add_alternative(message.html, subtype="html")
        for file in message.attachments:
            maintype, subtype = file.content_type.split("/", 1)
            params = {"method": "PUBLISH"} if subtype == "calendar" else {}
            mail.add_attachment(file.data, maintype=maintype, subtype=subtype, filename=file.filename, params=params)
        return mail

    async def send(self, message: Outgoing) -> None:
        try:
            client = await self._connection()
            try:
                await client.send_message(self.build(message))
            except BaseException:
                client.close()  # whatever went wrong, the next send starts on a fresh connection
                raise
        except aiosmtplib.SMTPRecipientsRefused as error:
            codes = [r.code for r in error.recipients]
            reason = scrub("; ".join(f"{r.code} {r.message}" for r in error.recipients), message.to)
            raise (Transient if all(400 <= c < 500 for c in codes) else Permanent)(f"smtp {reason}") from error
        except aiosmtplib.SMTPResponseException as error:
            reason = scrub(f"smtp {error.code} {error.message}", message.to)
            raise (Transient if 400 <= error.code < 500 else Permanent)(reason) from error
        except (aiosmtplib.SMTPException, OSError, TimeoutError) as error:
            # Refused or dropped connections and timeouts: the server may be back soon.
            raise Transient(scrub(f"smtp {type(error).__name__}: {error}", message.to)) from error
        self.idle.append((client, time.monotonic()))

    async def _connection(self) -> aiosmtplib.SMTP:
        """An idle connection of an earlier send, else a new one: a sender task reuses one from send
        to send, and concurrent tasks each hold their own (SMTP sends one message at a time)."""
        while self.idle:
            client, since = self.idle.pop()
            if client.is_connected and time.monotonic() - since < IDLE_SECONDS:
                return client
            client.close()
        s = self.settings
        client = aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            use_tls=s.smtp_tls == "tls",
            start_tls=s.smtp_tls == "starttls",  # never opportunistic: "none" means plain
            username=s.smtp_username,
            password=s.smtp_password.get_secret_value() if s.smtp_password else None,
            timeout=s.smtp_timeout,
        )
        try:
            await client.connect()
        except BaseException:
            client.close()
            raise
        return client


class NotifyTransport:
    """GOV.UK Notify: one generic email template whose ((subject)) and ((body)) we fill."""

    def __init__(self, settings: Settings, client: Any = None) -> None:
        self.settings = settings
        if client is None:
            from notifications_python_client.notifications import NotificationsAPIClient

            assert settings.notify_api_key is not None  # the settings validator insists
            client = NotificationsAPIClient(settings.notify_api_key.get_secret_value())
        self.client = client

    def personalisation(self, message: Outgoing) -> dict[str, Any]:
        from notifications_python_client import prepare_upload

        values: dict[str, Any] = {"subject": message.subject, "body": message.text}
        files = [a for a in message.attachments if a.content_type in NOTIFY_FILE_TYPES]
        if files:  # Notify's template has one ((link_to_file)) placeholder
            values["link_to_file"] = prepare_upload(io.BytesIO(files[0].data), filename=files[0].filename)
        else:
            values["link_to_file"] = ""
        return values

    async def send(self, message: Outgoing) -> None:
        from notifications_python_client.errors import APIError

        kwargs: dict[str, Any] = {
            "email_address": message.to,
            "template_id": self.settings.notify_template_id,
            "personalisation": self.personalisation(message),
            "reference": message.notification_id,
        }
        if self.settings.notify_reply_to_id:
            kwargs["email_reply_to_id"] = self.settings.notify_reply_to_id
        try:
            # The client is synchronous (requests): keep it off the event loop.
            await asyncio.to_thread(self.client.send_email_notification, **kwargs)
        except APIError as error:
            status = error.status_code
            reason = scrub(f"notify {status} {error.message}", message.to)
            raise (Transient if status == 429 or status >= 500 else Permanent)(reason) from error
        except OSError as error:
            raise Transient(f"notify {type(error).__name__}") from error


def make_transport(settings: Settings) -> Transport:
    return NotifyTransport(settings) if settings.transport == "notify" else SmtpTransport(settings)


class WebhookPoster:
    """POSTs a signed event to a partner's endpoint; any answer but 2xx, or none in time, is a
    transient failure (retried with back-off until the attempts run out)."""

    def __init__(self, settings: Settings) -> None:
        self.timeout = settings.webhook_timeout
        self.allow_loopback = settings.webhook_allow_local_http

    async def post(self, url: str, body: bytes, headers: dict[str, str]) -> None:
        try:  # resolved and checked again at each POST, and sent to the address checked (endpoints.py)
            target = await endpoints.check(url, self.allow_loopback)
        except Refused as refused:
            raise Transient(f"endpoint refused: {refused.reason}") from None
        headers = {"content-type": "application/json", **headers, "host": target.host}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, follow_redirects=False) as client:
                sni = {"sni_hostname": target.server_name}
                answer = await client.post(target.url, content=body, headers=headers, extensions=sni)
        except httpx.HTTPError as error:
            raise Transient(f"endpoint unreachable: {type(error).__name__}") from error
        if not 200 <= answer.status_code < 300:
            raise Transient(f"endpoint answered HTTP {answer.status_code}")
