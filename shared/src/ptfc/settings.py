"""Settings every service shares. Durations are ISO 8601 (`PT72H`, `P10D`) so tests can shrink them."""

from datetime import timedelta

from pydantic import AliasChoices, Field, SecretStr, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict

from ptfc import keys
from ptfc.issuers import EVERY, STAFF_ROLES, Issuer

# The development token key pair (Ed25519) is public, like every DEV_ key here: `ptfc token`
# and the tests sign with it; outside PTFC_ENV=dev a service holding it, in any form, refuses to
# start (ptfc.keys compares key material, not text).
DEV_JWT_PRIVATE_KEY = (
    "-----BEGIN PRIVATE KEY-----\n"
    "MC4CAQAwBQYDK2VwBCIEIEX1CaFThZ0bCjQczPJ0CeMTDq/JfnedERB8nEgI5PLt\n"
    "-----END PRIVATE KEY-----\n"
)
DEV_JWT_PUBLIC_KEY = (
    "-----BEGIN PUBLIC KEY-----\n"
    "MCowBQYDK2VwAyEApQ2xSJgTfKTliYdnKEVE6PExGsI2km/0JsS6seCeBEw=\n"
    "-----END PUBLIC KEY-----\n"
)
PARENT_TOKEN_ISSUER = "ptfc-learning"  # learning signs parents' sessions as this issuer
PARENT_TOKEN_LIFETIME = timedelta(seconds=60)  # the longest a parent's bearer token may live
DEV_STAFF_ISSUER = "ptfc-dev-idp"  # stands in locally for the partners' identity provider
DEV_LINK_SEAL_KEY = "ptfc-local-link-seal-key-never-use-in-production"
DEV_EMAIL_LOOKUP_KEY = "ptfc-local-email-lookup-key-never-use-in-production"
DEV_DEAD_LETTER_SEAL_KEY = "ptfc-local-dead-letter-seal-key-never-use-in-production"
DEV_CONTACT_SEAL_KEY = "ptfc-local-contact-seal-key-never-use-in-production"
DEV_WORKSHOPS_SEAL_KEY = "ptfc-local-workshops-seal-key-never-use-in-production"
DEV_WEBHOOK_SEAL_KEY = "ptfc-local-webhook-seal-key-never-use-in-production"
DEV_CO_PARENT_SPLIT_KEY = "ptfc-local-co-parent-split-key-never-use-in-production"

