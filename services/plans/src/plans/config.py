"""Settings of the plans service (environment variables `PTFC_*`)."""

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "plans"
