"""HTTP routes: the delivery log for operations and FCAs, one notification, and resend.

An FCA sees only notifications of referrals they made (`fca_id == sub`); a notification they
may not see answers 404, as if it did not exist. Operations see every log without bodies or
addresses."""

from typing import Annotated, Any

from bson import ObjectId
from bson.errors import InvalidId
from fastapi import APIRouter, Path, Query

from notifications.store import DELIVERIES
from notifications.views import Notification, view
from ptfc.auth import Caller, CurrentCaller
from ptfc.idempotency import IdempotencyKey, once
from ptfc.pagination import Page, Paging
from ptfc.problems import Problem, not_found
from ptfc.service import RuntimeDep
from ptfc.store import Tx

router = APIRouter(prefix="/notifications", tags=["notifications"])
READERS = ("ops", "cafcass")
NotificationId = Annotated[str, Path(min_length=24, max_length=24, pattern=r"^[0-9a-f]{24}$")]


def visible(caller: Caller) -> dict[str, Any]:
    """The rows a caller may see at all."""
    caller.require(*READERS)
    return {} if caller.role == "ops" else {"fca_id": caller.sub}


async def find(rt: Any, caller: Caller, notification_id: str) -> dict[str, Any]:
    query = visible(caller)
    try:
        oid = ObjectId(notification_id)
    except InvalidId as error:
        raise not_found("notification") from error
    doc = await rt.store.db[DELIVERIES].find_one({"_id": oid, **query})
    if doc is None:
        raise not_found("notification")
    return doc


@router.get("", response_model=Page[Notification])
async def delivery_log(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    correlation_id: Annotated[str, Query(min_length=1, max_length=100, description="a referral or plan id")],
) -> Page[Notification]:
    """Every message sent or planned for one referral (or plan), oldest first."""
    query = {"correlation_id": correlation_id, **visible(caller), **paging.filter()}
    rows = await rt.store.db[DELIVERIES].find(query).sort("_id", 1).to_list(paging.limit)
    return Page(items=[view(r, caller) for r in rows], next_cursor=paging.next_cursor(rows))


@router.get("/{notification_id}", response_model=Notification)
async def one_notification(rt: RuntimeDep, caller: CurrentCaller, notification_id: NotificationId) -> Notification:
    return view(await find(rt, caller, notification_id), caller)


@router.post(
    "/{notification_id}/resend",
    status_code=202,
    response_model=Notification,
    responses={409: {"description": "the message has not been sent or failed yet"}},
)
async def resend(rt: RuntimeDep, caller: CurrentCaller, notification_id: NotificationId, key: IdempotencyKey = None):
    """Queue the same message again, to the same recipient, as a new notification."""
    original = await find(rt, caller, notification_id)
    if original["status"] not in ("sent", "failed"):
        raise Problem(
            409,
            "not-finished",
            "Not sent yet",
            f"This notification is {original['status']}; only a sent or failed one can be resent.",
        )

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        now = tx.clock.now()
        oid = ObjectId()
        copy = {
            **{k: v for k, v in original.items() if k not in ("_id", "lease")},
            "_id": oid,
            "notification_id": str(oid),
            "key": f"resend:{original['notification_id']}:{oid}",
            "status": "pending",
            "skip_reason": None,
            "attempts": 0,
            "due_at": now,
            "created_at": now,
            "sent_at": None,
            "failed_at": None,
            "last_error": None,
            "resend_of": original["notification_id"],
            "resent_by": caller.sub,
        }
        await tx.db[DELIVERIES].insert_one(copy, session=tx.session)
        return 202, view(copy, caller).model_dump(mode="json")

    scope = f"resend:{caller.role}:{caller.sub}:{notification_id}"
    return await once(rt.store, key, scope, {"notification_id": notification_id}, work)
