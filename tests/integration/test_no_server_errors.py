"""No input gets a server error: every operation each service documents in its OpenAPI schema is
sent hostile requests (malformed or mistyped bodies, odd path and query values, bad tokens and
Idempotency-Keys) with every role's token, no token and bad ones. Every answer must be a success
or an RFC 9457 problem (`application/problem+json` with `type`, `title`, `status`), never a 5xx,
and every body must be JSON.

Generation is seeded (one `random.Random` per service) and requests are sent one after another,
but for a few deliberate races, so a run is reproducible. Each service is first given real records
(and a parked dead letter), so hostile requests also reach the code behind the checks of existence
and access."""

import asyncio
import copy
import importlib
import json
import random
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from urllib.parse import parse_qs, quote, urlparse

import httpx
import jwt
import pytest
from bson import ObjectId

from ptfc.events import Envelope, LearningCompleted, ReferralCreated, owner_of
from ptfc.sealing import unseal
from ptfc.settings import DEV_JWT_PRIVATE_KEY, DEV_LINK_SEAL_KEY, DEV_STAFF_ISSUER
from ptfc.testing import schemas
from ptfc.testing.events import participant, publish, publish_bytes
from ptfc.testing.events import referral_created as make_referral
from ptfc.testing.keys import another_key
from ptfc.testing.mailbox import Mailbox
from ptfc.testing.plugin import EventTap, bearer, eventually, running

FCA, COURT, PROVIDER = "fca-fuzz", "Manchester Civil Justice Centre", "family-action"
JSON = "application/json"

# ---- hostile values ---------------------------------------------------------------------------

HUGE = "x" * 200_000


def nested(depth: int) -> Any:
    value: Any = "x"
    for _ in range(depth):
        value = {"a": value}
    return value


# Put in place of one field of an otherwise well-formed body.
FIELD_VALUES: list[Any] = [
    None,
    True,
    0,
    -1,
    2**64,
    -(2**63) - 1,
    1e308,
    1.5,
    "",
    "   ",
    HUGE,
    "Zoë 🙂 \u202e\u200f 中文 \u0661\u0662",
    "\u0000",
    "\ud800",  # a lone surrogate: valid JSON (`"\ud800"`), not encodable as UTF-8
    [],
    [None],
    {},
    {"$gt": ""},
    nested(200),
]

# Path segments, already percent-encoded where it matters (`%2F` is an encoded slash).
PATH_VALUES = [
    "not-an-id",
    "0" * 24,
    "f" * 25,
    "x" * 5000,
    "%2F",
    "a%2Fb",
    "..",
    "%2E%2E",
    "%2E%2E%2F%2E%2E%2Fhealthz",
    "Zoë-🙂-\u0661",  # an Arabic-Indic digit one
    "%00",
    "%ED%A0%80",  # the UTF-8 encoding of a surrogate, which is invalid UTF-8
    "%FF",
    "-1",
    "0",
    "9" * 30,
    "1e309",
    "%zz",
    " ",
    "$where",
    '{"$ne":null}',
    "null",
]

QUERY_VALUES = [
    "",
    "abc",
    "-1",
    "0",
    "1.5",
    "9" * 30,
    "x" * 5000,
    "Zoë 🙂",
    "%00",
    "%zz",
    "%ED%A0%80",
    "true",
    "null",
    "f" * 24,
    "0" * 24,
    "[]",
    '{"$ne":null}',
]

# Headers a client controls besides the token and the key.
ODD_HEADERS: list[tuple[str, str | bytes]] = [
    ("Host", "["),
    ("Host", "x" * 10_000),
    ("Host", "ü".encode()),
    ("Content-Length", "abc"),
    ("Content-Length", "-1"),
    ("Content-Length", "9" * 20),
    ("Accept", "application/xml"),
    ("Accept-Language", "x" * 10_000),
    ("X-Forwarded-For", "not an address"),
]

REMOVED = object()  # in place of a field: the field is left out

IDEMPOTENCY_KEYS: list[str | bytes] = ["", " ", "x" * 10_000, "ключ".encode(), "a\tb", "\x7f"]

