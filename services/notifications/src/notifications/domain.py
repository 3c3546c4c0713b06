"""What a delivery row holds, what happens after each attempt to send, when a message may be sent
again, and the rules of partners' webhooks. No I/O. Which event becomes which letter is letters.py."""

import base64
import hashlib
import hmac
import ipaddress
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any
from urllib.parse import urlsplit

from pydantic import AwareDatetime, TypeAdapter

from ptfc.events import EVENTS, ParticipantContact, ReferralCreated
from ptfc.refusals import Refused as Refused  # re-exported: endpoints and transports catch it

PARENT_TEMPLATES = (
    "welcome",
    "sign_in_link",
    "course_closed",
    "link_expired",
    "deadline_reminder",
    "deadline_extended",
    "learning_complete",
    "workshop_booked",
    "workshop_reminder",
    "workshop_cancelled",
    "booking_cancelled",
    "workshop_missed",
    "course_completed",
    "followup_scheduled",
    "plan_invitation",
    "plan_reply",
    "contact_changed",
    "contact_confirmed",
)
PROFESSIONAL_TEMPLATES = (
    "provider_heads_up",
    "activation_chaser",
    "completion_report",
    "incomplete_report",
    "safeguarding_alert",
)
URGENT = frozenset({"safeguarding_alert"})


PARENTS_OWN = frozenset({"parent", "co_parent", "invitee"})  # recipient roles whose mail is a parent's own


def rank(template: str, role: str) -> int:
    """Which due letters go first when more are due than the sender sends at once (a surge of
    referrals): a safeguarding alert, then a parent's own letters (their course clock is running),
    then the professionals' copies and heads-ups."""
    return 0 if template in URGENT else 1 if role in PARENTS_OWN else 2


@dataclass(frozen=True)
class Contact:
    """What it takes to reach one parent, kept from `referral.created`."""

    participant_id: str
    referral_id: str
    given_name: str
    family_name: str
    email: str
    phone: str = ""
    language: str = "en"
    interpreter: str | None = None
    in_person: bool = False
    withdrawn: bool = False

    @property
    def full_name(self) -> str:
        return f"{self.given_name} {self.family_name}"


@dataclass(frozen=True)
class Referral:
    """The professional side of a referral: never a parent's details."""

    referral_id: str
    case_number: str
    court: str
    court_email: str | None
    fca_id: str
    fca_name: str
    fca_email: str
    provider: str


def referral_kept(data: ReferralCreated) -> dict[str, Any]:
    """The professional side of `referral.created`, as kept to write to them (`Referral`)."""
    kept = {"case_number": data.case_number, "court": data.court, "court_email": data.court_email}
    kept |= {"fca_id": data.fca_id, "fca_name": data.fca.name, "fca_email": data.fca.email}
    return kept | {"provider": data.provider}


def contact_kept(referral_id: str, person: ParticipantContact) -> dict[str, Any]:
    """Only what reaching a parent needs (`Contact`); gender, availability and children stay out."""
    kept = {"referral_id": referral_id, "given_name": person.given_name, "family_name": person.family_name}
    kept |= {"email": person.email, "phone": person.phone, "language": person.preferred_language}
    return kept | {"interpreter": person.adjustments.interpreter, "in_person": person.adjustments.in_person}


@dataclass(frozen=True)
class Booking:
    """Where a parent's workshop is, kept from `workshop.booked` for the reminder."""

    mode: str
    video_link: str | None = None
    venue: str | None = None


@dataclass(frozen=True)
class Planned:
    template: str
    role: str  # RecipientRole
    to: str
    language: str
    subject_id: str  # whom the message is about: a participant, or a plan invitation
    context: dict[str, Any] = field(default_factory=dict)
    attachments: tuple[str, ...] = ()  # kinds: "ics", "certificate"
    skip_reason: str | None = None

    def key(self, source_event_id: str) -> str:
        """One message per source event, recipient and template."""
        return f"{source_event_id}:{self.template}:{self.role}:{self.subject_id}"


@dataclass(frozen=True)
class Inboxes:
    providers: dict[str, str]
    courts: str


def retry_delay(backoff: timedelta, attempts: int) -> timedelta:
    """Wait before the next try after `attempts` tries: backoff, twice that, four times… capped at a day."""
    return min(backoff * 2 ** max(attempts - 1, 0), timedelta(days=1))


