"""Where a partner's webhook endpoint is. Its name is resolved and every address checked
(`domain.webhook_url_refusal`, `domain.addresses_refusal`) when it is registered and again before
each POST, and the POST connects to the address just checked (the name still goes in the Host
header and the TLS handshake, so the certificate is checked against it): a name that resolves
somewhere else by the time of the POST (DNS rebinding) reaches nothing it may not."""

import asyncio
import socket
from dataclasses import dataclass
from urllib.parse import urlsplit

from notifications import domain

RESOLVE_SECONDS = 5.0


@dataclass(frozen=True)
class Target:
    url: str  # the endpoint's URL with the checked address in place of its name
    host: str  # the Host header: the name and port as registered
    server_name: str  # the name the TLS certificate must hold (SNI)


async def resolve(host: str, port: int) -> list[str]:
    """Every address `host` has now (empty if none). Tests replace this: they never look a name up."""
    loop = asyncio.get_running_loop()
    try:
        found = await asyncio.wait_for(loop.getaddrinfo(host, port, type=socket.SOCK_STREAM), RESOLVE_SECONDS)
    except (OSError, UnicodeError, TimeoutError):  # socket.gaierror is an OSError
        return []
    return sorted({str(info[4][0]) for info in found})


async def check(url: str, allow_loopback: bool) -> Target:
    """The address to POST to, or `domain.Refused` if the URL, or any address its name has now, is not allowed."""
    if refused := domain.webhook_url_refusal(url, allow_loopback):
        raise refused
    parts = urlsplit(url)
    host, port = parts.hostname or "", parts.port or (443 if parts.scheme == "https" else 80)
    addresses = await resolve(host, port)
    if refused := domain.addresses_refusal(addresses, allow_loopback):
        raise refused
    address = addresses[0]
    netloc = f"[{address}]:{port}" if ":" in address else f"{address}:{port}"
    return Target(parts._replace(netloc=netloc).geturl(), parts.netloc, host)
