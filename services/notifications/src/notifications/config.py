"""Settings of the notifications service (environment variables `PTFC_*`)."""

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "notifications"
