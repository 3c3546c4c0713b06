"""Replies are heard without harassment, across referrals, learning, plans and notifications on real
NATS JetStream, the MongoDB server and SMTP. A "day" is `reply_email_period` (seconds here): over a
day of back-and-forth each parent gets at most one reply email for the plan, in their language, with
no words of the plan (the first of the day at once, the later ones as one when the day is over); a
parent who turned them off gets none; the next day, one again."""

import asyncio
from datetime import timedelta

from ptfc.testing.mailbox import text_of
from ptfc.testing.plans import shared_plan
from ptfc.testing.plugin import eventually

from .plan_parents import HUB, co_parents

DAY = timedelta(seconds=10)
WORDS = "Sam stays at the house by the canal"  # a parent's words: never in an email
REPLY = ("co-parent has replied", "plan is agreed", "Drugi rodzic odpowiedział", "jest uzgodniony")


def replies(mailbox, address: str) -> list:
    return [m for m in mailbox.to(address) if any(r in str(m["Subject"]) for r in REPLY)]


async def test_a_day_of_back_and_forth_sends_each_parent_at_most_one_reply_email(make_settings, infra, mailbox):
    plans = {"reply_email_period": DAY, "sweep_interval": timedelta(milliseconds=200)}
    async with co_parents(make_settings, mailbox, **plans) as (api, alex, chris):
        plan_id, _ = await shared_plan(api, mailbox, alex, chris, "chris@example.org", language="pl")

        base = f"/plans/{plan_id}/topics/living/proposals"

        async def back_and_forth(rounds: int, start: int) -> None:
            for n in range(start, start + rounds):
                for who, words in ((alex, f"{WORDS}, {n}"), (chris, f"{WORDS}, not {n}")):
                    assert (await api.post(base, json={"text": words}, headers=who)).status_code == 200

        async def settled(alex_count: int, chris_count: int) -> None:
            """Wait for the expected emails, then a little longer: no more may come."""

            async def arrived() -> bool:
                alex_mail, chris_mail = replies(mailbox, "alex@example.org"), replies(mailbox, "chris@example.org")
                return len(alex_mail) >= alex_count and len(chris_mail) >= chris_count

            await eventually(arrived, timeout=20)
            await asyncio.sleep(2)
            assert (len(replies(mailbox, "alex@example.org")), len(replies(mailbox, "chris@example.org"))) == (
                alex_count,
                chris_count,
            )

        # Day one: eight proposals, four each; each parent is told once.
        await back_and_forth(4, 0)
        await settled(1, 1)
        polish = replies(mailbox, "chris@example.org")[0]
        assert "Drugi rodzic odpowiedział" in str(polish["Subject"]) and f"{HUB}/plan" in text_of(polish)

        # Chris turns the emails off. When the day is over Alex gets the digest of Chris's later replies
        # (Chris's is dropped); the next day's replies are held for the day after: only Alex is told.
        off = await api.put(f"/plans/{plan_id}/reply-emails", json={"on": False}, headers=chris)
        assert off.status_code == 200 and off.json()["reply_emails"] is False
        assert (await api.get(f"/plans/{plan_id}", headers=alex)).json()["reply_emails"] is True
        await asyncio.sleep(DAY.total_seconds())
        await back_and_forth(3, 4)
        await settled(2, 1)

        # The day after (Alex gets the digest of day two), the plan is agreed: Chris (emails back on) is told.
        assert (await api.put(f"/plans/{plan_id}/reply-emails", json={"on": True}, headers=chris)).status_code == 200
        await asyncio.sleep(DAY.total_seconds())
        version = (await api.get(f"/plans/{plan_id}", headers=alex)).json()["items"][0]["version"]
        await api.post(f"/plans/{plan_id}/topics/pets/proposals", json={"text": "Rex stays"}, headers=chris)
        await api.post(f"/plans/{plan_id}/topics/pets/acceptance", json={"version": 1}, headers=alex)
        done = await api.post(f"/plans/{plan_id}/topics/living/acceptance", json={"version": version}, headers=alex)
        assert done.json()["status"] == "agreed"
        # Chris is told at once (his last email was days ago); Alex of Chris's pets proposal once: at once,
        # or as the digest when the day since his last email is over.
        await settled(4, 2)
        assert "jest uzgodniony" in str(replies(mailbox, "chris@example.org")[-1]["Subject"])

    for address in ("alex@example.org", "chris@example.org"):
        for message in replies(mailbox, address):
            assert WORDS not in text_of(message) and "canal" not in text_of(message)
            assert "Rex" not in text_of(message) and "Tata" not in text_of(message)
