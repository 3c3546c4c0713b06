"""Who may do what on the bus: the one definition of the NATS identities and their permissions.

Identities (NATS users in the server's `authorization` block):

- one per service (its name): publishes only its own subjects (`ptfc.events.STREAMS`), and uses
  only its own durable pull consumers (`<service>-<handler>`, read from the service's handlers);
  replies reach it on its own inbox prefix (`_INBOX_<service>.>`), so it cannot read another's.
- one per partner: read-only. It creates, reads, acks and deletes only its own durable consumers
  (`consumer_names`: `partner-<name>` and `partner-<name>-1` .. `-<PARTNER_CONSUMERS>`, so it can
  replay into a second consumer and keep its place in the first) on the streams it is granted; it
  publishes no event subject at all. Deploy lists its partners as data (`load_partners`,
  deploy/nats/partners.json).
- `streams-admin`: creates, changes and deletes streams. Only deploy tooling (`ptfc streams`),
  `ptfc up` and the test harness use it; no service holds it.

Each identity has two NATS users, two slots of one credential: `<name>` and `<name>-next`
(`users`), with the same permissions, each its own password. A password is rotated without a
moment where a client is refused: the new one is set on the slot no client uses, the servers take
it, the clients move to that slot, then the old slot's password is replaced by one nobody holds.
The next rotation goes back the other way (docs/operations.md, "Rotating keys"). Both slots are
one principal: the same consumers and the same inbox prefix (`inbox_prefix` reads the identity
from either), so a client moving slot changes only its user and password.

NATS wildcards match whole tokens, and a consumer's name is one token of the JetStream API
subjects (`$JS.API.CONSUMER.CREATE.<stream>.<consumer>...`), so neither `referrals-*` nor
`partner-<name>-*` can name a set of consumers: each is listed by name, a service's taken from
its own handlers (`durables`), a partner's from `consumer_names`. A service added to or changed
in a release therefore needs the configuration rendered from that release.

How each environment gets its configuration, all from `render`:

- `ptfc up` writes `var/nats/auth.conf` with random passwords (`var/nats/credentials.json`,
  mode 0600) and hands each service its own password (`PTFC_NATS_PASSWORD`).
- The test harness does the same in its temporary directory (`ptfc.testing.servers`).
- Deploy runs `ptfc nats-config --env-passwords --partners deploy/nats/partners.json --previous
  deploy/nats/auth.conf` (`make nats-config`) from the release and ships the output as the NATS
  server's `auth.conf`: each password is then written `$NATS_PASSWORD_<USER>` (NATS resolves it
  from the server's environment, filled from Kubernetes Secrets; `password_variable`), and each
  service gets the same value, with the user of the slot it is on, in its `NATS_URL`. `--previous`
  refuses to drop a partner the running configuration has unless `--remove NAME` says so
  (`removed_partners`).
"""

import importlib
import json
import os
import re
import secrets
from collections.abc import Mapping
from pathlib import Path

from ptfc.events import STREAMS, stream_for

ADMIN = "streams-admin"
SERVICES = tuple(STREAMS)
# The local demo partner reads every stream; deploy names its partners and their streams.
DEFAULT_PARTNERS: dict[str, list[str]] = {"partner": [name for name, _ in STREAMS.values()]}
# Consumers a partner may hold besides `partner-<name>`: `partner-<name>-1` .. `-3` (a replay, a
# backfill, a test). A fixed count because a wildcard cannot match part of a consumer's name.
PARTNER_CONSUMERS = 3
PARTNER_NAME = re.compile(r"^[a-z][a-z0-9-]{0,39}$")  # one NATS token, one Secret key, one env variable
NEXT = "-next"  # the second user of every identity (a partner's name may not end so: it would be one)


def slots(identity: str) -> list[str]:
    """The two NATS users of one identity, alike but for their passwords."""
    return [identity, identity + NEXT]


