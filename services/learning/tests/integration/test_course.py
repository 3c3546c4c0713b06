"""Modules, progress and completion, as a parent and their FCA would see them."""

import asyncio

from learning import content
from learning.app import create_app
from ptfc.testing.plugin import bearer, eventually, running

FCA = bearer("cafcass", "fca-1")
SPEC_TITLES = [
    "What happens if I go to court?",
    "How does the way we handle our separation affect my child or children?",
    "Conflict and its impact on children",
    "Putting myself in my child's shoes",
    "What can I and my co-parent do differently to support our children?",
    "How can I listen and communicate better to help my child?",
    "Tips to help me remember how to listen, talk and communicate in the future",
    "What am I going to do next?",
]


def right_answers(number: int) -> dict[str, str]:
    activity = content.module(number).activity
    return {q.id: q.answer for q in activity.questions} | {
        p.id: "I will keep calm at handovers." for p in activity.prompts
    }


async def test_the_eight_modules_are_listed_in_order_with_content_and_no_answers(hub):
    async with running(create_app(hub.settings())) as client:
        modules = (await client.get("/modules")).json()
        assert [m["title"] for m in modules] == SPEC_TITLES
        assert sum(m["minutes"] for m in modules) <= 120
        one = (await client.get("/modules/3")).json()
        assert one["objectives"] and 3 <= len(one["sections"]) <= 5
        assert one["activity"]["kind"] == "quiz" and one["activity"]["questions"][0]["options"]
        question = one["activity"]["questions"][0]
        assert set(question) == {"id", "text", "options"}  # the quiz is not given away
        assert set(question["options"][0]) == {"id", "text"}
        polish = (await client.get("/modules/1", params={"lang": "pl"})).json()
        assert polish["language"] == "pl" and polish["title"] != SPEC_TITLES[0]  # the fallback: tests/unit
        for bad in ("/modules/0", "/modules/9", "/modules/abc", "/modules/1?lang=xx"):
            answer = await client.get(bad)
            assert answer.status_code == 422 and answer.json()["type"].endswith("/invalid-request"), bad
        assert "/me/modules/{number}/complete" in (await client.get("/openapi.json")).json()["paths"]
        assert "referral.created" in (await client.get("/asyncapi.json")).text


