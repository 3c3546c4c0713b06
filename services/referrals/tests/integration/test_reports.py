"""Reports: counts per provider, region and month, small cells suppressed; a provider's staff see
only their provider's, Cafcass every provider's, nobody else any; no person is named."""

from ptfc.testing.plugin import bearer

from .conftest import FCA, referral

FAMILY_ACTION = bearer("provider", "staff-fa", provider="family-action")
ACTION_FOR_CHILDREN = bearer("provider", "staff-afc", provider="action-for-children")


async def test_reports_count_per_provider_region_and_month_with_small_cells_suppressed(kit):
    for n in range(3):  # six parents in Greater Manchester (Family Action)
        await kit.referred(referral(case_number=f"MA24P0050{n}"))
    await kit.referred(referral(case_number="LO24P00500", region="London", court="Central Family Court"))
    month = kit.clock.now().strftime("%Y-%m")
    asked = {"since": month, "until": month}

    def rows(answer):
        assert answer.status_code == 200, answer.text
        return {(r["provider"], r["region"]): r for r in answer.json()["rows"]}

    family_action = rows(await kit.client.get("/reports", params=asked, headers=FAMILY_ACTION))
    assert set(family_action) == {("family-action", "Greater Manchester")}  # theirs alone
    manchester = family_action[("family-action", "Greater Manchester")]
    assert manchester["month"] == month and manchester["referred"] == 6
    assert manchester["completed"] == 0 and manchester["completion_rate"] is None  # nothing decided yet

    london = rows(await kit.client.get("/reports", params=asked, headers=ACTION_FOR_CHILDREN))
    assert set(london) == {("action-for-children", "London")}
    assert london[("action-for-children", "London")]["referred"] is None  # two parents: fewer than 5, not shown

    everyone = await kit.client.get("/reports", params=asked, headers=FCA)
    assert set(rows(everyone)) == {("family-action", "Greater Manchester"), ("action-for-children", "London")}
    assert "Alex" not in everyone.text and "MA24P" not in everyone.text  # counts only

    for who in (bearer("parent", "alex"), bearer("court", "c", court="Central Family Court"), bearer("ops", "o")):
        assert (await kit.client.get("/reports", params=asked, headers=who)).status_code == 403
    backwards = await kit.client.get("/reports", params={"since": month, "until": "2020-01"}, headers=FCA)
    assert backwards.status_code == 422 and backwards.json()["type"].endswith("/bad-range")
    assert (await kit.client.get("/reports", params={"since": "May", "until": month}, headers=FCA)).status_code < 500