def identity_of(user: str) -> str:
    """The identity a NATS user is a slot of: `referrals-next` is `referrals`."""
    return user.removesuffix(NEXT)


def consumer_names(partner: str) -> list[str]:
    """The durable consumers a partner may create, read, ack and delete."""
    return [f"partner-{partner}", *(f"partner-{partner}-{n}" for n in range(1, PARTNER_CONSUMERS + 1))]


def load_partners(path: Path) -> dict[str, list[str]]:
    """The partners file (deploy/nats/partners.json): `{"partners": [{"name", "streams", "webhooks"}]}`.
    Refuses what would render a wrong configuration: a bad or taken name, an unknown stream."""
    known = {name for name, _ in STREAMS.values()}
    partners: dict[str, list[str]] = {}
    for entry in json.loads(Path(path).read_text())["partners"]:
        name, streams = entry["name"], entry["streams"]
        taken = name in (*SERVICES, ADMIN) or name in partners or name.endswith(NEXT)
        if not PARTNER_NAME.match(name) or taken:
            raise ValueError(
                f"partner name {name!r}: lowercase letters, digits and '-', unique, not a service's, "
                f"not ending in {NEXT!r} (every identity's second user is named so)"
            )
        if not streams or set(streams) - known:
            raise ValueError(f"partner {name!r}: streams must be some of {sorted(known)}, not {streams}")
        for hook in entry.get("webhooks", []):
            if not str(hook.get("url", "")).startswith("https://") or not hook.get("event_types"):
                raise ValueError(f"partner {name!r}: each webhook needs an https:// url and event_types")
        partners[name] = list(streams)
    return partners


def rendered_users(config: str) -> set[str]:
    """The users an `auth.conf` rendered by `render` holds."""
    return set(re.findall(r'\{user: "([^"]+)"', config))


def removed_partners(previous: str, partners: Mapping[str, list[str]], remove: set[str]) -> set[str]:
    """Partners the running configuration has that the new one would drop without being told to:
    regenerating must never delete a real partner's user (either slot) by accident."""
    return {identity_of(user) for user in rendered_users(previous)} - {*SERVICES, ADMIN, *partners} - remove


def inbox_prefix(identity: str) -> str:
    """Replies (publish acks, fetched messages) come to this prefix, readable by this identity only
    (both its users: `<name>-next` replies on `_INBOX_<name>` too)."""
    return f"_INBOX_{identity_of(identity)}"


def durables(service: str) -> dict[str, str]:
    """The service's durable consumers and the subject each reads, from its own handlers."""
    app = importlib.import_module(f"{service}.app").create_app()
    return {durable: reg.subject for durable, reg in app.state.rt.consumer.by_durable.items()}


def _consumer_rights(stream: str, durable: str, subject: str = ">") -> list[str]:
    """Create (with its filter `subject` in the API subject: the server checks the request
    agrees), read, fetch from and ack one durable consumer."""
    api = "$JS.API.CONSUMER"
    return [
        f"{api}.CREATE.{stream}.{durable}.{subject}",
        f"{api}.INFO.{stream}.{durable}",
        f"{api}.MSG.NEXT.{stream}.{durable}",
        f"$JS.ACK.{stream}.{durable}.>",  # ack, nak, term of messages from this consumer only
    ]


def service_permissions(service: str, consumes: Mapping[str, str]) -> dict:
    publish = [*STREAMS[service][1], "$JS.API.INFO"]
    for durable, subject in sorted(consumes.items()):
        stream = stream_for(subject)
        # Only for the subject it consumes: its consumer cannot be re-pointed at another subject.
        publish += [f"$JS.API.STREAM.INFO.{stream}", *_consumer_rights(stream, durable, subject)]
    return {"publish": {"allow": sorted(set(publish))}, "subscribe": {"allow": [f"{inbox_prefix(service)}.>"]}}


