"""A module the parent cannot open now says why on each of its pages (start, a section, the
activity), from the course learning answers, without reading the module itself."""

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.backend import Backend

from .test_pages import LOCAL, _signed_in


def course(status: str = "active") -> dict:
    modules = [
        {"number": n, "status": "completed" if n < 3 else "available" if n == 3 else "locked"} for n in range(1, 9)
    ]
    for m in modules:
        m["sections"] = 4
    return {"status": status, "modules": modules, "modules_completed": 2, "withdrawn": False}


def learning(answer: dict, asked: list[str]) -> Backend:
    def handle(request: httpx.Request) -> httpx.Response:
        asked.append(request.url.path)
        return httpx.Response(200, json=answer) if request.url.path == "/me/course" else httpx.Response(500)

    return Backend(httpx.AsyncClient(transport=httpx.MockTransport(handle)), "http://learning")


@pytest.mark.parametrize("page", ["/learning/4", "/learning/4/section/1", "/learning/4/activity"])
def test_a_locked_module_asks_for_the_earlier_ones_first(page):
    asked: list[str] = []
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        client.app.state.backends["learning"] = learning(course(), asked)
        _signed_in(client, "s")
        answer = client.get(page)
    assert answer.status_code == 409
    assert "Please finish the earlier modules first" in answer.text
    assert asked == ["/me/course"]  # the module itself is not read


@pytest.mark.parametrize("page", ["/learning/3", "/learning/3/section/2", "/learning/3/activity"])
def test_a_course_no_longer_active_closes_the_modules_not_done(page):
    asked: list[str] = []
    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        client.app.state.backends["learning"] = learning(course("deadline_missed"), asked)
        _signed_in(client, "s")
        answer = client.get(page)
    assert answer.status_code == 409
    assert "The e-learning is closed" in answer.text
    assert asked == ["/me/course"]
