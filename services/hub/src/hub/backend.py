"""Calls to the services' APIs with the parent's token. The hub owns no data: every page is
what learning, workshops and plans answer for this parent, at the moment they ask."""

from dataclasses import dataclass
from typing import Any

import httpx


class SignedOut(Exception):
    """The parent's token is missing, expired or refused: they sign in again."""


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


class Backend:
    def __init__(self, client: httpx.AsyncClient, base_url: str, forwarded_for: str | None = None) -> None:
        self.client, self.base_url, self.forwarded_for = client, base_url, forwarded_for

    def on_behalf_of(self, address: str) -> "Backend":
        """The same service, told whose request this is (`X-Forwarded-For`): its per-client limits
        then count each parent's address, not the hub's, which every parent would otherwise share."""
        return Backend(self.client, self.base_url, address)

    async def call(
        self, method: str, path: str, token: str | None = None, *, raw: bool = False, **kwargs: Any
    ) -> Answer:
        headers = kwargs.pop("headers", {})
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        if token:
            headers["Authorization"] = f"Bearer {token}"
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

    async def get(self, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        return await self.call("GET", path, token, **kwargs)

    async def post(self, path: str, token: str | None = None, **kwargs: Any) -> Answer:
        return await self.call("POST", path, token, **kwargs)
