"""Post/Redirect/Get for refused forms too, as the Parent Hub's `flash`: every form's answer is a 303
to a page, so the browser's history holds only GETs and Back never meets Chromium's "Confirm Form
Resubmission" (every page is `no-store`, so a page that answered a POST cannot be shown again
without posting again).

What the page needs to say why a form was refused (the errors, what was typed) travels in a
short-lived cookie the console signs (`PTFC_CONSOLE_SECRET`, purpose bound to the page's path),
read once. A form too long for a cookie (a safeguarding concern's details can be 5,000 characters)
is answered on the POST itself: its words are kept, and only Back from the next page asks again."""

from typing import Any

from fastapi import Request, Response
from fastapi.responses import RedirectResponse

from console.security import seal, set_cookie, unseal

FLASH = "ptfc_console_flash"
LIFETIME = 300  # seconds: long enough for a slow connection, gone when Back comes much later
LIMIT = 3800  # bytes of cookie value a browser keeps (4096 for the whole cookie)


def _purpose(path: str) -> str:
    return "flash:" + path


def redirect_with(request: Request, url: str, **data: Any) -> RedirectResponse | None:
    """303 to `url`, whose page shows `data` once; None if it does not fit in a cookie."""
    from console.web import redirect  # web imports nothing from here

    settings = request.app.state.settings
    path = url.split("?")[0].split("#")[0]
    value = seal(settings.console_secret, _purpose(path), data)
    if len(value) > LIMIT:
        return None
    response = redirect(url)
    request.state.flash_set = True
    set_cookie(response, settings.cookie_secure, FLASH, value, max_age=LIFETIME)
    return response


def taken(request: Request) -> dict[str, Any]:
    """What the form posted left for this page ({} if nothing); dropped on the way out (`forget`)."""
    value = request.cookies.get(FLASH)
    if not value:
        return {}
    request.state.flash_taken = True
    return unseal(request.app.state.settings.console_secret, _purpose(request.url.path), value) or {}


def forget(request: Request, response: Response) -> None:
    if getattr(request.state, "flash_taken", False) and not getattr(request.state, "flash_set", False):
        response.delete_cookie(FLASH, path="/")
