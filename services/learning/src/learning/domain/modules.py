"""The eight modules: the order they open in, where a parent picks up, what a module's activity
needs to complete, and completing it (the eighth completes the e-learning)."""

from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Any, Literal

from learning.content import MODULE_COUNT, Activity
from learning.domain.base import UnitOfWork, course_closed, event_ids, known_enrolment
from ptfc.events import LearningCompleted, ModuleCompleted
from ptfc.refusals import Refused

ModuleStatus = Literal["completed", "in_progress", "available", "locked"]


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

    def feedback(self) -> list[dict[str, Any]]:
        """Each item's feedback (`schemas.ItemFeedback`), as a refusal's problem carries it."""
        return [asdict(r) for r in self.results]


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


def refuse_unless_open(enrolment: dict[str, Any], number: int, now: datetime) -> None:
    if reason := refusal(enrolment["status"], enrolment["modules_completed"], number, enrolment["deadline"], now):
        raise course_closed(reason, enrolment["deadline"])


def grade(activity: Activity, answers: dict[str, str]) -> Verdict:
    """The activity's verdict; refused unless it passed (the feedback says what to look at again)."""
    verdict = check_activity(activity, answers)
    if verdict.unknown:
        raise Refused("answers-unknown", unknown=verdict.unknown)
    if verdict.missing:
        raise Refused("answers-missing", missing=verdict.missing, feedback=verdict.feedback())
    if not verdict.passed:
        raise Refused("answers-incorrect", feedback=verdict.feedback())
    return verdict


async def complete_module(uow: UnitOfWork, enrolment_id: str, number: int) -> tuple[int, bool]:
    """Complete module `number` (its activity passed): modules complete in order, once each, and the
    eighth completes the e-learning. Returns the modules completed, and whether this one already was."""
    enrolment = await known_enrolment(uow, enrolment_id)
    now = uow.now()
    refuse_unless_open(enrolment, number, now)
    if number <= enrolment["modules_completed"]:
        return enrolment["modules_completed"], True
    enrolment["modules_completed"] = number
    enrolment["completed_at"][str(number)] = now
    finished = number == MODULE_COUNT
    if finished:
        enrolment |= {"status": "completed", "learning_completed_at": now, "reminder_due": None}
    await uow.save_enrolment(enrolment)
    ids, referral_id = event_ids(enrolment), enrolment["referral_id"]
    await uow.emit(ModuleCompleted(**ids, module=number, modules_completed=number), referral_id)
    if finished:
        await uow.emit(LearningCompleted(**ids, completed_at=now), referral_id)
    return number, False
