"""Who sees what: object-level access to referrals, the provider's worklist, and no parent's
contact details anywhere a referral is viewed."""

from datetime import timedelta

from ptfc.testing.plugin import bearer

from .conftest import CONTACTS, FCA, referral

FAMILY_ACTION = bearer("provider", "staff-fa", provider="family-action")
ACTION_FOR_CHILDREN = bearer("provider", "staff-afc", provider="action-for-children")
MANCHESTER = bearer("court", "clerk-m", court="Manchester Civil Justice Centre")
LEEDS = bearer("court", "clerk-l", court="Leeds Combined Court")
OTHER_FCA = bearer("cafcass", "fca-other")
PARENT = bearer("parent", "alex")


async def test_the_referral_is_seen_by_its_fca_court_and_provider_only(kit):
    referral_id, _ = await kit.referred()
    for who in (FCA, MANCHESTER, bearer("court", "c2", court="manchester civil justice centre"), FAMILY_ACTION):
        view = await kit.view(referral_id, who)
        assert view["id"] == referral_id and len(view["participants"]) == 2
        assert not any(contact in str(view) for contact in CONTACTS)
    for who in (OTHER_FCA, ACTION_FOR_CHILDREN, LEEDS):
        answer = await kit.client.get(f"/referrals/{referral_id}", headers=who)
        assert answer.status_code == 404 and answer.json()["type"].endswith("/not-found")  # as if it did not exist
    for who in (PARENT, bearer("ops", "ops"), bearer("facilitator", "f", provider="family-action")):
        answer = await kit.client.get(f"/referrals/{referral_id}", headers=who)
        assert answer.status_code == 403
        assert not any(contact in answer.text for contact in CONTACTS)


async def test_lists_hold_only_the_callers_referrals_filtered_and_paginated(kit):
    manchester, _ = await kit.referred()
    second, _ = await kit.referred(referral(case_number="MA24P00200"))
    kent, _ = await kit.referred(referral(case_number="CT24P00300", region="Kent", court="Canterbury Combined Court"))

    async def ids(headers, query=""):
        answer = await kit.client.get(f"/referrals{query}", headers=headers)
        assert answer.status_code == 200, answer.text
        return [r["id"] for r in answer.json()["items"]]

    assert await ids(FCA) == [manchester, second, kent]
    assert await ids(OTHER_FCA) == []
    assert await ids(FAMILY_ACTION) == [manchester, second]
    assert await ids(ACTION_FOR_CHILDREN) == [kent]
    assert await ids(ACTION_FOR_CHILDREN, "?provider=family-action") == []
    assert await ids(MANCHESTER) == [manchester, second]
    assert await ids(FCA, "?case_number=ma24p00200") == [second]
    assert await ids(FCA, "?status=withdrawn") == []
    assert (await kit.client.get("/referrals", headers=PARENT)).status_code == 403

    page = (await kit.client.get("/referrals?limit=2", headers=FCA)).json()
    assert [r["id"] for r in page["items"]] == [manchester, second]
    rest = (await kit.client.get(f"/referrals?limit=2&cursor={page['next_cursor']}", headers=FCA)).json()
    assert [r["id"] for r in rest["items"]] == [kent] and rest["next_cursor"] is None
    assert not any(contact in str(page) for contact in CONTACTS)


async def test_the_provider_calls_each_parent_the_day_after_referral(kit):
    referral_id, (alex, chris) = await kit.referred()
    worklist = "/providers/family-action/contacts-due"
    assert (await kit.client.get(worklist, headers=FAMILY_ACTION)).json()["items"] == []

    kit.clock.advance(timedelta(days=1))
    rows = (await kit.client.get(worklist, headers=FAMILY_ACTION)).json()["items"]
    assert [r["participant_id"] for r in rows] == [alex, chris]
    alex_row, chris_row = rows
    assert alex_row["given_name"] == "Alex" and alex_row["availability"] == ["evening", "weekend"]
    assert chris_row["interpreter"] == "Polish" and chris_row["preferred_language"] == "pl"
    # Email and phone reach the provider in notifications' heads-up email, the one place they are kept.
    assert not any(contact in str(rows) for contact in CONTACTS)
    # A row is one parent: nothing in it reaches the co-parent.
    assert "chris" not in str(alex_row).lower() and "07700900002" not in str(alex_row)
    assert "alex" not in str(chris_row).lower() and "07700900001" not in str(chris_row)

    for who in (ACTION_FOR_CHILDREN, FCA, PARENT):
        assert (await kit.client.get(worklist, headers=who)).status_code == 403
    # provider staff of no provider: a token its issuer may not grant (ptfc.issuers), refused as such
    assert (await kit.client.get(worklist, headers=bearer("provider", "x"))).status_code == 401
    assert (await kit.client.get("/providers/nobody/contacts-due", headers=FAMILY_ACTION)).status_code == 422

    mark = f"/providers/family-action/contacts/{alex}"
    first = await kit.client.post(mark, headers=FAMILY_ACTION)
    kit.clock.advance(timedelta(hours=1))
    again = await kit.client.post(mark, headers=FAMILY_ACTION)
    assert first.status_code == again.status_code == 200
    assert first.json()["contacted_at"] == again.json()["contacted_at"]
    rows = (await kit.client.get(worklist, headers=FAMILY_ACTION)).json()["items"]
    assert [r["participant_id"] for r in rows] == [chris]
    assert (await kit.parent(referral_id, alex))["contacted_at"] is not None

    for path, who in [
        (f"/providers/action-for-children/contacts/{chris}", ACTION_FOR_CHILDREN),
        ("/providers/family-action/contacts/not-an-id", FAMILY_ACTION),
    ]:
        assert (await kit.client.post(path, headers=who)).status_code == 404
    other_provider = await kit.client.post(f"/providers/family-action/contacts/{chris}", headers=ACTION_FOR_CHILDREN)
    assert other_provider.status_code == 403
