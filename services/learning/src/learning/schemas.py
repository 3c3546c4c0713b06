"""Request and response bodies. Responses are explicit models: no field reaches a caller by
accident, and none carries contact details (the learning service holds none)."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StringConstraints

from learning.content import Module, Video
from learning.domain import ModuleStatus
from ptfc.models import Request, examples, integer
from ptfc.programme import LANGUAGES
from ptfc.programme import Language as Language  # the routes' `?lang=` and response fields use it

Status = Literal["active", "completed", "withdrawn", "missed", "superseded"]

# ---- requests --------------------------------------------------------------------------------


class Activate(Request):
    token: str = Field(min_length=1, max_length=200)

    model_config = examples({"token": "the-token-from-the-link"})


class SessionSecret(Request):
    """The hub's hold on a parent's session: it gets a fresh short token with it, or ends it."""

    refresh_token: str = Field(min_length=1, max_length=200)

    model_config = examples({"refresh_token": "the-refresh-token-from-activation-or-sign-in"})


class SignIn(Request):
    email: str = Field(
        min_length=3,
        max_length=320,
        pattern=r"^[^@\s]+@[^@\s]+$",
        description="The address the welcome letter was sent to.",
    )

    model_config = examples({"email": "alex@example.org"})


class Progress(Request):
    section: integer(ge=1, le=50, description="The section (from 1) the parent has reached.")  # type: ignore[valid-type]

    model_config = examples({"section": 3})


ItemId = Annotated[str, StringConstraints(min_length=1, max_length=40, pattern=r"^[A-Za-z0-9_-]+$")]
Answer = Annotated[str, StringConstraints(max_length=4000)]


class Completion(Request):
    answers: dict[ItemId, Answer] = Field(
        default_factory=dict,
        max_length=20,
        description="Quiz: question id → option id. Reflection: prompt id → the parent's words (not kept).",
        # Pydantic documents the key pattern as `patternProperties`, which leaves other keys open:
        # say what is checked, that every key matches and every value is a string.
        json_schema_extra={
            "propertyNames": {"minLength": 1, "maxLength": 40, "pattern": "^[A-Za-z0-9_-]+$"},
            "additionalProperties": False,
        },
    )

    model_config = examples({"answers": {"q1": "b", "q2": "a"}})


class Extension(Request):
    days: integer(ge=1, le=30)  # type: ignore[valid-type]
    reason: str = Field(min_length=1, max_length=500)

    model_config = examples({"days": 5, "reason": "The parent was in hospital."})


# ---- content ---------------------------------------------------------------------------------


class ModuleSummary(BaseModel):
    number: int
    title: str
    minutes: int
    summary: str
    language: str


class OptionView(BaseModel):
    id: str
    text: str


class QuestionView(BaseModel):
    id: str
    text: str
    options: list[OptionView]


class PromptView(BaseModel):
    id: str
    text: str
    hint: str


class ActivityView(BaseModel):
    kind: Literal["quiz", "reflection"]
    intro: str
    questions: list[QuestionView]
    prompts: list[PromptView]
    closing: str  # said once the module is complete, in the language asked for (the hub's "done" page)


class SectionView(BaseModel):
    number: int
    heading: str
    body: str


class MediaFile(BaseModel):
    file: str  # `GET /modules/{number}/media/{file}` serves it to a parent
    type: str


class Captions(MediaFile):
    language: Language


class VideoView(BaseModel):
    """A module's film: its files (WebM and/or MP4, in the order to offer them), WebVTT captions in
    every language of the course, and the transcript (Markdown) in the language asked for."""

    title: str
    sources: list[MediaFile]
    captions: list[Captions]
    transcript: str

    @classmethod
    def of(cls, v: Video) -> "VideoView":
        files = v.files
        return cls(
            title=v.title,
            sources=[MediaFile(file=f, type=files[f][1]) for f in v.films],
            captions=[Captions(file=f"captions.{lang}.vtt", type="text/vtt", language=lang) for lang in LANGUAGES],
            transcript=v.transcript,
        )


class ModuleView(ModuleSummary):
    objectives: list[str]
    sections: list[SectionView]
    activity: ActivityView
    video: VideoView | None  # a short film with captions and transcript, where the module has one

    @classmethod
    def of(cls, m: Module) -> "ModuleView":
        a = m.activity
        return cls(
            number=m.number,
            title=m.title,
            minutes=m.minutes,
            summary=m.summary,
            language=m.language,
            objectives=m.objectives,
            sections=[SectionView(number=i, heading=s.heading, body=s.body) for i, s in enumerate(m.sections, 1)],
            activity=ActivityView(
                kind=a.kind,
                intro=a.intro,
                # The right answers stay on the server.
                questions=[
                    QuestionView(id=q.id, text=q.text, options=[OptionView(id=o.id, text=o.text) for o in q.options])
                    for q in a.questions
                ],
                prompts=[PromptView(id=p.id, text=p.text, hint=p.hint) for p in a.prompts],
                closing=a.closing,
            ),
            video=VideoView.of(m.video) if m.video else None,
        )


# ---- the parent's own course -------------------------------------------------------------------


class AccessToken(BaseModel):
    """A parent's bearer token: short-lived (`expires_in` seconds, a minute at most), refreshed from
    the session until it ends (`session_expires_at` at the latest)."""

    access_token: str
    token_type: Literal["bearer"] = "bearer"
    expires_in: int
    session_expires_at: datetime


class Session(AccessToken):
    """What activation and sign-in answer: the token, and the session's secret to refresh it with
    (`POST /sessions/refresh`) and to end it at sign-out (`POST /sessions/end`). Neither is ever
    kept with an Idempotency-Key's answer."""

    refresh_token: str
    enrolment_id: str


