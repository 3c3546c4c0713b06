"""Single-use links are rendered on send, never kept in clear (issue 10).

A planned message is rendered with a stand-in for the link (the link with its token replaced),
and the delivery row keeps the link only as it came on the bus: sealed (`sealed_link`). The
sender swaps the real link in just before the message leaves, so the delivery log and a copy of
the database hold no usable link, and a resend still sends a working one while it is valid."""

import re
from html import escape
from typing import Any

from ptfc.sealing import unseal

TOKEN = re.compile(r"([?&]token=)[^\s&\"'<>]+")


def stand_in(link: str) -> str:
    """The link as stored in the rendered message: its token replaced."""
    return TOKEN.sub(r"\1sealed", link)


def opened(sealed: str | None, settings: Any) -> str | None:
    """A link (or address) as it came sealed on the bus for notifications alone, opened."""
    return unseal(settings.link_seal_key, sealed, settings.link_seal_previous_keys) if sealed else None


def filled(row: dict[str, Any], settings: Any) -> tuple[str, str]:
    """The text and html of a delivery row with its real link in place."""
    if not row.get("sealed_link"):
        return row["text"], row["html"]
    link = opened(row["sealed_link"], settings)
    assert link is not None
    shown = stand_in(link)
    return row["text"].replace(shown, link), row["html"].replace(escape(shown), escape(link))
