"""Stored enrolments → response models; only the fields each audience needs are copied across."""

from datetime import datetime
from typing import Any

from learning import content, domain
from learning.schemas import (
    AccessToken,
    CompletedModule,
    CompletionResult,
    Course,
    EarlierCycle,
    EnrolmentView,
    Extended,
    ExtensionView,
    ItemFeedback,
    LinkIssued,
    ModuleProgress,
    Resume,
    Session,
)
from ptfc.auth import issue_token


def access_token(settings: Any, session: dict[str, Any]) -> AccessToken:
    """A short bearer token for the parent of this session, never outliving it."""
    ttl = settings.parent_access_ttl
    return AccessToken(
        access_token=issue_token(
            settings.jwt_private_key,
            "parent",
            session["participant_id"],
            ttl=ttl,
            issuer=settings.parent_token_issuer,
        ),
        expires_in=int(ttl.total_seconds()),
        session_expires_at=session["expires_at"],
    )


def session(settings: Any, enrolment: dict[str, Any], secret: str, record: dict[str, Any]) -> Session:
    """What activation and sign-in answer: a token, and the session's secret for the hub to keep."""
    token = access_token(settings, record)
    return Session(**token.model_dump(), refresh_token=secret, enrolment_id=str(enrolment["_id"]))


def module_progress(enrolment: dict[str, Any], m: content.Module) -> ModuleProgress:
    completed, positions = enrolment["modules_completed"], enrolment["positions"]
    return ModuleProgress(
        number=m.number,
        title=m.title,
        minutes=m.minutes,
        status=domain.module_status(m.number, completed, positions),
        section=positions.get(str(m.number)),
        sections=len(m.sections),
        completed_at=enrolment["completed_at"].get(str(m.number)),
    )


def course(e: dict[str, Any], now: datetime, earlier: list[dict[str, Any]] | None = None) -> Course:
    deadline = e["deadline"]
    resume = domain.resume_point(e["modules_completed"], e["positions"]) if e["status"] == "active" else None
    return Course(
        enrolment_id=str(e["_id"]),
        cycle=e["cycle"],
        status=e["status"],
        language=e["language"],
        provider=e["provider"],
        deadline=deadline,
        days_left=domain.days_left(deadline, now),
        seconds_left=max(0, int((deadline - now).total_seconds())),
        modules_completed=e["modules_completed"],
        resume=Resume(module=resume[0], section=resume[1]) if resume else None,
        completed_at=e["learning_completed_at"],
        modules=[module_progress(e, m) for m in content.course(e["language"])],
        withdrawn=e.get("withdrawn_at") is not None,
        extended=bool(e.get("extensions")),
        earlier=[
            EarlierCycle(
                cycle=o["cycle"],
                status=o["status"],
                modules_completed=o["modules_completed"],
                deadline=o["deadline"],
                completed_at=o["learning_completed_at"],
            )
            for o in earlier or []
        ],
    )


def completion(number: int, done: int, already: bool, verdict: domain.Verdict, m: content.Module) -> CompletionResult:
    return CompletionResult(
        module=number,
        modules_completed=done,
        learning_completed=done == content.MODULE_COUNT,
        already_completed=already,
        feedback=[ItemFeedback(**item) for item in verdict.feedback()],
        message=m.activity.closing,
        next_module=number + 1 if number < content.MODULE_COUNT else None,
    )


def enrolment(e: dict[str, Any], now: datetime) -> EnrolmentView:
    if e["activated_at"]:
        activation = "activated"
    elif e["link_expires_at"] and now >= e["link_expires_at"]:
        activation = "expired"
    else:
        activation = "pending"
    return EnrolmentView(
        **domain.event_ids(e),
        provider=e["provider"],
        status=e["status"],
        activation=activation,
        activated_at=e["activated_at"],
        issued_at=e["issued_at"],
        deadline=e["deadline"],
        modules_completed=e["modules_completed"],
        modules=[CompletedModule(number=int(n), completed_at=at) for n, at in sorted(e["completed_at"].items())],
        learning_completed_at=e["learning_completed_at"],
        extensions=[ExtensionView(**x) for x in e["extensions"]],
    )


def link_issued(e: dict[str, Any]) -> LinkIssued:
    return LinkIssued(enrolment_id=str(e["_id"]), expires_at=e["link_expires_at"], deadline=e["deadline"])


def extended(e: dict[str, Any]) -> Extended:
    last = e["extensions"][-1]
    return Extended(enrolment_id=str(e["_id"]), deadline=e["deadline"], days=last["days"], reason=last["reason"])
