"""Operations: partners' webhook endpoints, as notifications answers `/webhooks` (operations' alone):
register one, rotate its signing secret, see the deliveries that failed, replay what it wants from a
time. A new secret is shown once, on the page the form leads to (it travels there in the console's
signed, short-lived, read-once cookie, never in an address), and never again: notifications keeps it
sealed. No personal data: events are listed by type, id and time."""

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo

from fastapi import APIRouter, Form, Path, Request
from fastapi.responses import Response

from console.flash import redirect_with, taken
from console.web import Csrf, Staff, needs, redirect, render, services

router = APIRouter()
OPS = needs("ops")
EndpointId = Annotated[str, Path(pattern=r"^[0-9a-f]{24}$")]


async def event_types(request: Request) -> list[str]:
    """The events an endpoint may ask for, as notifications' OpenAPI document lists them (its own
    rule: never an event carrying sealed contact details or links), so the list is kept in one place."""
    cached = getattr(request.app.state, "webhook_events", None)
    if cached:
        return cached
    answer = await services(request)["notifications"].get("/openapi.json")
    found: list[str] = []
    if answer.ok and isinstance(answer.body, dict):
        schemas = answer.body.get("components", {}).get("schemas", {})
        items = schemas.get("WebhookIn", {}).get("properties", {}).get("event_types", {}).get("items", {})
        while "$ref" in items:
            items = schemas.get(items["$ref"].rsplit("/", 1)[-1], {})
        found = sorted(items.get("enum", []))
    if found:
        request.app.state.webhook_events = found
    return found


def _why(answer: Any, fallback: str) -> str:
    if not isinstance(answer.body, dict):
        return fallback
    return str(answer.body.get("detail") or answer.body.get("title") or fallback)


@router.get("/operations/webhooks")
async def webhooks(request: Request, staff: Staff = OPS) -> Response:
    answer = await services(request)["notifications"].get("/webhooks", staff.token, params={"limit": 100})
    shown = taken(request)  # a refused registration: its errors and what was typed
    page = dict(form=shown.get("form") or {"event_types": []}, errors=shown.get("errors", {}))
    endpoints = answer.body["items"] if answer.ok else []
    return render(request, "webhooks.html", endpoints=endpoints, events=await event_types(request), **page)


@router.post("/operations/webhooks", dependencies=[Csrf])
async def register(
    request: Request,
    partner: Annotated[str, Form(max_length=100)] = "",
    url: Annotated[str, Form(max_length=2000)] = "",
    event_types: Annotated[list[str] | None, Form(max_length=50)] = None,
    staff: Staff = OPS,
) -> Response:
    chosen = [e for e in (event_types or []) if isinstance(e, str)][:50]
    form = {"partner": partner, "url": url, "event_types": chosen}
    errors = {}
    if not partner.strip():
        errors["partner"] = "Enter the partner's name, in lower case letters, digits and hyphens."
    if not url.strip():
        errors["url"] = "Enter the https:// address events are posted to."
    if not chosen:
        errors["event_types"] = "Choose at least one event."
    if not errors:
        body = {"partner": partner.strip(), "url": url.strip(), "event_types": chosen}
        answer = await services(request)["notifications"].post("/webhooks", staff.token, json=body)
        if answer.ok:
            made = answer.body
            target = f"/operations/webhooks/{made['id']}"
            return redirect_with(request, target, secret=made["secret"], done="registered") or redirect(target)
        # notifications' words: which field is wrong (validation), or why the address is refused
        problem = answer.body if isinstance(answer.body, dict) else {}
        fields = {str(e.get("loc", [""])[-1]) for e in problem.get("errors") or [] if isinstance(e, dict)}
        key = "partner" if "partner" in fields else "event_types" if "event_types" in fields else "url"
        errors[key] = _why(answer, "The endpoint was not registered.")
    return redirect_with(request, "/operations/webhooks", form=form, errors=errors) or redirect("/operations/webhooks")


@router.get("/operations/webhooks/{endpoint_id}")
async def endpoint(request: Request, endpoint_id: EndpointId, staff: Staff = OPS) -> Response:
    backend = services(request)["notifications"]
    found = await backend.get(f"/webhooks/{endpoint_id}", staff.token)
    if not found.ok:
        return render(request, "not_found.html", 404)
    failed = await backend.get(
        f"/webhooks/{endpoint_id}/deliveries", staff.token, params={"status": "failed", "limit": 50}
    )
    shown = taken(request)  # a new secret (shown once), a replay's count, or why not
    page = dict(
        endpoint=found.body,
        failed=failed.body["items"] if failed.ok else [],
        secret=shown.get("secret"),
        done=shown.get("done", ""),
        replayed=shown.get("replayed"),
        errors=shown.get("errors", {}),
        form=shown.get("form", {}),
    )
    return render(request, "webhook.html", **page)


@router.post("/operations/webhooks/{endpoint_id}/rotate", dependencies=[Csrf])
async def rotate(request: Request, endpoint_id: EndpointId, staff: Staff = OPS) -> Response:
    """A new signing secret; for the overlap notifications allows (7 days) each POST is signed with
    both, so the partner switches when ready."""
    answer = await services(request)["notifications"].post(f"/webhooks/{endpoint_id}/rotate-secret", staff.token)
    if answer.status == 404:
        return render(request, "not_found.html", 404)
    target = f"/operations/webhooks/{endpoint_id}"
    if answer.ok:
        return redirect_with(request, target, secret=answer.body["secret"], done="rotated") or redirect(target)
    errors = {"rotate": _why(answer, "The secret was not rotated.")}
    return redirect_with(request, target, errors=errors) or redirect(target)


@router.post("/operations/webhooks/{endpoint_id}/replay", dependencies=[Csrf])
async def replay(
    request: Request, endpoint_id: EndpointId, since: Annotated[str, Form(max_length=30)] = "", staff: Staff = OPS
) -> Response:
    """Every event the endpoint wants since then is sent again, in order (as far back as events are kept)."""
    target = f"/operations/webhooks/{endpoint_id}"
    try:
        moment = datetime.fromisoformat(since).replace(tzinfo=ZoneInfo(request.app.state.settings.timezone))
    except ValueError:
        errors = {"since": "Enter the date and time to replay from."}
        return redirect_with(request, target, errors=errors, form={"since": since}) or redirect(target)
    answer = await services(request)["notifications"].post(
        f"/webhooks/{endpoint_id}/replay", staff.token, json={"since": moment.isoformat()}
    )
    if answer.status == 404:
        return render(request, "not_found.html", 404)
    if answer.ok:
        return redirect_with(request, target, done="replayed", replayed=answer.body["events"]) or redirect(target)
    errors = {"since": _why(answer, "Nothing was replayed.")}
    return redirect_with(request, target, errors=errors, form={"since": since}) or redirect(target)
