"""The e-learning rules, with no I/O."""

from datetime import UTC, datetime, timedelta

from learning import content, domain

T0 = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
DAY = timedelta(days=1)
OFFSETS = [3 * DAY, DAY]


def test_tokens_are_random_and_only_their_hash_is_kept():
    a, b = domain.new_token(), domain.new_token()
    assert a != b and len(a) >= 43
    assert domain.hash_token(a) == domain.hash_token(a) != domain.hash_token(b)
    assert a not in domain.hash_token(a)
    assert domain.hub_link("https://hub.example", "activate", "a+b/c") == "https://hub.example/activate?token=a%2Bb%2Fc"


def test_reminders_come_three_days_then_one_day_before_the_deadline():
    deadline = domain.first_deadline(T0, 10 * DAY)
    assert deadline == T0 + 10 * DAY
    first = domain.next_reminder(deadline, OFFSETS, T0)
    assert first == T0 + 7 * DAY
    assert domain.next_reminder(deadline, OFFSETS, first) == T0 + 9 * DAY
    assert domain.next_reminder(deadline, OFFSETS, T0 + 9 * DAY) is None


def test_reminders_that_fell_due_together_collapse_into_the_latest():
    deadline = T0 + 10 * DAY
    # down from day 6 to day 9.5: both were due, the parent gets the one-day reminder only
    assert domain.next_reminder(deadline, OFFSETS, T0 + 9.5 * DAY) is None


def test_an_extension_adds_whole_days_and_days_left_rounds_up():
    assert domain.extended(T0, 5, DAY) == T0 + 5 * DAY
    assert domain.days_left(T0 + 30 * timedelta(hours=1), T0) == 2
    assert domain.days_left(T0, T0 + DAY) == 0


def test_modules_unlock_one_at_a_time_and_the_resume_point_follows():
    assert [domain.module_status(n, 2, {"3": 4}) for n in (1, 2, 3, 4)] == [
        "completed",
        "completed",
        "in_progress",
        "locked",
    ]
    assert domain.module_status(1, 0, {}) == "available"
    assert domain.resume_point(2, {"3": 4}) == (3, 4)
    assert domain.resume_point(0, {}) == (1, 1)
    assert domain.resume_point(8, {}) is None


def test_what_a_parent_may_not_do_and_why():
    later = T0 + DAY
    assert domain.refusal("active", 2, 3, later, T0) is None
    assert domain.refusal("active", 2, 4, later, T0) == "module-locked"
    assert domain.refusal("active", 2, 2, later, T0) is None  # reading back a finished module
    assert domain.refusal("active", 2, 3, T0, T0) == "deadline-passed"  # before the sweep notices
    assert domain.refusal("missed", 2, 3, later, T0) == "deadline-passed"
    assert domain.refusal("withdrawn", 2, 3, later, T0) == "withdrawn"
    assert domain.refusal("completed", 8, 8, T0, later) is None


def test_a_quiz_passes_only_with_every_answer_right_and_explains_each_one():
    quiz = content.module(1).activity
    right = {q.id: q.answer for q in quiz.questions}
    assert domain.check_activity(quiz, right).passed
    wrong_first = {**right, "q1": next(o.id for o in quiz.questions[0].options if o.id != right["q1"])}
    verdict = domain.check_activity(quiz, wrong_first)
    assert not verdict.passed and [r.correct for r in verdict.results] == [False, True, True]
    assert verdict.results[0].feedback
    assert domain.check_activity(quiz, {"q1": right["q1"]}).missing == ["q2", "q3"]
    assert domain.check_activity(quiz, {**right, "extra": "a"}).unknown == ["extra"]


def test_a_reflection_needs_some_words_for_every_prompt():
    reflection = content.module(8).activity
    assert domain.check_activity(reflection, {"keep": "bedtime story", "stop": "asking", "start": "BIFF"}).passed
    verdict = domain.check_activity(reflection, {"keep": "x", "stop": "   "})
    assert not verdict.passed and verdict.missing == ["stop", "start"]
