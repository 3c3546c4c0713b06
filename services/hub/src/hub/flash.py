"""Post/Redirect/Get: every form's answer is a 303 to a page, so the browser's history holds only
GETs and Back never meets Chromium's "Confirm Form Resubmission" (ERR_CACHE_MISS: every page is
`no-store`, so a page that answered a POST cannot be shown again without posting again).

A refused form is shown on the GET page it came from: what the page needs to say so (the errors,
and what the parent typed, to fill the form in again) travels in a short-lived cookie the hub signs
(`PTFC_HUB_SECRET`), meant for that one path and read once. It is the parent's own words, in their
own browser (HttpOnly, SameSite=Lax, `__Host-` where Secure), never in an address, where logs and
the history would keep them."""

import hashlib
import hmac
import json
import zlib
from base64 import urlsafe_b64decode, urlsafe_b64encode
from typing import Any

from fastapi import Request
from fastapi.responses import RedirectResponse, Response

from hub.security import cookie, delete_cookie, set_cookie

FLASH = "ptfc_flash"
LIFETIME = 300  # seconds: long enough for a slow connection, short enough to be gone when Back comes later
LIMIT = 3800  # bytes of cookie value a browser keeps (4096 for the whole cookie)


def _mac(key: str, payload: str) -> str:
    return hmac.new(key.encode(), ("flash:" + payload).encode(), hashlib.sha256).hexdigest()


def seal(key: str, path: str, data: dict[str, Any]) -> str:
    packed = zlib.compress(json.dumps({"path": path, "data": data}, separators=(",", ":")).encode())
    payload = urlsafe_b64encode(packed).decode().rstrip("=")
    return f"{payload}.{_mac(key, payload)}"


def unseal(key: str, value: str | None, path: str) -> dict[str, Any] | None:
    payload, _, mac = (value or "").partition(".")
    if not payload or not hmac.compare_digest(_mac(key, payload).encode(), mac.encode()):
        return None
    try:
        content = json.loads(zlib.decompress(urlsafe_b64decode(payload + "=" * (-len(payload) % 4))))
    except (ValueError, zlib.error):
        return None
    if not isinstance(content, dict) or content.get("path") != path or not isinstance(content.get("data"), dict):
        return None
    return content["data"]


def fits(request: Request, path: str, data: dict[str, Any]) -> bool:
    """Whether `data` fits in the cookie. Reflections of several thousand words may not: their page
    is then answered to the POST itself (the words are kept; Back from the next page would ask to
    send the form again). Everything else a form carries is a few short values."""
    return len(seal(request.app.state.settings.hub_secret, path, data)) <= LIMIT


def redirect_with(request: Request, url: str, **data: Any) -> RedirectResponse:
    """303 to `url`; with `data`, that page shows it once (`taken`)."""
    from hub.web import redirect  # web imports nothing from here; the page helpers live there

    response = redirect(url)
    if data:
        request.state.flash_set = True
        settings = request.app.state.settings
        path = url.split("?")[0].split("#")[0]
        set_cookie(response, settings.cookie_secure, FLASH, seal(settings.hub_secret, path, data), max_age=LIFETIME)
    return response


def taken(request: Request) -> dict[str, Any]:
    """What the form posted here left for this page ({} if nothing): read once, the cookie is
    dropped on the way out (`forget`), so reloading, or coming Back later, shows the page afresh."""
    value = cookie(request, FLASH)
    if not value:
        return {}
    request.state.flash_taken = True
    return unseal(request.app.state.settings.hub_secret, value, request.url.path) or {}


def forget(request: Request, response: Response) -> None:
    if getattr(request.state, "flash_taken", False) and not getattr(request.state, "flash_set", False):
        delete_cookie(response, request.app.state.settings.cookie_secure, FLASH)
