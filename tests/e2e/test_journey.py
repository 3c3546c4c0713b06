"""One parent's whole journey across referrals, learning and notifications, on real NATS
JetStream, the MongoDB server and SMTP: referral → welcome letter → activation → signing in
again by emailed link → eight modules → workshop attended → the court and the FCA are told,
and nothing of the co-parent leaks."""

import re
from datetime import UTC, datetime, timedelta

from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from learning.content import passing_answers
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from ptfc.events import Envelope, SessionPart, WorkshopAttended, WorkshopBooked
from ptfc.sealing import seal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.events import publish
from ptfc.testing.mailbox import Mailbox, text_of
from ptfc.testing.plugin import bearer, eventually, running
from ptfc.testing.referrals import ALEX as ALEX_AS_GIVEN
from ptfc.testing.referrals import CHRIS as CHRIS_AS_GIVEN
from ptfc.testing.referrals import referral_body
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings

FCA = bearer("cafcass", "fca-sam-patel")
COURT_EMAIL = "family.manchester@justice.example"
NOTHING_ASKED = {"interpreter": None, "in_person": False, "support_needs": ""}
POLISH = NOTHING_ASKED | {"interpreter": "Polish"}
ALEX = ALEX_AS_GIVEN | {"preferred_language": "en", "adjustments": NOTHING_ASKED, "availability": ["evening"]}
CHRIS = CHRIS_AS_GIVEN | {"preferred_language": "pl", "adjustments": POLISH, "availability": ["daytime"]}
REFERRAL = referral_body(
    ALEX,
    CHRIS,
    court="Manchester Civil Justice Centre",
    court_email=COURT_EMAIL,
    region="Greater Manchester",
    children=[{"age": 6}, {"age": 9}],
)


async def test_a_parent_completes_and_the_court_is_told(make_settings, infra, tap, mailbox):
    referrals = referrals_app(make_settings(ReferralsSettings))
    learning = learning_app(make_settings(LearningSettings, hub_url="https://hub.example"))
    notifications = notifications_app(
        make_settings(
            NotificationsSettings,
            smtp_port=mailbox.port,
            hub_url="https://hub.example",
            sweep_interval=timedelta(milliseconds=200),
            send_backoff=timedelta(milliseconds=100),
        )
    )

    async with running(referrals) as ref, running(learning) as hub, running(notifications):
        created = await ref.post("/referrals", json=REFERRAL, headers={**FCA, "Idempotency-Key": "journey-1"})
        assert created.status_code == 201, created.text
        referral_id = created.json()["id"]
        alex_id, chris_id = (p["participant_id"] for p in created.json()["participants"])

        # The welcome letter reaches Alex with a working single-use link.
        [welcome] = await eventually(lambda: _mail(mailbox, "alex@example.org"), timeout=20)
        token = re.search(r"activate\?token=([A-Za-z0-9_\-]+)", text_of(welcome)).group(1)
        activated = await hub.post("/activate", json={"token": token})
        assert activated.status_code == 200, activated.text
        parent = {"Authorization": f"Bearer {activated.json()['access_token']}"}
        assert (await hub.post("/activate", json={"token": token})).status_code == 409

        # Alex's own token reaches nothing of the referral, where the co-parent is.
        assert (await ref.get(f"/referrals/{referral_id}", headers=parent)).status_code == 403

        # Alex comes back another day: asks for a sign-in link with her email, and it arrives.
        assert (await hub.post("/sign-in", json={"email": "Alex@Example.org"})).status_code == 202

        async def sign_in_mail():
            return [m for m in mailbox.to("alex@example.org") if "sign-in?token=" in text_of(m)]

        [link] = await eventually(sign_in_mail, timeout=20)
        token = re.search(r"sign-in\?token=([A-Za-z0-9_\-]+)", text_of(link)).group(1)
        back = await hub.post("/sign-in/session", json={"token": token})
        assert back.status_code == 200, back.text
        parent = {"Authorization": f"Bearer {back.json()['access_token']}"}

        for n in range(1, 9):
            done = await hub.post(f"/me/modules/{n}/complete", json={"answers": passing_answers(n)}, headers=parent)
            assert done.status_code == 200, done.text
        [learned] = await tap.wait_for("learning.completed")
        assert learned.payload().participant_id == alex_id

        # Workshops is not built yet: its events are published as it will publish them.
        start = datetime.now(UTC) + timedelta(days=3)
        booking = {"referral_id": referral_id, "participant_id": alex_id, "booking_id": "b-1", "session_id": "s-1"}
        for data in (
            WorkshopBooked(
                **booking,
                parts=[SessionPart(starts_at=start, ends_at=start + timedelta(hours=2.5))],
                mode="online",
                has_video_link=True,
                sealed_video_link=seal(DEV_LINK_SEAL_KEY, "https://video.example/s-1"),  # as workshops seals it
            ),
            WorkshopAttended(**booking, attended_at=start + timedelta(hours=2.5)),
        ):
            await publish(infra.nats_url, Envelope.of(data, correlation_id=referral_id, producer="workshops"))

        [outcome] = await tap.wait_for("course.completed")
        assert outcome.payload().participant_id == alex_id and outcome.correlation_id == referral_id
        assert await tap.of("course.incomplete") == []

        # The court and the FCA get the completion report; Alex a certificate.
        await eventually(lambda: _mail(mailbox, COURT_EMAIL), timeout=20)
        await eventually(lambda: _mail(mailbox, "sam.patel@cafcass.example"), timeout=20)

        async def reported():
            view = (await ref.get(f"/referrals/{referral_id}", headers=FCA)).json()
            alex = next(p for p in view["participants"] if p["participant_id"] == alex_id)
            kinds = {line["event"] for line in alex["timeline"]}
            return (
                alex
                if {
                    "account.activated",
                    "learning.completed",
                    "workshop.attended",
                    "course.completed",
                    "notification.sent",
                }
                <= kinds
                else None
            )

        alex_view = await eventually(reported, timeout=20)
        assert alex_view["status"] == "completed"
        chris_view = next(
            p
            for p in (await ref.get(f"/referrals/{referral_id}", headers=FCA)).json()["participants"]
            if p["participant_id"] == chris_id
        )
        assert chris_view["status"] != "completed"

    # Nothing sent to one parent holds the other's contact details or name.
    to_alex = [text_of(m) for m in mailbox.to("alex@example.org")]
    to_chris = [text_of(m) for m in mailbox.to("chris@example.org")]
    assert len(to_alex) >= 3 and to_chris  # welcome, e-learning done, booking, certificate…; Chris's welcome
    # The video link travelled sealed (workshop.booked v2); Alex's booking letter holds it opened.
    assert any("https://video.example/s-1" in text for text in to_alex)
    for text in to_alex:
        for detail in ("chris@example.org", "07700900002", "Chris", "Rowe"):
            assert detail not in text
    for text in to_chris:
        for detail in ("alex@example.org", "07700900001", "Alex"):
            assert detail not in text


async def _mail(mailbox: Mailbox, address: str):
    return mailbox.to(address)
