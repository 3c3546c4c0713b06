"""What a parent sees when learning refuses an emailed link: each reason learning answers leads to a
page saying why, with the status learning answered, never the generic "we do not recognise this link"
for a reason the hub knows. Learning is stood in for by its problem answers (its own tests hold them)."""

import re

import httpx
import pytest
from fastapi.testclient import TestClient

from hub.app import create_app
from hub.backend import Backend
from hub.config import Settings

LOCAL = Settings(public_url="http://127.0.0.1:8000", cookie_secure=False, learning_url="http://learning")


def pressed(reason: str, status: int) -> httpx.Response:
    """The page a parent reaches by pressing the button of a welcome link learning refuses so."""

    def learning(request: httpx.Request) -> httpx.Response:
        problem = {"type": f"https://ptfc.example/problems/{reason}", "title": "t", "status": status}
        return httpx.Response(status, json=problem, headers={"content-type": "application/problem+json"})

    with TestClient(create_app(LOCAL), base_url="http://127.0.0.1:8000") as client:
        client.app.state.backends["learning"] = Backend(
            httpx.AsyncClient(transport=httpx.MockTransport(learning)), "http://learning"
        )
        token = re.search(r'name="csrf" value="([^"]+)"', client.get("/activate?token=t").text).group(1)
        return client.post("/activate", data={"token": "t", "csrf": token})


@pytest.mark.parametrize("reason", ["activation-link-withdrawn", "course-withdrawn"])
def test_a_welcome_link_of_a_withdrawn_course_shows_the_course_is_no_longer_needed(reason):
    """Learning answers 410 `activation-link-withdrawn` for a link a withdrawal closed before it was
    used, 409 `course-withdrawn` for a course withdrawn since: the parent reads the same page."""
    page = pressed(reason, 410 if reason == "activation-link-withdrawn" else 409)
    assert page.status_code == 410 and str(page.url).endswith("/link-refused?page=withdrawn")
    assert "This course is no longer needed" in page.text
    assert "The referral for this course was withdrawn, so the link no longer works." in page.text
    assert "We do not recognise this link" not in page.text