DEEP_ARRAY = b"[" * 100_000 + b"]" * 100_000  # past the JSON parser's recursion limit


def tokens() -> dict[str, dict[str, Any]]:
    """Bad or odd credentials besides the plain garbage token; each gets one request per operation."""
    now = int(time.time())

    def signed(claims: dict[str, Any], key: str = DEV_JWT_PRIVATE_KEY) -> dict[str, Any]:
        return {"Authorization": f"Bearer {jwt.encode(claims, key, algorithm='EdDSA')}"}

    ok = {"sub": "someone", "role": "ops", "exp": now + 3600, "iat": now, "iss": DEV_STAFF_ISSUER, "aud": "ptfc"}
    return {
        "wrong key": signed(ok, another_key()),
        "hs256": {"Authorization": f"Bearer {jwt.encode(ok, 'k' * 32, algorithm='HS256')}"},
        "unknown issuer": signed({**ok, "iss": "https://attacker.example"}),
        "other audience": signed({**ok, "aud": "another-service"}),
        "too long-lived": signed({**ok, "exp": now + 30 * 24 * 3600}),
        "parent from the staff issuer": signed({**ok, "role": "parent"}),
        "ops from learning's issuer": signed({**ok, "iss": "ptfc-learning"}),
        "alg none": {"Authorization": f"Bearer {jwt.encode(ok, None, algorithm='none')}"},
        "expired": signed({**ok, "exp": now - 60}),
        "unknown role": signed({**ok, "role": "admin"}),
        "no sub": signed({"role": "ops", "exp": now + 3600}),
        "claims of wrong types": signed({"sub": 1, "role": ["ops"], "exp": now + 3600, "provider": {}}),
        "exp not a number": signed({**ok, "exp": "tomorrow"}),
        "non-finite iat": signed({**ok, "iat": float("inf")}),
        "public role": signed({**ok, "role": "public"}),
        "provider without provider": signed({**ok, "role": "provider"}),
        "court without court": signed({**ok, "role": "court"}),
        "huge subject": signed({**ok, "role": "cafcass", "sub": "x" * 100_000}),
        "odd subject": signed({**ok, "role": "cafcass", "sub": "$where.a:b\u0000/.."}),
        "empty JWT parts": {"Authorization": "Bearer e30.e30.e30"},
        "JWT parts not UTF-8": {"Authorization": "Bearer __8.__8.__8"},
        "basic scheme": {"Authorization": "Basic Zm9vOmJhcg=="},
        "empty bearer": {"Authorization": "Bearer "},
        "non-ascii token": {"Authorization": "Bearer ключ".encode()},
        "huge token": {"Authorization": "Bearer " + "a" * 100_000},
    }


# ---- requests from the OpenAPI schema ------------------------------------------------------------


@dataclass
class Operation:
    method: str
    template: str
    path: list[str]
    query: dict[str, dict]  # name -> schema
    required_query: list[str]
    idempotent: bool  # takes an Idempotency-Key
    body: dict | None  # the request body's schema


@dataclass
class Call:
    case: str
    path: dict[str, str] = field(default_factory=dict)  # percent-encoded segments
    query: list[tuple[str, str]] = field(default_factory=list)  # percent-encoded
    content: bytes | None = None
    content_type: str | None = None
    headers: dict[str, Any] = field(default_factory=dict)
    method: str | None = None  # another than the operation's


def operations(spec: dict) -> list[Operation]:
    found = []
    for template, item in spec["paths"].items():
        for method, op in item.items():
            params = op.get("parameters", [])
            query = {p["name"]: p.get("schema", {}) for p in params if p["in"] == "query"}
            body = op.get("requestBody", {}).get("content", {}).get(JSON, {}).get("schema")
            found.append(
                Operation(
                    method=method.upper(),
                    template=template,
                    path=[p["name"] for p in params if p["in"] == "path"],
                    query=query,
                    required_query=[p["name"] for p in params if p["in"] == "query" and p.get("required")],
                    idempotent=any(p["in"] == "header" and p["name"] == "Idempotency-Key" for p in params),
                    body=body,
                )
            )
    # Reads first, on the records as seeded; then writes, in a fixed order.
    return sorted(found, key=lambda o: (o.method != "GET", o.template, o.method))