async def test_modules_unlock_in_order_and_eight_completions_complete_the_learning_once(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-c", "pa")
        me = await hub.sign_in(client, "pa")
        course = (await client.get("/me/course", headers=me)).json()
        assert [m["status"] for m in course["modules"]] == ["available"] + ["locked"] * 7
        assert course["resume"] == {"module": 1, "section": 1} and course["days_left"] == 10

        locked = await client.post("/me/modules/2/complete", json={"answers": right_answers(2)}, headers=me)
        assert locked.status_code == 409 and locked.json()["type"].endswith("/module-locked")
        assert (await client.post("/me/modules/3/progress", json={"section": 1}, headers=me)).status_code == 409

        saved = await client.post("/me/modules/1/progress", json={"section": 3}, headers=me)
        assert saved.status_code == 200 and saved.json()["status"] == "in_progress"
        assert (await client.get("/me/course", headers=me)).json()["resume"] == {"module": 1, "section": 3}
        beyond = await client.post("/me/modules/1/progress", json={"section": 6}, headers=me)
        assert beyond.status_code == 422 and beyond.json()["type"].endswith("/no-such-section")

        for number in range(1, 9):
            done = await client.post(
                f"/me/modules/{number}/complete", json={"answers": right_answers(number)}, headers=me
            )
            assert done.status_code == 200, done.text
            assert done.json()["modules_completed"] == number and done.json()["message"]
        assert done.json()["learning_completed"] is True and done.json()["next_module"] is None
        again = await client.post("/me/modules/8/complete", json={"answers": right_answers(8)}, headers=me)
        assert again.status_code == 200 and again.json()["already_completed"] is True

        [completed] = await hub.wait("learning.completed", "pa")
        assert completed.correlation_id == "r-c"
        course = (await client.get("/me/course", headers=me)).json()
        assert course["status"] == "completed" and course["resume"] is None
        assert [m["status"] for m in course["modules"]] == ["completed"] * 8
        [view] = (await client.get("/enrolments", params={"referral_id": "r-c"}, headers=FCA)).json()["items"]
        assert view["status"] == "completed" and [m["number"] for m in view["modules"]] == list(range(1, 9))
        await eventually(lambda: hub.wait("module.completed", "pa", count=8))
    assert len(await hub.events("learning.completed")) == 1
    completions = await hub.events("module.completed")
    assert [e.data["module"] for e in completions] == list(range(1, 9))


async def test_a_quiz_gives_feedback_until_it_is_right(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-q", "pa")
        me = await hub.sign_in(client, "pa")
        url = "/me/modules/1/complete"

        missing = await client.post(url, json={"answers": {"q1": "b"}}, headers=me)
        assert missing.status_code == 422 and missing.json()["missing"] == ["q2", "q3"]
        wrong = await client.post(url, json={"answers": {"q1": "a", "q2": "a", "q3": "c"}}, headers=me)
        assert wrong.status_code == 422 and wrong.json()["type"].endswith("/answers-incorrect")
        assert [f["correct"] for f in wrong.json()["feedback"]] == [False, True, True]
        assert "not decide who is right" in wrong.json()["feedback"][0]["feedback"]
        stray = await client.post(url, json={"answers": {**right_answers(1), "q9": "a"}}, headers=me)
        assert stray.status_code == 422 and stray.json()["unknown"] == ["q9"]
        not_an_option = await client.post(url, json={"answers": {**right_answers(1), "q1": "z"}}, headers=me)
        assert not_an_option.status_code == 422 and not_an_option.json()["missing"] == ["q1"]
        assert (await client.get("/me/course", headers=me)).json()["modules_completed"] == 0

        right = await client.post(url, json={"answers": right_answers(1)}, headers=me)
        assert right.status_code == 200 and all(f["correct"] for f in right.json()["feedback"])
        empty = await client.post("/me/modules/2/complete", json={"answers": {"r1": "  ", "r2": "x"}}, headers=me)
        assert empty.status_code == 422 and empty.json()["missing"] == ["r1"]


async def test_feedback_is_in_the_language_the_module_is_read_in(hub):
    # An English referral; the parent switched the hub to Polish in the middle of module 1 (issue 26:
    # the feedback came in the referral's language, one English sentence on a Polish page).
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-lang", "pl-reader")
        me = await hub.sign_in(client, "pl-reader")
        url = "/me/modules/1/complete"
        polish = content.module(1, "pl").activity
        answers = {"q1": "a", "q2": "a", "q3": "c"}
        wrong = await client.post(url, params={"lang": "pl"}, json={"answers": answers}, headers=me)
        assert wrong.status_code == 422
        assert wrong.json()["feedback"][0]["feedback"] == polish.questions[0].options[0].feedback
        right = await client.post(url, params={"lang": "pl"}, json={"answers": right_answers(1)}, headers=me)
        assert right.status_code == 200 and right.json()["message"] == polish.closing
        english = await client.post(url, json={"answers": right_answers(1)}, headers=me)  # no lang: the referral's
        assert english.json()["message"] == content.module(1, "en").activity.closing


async def test_no_parent_reaches_another_parents_progress_and_hostile_input_gets_problems(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-h", "pa", "pb")
        a, b = await hub.sign_in(client, "pa"), await hub.sign_in(client, "pb")
        await client.post("/me/modules/1/complete", json={"answers": right_answers(1)}, headers=a)
        assert (await client.get("/me/course", headers=b)).json()["modules_completed"] == 0
        [view_a, _] = (await client.get("/enrolments", params={"referral_id": "r-h"}, headers=FCA)).json()["items"]
        for path in (f"/enrolments/{view_a['enrolment_id']}", "/enrolments?referral_id=r-h"):
            assert (await client.get(path, headers=b)).status_code == 403
        assert (await client.get("/me/course", headers=FCA)).status_code == 403
        assert "pa@parents.example" not in (await client.get("/me/course", headers=a)).text

        hostile = [
            ("post", "/me/modules/0/progress", {"section": 1}, 422),
            ("post", "/me/modules/9/complete", {"answers": {}}, 422),
            ("post", "/me/modules/abc/progress", {"section": 1}, 422),
            ("post", "/me/modules/2/progress", {"section": 0}, 422),
            ("post", "/me/modules/2/progress", {"section": "two"}, 422),
            ("post", "/me/modules/2/progress", {"section": 1, "note": "x"}, 422),
            ("post", "/me/modules/2/complete", {"answers": ["r1"]}, 422),
            ("post", "/me/modules/2/complete", {"answers": {"r1": "x" * 5000}}, 422),
            ("post", "/me/modules/2/complete", {"answers": {f"r{i}": "x" for i in range(50)}}, 422),
            ("post", "/me/modules/2/complete", {"answers": {"<script>": "x"}}, 422),
            ("post", "/me/modules/2/complete", {"answers": {"r1": "x" * 70_000}}, 413),
            ("get", "/enrolments/not-an-id", None, 404),
            ("get", "/enrolments/" + "f" * 24, None, 404),
            ("get", "/enrolments/" + "x" * 500, None, 422),
            ("get", "/enrolments?referral_id=r-h&cursor=nonsense", None, 400),
        ]
        for method, path, body, status in hostile:
            headers = FCA if path.startswith("/enrolments") else a
            answer = await client.request(method, path, json=body, headers=headers)
            assert answer.status_code == status, (path, body, answer.text)
            assert answer.headers["content-type"] == "application/problem+json"
        for token in ("", "Bearer", "Bearer not.a.jwt", "Basic abc"):
            answer = await client.get("/me/course", headers={"Authorization": token})
            assert answer.status_code == 401, token


async def test_a_double_submitted_completion_counts_once(hub):
    async with running(create_app(hub.settings())) as client:
        await hub.refer("r-d", "pa")
        me = await hub.sign_in(client, "pa")
        body = {"answers": right_answers(1)}
        answers = await asyncio.gather(
            *(client.post("/me/modules/1/complete", json=body, headers=me) for _ in range(4))
        )
        assert [a.status_code for a in answers] == [200] * 4
        assert sorted(a.json()["already_completed"] for a in answers) == [False, True, True, True]
        assert (await client.get("/me/course", headers=me)).json()["modules_completed"] == 1
        await hub.wait("module.completed", "pa")
        await client.post("/me/modules/2/complete", json={"answers": right_answers(2)}, headers=me)
        await hub.wait("module.completed", "pa", count=2)  # everything before it has been published
    assert [e.data["module"] for e in await hub.events("module.completed")] == [1, 2]
