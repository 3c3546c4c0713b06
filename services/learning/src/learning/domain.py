"""Rules of the e-learning, with no I/O: tokens, the 10-day clock, unlock order, activity checks."""

import hashlib
import math
import secrets
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Literal
from urllib.parse import urlencode

from learning.content import MODULE_COUNT, Activity

ModuleStatus = Literal["completed", "in_progress", "available", "locked"]

# ---- links and sign-in ----------------------------------------------------------------------


def new_token() -> str:
    return secrets.token_urlsafe(32)


def hash_token(token: str) -> str:
    """Only this hash is stored: a copy of the database cannot activate anyone's account."""
    return hashlib.sha256(token.encode()).hexdigest()


def hub_link(hub_url: str, page: str, token: str) -> str:
    """A Parent Hub page (`activate` or `sign-in`) with a single-use token in its query."""
    return f"{hub_url}/{page}?{urlencode({'token': token})}"


# ---- the clock -----------------------------------------------------------------------------


def first_deadline(issued_at: datetime, window: timedelta) -> datetime:
    return issued_at + window


def extended(deadline: datetime, days: int, unit: timedelta) -> datetime:
    return deadline + days * unit


def next_reminder(deadline: datetime, offsets: list[timedelta], after: datetime) -> datetime | None:
    """The earliest reminder still ahead of `after`. Reminders that fell due together (the
    service was down) collapse into the latest one: a parent gets "1 day left", not both."""
    ahead = sorted(deadline - o for o in offsets if deadline - o > after)
    return ahead[0] if ahead else None


def days_left(deadline: datetime, now: datetime) -> int:
    """Whole days left, rounded up: 30 hours left is "2 days left"."""
    return max(0, math.ceil((deadline - now) / timedelta(days=1)))


# ---- modules -------------------------------------------------------------------------------


def module_status(number: int, completed: int, positions: dict[str, int]) -> ModuleStatus:
    """Modules unlock in order: the next one after the last completed is open."""
    if number <= completed:
        return "completed"
    if number == completed + 1:
        return "in_progress" if str(number) in positions else "available"
    return "locked"


def resume_point(completed: int, positions: dict[str, int]) -> tuple[int, int] | None:
    """Where a parent picks up: the first module not done, at the section they last reached."""
    if completed >= MODULE_COUNT:
        return None
    number = completed + 1
    return number, positions.get(str(number), 1)


@dataclass
class ItemResult:
    id: str
    correct: bool | None  # None for a reflection: there is no wrong answer
    feedback: str


@dataclass
class Verdict:
    missing: list[str] = field(default_factory=list)
    unknown: list[str] = field(default_factory=list)
    results: list[ItemResult] = field(default_factory=list)

    @property
    def passed(self) -> bool:
        return not self.missing and not self.unknown and all(r.correct is not False for r in self.results)


def check_activity(activity: Activity, answers: dict[str, str]) -> Verdict:
    """A module completes when every question is answered correctly (as many tries as needed,
    with feedback on each) or every reflection prompt has some words written."""
    verdict = Verdict(unknown=sorted(set(answers) - set(activity.item_ids)))
    for question in activity.questions:
        chosen = answers.get(question.id, "").strip()
        option = next((o for o in question.options if o.id == chosen), None)
        if option is None:
            verdict.missing.append(question.id)
            continue
        verdict.results.append(ItemResult(question.id, option.id == question.answer, option.feedback))
    for prompt in activity.prompts:
        if not answers.get(prompt.id, "").strip():
            verdict.missing.append(prompt.id)
        else:
            verdict.results.append(ItemResult(prompt.id, None, ""))
    return verdict


# ---- what a parent may still do -------------------------------------------------------------

Refusal = Literal["withdrawn", "deadline-passed", "superseded", "module-locked"]


def refusal(status: str, completed: int, number: int, deadline: datetime, now: datetime) -> Refusal | None:
    """Why a parent may not work on module `number` now, or None if they may.
    Finished modules stay open for reading back once the course is complete."""
    if status == "completed" or (status == "active" and number <= completed):
        return None
    if status == "withdrawn":
        return "withdrawn"
    if status == "superseded":
        return "superseded"
    if status == "missed" or now >= deadline:
        return "deadline-passed"
    if number > completed + 1:
        return "module-locked"
    return None
