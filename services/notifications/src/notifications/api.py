"""HTTP routes: the delivery log for operations and FCAs, one notification, and resend.
Who may see what is in access.py; what a resend copies, and when, in domain.py."""

from typing import Annotated, Any

from fastapi import APIRouter, Path, Query

from notifications import domain, store
from notifications.access import visible, visible_notification
from notifications.refusals import problem
from notifications.schemas import Notification
from notifications.views import view
from ptfc.auth import CurrentCaller
from ptfc.idempotency import IdempotencyKey, once
from ptfc.pagination import Page, Paging
from ptfc.runtime import RuntimeDep
from ptfc.store import Tx

router = APIRouter(prefix="/notifications", tags=["notifications"])
NotificationId = Annotated[str, Path(min_length=24, max_length=24, pattern=r"^[0-9a-f]{24}$")]


@router.get("", response_model=Page[Notification])
async def delivery_log(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    correlation_id: Annotated[str, Query(min_length=1, max_length=100, description="a referral or plan id")],
) -> Page[Notification]:
    """Every message sent or planned for one referral (or plan), oldest first."""
    rows = await store.deliveries_page(rt.store.db, {"correlation_id": correlation_id, **visible(caller)}, paging)
    return Page(items=[view(r, caller) for r in rows], next_cursor=paging.next_cursor(rows))


@router.get("/{notification_id}", response_model=Notification)
async def one_notification(rt: RuntimeDep, caller: CurrentCaller, notification_id: NotificationId) -> Notification:
    return view(await visible_notification(rt.store.db, caller, notification_id), caller)


@router.post(
    "/{notification_id}/resend",
    status_code=202,
    response_model=Notification,
    responses={409: {"description": "the message has not been sent or failed yet"}},
)
async def resend(rt: RuntimeDep, caller: CurrentCaller, notification_id: NotificationId, key: IdempotencyKey = None):
    """Queue the same message again, to the same recipient, as a new notification."""
    original = await visible_notification(rt.store.db, caller, notification_id)

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        try:
            copy = domain.resend(original, store.new_id(), caller.sub, tx.clock.now())
        except domain.Refused as refused:
            raise problem(refused) from None
        await store.add_delivery(tx, copy)
        return 202, view(copy, caller).model_dump(mode="json")

    scope = f"resend:{caller.role}:{caller.sub}:{notification_id}"
    return await once(rt.store, key, scope, {"notification_id": notification_id}, work)
