"""Structured fields, counts and dates in words, in the reader's language (Babel's CLDR data for
plural rules, dates and language names), for the views, the exports and the children's version."""

from datetime import datetime
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time

from plans.content import DAYS, LANGUAGES, Language, labels

LOCALES = {"en": "en_GB", "pl": "pl_PL", "ur": "ur_PK"}
TAGS = {"en": "en-GB", "pl": "pl-PL", "ur": "ur-PK"}  # the Word file's language property
HOME = ZoneInfo("Europe/London")  # the programme runs in England: dates as the parents live them


def counted(lang: Language, key: str, n: int, **values: object) -> str:
    """`labels[key]` holds a form per CLDR plural category ("one", "few", "many", "other")."""
    forms = labels(lang)[key]
    return (forms.get(Locale.parse(LOCALES[lang]).plural_form(n)) or forms["other"]).format(n=n, **values)


def day(at: datetime, lang: Language) -> str:
    """ "7 December 2026", "7 grudnia 2026": a date in words, as a court or a family would keep it."""
    return format_date(at.astimezone(HOME), "long", locale=LOCALES[lang])


def moment(at: datetime, lang: Language) -> str:
    return f"{day(at, lang)}, {format_time(at.astimezone(HOME), 'HH:mm', locale=LOCALES[lang])}"


def short_day(index: int, lang: Language) -> str:
    """Monday is 0: "Mon", "pon.", as CLDR abbreviates it."""
    return Locale.parse(LOCALES[lang]).days["format"]["abbreviated"][index]


def language_name(code: str, lang: Language) -> str:
    """The name of the language `code`, in `lang` ("Polish", "polski", "پولش")."""
    return Locale.parse(LOCALES[lang]).languages.get(code, code)


def written_in(code: str | None, lang: Language) -> str | None:
    """A parent's own words stay as written: the reader is told which language, when it is not theirs."""
    if not code or code == lang or code not in LANGUAGES:
        return None
    return labels(lang)["written_in"].format(language=language_name(code, lang))


def changes(revision: int, lang: Language) -> str:
    return counted(lang, "changed", revision) if revision else labels(lang)["unchanged"]


def agreed_count(items: list[dict], lang: Language) -> str:
    agreed = sum(1 for i in items if i["status"] == "agreed")
    return counted(lang, "topics_agreed", len(items), agreed=agreed)


def money(pence: int) -> str:
    return f"£{pence // 100}.{pence % 100:02d}"


def who(plan: dict, role: str, lang: Language) -> str:
    """A role as the name that party chose ("owner" → "Mum"); "shared"/"both" → both parents."""
    for p in plan["parties"]:
        if p["role"] == role and p["left_at"] is None:
            return p["display_name"]
    return labels(lang)["shared"] if role in ("shared", "both") else role


def structured(plan: dict, content: dict | None, lang: Language) -> list[str]:
    if not content:
        return []
    words, lines = labels(lang), []
    for row in content.get("weekly_pattern", []):
        nights = ", ".join(f"{words['days'][d]}: {who(plan, row['nights'][d], lang)}" for d in DAYS)
        lines.append(f"{row['child']} — {nights}")
    for row in content.get("pocket_money", []):
        amount = money(row["pence_per_week"])
        lines.append(f"{row['child']}: {amount} ({words['paid_by']} {who(plan, row['paid_by'], lang)})")
    for row in content.get("pets", []):
        lines.append(f"{row['name']} ({row['kind']}): {words['kept_by']} {who(plan, row['kept_by'], lang)}")
    return lines
