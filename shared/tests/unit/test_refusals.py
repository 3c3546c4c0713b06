"""One way to refuse (ptfc.refusals): a rule raises `Refused(reason, detail, **facts)` or
`Unknown(what)`, and the app answers it as the problem its service's table words, with no
try/except in the route."""

from fastapi import FastAPI
from fastapi.testclient import TestClient

from ptfc import problems
from ptfc.refusals import Refused, Table, Unknown

WORDS: Table = {
    "too-late": (409, "Too late"),
    "unavailable": (409, "Unavailable", "Choose another."),
}


def answer(error: Exception) -> tuple[int, dict]:
    app = FastAPI()
    problems.install(app, WORDS)

    @app.post("/things/{thing_id}")
    async def act(thing_id: str) -> None:
        raise error

    response = TestClient(app, raise_server_exceptions=False).post("/things/1")
    assert response.headers["content-type"] == problems.MEDIA_TYPE
    return response.status_code, response.json()


def test_a_refusal_is_its_tables_status_and_title_with_the_rules_detail_and_facts():
    status, body = answer(Refused("too-late", "Cancel up to 1 h before.", starts_at="2026-12-07T09:00:00Z"))
    assert (status, body) == (
        409,
        {
            "type": problems.PROBLEM_BASE + "too-late",
            "title": "Too late",
            "status": 409,
            "detail": "Cancel up to 1 h before.",
            "instance": "/things/1",
            "starts_at": "2026-12-07T09:00:00Z",
        },
    )


def test_a_detail_in_the_table_is_the_same_words_whatever_the_rule_said():
    _, body = answer(Refused("unavailable", "Your co-parent is booked on it."))
    assert body["detail"] == "Choose another."


def test_an_unknown_record_is_a_404_that_does_not_say_whether_it_exists():
    status, body = answer(Unknown("thing"))
    assert (status, body["type"], body["detail"]) == (
        404,
        problems.PROBLEM_BASE + "not-found",
        "No thing with that id is visible to you.",
    )


def test_a_reason_missing_from_the_table_is_a_server_error_not_a_guess():
    status, body = answer(Refused("not-worded"))
    assert (status, body["type"]) == (500, problems.PROBLEM_BASE + "internal-error")
