"""Where a parent's course stands (`hub.state.decide`), for the states the services' answers now
carry: an extended deadline, part 1 of the workshop attended, a course ordered again."""

from hub.state import CANNOT_START, COMPLETED, IN_PROGRESS, NOT_COMPLETED, NOT_STARTED, decide, plan_status


def course(**changes) -> dict:
    base = {"status": "active", "modules_completed": 2, "resume": {"module": 3, "section": 1}, "cycle": 1}
    return base | {"seconds_left": 6 * 24 * 3600} | changes


def booking(**changes) -> dict:
    return {"status": "booked", "misses": 0, "parts": {}} | changes


def test_an_extended_deadline_is_said_until_it_is_near():
    assert decide(course(), None).name == "in_progress"
    extended = decide(course(extended=True), None)
    assert (extended.name, extended.extended, extended.learning) == ("extended", True, IN_PROGRESS)
    assert decide(course(extended=True, seconds_left=3600), None).name == "deadline_near"


def test_part_1_attended_is_its_own_step_until_part_2():
    done = course(status="completed", modules_completed=8, resume=None)
    assert decide(done, booking()).name == "booked"
    part1 = decide(done, booking(parts={"1": "attended"}))
    assert (part1.name, part1.workshop, part1.may_book) == ("part1_attended", IN_PROGRESS, False)
    left = decide(done, booking(parts={"1": "attended", "2": "left_early"}))
    assert left.name == "booked"  # not "part 2 is on…": the session has yet to close as a miss
    whole = decide(done, booking(status="attended", parts={"1": "attended", "2": "attended"}))
    assert (whole.name, whole.workshop) == ("complete", COMPLETED)


def test_a_course_ordered_again_starts_afresh_and_says_so():
    again = decide(course(cycle=2, modules_completed=0, resume={"module": 1, "section": 1}), None)
    assert (again.name, again.reordered) == ("not_started", True)


def test_a_part_that_closed_undone_is_not_completed_rather_than_not_started_yet():
    missed = decide(course(status="missed", seconds_left=0), None)
    assert (missed.name, missed.learning, missed.workshop) == ("learning_missed", NOT_COMPLETED, CANNOT_START)
    done = course(status="completed", modules_completed=8, resume=None)
    twice = decide(done, booking(status="missed", misses=2))
    assert (twice.name, twice.learning, twice.workshop) == ("missed_twice", COMPLETED, NOT_COMPLETED)


def test_the_plan_task_follows_plans_list_started_shared_agreed():
    """The shapes plans' GET /plans answers (PlanSummary): test_plan walks started and shared in the browser."""
    row = {"id": "p1", "revision": 3, "created_at": "2026-12-01T10:00:00Z"}
    assert plan_status([]) == NOT_STARTED
    assert plan_status([row | {"status": "open", "shared": False}]) == "started"
    assert plan_status([row | {"status": "open", "shared": True}]) == "shared"
    assert plan_status([row | {"status": "agreed", "shared": True}, row | {"status": "open"}]) == "agreed"
