"""Request and response bodies. Responses are explicit models: a party is shown by the display
name it chose and its role, never by a participant id, email or phone."""

from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, Field, StringConstraints

from plans.content import TOPICS, Language
from ptfc.models import Request, examples, integer

Name = Annotated[str, StringConstraints(min_length=1, max_length=60, pattern=r"^[^\x00-\x1f<>]+$")]
# Free text may hold line breaks and tabs, but no other control character: Word files cannot hold them.
Text = Annotated[str, StringConstraints(max_length=5000, pattern=r"^[^\x00-\x08\x0b\x0c\x0e-\x1f\x7f]*$")]
TopicKey = Literal[tuple(TOPICS)]  # type: ignore[valid-type]
Who = Literal["owner", "invitee"]
Payer = Literal["owner", "invitee", "shared"]
Where = Literal["owner", "invitee", "both"]

# ---- requests --------------------------------------------------------------------------------


class Child(Request):
    name: Name = Field(description="A first name or nickname: nothing more is needed.")
    age: integer(ge=0, le=18)  # type: ignore[valid-type]


class NewPlan(Request):
    display_name: Name = Field(description="How the other parent will see you in this plan.")
    language: Language = "en"
    children: list[Child] = Field(min_length=1, max_length=10)
    topics: list[TopicKey] = Field(min_length=1, max_length=len(TOPICS))

    model_config = examples(
        {"display_name": "Alex", "language": "en", "children": [{"name": "Sam", "age": 7}], "topics": ["pets"]}
    )


class MoreTopics(Request):
    topics: list[TopicKey] = Field(min_length=1, max_length=len(TOPICS))

    model_config = examples({"topics": ["pets"]})


class Week(Request):
    mon: Where
    tue: Where
    wed: Where
    thu: Where
    fri: Where
    sat: Where
    sun: Where


class ChildWeek(Request):
    child: Name
    nights: Week = Field(description="Where the child sleeps each night of a normal week.")


class PocketMoney(Request):
    child: Name
    pence_per_week: integer(ge=0, le=100_000)  # type: ignore[valid-type]
    paid_by: Payer


class Pet(Request):
    name: Name
    kind: Name
    kept_by: Payer


class Proposal(Request):
    """Wording for one topic: free text, and the topic's structured field where it has one."""

    text: Text = ""
    weekly_pattern: list[ChildWeek] | None = Field(None, max_length=10)
    pocket_money: list[PocketMoney] | None = Field(None, max_length=10)
    pets: list[Pet] | None = Field(None, max_length=20)
    language: Language | None = Field(None, description="The language the words are written in (else yours).")

    def content(self) -> dict[str, Any]:
        return self.model_dump(mode="json", exclude_none=True, exclude_defaults=False, exclude={"language"})

    model_config = examples(
        {
            "text": "Sam sees both parents every week and we swap at school.",
            "pets": [{"name": "Rex", "kind": "dog", "kept_by": "owner"}],
        }
    )


class Acceptance(Request):
    version: integer(ge=1, description="The version you read and accept; a newer one must be read first.")  # type: ignore[valid-type]

    model_config = examples({"version": 1})


class SetAside(Request):
    version: integer(ge=1, description="The version you read; a newer one is not set aside unread.") | None = None  # type: ignore[valid-type]

    model_config = examples({"version": 2})


class ReplyEmails(Request):
    on: bool = Field(description="Email me (at most once a day) when my co-parent replies in this plan.")

    model_config = examples({"on": False})


class Share(Request):
    to: Literal["co_parent", "email", "fca"] = Field(
        "co_parent",
        description="`co_parent`: your co-parent on the programme (we know them from the referral); "
        "`email`: someone else, at `email`; `fca`: your Cafcass adviser, read only.",
    )
    email: str | None = Field(
        None, min_length=3, max_length=320, pattern=r"^[^@\s\x00-\x1f<>,;]+@[^@\s\x00-\x1f<>,;]+\.[^@\s\x00-\x1f<>,;]+$"
    )

    model_config = examples({"to": "co_parent"})


class Join(Request):
    token: str = Field(min_length=1, max_length=200, description="The token from the invitation link.")
    display_name: Name
    language: Language | None = Field(None, description="The language you read and write in (else the plan's).")

    model_config = examples({"token": "the-token-from-the-invitation-link", "display_name": "Chris"})


# ---- responses -------------------------------------------------------------------------------


class TopicView(BaseModel):
    key: str
    title: str
    guidance: str
    prompts: list[str]
    field: str | None = Field(description="The structured field this topic takes, if any.")


class PartyView(BaseModel):
    display_name: str
    role: Who
    you: bool


