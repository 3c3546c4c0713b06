"""Rules of referral intake, routing, following a parent and the court-facing outcome, with no I/O.

The write rules at the end work on stored documents through a `UnitOfWork` (store.py gives the
MongoDB one, tests an in-memory one), so every state change is here and tested without servers."""

import re
import unicodedata
from dataclasses import asdict, dataclass, fields, replace
from datetime import datetime, timedelta
from typing import Any, Literal, Protocol

from ptfc.events import (
    ActivationOverdue,
    ContactChange,
    CourseCompleted,
    CourseIncomplete,
    EventData,
    ParticipantContact,
    ReferralContactChanged,
    ReferralCreated,
    ReferralKeys,
    ReferralReordered,
    ReferralWithdrawn,
    seal_participants,
)
from ptfc.lookup import email_key as email_key_of
from ptfc.programme import MODULES, PROVIDERS
from ptfc.refusals import Refused as Refused  # re-exported: the rules raise these, refusals.py words them
from ptfc.refusals import Unknown as Unknown
from ptfc.sealing import seal

ACTION_FOR_CHILDREN, FAMILY_ACTION_SLUG = PROVIDERS
CASE_NUMBER = re.compile(r"^[A-Z]{2}[0-9]{2}[A-Z][0-9]{5}$")  # ASCII only: \d matches any script's digits
PARTNER_IN_WALES = "Cafcass Cymru runs Working Together for Children (WT4C) for separated parents in Wales."

ReferralStatus = Literal["active", "completed", "incomplete", "withdrawn"]
ParticipantStatus = Literal[
    "referred",
    "invited",
    "elearning_in_progress",
    "elearning_complete",
    "workshop_booked",
    "workshop_rebooking",
    "completed",
    "incomplete",
]


# ---- the routing table -------------------------------------------------------------------------
# Keys are `place_key`s. Family Action delivers in the areas the SPEC lists (with the boroughs and
# towns inside them, so a caseworker can type either); Action for Children everywhere else in England.


def _places(text: str) -> frozenset[str]:
    return frozenset(k.strip() for k in text.split("|"))


FAMILY_ACTION = _places(
    """greater manchester|manchester|salford|bolton|bury|oldham|rochdale|stockport|tameside|trafford|wigan
    |south yorkshire|sheffield|rotherham|doncaster|barnsley|west yorkshire|leeds|bradford|wakefield|kirklees
    |huddersfield|calderdale|halifax|dewsbury|liverpool|merseyside|knowsley|sefton|st helens|wirral|southport
    |birkenhead|chester|crewe|chester and crewe|cheshire|cheshire east|cheshire west and chester|warrington|halton
    |widnes|runcorn|macclesfield|essex|chelmsford|colchester|southend|southend on sea|basildon|thurrock|harlow
    |suffolk|ipswich|bury st edmunds|lowestoft|essex and suffolk|reading|guildford|reading and guildford"""
)

OTHER_ENGLAND = _places(
    """north east|east midlands|west midlands|london|greater london|south west
    |northumberland|tyne and wear|newcastle|newcastle upon tyne|sunderland|gateshead|county durham|durham
    |middlesbrough|teesside|darlington|hartlepool|stockton on tees|cumbria|carlisle|cumberland|westmorland
    |lancashire|preston|blackpool|blackburn|burnley|lancaster|north yorkshire|york|harrogate|scarborough
    |east riding of yorkshire|east yorkshire|hull|kingston upon hull|humberside|grimsby|scunthorpe
    |lincolnshire|lincoln|nottinghamshire|nottingham|derbyshire|derby|leicestershire|leicester|rutland
    |northamptonshire|northampton|staffordshire|stoke|stoke on trent|shropshire|telford|herefordshire
    |hereford|worcestershire|worcester|warwickshire|coventry|birmingham|wolverhampton|walsall|dudley
    |sandwell|solihull|norfolk|norwich|cambridgeshire|cambridge|peterborough|bedfordshire|bedford|luton
    |hertfordshire|watford|st albans|buckinghamshire|milton keynes|oxfordshire|oxford|slough|windsor
    |newbury|kent|canterbury|maidstone|medway|east sussex|west sussex|sussex|brighton|brighton and hove
    |hampshire|southampton|portsmouth|winchester|isle of wight|dorset|bournemouth|poole|wiltshire
    |swindon|salisbury|somerset|taunton|bath|bristol|gloucestershire|gloucester|cheltenham|devon|exeter
    |plymouth|torquay|cornwall|truro|city of london|westminster|croydon|romford|barnet|ilford|stratford
    |woking|staines|crawley"""
)

