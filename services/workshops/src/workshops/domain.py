"""Rules of the workshop, with no I/O: session shapes, who may sit in which session, booking,
attendance and its outcome, follow-up sampling and the allocator.

The write rules at the end (sessions, booking and cancelling, the waiting list, attendance, misses,
reminders, follow-up calls, concerns, and what the events of other services change) work on stored
documents through a `UnitOfWork` (store.py gives the MongoDB one, tests an in-memory one), so every
state change is here and tested without servers."""

import hashlib
import hmac
import json
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from typing import Any, Literal, Protocol
from zoneinfo import ZoneInfo

from ptfc.events import (
    EventData,
    FollowupCompleted,
    FollowupScheduled,
    NotYetKnown,
    SafeguardingConcernRaised,
    SessionPart,
    WorkshopAttended,
    WorkshopBooked,
    WorkshopCancelled,
    WorkshopMissed,
    WorkshopReminderDue,
)
from ptfc.sealing import seal

log = logging.getLogger(__name__)

Format = Literal["online", "in_person"]
Pattern = Literal["daytime", "weekend", "two_evenings"]
Mark = Literal["attended", "missed", "left_early"]
PATTERNS: tuple[str, ...] = ("daytime", "weekend", "two_evenings")
# The referral's availability says which patterns can suit a parent.
PATTERN_OF_AVAILABILITY = {"daytime": "daytime", "weekend": "weekend", "evening": "two_evenings"}
# An interpreter need that names a session's own language needs no interpreter there.
LANGUAGE_NAMES = {"english": "en", "polish": "pl", "urdu": "ur"}


class Refused(Exception):
    """A rule says no. `reason` is stable (it becomes the problem's type); refusals.py words it."""

    def __init__(self, reason: str, detail: str = "") -> None:
        super().__init__(f"{reason}: {detail}" if detail else reason)
        self.reason = reason
        self.detail = detail


class Unknown(Exception):
    """No such record (or none the caller may see: the two are answered alike)."""

    def __init__(self, what: str) -> None:
        super().__init__(f"{what} not found")
        self.what = what


# ---- session shapes --------------------------------------------------------------------------


@dataclass(frozen=True)
class Rules:
    """Programme numbers, all settings."""

    content: timedelta = timedelta(hours=2, minutes=30)
    max_break: timedelta = timedelta(hours=1)
    max_group: int = 6
    aim: int = 5
    evening_from: int = 17  # local hour an evening part may start
    timezone: str = "Europe/London"


def check_shape(
    pattern: str, parts: list[tuple[datetime, datetime]], capacity: int, now: datetime, rules: Rules
) -> None:
    """Refuse a session that cannot work: each problem its own reason."""
    if capacity > rules.max_group:
        raise Refused("capacity-too-large", f"A group has at most {rules.max_group} parents.")
    if len(parts) != 2:
        raise Refused("parts-not-two-halves", "A workshop has two parts.")
    (s1, e1), (s2, e2) = sorted(parts)
    if e1 <= s1 or e2 <= s2 or s2 < e1:
        raise Refused("parts-overlap", "Each part must end after it starts, and the parts must not overlap.")
    if s1 <= now:
        raise Refused("parts-in-past", "Both parts must be in the future.")
    half = rules.content / 2
    if e1 - s1 != half or e2 - s2 != half:
        raise Refused("parts-not-two-halves", f"Each part is half of {_hm(rules.content)} of content.")
    zone = ZoneInfo(rules.timezone)
    d1, d2 = s1.astimezone(zone), s2.astimezone(zone)
    if pattern == "two_evenings":
        if d2.date() - d1.date() != timedelta(days=1):
            raise Refused("evenings-not-consecutive", "The two parts are on two consecutive evenings.")
        if d1.hour < rules.evening_from or d2.hour < rules.evening_from:
            raise Refused("evenings-not-consecutive", f"Each evening part starts at {rules.evening_from}:00 or later.")
        return
    if d1.date() != d2.date() or s2 == e1 or s2 - e1 > rules.max_break:
        raise Refused(
            "parts-not-two-halves", f"Both halves are on one day, with a break of at most {_hm(rules.max_break)}."
        )
    if pattern == "weekend" and d1.weekday() < 5:
        raise Refused("weekend-not-on-weekend", "A weekend session is on a Saturday or a Sunday.")


def check_place(format: str, video_link: str | None, venue: object | None) -> None:
    if format == "online" and not video_link:
        raise Refused("video-link-required", "Give the video link parents will join with.")
    if format == "in_person" and not venue:
        raise Refused("venue-required", "Give the venue's name, address and postcode.")


