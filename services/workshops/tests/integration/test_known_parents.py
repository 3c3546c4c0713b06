"""A parent workshops knows is never re-pointed by a later `referral.created` (issue 24, finding
5): with referrals' bus credentials, another referral naming the same participant changes neither
their provider, nor their co-parents, nor their profile, so it cannot move them to another
provider's sessions or let a stranger's co-parent rule decide what they are offered."""

from ptfc.testing import events
from ptfc.testing.plugin import eventually, running
from workshops.app import create_app


async def test_a_second_referral_created_with_another_referral_id_changes_nothing(bus):
    app = create_app(bus.settings())
    async with running(app) as client:
        parents = app.state.rt.store.db["parents"]
        await bus.publish(events.referral_created("r-real", bus.parent("bea"), bus.parent("cal")), "referrals")
        await eventually(lambda: _count(parents, {"referral_id": "r-real"}, 2), timeout=20)
        before = await parents.find_one({"_id": "bea"})

        forged = events.referral_created(
            "r-forged",
            bus.parent("bea", gender="male", preferred_language="pl"),
            bus.parent("mallory"),
            provider="family-action",
            fca_id="fca-mallory",
        )
        await bus.publish(forged, "referrals")
        await eventually(lambda: _count(parents, {"_id": "mallory"}, 1), timeout=20)  # the event was handled
        after = await parents.find_one({"_id": "bea"})
        assert after == before
        assert (after["provider"], after["co_parents"], after["referral_id"]) == (
            "action-for-children",
            ["cal"],
            "r-real",
        )
        assert (await client.get("/me/sessions", headers=bus.me("bea"))).status_code == 200


async def _count(collection, query: dict, n: int) -> bool:
    return await collection.count_documents(query) == n
