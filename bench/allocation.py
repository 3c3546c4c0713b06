"""The workshop allocator (`workshops.domain.allocate`): time, seats filled and hard rules broken
on a large case, and seats filled beside the optimum an exact solver (OR-Tools CP-SAT) finds on
small ones. Instances are random but seeded, so a run is reproducible.

    uv run python bench/allocation.py [--parents 10000] [--sessions 2000] [--small 20]"""

import argparse
import random
import time
from datetime import UTC, datetime, timedelta

from ortools.sat.python import cp_model

from workshops.config import Settings
from workshops.domain import PATTERNS, Seeker, Slot, allocate, may_sit, suits, violations

START = datetime(2027, 1, 4, 10, tzinfo=UTC)
PROVIDERS = ("action-for-children", "family-action")
AIM = Settings().aim_group  # the group size the allocator fills towards, as configured


def instance(rng: random.Random, parents: int, sessions: int) -> tuple[list[Seeker], list[Slot]]:
    """Parents in co-parent pairs, mostly English speakers, some needing Polish, Urdu or BSL,
    a tenth in person; sessions over 8 weeks, some with interpreters, some already part-booked."""
    seekers = []
    for i in range(0, parents - parents % 2, 2):
        provider = rng.choice(PROVIDERS)
        for me, other in ((i, i + 1), (i + 1, i)):
            language = rng.choices(["en", "pl", "ur"], [85, 10, 5])[0]
            seekers.append(
                Seeker(
                    participant_id=f"p{me}",
                    provider=provider,
                    language=language,
                    interpreter="BSL" if rng.random() < 0.02 else None,
                    in_person=rng.random() < 0.1,
                    gender=rng.choice(["female", "male"]),
                    patterns=frozenset(rng.sample(PATTERNS, rng.randint(1, 3))),
                    co_parents=frozenset({f"p{other}"}),
                    since=START - timedelta(minutes=rng.randint(0, 10_000)),
                )
            )
    return seekers, slots(rng, sessions)


def slots(rng: random.Random, sessions: int) -> list[Slot]:
    found = []
    for j in range(sessions):
        capacity = rng.randint(3, 6)
        found.append(
            Slot(
                session_id=f"s{j}",
                provider=rng.choice(PROVIDERS),
                format="in_person" if rng.random() < 0.15 else "online",
                pattern=rng.choice(PATTERNS),
                language=rng.choices(["en", "pl", "ur"], [80, 12, 8])[0],
                interpreters=frozenset({"bsl"}) if rng.random() < 0.05 else frozenset(),
                capacity=capacity,
                starts_at=START + timedelta(days=rng.randint(0, 55)),
                others=rng.randint(0, capacity // 2),
            )
        )
    return found


def fresh(slots_: list[Slot]) -> list[Slot]:
    return [Slot(**{**s.__dict__, "members": set(s.members), "genders": dict(s.genders)}) for s in slots_]


def optimum(seekers: list[Seeker], slots_: list[Slot]) -> int:
    """The most seats any assignment obeying the hard rules can fill (CP-SAT, proven optimal)."""
    model = cp_model.CpModel()
    x = {(p.participant_id, s.session_id): model.new_bool_var("") for p in seekers for s in slots_ if may_sit(p, s)}
    for p in seekers:
        model.add(sum(v for (pid, _), v in x.items() if pid == p.participant_id) <= 1)
    for s in slots_:
        model.add(sum(v for (_, sid), v in x.items() if sid == s.session_id) <= s.free)
        for p in seekers:
            for c in p.co_parents:
                if (p.participant_id, s.session_id) in x and (c, s.session_id) in x and p.participant_id < c:
                    model.add(x[p.participant_id, s.session_id] + x[c, s.session_id] <= 1)
    model.maximize(sum(x.values()))
    solver = cp_model.CpSolver()
    solver.parameters.max_time_in_seconds = 30
    status = solver.solve(model)
    assert status == cp_model.OPTIMAL, solver.status_name(status)
    return round(solver.objective_value)


def row(*cells: object) -> None:
    print("| " + " | ".join(map(str, cells)) + " |")


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--parents", type=int, default=10_000)
    parser.add_argument("--sessions", type=int, default=2_000)
    parser.add_argument("--small", type=int, default=20)
    args = parser.parse_args()

    rng = random.Random(2026)
    seekers, slots_ = instance(rng, args.parents, args.sessions)
    before = fresh(slots_)
    started = time.perf_counter()
    result = allocate(seekers, slots_, AIM)
    took = time.perf_counter() - started
    seats = sum(s.free for s in before)
    fit = sum(1 for p in seekers if any(suits(p, s) for s in before))
    broken = violations(result, seekers, before)
    row("case", "parents", "sessions", "free seats", "parents with a fitting session", "time", "seats filled", "broken")
    row(*["---"] * 8)
    row("large", len(seekers), len(slots_), seats, fit, f"{took:.2f} s", len(result), len(broken))
    print()
    row("small", "parents", "sessions", "free seats", "allocator", "optimum (CP-SAT)", "ratio", "time", "broken")
    row(*["---"] * 9)
    worst, total_a, total_o = 1.0, 0, 0
    for k in range(args.small):
        seekers, slots_ = instance(rng, rng.randint(20, 60), rng.randint(4, 12))
        best = optimum(seekers, fresh(slots_))
        before = fresh(slots_)
        started = time.perf_counter()
        result = allocate(seekers, slots_, AIM)
        took = time.perf_counter() - started
        ratio = len(result) / best if best else 1.0
        worst, total_a, total_o = min(worst, ratio), total_a + len(result), total_o + best
        broken = len(violations(result, seekers, before))
        free = sum(s.free for s in before)
        row(k + 1, len(seekers), len(slots_), free, len(result), best, f"{ratio:.1%}", f"{took * 1000:.1f} ms", broken)
    share = total_a / max(total_o, 1)
    print(f"\nsmall cases: {total_a} of {total_o} optimal seats filled ({share:.2%}); worst case {worst:.1%}")


if __name__ == "__main__":
    main()