# Areas where both providers deliver: the caseworker must name the county or city.
AMBIGUOUS = {
    "north west": "Lancashire, Cheshire or Greater Manchester",
    "yorkshire": "North, South or West Yorkshire",
    "yorkshire and the humber": "North, South or West Yorkshire",
    "east of england": "Essex, Norfolk or Cambridgeshire",
    "east": "Essex, Norfolk or Cambridgeshire",
    "south east": "Kent, Reading or Guildford",
    "berkshire": "Reading, Slough or Windsor",
    "surrey": "Guildford, Woking or Staines",
    "england": "Kent, Greater Manchester or Birmingham",
}

WELSH_REGIONS = _places(
    """wales|cymru|north wales|south wales|mid wales|west wales|south east wales|south west wales|gwent
    |dyfed|powys|gwynedd|clwyd|glamorgan|mid glamorgan|south glamorgan|west glamorgan|vale of glamorgan|cardiff
    |swansea|newport|wrexham|anglesey|isle of anglesey|ynys mon|conwy|denbighshire|flintshire|ceredigion
    |pembrokeshire|carmarthenshire|monmouthshire|torfaen|blaenau gwent|caerphilly|merthyr tydfil
    |rhondda cynon taf|bridgend|neath port talbot|llanelli|aberystwyth"""
    # The same places in Welsh, as a caseworker in Wales writes them (accents are folded by place_key).
    """|gogledd cymru|de cymru|canolbarth cymru|gorllewin cymru|de ddwyrain cymru|de orllewin cymru|morgannwg
    |morgannwg ganol|de morgannwg|gorllewin morgannwg|bro morgannwg|caerdydd|abertawe|casnewydd|wrecsam
    |ynys mon|sir fon|sir ddinbych|sir y fflint|sir benfro|sir gaerfyrddin|sir fynwy|caerffili|merthyr tudful
    |pen y bont ar ogwr|castell nedd port talbot|llanelli|aberystwyth|sir ceredigion|sir conwy|sir powys"""
)
# Words that put a court in Wales (`Newport (Gwent)` by `gwent`: a bare Newport may be the Isle of Wight's).
WELSH_COURT_WORDS = (
    WELSH_REGIONS - {"newport"}
    | {"caernarfon", "llandudno", "haverfordwest", "carmarthen", "port talbot", "mold", "prestatyn", "welshpool"}
    | {"blackwood", "pontypridd", "cwmbran", "brecon", "llandrindod wells", "dolgellau", "rhyl", "neath"}
    | {"caerfyrddin", "hwlffordd", "yr wyddgrug", "y trallwng", "aberhonddu", "castell nedd", "cwmbran", "y rhyl"}
)

NOT_ENGLAND = _places(
    """scotland|northern ireland|ireland|republic of ireland|isle of man|jersey|guernsey|channel islands
    |edinburgh|glasgow|aberdeen|dundee|inverness|belfast|derry|londonderry|newry|dublin"""
)


# ---- intake --------------------------------------------------------------------------------


def case_number(raw: str) -> str:
    """Family court case numbers look like `MA24P00123`; lower case is accepted and upper-cased."""
    value = raw.strip().upper()
    if not CASE_NUMBER.fullmatch(value):
        raise Refused(
            "invalid-case-number",
            "A case number has two letters, two digits, a letter and five digits, e.g. MA24P00123.",
        )
    return value