DEV_KEYS = {
    DEV_JWT_PRIVATE_KEY,
    DEV_JWT_PUBLIC_KEY,
    DEV_LINK_SEAL_KEY,
    DEV_EMAIL_LOOKUP_KEY,
    DEV_DEAD_LETTER_SEAL_KEY,
    DEV_CONTACT_SEAL_KEY,
    DEV_WORKSHOPS_SEAL_KEY,
    DEV_WEBHOOK_SEAL_KEY,
    DEV_CO_PARENT_SPLIT_KEY,
}
# The secrets each service holds, beyond those every service holds (COMMON_SECRETS): only these
# must be set outside development. A service not listed (a test probe) must set them all.
COMMON_SECRETS = ["jwt_issuers", "dead_letter_seal_key", "nats_password"]
SECRETS: dict[str, list[str]] = {
    "referrals": ["email_lookup_key", "contact_seal_key", "workshops_seal_key", "sign_in_lookup_key"],
    "learning": ["email_lookup_key", "link_seal_key", "link_seal_previous_keys", "jwt_private_key"],
    # link_seal_key: seals the video link in workshop.booked for notifications
    "workshops": ["workshops_seal_key", "workshops_seal_previous_keys", "co_parent_split_key", "link_seal_key"],
    # link_seal_key: seals invitation links and typed-in addresses; email_lookup_key: counts invitations per address
    "plans": ["link_seal_key", "email_lookup_key"],
    "notifications": [
        "link_seal_key",
        "link_seal_previous_keys",
        "contact_seal_key",
        "contact_seal_previous_keys",
        "webhook_seal_key",
    ],
}


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PTFC_", extra="ignore", populate_by_name=True)

    service: str = "ptfc"
    # `dev` only on a developer's machine and in tests (`ptfc up` and the test harness set it).
    # Anything else, the default included, refuses to start with a development or missing key.
    env: str = "production"
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=AliasChoices("NATS_URL", "PTFC_NATS_URL"))
    mongodb_uri: str = Field(
        "mongodb://127.0.0.1:27017/?directConnection=true",
        validation_alias=AliasChoices("MONGODB_URI", "PTFC_MONGODB_URI"),
    )
    # The service's own NATS identity (ptfc.buspermissions); the user defaults to the service name.
    nats_user: str = ""
    nats_password: SecretStr | None = None
    nats_ca_file: str | None = None  # TLS to NATS (production), trusting this CA (PEM)
    database: str = ""  # defaults to the service name: each service owns its own database
    # Bearer tokens (ptfc.auth, EdDSA): every service verifies against the public key of the
    # token's issuer, and holds the token to what that issuer may grant (ptfc.issuers); only
    # learning signs (parents' sessions), partners' identity providers sign staff tokens. No
    # service can mint another's tokens. Locally: the development identity provider, every staff
    # role and organisation (`*`, refused outside PTFC_ENV=dev).
    jwt_issuers: dict[str, Issuer] = {
        PARENT_TOKEN_ISSUER: Issuer(public_key=DEV_JWT_PUBLIC_KEY, roles=["parent"]),
        DEV_STAFF_ISSUER: Issuer(public_key=DEV_JWT_PUBLIC_KEY, roles=STAFF_ROLES, providers=[EVERY], courts=[EVERY]),
    }
    # Issuers that publish their keys (ptfc.jwks): kept this long, and fetched again for an unknown
    # `kid` (a rotation) at most this often.
    jwks_max_age: timedelta = timedelta(hours=1)
    jwks_min_refetch: timedelta = timedelta(seconds=30)
    jwt_private_key: str = DEV_JWT_PRIVATE_KEY  # learning only: signs parents' sessions
    parent_token_issuer: str = PARENT_TOKEN_ISSUER  # the only issuer whose `parent` tokens are accepted
    jwt_audience: str = "ptfc"
    jwt_max_lifetime: timedelta = timedelta(hours=12)  # a token valid for longer (exp - iat) is refused
    # A parent's token is refused past this lifetime (exp - iat): learning's sessions end at sign-out or
    # withdrawal, and the short tokens refreshed from them stop working everywhere within it.
    parent_token_max_lifetime: timedelta = PARENT_TOKEN_LIFETIME
    public_url: str = "http://127.0.0.1:8000"
    # Seals single-use links in events (ptfc.sealing); learning and notifications share it.
    link_seal_key: str = Field(DEV_LINK_SEAL_KEY, min_length=32)
    link_seal_previous_keys: list[str] = []  # after a rotation, until the old links have expired
    # Keys the hash that recognises a parent by email (ptfc.lookup); each service its own secret.
    email_lookup_key: str = Field(DEV_EMAIL_LOOKUP_KEY, min_length=32)
    # referral.created v2 (ptfc.events.ReferredParticipant): referrals seals each parent's contact
    # for notifications and a profile for workshops, and hashes the email with learning's
    # `email_lookup_key`, which referrals holds as `sign_in_lookup_key`.
    contact_seal_key: str = Field(DEV_CONTACT_SEAL_KEY, min_length=32)
    contact_seal_previous_keys: list[str] = []
    workshops_seal_key: str = Field(DEV_WORKSHOPS_SEAL_KEY, min_length=32)
    workshops_seal_previous_keys: list[str] = []
    sign_in_lookup_key: str = Field(DEV_EMAIL_LOOKUP_KEY, min_length=32)

    transaction_timeout: timedelta = timedelta(seconds=20)  # a unit of work, retries included; below ack_wait
    # Write requests a replica handles at once; the rest wait their turn (ptfc.limits.WriteTurns), each
    # at most `write_wait`: well below the Parent Hub's 10 s patience, so a write it gave up on is not
    # still waiting to be done.
    write_concurrency: int = Field(3, ge=1)
    write_wait: timedelta = timedelta(seconds=5)

    # JetStream
    stream_replicas: int = 1
    duplicate_window: timedelta = timedelta(minutes=2)
    # How long a stream keeps events: the customer's to set, in line with their retention schedule.
    stream_max_age: timedelta = timedelta(days=30)
    max_deliver: int = 5
    redelivery_backoff: timedelta = timedelta(seconds=2)  # doubled on each attempt
    # An event that came before the one it depends on (NotYetKnown) waits this long in its process
    # for the service's other handlers (ptfc.consumer), then is retried sooner than a failure,
    # doubling too, and for twice as many attempts: 0.2 s first, about 100 s in all before parking.
    out_of_order_backoff: timedelta = timedelta(milliseconds=200)
    ack_wait: timedelta = timedelta(seconds=30)
    graceful_timeout: float = 15.0  # below the pod's 30 s termination grace period

    # background work
    relay_interval: timedelta = timedelta(milliseconds=500)
    # Woken by a commit, the relay waits this long for the commits close behind it: one read, one
    # publish round and one mark for all of them, instead of one each (a little latency for much less load).
    relay_gather: timedelta = timedelta(milliseconds=20)
    sweep_interval: timedelta = timedelta(seconds=5)

    # HTTP: every body is refused above this size, before it is parsed or its caller authenticated.
    max_body_bytes: int = 64 * 1024
    # Requests a minute per client on the doors anyone can knock at (ptfc.limits), as
    # "METHOD /path"; a service without such a route is unaffected by an entry.
    rate_limits: dict[str, int] = {"POST /sign-in": 10, "POST /sign-in/session": 30, "POST /activate": 30}
    rate_limit_concurrency: int = 8  # such requests handled at once; as many again x4 may wait
    trusted_proxy_hops: int = 0  # 1 behind the ingress: the client is then read from X-Forwarded-For

    # Parked messages keep their body (sealed with this key) until replayed, then expire after this.
    dead_letter_seal_key: str = Field(DEV_DEAD_LETTER_SEAL_KEY, min_length=32)
    dead_letter_ttl: timedelta = timedelta(days=30)

    @model_validator(mode="after")
    def _parents_only_from_learning(self) -> "ServiceSettings":
        for name, issuer in self.jwt_issuers.items():
            if (name == self.parent_token_issuer) != ("parent" in issuer.roles) or (
                name == self.parent_token_issuer and issuer.roles != ["parent"]
            ):
                raise ValueError(f"jwt_issuers: only {self.parent_token_issuer} grants parent, and only parent")
            # Keys found over plain http could be swapped on the way; only development's own provider
            # (the dev overlay's dev-idp, reached at http://dev-idp:8080 in the cluster) is excused.
            local = name.startswith(("https://", "http://127.0.0.1")) or self.env == "dev"
            if issuer.discover and not local:
                raise ValueError(f"jwt_issuers: {name} is discovered from its URL, which must be https")
        return self

    def development_keys(self) -> list[str]:
        """The secrets this service holds that are still a public development key, in whatever
        form (ptfc.keys.is_one_of), or missing."""
        held = SECRETS.get(self.service)
        found = []
        for name, value in self:
            if held is not None and name not in held and name not in COMMON_SECRETS:
                continue
            values = value.values() if isinstance(value, dict) else value if isinstance(value, list) else [value]
            texts = [t for v in values for t in (v.static_keys.values() if isinstance(v, Issuer) else [v])]
            if any(isinstance(v, str) and keys.is_one_of(v, DEV_KEYS) for v in texts):
                found.append(name)
        if "jwt_issuers" not in found and any(i.grants_every_organisation for i in self.jwt_issuers.values()):
            found.append("jwt_issuers (an issuer that may grant every organisation, '*': list them)")
        if self.nats_password is None and "@" not in self.nats_url:
            found.append("nats_password")
        return found

    def refuse_development_keys(self) -> None:
        """Outside `PTFC_ENV=dev`, a public development key or a missing one stops the start."""
        if self.env != "dev" and (found := self.development_keys()):
            raise RuntimeError(
                f"PTFC_ENV={self.env}: set real secrets for {', '.join(found)} (or PTFC_ENV=dev locally)"
            )

    @property
    def nats_identity(self) -> str:
        return self.nats_user or self.service

    @property
    def db_name(self) -> str:
        return self.database or self.service
