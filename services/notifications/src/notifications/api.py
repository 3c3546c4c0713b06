"""HTTP routes: the delivery log for operations and FCAs, one notification, and resend; partners'
webhook endpoints for operations (register, list, disable, enable, rotate the secret, deliveries,
replay).
Who may see what is in access.py; what a resend copies, and when, in domain.py."""

from datetime import datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel

from notifications import domain, endpoints, store
from notifications.access import visible, visible_notification, webhook_endpoint
from notifications.attachments import certificate
from notifications.schemas import (
    Notification,
    ReplayIn,
    ReplayStarted,
    Webhook,
    WebhookCreated,
    WebhookDelivery,
    WebhookIn,
    WebhookStatus,
)
from notifications.templates import Renderer
from notifications.views import view, webhook_created, webhook_delivery_view, webhook_view
from ptfc.auth import CurrentCaller
from ptfc.clock import utc
from ptfc.idempotency import IdempotencyKey, once
from ptfc.openapi import IN_CLUSTER
from ptfc.pagination import Page, Paging
from ptfc.problems import not_found
from ptfc.runtime import RuntimeDep
from ptfc.sealing import seal, unseal
from ptfc.writes import writes

router = APIRouter()
deliveries = APIRouter(prefix="/notifications", tags=["notifications"])
webhooks = APIRouter(prefix="/webhooks", tags=["webhooks"])
me = APIRouter(prefix="/me", tags=["parent"])
NotificationId = Annotated[str, Path(min_length=24, max_length=24, pattern=r"^[0-9a-f]{24}$")]
EndpointId = Annotated[str, Path(min_length=24, max_length=24, pattern=r"^[0-9a-f]{24}$")]
write, run = writes(store.UnitOfWork)  # one change in one unit of work (ptfc.writes)


@deliveries.get("", response_model=Page[Notification])
async def delivery_log(
    rt: RuntimeDep,
    caller: CurrentCaller,
    paging: Paging,
    correlation_id: Annotated[str, Query(min_length=1, max_length=100, description="a referral or plan id")],
) -> Page[Notification]:
    """Every message sent or planned for one referral (or plan), oldest first."""
    rows = await store.deliveries_page(rt.store.db, {"correlation_id": correlation_id, **visible(caller)}, paging)
    return Page(items=[view(r, caller) for r in rows], next_cursor=paging.next_cursor(rows))


@deliveries.get("/{notification_id}", response_model=Notification)
async def one_notification(rt: RuntimeDep, caller: CurrentCaller, notification_id: NotificationId) -> Notification:
    return view(await visible_notification(rt.store.db, caller, notification_id), caller)


@deliveries.post(
    "/{notification_id}/resend",
    status_code=202,
    response_model=Notification,
    responses={409: {"description": "the message has not been sent or failed yet"}},
)
async def resend(rt: RuntimeDep, caller: CurrentCaller, notification_id: NotificationId, key: IdempotencyKey = None):
    """Queue the same message again, to the same recipient, as a new notification."""
    original = await visible_notification(rt.store.db, caller, notification_id)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        copy = domain.resend(original, uow.new_id(), caller.sub, uow.now())
        await uow.add_delivery(copy)
        return 202, view(copy, caller)

    scope = f"resend:{caller.role}:{caller.sub}:{notification_id}"
    return await write(rt, key, scope, {"notification_id": notification_id}, change)


# ---- webhooks (role ops) -------------------------------------------------------------------------