def place_key(text: str) -> str:
    """`Cheshire West & Chester`, `cheshire-west and chester` → `cheshire west and chester`."""
    text = text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    # `Ynys Môn` → `ynys mon`: accents folded, so a Welsh name is known whatever the keyboard.
    text = "".join(c for c in unicodedata.normalize("NFKD", text) if not unicodedata.combining(c))
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _in_wales(court: str, region: str) -> bool:
    words = f" {place_key(court)} "
    return place_key(region) in WELSH_REGIONS or any(f" {w} " in words for w in WELSH_COURT_WORDS)


def refuse_wales(court: str, region: str) -> None:
    if _in_wales(court, region) or {"wales", "cymru"} & set(place_key(region).split()):
        raise Refused(
            "wales-out-of-scope",
            f"Planning Together for Children runs in England only. {PARTNER_IN_WALES} Refer the parents there.",
            programme="Working Together for Children",
            provider="Cafcass Cymru",
        )


def route(region: str) -> str:
    """The provider that delivers the course in an English region, county or city."""
    key = place_key(region)
    if key.endswith(" england"):  # "North East England"
        key = key.removesuffix(" england")
    if key in FAMILY_ACTION:
        return FAMILY_ACTION_SLUG
    if key in OTHER_ENGLAND:
        return ACTION_FOR_CHILDREN
    if key in AMBIGUOUS:
        raise Refused(
            "region-ambiguous",
            f"Two providers deliver in {region!s:.60}; give the county or city instead (e.g. {AMBIGUOUS[key]}).",
        )
    if key in NOT_ENGLAND or any(f" {w} " in f" {key} " for w in ("scotland", "ireland")):
        raise Refused(
            "region-not-in-england",
            "Planning Together for Children is for family court cases in England only.",
        )
    raise Refused(
        "region-unknown",
        "Give an English region, county or city (e.g. Greater Manchester, Kent, Birmingham).",
    )


def _routable(place: str) -> bool:
    try:
        refuse_wales("", place)
        route(place)
    except Refused:
        return False
    return True


# Every place the intake rules route, as the API documents them (its schema's `enum`).
ROUTABLE_REGIONS = tuple(sorted(p for p in FAMILY_ACTION | OTHER_ENGLAND if _routable(p)))


def check_intake(court_declined: bool, safeguarding_concerns: bool, court: str, region: str) -> str:
    """Every intake rule in the order a caseworker would want to hear them; returns the provider."""
    refuse_wales(court, region)
    if safeguarding_concerns:
        raise Refused(
            "safeguarding-concerns",
            "The course is not for cases with current safeguarding concerns.",
        )
    if court_declined:
        raise Refused("court-declined", "The court declined the course.")
    return route(region)


# ---- following a parent, and the outcome -------------------------------------------------------


@dataclass(frozen=True)
class Progress:
    """What one parent has done in the current cycle, as learned from other services' events."""

    activation_issued_at: datetime | None = None
    activated_at: datetime | None = None
    modules_completed: int = 0
    learning_completed_at: datetime | None = None
    deadline: datetime | None = None
    deadline_missed_at: datetime | None = None
    workshop_booked_at: datetime | None = None  # the latest booking, cancellation and miss, by when they
    workshop_cancelled_at: datetime | None = None  # happened: consumers of different event types may
    workshop_missed_at: datetime | None = None  # receive them in any order
    workshop_misses: int = 0
    workshop_rebooking_offered: bool = False
    workshop_missed_final_at: datetime | None = None
    workshop_attended_at: datetime | None = None


@dataclass(frozen=True)
class Outcome:
    result: Literal["completed", "incomplete"]
    reason: Literal["elearning_deadline_missed", "workshop_missed", "withdrawn"] | None = None


