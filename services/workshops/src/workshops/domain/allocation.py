"""The allocator: seats for the parents on the waiting list, under every hard rule of `seats`
(the co-parent rule by `seats.apart`, as for a booking); `bench/allocation.py` prints its figures
beside CP-SAT's optimum."""

from collections.abc import Callable

from workshops.domain.seats import Seeker, Slot, apart, eligible, speaks, suits


def allocate(seekers: list[Seeker], slots: list[Slot], aim: int) -> dict[str, str]:
    """Seats for waiting parents: participant id → session id. Hard rules are never broken;
    earlier waiters come first; then seats are maximised by moving earlier picks along
    alternating paths (never unseating one). Soft goals pick between fits: groups filled
    towards `aim` (`aim_group`) rather than to the limit, the earliest day, then men and women mixed."""
    by_key: dict[tuple, list[Slot]] = {}
    for slot in sorted(slots, key=lambda s: s.starts_at):
        by_key.setdefault((slot.provider, slot.format, slot.pattern), []).append(slot)
    cache: dict[tuple, list[Slot]] = {}

    def candidates(s: Seeker) -> list[Slot]:
        # A parent with a co-parent has their own half of the sessions (`apart`): their own list.
        key = (s.provider, s.in_person, s.formats, s.patterns, s.language, s.interpreter)
        key += (s.participant_id, s.co_parents, s.split_key) if s.co_parents else ()
        if key not in cache:
            found = [
                slot
                for fmt in (("in_person",) if s.in_person else ("online",))
                for pattern in s.patterns
                for slot in by_key.get((s.provider, fmt, pattern), ())
                if fmt in s.formats and speaks(s, slot.language, slot.interpreters) and apart(s, slot.session_id)
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
        if slot.free <= 0 or not apart(s, slot.session_id, slot.members):
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
        if slot.free > 0 and apart(s, slot.session_id, slot.members):
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
        if not eligible(sid, pid, who[pid].co_parents, who[pid].split_key):
            broken.append(f"{pid} placed outside their half in {sid}")
        groups[sid].add(pid)
    for sid, group in groups.items():
        if len(group) > by_id[sid].capacity:
            broken.append(f"{sid} over capacity")
        for pid in group:
            if pid in who and who[pid].co_parents & group:
                broken.append(f"{pid} shares {sid} with a co-parent")
    return broken
