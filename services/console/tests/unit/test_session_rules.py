"""The schedule and move forms explain each of the programme's rules when workshops refuses a
session: every refusal workshops declares for those writes has its rule in words beside workshops'
own detail, so a new rule (or a renamed reason) cannot reach a coordinator as a bare refusal."""

import pytest

from console.sessions import RULES, _refusal
from workshops.refusals import ROUTES

WRITES = ("POST /sessions", "PATCH /sessions/{session_id}", "POST /sessions/{session_id}/cancel")
DECLARED = sorted({reason for route in WRITES for reasons in ROUTES[route].values() for reason in reasons})


@pytest.mark.parametrize("reason", DECLARED)
def test_every_refusal_of_a_session_write_is_explained_by_its_rule(reason):
    problem = {"type": f"https://ptfc.example/problems/{reason}", "title": "t", "detail": "Workshops' words."}
    shown = _refusal(problem)
    assert shown["detail"] == "Workshops' words." and shown["rule"], f"{reason}: no rule shown"


def test_the_programme_rules_are_said_in_words_a_coordinator_knows():
    assert "two halves" in RULES["parts-not-two-halves"]
    assert "two consecutive evenings" in RULES["evenings-not-consecutive"]
    assert "Saturday or a Sunday" in RULES["weekend-not-on-weekend"]
    assert "Never more than 6 parents" in RULES["capacity-too-large"]


def test_a_validation_refusal_names_the_fields_to_check():
    problem = {"type": "about:blank", "errors": [{"loc": ["body", "capacity"]}, {"loc": ["body", "pattern"]}]}
    assert _refusal(problem)["detail"] == "Check these answers: group size, pattern."
