"""Small platform parts a service relies on: settings, log context, retry delays, dev tokens."""

import asyncio
import io
import json
import logging
import time
from datetime import timedelta

import jwt
import pytest

from ptfc import cli, logs
from ptfc.consumer import MAX_RETRY_DELAY, Consumer
from ptfc.events import NotYetKnown
from ptfc.handlers import Handlers
from ptfc.issuers import Issuer
from ptfc.settings import DEV_JWT_PUBLIC_KEY, DEV_LINK_SEAL_KEY, SECRETS, ServiceSettings
from ptfc.testing.keys import another_key, public_half


def test_durations_are_iso_8601_in_the_environment(monkeypatch):
    monkeypatch.setenv("PTFC_REDELIVERY_BACKOFF", "PT2S")
    monkeypatch.setenv("PTFC_DUPLICATE_WINDOW", "P1DT12H")
    monkeypatch.setenv("NATS_URL", "nats://bus:4222")
    s = ServiceSettings()
    assert s.redelivery_backoff == timedelta(seconds=2) and s.duplicate_window == timedelta(days=1, hours=12)
    assert s.nats_url == "nats://bus:4222"


def test_log_lines_carry_the_correlation_and_event_of_the_work_in_hand(monkeypatch):
    root = logging.getLogger()
    monkeypatch.setattr(root, "handlers", [])
    monkeypatch.setattr(root, "level", root.level)
    stream = io.StringIO()
    logs.configure("referrals", stream=stream)
    with logs.bind(correlation_id="r-1", event_id="e-1"):
        logging.getLogger("referrals.handlers").info("outcome decided")
    logging.getLogger("referrals.handlers").info("idle")
    first, second = (json.loads(line) for line in stream.getvalue().splitlines())
    assert (first["correlation_id"], first["event_id"], first["message"]) == ("r-1", "e-1", "outcome decided")
    assert "correlation_id" not in second


def test_redelivery_waits_double_each_time_up_to_a_cap():
    s = ServiceSettings(redelivery_backoff="PT2S")
    consumer = Consumer("referrals", store=None, settings=s, handlers=Handlers())
    assert [consumer.retry_delay(n) for n in (1, 2, 3, 4)] == [2, 4, 8, 16]
    assert consumer.retry_delay(40) == MAX_RETRY_DELAY


class StillEarly:
    """A handler's batch whose event never becomes known, while another handler commits during
    every attempt (a busy process)."""

    def __init__(self, consumer: Consumer) -> None:
        self.consumer, self.tries = consumer, 0

    async def submit(self, envelope: object) -> bool:
        self.tries += 1
        self.consumer.committed("other")
        await asyncio.sleep(0.01)
        raise NotYetKnown("what it follows never came")


async def test_an_early_event_waits_in_its_process_only_until_its_deadline_however_busy():
    s = ServiceSettings(out_of_order_backoff="PT0.2S")
    consumer = Consumer("referrals", store=None, settings=s, handlers=Handlers())
    consumer.batches["referrals-follow"] = batch = StillEarly(consumer)
    started = time.monotonic()
    with pytest.raises(NotYetKnown):  # given back, to be redelivered as early
        async with asyncio.timeout(5):
            await consumer.handle_in_turn("referrals-follow", None)
    assert time.monotonic() - started >= 0.2 and batch.tries > 1  # tried again when woken, until its deadline
    assert consumer.waiting == []


async def test_a_module_level_handler_is_given_the_dependencies_it_names():
    from ptfc.events import ReferralWithdrawn

    handlers, seen = Handlers(), []

    @handlers.on
    async def stop(event: ReferralWithdrawn, meta, tx, settings) -> None:
        """Stops the parent's letters."""
        seen.append((event, settings))

    @handlers.on
    async def plain(event: ReferralWithdrawn, meta, tx) -> None:
        seen.append((event, None))

    s = ServiceSettings()
    [bound, unbound] = handlers.bind(settings=s, unused="not asked for").registrations
    await bound.handler("event", None, None)
    await unbound.handler("event", None, None)
    assert seen == [("event", s), ("event", None)]
    # The consumer's durable name and the AsyncAPI description are the handler's own.
    assert (bound.name, bound.handler.__doc__) == ("stop", "Stops the parent's letters.")
    assert unbound.handler is plain and handlers.registrations[0].handler is stop  # bind copies