# Values that pass the checks a plain schema cannot express (patterns, routing rules), by variant.
HINTS: dict[str, Callable[[int], Any]] = {
    "email": lambda n: f"fuzz.parent{n}@example.org",
    "court_email": lambda n: "family.court@justice.example",
    "phone": lambda n: "07700900009",
    "case_number": lambda n: f"MA24P{n:05d}",  # a new case each variant: no conflict with earlier ones
    "court": lambda n: COURT,
    "region": lambda n: "Greater Manchester",
}


def sample(spec: dict, schema: dict, name: str = "", variant: int = 0) -> Any:
    """A well-formed value for `schema`; `variant` changes its free text, to make another body."""
    return schemas.sample(spec, schema, name, {k: hint(variant) for k, hint in HINTS.items()}, f"fuzz{variant}")


def leaves(value: Any, at: tuple = ()) -> list[tuple]:
    """Every place in a body a hostile value can go."""
    found = [at] if at else []
    if isinstance(value, dict):
        for key, inner in value.items():
            found += leaves(inner, (*at, key))
    elif isinstance(value, list) and value:
        found += leaves(value[0], (*at, 0))
    return found


def put(body: Any, at: tuple, value: Any) -> Any:
    body = copy.deepcopy(body)
    target = body
    for step in at[:-1]:
        target = target[step]
    if value is REMOVED:
        del target[at[-1]]
    else:
        target[at[-1]] = value
    return body


def dumps(value: Any) -> bytes:
    return json.dumps(value).encode()  # ASCII escapes keep a lone surrogate sendable


def describe(value: Any) -> str:
    text = repr(value)
    return text if len(text) <= 30 else f"{text[:27]}..."


# ---- seeds: one real record per service ---------------------------------------------------------


@dataclass
class Seeded:
    values: dict[str, str] = field(default_factory=dict)  # a real value for a parameter, by name
    parent: dict[str, str] = field(default_factory=lambda: bearer("parent", "parent-fuzz"))


def referral_created(referral_id: str) -> ReferralCreated:
    parent = participant(str(ObjectId()), "Alex", "Fuzz", phone="07700900001", email="alex.fuzz@parents.example")
    return make_referral(referral_id, parent, case_number="MA24P00001", court=COURT, provider=PROVIDER, fca_id=FCA)


async def seed_referrals(client: httpx.AsyncClient, spec: dict, nats_url: str) -> Seeded:
    body = sample(spec, {"$ref": "#/components/schemas/NewReferral"}, variant=99_999)
    answer = await client.post("/referrals", json=body, headers=bearer("cafcass", FCA))
    assert answer.status_code == 201, answer.text
    created = answer.json()
    return Seeded({"referral_id": created["id"], "participant_id": created["participants"][0]["participant_id"]})


async def seed_learning(client: httpx.AsyncClient, spec: dict, nats_url: str) -> Seeded:
    referral_id = str(ObjectId())
    await publish(nats_url, referral_created(referral_id))
    issued = await EventTap(nats_url).wait_for("account.activation_issued")
    url = unseal(DEV_LINK_SEAL_KEY, issued[0].data["sealed_activation_url"])
    token = parse_qs(urlparse(url).query)["token"][0]
    answer = await client.post("/activate", json={"token": token})
    assert answer.status_code == 200, answer.text
    session = answer.json()
    return Seeded(
        {"enrolment_id": session["enrolment_id"], "referral_id": referral_id, "file": "video.webm"},
        {"Authorization": f"Bearer {session['access_token']}"},
    )


