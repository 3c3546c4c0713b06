"""`Idempotency-Key` for writes: partners retry, and a retry must not act twice.

The stored answer is written in the same transaction as the effect, so either both
exist or neither does. A key reused with a different body is refused.

A credential in an answer (a session token) is never stored: a copy of the database, or anyone
replaying a used link with its key, must not get a usable session. The retry is told the
request succeeded and that the credential cannot be given again, unless the route can give it
from where it already keeps it (`restore`): a webhook's secret is kept sealed on its endpoint, so
the same caller's retry of the same request gets the same secret while it is still the current one."""

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Annotated, Any

from fastapi import Header
from fastapi.responses import JSONResponse
from pydantic import BaseModel
from pymongo.errors import DuplicateKeyError

from ptfc.problems import Problem
from ptfc.refusals import Refused, Unknown
from ptfc.store import IDEMPOTENCY, Store, Tx

IdempotencyKey = Annotated[
    str | None,
    Header(
        alias="Idempotency-Key",
        min_length=1,
        max_length=200,
        pattern=r"^[\x21-\x7e]+$",
        description="Send the same key when retrying a write; it is then done once.",
    ),
]

Work = Callable[[Tx], Awaitable[tuple[int, dict[str, Any]]]]
# Given the stored answer (credentials left out), the credentials to put back, or None if they can
# no longer be given (then the retry is 409 credential-not-replayed).
Restore = Callable[[dict[str, Any]], Awaitable[dict[str, Any] | None]]
# Answer fields kept out of the stored record: session tokens, a webhook's signing secret, and a
# plan's secret (alone, and in the link that carries it).
CREDENTIALS = ("access_token", "refresh_token", "secret", "party_token", "owner_link")


def fingerprint(payload: Any) -> str:
    return hashlib.sha256(json.dumps(payload, sort_keys=True, default=str).encode()).hexdigest()


async def once(
    store: Store, key: str | None, scope: str, payload: Any, work: Work, restore: Restore | None = None
) -> JSONResponse:
    """Run `work` (which returns status and body) once per key, scope and caller."""
    if key is None:
        status, body = await store.run(work)
        return JSONResponse(body, status)
    record_id = f"{scope}:{key}"
    print_ = fingerprint(payload)

    async def replay() -> JSONResponse | None:
        stored = await store.db[IDEMPOTENCY].find_one({"_id": record_id})
        if stored is None:
            return None
        if stored["fingerprint"] != print_:
            raise Problem(
                422,
                "idempotency-key-reused",
                "Idempotency-Key already used",
                "This Idempotency-Key was sent before with a different request body.",
            )
        if stored.get("withheld"):
            given = await restore(stored["body"]) if restore else None
            if given is not None and set(stored["withheld"]) <= set(given):
                body = {**stored["body"], **given}
                return JSONResponse(body, stored["status"], headers={"Idempotent-Replayed": "true"})
            raise Problem(
                409,
                "credential-not-replayed",
                "Already done",
                "This request succeeded before. Its credential is not kept, so it cannot be sent again: "
                "ask for a new one (sign in anew; register a webhook endpoint again).",
            )
        return JSONResponse(stored["body"], stored["status"], headers={"Idempotent-Replayed": "true"})

    if (answer := await replay()) is not None:
        return answer

    async def work_once(tx: Tx) -> tuple[int, dict[str, Any]]:
        status, body = await work(tx)
        withheld = [name for name in CREDENTIALS if body.get(name)]  # a None (none issued) is kept
        kept = {k: v for k, v in body.items() if k not in withheld}
        record = {"_id": record_id, "fingerprint": print_, "status": status, "body": kept, "at": tx.clock.now()}
        await tx.db[IDEMPOTENCY].insert_one({**record, "withheld": withheld}, session=tx.session)
        return status, body

    try:
        status, body = await store.run(work_once)
    except (DuplicateKeyError, Problem, Refused, Unknown):
        # A concurrent retry with this key committed first: this one collided with its record or
        # was refused because of its effect (e.g. "already referred"). Either way, answer as it did.
        if (answer := await replay()) is not None:
            return answer
        raise
    return JSONResponse(body, status)


Change = Callable[[Tx], Awaitable[tuple[int, BaseModel]]]


async def change_once(store: Store, key: str | None, scope: str, payload: Any, change: Change) -> JSONResponse:
    """`once` for a route that makes one domain call: `change` answers a status and a response
    model. A refusal (`ptfc.refusals.Refused`, `Unknown`) goes on to the app's handler
    (`ptfc.problems.install`), which answers it as the service's problem."""

    async def work(tx: Tx) -> tuple[int, dict[str, Any]]:
        status, answer = await change(tx)
        return status, answer.model_dump(mode="json")

    return await once(store, key, scope, payload, work)
