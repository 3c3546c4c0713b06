"""Languages of the hub: gettext catalogs (`locale/<lang>/LC_MESSAGES/messages.po`, compiled in
memory when the hub starts, so no build step can forget them) and Babel (CLDR) for dates,
numbers and plurals. English is the source language; Urdu is written right to left."""

import io
from dataclasses import dataclass
from datetime import datetime
from functools import cache
from pathlib import Path
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_date, format_time
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import NullTranslations, Translations

from ptfc.programme import deadline_as_told

LOCALE_DIR = Path(__file__).parent / "locale"
LANGUAGES = ("en", "pl", "ur")
DEFAULT = "en"
# Each language named in itself, for the language switcher.
NATIVE_NAMES = {"en": "English", "pl": "Polski", "ur": "اردو"}


@cache
def translations(lang: str) -> NullTranslations:
    if lang == DEFAULT:
        return NullTranslations()
    with (LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        catalog = read_po(po, locale=lang)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled)


def pick(*candidates: str | None) -> str:
    """The first supported language among candidates (query, cookie, course, browser)."""
    for candidate in candidates:
        if candidate and candidate[:2].lower() in LANGUAGES:
            return candidate[:2].lower()
    return DEFAULT


def from_accept_language(header: str) -> str | None:
    ranked = []
    for part in header.split(","):
        tag, _, q = part.strip().partition(";q=")
        try:
            ranked.append((float(q or 1), tag.strip()))
        except ValueError:
            continue
    for _, tag in sorted(ranked, reverse=True):
        if tag[:2].lower() in LANGUAGES:
            return tag[:2].lower()
    return None


CLDR = {"en": "en_GB", "pl": "pl_PL", "ur": "ur_PK"}
# English language names to their codes, to say a name staff typed ("Polish") in the parent's language.
_ENGLISH_NAMES = {name.lower(): code for code, name in Locale("en").languages.items() if "_" not in code}


@dataclass(frozen=True)
class Formats:
    """Dates and times as a parent in England reads them, in their language."""

    lang: str
    tz: str

    @property
    def direction(self) -> str:
        return "rtl" if Locale.parse(self.lang).character_order == "right-to-left" else "ltr"

    def _local(self, moment: datetime | str) -> datetime:
        if isinstance(moment, str):
            moment = datetime.fromisoformat(moment)
        return moment.astimezone(ZoneInfo(self.tz))

    def day(self, moment: datetime | str) -> str:
        return format_date(self._local(moment), "full", locale=CLDR[self.lang])

    def time(self, moment: datetime | str) -> str:
        # CLDR's short Urdu time is "h:mm a" with "AM"/"PM" in Latin letters inside the Urdu sentence:
        # the 24-hour clock, as the English pages use, reads the same in Urdu.
        pattern = "HH:mm" if self.lang == "ur" else "short"
        return format_time(self._local(moment), pattern, locale=CLDR[self.lang])

    def span(self, start: datetime | str, end: datetime | str) -> str:
        """A part of a workshop: its day, and from when to when (same day)."""
        return f"{self.day(start)}, {self.time(start)}\u2013{self.time(end)}"  # an en dash

    def language_name(self, code: str) -> str:
        return Locale.parse(code).get_language_name(CLDR[self.lang]) or code

    def spoken(self, name: str) -> str:
        """A language as staff typed it in English ("Polish", for an interpreter), in the page's
        language ("polski"); a name CLDR does not know (e.g. "BSL") stays as typed."""
        code = _ENGLISH_NAMES.get(name.strip().lower())
        return Locale.parse(code).get_language_name(CLDR[self.lang]) or name if code else name

    def when(self, moment: datetime | str) -> str:
        return translations(self.lang).gettext("%(day)s at %(time)s") % {
            "day": self.day(moment),
            "time": self.time(moment),
        }

    def deadline(self, moment: datetime | str) -> str:
        """The e-learning deadline as parents are told it (rounded down, a night one to 23:59 the day
        before: `ptfc.programme.deadline_as_told`), not the minute the referral happened to be made."""
        return self.when(deadline_as_told(self._local(moment), self.tz))