async def seed_notifications(client: httpx.AsyncClient, spec: dict, nats_url: str) -> Seeded:
    referral_id = str(ObjectId())
    await publish(nats_url, referral_created(referral_id))

    async def sent() -> list[dict]:
        log = await client.get("/notifications", params={"correlation_id": referral_id}, headers=bearer("cafcass", FCA))
        return [n for n in log.json()["items"] if n["status"] == "sent"]

    first = (await eventually(sent, timeout=20))[0]
    return Seeded({"notification_id": first["id"], "correlation_id": referral_id})


async def park_letters(app: Any, client: httpx.AsyncClient, nats_url: str) -> dict[str, str]:
    """Park two messages on a subject the service consumes: one that is no event at all and one its
    handler refuses. Answers the id of the second, so replay is tried on a real letter."""
    registrations = list(app.state.rt.consumer.by_durable.values())
    if not registrations:
        return {}
    subject = registrations[0].subject
    refused = Envelope(
        type=subject, occurred_at=datetime.now(UTC), correlation_id="c-1", producer=owner_of(subject), data={}
    )
    await publish_bytes(nats_url, subject, b"not an event")
    await publish_bytes(nats_url, subject, refused.model_dump_json().encode())

    async def parked() -> list[dict]:
        letters = await client.get("/ops/dead-letters", headers=bearer("ops", "ops-fuzz"))
        return [d for d in letters.json()["items"] if d["event_id"] == str(refused.event_id)]

    return {"letter_id": (await eventually(parked, timeout=20))[0]["id"]}


async def seed_workshops(client: httpx.AsyncClient, spec: dict, nats_url: str) -> Seeded:
    """A session run by the fuzzer's facilitator, a parent booked on it, and a concern about them."""
    referral_id = str(ObjectId())
    created = referral_created(referral_id)
    pid = created.participants[0].participant_id
    await publish(nats_url, created)
    done = LearningCompleted(
        referral_id=referral_id, participant_id=pid, enrolment_id="e-fuzz", completed_at=datetime.now(UTC)
    )
    await publish(nats_url, done)
    start = (datetime.now(UTC) + timedelta(days=20)).replace(hour=10, minute=0, second=0, microsecond=0)
    half, parts = timedelta(minutes=75), []
    for begin in (start, start + timedelta(minutes=90)):
        parts.append({"starts_at": begin.isoformat(), "ends_at": (begin + half).isoformat()})
    body = {"format": "online", "video_link": "https://video.example/f", "pattern": "daytime", "parts": parts}
    body |= {"facilitators": ["facilitator-fuzz"]}
    staff = bearer("provider", "staff-fuzz", provider=PROVIDER)
    session = await client.post("/sessions", json=body, headers=staff)
    assert session.status_code == 201, session.text
    sid, parent = session.json()["id"], bearer("parent", pid)

    async def booked() -> httpx.Response | None:
        answer = await client.post("/me/booking", json={"session_id": sid}, headers=parent)
        return answer if answer.status_code == 201 else None

    await eventually(booked, timeout=20)
    concern = {"participant_id": pid, "category": "other", "details": "fuzz"}
    raised = await client.post(
        f"/sessions/{sid}/concerns", json=concern, headers=bearer("facilitator", "facilitator-fuzz", provider=PROVIDER)
    )
    assert raised.status_code == 201, raised.text
    ids = {"session_id": sid, "concern_id": raised.json()["id"], "participant_id": pid, "followup_id": sid}
    return Seeded(ids, parent)


async def no_seed(client: httpx.AsyncClient, spec: dict, nats_url: str) -> Seeded:
    return Seeded()


async def seed_plans(client: httpx.AsyncClient, spec: dict, nats_url: str) -> Seeded:
    seeded = Seeded({"topic": "living", "kind": "docx"})
    body = {"display_name": "Fuzz", "children": [{"name": "Sam", "age": 6}], "topics": ["living", "pets"]}
    answer = await client.post("/plans", json=body, headers=seeded.parent)
    assert answer.status_code == 201, answer.text
    seeded.values["plan_id"] = answer.json()["plan"]["id"]
    return seeded