# ---- deliveries ----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Source:
    """The event a message is planned from, and the referral whose FCA may read the log."""

    event_id: str
    type: str
    correlation_id: str
    fca_id: str | None
    referral_id: str | None


def delivery(planned: Planned, source: Source, row_id: Any, rendered: dict[str, Any], now: datetime) -> dict[str, Any]:
    """The delivery row of one planned message, rendered once so a resend is the same message.
    `rendered` holds its subject, text, html and stored attachments."""
    return {
        "_id": row_id,
        "key": planned.key(source.event_id),
        "notification_id": str(row_id),
        "correlation_id": source.correlation_id,
        "referral_id": source.referral_id,
        "participant_id": planned.subject_id if planned.role != "invitee" else None,
        "fca_id": source.fca_id,  # which FCA may read this log
        "source_event_id": source.event_id,
        "source_type": source.type,
        "template": planned.template,
        "recipient_role": planned.role,
        "to": planned.to,
        "language": planned.language,
        **rendered,
        "urgent": planned.template in URGENT,
        "rank": rank(planned.template, planned.role),
        **_not_tried(now),
        "status": "skipped" if planned.skip_reason else "pending",
        "skip_reason": planned.skip_reason,
        "resend_of": None,
    }


def _not_tried(now: datetime) -> dict[str, Any]:
    """A row due now that no sender has tried yet."""
    status = {"status": "pending", "skip_reason": None, "attempts": 0, "due_at": now, "created_at": now}
    return status | {"sent_at": None, "failed_at": None, "last_error": None}


def resend(original: dict[str, Any], row_id: Any, by: str, now: datetime) -> dict[str, Any]:
    """The same message again, to the same recipient, as a new notification: only once the
    original was sent or failed (a pending one is still going to be tried)."""
    if original["status"] not in ("sent", "failed"):
        raise Refused(
            "not-finished",
            f"This notification is {original['status']}; only a sent or failed one can be resent.",
        )
    return {
        **{k: v for k, v in original.items() if k not in ("_id", "lease")},
        "_id": row_id,
        "notification_id": str(row_id),
        "key": f"resend:{original['notification_id']}:{row_id}",
        **_not_tried(now),
        "resend_of": original["notification_id"],
        "resent_by": by,
    }


@dataclass(frozen=True)
class Attempt:
    """What to record after one try to send: the row's changes, and the reason if it finally failed."""

    changes: dict[str, Any]
    failed: str | None = None

    @property
    def final(self) -> bool:
        return self.changes["status"] in ("sent", "failed")


def after_attempt(
    attempts: int, limit: int, backoff: timedelta, now: datetime, error: str | None = None, transient: bool = False
) -> Attempt:
    """Sent; or a transient failure with attempts left, tried again later; or failed for good."""
    if error is None:
        return Attempt({"status": "sent", "sent_at": now, "last_error": None})
    if transient and attempts < limit:
        return retry_later(attempts, backoff, now, error)
    reason = f"attempts exhausted: {error}" if transient else error
    return Attempt({"status": "failed", "failed_at": now, "last_error": reason}, reason)


FAILURE_STATUS = re.compile(r"\b(smtp|notify)\s+([2-5][0-9]{2})\b")
FIXED_FAILURES = {"attempts exhausted", "endpoint disabled", "the event expired before it was sent"}


def failure_summary(error: str) -> str:
    """What partners read of a failure (`notification.failed`'s `reason`): a fixed vocabulary (the
    transport and its status code, `smtp no answer`, `delivery error`), never a server's own words,
    which may echo the recipient however well the delivery log's copy is scrubbed (issue 24, finding 10)."""
    if error in FIXED_FAILURES:
        return error
    exhausted = error.startswith("attempts exhausted")
    if found := FAILURE_STATUS.search(error):
        what = f"{found[1]} {found[2]}"
    elif (transport := error.removeprefix("attempts exhausted: ").split(" ", 1)[0]) in ("smtp", "notify"):
        what = f"{transport} no answer"  # refused or dropped connections, timeouts
    else:
        what = "delivery error"
    return f"attempts exhausted: {what}" if exhausted else what


