"""Request and response bodies. Responses are explicit models so no stored field leaks by accident:
no view carries a parent's email, phone or address (the service does not keep them: the provider's
heads-up email from notifications carries them); the provider's worklist holds one parent per row."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, Field, StrictBool, field_validator, model_validator

from ptfc.events import Availability, ContactChangeReason, Language
from ptfc.models import NO_CONTROLS, Request, examples, integer, line
from referrals.domain import ROUTABLE_REGIONS, ParticipantStatus, ReferralStatus

Email = Annotated[str, Field(min_length=3, max_length=254, pattern=r"^[^@\s<>,;:\"]+@[^@\s<>,;:\"]+\.[^@\s<>,;:\"]+$")]
Name = line(1, 100)
Phone = Annotated[str, Field(min_length=7, max_length=20, pattern=r"^\+?[0-9 ()-]{7,20}$")]


class Adjustments(Request):
    interpreter: line(1, 60) | None = None  # type: ignore[valid-type]  # a language, or BSL
    in_person: StrictBool = False
    support_needs: Annotated[str, Field(max_length=1000)] = ""


class Parent(Request):
    given_name: Name
    family_name: Name
    email: Email
    phone: Phone
    preferred_language: Language = "en"
    gender: line(1, 40) | None = None  # type: ignore[valid-type]
    adjustments: Adjustments = Adjustments()
    availability: Annotated[list[Availability], Field(max_length=3)] = []

    @field_validator("availability")
    @classmethod
    def distinct(cls, value: list[str]) -> list[str]:
        return list(dict.fromkeys(value))


class Fca(Request):
    name: line(1, 200)  # type: ignore[valid-type]
    email: Email


class Child(Request):
    age: integer(ge=0, le=17)  # type: ignore[valid-type]


class NewReferral(Request):
    # The form is documented here and checked by the domain, which answers `invalid-case-number`.
    case_number: Annotated[
        str, Field(min_length=1, max_length=20, json_schema_extra={"pattern": "^[A-Za-z]{2}[0-9]{2}[A-Za-z][0-9]{5}$"})
    ]
    court: line(2, 200)  # type: ignore[valid-type]
    court_email: Email | None = None
    source: Literal["court_order", "fca_request"]
    stage: Literal["before_first_hearing", "first_hearing", "after_first_hearing"]
    # No defaults: a partner must say so, never be assumed. The schema says `false`, the only value
    # a referral is taken with; `true` is refused by the intake rules with its own problem type.
    court_declined: Annotated[
        StrictBool, Field(description="`true` is refused: 422 `court-declined`.", json_schema_extra={"enum": [False]})
    ]
    safeguarding_concerns: Annotated[
        StrictBool,
        Field(description="`true` is refused: 422 `safeguarding-concerns`.", json_schema_extra={"enum": [False]}),
    ]
    # The places the rules route, compared without case, punctuation or accents (`&` is `and`):
    # published as such, with the routable places listed (not an `enum`, which would be a promise to
    # refuse `Greater Manchester`); the rest is refused with its own problem type.
    region: Annotated[
        str,
        Field(
            min_length=2,
            max_length=100,
            pattern=NO_CONTROLS,
            description=(
                "An English region, county or city the course is routed by, compared without case, punctuation "
                "or accents (`Greater Manchester`, `greater-manchester` and `greater manchester` are one place; "
                "`&` reads as `and`). The places routed are listed in `x-routable-regions`. Refused: Welsh "
                "places, in English or Welsh (422 `wales-out-of-scope`), areas two providers share (422 "
                "`region-ambiguous`), places outside England (422 `region-not-in-england`), others (422 "
                "`region-unknown`)."
            ),
            examples=["greater manchester", "Kent", "Birmingham"],
            json_schema_extra={"x-routable-regions": list(ROUTABLE_REGIONS)},
        ),
    ]
    fca: Fca
    parents: Annotated[list[Parent], Field(min_length=1, max_length=2)]
    children: Annotated[list[Child], Field(min_length=1, max_length=20)]

    model_config = examples(
        {
            "case_number": "MA24P00123",
            "court": "Manchester Civil Justice Centre",
            "source": "court_order",
            "stage": "first_hearing",
            "court_declined": False,
            "safeguarding_concerns": False,
            "region": "greater manchester",
            "fca": {"name": "Sam Patel", "email": "sam.patel@cafcass.example"},
            "parents": [
                {
                    "given_name": "Alex",
                    "family_name": "Jones",
                    "email": "alex@example.org",
                    "phone": "07700900001",
                    "preferred_language": "en",
                    "availability": ["evening", "weekend"],
                }
            ],
            "children": [{"age": 6}, {"age": 9}],
        }
    )


class Withdrawal(Request):
    reason: Annotated[str, Field(min_length=1, max_length=500)]

    model_config = examples({"reason": "The court discharged the order."})


class Reorder(Request):
    reason: Annotated[str, Field(max_length=500)] = ""

    model_config = examples({"reason": "Ordered again at the hearing on 2 March."})


class ContactChangeRequest(Request):
    """A parent's new email and/or phone, with why: the FCA's explicit, audited change."""

    email: Email | None = None
    phone: Phone | None = None
    reason: ContactChangeReason

    @model_validator(mode="after")
    def something(self) -> "ContactChangeRequest":
        if self.email is None and self.phone is None:
            raise ValueError("give the new email, the new phone, or both")
        return self

    model_config = examples({"email": "alex.new@example.org", "reason": "parent_asked"})


# ---- answers -------------------------------------------------------------------------------


class CreatedParticipant(BaseModel):
    participant_id: str
    given_name: str
    family_name: str


class Created(BaseModel):
    id: str
    case_number: str
    provider: str
    status: ReferralStatus
    participants: list[CreatedParticipant]


class TimelineEntry(BaseModel):
    at: datetime
    event: str
    cycle: int
    detail: dict[str, str | int | bool | None] = {}


class OutcomeView(BaseModel):
    result: Literal["completed", "incomplete"]
    reason: str | None = None
    decided_at: datetime


class PastCycle(BaseModel):
    cycle: int
    started_at: datetime
    outcome: OutcomeView | None


class ParticipantView(BaseModel):
    participant_id: str
    given_name: str
    family_name: str
    preferred_language: Language
    cycle: int
    status: ParticipantStatus
    modules_completed: int
    modules_total: int
    contacted_at: datetime | None
    outcome: OutcomeView | None
    past_cycles: list[PastCycle]
    timeline: list[TimelineEntry]


class ContactChanged(BaseModel):
    """The audit record of a contact change: who, when, why, and what changed (never the details)."""

    participant_id: str
    by: str
    at: datetime
    reason: ContactChangeReason
    email_changed: bool
    phone_changed: bool


class ReferralView(BaseModel):
    id: str
    case_number: str
    court: str
    source: str
    stage: str
    region: str
    provider: str
    fca_name: str
    status: ReferralStatus
    created_at: datetime
    withdrawn_at: datetime | None = None
    withdrawal_reason: str | None = None
    children_ages: list[int]
    participants: list[ParticipantView]
    contact_changes: list[ContactChanged] = []


class ParticipantSummary(BaseModel):
    participant_id: str
    cycle: int
    status: ParticipantStatus


class ReferralSummary(BaseModel):
    id: str
    case_number: str
    court: str
    provider: str
    status: ReferralStatus
    created_at: datetime
    participants: list[ParticipantSummary]


class ContactDue(BaseModel):
    """One parent to call, with what the call needs; their email and phone are in the heads-up email
    notifications sent the provider (only notifications keeps contact details). Never the co-parent."""

    participant_id: str
    referral_id: str
    cycle: int
    given_name: str
    family_name: str
    preferred_language: Language
    interpreter: str | None
    in_person: bool
    support_needs: str
    availability: list[Availability]
    due_at: datetime


class Contacted(BaseModel):
    participant_id: str
    contacted_at: datetime


class Reordered(BaseModel):
    participant_id: str
    cycle: int
    status: ParticipantStatus
