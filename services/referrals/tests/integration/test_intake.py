"""Intake: what Cafcass sends, what is refused and why, and that a retry never refers twice."""

import asyncio

import pytest
from cryptography.fernet import InvalidToken

from ptfc.events import ReferralCreated
from ptfc.settings import DEV_CONTACT_SEAL_KEY, DEV_WORKSHOPS_SEAL_KEY
from ptfc.testing.plugin import bearer, eventually

from .conftest import CONTACTS, FCA, REQUEST, referral


async def test_a_referral_is_routed_and_announced_once_even_when_retried(kit, tap):
    first = await kit.refer(key="intake-1")
    again = await kit.refer(key="intake-1")
    assert first.status_code == again.status_code == 201
    assert first.json() == again.json()
    body = first.json()
    assert body["case_number"] == "MA24P00123" and body["provider"] == "family-action"
    assert [p["given_name"] for p in body["participants"]] == ["Alex", "Chris"]

    [event] = await tap.wait_for("referral.created")
    data = event.data
    assert event.correlation_id == data["referral_id"] == body["id"]
    assert data["fca_id"] == "fca-sam" and data["provider"] == "family-action" and data["cycle"] == 1
    assert [p["participant_id"] for p in data["participants"]] == [p["participant_id"] for p in body["participants"]]
    # v2: every subscriber reads ids and languages; contact details and support needs are sealed,
    # for notifications (all of them) and for workshops (what a facilitator needs), each its own key.
    assert not any(contact.casefold() in event.model_dump_json().casefold() for contact in CONTACTS)
    assert "Polish" not in event.model_dump_json() and event.version == 2
    created = ReferralCreated.model_validate(data)
    contacts = created.contacts(DEV_CONTACT_SEAL_KEY)
    assert contacts[0].email == "alex@example.org" and contacts[1].adjustments.interpreter == "Polish"
    profiles = created.profiles(DEV_WORKSHOPS_SEAL_KEY)
    assert profiles[1].given_name == "Chris" and profiles[1].adjustments.interpreter == "Polish"
    assert "example.org" not in str(profiles)  # workshops gets no address
    with pytest.raises(InvalidToken):
        created.contacts(DEV_WORKSHOPS_SEAL_KEY)  # workshops' key does not open the contact details
    assert await kit.db.referrals.count_documents({}) == 1
    assert await kit.db.outbox.count_documents({}) == 1

    # The contact details go out in the event, for notifications; this service keeps none of them,
    # not even in the sent outbox row.
    async def published() -> bool:
        return await kit.db.outbox.count_documents({"sent": True}) == 1

    await eventually(published)
    kept = str(await kit.db.participants.find().to_list()) + str(await kit.db.outbox.find().to_list())
    assert not any(contact.casefold() in kept.casefold() for contact in CONTACTS)


async def test_a_retry_racing_the_first_request_gets_the_first_answer(kit, tap):
    """A partner's client times out and retries with the same key while the first is still running."""
    answers = await asyncio.gather(*(kit.refer(key="impatient") for _ in range(3)))
    assert [a.status_code for a in answers] == [201, 201, 201]
    assert len({a.json()["id"] for a in answers}) == 1
    assert await kit.db.referrals.count_documents({}) == 1
    assert len(await tap.wait_for("referral.created")) == 1


async def test_the_same_parent_of_the_same_case_is_not_referred_twice(kit):
    existing, _ = await kit.referred()
    # A retry without a key, and a new referral naming one of the parents in another case of letters.
    again = await kit.refer()
    other = referral(parents=[{**REQUEST["parents"][0], "email": "ALEX@Example.org"}])
    clash = await kit.refer(other)
    for answer in (again, clash):
        assert answer.status_code == 409
        assert answer.json()["type"].endswith("/parent-already-referred")
        assert answer.json()["existing_referral_id"] == existing
    # The same parent in another case is another referral.
    assert (await kit.refer(referral(case_number="MA24P00999"))).status_code == 201
    # Another FCA is told the parent is already referred, but not which referral (it cannot read it).
    elsewhere = await kit.refer(headers=bearer("cafcass", "fca-other"))
    assert elsewhere.status_code == 409 and elsewhere.json()["type"].endswith("/parent-already-referred")
    assert "existing_referral_id" not in elsewhere.json() and existing not in elsewhere.text


