"""Every page string is in the catalogs, translated into Polish and Urdu with the same
placeholders, and the catalogs match the templates and code as they are now."""

import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from hub import i18n

HUB = Path(__file__).resolve().parents[2]
PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def catalog(lang: str):
    with (i18n.LOCALE_DIR / lang / "LC_MESSAGES" / "messages.po").open("rb") as po:
        return read_po(po, locale=lang)


def test_the_template_matches_the_sources(tmp_path):
    fresh = tmp_path / "messages.pot"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "babel.messages.frontend",
            "extract",
            "-F",
            "babel.cfg",
            "-o",
            str(fresh),
            "--no-location",
            "--omit-header",
            "-k",
            "_",
            "-k",
            "gettext",
            "-k",
            "ngettext:1,2",
            ".",
            "../../shared/src",  # ptfc.web's page frame and form macros (babel.cfg)
        ],
        cwd=HUB,
        check=True,
        capture_output=True,
    )
    with fresh.open("rb") as f:
        current = {m.id for m in read_po(f) if m.id}
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as f:
        kept = {m.id for m in read_po(f) if m.id}
    assert current == kept, "run the extract command in services/hub/README.md"


@pytest.mark.parametrize("lang", ["pl", "ur"])
def test_every_string_is_translated_with_its_placeholders(lang):
    with (i18n.LOCALE_DIR / "messages.pot").open("rb") as f:
        wanted = {m.id for m in read_po(f) if m.id}
    translated = {m.id: m for m in catalog(lang) if m.id}
    assert wanted <= set(translated), f"missing in {lang}: {sorted(map(str, wanted - set(translated)))[:5]}"
    for msgid in wanted:
        message = translated[msgid]
        assert "fuzzy" not in message.flags, msgid
        ids = msgid if isinstance(msgid, tuple) else (msgid,)
        strings = message.string if isinstance(message.string, tuple) else (message.string,)
        assert all(strings), f"{lang}: untranslated {ids[0]!r}"
        for s in strings:
            assert set(PLACEHOLDER.findall(s)) == set(PLACEHOLDER.findall(ids[-1])), f"{lang}: {ids[0]!r} → {s!r}"


# What a Polish date ("piątek, 3 lipca 2026", weekday first) may follow: a colon or bracket ("Data
# uzgodnienia: …"), or a preposition. After a bare noun or verb ("uzgodnili … tematy piątek, 3 lipca") it is
# not Polish.
# Babel's full Polish date opens with the weekday in the nominative ("piątek, 3 lipca 2026"): after "do",
# "od", "przed" or "dnia" it would need another case ("do piątku"), so only "na" and "w", which take the
# accusative (the same word for a weekday), may stand before it; else a colon.
BEFORE_A_POLISH_DATE = {"na", "w"}


def test_a_polish_date_follows_a_colon_or_a_preposition():
    for message in catalog("pl"):
        for s in message.string if isinstance(message.string, tuple) else (message.string,):
            for found in re.finditer(r"%\((?:day|when)\)s", s or ""):
                before = s[: found.start()].rstrip()
                word = before.split()[-1].lower() if before.split() else ""
                ok = not before or before[-1] in ":(" or word in BEFORE_A_POLISH_DATE
                assert ok, f"pl: a date after {word!r} in {s!r}"


def test_polish_plurals_follow_cldr():
    gettext = i18n.translations("pl").ngettext
    day = ("You have %(num)d day left.", "You have %(num)d days left.")
    assert [gettext(*day, n) % {"num": n} for n in (1, 3, 5, 22)] == [
        "Został 1 dzień.",
        "Zostały 3 dni.",
        "Zostało 5 dni.",
        "Zostały 22 dni.",
    ]


def test_dates_read_as_in_england_in_each_language():
    moment = "2026-07-03T16:00:00+00:00"  # 17:00 in London (summer time)
    assert i18n.Formats("en", "Europe/London").when(moment) == "Friday, 3 July 2026 at 17:00"
    assert i18n.Formats("pl", "Europe/London").when(moment) == "piątek, 3 lipca 2026, godz. 17:00"
    assert "جمعہ" in i18n.Formats("ur", "Europe/London").when(moment)
    urdu = i18n.Formats("ur", "Europe/London").when(moment)
    assert "17:00" in urdu and "PM" not in urdu and "AM" not in urdu  # no Latin letters in the Urdu time
    morning = "2026-01-03T09:05:00+00:00"  # "signed out at …" and a morning workshop: 09:05, not "9:05 AM"
    assert i18n.Formats("ur", "Europe/London").time(datetime.fromisoformat(morning)) == "09:05"
    assert "AM" not in i18n.Formats("ur", "Europe/London").when(morning)
    assert i18n.Formats("pl", "Europe/London").spoken("Polish") == "polski"  # "tłumacz: polski", not "Polish"
    assert i18n.Formats("ur", "Europe/London").spoken("BSL") == "BSL"
    assert i18n.Formats("ur", "Europe/London").direction == "rtl"
    assert i18n.Formats("pl", "Europe/London").direction == "ltr"


def test_language_is_picked_from_what_the_parent_asked_for_first():
    assert i18n.pick("ur", "pl") == "ur"
    assert i18n.pick(None, "xx", "pl") == "pl"
    assert i18n.pick(None) == "en"
    assert i18n.from_accept_language("de-DE,pl;q=0.8,en;q=0.5") == "pl"