def apply(progress: Progress, event_type: str, data: dict[str, Any], at: datetime) -> Progress:
    """The progress after one event of another service (`data` already validated by its contract)."""
    p = progress
    match event_type:
        case "account.activation_issued":
            return replace(p, activation_issued_at=p.activation_issued_at or at, deadline=data["deadline"])
        case "account.activated":
            return replace(p, activated_at=p.activated_at or at)
        case "module.completed":
            return replace(p, modules_completed=min(MODULES, max(p.modules_completed, data["modules_completed"])))
        case "learning.completed":
            done_at = p.learning_completed_at or data["completed_at"]
            return replace(p, learning_completed_at=done_at, modules_completed=MODULES)
        case "learning.deadline_missed":
            # It says how many modules were done: the court hears that number even when this event
            # overtakes the last `module.completed` (each event type has its own consumer).
            done = min(MODULES, max(p.modules_completed, data.get("modules_completed", 0)))
            return replace(p, deadline_missed_at=p.deadline_missed_at or at, modules_completed=done)
        case "learning.extended":
            return replace(p, deadline=data["deadline"])
        case "workshop.booked":
            return replace(p, workshop_booked_at=_latest(p.workshop_booked_at, at))
        case "workshop.cancelled":
            return replace(p, workshop_cancelled_at=_latest(p.workshop_cancelled_at, at))
        case "workshop.attended":
            return replace(p, workshop_attended_at=p.workshop_attended_at or data["attended_at"])
        case "workshop.missed":
            if data["misses"] < p.workshop_misses:
                return replace(p, workshop_missed_at=_latest(p.workshop_missed_at, at))  # an older miss, late
            final = None if data["rebooking_offered"] else (p.workshop_missed_final_at or at)
            return replace(
                p,
                workshop_misses=data["misses"],
                workshop_rebooking_offered=data["rebooking_offered"],
                workshop_missed_at=_latest(p.workshop_missed_at, at),
                workshop_missed_final_at=final,
            )
    return p


def _latest(known: datetime | None, at: datetime) -> datetime:
    return max(known, at) if known else at


def decide(progress: Progress) -> Outcome | None:
    """The court-facing outcome once the facts settle it; None while the cycle is still open."""
    if progress.deadline_missed_at and not progress.learning_completed_at:
        return Outcome("incomplete", "elearning_deadline_missed")
    if progress.workshop_missed_final_at and not progress.workshop_attended_at:
        return Outcome("incomplete", "workshop_missed")
    if progress.learning_completed_at and progress.workshop_attended_at:
        return Outcome("completed")
    return None


def participant_status(progress: Progress, outcome: str | None) -> ParticipantStatus:
    if outcome in ("completed", "incomplete"):
        return outcome  # type: ignore[return-value]
    booked = progress.workshop_booked_at
    ended = [t for t in (progress.workshop_cancelled_at, progress.workshop_missed_at) if t]
    if booked and all(booked > t for t in ended):
        return "workshop_booked"
    if progress.workshop_misses and progress.workshop_rebooking_offered:
        return "workshop_rebooking"
    if progress.learning_completed_at:
        return "elearning_complete"
    if progress.activated_at:
        return "elearning_in_progress"
    if progress.activation_issued_at:
        return "invited"
    return "referred"


def referral_status(withdrawn: bool, outcomes: list[str | None]) -> ReferralStatus:
    if withdrawn:
        return "withdrawn"
    if any(o is None for o in outcomes):
        return "active"
    return "completed" if all(o == "completed" for o in outcomes) else "incomplete"


def event_cycle(data: dict[str, Any], occurred_at: datetime, current: int, started_at: datetime) -> int | None:
    """Which cycle an event of another service belongs to: its own `cycle` if it says so, else the
    current one unless it happened before the current cycle started (a late event of an old cycle)."""
    cycle = data.get("cycle")
    if isinstance(cycle, int) and not isinstance(cycle, bool):
        return cycle
    return current if occurred_at >= started_at or current == 1 else None


# ---- state changes -----------------------------------------------------------------------------
# Each runs inside one unit of work: the documents it saves and the events it emits commit together.


class UnitOfWork(Protocol):
    """What the write rules read and write. Documents are dicts as stored; ids are opaque."""

    def now(self) -> datetime: ...
    def new_id(self) -> Any: ...
    def random_id(self) -> Any: ...  # unguessable (random, not a counter): for ids others are sent
    async def referral(self, referral_id: str) -> dict[str, Any] | None: ...
    async def parent(self, participant_id: str) -> dict[str, Any] | None: ...
    async def parents(self, referral_id: str) -> list[dict[str, Any]]: ...
    async def active_referral_of(self, case: str, email_keys: list[str], except_id: Any = None) -> str | None: ...
    async def add(self, referral: dict[str, Any], parents: list[dict[str, Any]]) -> None: ...
    async def save_referral(self, referral: dict[str, Any]) -> None: ...
    async def save_parent(self, parent: dict[str, Any]) -> None: ...
    async def emit(self, event: EventData, correlation_id: str) -> None: ...