def _hm(d: timedelta) -> str:
    minutes = int(d.total_seconds() // 60)
    return f"{minutes // 60} h {minutes % 60:02d}"


# ---- who may sit where -----------------------------------------------------------------------


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

    def eligible(self, session_id: str) -> bool:
        return eligible(session_id, self.participant_id, self.co_parents, self.split_key)


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
        return need in interpreters or LANGUAGE_NAMES.get(need) == language
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
    """Every hard rule: the parent's half of the session (`eligible`), fit, a free seat, and no
    co-parent in the group (implied by the halves; kept as a second guard)."""
    return (
        seeker.eligible(slot.session_id)
        and slot.free > 0
        and suits(seeker, slot)
        and not (seeker.co_parents & slot.members)
    )


def eligible(session_id: str, participant_id: str, co_parents: Iterable[str], key: str) -> bool:
    """Co-parent independence: every session belongs to one parent of each co-parent pair, drawn
    by a keyed hash of the session and the pair, never by a booking. A parent may be offered,
    book or be placed in a session only if it is theirs for every co-parent they have (one
    without a co-parent: every session). So co-parents are never offered the same session, and
    nothing one of them does (book, cancel, wait) can change what the other is offered, told or
    kept waiting for. The key keeps the draw unpredictable to anyone who learns the ids."""
    for other in co_parents:
        if other == participant_id:
            continue
        pair = sorted((participant_id, other))
        message = json.dumps([session_id, *pair]).encode()  # unambiguous whatever the ids hold
        digest = hmac.new(key.encode(), message, hashlib.sha256).digest()
        if pair[digest[0] & 1] != participant_id:
            return False
    return True


def interpreters_of(names: Iterable[str]) -> frozenset[str]:
    return frozenset(n.strip().casefold() for n in names)


# ---- booking ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Course:
    """Where one parent's course stands, for the booking rules."""

    learning_completed: bool
    withdrawn: bool
    booked: bool
    attended: bool
    misses: int


def check_may_book(course: Course, max_misses: int = 2) -> None:
    if course.withdrawn:
        raise Refused("course-closed", "This course was withdrawn.")
    if course.attended:
        raise Refused("workshop-attended", "You have already attended a workshop.")
    if course.misses >= max_misses:
        raise Refused("no-more-rebooking", "A workshop was missed twice; the court has been told.")
    if not course.learning_completed:
        raise Refused("learning-not-complete", "Finish the e-learning first; then you can book a workshop.")
    if course.booked:
        raise Refused("already-booked", "You already have a booking. Cancel it first to book another.")


def check_may_cancel(first_starts_at: datetime, now: datetime, cutoff: timedelta) -> None:
    if now > first_starts_at - cutoff:
        raise Refused("too-late-to-cancel", f"A booking can be cancelled until {_hm(cutoff)} before the workshop.")


def bookable(slot: Slot, seeker: Seeker, now: datetime, cutoff: timedelta) -> bool:
    """A session this parent may book now (the same test for the list and for a booking)."""
    return slot.starts_at - cutoff > now and may_sit(seeker, slot)


# ---- attendance ------------------------------------------------------------------------------


def outcome(marks: dict[str, str], parts: int = 2) -> Literal["attended", "missed"] | None:
    """Both parts attended is attendance; any part missed or left early is a miss; else not yet known."""
    if any(m != "attended" for m in marks.values()):
        return "missed"
    if len(marks) == parts:
        return "attended"
    return None


def rebooking_offered(misses: int, max_misses: int = 2) -> bool:
    """The first miss offers one rebooking; the second is final."""
    return misses < max_misses


# ---- follow-up -------------------------------------------------------------------------------


def sampled(participant_id: str, one_in: int, salt: str) -> bool:
    """A reproducible 1-in-N sample: the same parent is always in or out for the same salt."""
    digest = hashlib.sha256(f"{salt}:{participant_id}".encode()).digest()
    return int.from_bytes(digest[:8], "big") % max(one_in, 1) == 0


def assignee(participant_id: str, facilitators: list[str]) -> str:
    """The facilitator who makes this parent's call: spread evenly, the same on every run."""
    options = sorted(facilitators)
    return options[int(hashlib.sha256(participant_id.encode()).hexdigest(), 16) % len(options)]


# Items adapted from the O'Leary-Porter Scale (Porter & O'Leary, 1980), which asks how often a
# child sees or hears conflict between their parents; rated 0 (never) to 4 (very often).
# See services/workshops/README.md for the source and how the wording was adapted.
MEASURE: dict[str, str] = {
    "argue_in_front": "How often do you and the other parent argue in front of your child?",
    "discipline": "How often do you disagree about discipline in front of your child?",
    "verbal_hostility": "How often does your child hear you or the other parent speak with hostility about the other?",
    "complaints": "How often do you complain about the other parent to your child or where they can hear?",
    "money": "How often does your child hear you and the other parent argue about money?",
}
SCALE = range(0, 5)


def check_measure(answers: dict[str, int]) -> None:
    if set(answers) != set(MEASURE):
        raise Refused("measure-incomplete", f"Answer every item: {', '.join(MEASURE)}.")
    if any(v not in SCALE for v in answers.values()):
        raise Refused("measure-out-of-range", "Each answer is 0 (never) to 4 (very often).")


# ---- allocation ------------------------------------------------------------------------------


def allocate(seekers: list[Seeker], slots: list[Slot], aim: int = 5) -> dict[str, str]:
    """Seats for waiting parents: participant id → session id. Hard rules are never broken;
    earlier waiters come first; then seats are maximised by moving earlier picks along
    alternating paths (never unseating one). Soft goals pick between fits: groups filled
    towards `aim` rather than to the limit, the earliest day, then men and women mixed."""
    by_key: dict[tuple, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        by_key.setdefault((slot.provider, slot.format, slot.pattern), []).append(slot)
    cache: dict[tuple, list[Slot]] = {}

    def candidates(s: Seeker) -> list[Slot]:
        # A parent with a co-parent has their own half of the sessions (`eligible`): their own list.
        key = (s.provider, s.in_person, s.formats, s.patterns, s.language, s.interpreter)
        key += (s.participant_id, s.co_parents, s.split_key) if s.co_parents else ()
        if key not in cache:
            found = [
                slot
                for fmt in (("in_person",) if s.in_person else ("online",))
                for pattern in s.patterns
                for slot in by_key.get((s.provider, fmt, pattern), ())
                if fmt in s.formats and speaks(s, slot.language, slot.interpreters) and s.eligible(slot.session_id)
            ]
            cache[key] = sorted(found, key=lambda x: (x.starts_at, x.session_id))  # ties: not by set order
        return cache[key]

    placed: dict[str, Slot] = {}
    order = sorted(seekers, key=lambda s: (s.since is None, s.since or 0, s.participant_id))
    for s in order:
        best = _pick(s, candidates(s), aim)
        if best is not None:
            _seat(s, best, placed)
    by_id = {s.participant_id: s for s in seekers}
    visited: set[str] = set()
    for s in order:
        if s.participant_id not in placed and _augment(s, candidates, placed, by_id, visited, 0):
            visited.clear()  # the seating changed: sessions judged hopeless may not be any more
    # Co-parents make a session judged hopeless for one parent not always hopeless for the next:
    # one more search each, from scratch, bounded so a large instance stays fast.
    budget = [SEARCH_BUDGET]
    for s in order:
        if s.participant_id not in placed:
            _augment(s, candidates, placed, by_id, set(), 0, budget)
    return {pid: slot.session_id for pid, slot in placed.items()}


def _pick(s: Seeker, candidates: list[Slot], aim: int) -> Slot | None:
    best, best_key = None, None
    for slot in candidates:
        if slot.free <= 0 or s.co_parents & slot.members:
            continue
        over = len(slot.members) >= aim
        if best_key is not None and not best_key[0] and slot.starts_at.date() > best_key[1]:
            break  # sorted by date: nothing later beats a group below the aim on an earlier day
        mine = slot.genders.get(s.gender or "", 0) if s.gender else 0
        others = len(slot.members) - mine
        key = (over, slot.starts_at.date(), mine > others, -len(slot.members), slot.starts_at)
        if best_key is None or key < best_key:
            best, best_key = slot, key
    return best


def _seat(s: Seeker, slot: Slot, placed: dict[str, Slot]) -> None:
    slot.members.add(s.participant_id)
    if s.gender:
        slot.genders[s.gender] = slot.genders.get(s.gender, 0) + 1
    placed[s.participant_id] = slot


def _unseat(s: Seeker, placed: dict[str, Slot]) -> Slot:
    slot = placed.pop(s.participant_id)
    slot.members.discard(s.participant_id)
    if s.gender:
        slot.genders[s.gender] -= 1
    return slot


MAX_PATH = 12  # alternating paths longer than this are rare and costly to search
SEARCH_BUDGET = 20_000  # sessions all the from-scratch searches together may look at


def _augment(
    s: Seeker,
    candidates: Callable[[Seeker], list[Slot]],
    placed: dict[str, Slot],
    by_id: dict[str, Seeker],
    visited: set[str],
    depth: int,
    budget: list[int] | None = None,
) -> bool:
    """Seat `s`, moving parents we placed (never those already booked) to other fitting sessions.
    A bounded search (`budget`: sessions left to look at) may also move a co-parent out of the way."""
    if depth > MAX_PATH:
        return False
    for slot in candidates(s):
        blockers = s.co_parents & slot.members
        if slot.session_id in visited or (blockers and not budget) or len(blockers) > 1:
            continue
        if budget:  # a bounded search: stop once it has looked at enough sessions
            budget[0] -= 1
            if budget[0] < 0:
                return False
        visited.add(slot.session_id)
        if slot.free > 0 and not blockers:
            _seat(s, slot, placed)
            return True
        # A co-parent in the group must move out for `s` to come in; otherwise anyone may.
        for pid in list(blockers or slot.members):
            other = by_id.get(pid)
            if other is None or placed.get(pid) is not slot:
                continue  # booked before this run: stays where they are
            _unseat(other, placed)
            if _augment(other, candidates, placed, by_id, visited, depth + 1, budget):
                _seat(s, slot, placed)
                return True
            _seat(other, slot, placed)
    return False


def violations(assignment: dict[str, str], seekers: list[Seeker], slots: list[Slot]) -> list[str]:
    """Every hard rule an assignment breaks (an independent check for tests and the benchmark).
    `slots` are as they were before the assignment."""
    by_id = {s.session_id: s for s in slots}
    who = {s.participant_id: s for s in seekers}
    groups: dict[str, set[str]] = {sid: set(slot.members) for sid, slot in by_id.items()}
    broken = []
    for pid, sid in assignment.items():
        slot = by_id[sid]
        if not suits(who[pid], slot):
            broken.append(f"{pid} does not fit {sid}")
        if not who[pid].eligible(sid):
            broken.append(f"{pid} placed outside their half in {sid}")
        groups[sid].add(pid)
    for sid, group in groups.items():
        if len(group) > by_id[sid].capacity:
            broken.append(f"{sid} over capacity")
        for pid in group:
            if pid in who and who[pid].co_parents & group:
                broken.append(f"{pid} shares {sid} with a co-parent")
    return broken


# ---- the write rules, through a unit of work ---------------------------------------------------

TAKEN = ("booked", "attended", "missed")  # a booking in one of these holds (or held) a seat


class UnitOfWork(Protocol):
    """What the write rules read and write, in one transaction. Documents are dicts as stored;
    `parents` and `waitlist` entries have the participant id as `_id`; other ids are opaque."""

    def now(self) -> datetime: ...
    def new_id(self) -> Any: ...
    async def parent(self, participant_id: str) -> dict | None: ...
    async def referral_of(self, participant_id: str) -> str | None: ...
    async def parents_of(self, referral_id: str, participant_ids: list[str] | None) -> list[dict]: ...
    async def save_parent(self, parent: dict) -> None: ...
    async def merge_parent(self, participant_id: str, fields: dict, if_new: dict) -> None: ...
    async def session(self, session_id: str) -> dict | None: ...
    async def add_session(self, session: dict) -> None: ...
    async def save_session(self, session: dict) -> None: ...
    async def booking(self, booking_id: str) -> dict | None: ...
    async def bookings_in(self, session_id: str, statuses: Iterable[str], participant_ids: list[str]) -> list[dict]: ...
    async def all_bookings_in(self, session_id: str, statuses: Iterable[str]) -> list[dict]: ...
    async def bookings_of(self, participant_ids: list[str], statuses: Iterable[str]) -> list[dict]: ...
    async def add_booking(self, booking: dict) -> None: ...
    async def save_booking(self, booking: dict) -> None: ...
    async def wish(self, participant_id: str) -> dict | None: ...
    async def save_wish(self, wish: dict) -> None: ...
    async def drop_wishes(self, participant_ids: list[str]) -> None: ...
    async def followup(self, followup_id: str) -> dict | None: ...
    async def followups_of(self, participant_id: str, status: str) -> list[dict]: ...
    async def add_followup(self, followup: dict) -> None: ...
    async def save_followup(self, followup: dict) -> None: ...
    async def concern(self, concern_id: str) -> dict | None: ...
    async def add_concern(self, concern: dict) -> None: ...
    async def add_concern_read(self, read: dict) -> None: ...
    async def record_withdrawal(self, referral_id: str, participant_ids: list[str], at: datetime) -> None: ...
    async def withdrawn(self, referral_id: str, participant_id: str) -> bool: ...
    async def emit(self, event: EventData, correlation_id: str) -> None: ...


class Timings(Protocol):
    """The settings the write rules read (durations are settings, so tests can shrink them)."""

    rules: Rules
    max_group: int
    cancel_cutoff: timedelta
    reminder_before: timedelta
    attendance_window: timedelta
    max_misses: int
    followup_one_in: int
    followup_salt: str
    followup_within: timedelta
    co_parent_split_key: str
    link_seal_key: str  # seals the video link in `workshop.booked` for notifications


def _utc(value: datetime) -> datetime:
    """MongoDB hands back naive datetimes; everything here is UTC."""
    return value if value.tzinfo else value.replace(tzinfo=UTC)


# ---- documents as the rules see them -----------------------------------------------------------


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
        since=_utc(wish["since"]) if wish else None,
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
        starts_at=_utc(session["starts_at"]),
        members=set(members),
        others=max(0, session["booked"] - len(members)),
    )


def course_of(parent: dict | None) -> Course:
    if parent is None or "provider" not in parent:  # its referral has not reached us yet
        return Course(False, False, False, False, 0)
    return Course(
        learning_completed=parent.get("learning_completed_at") is not None,
        withdrawn=parent.get("withdrawn", False),
        booked=parent.get("booking_id") is not None,
        attended=parent.get("attended_at") is not None,
        misses=parent.get("misses", 0),
    )


def may_book(parent: dict, max_misses: int) -> bool:
    try:
        check_may_book(course_of(parent), max_misses)
    except Refused:
        return False
    return True


def booking_ids(booking: dict) -> dict:
    return {
        "referral_id": booking["referral_id"],
        "participant_id": booking["participant_id"],
        "booking_id": str(booking["_id"]),
        "session_id": booking["session_id"],
    }


def booked_event(parent: dict, session: dict, booking_id: str, seal_key: str, changed: bool = False) -> WorkshopBooked:
    """What the parent needs to come: sent when they book, and again (`changed`) when the session's
    link or venue changes. The video link is sealed with `seal_key` (`link_seal_key`) for
    notifications alone: partners read this event too, and the link lets anyone into the group."""
    venue, video_link = session.get("venue"), session.get("video_link")
    return WorkshopBooked(
        referral_id=parent["referral_id"],
        participant_id=parent["_id"],
        booking_id=booking_id,
        session_id=str(session["_id"]),
        parts=[SessionPart(starts_at=p["starts_at"], ends_at=p["ends_at"]) for p in session["parts"]],
        mode=session["format"],
        has_video_link=bool(video_link),
        sealed_video_link=seal(seal_key, video_link) if video_link else None,
        venue=", ".join(venue[k] for k in ("name", "address", "postcode")) if venue else None,
        rebooking=parent.get("misses", 0) > 0,
        changed=changed,
    )


def next_reminder(parts: list[dict], t: Timings, now: datetime) -> datetime | None:
    ahead = [_utc(p["starts_at"]) - t.reminder_before for p in parts]
    ahead = [when for when in ahead if when > now]
    return min(ahead) if ahead else None


def timing(parts: list[tuple[datetime, datetime]], t: Timings) -> dict:
    return {
        "parts": [{"starts_at": s, "ends_at": e} for s, e in parts],
        "starts_at": parts[0][0],
        "closes_at": parts[-1][1] + t.attendance_window,
    }


def check_open_part(session: dict, part: int, now: datetime) -> None:
    if session["status"] != "scheduled":
        raise Refused("session-closed", "Attendance can be recorded until the session closes.")
    if now < _utc(session["parts"][part - 1]["starts_at"]):
        raise Refused("part-not-started", "Record attendance once the part has started.")


# ---- sessions ------------------------------------------------------------------------------------


async def add_session(uow: UnitOfWork, fields: dict, provider: str, created_by: str, t: Timings) -> dict:
    """A session provider staff create: its shape and place checked, nobody booked yet."""
    parts = sorted((p["starts_at"], p["ends_at"]) for p in fields["parts"])
    check_shape(fields["pattern"], parts, fields["capacity"], uow.now(), t.rules)
    check_place(fields["format"], fields.get("video_link"), fields.get("venue"))
    session = {
        "_id": uow.new_id(),
        "provider": provider,
        "status": "scheduled",
        "format": fields["format"],
        "video_link": fields.get("video_link") if fields["format"] == "online" else None,
        "venue": fields.get("venue") if fields["format"] == "in_person" else None,
        "pattern": fields["pattern"],
        "capacity": fields["capacity"],
        "booked": 0,
        "language": fields["language"],
        "interpreters": fields["interpreters"],
        "facilitators": sorted(set(fields["facilitators"])),
        "created_by": created_by,
        "created_at": uow.now(),
    }
    session |= timing(parts, t)
    await uow.add_session(session)
    return session


async def change_session(uow: UnitOfWork, session_id: str, changes: dict, t: Timings) -> dict:
    """Times only while nobody is booked; never fewer places than parents booked."""
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    if session["status"] != "scheduled":
        raise Refused("session-closed", "Only a scheduled session can change.")
    changes = {k: v for k, v in changes.items() if v is not None}
    capacity = changes.get("capacity", session["capacity"])
    parts = sorted((p["starts_at"], p["ends_at"]) for p in changes.pop("parts", None) or [])
    if parts:
        if session["booked"]:
            raise Refused("session-has-bookings", "Cancel the session and create another to change its times.")
        check_shape(session["pattern"], parts, capacity, uow.now(), t.rules)
        changes |= timing(parts, t)
    elif capacity > t.max_group:
        raise Refused("capacity-too-large", f"A group has at most {t.max_group} parents.")
    if "facilitators" in changes:
        changes["facilitators"] = sorted(set(changes["facilitators"]))
    if session["format"] == "online":
        changes.pop("venue", None)
    else:
        changes.pop("video_link", None)
    if session["booked"] > capacity:
        raise Refused("capacity-below-bookings", "Fewer places than parents already booked.")
    moved = any(k in changes and changes[k] != session.get(k) for k in ("video_link", "venue"))
    session |= changes
    await uow.save_session(session)
    if moved:  # each booked parent is sent where to come now
        for booking in await uow.all_bookings_in(session_id, ["booked"]):
            parent = await uow.parent(booking["participant_id"])
            if parent is not None:
                event = booked_event(parent, session, str(booking["_id"]), t.link_seal_key, changed=True)
                await uow.emit(event, parent["referral_id"])
    return session


async def cancel_session(uow: UnitOfWork, session_id: str) -> dict:
    """Each booked parent is told (`workshop.cancelled`) and put on the waiting list, so the next
    fitting seat is booked for them."""
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    if session["status"] == "cancelled":
        return session
    if session["status"] != "scheduled":
        raise Refused("session-closed", "A session that has closed cannot be cancelled.")
    await uow.save_session({**session, "status": "cancelled"})
    for booking in await uow.all_bookings_in(session_id, ["booked"]):
        await cancel_booking(uow, str(booking["_id"]), "session_cancelled")
        parent = await uow.parent(booking["participant_id"])
        patterns = sorted(patterns_for(parent.get("availability", []))) if parent else [session["pattern"]]
        await join_waitlist(uow, booking["participant_id"], patterns, [session["format"]])
    return await uow.session(session_id)  # type: ignore[return-value]


# ---- booking ---------------------------------------------------------------------------------


def referred(parent: dict | None) -> dict:
    """The parent's own record, once their referral has arrived."""
    if parent is None or "provider" not in parent:  # only `learning.completed` has arrived so far
        raise Refused("not-referred", "There is no workshop course for this account yet.")
    return parent


async def me(uow: UnitOfWork, participant_id: str) -> dict:
    return referred(await uow.parent(participant_id))


async def book(uow: UnitOfWork, participant_id: str, session_id: str, t: Timings) -> tuple[dict, dict]:
    """Book this parent into this session, or refuse. Every way a session cannot be booked is the
    same `session-unavailable`, so a refusal never tells where a co-parent is. The seat is the
    session's `booked` counter: two bookings of one session save the same document, so the later
    transaction conflicts, runs again and sees the first.

    A session outside the parent's half (`eligible`) is refused before anything about bookings
    is read, so the refusal does the same work whatever the co-parent did. The co-parent guard
    after it never refuses a session of the parent's half (the co-parent cannot be in it); it is
    there in case the halves were ever drawn anew."""
    now = uow.now()
    parent = await uow.parent(participant_id)
    check_may_book(course_of(parent), t.max_misses)
    assert parent is not None  # course_of said it has a referral
    session = await uow.session(session_id)
    if not session or session["status"] != "scheduled":
        raise Refused("session-unavailable")
    session_id = str(session["_id"])  # as stored: the id as sent may differ in case
    seeker = seeker_of(parent, t.co_parent_split_key, chosen=True)
    if not seeker.eligible(session_id):
        raise Refused("session-unavailable")
    together = await uow.bookings_in(session_id, TAKEN, parent.get("co_parents", []))
    slot = slot_of(session, {b["participant_id"] for b in together})
    if not bookable(slot, seeker, now, t.cancel_cutoff) or session["booked"] >= session["capacity"]:
        raise Refused("session-unavailable")
    session = {**session, "booked": session["booked"] + 1}
    await uow.save_session(session)
    booking = {
        "_id": uow.new_id(),
        "session_id": session_id,
        "participant_id": participant_id,
        "referral_id": parent["referral_id"],
        "cycle": parent.get("cycle", 1),
        "status": "booked",
        "marks": {},
        "reminder_due": next_reminder(session["parts"], t, now),
        "created_at": now,
    }
    await uow.add_booking(booking)
    await uow.save_parent({**parent, "booking_id": str(booking["_id"])})
    await uow.drop_wishes([participant_id])
    await uow.emit(booked_event(parent, session, str(booking["_id"]), t.link_seal_key), parent["referral_id"])
    return booking, session


async def cancel_booking(uow: UnitOfWork, booking_id: str, reason: str) -> None:
    """Free the seat and tell the parent (notifications words it by `reason`)."""
    booking = await uow.booking(booking_id)
    if booking is None or booking["status"] != "booked":
        return
    await uow.save_booking({**booking, "status": "cancelled", "reminder_due": None})
    session = await uow.session(booking["session_id"])
    if session is not None:
        await uow.save_session({**session, "booked": session["booked"] - 1})
    parent = await uow.parent(booking["participant_id"])
    if parent is not None and parent.get("booking_id") == booking_id:
        await uow.save_parent({**parent, "booking_id": None})
    await uow.emit(WorkshopCancelled(**booking_ids(booking), reason=reason), booking["referral_id"])


async def my_booking(uow: UnitOfWork, participant_id: str) -> tuple[dict, dict]:
    """The live booking; else, in this cycle, the last one attended or missed (the parent's page
    then says "attended" or "one rebooking left", not "book a workshop")."""
    parent = await me(uow, participant_id)
    booking_id = parent.get("booking_id") or parent.get("last_booking_id")
    booking = booking_id and await uow.booking(booking_id)
    if not booking:
        raise Refused("no-booking", "You have no workshop booked.")
    # The parent's misses in this cycle go with it: after one, one rebooking is left.
    session = await uow.session(booking["session_id"])
    return {**booking, "misses": parent.get("misses", 0)}, session  # type: ignore[return-value]


async def cancel_my_booking(uow: UnitOfWork, participant_id: str, t: Timings) -> tuple[dict, dict]:
    """Allowed until the cut-off before the first part; the seat goes to the next parent waiting."""
    booking, session = await my_booking(uow, participant_id)
    if booking["status"] != "booked":  # attended or missed: nothing left to cancel
        raise Refused("no-booking", "You have no workshop booked.")
    check_may_cancel(_utc(session["starts_at"]), uow.now(), t.cancel_cutoff)
    await cancel_booking(uow, str(booking["_id"]), "parent_cancelled")
    return {**booking, "status": "cancelled"}, session


async def join_waitlist(uow: UnitOfWork, participant_id: str, patterns: list[str], formats: list[str]) -> dict:
    """Waiting for a seat in a session of these patterns and formats; the first wish keeps its place."""
    wish = await uow.wish(participant_id) or {"_id": participant_id, "since": uow.now()}
    wish |= {"patterns": patterns, "formats": formats}
    await uow.save_wish(wish)
    return wish


async def wait(uow: UnitOfWork, participant_id: str, patterns: list[str], formats: list[str], t: Timings) -> dict:
    """A parent who may book and found nothing that suits waits for a seat the allocator finds."""
    check_may_book(course_of(await me(uow, participant_id)), t.max_misses)
    return await join_waitlist(uow, participant_id, patterns, formats)


async def stop_waiting(uow: UnitOfWork, participant_id: str) -> None:
    await me(uow, participant_id)
    await uow.drop_wishes([participant_id])


async def consent(uow: UnitOfWork, participant_id: str, given: bool) -> None:
    """Consent to a follow-up call, or withdraw it (a call already scheduled is then withdrawn)."""
    parent = await me(uow, participant_id)
    await uow.save_parent({**parent, "consent": given})
    if not given:
        for followup in await uow.followups_of(participant_id, "scheduled"):
            await uow.save_followup({**followup, "status": "withdrawn"})


# ---- attendance, misses and reminders ----------------------------------------------------------


async def record_mark(uow: UnitOfWork, session_id: str, participant_id: str, part: int, mark: str, t: Timings) -> dict:
    """One part's attendance for one parent. Both parts attended emits `workshop.attended` at
    once (it is final); a miss waits for the session to close, so it can still be corrected."""
    now = uow.now()
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    check_open_part(session, part, now)
    found = await uow.bookings_in(session_id, TAKEN, [participant_id])
    if not found:
        raise Refused("not-in-session")
    booking = found[0]
    if booking["status"] != "booked":
        if booking["marks"].get(str(part)) == mark:
            return booking  # the same thing again: acts once
        raise Refused("attendance-final")
    booking = {**booking, "marks": {**booking["marks"], str(part): mark}}
    if outcome(booking["marks"]) == "attended":
        booking |= {"status": "attended", "reminder_due": None, "attended_at": now}
        parent = await uow.parent(participant_id)
        if parent is not None:
            last = str(booking["_id"])
            await uow.save_parent({**parent, "attended_at": now, "booking_id": None, "last_booking_id": last})
        await uow.emit(WorkshopAttended(**booking_ids(booking), attended_at=now), booking["referral_id"])
        await schedule_followup(uow, session, booking, now, t)
    await uow.save_booking(booking)
    return booking


async def mark_missed(uow: UnitOfWork, booking: dict, t: Timings) -> None:
    """A booking not attended in full is a miss: the first offers one rebooking, the second is final."""
    parent = await uow.parent(booking["participant_id"])
    misses = parent.get("misses", 0) + 1 if parent else 1
    if parent is not None:
        last = str(booking["_id"])
        await uow.save_parent({**parent, "misses": misses, "booking_id": None, "last_booking_id": last})
    await uow.save_booking({**booking, "status": "missed", "reminder_due": None})
    offered = rebooking_offered(misses, t.max_misses)
    attended = sorted(int(p) for p, m in booking["marks"].items() if m == "attended")
    event = WorkshopMissed(**booking_ids(booking), misses=misses, rebooking_offered=offered, parts_attended=attended)
    await uow.emit(event, booking["referral_id"])


async def close_session(uow: UnitOfWork, session_id: str, t: Timings) -> bool:
    """After the last part and the attendance window: each booking not attended in full (a part
    missed, left early or never recorded) is a miss, sent once."""
    session = await uow.session(session_id)
    if session is None or session["status"] != "scheduled":
        return False  # closed already (by another replica) or cancelled
    await uow.save_session({**session, "status": "closed"})
    for booking in await uow.all_bookings_in(session_id, ["booked"]):
        await mark_missed(uow, booking, t)
    return True


async def remind(uow: UnitOfWork, booking_id: str, due: datetime, t: Timings) -> bool:
    """`workshop.reminder_due` for the part starting next, once; the next reminder is set due."""
    booking = await uow.booking(booking_id)
    if booking is None or booking["status"] != "booked" or booking["reminder_due"] != due:
        return False  # cancelled, attended, or already reminded by another replica
    session = await uow.session(booking["session_id"])
    assert session is not None
    due = _utc(due)
    await uow.save_booking({**booking, "reminder_due": next_reminder(session["parts"], t, due)})
    starts = min(_utc(p["starts_at"]) for p in session["parts"] if _utc(p["starts_at"]) - t.reminder_before >= due)
    await uow.emit(WorkshopReminderDue(**booking_ids(booking), starts_at=starts), booking["referral_id"])
    return True


# ---- follow-up calls ---------------------------------------------------------------------------


async def schedule_followup(uow: UnitOfWork, session: dict, booking: dict, attended_at: datetime, t: Timings) -> None:
    """Consenting parents in the sample get a call within the window, by a facilitator of the session."""
    parent = await uow.parent(booking["participant_id"])
    if not parent or parent.get("consent") is not True:
        return
    if not sampled(parent["_id"], t.followup_one_in, t.followup_salt):
        return
    followup = {
        "_id": uow.new_id(),
        "participant_id": parent["_id"],
        "referral_id": parent["referral_id"],
        "provider": session["provider"],
        "session_id": str(session["_id"]),
        "facilitator": assignee(parent["_id"], session["facilitators"]),
        "due_by": attended_at + t.followup_within,
        "status": "scheduled",
        "created_at": attended_at,
    }
    await uow.add_followup(followup)
    event = FollowupScheduled(
        referral_id=parent["referral_id"],
        participant_id=parent["_id"],
        followup_id=str(followup["_id"]),
        due_by=followup["due_by"],
    )
    await uow.emit(event, parent["referral_id"])


async def record_call(
    uow: UnitOfWork,
    followup_id: str,
    facilitator: tuple[str | None, str],
    reached: bool,
    answers: dict[str, int] | None,
) -> tuple[dict, str]:
    """The outcome of a ~10-minute call, by the facilitator it is assigned to, known by (provider,
    subject): reached or not, and the measure's answers if reached. Answers the call and the
    parent's first name."""
    if reached:
        check_measure(answers or {})
    elif answers:
        raise Refused("answers-without-reach", "Send answers only for a call that reached the parent.")
    followup = await uow.followup(followup_id)
    if not followup or (followup["provider"], followup["facilitator"]) != facilitator:
        raise Unknown("follow-up")
    if followup["status"] != "scheduled":
        raise Refused("followup-recorded" if followup["status"] == "completed" else "followup-closed")
    followup = {**followup, "status": "completed", "reached": reached, "answers": answers, "completed_at": uow.now()}
    await uow.save_followup(followup)
    ids = {k: followup[k] for k in ("referral_id", "participant_id")}
    await uow.emit(FollowupCompleted(**ids, followup_id=followup_id), followup["referral_id"])
    parent = await uow.parent(followup["participant_id"])
    return followup, parent["given_name"] if parent else ""


# ---- safeguarding ------------------------------------------------------------------------------


async def raise_concern(
    uow: UnitOfWork, session_id: str, participant_id: str, category: str, details: str, raised_by: str
) -> dict:
    """The details stay here; the event carries ids and the category, so the FCA is alerted at once."""
    session = await uow.session(session_id)
    if session is None:
        raise Unknown("session")
    booked = await uow.bookings_in(session_id, TAKEN, [participant_id])
    parent = booked and await uow.parent(participant_id)
    if not parent:
        raise Refused("not-in-session", "Raise a concern about a parent booked on this session.")
    concern = {
        "_id": uow.new_id(),
        "session_id": session_id,
        "participant_id": participant_id,
        "referral_id": parent["referral_id"],
        "fca_id": parent["fca_id"],
        "provider": session["provider"],
        "category": category,
        "details": details,
        "raised_by": raised_by,
        "raised_at": uow.now(),
    }
    await uow.add_concern(concern)
    event = SafeguardingConcernRaised(
        concern_id=str(concern["_id"]),
        referral_id=concern["referral_id"],
        participant_id=participant_id,
        session_id=session_id,
        raised_at=concern["raised_at"],
        category=category,
    )
    await uow.emit(event, concern["referral_id"])
    return concern


def may_read_concern(concern: dict | None, reader: str, role: str) -> bool:
    """Only the FCA of that referral: not the facilitator, not the provider, not ops."""
    return concern is not None and role == "cafcass" and reader == concern["fca_id"]


async def read_concern(uow: UnitOfWork, concern_id: str, reader: str, role: str) -> dict:
    """A concern's details, for its FCA alone; every read is recorded (who and when) before the
    details are answered."""
    concern = await uow.concern(concern_id)
    if not may_read_concern(concern, reader, role):
        raise Unknown("concern")
    assert concern is not None
    await uow.add_concern_read({"concern_id": concern_id, "reader": reader, "role": role, "at": uow.now()})
    return concern


# ---- what other services' events change ----------------------------------------------------------


async def know_parent(uow: UnitOfWork, participant_id: str, referral_id: str, kept: dict) -> None:
    """Remember a parent's needs, provider and co-parents from `referral.created`: who may sit with
    whom. Merged into the record field by field, first thing, since `learning.completed` may be
    creating it at the same moment. A withdrawal that arrived first is remembered: never bookable.

    A parent already known from a referral keeps what they were referred with: a later
    `referral.created` naming them (another referral id: a compromised or mistaken producer, since
    referrals gives every referral new participant ids) never re-points their provider, co-parents
    or profile. It is logged, not acted on; a new course for the same parent is `referral.reordered`."""
    known = await uow.referral_of(participant_id)
    if known is not None:
        if known != referral_id:
            log.warning(
                "referral.created names a parent known from another referral: kept as it was",
                extra={"participant_id": participant_id, "referral_id": referral_id, "known_referral_id": known},
            )
        return
    fresh = {"learning_completed_at": None, "withdrawn": False, "misses": 0, "attended_at": None}
    fresh |= {"booking_id": None, "last_booking_id": None, "consent": None}
    await uow.merge_parent(participant_id, {"referral_id": referral_id, **kept}, fresh)
    if await uow.withdrawn(referral_id, participant_id):
        await uow.merge_parent(participant_id, {"withdrawn": True}, {})


async def learning_completed(uow: UnitOfWork, participant_id: str, cycle: int | None, at: datetime) -> None:
    """The parent may book a workshop. Each event type has its own consumer, so this may come
    before the parent's `referral.created` (kept either way), or before the `referral.reordered`
    that starts its cycle: then it waits for it, or the re-order would wipe this completion. One
    without a cycle (from before cycles were counted) is of the first."""
    parent = await uow.parent(participant_id)
    cycle, known = cycle or 1, (parent or {}).get("cycle", 1)
    if cycle < known:
        return  # an earlier cycle's completion, late: the re-ordered course starts over
    if cycle > known:
        raise NotYetKnown(f"cycle {cycle} of participant {participant_id} not known yet")
    await uow.merge_parent(participant_id, {"learning_completed_at": at}, {"cycle": cycle})


async def withdraw(uow: UnitOfWork, referral_id: str, participant_ids: list[str]) -> None:
    """A withdrawn referral (all its parents when `participant_ids` is empty) cancels each parent's
    booking, freeing the seat, and their waiting. Remembered for parents not known yet."""
    await uow.record_withdrawal(referral_id, participant_ids, uow.now())
    parents = await uow.parents_of(referral_id, participant_ids or None)
    ids = [p["_id"] for p in parents]
    for parent in parents:
        await uow.save_parent({**parent, "withdrawn": True})
    await uow.drop_wishes(ids)
    for booking in await uow.bookings_of(ids, ["booked"]):
        await cancel_booking(uow, str(booking["_id"]), "referral_withdrawn")


async def reorder(uow: UnitOfWork, participant_id: str, cycle: int, provider: str, language: str) -> None:
    """The court re-ordered the course: a new cycle, with the e-learning to do again and a fresh
    allowance of misses."""
    parent = await uow.parent(participant_id)
    if parent is None:
        raise NotYetKnown(f"participant {participant_id} not known yet")
    if cycle <= parent.get("cycle", 1):
        return
    fresh = {"cycle": cycle, "provider": provider, "language": language}
    fresh |= {"learning_completed_at": None, "misses": 0, "attended_at": None, "last_booking_id": None}
    await uow.save_parent({**parent, **fresh})