SEEDS: dict[str, Callable[[httpx.AsyncClient, dict, str], Awaitable[Seeded]]] = {
    "referrals": seed_referrals,
    "learning": seed_learning,
    "plans": seed_plans,
    "notifications": seed_notifications,
    "workshops": seed_workshops,
}

# Successes that are files or pages, not JSON: the plan's Word and PDF exports, the children's page,
# a module's film and captions.
FILES = {"application/vnd.openxmlformats-officedocument.wordprocessingml.document", "application/pdf", "text/html"}
FILES |= {"video/webm", "video/mp4", "text/vtt"}

# ---- the fuzzer ---------------------------------------------------------------------------------


def flaw(answer: httpx.Response) -> str | None:
    """What is wrong with an answer, if anything."""
    if answer.status_code >= 500:
        return "server error"
    if answer.status_code == 204 and not answer.content:
        return None
    if answer.status_code < 300 and answer.headers.get("content-type", "").split(";")[0] in FILES:
        return None if answer.content else "empty file"
    try:
        body = json.loads(answer.content)
    except ValueError:
        return "body is not JSON"
    if 400 <= answer.status_code < 500:
        if answer.headers.get("content-type", "").split(";")[0] != "application/problem+json":
            return f"content type {answer.headers.get('content-type')!r}, not application/problem+json"
        if not isinstance(body, dict) or not (
            isinstance(body.get("type"), str) and isinstance(body.get("title"), str) and body.get("status")
        ):
            return "problem without type, title and status"
        if body["status"] != answer.status_code:
            return f"problem status {body['status']} differs from the HTTP status"
    return None


def rank(status: int) -> int:
    """How far a request got: a success went furthest, a missing token least."""
    order = [200, 201, 202, 204, 409, 422, 404, 400, 403, 401]
    return order.index(status) if status in order else len(order)


