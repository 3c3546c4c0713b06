"""Settings every service shares. Durations are ISO 8601 (`PT72H`, `P10D`) so tests can shrink them."""

from datetime import timedelta

from pydantic import AliasChoices, Field
from pydantic_settings import BaseSettings, SettingsConfigDict

DEV_JWT_SECRET = "ptfc-local-development-key-never-use-in-production"
DEV_LINK_SEAL_KEY = "ptfc-local-link-seal-key-never-use-in-production"
DEV_EMAIL_LOOKUP_KEY = "ptfc-local-email-lookup-key-never-use-in-production"


class ServiceSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="PTFC_", extra="ignore", populate_by_name=True)

    service: str = "ptfc"
    nats_url: str = Field("nats://127.0.0.1:4222", validation_alias=AliasChoices("NATS_URL", "PTFC_NATS_URL"))
    mongodb_uri: str = Field(
        "mongodb://127.0.0.1:27017/?directConnection=true",
        validation_alias=AliasChoices("MONGODB_URI", "PTFC_MONGODB_URI"),
    )
    database: str = ""  # defaults to the service name: each service owns its own database
    jwt_secret: str = Field(DEV_JWT_SECRET, min_length=32)  # HS256 wants at least 256 bits
    public_url: str = "http://127.0.0.1:8000"
    # Seals single-use links in events (ptfc.sealing); learning and notifications share it.
    link_seal_key: str = Field(DEV_LINK_SEAL_KEY, min_length=32)
    link_seal_previous_keys: list[str] = []  # after a rotation, until the old links have expired
    # Keys the hash that recognises a parent by email (ptfc.lookup); each service its own secret.
    email_lookup_key: str = Field(DEV_EMAIL_LOOKUP_KEY, min_length=32)

    transaction_timeout: timedelta = timedelta(seconds=20)  # a unit of work, retries included; below ack_wait

    # JetStream
    stream_replicas: int = 1
    duplicate_window: timedelta = timedelta(minutes=2)
    max_deliver: int = 5
    redelivery_backoff: timedelta = timedelta(seconds=2)  # doubled on each attempt
    ack_wait: timedelta = timedelta(seconds=30)
    graceful_timeout: float = 15.0  # below the pod's 30 s termination grace period

    # background work
    relay_interval: timedelta = timedelta(milliseconds=500)
    sweep_interval: timedelta = timedelta(seconds=5)

    @property
    def db_name(self) -> str:
        return self.database or self.service