def partner_permissions(partner: str, streams: list[str]) -> dict:
    publish = ["$JS.API.INFO"]
    for stream in streams:
        publish.append(f"$JS.API.STREAM.INFO.{stream}")
        for durable in consumer_names(partner):
            publish += [
                f"$JS.API.CONSUMER.DELETE.{stream}.{durable}",
                f"$JS.API.CONSUMER.CREATE.{stream}.{durable}",  # no filter: the whole granted stream
                *_consumer_rights(stream, durable),
            ]
    return {"publish": {"allow": sorted(set(publish))}, "subscribe": {"allow": [f"{inbox_prefix(partner)}.>"]}}


def identities(partners: Mapping[str, list[str]]) -> list[str]:
    return [*SERVICES, *partners, ADMIN]


def users(partners: Mapping[str, list[str]]) -> list[str]:
    """Every NATS user: each identity's two slots."""
    return [user for identity in identities(partners) for user in slots(identity)]


def render(
    passwords: Mapping[str, str],
    consumers: Mapping[str, Mapping[str, str]],
    partners: Mapping[str, list[str]] = DEFAULT_PARTNERS,
) -> str:
    """The NATS server's `authorization` block. `passwords` maps each user (`users`: both slots of
    each identity) to its password (or to a `$VARIABLE` NATS reads from its environment)."""
    permissions: dict[str, dict | None] = {s: service_permissions(s, consumers[s]) for s in SERVICES}
    permissions |= {partner: partner_permissions(partner, streams) for partner, streams in partners.items()}
    permissions[ADMIN] = None  # no permissions block: everything
    entries = []
    for identity in identities(partners):
        for user in slots(identity):  # the same permissions, each slot its own password
            entry = {"user": user, "password": passwords[user]}
            entries.append(entry if permissions[identity] is None else {**entry, "permissions": permissions[identity]})

    def value(v: object) -> str:
        if isinstance(v, str) and v.startswith("$"):
            return v  # an environment variable reference, left for NATS to resolve
        return (
            json.dumps(v)
            if not isinstance(v, dict)
            else "{" + ", ".join(f"{k}: {value(x)}" for k, x in v.items()) + "}"
        )

    lines = ["# Rendered by ptfc.buspermissions: edit that, not this.", "authorization {", "  users = ["]
    lines += [f"    {value(u)}" for u in entries]
    lines += ["  ]", "}"]
    return "\n".join(lines) + "\n"


def local_credentials(directory: Path, partners: Mapping[str, list[str]] = DEFAULT_PARTNERS) -> dict[str, str]:
    """Random passwords for every user (both slots of each identity), kept in
    `directory/credentials.json` (0600) and reused."""
    directory.mkdir(parents=True, exist_ok=True)
    path = directory / "credentials.json"
    known = json.loads(path.read_text()) if path.exists() else {}
    wanted = {name: known.get(name) or secrets.token_urlsafe(24) for name in users(partners)}
    if wanted != known:
        path.write_text(json.dumps(wanted, indent=2))
        os.chmod(path, 0o600)
    return wanted


def write_local_config(
    directory: Path, partners: Mapping[str, list[str]] = DEFAULT_PARTNERS
) -> tuple[Path, dict[str, str]]:
    """Credentials and the server's auth configuration for a local or test NATS server."""
    passwords = local_credentials(directory, partners)
    config = directory / "auth.conf"
    config.write_text(render(passwords, {s: durables(s) for s in SERVICES}, partners))
    os.chmod(config, 0o600)
    return config, passwords


def env_passwords(partners: Mapping[str, list[str]]) -> dict[str, str]:
    """For deploy: each password a variable NATS resolves from its environment."""
    return {name: "$" + password_variable(name) for name in users(partners)}


def password_variable(user: str) -> str:
    """The NATS server's environment variable holding a user's password: `referrals-next` reads
    `NATS_PASSWORD_REFERRALS_NEXT` (a partner's from the Secret nats-partners, under that key)."""
    return "NATS_PASSWORD_" + user.upper().replace("-", "_")
