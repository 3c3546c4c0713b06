"""Facts of the programme every service shares, defined once: the course has eight modules,
written material comes in English, Polish and Urdu, and two providers deliver it."""

from typing import Literal, get_args

MODULES = 8
Language = Literal["en", "pl", "ur"]
LANGUAGES: tuple[str, ...] = get_args(Language)
PROVIDERS = ("action-for-children", "family-action")