class Timings(Protocol):
    """The programme's durations (settings, so tests can shrink them)."""

    contact_delay: timedelta  # the provider contacts a parent the day after referral
    activation_chaser_after: timedelta  # no activation by then: chase the FCA and provider


_PROGRESS_FIELDS = {f.name for f in fields(Progress)}


def progress_of(parent: dict[str, Any]) -> Progress:
    stored = parent.get("progress") or {}
    return Progress(**{k: v for k, v in stored.items() if k in _PROGRESS_FIELDS})


def entry(event: str, cycle: int, at: datetime, **detail: Any) -> dict[str, Any]:
    """A timeline line: what happened and when, with ids and counts only, never contact details."""
    return {"at": at, "event": event, "cycle": cycle, "detail": {k: v for k, v in detail.items() if v is not None}}


def already_referred(referral_id: str | None) -> Refused:
    """The referral is named only when given: the routes leave it out for a caller who may not
    read it (another FCA learns nothing of it; refusals.named_for)."""
    if referral_id is None:
        return Refused(
            "parent-already-referred",
            "A parent of this case is already in an active cycle.",
        )
    return Refused(
        "parent-already-referred",
        f"A parent of this case is already in an active cycle under referral {referral_id}.",
        existing_referral_id=referral_id,
    )


async def refuse_active_parent(uow: UnitOfWork, case: str, email_keys: list[str], except_id: Any = None) -> None:
    """One active cycle per parent and case (the store's unique index backs this up under races)."""
    if found := await uow.active_referral_of(case, email_keys, except_id):
        raise already_referred(found)


def _clocks(now: datetime, timings: Timings, activated_ever: bool) -> dict[str, Any]:
    """A new cycle's due times: the provider's call, and the chaser unless the parent ever activated."""
    return {
        "contact_due_at": now + timings.contact_delay,
        "contacted_at": None,
        "chaser_due_at": None if activated_ever else now + timings.activation_chaser_after,
    }


async def intake(
    uow: UnitOfWork, form: Any, fca_id: str, email_keys: list[str], timings: Timings, keys: ReferralKeys
) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """Take a referral (`form`, a validated `schemas.NewReferral`): every intake rule, then the
    referral, one participant per parent and `referral.created` (the only event with contact
    details, sealed with `keys`: each parent's contact for notifications, a profile for workshops,
    a keyed hash of the email for learning's sign-in)."""
    case = case_number(form.case_number)
    provider = check_intake(form.court_declined, form.safeguarding_concerns, form.court, form.region)
    if len(set(email_keys)) != len(email_keys):
        raise Refused("same-parent-twice", "Each parent needs their own email address.")
    await refuse_active_parent(uow, case, email_keys)
    now, referral_id = uow.now(), uow.new_id()
    # Unguessable (random, not a counter): parents send their id to workshops and plans, and a
    # co-parent's must not follow from one's own. Sorted, so the parents keep the order given.
    ids = sorted(uow.random_id() for _ in form.parents)
    referral = {
        "_id": referral_id,
        **form.model_dump(include={"court", "court_email", "source", "stage", "region"}),
        "case_number": case,
        "court_key": place_key(form.court),
        "provider": provider,
        "fca_id": fca_id,
        "fca": form.fca.model_dump(),
        "children_ages": [c.age for c in form.children],
        "status": "active",
        "created_at": now,
        "withdrawn_at": None,
    }
    parents = [
        {
            "_id": pid,
            "referral_id": str(referral_id),
            "case_number": case,
            "provider": provider,
            "email_key": key,
            # Not the email or phone: only notifications keeps those (from referral.created).
            "person": person.model_dump(exclude={"email", "phone"}),
            "co_parent_id": next((str(other) for other in ids if other != pid), None),  # kept apart by every rule
            "active": True,
            "activated_ever": False,
            "cycle": 1,
            "cycle_started_at": now,
            "progress": {},
            "outcome": None,
            "past_cycles": [],
            **_clocks(now, timings, activated_ever=False),
            "timeline": [entry("referral.created", 1, now)],
        }
        for pid, person, key in zip(ids, form.parents, email_keys, strict=True)
    ]
    await uow.add(referral, parents)
    contacts = [
        ParticipantContact(participant_id=str(pid), **p.model_dump()) for pid, p in zip(ids, form.parents, strict=True)
    ]
    created = ReferralCreated(
        referral_id=str(referral_id),
        **form.model_dump(include={"court", "court_email", "source", "stage", "region"}),
        case_number=case,
        provider=provider,
        fca_id=fca_id,
        fca=form.fca.model_dump(),
        participants=seal_participants(contacts, keys),  # v2: sealed
        children_ages=referral["children_ages"],
    )
    await uow.emit(created, str(referral_id))
    return referral, parents


