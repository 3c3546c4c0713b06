"""The two pages a parent's emailed links open: `/activate?token=` and `/sign-in[?token=]`.

A stand-in for the Parent Hub front end, so the links in letters work on a local platform.
Opening a page never uses the token (mail scanners open links): the parent presses a button,
and the page calls `POST /activate` or `POST /sign-in/session`."""

import base64
import hashlib
import re
from importlib.resources import files

from fastapi import APIRouter
from fastapi.responses import HTMLResponse

router = APIRouter(tags=["pages"])

PAGE = (files("learning") / "hub.html").read_text(encoding="utf-8")
_script = re.search(r"<script>(.*)</script>", PAGE, re.S).group(1)
_script_hash = base64.b64encode(hashlib.sha256(_script.encode()).digest()).decode()
HEADERS = {
    # Only this page's own script runs, and it talks only to this service.
    "Content-Security-Policy": (
        f"default-src 'none'; script-src 'sha256-{_script_hash}'; style-src 'unsafe-inline'; "
        "connect-src 'self'; form-action 'self'; frame-ancestors 'none'; base-uri 'none'"
    ),
    # The address holds a single-use token: never send it to another site, never cache it.
    "Referrer-Policy": "no-referrer",
    "Cache-Control": "no-store",
    "X-Content-Type-Options": "nosniff",
}


PAGE_RESPONSE = {200: {"content": {"text/html": {}}, "description": "The page, for a person's browser."}}


@router.get("/activate", response_class=HTMLResponse, responses=PAGE_RESPONSE, operation_id="activation_page")
@router.get("/sign-in", response_class=HTMLResponse, responses=PAGE_RESPONSE, operation_id="sign_in_page")
async def hub_page() -> HTMLResponse:
    """The page an emailed link opens (its `?token=` is read by the page's script, not here)."""
    return HTMLResponse(PAGE, headers=HEADERS)
