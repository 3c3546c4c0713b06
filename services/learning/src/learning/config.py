"""Settings of the learning service (environment variables `PTFC_*`)."""

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "learning"
