"""A parent's sign-in email changes only by the FCA's explicit, audited change (issue 24, finding 5):
with referrals' bus credentials, a `referral.created` naming a known parent (another referral, or
the same one with a new cycle) overwrote the account's email hash: the real parent could no longer
sign in, and whoever chose the new address could."""

from learning.app import create_app
from ptfc.clock import FakeClock
from ptfc.events import ContactChange, ReferralContactChanged
from ptfc.lookup import email_key
from ptfc.sealing import seal
from ptfc.settings import DEV_CONTACT_SEAL_KEY, DEV_EMAIL_LOOKUP_KEY
from ptfc.testing.events import participant, referral_created
from ptfc.testing.plugin import eventually, running


async def sign_in_key_of(app, pid: str) -> str:
    return (await app.state.rt.store.db.accounts.find_one({"_id": pid}))["email_key"]


async def test_a_referral_created_never_replaces_a_known_parents_sign_in_email(hub):
    app = create_app(hub.settings(), clock=FakeClock())
    async with running(app) as client:
        await hub.refer("r-id1", "ida")
        await hub.sign_in(client, "ida")
        impostor = participant("ida", "Mallory", "Evil", email="mallory@evil.example")
        await hub.publish(referral_created("r-id2", impostor, cycle=2))  # another referral
        again = participant("ida", "Mallory", "Evil", email="mallory2@evil.example")
        await hub.publish(referral_created("r-id1", again, cycle=3))  # the same one, a new cycle
        await eventually(hub.settled)

        assert await sign_in_key_of(app, "ida") == email_key(DEV_EMAIL_LOOKUP_KEY, "ida@parents.example")
        # A new cycle's welcome letter goes to the address notifications holds (the real one: see its
        # test_contact_owner); once in, the real parent signs in by their own email again.
        await hub.sign_in(client, "ida", nth=3)
        await client.post("/sign-in", json={"email": "ida@parents.example"})
        await hub.wait("account.sign_in_link_issued", "ida")


async def test_the_fcas_contact_change_is_the_one_way_to_a_new_sign_in_email(hub):
    app = create_app(hub.settings(), clock=FakeClock())
    async with running(app) as client:
        await hub.refer("r-id3", "idb")
        await hub.sign_in(client, "idb")
        new = "idb.new@parents.example"
        sealed = seal(DEV_CONTACT_SEAL_KEY, ContactChange(participant_id="idb", email=new).model_dump_json())
        changed = ReferralContactChanged(
            referral_id="r-id3",
            participant_id="idb",
            reason="parent_asked",
            email_changed=True,
            phone_changed=False,
            sign_in_key=email_key(DEV_EMAIL_LOOKUP_KEY, new),
            sealed_contact=sealed,
        )
        await hub.publish(changed)
        await eventually(hub.settled)

        assert await sign_in_key_of(app, "idb") == email_key(DEV_EMAIL_LOOKUP_KEY, new)  # the old one no longer
        await client.post("/sign-in", json={"email": new})
        await hub.wait("account.sign_in_link_issued", "idb")