def retry_later(attempts: int, backoff: timedelta, now: datetime, error: str) -> Attempt:
    """Kept pending, tried again after a growing delay (also after an unexpected error in a transport)."""
    return Attempt({"status": "pending", "due_at": now + retry_delay(backoff, attempts), "last_error": error})


def not_sent(now: datetime, why: str) -> Attempt:
    """Failed without a try: nothing (no endpoint, no event) left to send it to or with."""
    return Attempt({"status": "failed", "failed_at": now, "last_error": why}, why)


def given_up(now: datetime) -> Attempt:
    """A row claimed past its last attempt: its sender died on that one."""
    return Attempt({"status": "failed", "failed_at": now}, "attempts exhausted")


# ---- webhooks: events for partners who cannot hold a NATS connection ---------------------------

# Events that carry sealed material (contact details, sign-in and invitation links): never sent to
# a partner's endpoint. Every other catalogue event may be, as it is on the stream.
SEALED_EVENTS = frozenset(
    {
        "referral.created",
        "referral.contact_changed",
        "account.activation_issued",
        "account.sign_in_link_issued",
        "plan.shared",
    }
)
WEBHOOK_EVENTS = tuple(sorted(t for t in EVENTS if t not in SEALED_EVENTS))
SECRET_PREFIX = "whsec_"


# Names reserved for documentation and testing (RFC 2606, RFC 6761): never an endpoint, and never
# looked up (a test's example address causes no DNS query).
RESERVED_NAMES = (".example", ".invalid", ".test", ".local")


def webhook_url_refusal(url: str, allow_loopback: bool) -> Refused | None:
    """What an endpoint address must be before its name is resolved: https (plain http only to this
    machine, and only where `allow_loopback`, a development and test setting), a host, a port, no
    user or password (a URL's userinfo is a credential, and `GET /webhooks` shows the URL again)."""
    not_https = Refused("webhook-url-not-https", "Give an https:// address to post to.")
    try:
        parts = urlsplit(url)
        host, _ = parts.hostname or "", parts.port  # a port out of range raises ValueError
    except ValueError:  # not an address at all
        return not_https
    local = parts.scheme == "http" and host in LOOPBACK_NAMES
    if not host or not (parts.scheme == "https" or (local and allow_loopback)):
        return not_https
    if parts.username is not None or parts.password is not None:
        return Refused(
            "webhook-url-has-credentials",
            "Give the address without a user name or password: each POST is signed with the endpoint's secret.",
        )
    if host.rstrip(".").endswith(RESERVED_NAMES):
        return unresolvable()
    return None


LOOPBACK_NAMES = ("127.0.0.1", "localhost", "::1")


def unresolvable() -> Refused:
    return Refused("webhook-url-unresolvable", "The endpoint's host name has no address.")


def address_refused(address: str, allow_loopback: bool) -> bool:
    """Whether an endpoint may not be at this IP address: only public unicast addresses are. Refused:
    loopback (unless `allow_loopback`), private (10/8, 172.16/12, 192.168/16, fc00::/7), link-local and
    cloud metadata (169.254/16, fe80::/10), CGNAT (100.64/10), 0/8, multicast, reserved and
    documentation ranges, and any of these inside IPv6 (IPv4-mapped, 6to4, NAT64, Teredo)."""
    try:
        ip = ipaddress.ip_address(address.split("%", 1)[0])  # an IPv6 zone (`fe80::1%eth0`) is link-local anyway
    except ValueError:
        return True
    inner = [ip]
    if isinstance(ip, ipaddress.IPv6Address):
        inner += [v4 for v4 in (ip.ipv4_mapped, ip.sixtofour, ip.teredo and ip.teredo[1]) if v4]
        if ip in NAT64:
            inner.append(ipaddress.IPv4Address(int(ip) & 0xFFFFFFFF))
    for each in inner:
        if each.is_loopback and allow_loopback:
            continue
        if each.is_multicast or not each.is_global:
            return True
    return False


NAT64 = ipaddress.ip_network("64:ff9b::/96")