async def settle(uow: UnitOfWork, parent: dict[str, Any], outcome: Outcome) -> bool:
    """Record the cycle's outcome and tell the court and FCA: once per cycle, whichever event settles it."""
    if parent["outcome"] is not None:
        return False
    now, cycle, progress = uow.now(), parent["cycle"], progress_of(parent)
    kind = "course.completed" if outcome.result == "completed" else "course.incomplete"
    parent["outcome"] = {"result": outcome.result, "reason": outcome.reason, "decided_at": now}
    parent["active"], parent["chaser_due_at"] = False, None
    parent["timeline"].append(entry(kind, cycle, now, reason=outcome.reason))
    await uow.save_parent(parent)
    ids = {
        "referral_id": parent["referral_id"],
        "participant_id": str(parent["_id"]),
        "cycle": cycle,
        "case_number": parent["case_number"],
    }
    event: EventData
    if outcome.result == "completed":
        assert progress.learning_completed_at and progress.workshop_attended_at  # what `decide` requires
        event = CourseCompleted(
            **ids,
            elearning_completed_at=progress.learning_completed_at,
            workshop_attended_at=progress.workshop_attended_at,
        )
    else:
        event = CourseIncomplete(**ids, reason=outcome.reason, modules_completed=progress.modules_completed)
    await uow.emit(event, parent["referral_id"])
    return True


async def refresh_status(uow: UnitOfWork, referral_id: str) -> None:
    """The referral's status follows its parents' outcomes (stored so lists can filter on it)."""
    referral = await uow.referral(referral_id)
    if referral is None:
        return
    outcomes = [(p.get("outcome") or {}).get("result") for p in await uow.parents(referral_id)]
    referral["status"] = referral_status(referral.get("withdrawn_at") is not None, outcomes)
    # Always a real write (the version moves): two parents settled at once then conflict, and the
    # retried one sees the other's outcome, where a same-value write would be skipped and go stale.
    referral["version"] = referral.get("version", 0) + 1
    await uow.save_referral(referral)


async def withdraw(uow: UnitOfWork, referral_id: str, reason: str) -> dict[str, Any]:
    """Withdraw a referral: each open cycle ends incomplete (`withdrawn`) and every clock stops."""
    referral = await uow.referral(referral_id)
    if referral is None:
        raise Unknown("referral")
    if referral.get("withdrawn_at"):
        raise Refused("already-withdrawn", "This referral was withdrawn before.")
    now = uow.now()
    referral |= {"withdrawn_at": now, "withdrawal_reason": reason, "status": "withdrawn"}
    await uow.save_referral(referral)
    parents = await uow.parents(referral_id)
    ids = [str(p["_id"]) for p in parents]
    await uow.emit(ReferralWithdrawn(referral_id=referral_id, participant_ids=ids), referral_id)
    for parent in parents:
        await settle(uow, parent, Outcome("incomplete", "withdrawn"))
        # Clocks stop: no contact call, no chaser for a withdrawn referral.
        parent |= {"active": False, "contact_due_at": None, "chaser_due_at": None}
        parent["timeline"].append(entry("referral.withdrawn", parent["cycle"], now))
        await uow.save_parent(parent)
    return referral