async def test_handlers_bound_in_two_steps_get_both():
    """Notifications' app binds its letters; build_app then binds the settings on top."""
    from ptfc.events import ReferralWithdrawn

    handlers, seen = Handlers(), []

    @handlers.on
    async def stop(event: ReferralWithdrawn, meta, tx, settings, letters) -> None:
        seen.append((settings, letters))

    [twice] = handlers.bind(letters="letters").bind(settings="settings").registrations
    await twice.handler("event", None, None)
    assert seen == [("settings", "letters")] and twice.name == "stop"


def test_ptfc_token_prints_a_token_signed_with_the_development_key(capsys):
    assert cli.main(["token", "--role", "provider", "--sub", "staff-1", "--provider", "family-action"]) == 0
    claims = jwt.decode(capsys.readouterr().out.strip(), DEV_JWT_PUBLIC_KEY, algorithms=["EdDSA"], audience="ptfc")
    assert (claims["role"], claims["sub"], claims["provider"]) == ("provider", "staff-1", "family-action")


def test_ptfc_token_never_signs_with_the_environments_secret(monkeypatch, capsys):
    monkeypatch.setenv("PTFC_JWT_PRIVATE_KEY", "a production key that must not mint tokens from a shell")
    cli.main(["token", "--role", "ops", "--sub", "me"])
    token = capsys.readouterr().out.strip()
    assert jwt.decode(token, DEV_JWT_PUBLIC_KEY, algorithms=["EdDSA"], audience="ptfc")["role"] == "ops"


def test_outside_dev_a_development_or_missing_key_stops_the_start():
    keys = {
        "jwt_issuers": {"https://idp.example": Issuer(public_key=public_half(another_key()), roles=["cafcass"])},
        "link_seal_key": "l" * 40,
        "email_lookup_key": "e" * 40,
        "dead_letter_seal_key": "d" * 40,
        "nats_password": "n" * 24,
        "contact_seal_key": "c" * 40,
        "workshops_seal_key": "w" * 40,
        "sign_in_lookup_key": "s" * 40,
        "jwt_private_key": another_key(),
    }
    ServiceSettings(env="production", **keys).refuse_development_keys()  # real keys: it starts
    ServiceSettings(env="dev").refuse_development_keys()  # development: the public keys are fine
    for name in keys:
        missing = {k: v for k, v in keys.items() if k != name}
        with pytest.raises(RuntimeError, match=name):
            ServiceSettings(env="production", **missing).refuse_development_keys()
    with pytest.raises(RuntimeError, match="link_seal_previous_keys"):
        old = {**keys, "link_seal_previous_keys": [DEV_LINK_SEAL_KEY]}
        ServiceSettings(env="production", **old).refuse_development_keys()
    # a service needs only the secrets it holds: plans opens no contact details
    plans = {k: keys[k] for k in ("jwt_issuers", "dead_letter_seal_key", "nats_password", *SECRETS["plans"])}
    ServiceSettings(env="production", service="plans", **plans).refuse_development_keys()
    with pytest.raises(RuntimeError, match="contact_seal_key"):
        ServiceSettings(env="production", service="notifications", **plans).refuse_development_keys()


def test_a_unique_index_refusal_is_known_alone_or_inside_the_bulk_write_that_ends_a_unit_of_work():
    from pymongo.errors import BulkWriteError, DuplicateKeyError, WriteError

    from ptfc.store import duplicate_key, object_id

    refused = {"index": 0, "code": 11000, "errmsg": "E11000 duplicate key"}
    assert duplicate_key(BulkWriteError({"writeErrors": [refused], "nInserted": 0}))
    assert duplicate_key(DuplicateKeyError("E11000 duplicate key", 11000))
    assert not duplicate_key(BulkWriteError({"writeErrors": [{"index": 0, "code": 2, "errmsg": "bad"}]}))
    assert not duplicate_key(WriteError("bad", 2))
    assert object_id(None) is None and object_id("nope") is None  # never a new id for a missing one


def test_ptfc_token_for_a_parent_lives_a_minute_as_learning_s_do(capsys):
    cli.main(["token", "--role", "parent", "--sub", "p-1"])
    claims = jwt.decode(capsys.readouterr().out.strip(), DEV_JWT_PUBLIC_KEY, algorithms=["EdDSA"], audience="ptfc")
    assert claims["exp"] - claims["iat"] <= 60
