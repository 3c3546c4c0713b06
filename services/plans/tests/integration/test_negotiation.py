"""A whole negotiation between someone without an account and the person they invite by email:
propose, counter-propose, accept, agreement, events, and a history that keeps every difference."""

import io
import json

from docx import Document
from pypdf import PdfReader

from .conftest import NEW_PLAN, WEEK, token_auth


async def test_propose_counter_accept_ends_agreed_with_history_and_events(kit):
    plan_id, owner, other = await kit.shared_by_email()

    base = f"/plans/{plan_id}/topics"
    first = {"text": "Weekdays with Mum.", "weekly_pattern": [{"child": "Sam", "nights": WEEK}]}
    await kit.ok("POST", f"{base}/living/proposals", owner, json=first)
    counter_week = {**WEEK, "fri": "invitee"}
    counter = {
        "text": "Weekdays with Mum, Fridays with Dad.",
        "weekly_pattern": [{"child": "Sam", "nights": counter_week}],
    }
    view = await kit.ok("POST", f"{base}/living/proposals", other, json=counter)
    living = next(i for i in view["items"] if i["topic"] == "living")
    assert (living["status"], living["version"], living["proposed_by"]) == ("proposed", 2, "Dad")

    stale = await kit.client.post(f"{base}/living/acceptance", json={"version": 1}, headers=owner)
    assert stale.status_code == 409 and stale.json()["type"].endswith("/proposal-changed")
    own = await kit.client.post(f"{base}/living/acceptance", json={"version": 2}, headers=other)
    assert own.status_code == 409 and own.json()["type"].endswith("/already-accepted")
    view = await kit.ok("POST", f"{base}/living/acceptance", owner, json={"version": 2})
    assert next(i for i in view["items"] if i["topic"] == "living")["status"] == "agreed"
    assert view["status"] == "open"  # other topics are still open

    for topic in ("money", "communication"):
        await kit.ok("POST", f"{base}/{topic}/proposals", owner, json={"text": f"Our {topic} words."})
        await kit.ok("POST", f"{base}/{topic}/acceptance", other, json={"version": 1})
    await kit.ok("POST", f"{base}/holidays/proposals", other, json={"text": "Half of each holiday."})
    await kit.ok("POST", f"{base}/holidays/not-agreed", owner)
    await kit.ok("POST", f"{base}/holidays/proposals", owner, json={"text": "Alternate Christmas."})
    view = await kit.ok("POST", f"{base}/holidays/acceptance", other, json={"version": 2})
    assert view["status"] == "agreed" and view["agreed_at"]

    agreed = await kit.tap.wait_for("plan.agreed")
    assert len(agreed) == 1 and agreed[0].data == {"plan_id": plan_id}
    items = await kit.tap.wait_for("plan.item_agreed", 4)
    assert sorted(e.data["topic"] for e in items) == ["communication", "holidays", "living", "money"]
    assert len(await kit.tap.wait_for("plan.proposal_made", 6)) == 6
    assert len(await kit.tap.of("plan.created")) == 1

    await history_keeps_every_step_and_difference(kit, plan_id, owner, other, counter["text"])


async def history_keeps_every_step_and_difference(kit, plan_id: str, owner: dict, other: dict, counter: str) -> None:
    """The negotiation's history: each step by whom, each proposal's difference from the one before,
    paged, and no route that rewrites or deletes it."""
    history = (await kit.ok("GET", f"/plans/{plan_id}/history", other))["items"]
    actions = [(h["action"], h["topic"], h["by"]) for h in history]
    assert actions[:7] == [
        ("created", None, "Mum"),
        ("shared", None, "Mum"),
        ("joined", None, "Dad"),
        ("proposed", "living", "Mum"),
        ("counter_proposed", "living", "Dad"),
        ("agreed", "living", "Mum"),
        ("proposed", "money", "Mum"),
    ]
    assert actions[-1] == ("agreed", "holidays", "Dad")
    change = history[4]["diff"]
    assert {"field": "text", "change": "changed", "before": "Weekdays with Mum.", "after": counter} in change
    assert {
        "field": "weekly_pattern.0.nights.fri",
        "change": "changed",
        "before": "owner",
        "after": "invitee",
    } in change
    assert len(change) == 2  # nothing else moved
    assert history[3]["diff"][0]["change"] == "added"

    # Pages of the history, and no route rewrites or deletes it.
    page = await kit.ok("GET", f"/plans/{plan_id}/history?limit=5", other)
    rest = await kit.ok("GET", f"/plans/{plan_id}/history?limit=50&cursor={page['next_cursor']}", other)
    assert [h["action"] for h in page["items"] + rest["items"]] == [h["action"] for h in history]
    for method in ("PUT", "PATCH", "DELETE"):
        answer = await kit.client.request(method, f"/plans/{plan_id}/history", headers=owner)
        assert answer.status_code == 405
    assert all("/history" not in p or set(v) == {"get"} for p, v in kit.app.openapi()["paths"].items())