async def reorder(uow: UnitOfWork, referral_id: str, participant_id: str, timings: Timings) -> dict[str, Any]:
    """The court re-orders the course for a parent whose cycle ended incomplete: a new cycle starts."""
    referral = await uow.referral(referral_id)
    parent = await uow.parent(participant_id)
    if referral is None:
        raise Unknown("referral")
    if parent is None or parent["referral_id"] != referral_id:
        raise Unknown("participant")
    if referral.get("withdrawn_at"):
        raise Refused("referral-withdrawn", "A withdrawn referral is not re-ordered: refer again.")
    result = (parent["outcome"] or {}).get("result")
    if result != "incomplete":
        reason, detail = (
            ("course-completed", "This parent completed the course.")
            if result == "completed"
            else ("cycle-in-progress", "This parent's course is still in progress.")
        )
        raise Refused(reason, detail)
    await refuse_active_parent(uow, parent["case_number"], [parent["email_key"]], except_id=parent["_id"])
    now, cycle = uow.now(), parent["cycle"] + 1
    parent["past_cycles"].append(
        {"cycle": parent["cycle"], "started_at": parent["cycle_started_at"], "outcome": parent["outcome"]}
    )
    parent |= {"cycle": cycle, "cycle_started_at": now, "progress": {}, "outcome": None, "active": True}
    parent |= _clocks(now, timings, parent["activated_ever"])
    parent["timeline"].append(entry("referral.reordered", cycle, now))
    await uow.save_parent(parent)
    reordered = ReferralReordered(
        referral_id=referral_id,
        participant_id=participant_id,
        cycle=cycle,
        provider=referral["provider"],
        preferred_language=parent["person"]["preferred_language"],
    )
    await uow.emit(reordered, referral_id)
    await refresh_status(uow, referral_id)
    return parent


async def mark_contacted(uow: UnitOfWork, provider: str, participant_id: str) -> dict[str, Any]:
    """The provider called the parent. Marking twice keeps the first call's time."""
    parent = await uow.parent(participant_id)
    if parent is None or parent["provider"] != provider:
        raise Unknown("participant")
    if parent.get("contacted_at") is None:
        now = uow.now()
        parent |= {"contacted_at": now, "contact_due_at": None}
        parent["timeline"].append(entry("provider.contacted", parent["cycle"], now))
        await uow.save_parent(parent)
    return parent


async def change_contact(
    uow: UnitOfWork,
    referral_id: str,
    participant_id: str,
    change: Any,
    by: str,
    email_key: str | None,
    keys: ReferralKeys,
) -> dict[str, Any]:
    """The FCA changes how to reach a parent of their referral (`change`, a validated
    `schemas.ContactChangeRequest`; `email_key` the new email's lookup key here). Audited on the
    referral (who, when, the reason code), and told by `referral.contact_changed`: the new details
    sealed for notifications, which tells the old address, and the new email's sign-in key for
    learning. The only way a known parent's contact or sign-in changes: no `referral.created` does."""
    referral = await uow.referral(referral_id)
    parent = await uow.parent(participant_id)
    if referral is None:
        raise Unknown("referral")
    if parent is None or parent["referral_id"] != referral_id:
        raise Unknown("participant")
    if referral.get("withdrawn_at"):
        raise Refused("referral-withdrawn", "Nothing more is sent to a withdrawn referral's parents.")
    email_changed = email_key is not None and email_key != parent["email_key"]
    if not email_changed and change.phone is None:
        raise Refused("contact-unchanged", "This is already the parent's email address.")
    if email_key is not None and email_changed:
        others = [p for p in await uow.parents(referral_id) if p["_id"] != parent["_id"]]
        if any(p["email_key"] == email_key for p in others):
            raise Refused("same-parent-twice", "Each parent needs their own email address.")
        if parent["active"]:  # one active cycle per parent and case, as at intake
            await refuse_active_parent(uow, parent["case_number"], [email_key], except_id=parent["_id"])
        parent["email_key"] = email_key
    now, reason = uow.now(), change.reason
    audit = {"participant_id": participant_id, "by": by, "at": now, "reason": reason}
    audit |= {"email_changed": email_changed, "phone_changed": change.phone is not None}
    referral.setdefault("contact_changes", []).append(audit)
    await uow.save_referral(referral)
    detail = {"reason": reason, "email_changed": email_changed, "phone_changed": change.phone is not None}
    parent["timeline"].append(entry("referral.contact_changed", parent["cycle"], now, **detail))
    await uow.save_parent(parent)
    new = ContactChange(
        participant_id=participant_id, email=change.email if email_changed else None, phone=change.phone
    )
    changed = ReferralContactChanged(
        referral_id=referral_id,
        participant_id=participant_id,
        **detail,
        sign_in_key=email_key_of(keys.sign_in_lookup_key, change.email) if email_changed else None,
        sealed_contact=seal(keys.contact_seal_key, new.model_dump_json()),
    )
    await uow.emit(changed, referral_id)
    return audit


