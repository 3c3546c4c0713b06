"""Two programme co-parents make a parenting plan across referrals, learning, plans and
notifications on real NATS JetStream, the MongoDB server and SMTP: Alex starts the plan and shares
it; Chris gets the invitation by email, joins and counter-proposes; both agree and download the
Word file. Neither ever sees the other's email or phone."""

import io
import re
from datetime import timedelta

from docx import Document

from learning.app import create_app as learning_app
from learning.config import Settings as LearningSettings
from notifications.app import create_app as notifications_app
from notifications.config import Settings as NotificationsSettings
from plans.app import create_app as plans_app
from plans.config import Settings as PlansSettings
from ptfc.testing.mailbox import text_of
from ptfc.testing.plugin import eventually, running
from referrals.app import create_app as referrals_app
from referrals.config import Settings as ReferralsSettings

from .test_journey import FCA, REFERRAL

WEEK = {
    "mon": "owner",
    "tue": "owner",
    "wed": "owner",
    "thu": "invitee",
    "fri": "invitee",
    "sat": "invitee",
    "sun": "owner",
}


async def test_co_parents_negotiate_agree_and_download_their_plan(make_settings, infra, tap, mailbox):
    hub = "https://hub.example"
    referrals = referrals_app(make_settings(ReferralsSettings))
    learning = learning_app(make_settings(LearningSettings, hub_url=hub))
    plans = plans_app(make_settings(PlansSettings, hub_url=hub))
    notifications = notifications_app(
        make_settings(
            NotificationsSettings,
            smtp_port=mailbox.port,
            hub_url=hub,
            sweep_interval=timedelta(milliseconds=200),
            send_backoff=timedelta(milliseconds=100),
        )
    )
    async with (
        running(referrals) as ref,
        running(learning) as course,
        running(plans) as api,
        running(notifications),
    ):
        created = await ref.post("/referrals", json=REFERRAL, headers=FCA)
        assert created.status_code == 201, created.text

        async def session(email: str) -> dict:
            mail = await eventually(lambda: _with(mailbox, email, "activate?token="), timeout=20)
            token = re.search(r"activate\?token=([A-Za-z0-9_\-]+)", text_of(mail[0])).group(1)
            answer = await course.post("/activate", json={"token": token})
            assert answer.status_code == 200, answer.text
            return {"Authorization": f"Bearer {answer.json()['access_token']}"}

        alex, chris = await session("alex@example.org"), await session("chris@example.org")

        # Alex starts the plan and shares it with her co-parent, known to plans from the referral.
        body = {"display_name": "Mum", "children": [{"name": "Sam", "age": 6}], "topics": ["living", "pets"]}
        plan = (await api.post("/plans", json=body, headers=alex)).json()["plan"]
        plan_id = plan["id"]

        async def shared() -> bool:
            answer = await api.post(f"/plans/{plan_id}/share", json={"to": "co_parent"}, headers=alex)
            return answer.status_code == 202  # 409 until plans has read the referral

        await eventually(shared, timeout=20)

        # Chris gets the invitation by email, in Polish, and joins with his own Parent Hub session.
        mail = await eventually(lambda: _with(mailbox, "chris@example.org", "plans/join?token="), timeout=20)
        token = re.search(r"plans/join\?token=([A-Za-z0-9_\-]+)", text_of(mail[0])).group(1)
        assert "Zaproszenie" in text_of(mail[0])
        joined = await api.post("/invitations/accept", json={"token": token, "display_name": "Tata"}, headers=chris)
        assert joined.status_code == 200, joined.text

        base = f"/plans/{plan_id}/topics"
        first = {"text": "Sam lives with Mum.", "weekly_pattern": [{"child": "Sam", "nights": WEEK}]}
        assert (await api.post(f"{base}/living/proposals", json=first, headers=alex)).status_code == 200
        counter = {
            "text": "Sam lives with Mum; long weekends with Tata.",
            "weekly_pattern": [{"child": "Sam", "nights": {**WEEK, "sun": "invitee"}}],
        }
        assert (await api.post(f"{base}/living/proposals", json=counter, headers=chris)).status_code == 200
        assert (await api.post(f"{base}/living/acceptance", json={"version": 2}, headers=alex)).status_code == 200
        pets = {"pets": [{"name": "Rex", "kind": "dog", "kept_by": "owner"}]}
        assert (await api.post(f"{base}/pets/proposals", json=pets, headers=chris)).status_code == 200
        done = await api.post(f"{base}/pets/acceptance", json={"version": 1}, headers=alex)
        assert done.json()["status"] == "agreed"
        await tap.wait_for("plan.agreed")

        for who in (alex, chris):
            word = await api.get(f"/plans/{plan_id}/export.docx", headers=who)
            assert word.status_code == 200
            text = "\n".join(p.text for p in Document(io.BytesIO(word.content)).paragraphs)
            assert "long weekends with Tata" in text and "Rex (dog): kept by Mum" in text
            for detail in ("alex@example.org", "chris@example.org", "07700900001", "07700900002", "Jones", "Rowe"):
                assert detail not in text
            view = (await api.get(f"/plans/{plan_id}", headers=who)).text
            assert "@" not in view

    for text in (text_of(m) for m in mailbox.to("chris@example.org")):
        assert "alex@example.org" not in text and "07700900001" not in text


async def _with(box, address: str, fragment: str):
    return [m for m in box.to(address) if fragment in text_of(m)]
