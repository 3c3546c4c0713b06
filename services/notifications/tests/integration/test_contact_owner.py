"""Only the referral that created a parent may change how to reach them (issue 10: a forged
or mistaken referral.created reusing a participant id redirected the parent's sign-in links)."""

from notifications.app import create_app
from ptfc.events import ContactChange, ReferralContactChanged
from ptfc.sealing import seal
from ptfc.settings import DEV_CONTACT_SEAL_KEY
from ptfc.testing.events import publish
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


def moved(referral_id: str, who, email: str, *, phone: str | None = None) -> ReferralContactChanged:
    """`referral.contact_changed` as referrals publishes it: the new details sealed for notifications."""
    new = ContactChange(participant_id=who.participant_id, email=email, phone=phone)
    return ReferralContactChanged(
        referral_id=referral_id,
        participant_id=who.participant_id,
        reason="parent_asked",
        email_changed=True,
        phone_changed=phone is not None,
        sign_in_key="k",
        sealed_contact=seal(DEV_CONTACT_SEAL_KEY, new.model_dump_json()),
    )


async def test_a_contact_change_tells_the_old_address_and_later_letters_go_to_the_new_one(kit, tap):
    new_email = "alex.elsewhere@parents.example"
    app = create_app(kit.settings())
    async with running(app):
        await kit.publish(referral("r-1", ALEX, SAMIRA))
        await kit.until_settled(app)
        # From anyone but referrals (here: learning's identity, as a compromised pod would), it is parked.
        await publish(kit.nats_url, moved("r-1", ALEX, "mallory@evil.example"), producer="learning")
        await kit.publish(moved("r-1", ALEX, new_email, phone="07700900777"))
        [told] = await kit.mail_to(ALEX.email)
        [confirmed] = await kit.mail_to(new_email)
        await kit.publish(activation("r-1", ALEX.participant_id))
        await kit.mail_to(new_email, count=2)
        await kit.until_settled(app)
        stored = await app.state.rt.store.db.contacts.find_one({"_id": ALEX.participant_id})
    assert "contact details" in str(told["Subject"]) and "email address and phone number" in text_of(told)
    assert new_email not in text_of(told) and "07700900777" not in text_of(told)  # the old address learns nothing new
    assert ALEX.email not in text_of(confirmed) and str(confirmed["Subject"]).startswith("We will now write")
    welcome = [m for m in kit.mailbox.to(new_email) if "Welcome" in str(m["Subject"])]
    assert len(welcome) == 1 and len(kit.mailbox.to(ALEX.email)) == 1  # the welcome went to the new address only
    assert (stored["email"], stored["phone"]) == (new_email, "07700900777")
    assert kit.mailbox.to("mallory@evil.example") == []
    sent = {e.data["template"] for e in await tap.of("notification.sent")}
    assert {"contact_changed", "contact_confirmed"} <= sent
