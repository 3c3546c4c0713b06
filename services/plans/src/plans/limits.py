"""Limits for what anyone may reach without an account: body size and calls per client."""

import time
from collections import deque

from fastapi import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from ptfc.problems import Problem, respond


class BodyLimit:
    """Every body here is small: refuse a huge one (declared or streamed) before anything parses it.
    (As learning's; each service deploys alone, so it is not shared.)"""

    def __init__(self, app: ASGIApp, limit: int) -> None:
        self.app, self.limit = app, limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            return await self.app(scope, receive, send)
        declared = dict(scope["headers"]).get(b"content-length", b"0")
        chunks, size, more = [], 0, declared.isdigit() and int(declared) <= self.limit
        while more:
            message = await receive()
            chunks.append(message)
            size += len(message.get("body", b""))
            more = message.get("more_body", False) and size <= self.limit
        if not (declared.isdigit() and size <= self.limit and int(declared) <= self.limit):
            problem = Problem(413, "body-too-large", "Request too large", f"Send at most {self.limit} bytes.")
            return await respond(problem, Request(scope))(scope, receive, send)
        replay = iter(chunks)

        async def buffered() -> Message:
            return next(replay, None) or await receive()

        return await self.app(scope, buffered, send)


class RateLimit:
    """A sliding window per client address, in memory: each replica counts its own callers, which
    is enough to make guessing a token or flooding plan creation slow."""

    def __init__(self, limit: int, window: float) -> None:
        self.limit, self.window = limit, window
        self.calls: dict[str, deque[float]] = {}

    def check(self, client: str) -> None:
        now = time.monotonic()
        calls = self.calls.setdefault(client, deque())
        while calls and calls[0] <= now - self.window:
            calls.popleft()
        if len(calls) >= self.limit:
            retry = max(1, int(calls[0] + self.window - now) + 1)
            raise Problem(
                429,
                "too-many-requests",
                "Too many requests",
                f"Please wait {retry} seconds and try again.",
                retry_after=retry,
            )
        calls.append(now)
        if len(self.calls) > 100_000:  # forget idle clients rather than grow without end
            self.calls = {k: v for k, v in self.calls.items() if v and v[-1] > now - self.window}


def client_of(request: Request) -> str:
    """The caller's address. The Parent Hub calls on behalf of many people: from a trusted proxy
    (`PTFC_TRUSTED_PROXIES`), the address it forwards counts instead."""
    direct = request.client.host if request.client else "unknown"
    forwarded = request.headers.get("x-forwarded-for", "")
    if forwarded and direct in request.app.state.settings.trusted_proxies:
        return forwarded.split(",")[-1].strip()[:64] or direct
    return direct


def limit_public(request: Request) -> None:
    """A dependency for routes anyone may call."""
    request.app.state.rate_limit.check(client_of(request))
