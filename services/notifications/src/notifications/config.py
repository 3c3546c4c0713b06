"""Settings of the notifications service (environment variables `PTFC_*`).

`ptfc up` sets `PTFC_SMTP_HOST` / `PTFC_SMTP_PORT` to its local mailbox, so a person can read
every message under `var/mail/`."""

from datetime import timedelta
from typing import Literal

from pydantic import Field, SecretStr, model_validator

from ptfc.events import PROVIDERS
from ptfc.settings import DEV_WEBHOOK_SEAL_KEY, ServiceSettings


class Settings(ServiceSettings):
    service: str = "notifications"

    # how messages leave: "smtp" (any mail server) or "notify" (GOV.UK Notify)
    transport: Literal["smtp", "notify"] = "smtp"
    smtp_host: str = "127.0.0.1"
    smtp_port: int = 1025
    smtp_tls: Literal["none", "starttls", "tls"] = "none"
    smtp_username: str | None = None
    smtp_password: SecretStr | None = None
    smtp_timeout: float = 10.0  # per SMTP command; below send_lease
    sender: str = "Planning Together for Children <no-reply@ptfc.example>"
    notify_api_key: SecretStr | None = None
    notify_template_id: str = ""  # a Notify email template with ((subject)) and ((body))
    notify_reply_to_id: str | None = None

    # who receives professional messages
    provider_inboxes: dict[str, str] = {
        "action-for-children": "ptfc-referrals@actionforchildren.example",
        "family-action": "ptfc-referrals@family-action.example",
    }
    courts_inbox: str = "family-court-outcomes@justice.example"  # when a referral names no court email

    # what parents are told
    hub_url: str = "http://127.0.0.1:8000"  # the Parent Hub, where parents sign in and book
    support_email: str = "support@ptfc.example"
    support_phone: str = "0300 123 4567"
    local_timezone: str = "Europe/London"  # times in messages are shown as people in England read them

    # delivery: attempts and back-off for transient failures (doubles each time), and the claim lease
    send_attempts: int = 6
    send_backoff: timedelta = timedelta(minutes=1)
    # A claim's lease covers one round of sends (they go at once): above smtp_timeout, so a live
    # sender keeps its claim, and short, so a delivery whose sender died goes again within ~30 s.
    send_lease: timedelta = timedelta(seconds=30)
    send_batch: int = 50
    # Deliveries claimed, sent and recorded together, each send on its own connection. A round is
    # three store round trips and a send, so this bounds the sender's rate: at 8, a round of
    # 250-500 ms on a busy store (16-32 letters/s) fell behind a steady 5 referrals/s (20 letters/s)
    # and its backlog took seconds to clear (bench/README.md, ninth run). A relay that allows fewer
    # connections per client needs this set to its limit.
    send_concurrency: int = 16
    # The sender sweep looks this often (an idle look is one indexed read): a welcome letter
    # planned just after a look would otherwise wait a whole interval.
    sweep_interval: timedelta = timedelta(milliseconds=200)

    # webhooks to partners' endpoints: attempts and back-off (doubles each time), the claim lease
    webhook_attempts: int = 10
    webhook_backoff: timedelta = timedelta(seconds=30)
    webhook_timeout: float = 10.0  # seconds for the endpoint to answer
    webhook_lease: timedelta = timedelta(minutes=2)  # well above webhook_timeout
    webhook_replay_max: int = 10_000  # events one replay request may queue
    # After a secret's rotation, POSTs carry a signature with the old secret too for this long: the
    # partner deploys the new one within it (docs/partners.md, "Rotating the signing secret").
    webhook_secret_overlap: timedelta = timedelta(days=7)
    # Endpoints on this machine (loopback addresses, and plain http:// to them), for development and
    # tests only: refused outside PTFC_ENV=dev, as the development keys are. Every other endpoint must
    # be https and resolve to public addresses only (endpoints.py).
    webhook_allow_local_http: bool = False
    # Seals each endpoint's signing secret at rest (ptfc.sealing): a copy of the database cannot sign.
    webhook_seal_key: str = Field(DEV_WEBHOOK_SEAL_KEY, min_length=32)

    @model_validator(mode="after")
    def _complete(self) -> "Settings":
        missing = [slug for slug in PROVIDERS if not self.provider_inboxes.get(slug)]
        if missing:
            raise ValueError(f"provider_inboxes needs an address for: {', '.join(missing)}")
        if self.transport == "notify" and not (self.notify_api_key and self.notify_template_id):
            raise ValueError("transport 'notify' needs notify_api_key and notify_template_id")
        if self.send_concurrency < 1:
            raise ValueError("send_concurrency must be at least 1")
        if self.send_attempts < 1:
            raise ValueError("send_attempts must be at least 1")
        if self.webhook_allow_local_http and self.env != "dev":
            raise ValueError(f"webhook_allow_local_http is for development and tests only (PTFC_ENV={self.env})")
        if self.webhook_lease.total_seconds() <= self.webhook_timeout:
            raise ValueError("webhook_lease must be longer than webhook_timeout")
        if self.send_lease.total_seconds() <= self.smtp_timeout:
            raise ValueError("send_lease must be longer than smtp_timeout")
        return self
