"""Settings of the referrals service (environment variables `PTFC_*`, durations in ISO 8601)."""

from datetime import timedelta

from ptfc.settings import ServiceSettings


class Settings(ServiceSettings):
    service: str = "referrals"
    contact_delay: timedelta = timedelta(days=1)  # the provider contacts a parent the day after referral
    report_min_cell: int = 5  # reports show no count from 1 to this minus one (reports.py)
    activation_chaser_after: timedelta = timedelta(days=14)  # no activation by then: chase the FCA and provider