async def test_two_intakes_racing_for_the_same_parent_make_one_referral(kit):
    answers = await asyncio.gather(kit.refer(key="a"), kit.refer(key="b"))
    assert sorted(a.status_code for a in answers) == [201, 409]
    winner = next(a for a in answers if a.status_code == 201).json()["id"]
    assert next(a for a in answers if a.status_code == 409).json()["existing_referral_id"] == winner
    assert await kit.db.referrals.count_documents({}) == 1


async def test_a_region_outside_family_action_areas_goes_to_action_for_children(kit):
    answer = await kit.refer(referral(region="kent", court="Canterbury Combined Court"))
    assert answer.json()["provider"] == "action-for-children"


@pytest.mark.parametrize("region", ["greater manchester", "GREATER-MANCHESTER", "Greater  Manchester."])
async def test_a_region_is_read_as_its_schema_says_without_case_or_punctuation(kit, region):
    answer = await kit.refer(referral(region=region))
    assert answer.status_code == 201 and answer.json()["provider"] == "family-action"


PARENT = REQUEST["parents"][0]


@pytest.mark.parametrize(
    ("changes", "status", "reason"),
    [
        ({"court": "Cardiff Civil and Family Justice Centre"}, 422, "wales-out-of-scope"),
        ({"region": "South Wales"}, 422, "wales-out-of-scope"),
        ({"region": "Caerdydd"}, 422, "wales-out-of-scope"),
        ({"region": "Ynys Môn"}, 422, "wales-out-of-scope"),
        ({"region": "Abertawe"}, 422, "wales-out-of-scope"),
        ({"region": "Gogledd Cymru"}, 422, "wales-out-of-scope"),
        ({"court": "Llys Teulu Caerdydd"}, 422, "wales-out-of-scope"),
        ({"parents": [{**PARENT, "given_name": "Al\u0000ex"}]}, 422, "invalid-request"),
        ({"parents": [{**PARENT, "family_name": "Jones\u001b[2J"}]}, 422, "invalid-request"),
        ({"fca": {"name": "Sa\u0085m", "email": "sam@cafcass.example"}}, 422, "invalid-request"),
        ({"court": "Manchester\u0000"}, 422, "invalid-request"),
        ({"safeguarding_concerns": True}, 422, "safeguarding-concerns"),
        ({"court_declined": True}, 422, "court-declined"),
        ({"region": "Scotland"}, 422, "region-not-in-england"),
        ({"region": "Narnia"}, 422, "region-unknown"),
        ({"region": "North West"}, 422, "region-ambiguous"),
        ({"case_number": "MA24P0012"}, 422, "invalid-case-number"),
        ({"case_number": "'; DROP TABLE--"}, 422, "invalid-case-number"),
        ({"parents": [PARENT, PARENT]}, 422, "same-parent-twice"),
        ({"parents": []}, 422, "invalid-request"),
        ({"parents": [PARENT, PARENT, PARENT]}, 422, "invalid-request"),
        ({"court_declined": "no"}, 422, "invalid-request"),
        ({"safeguarding_concerns": None}, 422, "invalid-request"),
        ({"source": "self_referral"}, 422, "invalid-request"),
        ({"children": [{"age": 30}]}, 422, "invalid-request"),
        ({"children": [{"age": "six"}]}, 422, "invalid-request"),
        ({"region": "x" * 10_000}, 422, "invalid-request"),
        ({"fca": {"name": "Sam", "email": "not an email"}}, 422, "invalid-request"),
        ({"parents": [{**PARENT, "phone": "call me"}]}, 422, "invalid-request"),
        ({"parents": [{**PARENT, "preferred_language": "fr"}]}, 422, "invalid-request"),
        ({"parents": [{**PARENT, "address": "1 Secret Lane"}]}, 422, "invalid-request"),
        ({"parents": [{**PARENT, "given_name": "   "}]}, 422, "invalid-request"),
        ({"unexpected": True}, 422, "invalid-request"),
        ({"case_number": {"$gt": ""}}, 422, "invalid-request"),
    ],
)
async def test_each_refusal_has_its_reason_and_nothing_is_kept(kit, changes, status, reason):
    answer = await kit.refer(referral(**changes))
    assert answer.status_code == status, answer.text
    problem = answer.json()
    assert answer.headers["content-type"] == "application/problem+json"
    assert problem["type"] == f"https://ptfc.example/problems/{reason}"
    assert not any(contact in answer.text for contact in CONTACTS)  # a problem never echoes personal data
    if reason == "wales-out-of-scope":
        assert "Working Together for Children" in problem["detail"] and "Cafcass Cymru" in problem["detail"]
    assert await kit.db.referrals.count_documents({}) == 0
    assert await kit.db.outbox.count_documents({}) == 0