@webhooks.post("", status_code=201, response_model=WebhookCreated)
async def register_webhook(rt: RuntimeDep, caller: CurrentCaller, body: WebhookIn, key: IdempotencyKey = None):
    """Register a partner's endpoint and the events it wants. The answer holds its signing secret. A
    retry with the same Idempotency-Key and body, by the same caller, within the key's 7 days, gets
    the same answer and secret again (`Idempotent-Replayed: true`) while that secret is current;
    after a rotation it is 409 `credential-not-replayed`."""
    caller.require("ops")
    # https, no credentials, and every address the name has now public (endpoints.py), or refused
    await endpoints.check(body.url, rt.settings.webhook_allow_local_http)

    async def work(uow: store.UnitOfWork) -> tuple[int, dict[str, Any]]:
        if existing := await uow.enabled_endpoint_at(body.partner, body.url):
            raise domain.already_registered(str(existing["_id"]))
        secret = domain.new_webhook_secret()
        now = uow.now()
        endpoint = {"_id": uow.new_id(), **body.model_dump(), "enabled": True, "created_at": now}
        sealed = seal(rt.settings.webhook_seal_key, secret)
        endpoint |= {"sealed_secret": sealed, "secret_created_at": now}
        await uow.add_endpoint({**endpoint, "by": caller.sub})
        return 201, webhook_created(endpoint, secret).model_dump(mode="json")

    scope = f"webhook:{caller.sub}"
    payload = body.model_dump(mode="json")
    return await once(rt.store, key, scope, payload, lambda tx: work(store.UnitOfWork(tx)), restore=current_secret(rt))


def current_secret(rt: RuntimeDep):
    """A retry's secret, from the endpoint's sealed copy, if it is still the one the first answer gave."""

    async def restore(answer: dict[str, Any]) -> dict[str, Any] | None:
        found = await store.endpoint_by_id(rt.store.db, answer["id"])
        given = answer.get("secret_created_at")
        if found is None or given is None:
            return None
        made = utc(found.get("secret_created_at", found["created_at"]))  # as MongoDB keeps it: milliseconds
        if abs(made - datetime.fromisoformat(given)) >= timedelta(milliseconds=1):
            return None  # rotated since: that secret is gone
        return {"secret": unseal(rt.settings.webhook_seal_key, found["sealed_secret"])}

    return restore


@webhooks.get("", response_model=Page[Webhook])
async def list_webhooks(rt: RuntimeDep, caller: CurrentCaller, paging: Paging) -> Page[Webhook]:
    caller.require("ops")
    rows = await store.endpoints_page(rt.store.db, paging)
    return Page(items=[webhook_view(r) for r in rows], next_cursor=paging.next_cursor(rows))


@webhooks.get("/{endpoint_id}", response_model=Webhook)
async def one_webhook(rt: RuntimeDep, caller: CurrentCaller, endpoint_id: EndpointId) -> Webhook:
    return webhook_view(await webhook_endpoint(rt.store.db, caller, endpoint_id))


@webhooks.post("/{endpoint_id}/disable", response_model=Webhook)
async def disable_webhook(rt: RuntimeDep, caller: CurrentCaller, endpoint_id: EndpointId) -> Webhook:
    """Stop posting to this endpoint; what is queued for it fails as `endpoint disabled`."""
    endpoint = await webhook_endpoint(rt.store.db, caller, endpoint_id)
    return webhook_view(await run(rt, lambda uow: uow.disable_endpoint(endpoint["_id"], uow.now())))


@webhooks.post("/{endpoint_id}/enable", response_model=Webhook)
async def enable_webhook(rt: RuntimeDep, caller: CurrentCaller, endpoint_id: EndpointId) -> Webhook:
    """Post to a disabled endpoint again, with the secret it had: new events from now on (what was
    missed meanwhile: a replay). Its address is checked again as at registration."""
    endpoint = await webhook_endpoint(rt.store.db, caller, endpoint_id)
    await endpoints.check(endpoint["url"], rt.settings.webhook_allow_local_http)

    async def change(uow: store.UnitOfWork) -> dict[str, Any] | None:
        existing = await uow.enabled_endpoint_at(endpoint["partner"], endpoint["url"])
        if existing is not None and existing["_id"] != endpoint["_id"]:  # registered anew meanwhile
            raise domain.already_registered(str(existing["_id"]))
        return await uow.enable_endpoint(endpoint["_id"])

    return webhook_view(await run(rt, change))


