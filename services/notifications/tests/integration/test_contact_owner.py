"""Only the referral that created a parent may change how to reach them (issue 10: a forged
or mistaken referral.created reusing a participant id redirected the parent's sign-in links)."""

from notifications.app import create_app
from ptfc.testing.mailbox import text_of
from ptfc.testing.plugin import running

from .conftest import ALEX, SAMIRA, parent, referral
from .test_welcome import activation


async def test_a_later_referral_cannot_replace_a_known_parents_contact(kit):
    app = create_app(kit.settings())
    impostor = parent(ALEX.participant_id, "Mallory", "Evil")  # Alex's id, someone else's address
    async with running(app):
        await kit.publish(referral("r-1", ALEX, SAMIRA))
        await kit.until_settled(app)
        await kit.publish(referral("r-2", impostor))
        await kit.until_settled(app)
        await kit.publish(activation("r-1", ALEX.participant_id))
        await kit.mail_to(ALEX.email)
        await kit.until_settled(app)
        stored = await app.state.rt.store.db.contacts.find_one({"_id": ALEX.participant_id})
    assert (stored["email"], stored["referral_id"]) == (ALEX.email, "r-1")
    assert kit.mailbox.to(impostor.email) == []


async def test_the_same_referral_again_with_a_new_cycle_cannot_replace_a_known_parents_contact(kit):
    """Issue 24 finding 5: with referrals' bus credentials, a `referral.created` reusing the real
    referral id with a new cycle re-pointed Alex's contact and sent the welcome link to the attacker."""
    app = create_app(kit.settings())
    impostor = parent(ALEX.participant_id, "Mallory", "Evil")
    async with running(app):
        await kit.publish(referral("r-1", ALEX, SAMIRA))
        await kit.until_settled(app)
        await kit.publish(referral("r-1", impostor).model_copy(update={"cycle": 2}))
        await kit.until_settled(app)
        await kit.publish(activation("r-1", ALEX.participant_id, cycle=2))
        [welcome] = await kit.mail_to(ALEX.email)
        await kit.until_settled(app)
        stored = await app.state.rt.store.db.contacts.find_one({"_id": ALEX.participant_id})
    assert "Dear Alex" in welcome.get_body(("plain",)).get_content()
    assert (stored["email"], stored["given_name"]) == (ALEX.email, "Alex")
    assert kit.mailbox.to(impostor.email) == []
    # Nor does the provider get a heads-up naming the impostor's address.
    assert not [m for _, m in kit.mailbox.received if impostor.email in text_of(m)]