# What of each event of another service goes on the timeline: ids, counts and dates, never links
# or contact details.
TIMELINE_DETAIL: dict[str, tuple[str, ...]] = {
    "account.activation_issued": ("deadline", "reissue"),
    "account.activated": (),
    "account.activation_expired": (),
    "module.completed": ("module", "modules_completed"),
    "learning.completed": ("completed_at",),
    "learning.deadline_missed": ("deadline", "modules_completed"),
    "learning.extended": ("deadline", "days"),
    "workshop.booked": ("session_id", "mode", "rebooking"),
    "workshop.cancelled": ("session_id",),
    "workshop.attended": ("attended_at",),
    "workshop.missed": ("misses", "rebooking_offered"),
    "notification.sent": ("template", "recipient_role"),
}


def _detail(event_type: str, data: dict[str, Any]) -> dict[str, Any]:
    detail = {}
    for name in TIMELINE_DETAIL[event_type]:
        value = data.get(name)
        detail[name] = value.isoformat() if isinstance(value, datetime) else value
    return detail


async def follow(
    uow: UnitOfWork, event_type: str, data: dict[str, Any], occurred_at: datetime, correlation_id: str
) -> bool:
    """Another service's event goes on the parent's timeline; in the current cycle it updates the
    progress, and the outcome is decided by whichever event settles it, in any order, once.
    False for a parent this service does not know."""
    pid, referral_id = data.get("participant_id"), data.get("referral_id") or correlation_id
    parent = await uow.parent(pid) if isinstance(pid, str) else None
    if parent is None or parent["referral_id"] != referral_id:
        return False
    cycle = event_cycle(data, occurred_at, parent["cycle"], parent["cycle_started_at"])
    parent["timeline"].append(entry(event_type, cycle or parent["cycle"] - 1, occurred_at, **_detail(event_type, data)))
    if event_type == "account.activated":  # an account activated in any cycle needs no chaser
        parent |= {"activated_ever": True, "chaser_due_at": None}
    current = cycle == parent["cycle"]
    if current:
        parent["progress"] = asdict(apply(progress_of(parent), event_type, data, occurred_at))
    await uow.save_parent(parent)
    outcome = decide(progress_of(parent)) if current and parent["active"] else None
    if outcome and await settle(uow, parent, outcome):
        await refresh_status(uow, referral_id)
    return True


async def chase(uow: UnitOfWork, participant_id: str) -> bool:
    """`referral.activation_overdue` once for a parent not activated by their chaser time."""
    parent = await uow.parent(participant_id)
    now = uow.now()
    if parent is None or parent.get("chaser_due_at") is None or parent["chaser_due_at"] > now:
        return False  # activated or chased since the sweep looked
    parent["chaser_due_at"] = None
    if parent["activated_ever"] or not parent["active"]:
        await uow.save_parent(parent)
        return False
    parent["chased_at"] = now
    parent["timeline"].append(entry("referral.activation_overdue", parent["cycle"], now))
    await uow.save_parent(parent)
    overdue = ActivationOverdue(
        referral_id=parent["referral_id"],
        participant_id=str(parent["_id"]),
        provider=parent["provider"],
        days_since_referral=(now - parent["cycle_started_at"]).days,
    )
    await uow.emit(overdue, parent["referral_id"])
    return True
