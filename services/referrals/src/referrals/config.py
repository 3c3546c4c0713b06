"""Settings of the referrals service (environment variables `PTFC_*`)."""

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "referrals"
