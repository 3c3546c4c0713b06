"""A partner's consumer of PTfC events: its own durable pull consumer on a stream, one line per event.

    python examples/partner_consumer.py --url nats://127.0.0.1:4222 \\
        --user partner --password="$PARTNER_NATS_PASSWORD" \\
        --stream REFERRALS --subject referral.created [--since 2026-11-01T00:00:00Z] [--count 1]
    # a replay into a second consumer of your own, leaving `partner-<user>` where it was, deleted after:
    python examples/partner_consumer.py ... --durable partner-<user>-1 --since 2026-11-01T00:00:00Z --delete
    # or from a stream sequence
    python examples/partner_consumer.py ... --durable partner-<user>-2 --sequence 1 --delete
    # from outside the cluster: TLS, checked against the CA operations send you
    python examples/partner_consumer.py --url tls://nats.ptfc.example:4222 --ca ptfc-nats-ca.crt ...

What it shows (docs/partners.md explains each):
- it connects as the partner's own bus identity, with replies on that identity's own inbox prefix;
- it binds (or creates, the first time) its durable consumer `partner-<user>` on the stream, filtered
  to the subject it wants; the server remembers where it got to, so a restart carries on;
- `--since` starts a new consumer at a point in time (deliver policy "by start time"), `--sequence`
  at a stream sequence ("by start sequence"): a replay, best into `--durable partner-<user>-1` (`-2`,
  `-3`), so the live consumer keeps its place; `--delete` removes that consumer when it stops, so the
  next replay starts where it says (an existing consumer keeps its own start);
- every event is acknowledged after it was handled; one not acknowledged within `ack_wait` comes
  again, so handling must be idempotent: keep the `event_id`s you have handled;
- events of one referral come in order (one subject, one stream); versions it does not know it skips.

Needs only `nats-py` (pip install nats-py)."""

import argparse
import asyncio
import json
import os
import ssl
import sys
from datetime import datetime

import nats
from nats.js.api import AckPolicy, ConsumerConfig, DeliverPolicy

KNOWN_VERSIONS = {"referral.created": {1, 2}}  # the versions this consumer was written for


def handle(event: dict) -> None:
    """Your work goes here. This prints the envelope and the ids, never more."""
    print(
        json.dumps(
            {
                "event_id": event["event_id"],
                "type": event["type"],
                "version": event["version"],
                "occurred_at": event["occurred_at"],
                "correlation_id": event["correlation_id"],  # the referral
                "producer": event["producer"],
            }
        ),
        flush=True,
    )


async def consume(args: argparse.Namespace) -> int:
    # Your two users (`<name>` and `<name>-next`, for a password rotation) are one identity: the
    # same consumers and inbox prefix, whichever you log in as.
    identity = args.user.removesuffix("-next")
    nc = await nats.connect(
        args.url,
        user=args.user,
        password=args.password,
        inbox_prefix=f"_INBOX_{identity}",  # replies come to the partner's own inbox prefix
        tls=ssl.create_default_context(cafile=args.ca) if args.ca else None,
        connect_timeout=5,
        max_reconnect_attempts=5,
    )
    js = nc.jetstream()
    policy = DeliverPolicy.ALL  # a new consumer starts at the stream's first event, or where it says:
    if args.since:
        policy = DeliverPolicy.BY_START_TIME
    elif args.sequence:
        policy = DeliverPolicy.BY_START_SEQUENCE
    config = ConsumerConfig(
        ack_policy=AckPolicy.EXPLICIT,
        ack_wait=30,  # seconds before an unacknowledged event is delivered again
        max_deliver=-1,
        deliver_policy=policy,
        opt_start_time=args.since,
        opt_start_seq=args.sequence,
    )
    durable = args.durable or f"partner-{identity}"  # partner-<user>, or partner-<user>-1..3
    subscription = await js.pull_subscribe(
        args.subject,
        durable=durable,
        stream=args.stream,
        config=config,
        inbox_prefix=f"_INBOX_{identity}.".encode(),
    )
    seen, deadline = 0, asyncio.get_running_loop().time() + args.timeout
    try:
        while args.count == 0 or seen < args.count:
            if args.timeout and asyncio.get_running_loop().time() > deadline:
                print(f"stopped after {args.timeout}s with {seen} event(s)", file=sys.stderr)
                return 1 if args.count else 0
            try:
                messages = await subscription.fetch(10, timeout=1)
            except nats.errors.TimeoutError:
                continue
            for msg in messages:
                event = json.loads(msg.data)
                if event.get("version") in KNOWN_VERSIONS.get(event.get("type"), {event.get("version")}):
                    handle(event)
                    seen += 1
                # A version we do not know: skipped (a new version is to come beside the old one).
                await msg.ack()
        return 0
    finally:
        if args.delete:
            await js.delete_consumer(args.stream, durable)
        await nc.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--url", default=os.environ.get("NATS_URL", "nats://127.0.0.1:4222"))
    parser.add_argument("--user", default=os.environ.get("PARTNER_NATS_USER", "partner"), help="your bus identity")
    parser.add_argument("--password", default=os.environ.get("PARTNER_NATS_PASSWORD"))
    parser.add_argument("--stream", default="REFERRALS")
    parser.add_argument("--subject", default="referral.created", help="a subject of the stream, or e.g. referral.>")
    parser.add_argument("--since", type=datetime.fromisoformat, help="start a new consumer at this time (replay)")
    parser.add_argument("--sequence", type=int, help="start a new consumer at this stream sequence (replay)")
    parser.add_argument("--delete", action="store_true", help="delete the consumer when done (after a replay)")
    parser.add_argument("--durable", help="your consumer: partner-<user> (default) or partner-<user>-1, -2, -3")
    parser.add_argument("--ca", help="the CA certificate that signed the server's (tls:// URLs)")
    parser.add_argument("--count", type=int, default=0, help="stop after this many events (0: run until Ctrl-C)")
    parser.add_argument("--timeout", type=float, default=0, help="give up after this many seconds (0: never)")
    args = parser.parse_args()
    try:
        return asyncio.run(consume(args))
    except KeyboardInterrupt:
        return 0


if __name__ == "__main__":
    sys.exit(main())