class Fuzzer:
    def __init__(self, client: httpx.AsyncClient, spec: dict, seeded: Seeded, rng: random.Random) -> None:
        self.client, self.spec, self.seeded, self.rng = client, spec, seeded, rng
        self.identities: dict[str, dict[str, Any]] = {
            "cafcass": bearer("cafcass", FCA),
            "court": bearer("court", "clerk-fuzz", court=COURT),
            "provider": bearer("provider", "staff-fuzz", provider=PROVIDER),
            "facilitator": bearer("facilitator", "facilitator-fuzz", provider=PROVIDER),
            "parent": seeded.parent,
            "ops": bearer("ops", "ops-fuzz"),
            "no token": {},
            "garbage token": {"Authorization": "Bearer not.a.jwt"},
        }
        self.failures: list[str] = []
        self.sent = 0

    async def send(self, op: Operation, who: str, call: Call, auth: dict | None = None) -> int:
        path = op.template
        for name, value in call.path.items():
            path = path.replace("{" + name + "}", value)
        url = path + ("?" + "&".join(f"{k}={v}" for k, v in call.query) if call.query else "")
        content_type = {"Content-Type": call.content_type} if call.content_type else {}
        headers = {**(self.identities[who] if auth is None else auth), **content_type, **call.headers}
        method = call.method or op.method
        self.sent += 1
        try:
            answer = await self.client.request(method, url, content=call.content, headers=headers)
            problem = flaw(answer)
        except httpx.HTTPError as error:  # an answer the client cannot even read
            answer, problem = None, f"unreadable answer: {error!r}"
        status = answer.status_code if answer is not None else 0
        if problem:
            self.failures.append(f"{method} {url[:100]} as {who} ({call.case}): {status} {problem}")
        return status

    def key(self) -> str:
        return f"fuzz-{self.rng.getrandbits(64):016x}"

    def path_value(self, name: str) -> str:
        """The seeded record's id, else one that is well formed but unknown."""
        known = {"provider": PROVIDER, "number": "1"}
        return self.seeded.values.get(name) or known.get(name) or "65a000000000000000000001"

    def query_value(self, name: str, schema: dict) -> str:
        if name in self.seeded.values:
            return self.seeded.values[name]
        value = sample(self.spec, schema, name)
        return str(value).lower() if isinstance(value, bool) else str(value)

    def base(self, op: Operation, case: str = "well-formed", variant: int = 0) -> Call:
        """A request that passes every check a schema can express."""
        path = {n: quote(self.path_value(n), safe="") for n in op.path}
        query = [(n, quote(self.query_value(n, op.query[n]), safe="")) for n in op.required_query]
        if op.body is None:
            return Call(case, path, query)
        return Call(case, path, query, dumps(sample(self.spec, op.body, variant=variant)), JSON)

    def battery(self, op: Operation) -> list[Call]:
        """Hostile requests every identity sends."""
        base = self.base(op)
        calls = []
        for name in op.path:
            for value in PATH_VALUES:
                calls.append(
                    replace(base, case=f"{name}={value[:20]}", path={**base.path, name: quote(value, safe="%")})
                )
        for name in op.query:
            for value in QUERY_VALUES:
                query = [(k, v) for k, v in base.query if k != name] + [(name, quote(value, safe="%"))]
                calls.append(replace(base, case=f"{name}={value[:20]}", query=query))
        unknown = [*base.query, ("%24where", "1"), ("limit", "1"), ("limit", "x")]
        calls.append(replace(base, case="unknown and repeated query parameters", query=unknown))
        declared = {m.upper() for m in self.spec["paths"][op.template]}
        calls += [replace(base, case="method not allowed", method=m) for m in ("PUT", "DELETE") if m not in declared]
        for name, value in ODD_HEADERS:
            calls.append(replace(base, case=f"{name}: {describe(value)}", headers={name: value}))
        if op.body is None:
            calls.append(replace(base, case="unexpected body", content=b'{"a": ', content_type=JSON))
            return calls
        good = base.content or b""
        bodies: list[tuple[str, bytes, str | None]] = [
            ("malformed JSON", b'{"reason": ', JSON),
            ("invalid UTF-8", b'\xff\xfe{"a": 1}', JSON),
            ("trailing garbage", good + b"}}", JSON),
            ("empty body", b"", JSON),
            ("no content type", good, None),
            ("text/plain", good, "text/plain"),
            ("form", b"reason=x&days=1", "application/x-www-form-urlencoded"),
            (
                "multipart",
                b"--b\r\nContent-Disposition: form-data; name=x\r\n\r\ny\r\n--b--\r\n",
                "multipart/form-data; boundary=b",
            ),
            ("content type with odd charset", good, "application/json; charset=utf-16"),
            ("vendor JSON type", good, "application/vnd.evil+json"),
            ("JSON null", b"null", JSON),
            ("JSON array", b"[]", JSON),
            ("JSON string", b'"x"', JSON),
            ("JSON infinity", b"1e999", JSON),
            ("NaN field", b'{"a": NaN}', JSON),
            ("duplicate keys", good.rstrip(b"}") + b', "a": 1, "a": 2}', JSON),
            ("deep arrays", DEEP_ARRAY, JSON),
            ("huge body", dumps({"pad": "x" * 2_000_000}), JSON),
        ]
        calls += [replace(base, case=case, content=content, content_type=ctype) for case, content, ctype in bodies]
        body = json.loads(good)
        if isinstance(body, dict):
            extra = {**body, "$where": "1", "__proto__": {"admin": True}, "_id": "x", "nested": nested(300)}
            calls.append(replace(base, case="unknown fields", content=dumps(extra)))
        return calls

    def mutations(self, op: Operation) -> list[Call]:
        """Each field of the body replaced by a few hostile values (a seeded choice), or removed.
        Each starts from a body of its own variant, so one that passes does not conflict with the last."""
        if op.body is None:
            return []
        calls = []
        for at in leaves(json.loads(self.base(op).content or b"null")):
            where = ".".join(map(str, at))
            for value in [REMOVED, *self.rng.sample(FIELD_VALUES, 6)]:
                variant = 2 + len(calls)
                body = json.loads(self.base(op, variant=variant).content or b"null")
                case = f"without {where}" if value is REMOVED else f"{where}={describe(value)}"
                calls.append(replace(self.base(op), case=case, content=dumps(put(body, at, value))))
        return calls

    def fresh(self, op: Operation, case: str) -> Call:
        """A well-formed request no earlier one conflicts with (a new case for a new referral)."""
        return self.base(op, case, variant=self.rng.randrange(10_000, 99_000))

    async def idempotency(self, op: Operation, who: str) -> None:
        if not op.idempotent:
            return
        for value in IDEMPOTENCY_KEYS:
            call = self.fresh(op, f"Idempotency-Key {describe(value)}")
            await self.send(op, who, replace(call, headers={"Idempotency-Key": value}))
        key = {"Idempotency-Key": self.key()}
        first, other = self.fresh(op, "key first used"), self.fresh(op, "key reused with another body")
        hostile = replace(first, case="key reused with a hostile body", content=b'{"a": "\\ud800"}', content_type=JSON)
        for call in (first, replace(first, case="key replayed"), other, hostile):
            await self.send(op, who, replace(call, headers=key))
        # Two retries racing with one new key, then two different bodies racing with another.
        for same in (True, False):
            key = {"Idempotency-Key": self.key()}
            one = replace(self.fresh(op, "racing retries"), headers=key)
            two = one if same else replace(self.fresh(op, "racing retries, another body"), headers=key)
            await asyncio.gather(self.send(op, who, one), self.send(op, who, two))

    async def run(self) -> None:
        bad_tokens = tokens()
        for op in operations(self.spec):
            base = self.base(op)
            # The identity that gets furthest sends the body mutations and the Idempotency-Key cases.
            reached = {who: rank(await self.send(op, who, base)) for who in self.identities}
            furthest = min(reached, key=reached.__getitem__)
            for call in self.mutations(op):
                await self.send(op, furthest, call)
            await self.idempotency(op, furthest)
            # Every identity sends hostile requests: the furthest all of them, the others a seeded third.
            battery = self.battery(op)
            for who in self.identities:
                calls = battery if who == furthest else self.rng.sample(battery, len(battery) // 3)
                for call in calls:
                    await self.send(op, who, call)
            for name, auth in bad_tokens.items():
                call = replace(self.fresh(op, "well-formed"), headers={"Idempotency-Key": self.key()})
                await self.send(op, name, call, auth)
            if op.method != "GET":  # the same new request twice at once, without a key
                twins = self.fresh(op, "racing twins")
                await asyncio.gather(self.send(op, furthest, twins), self.send(op, furthest, twins))


# ---- the test -----------------------------------------------------------------------------------

SERVICES = ["referrals", "learning", "workshops", "plans", "notifications"]


@pytest.mark.parametrize("service", SERVICES)
async def test_no_request_gets_a_server_error(service: str, make_settings: Any, infra: Any) -> None:
    config = importlib.import_module(f"{service}.config")
    create_app = importlib.import_module(f"{service}.app").create_app
    mailbox = Mailbox()  # notifications sends the seeded referral's letters here
    if service == "notifications":
        mailbox.start()
    try:
        # A message that fails once is parked at once, so dead letters to replay exist quickly.
        overrides: dict[str, Any] = {"max_deliver": 1}
        if service == "notifications":
            overrides |= {"smtp_port": mailbox.port, "smtp_timeout": 2.0}
        app = create_app(make_settings(config.Settings, **overrides))
        spec = app.openapi()
        async with running(app) as client:
            seeded = await SEEDS.get(service, no_seed)(client, spec, infra.nats_url)
            seeded.values |= await park_letters(app, client, infra.nats_url)
            fuzzer = Fuzzer(client, spec, seeded, random.Random(service))
            started = time.monotonic()
            await fuzzer.run()
    finally:
        mailbox.stop()
    print(f"{service}: {fuzzer.sent} requests in {time.monotonic() - started:.1f}s")
    if fuzzer.failures:
        report = "\n".join(fuzzer.failures)
        pytest.fail(f"{len(fuzzer.failures)} of {fuzzer.sent} requests answered badly:\n{report}", pytrace=False)
