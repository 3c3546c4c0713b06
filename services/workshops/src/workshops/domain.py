"""Rules of the workshop, with no I/O: session shapes, who may sit in which session, booking,
attendance and its outcome, follow-up sampling and the allocator."""

import hashlib
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from zoneinfo import ZoneInfo

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
    """Every hard rule: fit, a free seat, and no co-parent in the group."""
    return slot.free > 0 and suits(seeker, slot) and not (seeker.co_parents & slot.members)


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
        key = (s.provider, s.in_person, s.formats, s.patterns, s.language, s.interpreter)
        if key not in cache:
            found = [
                slot
                for fmt in (("in_person",) if s.in_person else ("online",))
                for pattern in s.patterns
                for slot in by_key.get((s.provider, fmt, pattern), ())
                if fmt in s.formats and speaks(s, slot.language, slot.interpreters)
            ]
            cache[key] = sorted(found, key=lambda x: x.starts_at)
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
        groups[sid].add(pid)
    for sid, group in groups.items():
        if len(group) > by_id[sid].capacity:
            broken.append(f"{sid} over capacity")
        for pid in group:
            if pid in who and who[pid].co_parents & group:
                broken.append(f"{pid} shares {sid} with a co-parent")
    return broken
