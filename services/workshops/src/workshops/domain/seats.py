"""Who may sit where: a parent's fit to a session (provider, language or interpreter, in person,
pattern and format), a free seat, and the co-parent rule (`apart`), decided here once for the
offered list (store.offered_sessions), a booking (booking.book) and the allocator."""

import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime
from functools import lru_cache

from workshops.domain.base import utc

PATTERNS: tuple[str, ...] = ("daytime", "weekend", "two_evenings")
# The referral's availability says which patterns can suit a parent.
PATTERN_OF_AVAILABILITY = {"daytime": "daytime", "weekend": "weekend", "evening": "two_evenings"}
# An interpreter need that names a session's own language needs no interpreter there.
LANGUAGE_CODE_OF_NAME = {"english": "en", "polish": "pl", "urdu": "ur"}


@dataclass(frozen=True)
class Seeker:
    """A parent looking for a seat, as the rules see them."""

    participant_id: str
    provider: str
    language: str
    interpreter: str | None = None
    in_person: bool = False
    gender: str | None = None
    patterns: frozenset[str] = frozenset(PATTERNS)
    formats: frozenset[str] = frozenset({"online", "in_person"})
    co_parents: frozenset[str] = frozenset()
    since: datetime | None = None  # on the waitlist since: earlier first
    split_key: str = ""  # the co-parent split's key (`co_parent_split_key`): see `eligible`


@dataclass
class Slot:
    """A session with its seats, as the rules see it. `members` are participant ids already in it."""

    session_id: str
    provider: str
    format: str
    pattern: str
    language: str
    interpreters: frozenset[str]
    capacity: int
    starts_at: datetime
    members: set[str] = field(default_factory=set)
    genders: dict[str, int] = field(default_factory=dict)  # how many of each gender are in it
    others: int = 0  # seats taken by parents not listed in `members` (the rules only need co-parents)

    @property
    def free(self) -> int:
        return self.capacity - len(self.members) - self.others


def patterns_for(availability: Iterable[str]) -> frozenset[str]:
    found = frozenset(PATTERN_OF_AVAILABILITY[a] for a in availability if a in PATTERN_OF_AVAILABILITY)
    return found or frozenset(PATTERNS)  # nothing said: any pattern may suit


def speaks(seeker: Seeker, language: str, interpreters: frozenset[str]) -> bool:
    """A parent who needs an interpreter needs one there (or a session in that language)."""
    if seeker.interpreter:
        need = seeker.interpreter.strip().casefold()
        return need in interpreters or LANGUAGE_CODE_OF_NAME.get(need) == language
    return seeker.language == language


def suits(seeker: Seeker, slot: Slot) -> bool:
    """The hard rules of fit, apart from seats and co-parents: provider, language or interpreter,
    in person exactly where needed, and a pattern and format the parent can come to."""
    return (
        slot.provider == seeker.provider
        and (slot.format == "in_person") == seeker.in_person
        and slot.format in seeker.formats
        and slot.pattern in seeker.patterns
        and speaks(seeker, slot.language, slot.interpreters)
    )


def may_sit(seeker: Seeker, slot: Slot) -> bool:
    """Every hard rule: the co-parent rule, a free seat and fit."""
    return apart(seeker, slot.session_id, slot.members) and slot.free > 0 and suits(seeker, slot)


def apart(seeker: Seeker, session_id: str, members: Iterable[str] = ()) -> bool:
    """The co-parent rule, decided here and nowhere else: co-parents are never in one workshop.
    A parent may be offered, book or be placed in a session only if it is in their half for
    every co-parent (`eligible`) and no co-parent of theirs is in it (`members`: implied by the
    halves, kept as a second guard in case they were ever drawn anew). The offered list asks it
    with no members (it reads nothing of the co-parent), a booking and the allocator with the
    co-parents already in the group."""
    return eligible(session_id, seeker.participant_id, seeker.co_parents, seeker.split_key) and not (
        seeker.co_parents & set(members)
    )


@lru_cache(maxsize=65_536)  # the allocator asks the same pair and session again as it moves parents
def _half(session_id: str, participant_id: str, other: str, key: str) -> bool:
    pair = sorted((participant_id, other))
    message = json.dumps([session_id, *pair]).encode()  # unambiguous whatever the ids hold
    digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
    return pair[digest[0] & 1] == participant_id


def eligible(session_id: str, participant_id: str, co_parents: Iterable[str], key: str) -> bool:
    """Co-parent independence: every session belongs to one parent of each co-parent pair, drawn
    by a keyed hash of the session and the pair, never by a booking. A parent may be offered,
    book or be placed in a session only if it is theirs for every co-parent they have (one
    without a co-parent: every session). So co-parents are never offered the same session, and
    nothing one of them does (book, cancel, wait) can change what the other is offered, told or
    kept waiting for. The key keeps the draw unpredictable to anyone who learns the ids."""
    return all(_half(session_id, participant_id, other, key) for other in co_parents if other != participant_id)


def interpreters_of(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().casefold() for n in names)


def seeker_of(parent: dict, split_key: str, wish: dict | None = None, chosen: bool = False) -> Seeker:
    """`chosen`: the parent picks the session themselves, so their availability does not filter
    (it guides the allocator, which chooses for them). `split_key` is `co_parent_split_key`: the
    list, a booking and the allocator must draw the same halves."""
    patterns = frozenset(wish["patterns"]) if wish and wish.get("patterns") else None
    if chosen:
        patterns = frozenset(PATTERNS)
    formats = frozenset(wish["formats"]) if wish and wish.get("formats") else None
    return Seeker(
        participant_id=parent["_id"],
        provider=parent["provider"],
        language=parent["language"],
        interpreter=parent.get("interpreter"),
        in_person=parent.get("in_person", False),
        gender=parent.get("gender"),
        patterns=patterns or patterns_for(parent.get("availability", [])),
        formats=formats or frozenset({"online", "in_person"}),
        co_parents=frozenset(parent.get("co_parents", [])),
        since=utc(wish["since"]) if wish else None,
        split_key=split_key,
    )


def slot_of(session: dict, members: set[str] | None = None) -> Slot:
    """`members` are the parents the rules must know by id (co-parents); the rest count as seats."""
    members = members or set()
    return Slot(
        session_id=str(session["_id"]),
        provider=session["provider"],
        format=session["format"],
        pattern=session["pattern"],
        language=session["language"],
        interpreters=interpreters_of(session.get("interpreters", [])),
        capacity=session["capacity"],
        starts_at=utc(session["starts_at"]),
        members=set(members),
        others=max(0, session["booked"] - len(members)),
    )
