"""Facts of the platform every service shares, defined once: the course has eight modules,
written material comes in English, Polish and Urdu, two providers deliver it, five services run it."""

from typing import Literal, get_args

MODULES = 8
Language = Literal["en", "pl", "ur"]
LANGUAGES: tuple[str, ...] = get_args(Language)
PROVIDERS = ("action-for-children", "family-action")

# The five services, each with the port it listens on when run on one machine (`ptfc up`).
SERVICES = {"referrals": 8001, "learning": 8002, "workshops": 8003, "plans": 8004, "notifications": 8005}
