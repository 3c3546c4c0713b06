"""A referred parent through the e-learning, as the journeys across services take them: signed in
with the activation link their letters carry, then the modules passed with the right answers."""

import re

import httpx

from learning.content import passing_answers
from ptfc.testing.mailbox import Mailbox, text_of
from ptfc.testing.plugin import eventually

LINK = re.compile(r"activate\?token=([A-Za-z0-9_\-]+)")


async def signed_in(learning: httpx.AsyncClient, mailbox: Mailbox, address: str, letter: int = 1) -> dict[str, str]:
    """The parent at `address` signed in with the newest activation link, once `letter` letters to them
    carry one (2: the welcome letter of a re-ordered course): their bearer header."""

    async def links() -> list[str]:
        found = [hit.group(1) for m in mailbox.to(address) if (hit := LINK.search(text_of(m)))]
        return found if len(found) >= letter else []

    token = (await eventually(links, timeout=30))[-1]
    activated = await learning.post("/activate", json={"token": token})
    assert activated.status_code == 200, activated.text
    return {"Authorization": f"Bearer {activated.json()['access_token']}"}


async def passed(learning: httpx.AsyncClient, parent: dict[str, str], numbers: range = range(1, 9)) -> None:
    """`parent` passes these modules (all eight unless told)."""
    for n in numbers:
        done = await learning.post(f"/me/modules/{n}/complete", json={"answers": passing_answers(n)}, headers=parent)
        assert done.status_code == 200, done.text


async def through_the_elearning(learning: httpx.AsyncClient, mailbox: Mailbox, address: str) -> dict[str, str]:
    """The parent at `address` signed in from their welcome letter, with the eight modules passed."""
    parent = await signed_in(learning, mailbox, address)
    await passed(learning, parent)
    return parent
