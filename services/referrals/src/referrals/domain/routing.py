"""Which provider delivers a referral, by region: the routing table (`place_key`s of the places the
SPEC lists), Wales and places outside England refused with their pointer, and the places the API
documents (`ROUTABLE_REGIONS`)."""

import re
import unicodedata

from ptfc.programme import PROVIDERS
from referrals.domain.base import Refused

ACTION_FOR_CHILDREN, FAMILY_ACTION_SLUG = PROVIDERS
PARTNER_IN_WALES = "Cafcass Cymru runs Working Together for Children (WT4C) for separated parents in Wales."


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
