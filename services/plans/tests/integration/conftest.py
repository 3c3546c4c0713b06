"""The plans service running in-process against real NATS JetStream and the MongoDB server, with
a clock the tests move, and `referral.created` injected as referrals would publish it."""

from typing import Any
from urllib.parse import parse_qs, urlparse

from plans.app import create_app
from plans.config import Settings
from ptfc.events import ParticipantContact, Professional
from ptfc.sealing import unseal
from ptfc.settings import DEV_LINK_SEAL_KEY
from ptfc.testing.events import participant, publish, referral_created
from ptfc.testing.kit import ServiceKit, fixtures
from ptfc.testing.plugin import EventTap, bearer, eventually

ALEX = participant("p-alex-0001", "Alex", "Jones", phone="07700900001", email="alex@example.org")
CHRIS = participant("p-chris-0002", "Chris", "Jones", "pl", "07700900002", email="chris@example.org")
FRIEND = "friend@elsewhere.example"  # someone invited by email
# Everything that would reveal a parent's contact: none may appear in anything a party or partner reads.
CONTACTS = ("alex@example.org", "07700900001", "chris@example.org", "07700900002", "Jones", FRIEND)

NEW_PLAN: dict[str, Any] = {
    "display_name": "Mum",
    "language": "en",
    "children": [{"name": "Sam", "age": 6}, {"name": "Jo", "age": 13}],
    "topics": ["living", "money", "communication", "holidays"],
}
WEEK = {
    "mon": "owner",
    "tue": "owner",
    "wed": "invitee",
    "thu": "invitee",
    "fri": "owner",
    "sat": "invitee",
    "sun": "invitee",
}


def token_auth(token: str) -> dict[str, str]:
    return {"X-Plan-Token": token}


class Kit(ServiceKit):
    """Plans running: plans started, shared and joined, and `referral.created` sent to it."""

    def __init__(self, *args: Any) -> None:
        super().__init__(*args)
        self.tap = EventTap(self.nats_url)

    async def start(self, auth: dict | None = None, **changes: Any) -> dict:
        answer = await self.client.post("/plans", json={**NEW_PLAN, **changes}, headers=auth or {})
        assert answer.status_code == 201, answer.text
        return answer.json()

    async def refer(self, *people: ParticipantContact, referral_id: str = "r-1") -> None:
        fca = {"fca_id": "fca-sam", "fca": Professional(name="Sam Patel", email="sam@cafcass.example")}
        await publish(self.nats_url, referral_created(referral_id, *people, provider="family-action", **fca))

        async def known() -> bool:
            return await self.db.participants.count_documents({"referral_id": referral_id}) == len(people)

        await eventually(known)

    async def invitation_token(self, count: int = 1) -> str:
        """The token of the newest invitation, as notifications would unseal it from `plan.shared`."""
        shared = await self.tap.wait_for("plan.shared", count)
        url = unseal(DEV_LINK_SEAL_KEY, shared[-1].data["sealed_invite_url"])
        return parse_qs(urlparse(url).query)["token"][0]

    async def shared_by_email(self, display_name: str = "Dad", language: str | None = None, **start: Any) -> tuple:
        """A plan started without an account (`start`: its fields), shared by email and joined by the
        invitee with the emailed link: the plan's id, and the owner's and the invitee's plan tokens."""
        started = await self.start(**start)
        plan_id, owner = started["plan"]["id"], token_auth(started["party_token"])
        assert started["owner_link"].endswith(f"token={started['party_token']}")
        await self.ok("POST", f"/plans/{plan_id}/share", owner, json={"to": "email", "email": FRIEND})
        join = {"token": await self.invitation_token(), "display_name": display_name}
        join |= {"language": language} if language else {}
        joined = await self.ok("POST", "/invitations/accept", {}, json=join)
        assert joined["plan_id"] == plan_id
        return plan_id, owner, token_auth(joined["party_token"])

    async def ok(self, method: str, url: str, auth: dict, **kw: Any) -> dict:
        answer = await self.client.request(method, url, headers=auth, **kw)
        assert answer.status_code < 300, answer.text
        return answer.json()


settings, kit = fixtures(Kit, create_app, Settings)


FCA = bearer("cafcass", "fca-sam")


def parent(participant: ParticipantContact) -> dict[str, str]:
    return bearer("parent", participant.participant_id)