async def test_the_word_and_pdf_files_open_and_hold_the_agreed_text(kit):
    plan_id, owner, other = await kit.shared_by_email(topics=["living", "pets", "education"])
    pets = {"text": "Rex stays at Dad's.", "pets": [{"name": "Rex", "kind": "dog", "kept_by": "invitee"}]}
    await kit.ok("POST", f"/plans/{plan_id}/topics/pets/proposals", owner, json=pets)
    await kit.ok("POST", f"/plans/{plan_id}/topics/pets/acceptance", other, json={"version": 1})
    await kit.ok("POST", f"/plans/{plan_id}/topics/education/proposals", owner, json={"text": "Stay at Oak School."})
    view = await kit.ok("GET", f"/plans/{plan_id}", other)

    word = await kit.client.get(f"/plans/{plan_id}/export.docx", headers=other)
    assert word.status_code == 200 and "attachment" in word.headers["content-disposition"]
    text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
    assert "Rex stays at Dad's." in text and "Rex (dog): kept by Dad" in text
    assert "Stay at Oak School." in text and "Proposed, not yet agreed" in text and "Agreed" in text
    today = kit.clock.now()
    assert f"Plan version {view['revision']}" in text and f"{today.day} {today:%B %Y}" in text
    assert "Version 1 proposed by Mum on" in text and "Version 1 accepted by Dad on" in text

    pdf = await kit.client.get(f"/plans/{plan_id}/export.pdf", headers=owner)
    assert pdf.status_code == 200 and pdf.headers["content-type"] == "application/pdf"
    text = " ".join(page.extract_text() for page in PdfReader(io.BytesIO(pdf.content)).pages)
    assert "Rex stays at Dad's." in text and "Stay at Oak School." in text
    assert f"Plan version {view['revision']}" in text


async def test_the_children_see_only_what_is_agreed_and_nothing_about_the_adults(kit):
    started = await kit.start()
    plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
    await kit.ok("POST", f"/plans/{plan_id}/share", owner, json={"to": "email", "email": "friend@elsewhere.example"})
    joined = await kit.ok(
        "POST", "/invitations/accept", {}, json={"token": await kit.invitation_token(), "display_name": "Dad"}
    )
    other = token_auth(joined["party_token"])
    base = f"/plans/{plan_id}/topics"
    words = {
        "living": {"text": "School nights at Mum's.", "weekly_pattern": [{"child": "Sam", "nights": WEEK}]},
        "communication": {"text": "We argue less by using an app."},
        "money": {
            "text": "Pocket money on Saturdays.",
            "pocket_money": [{"child": "Jo", "pence_per_week": 500, "paid_by": "shared"}],
        },
    }
    for topic, body in words.items():
        await kit.ok("POST", f"{base}/{topic}/proposals", owner, json=body)
        await kit.ok("POST", f"{base}/{topic}/acceptance", other, json={"version": 1})
    await kit.ok("POST", f"{base}/holidays/proposals", owner, json={"text": "Disney in August."})  # not agreed

    older = await kit.ok("GET", f"/plans/{plan_id}/for-children?age=13", owner)
    assert older["age_band"] == "13_plus"
    assert [s["topic"] for s in older["sections"]] == ["living", "money"]
    everything = str(older)
    assert "School nights at Mum's." in everything and "Jo: £5.00" in everything
    assert "argue" not in everything and "Disney" not in everything
    young = await kit.ok("GET", f"/plans/{plan_id}/for-children?age=5", other)
    assert young["age_band"] == "under_8" and "School nights" not in str(young)  # words, not the adults' text
    [week] = young["weeks"]
    assert week["child"] == "Sam" and [(n["day_name"], n["home"]) for n in week["nights"]][:1] == [("Monday", "Mum")]
    page = await kit.client.get(f"/plans/{plan_id}/for-children?age=9", headers={**owner, "Accept": "text/html"})
    assert page.headers["content-type"].startswith("text/html") and "@media print" in page.text
    assert "argue" not in page.text and "Disney" not in page.text


