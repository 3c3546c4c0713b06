"""Renders a message from its Jinja2 files: `templates/{lang}/{name}.txt` holds the subject and
the plain text; `templates/{lang}/_layout.html` turns those same words into the HTML part, so the
two parts of one email can never say different things. HTML is autoescaped."""

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from jinja2 import Environment, PackageLoader, StrictUndefined, select_autoescape
from markupsafe import Markup, escape

from ptfc.programme import LANGUAGES as LANGUAGES  # the tests check every template in each
from ptfc.programme import deadline_as_told

DIRECTION = {"en": "ltr", "pl": "ltr", "ur": "rtl"}

_DAYS = {
    "en": ("Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"),
    "pl": ("poniedziałek", "wtorek", "środa", "czwartek", "piątek", "sobota", "niedziela"),
    "ur": ("پیر", "منگل", "بدھ", "جمعرات", "جمعہ", "ہفتہ", "اتوار"),
}
# Polish months in the genitive, as a date is written ("12 stycznia 2026").
_MONTHS = {
    "en": "January February March April May June July August September October November December",
    "pl": "stycznia lutego marca kwietnia maja czerwca lipca sierpnia września października listopada grudnia",
    "ur": "جنوری فروری مارچ اپریل مئی جون جولائی اگست ستمبر اکتوبر نومبر دسمبر",
}
_URL = re.compile(r"(https?://[^\s<>\"]+)")


def _month(lang: str, month: int) -> str:
    return _MONTHS[lang].split(" ")[month - 1]


@dataclass(frozen=True)
class Rendered:
    subject: str
    text: str
    html: str


def _linkify(paragraph: str) -> Markup:
    """Escape a paragraph of plain text, keep its line breaks and make its links clickable."""
    out = []
    for i, piece in enumerate(_URL.split(paragraph)):
        if i % 2:
            out.append(Markup('<a href="{0}">{0}</a>').format(piece))
        else:
            out.append(escape(piece).replace("\n", Markup("<br>\n")))
    return Markup("").join(out)


class Renderer:
    def __init__(self, timezone: str = "Europe/London") -> None:
        self.zone = ZoneInfo(timezone)
        self.env = Environment(
            loader=PackageLoader("notifications", "templates"),
            autoescape=select_autoescape(["html"], default_for_string=True, default=False),
            undefined=StrictUndefined,  # a missing value is a bug to see, not a blank in a letter
            trim_blocks=True,
            lstrip_blocks=True,
            keep_trailing_newline=False,
        )
        self.env.filters["linkify"] = _linkify

    def local(self, value: datetime) -> datetime:
        return value.astimezone(self.zone)

    def day(self, value: datetime, lang: str) -> str:
        v = self.local(value)
        return {
            "en": f"{_DAYS['en'][v.weekday()]} {v.day} {_month('en', v.month)} {v.year}",
            "pl": f"{_DAYS['pl'][v.weekday()]}, {v.day} {_month('pl', v.month)} {v.year}",
            "ur": f"{_DAYS['ur'][v.weekday()]}، {v.day} {_month('ur', v.month)} {v.year}",
        }[lang]

    def time(self, value: datetime, lang: str) -> str:
        clock = self.local(value).strftime("%H:%M")
        return {"en": clock, "pl": f"godz. {clock}", "ur": f"{clock} بجے"}[lang]

    def at(self, value: datetime, lang: str) -> str:
        joiner = {"en": " at ", "pl": ", ", "ur": "، "}[lang]
        return self.day(value, lang) + joiner + self.time(value, lang)

    def render(self, name: str, lang: str, context: dict[str, Any]) -> Rendered:
        if lang not in LANGUAGES:
            lang = "en"
        template = self.env.get_template(f"{lang}/{name}.txt")
        values = {
            **context,
            "lang": lang,
            "day": lambda v: self.day(v, lang),
            "time": lambda v: self.time(v, lang),
            "at": lambda v: self.at(v, lang),
            # The e-learning deadline as the hub shows it: rounded down, a night one to 23:59 the day before.
            "deadline_at": lambda v: self.at(deadline_as_told(v, str(self.zone)), lang),
        }
        ctx = template.new_context(values)
        subject = " ".join("".join(template.blocks["subject"](ctx)).split())
        text = _tidy("".join(template.blocks["body"](ctx)))
        layout = self.env.get_template(f"{lang}/_layout.html")
        html = layout.render(
            subject=subject,
            paragraphs=text.split("\n\n"),
            lang=lang,
            dir=DIRECTION[lang],
        )
        return Rendered(subject, text, html)


def _tidy(text: str) -> str:
    """Strip each line and keep at most one blank line between paragraphs."""
    lines = [line.strip() for line in text.strip().splitlines()]
    return re.sub(r"\n{3,}", "\n\n", "\n".join(lines))