class ItemView(BaseModel):
    topic: str
    title: str
    status: Literal["open", "proposed", "agreed", "not_agreed"]
    version: int
    content: dict[str, Any] | None
    proposed_by: str | None = Field(description="The display name of who proposed this version.")
    proposed_at: datetime | None
    accepted_by: list[str]
    waiting_for_you: bool
    content_language: Language | None = Field(
        None, description="The language the proposal's words were written in: they are shown as written."
    )
    written_in: str | None = Field(
        None, description="'Written in Polish', in the reader's language, when the words are not in it."
    )
    details: list[str] = Field(
        default_factory=list,
        description="The structured fields in the reader's language ('Rex (dog): kept by Dad').",
    )


class PlanView(BaseModel):
    id: str
    language: Language
    status: Literal["open", "agreed"]
    revision: int = Field(description="Grows with every change: the plan's version.")
    children: list[dict[str, Any]]
    parties: list[PartyView] = Field(description="Those taking part now.")
    left: list[str] = Field(description="The display names of those who left the plan.")
    invited_until: datetime | None = Field(
        None, description="While a parent is still to join: when the newest invitation runs out (it may have)."
    )
    items: list[ItemView]
    shared_with_fca: bool
    created_at: datetime
    agreed_at: datetime | None
    reading: Language = Field(description="The language this answer is written in (`?lang=`, else the reader's).")
    in_words: dict[str, str | None] = Field(
        default_factory=dict,
        description="For people, in `reading`: `changes` ('Changed 3 times'), `agreed` ('2 of 6 topics "
        "agreed'), `agreed_on` (the date in words, once agreed).",
    )
    reply_emails: bool | None = Field(
        None, description="Whether you are emailed (at most once a day) when your co-parent replies; None for an FCA."
    )


class Started(BaseModel):
    plan: PlanView
    party_token: str | None = Field(
        None, description="Only for someone without a Parent Hub account, shown this once: keep it safe."
    )
    owner_link: str | None = None


CO_PARENT_PLAN_EMAILED = (
    "Your co-parent has already started a plan and shared it with you. We have emailed you a new "
    "link to see what they proposed: open it to reply to each proposal."
)
CO_PARENT_PLAN_KEPT = (
    "Your co-parent has already started a plan and shared it with you. The link we emailed you "
    "recently still works until the time given: open it to reply to each proposal."
)
INVITATION_EMAILED = "We have emailed the invitation. Its link works until the time given."
INVITATION_KEPT = (
    "An invitation was sent recently; it still works until the time given. We do not send another within a day."
)


class CoParentPlan(BaseModel):
    """Answered (202) instead of a new plan when the co-parent already started one and shared it."""

    co_parent_plan: Literal[True] = True
    message: str = CO_PARENT_PLAN_EMAILED
    expires_at: datetime


class Invited(BaseModel):
    invitation_id: str | None = None
    expires_at: datetime | None = None
    shared_with: Literal["co_parent", "email", "fca"]
    emailed: bool = Field(
        False,
        description="False when an invitation sent recently to the same person for this plan still works: "
        "it is kept, and no other email is sent within a day",
    )
    message: str = ""


class Joined(BaseModel):
    plan_id: str
    party_token: str | None = Field(None, description="For someone without a Parent Hub account, shown this once.")


class Left(BaseModel):
    plan_id: str
    left: Literal[True] = True


class HistoryEntry(BaseModel):
    at: datetime
    by: str | None
    action: str
    topic: str | None = None
    version: int | None = None
    status: str | None = None
    content: dict[str, Any] | None = None
    diff: list[dict[str, Any]] | None = None
    topics: list[str] | None = Field(None, description="The topics a plan started with, or that were added.")
    title: str | None = Field(None, description="The topic's title in the reader's language.")
    language: Language | None = Field(None, description="The language a proposal's words were written in.")
    written_in: str | None = None
    invitee: Literal["co_parent", "email"] | None = Field(None, description="Whom a share invited (never an address).")


class PlanSummary(BaseModel):
    id: str
    status: str
    revision: int
    created_at: datetime
    shared: bool = Field(
        False, description="Shared with the co-parent: an invitation sent, or a second parent in the plan."
    )


class ChildSection(BaseModel):
    topic: str
    title: str
    words: str = Field(description="Warm words for the child's age band.")
    details: list[str] = Field(description="What was agreed, in simple lines.")


class Night(BaseModel):
    day: Literal["mon", "tue", "wed", "thu", "fri", "sat", "sun"]
    day_name: str
    day_short: str = Field(description="The day abbreviated (Babel), for a week on a phone.")
    home: str = Field(description="Whose home, by the name the parent chose (or both parents).")
    role: Where


class ChildWeekView(BaseModel):
    child: str
    heading: str
    nights: list[Night]


class ChildView(BaseModel):
    title: str
    language: Language
    age_band: Literal["under_8", "8_12", "13_plus"]
    children: list[str] = Field(description="The children's names, as the parents wrote them.")
    weeks: list[ChildWeekView] = Field(description="Per child, which home each night (an agreed weekly pattern).")
    sections: list[ChildSection]
    note: str | None = None
