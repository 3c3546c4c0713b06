"""Rules of referral intake, routing and the court-facing outcome, with no I/O."""

import re
from dataclasses import dataclass, replace
from datetime import datetime
from typing import Any, Literal

MODULES = 8
ACTION_FOR_CHILDREN, FAMILY_ACTION_SLUG = "action-for-children", "family-action"
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
)
# Words that put a court in Wales (`Newport (Gwent)` by `gwent`: a bare Newport may be the Isle of Wight's).
WELSH_COURT_WORDS = (
    WELSH_REGIONS - {"newport"}
    | {"caernarfon", "llandudno", "haverfordwest", "carmarthen", "port talbot", "mold", "prestatyn", "welshpool"}
    | {"blackwood", "pontypridd", "cwmbran", "brecon", "llandrindod wells", "dolgellau", "rhyl", "neath"}
)

NOT_ENGLAND = _places(
    """scotland|northern ireland|ireland|republic of ireland|isle of man|jersey|guernsey|channel islands
    |edinburgh|glasgow|aberdeen|dundee|inverness|belfast|derry|londonderry|newry|dublin"""
)


class Refused(Exception):
    """A referral the programme does not take; the API answers it as a problem."""

    def __init__(self, status: int, reason: str, title: str, detail: str, **extra: Any) -> None:
        super().__init__(f"{reason}: {detail}")
        self.status, self.reason, self.title, self.detail, self.extra = status, reason, title, detail, extra


# ---- intake --------------------------------------------------------------------------------


def case_number(raw: str) -> str:
    """Family court case numbers look like `MA24P00123`; lower case is accepted and upper-cased."""
    value = raw.strip().upper()
    if not CASE_NUMBER.fullmatch(value):
        raise Refused(
            422,
            "invalid-case-number",
            "Invalid case number",
            "A case number has two letters, two digits, a letter and five digits, e.g. MA24P00123.",
        )
    return value


def place_key(text: str) -> str:
    """`Cheshire West & Chester`, `cheshire-west and chester` → `cheshire west and chester`."""
    text = text.lower().replace("&", " and ").replace("'", "").replace("\u2019", "")
    return " ".join(re.sub(r"[^a-z0-9]+", " ", text).split())


def _in_wales(court: str, region: str) -> bool:
    words = f" {place_key(court)} "
    return place_key(region) in WELSH_REGIONS or any(f" {w} " in words for w in WELSH_COURT_WORDS)


def refuse_wales(court: str, region: str) -> None:
    if _in_wales(court, region) or " wales " in f" {place_key(region)} ":
        raise Refused(
            422,
            "wales-out-of-scope",
            "Referrals in Wales are out of scope",
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
            422,
            "region-ambiguous",
            "Region too broad to route",
            f"Two providers deliver in {region!s:.60}; give the county or city instead (e.g. {AMBIGUOUS[key]}).",
        )
    if key in NOT_ENGLAND or any(f" {w} " in f" {key} " for w in ("scotland", "ireland")):
        raise Refused(
            422,
            "region-not-in-england",
            "Region not in England",
            "Planning Together for Children is for family court cases in England only.",
        )
    raise Refused(
        422,
        "region-unknown",
        "Region not recognised",
        "Give an English region, county or city (e.g. Greater Manchester, Kent, Birmingham).",
    )


def check_intake(court_declined: bool, safeguarding_concerns: bool, court: str, region: str) -> str:
    """Every intake rule in the order a caseworker would want to hear them; returns the provider."""
    refuse_wales(court, region)
    if safeguarding_concerns:
        raise Refused(
            422,
            "safeguarding-concerns",
            "Not referred: current safeguarding concerns",
            "The course is not for cases with current safeguarding concerns.",
        )
    if court_declined:
        raise Refused(422, "court-declined", "Not referred: the court declined", "The court declined the course.")
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
            return replace(p, deadline_missed_at=p.deadline_missed_at or at)
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
