"""Who may read the delivery log: operations every row (without bodies or addresses, see views);
an FCA only the rows of referrals they made. A row they may not see answers 404, as if absent."""

from typing import Any

from pymongo.asynchronous.database import AsyncDatabase

from notifications.store import DELIVERIES, ENDPOINTS
from ptfc.auth import Caller
from ptfc.store import find_or_404

READERS = ("ops", "cafcass")


def visible(caller: Caller) -> dict[str, Any]:
    """The rows a caller may see at all."""
    caller.require(*READERS)
    return {} if caller.role == "ops" else {"fca_id": caller.sub}


async def visible_notification(db: AsyncDatabase, caller: Caller, notification_id: str) -> dict[str, Any]:
    return await find_or_404(db, DELIVERIES, notification_id, "notification", visible(caller))


async def webhook_endpoint(db: AsyncDatabase, caller: Caller, endpoint_id: str) -> dict[str, Any]:
    """Webhook endpoints are operations' alone: they hold a partner's secret."""
    caller.require("ops")
    return await find_or_404(db, ENDPOINTS, endpoint_id, "webhook endpoint")