class SignInRequested(BaseModel):
    message: str


class ModuleProgress(BaseModel):
    number: int
    title: str
    minutes: int
    status: ModuleStatus
    section: int | None  # the section reached, for a module started
    sections: int
    completed_at: datetime | None


class Resume(BaseModel):
    module: int
    section: int


class EarlierCycle(BaseModel):
    """A course the court ordered before this one: its record is kept, and the parent sees it."""

    cycle: int
    status: Status  # how it ended: completed, missed (the deadline passed), withdrawn, superseded
    modules_completed: int
    deadline: datetime
    completed_at: datetime | None


class Course(BaseModel):
    enrolment_id: str
    cycle: int
    status: Status
    language: Language  # from the referral: the Parent Hub shows its pages in it
    provider: str  # who runs this parent's course (a public organisation), so the hub can show how to reach it
    deadline: datetime
    days_left: int
    seconds_left: int
    modules_completed: int
    resume: Resume | None
    completed_at: datetime | None
    modules: list[ModuleProgress]
    # The referral was withdrawn: nothing more is asked of this parent (also once the e-learning
    # was completed, whose status stays).
    withdrawn: bool = False
    # The FCA gave more time: the deadline above is the extended one (the hub says so).
    extended: bool = False
    # The e-learning of the courses ordered before this one (a re-order), oldest first.
    earlier: list[EarlierCycle] = []


class ItemFeedback(BaseModel):
    id: str
    correct: bool | None
    feedback: str


class CompletionResult(BaseModel):
    module: int
    modules_completed: int
    learning_completed: bool
    already_completed: bool
    feedback: list[ItemFeedback]
    message: str
    next_module: int | None


# ---- what an FCA or provider sees ----------------------------------------------------------------


class ExtensionView(BaseModel):
    days: int
    reason: str
    deadline: datetime
    at: datetime


class CompletedModule(BaseModel):
    number: int
    completed_at: datetime


class EnrolmentView(BaseModel):
    enrolment_id: str
    referral_id: str
    participant_id: str
    cycle: int
    provider: str
    status: Status
    activation: Literal["pending", "expired", "activated"]
    activated_at: datetime | None
    issued_at: datetime
    deadline: datetime
    modules_completed: int
    modules: list[CompletedModule]
    learning_completed_at: datetime | None
    extensions: list[ExtensionView]


class LinkIssued(BaseModel):
    enrolment_id: str
    expires_at: datetime
    deadline: datetime


class Extended(BaseModel):
    enrolment_id: str
    deadline: datetime
    days: int
    reason: str