def addresses_refusal(addresses: list[str], allow_loopback: bool) -> Refused | None:
    """An endpoint is refused if its name has no address or any of them is refused (a name with one
    public and one private address could be answered either way, at registration or at a POST)."""
    if not addresses:
        return unresolvable()
    if any(address_refused(a, allow_loopback) for a in addresses):
        return Refused(
            "webhook-url-address-not-allowed",
            "The endpoint's host resolves to an address that is not public (loopback, private, link-local, "
            "CGNAT, metadata or multicast).",
        )
    return None


def already_registered(endpoint_id: str) -> Refused:
    """One endpoint per partner and URL: registering it again (without the first request's
    Idempotency-Key) is refused and names the one registered, rather than adding a second that
    would get every event twice."""
    return Refused(
        "webhook-already-registered",
        f"This partner's endpoint at this address is registered as {endpoint_id}; disable it first to replace it.",
        existing_webhook_id=endpoint_id,
    )


def endpoint_disabled(endpoint_id: str) -> Refused:
    """A replay to a disabled endpoint would only fail, event by event: refused at once instead."""
    return Refused(
        "webhook-endpoint-disabled",
        f"Endpoint {endpoint_id} is disabled: enable it (POST /webhooks/{endpoint_id}/enable) before replaying to it.",
    )


def signing_secrets(endpoint: dict[str, Any], now: datetime) -> list[str]:
    """The sealed secrets an endpoint's POSTs are signed with: its current one, and during a
    rotation's overlap (`previous_secret_until`) the one before, so the partner can switch when ready."""
    sealed = [endpoint["sealed_secret"]]
    if endpoint.get("previous_sealed_secret") and now < endpoint["previous_secret_until"]:
        sealed.append(endpoint["previous_sealed_secret"])
    return sealed


def sign_webhook_with(secrets_: list[str], message_id: str, timestamp: int, body: bytes) -> str:
    """Standard Webhooks allows several signatures, space-separated: one per secret; a receiver
    accepts the POST if any of them verifies with the secret it holds."""
    return " ".join(sign_webhook(secret, message_id, timestamp, body) for secret in secrets_)


def new_webhook_secret() -> str:
    """A Standard Webhooks signing secret: `whsec_` and 32 random bytes in base64."""
    return SECRET_PREFIX + base64.b64encode(secrets.token_bytes(32)).decode()


def sign_webhook(secret: str, message_id: str, timestamp: int, body: bytes) -> str:
    """`webhook-signature` per Standard Webhooks: v1, HMAC-SHA256 of `id.timestamp.body`."""
    key = base64.b64decode(secret.removeprefix(SECRET_PREFIX))
    signed = f"{message_id}.{timestamp}.".encode() + body
    return "v1," + base64.b64encode(hmac.new(key, signed, hashlib.sha256).digest()).decode()


_INSTANT = TypeAdapter(AwareDatetime)


def partner_view(envelope: dict[str, Any]) -> dict[str, Any]:
    """What a partner's endpoint receives: the envelope and the data as the event's model has it,
    only for events without sealed material."""
    if envelope["type"] in SEALED_EVENTS:
        raise ValueError(f"{envelope['type']} is not sent to partners")
    keys = ("event_id", "type", "version", "occurred_at", "correlation_id", "producer", "data")
    view = {k: envelope[k] for k in keys}
    # The time as the stream has it (pydantic's JSON: `...Z`), not Python's `+00:00`.
    view["occurred_at"] = _INSTANT.dump_python(_INSTANT.validate_python(view["occurred_at"]), mode="json")
    # A sealed field of an event partners may have (workshop.booked's video link) is for notifications:
    # the endpoint sees only that there is one (`has_video_link`).
    view["data"] = {k: v for k, v in view["data"].items() if not k.startswith("sealed_")}
    return view


def webhook_delivery(endpoint: dict[str, Any], event: dict[str, Any], now: datetime, replay: str | None) -> dict:
    """One POST of one event to one endpoint, due now. Unique per endpoint, event and replay."""
    return {
        "key": f"{endpoint['_id']}:{event['_id']}:{replay or 'live'}",
        "endpoint_id": endpoint["_id"],
        "event_id": event["_id"],
        "type": event["type"],
        "occurred_at": event["occurred_at"],
        "replay": replay,
        "status": "pending",
        "attempts": 0,
        "due_at": now,
        "created_at": now,
        "last_error": None,
    }
