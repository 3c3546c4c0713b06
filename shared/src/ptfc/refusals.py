"""One way to refuse, in every service. A rule says no without HTTP in mind: it raises
`Refused(reason, detail, **facts)` or `Unknown(what)`. Each service's `refusals.py` keeps only its
table of words, reason → (status, title) or (status, title, detail), given to `build_app(...,
refusals=WORDS)`; `ptfc.problems.install` answers every refusal a route lets through as its RFC 9457
problem (`ptfc.problems.refused`): a route needs no try/except. This module imports nothing but the
standard library, so a domain may raise these without a web library.

`reason` is stable (the problem's `type`); `facts` are safe to show the caller (the problem's extra
members). A detail in the table is the words for everyone, whatever the rule said (workshops'
"session unavailable" must read the same whatever the reason, so it never tells where a co-parent
is); without one, the rule's own detail (which may name the case's facts) is used."""

from collections.abc import Mapping
from typing import Any

Words = tuple[int, str] | tuple[int, str, str]  # status, title[, detail for everyone]
Table = Mapping[str, Words]


class Refused(Exception):
    """A rule says no. `reason` becomes the problem's type; the service's table words it."""

    def __init__(self, reason: str, detail: str = "", **facts: Any) -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail
        self.facts = facts


class Unknown(Exception):
    """No such record (or none the caller may see: the two are answered alike, 404)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what