async def test_only_cafcass_refers(kit):
    for headers in (
        bearer("parent", "alex"),
        bearer("provider", "p1", provider="family-action"),
        bearer("court", "c", court="Leeds"),
    ):
        answer = await kit.refer(headers=headers)
        assert answer.status_code == 403 and answer.json()["type"].endswith("/referral-by-cafcass-only")
    assert (await kit.client.post("/referrals", json=REQUEST)).status_code == 401
    assert (await kit.refer(headers={"Authorization": "Bearer forged"})).status_code == 401
    assert await kit.db.referrals.count_documents({}) == 0


async def test_malformed_bodies_and_ids_get_problems_not_errors(kit):
    json_header = {**FCA, "content-type": "application/json"}
    broken = await kit.client.post("/referrals", content=b"{not json", headers=json_header)
    assert broken.status_code == 400 and broken.json()["type"].endswith("/malformed-json")
    form = await kit.client.post("/referrals", data={"case_number": "MA24P00123"}, headers=FCA)
    assert form.status_code == 415 and form.json()["type"].endswith("/unsupported-media-type")
    assert (await kit.client.post("/referrals", json=[1, 2], headers=FCA)).status_code == 422
    for path in ("/referrals/nope", "/referrals/0123456789abcdef01234567", "/referrals/" + "9" * 64):
        answer = await kit.client.get(path, headers=FCA)
        assert answer.status_code == 404 and answer.json()["type"].endswith("/not-found")
    assert (await kit.client.get("/referrals?cursor=zzz", headers=FCA)).json()["type"].endswith("/invalid-cursor")
    assert (await kit.client.get("/referrals?status=lost", headers=FCA)).status_code == 422
    assert (await kit.client.get("/referrals?limit=100000", headers=FCA)).status_code == 422
    reused = await kit.refer(key="k")
    changed = await kit.refer(referral(case_number="MA24P00999"), key="k")
    assert reused.status_code == 201 and changed.json()["type"].endswith("/idempotency-key-reused")


JUNK = [b"", b"null", b"[]", b'"x"', b"1e999", b"\xff\xfe", b'{"reason": null}', b'{"reason": ' + b'"a"' * 3 + b"}"]


async def test_hostile_input_anywhere_gets_a_problem_never_a_server_error(kit):
    referral_id, (alex, _) = await kit.referred()
    writes = [
        ("/referrals", FCA),
        (f"/referrals/{referral_id}/withdraw", FCA),
        (f"/referrals/{referral_id}/participants/{alex}/reorder", FCA),
        (f"/providers/family-action/contacts/{alex}", bearer("provider", "s", provider="family-action")),
    ]
    for path, headers in writes:
        for junk in JUNK:
            answer = await kit.client.post(path, content=junk, headers={**headers, "content-type": "application/json"})
            assert answer.status_code < 500, (path, junk, answer.status_code)
            assert answer.headers["content-type"] == "application/problem+json" or "contacts" in path
        bad_key = await kit.client.post(path, json={}, headers={**headers, "Idempotency-Key": "a b" * 100})
        assert bad_key.status_code == 422
    assert (await kit.view(referral_id))["status"] == "active"  # nothing above withdrew it


async def test_co_parents_ids_cannot_be_guessed_from_each_other(kit):
    # ObjectIds made one after another share their first 9 bytes (time and process) and count up:
    # knowing one parent's id, the co-parent's is the next. Parents send their ids to other services.
    _, (alex, chris) = await kit.referred()
    a, c = bytes.fromhex(alex), bytes.fromhex(chris)
    assert a[:9] != c[:9] and abs(int.from_bytes(a, "big") - int.from_bytes(c, "big")) > 2**32
