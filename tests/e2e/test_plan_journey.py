"""Two programme co-parents make a parenting plan across referrals, learning, plans and
notifications on real NATS JetStream, the MongoDB server and SMTP: Alex starts the plan and shares
it; Chris gets the invitation by email, joins and counter-proposes; both agree and download the
Word file. Neither ever sees the other's email or phone."""

import io

from docx import Document

from ptfc.testing.mailbox import text_of
from ptfc.testing.plans import WEEK, shared_plan

from .plan_parents import co_parents


async def test_co_parents_negotiate_agree_and_download_their_plan(make_settings, infra, tap, mailbox):
    async with co_parents(make_settings, mailbox) as (api, alex, chris):
        # Alex starts the plan and shares it with her co-parent, known to plans from the referral; Chris
        # gets the invitation by email, in Polish, and joins with his own Parent Hub session.
        plan_id, invitation = await shared_plan(api, mailbox, alex, chris, "chris@example.org")
        assert "Zaproszenie" in text_of(invitation)

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