async def test_a_repeated_proposal_with_its_key_is_made_once(kit):
    started = await kit.start()
    plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
    key = {**owner, "Idempotency-Key": "k-1"}
    body = {"text": "Every other weekend."}
    one = await kit.client.post(f"/plans/{plan_id}/topics/living/proposals", json=body, headers=key)
    two = await kit.client.post(f"/plans/{plan_id}/topics/living/proposals", json=body, headers=key)
    assert one.json() == two.json() and two.headers.get("Idempotent-Replayed") == "true"
    history = await kit.ok("GET", f"/plans/{plan_id}/history", owner)
    assert [h["action"] for h in history["items"]] == ["created", "proposed"]


async def test_topics_and_the_blank_template_in_each_language(kit):
    for lang in ("en", "pl", "ur"):
        topics = (await kit.client.get(f"/topics?lang={lang}")).json()
        assert len(topics) == 13 and all(t["guidance"] and len(t["prompts"]) >= 2 for t in topics)
        assert {t["field"] for t in topics} == {None, "weekly_pattern", "pocket_money", "pets"}
        blank = await kit.client.get(f"/plan-template.docx?lang={lang}")
        assert blank.status_code == 200
        text = "\n".join(p.text for p in Document(io.BytesIO(blank.content)).paragraphs)
        assert all(t["title"] in text and t["prompts"][0] in text for t in topics)
        right_to_left = "<w:bidi/>" in Document(io.BytesIO(blank.content)).paragraphs[1]._p.xml
        assert right_to_left == (lang == "ur")
    assert (await kit.client.get("/topics?lang=pl")).json()[0]["title"].startswith("Gdzie mieszkają")
    assert NEW_PLAN["topics"][0] == "living"


async def test_a_topic_added_later_opens_an_agreed_plan_again(kit):
    started = await kit.start(topics=["pets"])
    plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
    await kit.ok("POST", f"/plans/{plan_id}/share", owner, json={"to": "email", "email": "friend@elsewhere.example"})
    joined = await kit.ok(
        "POST", "/invitations/accept", {}, json={"token": await kit.invitation_token(), "display_name": "Dad"}
    )
    other = token_auth(joined["party_token"])
    await kit.ok("POST", f"/plans/{plan_id}/topics/pets/proposals", owner, json={"text": "Rex stays."})
    assert (await kit.ok("POST", f"/plans/{plan_id}/topics/pets/acceptance", other, json={"version": 1}))[
        "status"
    ] == "agreed"
    view = await kit.ok("POST", f"/plans/{plan_id}/topics", other, json={"topics": ["health", "living"]})
    assert view["status"] == "open" and [i["topic"] for i in view["items"]] == ["living", "health", "pets"]
    again = await kit.client.post(f"/plans/{plan_id}/topics", json={"topics": ["pets"]}, headers=owner)
    assert again.status_code == 409
    history = await kit.ok("GET", f"/plans/{plan_id}/history", owner)
    assert history["items"][-1] | {"at": None} == {
        "at": None,
        "by": "Dad",
        "action": "topics_added",
        "topics": ["living", "health"],
        "topic": None,
        "version": None,
        "status": None,
        "content": None,
        "diff": None,
        "invitee": None,
        "title": None,
        "language": None,
        "written_in": None,
    }


async def test_words_a_word_file_cannot_hold_are_refused_up_front(kit):
    started = await kit.start()
    plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
    for text in ("bell \x07", "nul \x00", "lone \ud800"):
        answer = await kit.client.post(
            f"/plans/{plan_id}/topics/living/proposals",
            content=json.dumps({"text": text}),
            headers={**owner, "Content-Type": "application/json"},
        )
        assert answer.status_code == 422, (text, answer.text)
    fine = {"text": "Line one\n\tLine two, ok ✓ ł"}
    await kit.ok("POST", f"/plans/{plan_id}/topics/living/proposals", owner, json=fine)
    assert (await kit.client.get(f"/plans/{plan_id}/export.docx", headers=owner)).status_code == 200
