"""The workshop's rules, without I/O."""

import random
from datetime import UTC, datetime, timedelta

import pytest

from workshops import domain
from workshops.domain import Refused, Seeker, Slot

from .fakes import settings

NOW = datetime(2026, 11, 25, 9, 0, tzinfo=UTC)
MON = datetime(2026, 12, 7, 10, 0, tzinfo=UTC)  # a Monday, in GMT
HALF = timedelta(minutes=75)
T = settings()


def parts(start: datetime, gap: timedelta = timedelta(minutes=15), second: datetime | None = None):
    s2 = second or start + HALF + gap
    return [(start, start + HALF), (s2, s2 + HALF)]


def refused(pattern: str, shape, capacity: int = 6) -> str:
    with pytest.raises(Refused) as caught:
        domain.check_shape(pattern, shape, capacity, NOW, T)
    return caught.value.reason


def test_the_partners_example_and_each_pattern_fit():
    domain.check_shape("daytime", parts(MON), 6, NOW, T)
    domain.check_shape("weekend", parts(MON - timedelta(days=1)), 6, NOW, T)  # Sunday
    evening = MON.replace(hour=18)
    domain.check_shape("two_evenings", parts(evening, second=evening + timedelta(days=1)), 4, NOW, T)


def test_each_impossible_shape_has_its_own_reason():
    assert refused("daytime", parts(MON), capacity=7) == "capacity-too-large"
    assert refused("daytime", parts(MON, gap=-timedelta(minutes=5))) == "parts-overlap"
    assert refused("daytime", parts(NOW - timedelta(days=1))) == "parts-in-past"
    assert refused("daytime", [(MON, MON + timedelta(hours=2, minutes=30))]) == "parts-not-two-halves"
    assert refused("daytime", [(MON, MON + HALF), (MON + HALF, MON + 2 * HALF)]) == "parts-not-two-halves"  # no break
    hour = timedelta(hours=1)
    assert refused("daytime", [(MON, MON + hour), (MON + 2 * hour, MON + 3 * hour)]) == "parts-not-two-halves"
    assert refused("weekend", parts(MON)) == "weekend-not-on-weekend"
    evening = MON.replace(hour=18)
    assert refused("two_evenings", parts(evening, second=evening + timedelta(days=2))) == "evenings-not-consecutive"
    assert refused("two_evenings", parts(MON, second=MON + timedelta(days=1))) == "evenings-not-consecutive"


def slot(sid: str, **kw) -> Slot:
    base = dict(provider="afc", format="online", pattern="daytime", language="en", interpreters=frozenset(), capacity=6)
    return Slot(session_id=sid, starts_at=kw.pop("starts_at", MON), **(base | kw))


def seeker(pid: str, **kw) -> Seeker:
    return Seeker(participant_id=pid, **({"provider": "afc", "language": "en"} | kw))


def test_fit_needs_provider_language_or_interpreter_and_in_person_only_where_needed():
    assert domain.suits(seeker("a"), slot("s"))
    assert not domain.suits(seeker("a", provider="fa"), slot("s"))
    assert not domain.suits(seeker("a", language="pl"), slot("s"))
    assert domain.suits(seeker("a", language="pl", interpreter="Polish"), slot("s", language="pl"))
    assert not domain.suits(seeker("a", interpreter="BSL"), slot("s"))  # no BSL interpreter there
    assert domain.suits(seeker("a", interpreter="BSL"), slot("s", interpreters=frozenset({"bsl"})))
    assert not domain.suits(seeker("a", in_person=True), slot("s"))
    assert not domain.suits(seeker("a"), slot("s", format="in_person"))
    assert not domain.suits(seeker("a", patterns=frozenset({"weekend"})), slot("s"))


def test_a_co_parent_or_a_full_group_rules_a_session_out():
    assert not domain.may_sit(seeker("a", co_parents=frozenset({"b"})), slot("s", members={"b"}))
    assert not domain.may_sit(seeker("a"), slot("s", capacity=2, others=2))
    assert domain.may_sit(seeker("a"), slot("s", capacity=3, others=2))


KEY = "a-test-key-for-the-co-parent-split-of-32-characters"
SESSIONS = [f"{i:024x}" for i in range(1000)]


def half(pid: str, co_parents: set[str], key: str = KEY) -> set[str]:
    return {sid for sid in SESSIONS if domain.eligible(sid, pid, co_parents, key)}


@pytest.mark.parametrize(
    ("who", "co_parents"),
    [
        ("alex", {"chris"}),
        ("chris", {"alex"}),
        ("a", {"b"}),
        ("p|1", {"p"}),  # ids that would run together in a plain concatenation
    ],
)
def test_each_session_is_one_parent_of_a_pair_and_about_half_of_them(who, co_parents):
    [other] = co_parents
    mine, theirs = half(who, co_parents), half(other, {who})
    assert not mine & theirs and mine | theirs == set(SESSIONS)  # exactly one of the two, every session
    assert 430 < len(mine) < 570  # about half (binomial, 1000 draws: 4.4 standard deviations)
    assert mine == half(who, co_parents)  # the same every time: no booking, no clock, no state


def test_the_split_is_by_pair_and_key_and_a_parent_without_a_co_parent_has_every_session():
    alex, sam = half("alex", {"chris"}), half("sam", {"kim"})
    assert 190 < len(alex & sam) < 310  # another pair splits independently: about a quarter in both halves
    assert half("alex", {"chris"}, key="another-key-for-the-co-parent-split-of-32-chars") != alex
    assert half("alex", set()) == set(SESSIONS) == half("alex", {"alex"})
    # Three parents of one referral: each session is at most one of theirs.
    three = [half(p, {"a", "b", "c"} - {p}) for p in "abc"]
    assert not (three[0] & three[1] or three[0] & three[2] or three[1] & three[2])


