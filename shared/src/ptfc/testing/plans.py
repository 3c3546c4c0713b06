"""A parenting plan as the tests that cross services make one: the week of nights they propose, the
plan a parent starts, and the two co-parents' way into it on a running platform (each signed in
from their welcome letter, the invitation emailed to the co-parent and used)."""

import re
from email.message import EmailMessage
from typing import Any

import httpx

from ptfc.testing.mailbox import Mailbox, text_of
from ptfc.testing.plugin import ParentBearer, eventually

# Sam's nights: Monday to Wednesday and Sunday with the parent who started the plan, the rest with the other.
WEEK = {
    "mon": "owner",
    "tue": "owner",
    "wed": "owner",
    "thu": "invitee",
    "fri": "invitee",
    "sat": "invitee",
    "sun": "owner",
}
PLAN = {"display_name": "Mum", "children": [{"name": "Sam", "age": 6}], "topics": ["living", "pets"]}


async def emailed(mailbox: Mailbox, address: str, page: str) -> tuple[EmailMessage, str]:
    """The first email to `address` with a `page?token=…` link (waiting for it), and that token."""
    pattern = re.compile(re.escape(page) + r"\?token=([A-Za-z0-9_\-]+)")

    async def found() -> list[tuple[EmailMessage, str]]:
        return [(m, hit.group(1)) for m in mailbox.to(address) if (hit := pattern.search(text_of(m)))]

    return (await eventually(found, timeout=20))[0]


async def activated(learning: httpx.AsyncClient, mailbox: Mailbox, address: str) -> ParentBearer:
    """A referred parent signed in with the link of their welcome letter, as the hub does for them."""
    _, token = await emailed(mailbox, address, "activate")
    answer = await learning.post("/activate", json={"token": token})
    assert answer.status_code == 200, answer.text
    return ParentBearer.of(answer.json())


async def shared_plan(
    plans: httpx.AsyncClient, mailbox: Mailbox, owner: Any, invitee: Any, address: str, **join: Any
) -> tuple[str, EmailMessage]:
    """`owner`'s plan (PLAN), shared with the co-parent their referral names and joined by `invitee`
    (reached at `address`) with the link emailed to them (`join`: more of the body, e.g. a language):
    the plan's id and the invitation email."""
    plan_id = (await plans.post("/plans", json=PLAN, headers=owner)).json()["plan"]["id"]

    async def shared() -> bool:
        answer = await plans.post(f"/plans/{plan_id}/share", json={"to": "co_parent"}, headers=owner)
        return answer.status_code == 202  # 409 until plans has read the referral

    await eventually(shared, timeout=20)
    invitation, token = await emailed(mailbox, address, "plans/join")
    body = {"token": token, "display_name": "Tata", **join}
    joined = await plans.post("/invitations/accept", json=body, headers=invitee)
    assert joined.status_code == 200, joined.text
    return plan_id, invitation
