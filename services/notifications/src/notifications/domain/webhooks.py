"""The rules of partners' webhooks: which events they may receive, the endpoint addresses allowed,
the signatures, an event as partners see it, one POST planned. No I/O."""

import base64
import hashlib
import hmac
import ipaddress
import json
import secrets
from datetime import datetime
from typing import Any
from urllib.parse import urlsplit

from pydantic import AwareDatetime, TypeAdapter

from notifications.domain.base import UnitOfWork
from ptfc.events import EVENTS, EventData
from ptfc.handlers import Meta
from ptfc.refusals import Refused

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


async def keep_for_partners(uow: UnitOfWork, data: EventData, meta: Meta) -> None:
    """Keeps the event as partners may see it (for replays) and plans a POST to each endpoint that wants it."""
    envelope = {**meta.__dict__, "event_id": str(meta.event_id)}  # partner_view writes the time as the stream does
    body = json.dumps(partner_view({**envelope, "data": data.model_dump(mode="json")}), separators=(",", ":"))
    event = {"_id": str(meta.event_id), "type": meta.type, "occurred_at": meta.occurred_at, "body": body}
    await uow.keep_partner_event({**event, "received_at": uow.now()})
    endpoints = await uow.endpoints_for(meta.type)
    await uow.plan_webhooks([webhook_delivery(e, event, uow.now(), None) for e in endpoints])
