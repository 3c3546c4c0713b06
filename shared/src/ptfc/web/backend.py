"""Calls from a front end (the Parent Hub, the staff console) to the services' APIs with the signed-in
person's token. A front end owns no data: every page is what the services answer for this person, at
the moment they ask (docs/architecture.md, "The two front ends")."""

import hashlib
import json
from dataclasses import dataclass
from typing import Any

import httpx


class SignedOut(Exception):
    """The person's token is missing, expired or refused: they sign in again."""


class Unavailable(Exception):
    """A service did not answer: the page says so instead of guessing."""


@dataclass
class Answer:
    status: int
    body: Any

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def reason(self) -> str:
        """The problem's machine-readable reason (`type` ends with it), or ''."""
        if isinstance(self.body, dict):
            return str(self.body.get("type", "")).rsplit("/", 1)[-1]
        return ""

    def detail(self, otherwise: str) -> str:
        """The problem's words for a person (its `detail`), or `otherwise` when it gives none."""
        found = self.body.get("detail") if isinstance(self.body, dict) else None
        return str(found) if found else otherwise


class Backend:
    def __init__(
        self, client: httpx.AsyncClient, base_url: str, forwarded_for: str | None = None, form_key: str | None = None
    ) -> None:
        self.client, self.base_url = client, base_url
        self.forwarded_for, self.form_key = forwarded_for, form_key

    def on_behalf_of(self, address: str, form_key: str | None = None) -> "Backend":
        """The same service, told whose request this is (`X-Forwarded-For`): its per-client limits
        then count each person's address, not the front end's, which everyone would otherwise share.
        With the key of the form posted, every change it asks for is an `Idempotency-Key` write: a
        form pressed twice, or posted again from the Back button, is done once."""
        return Backend(self.client, self.base_url, address, form_key)

    def _headers(self, method: str, path: str, token: str | None, kwargs: dict[str, Any]) -> dict[str, str]:
        headers = dict(kwargs.pop("headers", {}))  # a copy: the caller may send the same headers again
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if self.form_key and method != "GET":
            # The same form, sent again as it was, is the same write; changed (edited after Back),
            # it is a new one, not a reused key.
            asked = json.dumps([method, path, kwargs.get("json"), kwargs.get("params")], sort_keys=True, default=str)
            headers.setdefault("Idempotency-Key", hashlib.sha256(f"{self.form_key} {asked}".encode()).hexdigest())
        if token:
            headers["Authorization"] = f"Bearer {token}"
        return headers

    async def call(
        self, method: str, path: str, token: str | None = None, *, raw: bool = False, **kwargs: Any
    ) -> Answer:
        headers = self._headers(method, path, token, kwargs)
        try:
            response = await self.client.request(method, self.base_url + path, headers=headers, **kwargs)
        except httpx.HTTPError as error:
            raise Unavailable(str(error)) from error
        if response.status_code == 401 and token:
            raise SignedOut()
        if response.status_code >= 500:
            raise Unavailable(f"{method} {path}: {response.status_code}")
        if raw:
            return Answer(response.status_code, response)
        try:
            body = response.json() if response.content else None
        except ValueError:
            body = response.text
        return Answer(response.status_code, body)

    async def stream(self, path: str, token: str, **kwargs: Any) -> httpx.Response:
        """A GET whose answer is read as it comes (a film), not held whole; the caller closes it."""
        request = self.client.build_request(
            "GET", self.base_url + path, headers=self._headers("GET", path, token, kwargs), **kwargs
        )
        try:
            response = await self.client.send(request, stream=True)
        except httpx.HTTPError as error:
            raise Unavailable(str(error)) from error
        if response.status_code == 401 or response.status_code >= 500:
            await response.aclose()
            raise SignedOut() if response.status_code == 401 else Unavailable(f"GET {path}: {response.status_code}")
        return response

    async def get(self, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        return await self.call("GET", path, token, **kwargs)

    async def post(self, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        return await self.call("POST", path, token, **kwargs)
