"""A real SMTP server for tests (aiosmtpd) on a free port, keeping what it accepts; it can be
told to refuse a recipient's next messages with given replies before it accepts."""

from email import message_from_bytes, policy
from email.message import EmailMessage

from aiosmtpd.controller import Controller

from ptfc.dev.servers import free_port


class Mailbox:
    """An SMTP server that keeps what it accepts; `refuse(...)` queues replies for the next DATA."""

    def __init__(self) -> None:
        self.port = free_port()
        self.received: list[tuple[list[str], EmailMessage]] = []
        self.refusals: dict[str, list[str]] = {}  # recipient -> replies to give before accepting
        self.refused = 0
        self.controller: Controller | None = None

    async def handle_DATA(self, server, session, envelope) -> str:
        queued = next((self.refusals[r] for r in envelope.rcpt_tos if self.refusals.get(r)), None)
        if queued:
            self.refused += 1
            return queued.pop(0)
        message = message_from_bytes(envelope.original_content or envelope.content, policy=policy.default)
        self.received.append((list(envelope.rcpt_tos), message))
        return "250 OK"

    def start(self) -> None:
        self.controller = Controller(self, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller:
            self.controller.stop()
            self.controller = None

    def refuse(self, recipient: str, *replies: str) -> None:
        self.refusals.setdefault(recipient, []).extend(replies)

    def to(self, address: str) -> list[EmailMessage]:
        return [m for rcpt, m in self.received if address in rcpt]

    def with_subject(self, text: str) -> list[EmailMessage]:
        return [m for _, m in self.received if text in str(m["Subject"])]


def text_of(message: EmailMessage) -> str:
    """Everything a reader of a message sees: its headers of people and every text part, the
    calendar file included (for checking what a letter says, or that it says nothing it must not)."""
    parts = [str(message["Subject"]), str(message["To"]), str(message["From"]), str(message.get("Reply-To", ""))]
    for part in message.walk():
        if part.get_content_type() in ("text/plain", "text/html", "text/calendar"):
            content = part.get_content()
            parts.append(content if isinstance(content, str) else content.decode(errors="replace"))
    return "\n".join(parts)
