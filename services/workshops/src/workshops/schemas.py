"""Request bodies: every field typed and bounded, unknown fields refused."""

from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field, StrictBool

from ptfc.events import Language
from ptfc.models import DateTime, Integer, examples, integer

Id = Annotated[str, Field(min_length=1, max_length=100)]
Text = Annotated[str, Field(min_length=1, max_length=200)]
Format = Literal["online", "in_person"]
Pattern = Literal["daytime", "weekend", "two_evenings"]
Category = Literal["child_at_risk", "adult_at_risk", "domestic_abuse", "self_harm", "other"]


class Strict(BaseModel):
    model_config = ConfigDict(extra="forbid")


class Venue(Strict):
    name: Text
    address: Annotated[str, Field(min_length=1, max_length=400)]
    postcode: Annotated[str, Field(pattern=r"^[A-Za-z]{1,2}[0-9][A-Za-z0-9]? ?[0-9][A-Za-z]{2}$")]


class Part(Strict):
    starts_at: DateTime
    ends_at: DateTime


VideoLink = Annotated[str, Field(pattern=r"^https://[^\s]+$", max_length=500)]
Interpreters = Annotated[list[Annotated[str, Field(min_length=1, max_length=40)]], Field(max_length=10)]
Facilitators = Annotated[list[Id], Field(min_length=1, max_length=10)]


# The schema says at most 6 (the group size rule); 7 to 1000 pass validation so that the rules
# refuse them with their own reason (`capacity-too-large`), as they do any other size rule.
Capacity = integer(ge=1, le=1000, json_schema_extra={"maximum": 6})


class SessionIn(Strict):
    format: Format
    video_link: VideoLink | None = None
    venue: Venue | None = None
    pattern: Pattern
    parts: Annotated[list[Part], Field(min_length=1, max_length=4)]
    capacity: Capacity = 6  # type: ignore[valid-type]
    language: Language = "en"
    interpreters: Interpreters = []
    facilitators: Facilitators

    model_config = examples(
        {
            "format": "online",
            "video_link": "https://meet.example/ptfc-123",
            "pattern": "daytime",
            "parts": [
                {"starts_at": "2030-03-04T09:30:00Z", "ends_at": "2030-03-04T10:45:00Z"},
                {"starts_at": "2030-03-04T11:00:00Z", "ends_at": "2030-03-04T12:15:00Z"},
            ],
            "capacity": 6,
            "language": "en",
            "facilitators": ["fac-jo"],
        }
    )


class SessionPatch(Strict):
    """Only what may change; the parts only while nobody is booked."""

    video_link: VideoLink | None = None
    venue: Venue | None = None
    parts: Annotated[list[Part], Field(min_length=1, max_length=4)] | None = None
    capacity: Capacity | None = None  # type: ignore[valid-type]
    interpreters: Interpreters | None = None
    facilitators: Facilitators | None = None

    model_config = examples({"capacity": 5, "interpreters": ["Polish"]})


class BookIn(Strict):
    session_id: Annotated[str, Field(min_length=1, max_length=24)]

    model_config = examples({"session_id": "6650f0c2a1b2c3d4e5f60718"})


class WaitIn(Strict):
    patterns: Annotated[list[Pattern], Field(min_length=1, max_length=3)]
    formats: Annotated[list[Format], Field(min_length=1, max_length=2)]

    model_config = examples({"patterns": ["daytime", "weekend"], "formats": ["online"]})


class ConsentIn(Strict):
    consent: StrictBool

    model_config = examples({"consent": True})


class AttendanceIn(Strict):
    participant_id: Id
    part: Literal[1, 2]
    status: Literal["attended", "missed", "left_early"]

    model_config = examples({"participant_id": "6650f0c2a1b2c3d4e5f60719", "part": 1, "status": "attended"})


class ConcernIn(Strict):
    participant_id: Id
    category: Category
    details: Annotated[str, Field(min_length=1, max_length=5000)]

    model_config = examples(
        {
            "participant_id": "6650f0c2a1b2c3d4e5f60719",
            "category": "child_at_risk",
            "details": "What was said, when and by whom.",
        }
    )


class AssignIn(Strict):
    facilitator: Id  # a facilitator named on one of the provider's sessions

    model_config = examples({"facilitator": "fac-jo"})


class FollowupOutcomeIn(Strict):
    reached: StrictBool
    answers: dict[Annotated[str, Field(max_length=40)], Integer] | None = Field(default=None, max_length=20)

    model_config = examples({"reached": False})