def test_a_session_outside_the_parents_half_is_never_theirs_to_sit_in():
    a = seeker("a", co_parents=frozenset({"b"}), split_key=KEY)
    theirs = next(sid for sid in SESSIONS if not domain.apart(a, sid))
    mine = next(sid for sid in SESSIONS if domain.apart(a, sid))
    assert not domain.may_sit(a, slot(theirs)) and domain.may_sit(a, slot(mine))


def test_the_allocator_places_each_co_parent_only_in_their_half():
    slots = [slot(sid, starts_at=MON + timedelta(hours=i)) for i, sid in enumerate(SESSIONS[:12])]
    pairs = [(f"m{i}", f"f{i}") for i in range(12)]
    people = [
        seeker(p, co_parents=frozenset(pair) - {p}, split_key=KEY, since=NOW + timedelta(minutes=n))
        for n, pair in enumerate(pairs)
        for p in pair
    ]
    result = domain.allocate(people, slots, T.aim_group)
    assert len(result) == 24
    by_id = {p.participant_id: p for p in people}
    assert all(domain.apart(by_id[pid], sid) for pid, sid in result.items())
    fresh = [slot(s.session_id, starts_at=s.starts_at) for s in slots]
    assert domain.violations(result, people, fresh) == []


def test_booking_rules_in_order():
    ok = domain.Course(learning_completed=True, withdrawn=False, booked=False, attended=False, misses=0)
    domain.check_may_book(ok, T.max_misses)
    domain.check_may_book(domain.Course(True, False, False, False, 1), T.max_misses)  # one rebooking
    for course, reason in [
        (domain.Course(False, False, False, False, 0), "learning-not-complete"),
        (domain.Course(True, False, True, False, 0), "already-booked"),
        (domain.Course(True, True, False, False, 0), "course-closed"),
        (domain.Course(True, False, False, False, 2), "no-more-rebooking"),
        (domain.Course(True, False, False, True, 0), "workshop-attended"),
    ]:
        with pytest.raises(Refused) as caught:
            domain.check_may_book(course, T.max_misses)
        assert caught.value.reason == reason


def test_attendance_outcome_and_rebooking():
    assert domain.outcome({"1": "attended"}) is None
    assert domain.outcome({"1": "attended", "2": "attended"}) == "attended"
    assert domain.outcome({"1": "left_early"}) == "missed"
    assert domain.rebooking_offered(1, T.max_misses) and not domain.rebooking_offered(2, T.max_misses)


def test_the_follow_up_sample_is_reproducible_and_about_one_in_n():
    ids = [f"p{i}" for i in range(3000)]
    picked = [p for p in ids if domain.sampled(p, 3, "salt")]
    assert picked == [p for p in ids if domain.sampled(p, 3, "salt")]
    assert 900 < len(picked) < 1100
    assert domain.sampled("p1", 1, "salt")


def test_the_measure_needs_every_item_in_range():
    domain.check_measure(dict.fromkeys(domain.MEASURE, 2))
    with pytest.raises(Refused):
        domain.check_measure({"argue_in_front": 1})
    with pytest.raises(Refused):
        domain.check_measure(dict.fromkeys(domain.MEASURE, 5))


def test_the_allocator_keeps_co_parents_apart_fills_towards_five_and_mixes():
    s1, s2 = slot("s1"), slot("s2", starts_at=MON + timedelta(days=1))
    people = [seeker(f"p{i}", gender="female" if i % 2 else "male") for i in range(10)]
    people[0] = seeker("p0", co_parents=frozenset({"p1"}), gender="male")
    people[1] = seeker("p1", co_parents=frozenset({"p0"}), gender="female")
    result = domain.allocate(people, [s1, s2], T.aim_group)
    assert len(result) == 10 and result["p0"] != result["p1"]
    assert sorted(list(result.values()).count(s) for s in ("s1", "s2")) == [5, 5]  # towards 5, not 6 and 4
    assert domain.violations(result, people, [slot("s1"), slot("s2", starts_at=MON + timedelta(days=1))]) == []


def test_the_allocator_moves_earlier_picks_to_seat_more():
    # a can sit in s1 or s2; b only in s1 (one seat each): a greedy first pick of s1 would leave b out.
    s1, s2 = slot("s1", capacity=1), slot("s2", capacity=1, starts_at=MON + timedelta(days=1))
    a = seeker("a", since=NOW)
    b = seeker("b", patterns=frozenset({"daytime"}), since=NOW + timedelta(minutes=1))
    s2.pattern = "weekend"
    a = seeker("a", patterns=frozenset({"daytime", "weekend"}), since=NOW)
    assert domain.allocate([a, b], [s1, s2], T.aim_group) == {"a": "s2", "b": "s1"}


def test_random_instances_never_break_a_hard_rule():
    rng = random.Random(7)
    for _ in range(30):
        slots = [
            slot(f"s{i}", pattern=rng.choice(domain.PATTERNS), language=rng.choice(["en", "pl"]), capacity=c)
            for i, c in enumerate(rng.randint(1, 6) for _ in range(8))
        ]
        people = [
            seeker(f"p{i}", language=rng.choice(["en", "pl"]), co_parents=frozenset({f"p{i ^ 1}"})) for i in range(40)
        ]
        fresh = [slot(s.session_id, pattern=s.pattern, language=s.language, capacity=s.capacity) for s in slots]
        assert domain.violations(domain.allocate(people, slots, T.aim_group), people, fresh) == []
