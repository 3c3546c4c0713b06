"""Who may see which enrolment: a parent only their own course; an FCA the referrals they made;
provider staff the parents routed to them. Anything else is answered as not found."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from learning.store import ENROLMENTS, latest_enrolment
from ptfc.auth import Caller
from ptfc.problems import Problem
from ptfc.store import find_or_404


async def my_enrolment(db: AsyncDatabase, caller: Caller) -> dict[str, Any]:
    """The calling parent's latest enrolment."""
    caller.require("parent")
    enrolment = await latest_enrolment(db, caller.sub)
    if enrolment is None:
        raise Problem(404, "no-course", "No course found", "There is no e-learning course for this account.")
    return enrolment


def staff_scope(caller: Caller) -> dict[str, Any]:
    """The enrolments a professional may see."""
    caller.require("cafcass", "provider")
    return {"fca_id": caller.sub} if caller.role == "cafcass" else {"provider": caller.provider or "-"}


async def visible_enrolment(db: AsyncDatabase, caller: Caller, enrolment_id: str) -> dict[str, Any]:
    return await find_or_404(db, ENROLMENTS, enrolment_id, "enrolment", staff_scope(caller))
