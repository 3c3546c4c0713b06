"""The plan's topics in English, Polish and Urdu: guidance and prompts for parents, and the warm
words a child reads. Loaded once from `content/<lang>.json`; every language has every topic."""

import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

Language = Literal["en", "pl", "ur"]
LANGUAGES: tuple[Language, ...] = ("en", "pl", "ur")
AgeBand = Literal["under_8", "8_12", "13_plus"]

# In the order the plan presents them. The structured field a topic takes, where one is natural.
TOPICS: dict[str, str | None] = {
    "living": "weekly_pattern",
    "handovers": None,
    "holidays": None,
    "education": None,
    "health": None,
    "money": "pocket_money",
    "pets": "pets",
    "communication": None,
    "extended_family": None,
    "religion_culture": None,
    "phones_online": None,
    "activities": None,
    "changes_review": None,
}
# About the adults' relationship: never shown to children.
ADULTS_ONLY = frozenset({"communication"})
DAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")


@dataclass(frozen=True)
class Topic:
    key: str
    title: str
    guidance: str
    prompts: tuple[str, ...]
    field: str | None
    child: dict[str, str]  # by age band; empty for adults-only topics


@cache
def _load(lang: Language) -> dict:
    return json.loads((Path(__file__).parent / "content" / f"{lang}.json").read_text(encoding="utf-8"))


def topics(lang: Language) -> list[Topic]:
    data = _load(lang)["topics"]
    return [
        Topic(key, data[key]["title"], data[key]["guidance"], tuple(data[key]["prompts"]), field, data[key]["child"])
        for key, field in TOPICS.items()
    ]


def topic(key: str, lang: Language) -> Topic:
    return next(t for t in topics(lang) if t.key == key)


def labels(lang: Language) -> dict:
    return _load(lang)["labels"]


def age_band(age: int) -> AgeBand:
    return "under_8" if age < 8 else "8_12" if age <= 12 else "13_plus"