@webhooks.post("/{endpoint_id}/rotate-secret", response_model=WebhookCreated)
async def rotate_webhook_secret(
    rt: RuntimeDep, caller: CurrentCaller, endpoint_id: EndpointId, key: IdempotencyKey = None
) -> JSONResponse:
    """A new signing secret for this endpoint, in the answer. For `webhook_secret_overlap` (7 days)
    each POST carries two signatures, with the new secret and the old, so the partner switches
    when ready; then the old one stops. A retry with the same key gets the same new secret."""
    endpoint = await webhook_endpoint(rt.store.db, caller, endpoint_id)

    async def work(uow: store.UnitOfWork) -> tuple[int, dict[str, Any]]:
        secret, now = domain.new_webhook_secret(), uow.now()
        sealed = seal(rt.settings.webhook_seal_key, secret)
        rotated = await uow.rotate_secret(endpoint, sealed, now, now + rt.settings.webhook_secret_overlap)
        if rotated is None:
            raise not_found()  # rotated by someone else in between: read it and ask again
        return 200, webhook_created(rotated, secret).model_dump(mode="json")

    scope = f"rotate:{caller.sub}:{endpoint_id}"
    payload = {"endpoint_id": endpoint_id}
    return await once(rt.store, key, scope, payload, lambda tx: work(store.UnitOfWork(tx)), restore=current_secret(rt))


@webhooks.get("/{endpoint_id}/deliveries", response_model=Page[WebhookDelivery])
async def webhook_deliveries(
    rt: RuntimeDep, caller: CurrentCaller, endpoint_id: EndpointId, paging: Paging, status: WebhookStatus | None = None
) -> Page[WebhookDelivery]:
    """Each POST of an event to this endpoint: pending (with its next try), sent, or failed and why."""
    endpoint = await webhook_endpoint(rt.store.db, caller, endpoint_id)
    rows = await store.webhook_deliveries_page(rt.store.db, endpoint["_id"], status, paging)
    return Page(items=[webhook_delivery_view(r) for r in rows], next_cursor=paging.next_cursor(rows))


@webhooks.post("/{endpoint_id}/replay", status_code=202, response_model=ReplayStarted)
async def replay_webhooks(
    rt: RuntimeDep, caller: CurrentCaller, endpoint_id: EndpointId, body: ReplayIn, key: IdempotencyKey = None
) -> JSONResponse:
    """Send again, in order, every event this endpoint wants that occurred since `since` (as far back
    as events are kept: 30 days), each with its own `webhook-id`: the event id."""
    endpoint = await webhook_endpoint(rt.store.db, caller, endpoint_id)
    if not endpoint["enabled"]:
        raise domain.endpoint_disabled(endpoint_id)

    async def change(uow: store.UnitOfWork) -> tuple[int, BaseModel]:
        replay = str(uow.new_id())
        events = await uow.partner_events_since(endpoint["event_types"], body.since, rt.settings.webhook_replay_max)
        await uow.plan_webhooks([domain.webhook_delivery(endpoint, e, uow.now(), replay) for e in events])
        return 202, ReplayStarted(replay=replay, events=len(events))

    return await write(rt, key, f"replay:{caller.sub}:{endpoint_id}", body.model_dump(mode="json"), change)


router.include_router(deliveries)
router.include_router(webhooks)


@me.get(
    "/certificate.pdf",
    response_class=Response,
    openapi_extra=IN_CLUSTER,  # parents download it from the hub (/course/certificate.pdf), which calls this
    responses={200: {"content": {"application/pdf": {}}, "description": "the parent's certificate"}},
)
async def my_certificate(
    rt: RuntimeDep, caller: CurrentCaller, lang: Annotated[Literal["en", "pl", "ur"] | None, Query()] = None
) -> Response:
    """The parent's own certificate, once their course is complete: the PDF emailed with the
    completion letter, made again here (in `lang`, else the parent's language) so it can be
    downloaded. Only the parent's own record (their token's subject); 404 before completion."""
    caller.require("parent")
    found = await store.certificate_of(rt.store.db, caller.sub)
    if found is None:
        raise not_found("certificate")
    facts, contact = found
    language = lang or contact.language
    renderer = Renderer(rt.settings.local_timezone)
    context = {**facts, "full_name": contact.full_name}
    pdf = certificate(context, lambda v: renderer.day(v, language), language)
    disposition = 'attachment; filename="ptfc-certificate.pdf"'
    return Response(pdf.data, media_type=pdf.content_type, headers={"Content-Disposition": disposition})


router.include_router(me)
