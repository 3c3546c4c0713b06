"""Single-use links are put into a message only as it leaves (issue 10): the delivery log, and any
copy of the database, hold the link sealed, never usable; a resend still carries a working link."""

from notifications.app import create_app
from ptfc.testing.plugin import bearer, running

from .conftest import ALEX, referral, text_of
from .test_welcome import activation


async def test_the_delivery_log_keeps_no_usable_link_and_a_resend_still_works(kit):
    app = create_app(kit.settings())
    async with running(app) as client:
        await kit.publish(referral("r-rest"))
        await kit.publish(activation("r-rest", ALEX.participant_id))
        [letter] = await kit.mail_to(ALEX.email)
        await kit.until_settled(app)
        assert "https://hub.example/activate?token=tok-p-alex" in text_of(letter)
        stored = await app.state.rt.store.db.deliveries.find({}).to_list()
        assert stored and "tok-p-alex" not in str(stored)

        welcome = next(d for d in stored if d["template"] == "welcome")
        fca = bearer("cafcass", "fca-1")
        resent = await client.post(f"/notifications/{welcome['notification_id']}/resend", headers=fca)
        assert resent.status_code == 202, resent.text
        _, again = await kit.mail_to(ALEX.email, count=2)
        assert "https://hub.example/activate?token=tok-p-alex" in text_of(again)
