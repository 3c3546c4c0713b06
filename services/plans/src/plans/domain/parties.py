"""Who takes part in a plan: its parties (the two parents at most; one who left is nobody here any more),
who may change it and who may only read it, and the programme parents a referral names, with their
co-parents and their FCA."""

import secrets
from datetime import datetime

from plans.domain.base import MAX_PARTIES, Refused, UnitOfWork, Unknown, Who, new_id, saved
from plans.domain.history import history_entry


def active(plan: dict) -> list[dict]:
    return [p for p in plan["parties"] if p["left_at"] is None]


def party(plan: dict, *, participant_id: str | None = None, token_hash: str | None = None) -> dict | None:
    """The active party a caller is, if any. A party who left is nobody here any more."""
    for p in active(plan):
        if participant_id and p.get("participant_id") == participant_id:
            return p
        if token_hash and p.get("token_hash") and secrets.compare_digest(p["token_hash"], token_hash):
            return p
    return None


def new_party(
    role: str,
    display_name: str,
    now: datetime,
    *,
    participant_id: str | None,
    token_hash: str | None,
    language: str | None = None,  # None: the plan's
    invitation_id: str | None = None,
):
    return {
        "party_id": new_id(),
        "role": role,  # "owner" (started the plan) or "invitee"
        "display_name": display_name,
        "language": language,  # what they read the plan in, and write their words in
        "invitation_id": invitation_id,  # how notifications reaches an invitee without an account
        "participant_id": participant_id,
        "token_hash": token_hash,
        "joined_at": now,
        "left_at": None,
    }


def may_invite(plan: dict) -> None:
    if len(active(plan)) >= MAX_PARTIES:
        raise Refused("plan-full")


def language_of(plan: dict, who: dict | None) -> str:
    """The language a party reads and writes in (the plan's, for a party stored before it was kept)."""
    return (who or {}).get("language") or plan["language"]


def member(plan: dict | None, who: Who) -> dict:
    """The caller's party in this plan, for changing it; an FCA only reads; anyone else: unknown."""
    if not (who.participant_id or who.token_hash or who.fca_id):
        raise Refused("unauthenticated")
    found = plan and party(plan, participant_id=who.participant_id, token_hash=who.token_hash)
    if not found:
        if plan and who.fca_id and who.fca_id in plan["viewers"]:
            raise Refused("forbidden", "An FCA may read a plan shared with them, not change it.")
        raise Unknown("plan")
    return found


def reader(plan: dict | None, who: Who) -> dict | None:
    """The caller's party, or None for an FCA the plan was shared with; anyone else: unknown."""
    if plan and who.fca_id and who.fca_id in plan["viewers"]:
        return None
    return member(plan, who)


async def leave(uow: UnitOfWork, plan_id: str, who: Who) -> None:
    """The party stops seeing the plan; its history (their words included) stays for the other."""
    plan = await uow.plan(plan_id)
    me = member(plan, who)
    now = uow.now()
    parties = [{**p, "left_at": now} if p["party_id"] == me["party_id"] else p for p in plan["parties"]]
    await saved(uow, plan, history_entry(me, "left", now), parties=parties)


async def remember_participants(
    uow: UnitOfWork, referral_id: str, fca_id: str, people: list[tuple[str, str, list[str]]]
) -> None:
    """Each parent of a referral (ids and language only), with their co-parents' ids (as the event says)."""
    for pid, language, co_parents in people:
        doc = {"_id": pid, "referral_id": referral_id, "fca_id": fca_id, "language": language}
        doc["co_parents"] = co_parents
        await uow.keep_participant(doc)
