"""Polish as a parent reads it, checked by machines until a native speaker reviews it: every Polish
string of the hub's catalog, the learning modules and the letters is spelt as Debian's Polish
dictionary (hunspell-pl) spells it, or is a name in `pl_words.txt`; and it speaks in one register, the
formal one the letters use ("Pan/Pani", "Proszę + infinitive", impersonal "można", "należy"), never
"Ty". Buttons and links keep the imperative that Polish interfaces use for an action ("Zarezerwuj",
"Pobierz"); a sentence addressed to the parent does not."""

import json
import os
import re
import shutil
import subprocess
import tomllib
from pathlib import Path

import pytest
from babel.messages.pofile import read_po

from notifications.attachments import CERTIFICATE_WORDS

ROOT = Path(__file__).resolve().parents[2]
HUB_PO = ROOT / "services/hub/src/hub/locale/pl/LC_MESSAGES/messages.po"
MODULES = ROOT / "services/learning/src/learning/content/pl"
LETTERS = ROOT / "services/notifications/src/notifications/templates/pl"
CAPTIONS = ROOT / "services/learning/src/learning/content/media"
PLAN = ROOT / "services/plans/src/plans/content/pl.json"
# Words to a child (the plan's children's version) say "ty", as one speaks to a child.
TO_A_CHILD = re.compile(r"\.child\.|\.for_children|\.week_of")
WORDS = Path(__file__).with_name("pl_words.txt")

# "You" in the singular and the plural, and the verbs a sentence to "you" is made of. Whole words.
PRONOUNS = (
    "ty|tobie|tobą|cię|ciebie|twój|twoja|twoje|twojego|twojej|twojemu|twoją|twoim|twoich|twoi|twoimi|"
    "wy|was|wam|wami|wasz|wasza|wasze|waszego|waszej|waszemu|waszą|waszym|waszych|waszymi"
)
VERBS = (
    "masz|jesteś|możesz|musisz|chcesz|wiesz|będziesz|znajdziesz|zobaczysz|czujesz|robisz|"
    "macie|jesteście|możecie|musicie|chcecie|wiecie|będziecie|uzgodnicie|przygotujecie|potraficie"
)
# Imperatives, wrong in a sentence ("Zadzwoń do organizatora.") though right on a button.
IMPERATIVES = (
    "zadzwoń|napisz|poproś|sprawdź|wpisz|podaj|wybierz|poczekaj|spróbuj|zaloguj|użyj|otwórz|kliknij|"
    "skontaktuj|powiedz|zostaw|pamiętaj|pomyśl|zastanów|przeczytaj|zapisz|zaznacz|odśwież|wróć|daj|odłóż|"
    "słuchaj|rozmawiaj|zatrzymaj|wyobraź|poświęć|porozmawiaj|wymień|przeproś|zapewnij|pozwól|mów|pisz|"
    "trzymaj|przychodź|obiecuj|ukończ|zarezerwuj|odwołaj|dodaj|zaproponuj|udostępnij|przygotuj|zacznij|"
    "powiedzcie|pozwólcie|podejmujcie|przeglądajcie|ustalcie|zadzwońcie|napiszcie"
)
INFORMAL = re.compile(rf"\b(?:{PRONOUNS}|{VERBS})\b", re.I)
# Second person by its ending: present "-esz/-isz/-ysz/-asz" (robisz, czujesz), past "-łeś/-łaś",
# plural past "-liście"; and the "(-aś)" a form adds for a woman. "nasz" is "our"; "wypisz", "zapisz",
# "napisz" are imperatives, allowed on buttons.
ENDINGS = re.compile(
    r"\b(?!(?:nasz|wypisz|zapisz|napisz|pisz)\b)\w+(?:esz|isz|ysz|asz|łeś|łaś|liście|łyście)\b"
    r"|\(-?(?:aś|ęłaś)\)",
    re.I,
)
# The plural imperative to both parents ("Uzgodnijcie", "Pomyślcie", "zapiszcie"): a consonant and "-cie",
# less the nouns ending so ("w punkcie", "w momencie", "wsparcie", "wyjście").
PLURAL_IMPERATIVE = re.compile(r"\b\w+(?:[bdfghjlłmpstwzźćż]|dź)cie\b", re.I)
IMPERATIVE = re.compile(rf"\b(?:{IMPERATIVES})\b", re.I)
# What someone says in an example ("Czy możesz go zawieźć?", a parent to a parent, a parent to a child)
# is quoted, and speaks as people speak.
QUOTED = re.compile(r"„[^”]*”|\"[^\"]*\"")
JINJA = re.compile(r"\{\{.*?\}\}|\{%.*?%\}|\{#.*?#\}", re.S)
NOT_WORDS = re.compile(r"%\(\w+\)[sd]|%%|\{\w+\}|<[^>]+>|https?://\S+|\S+@\S+|&\w+;")


def polish_texts():
    """(where, text) for every Polish string a parent can read (and a child, in the plan's children's version)."""
    with HUB_PO.open("rb") as po:
        for message in read_po(po, locale="pl"):
            if message.id:
                msgid = message.id if isinstance(message.id, str) else message.id[0]
                strings = message.string if isinstance(message.string, tuple) else (message.string,)
                for text in strings:
                    yield f"hub catalog: {msgid!r}", text

    def strings(value, where):
        if isinstance(value, str):
            yield where, value
        elif isinstance(value, dict):
            for key, inner in value.items():
                if key not in ("id", "answer", "slug", "kind", "name"):
                    yield from strings(inner, f"{where}.{key}")
        elif isinstance(value, list):
            for i, inner in enumerate(value):
                yield from strings(inner, f"{where}[{i}]")

    for path in sorted(MODULES.rglob("*.toml")):
        yield from strings(tomllib.loads(path.read_text(encoding="utf-8")), path.name)
    for path in sorted(CAPTIONS.rglob("*.pl.vtt")):
        cues = path.read_text(encoding="utf-8").split("\n\n")[1:]  # after the WEBVTT header: number, timing, words
        yield from ((f"captions {path.parent.name}", "\n".join(cue.split("\n")[2:])) for cue in cues)
    yield from strings(json.loads(PLAN.read_text(encoding="utf-8")), "plan")
    yield from (("certificate", words) for words in CERTIFICATE_WORDS["pl"])
    for path in sorted(LETTERS.iterdir()):
        yield f"letter {path.name}", JINJA.sub(" ", path.read_text(encoding="utf-8"))


def register_slips(text: str) -> set[str]:
    """The informal words in one string. Imperatives count only in a sentence, not on a button."""
    said = QUOTED.sub(" ", JINJA.sub(" ", text))
    slips = set(INFORMAL.findall(said)) | set(ENDINGS.findall(said)) | set(PLURAL_IMPERATIVE.findall(said))
    if re.search(r"[.?!]\s|[.?!:]$", said.strip()):
        slips |= set(IMPERATIVE.findall(said))
    return slips


def test_polish_speaks_to_the_parent_formally_everywhere():
    texts = [(where, text) for where, text in polish_texts() if not TO_A_CHILD.search(where)]
    slips = {where: sorted(found) for where, text in texts if (found := register_slips(text))}
    assert not slips, f"informal Polish (use Pan/Pani, 'Proszę …', 'można'): {slips}"


def test_the_register_check_catches_ty_and_lets_buttons_and_quotes_be():
    assert register_slips("Jeśli nie możesz mówić, zadzwoń pod 999.") == {"możesz", "zadzwoń"}
    assert register_slips("Twoja rezerwacja") == {"Twoja"}
    assert register_slips("Nie oznacza to, że zrobiłeś(-aś) coś złego.") >= {"zrobiłeś", "(-aś)"}
    assert register_slips("Co uzgodniliście") == {"uzgodniliście"}
    assert register_slips("Uzgodnijcie, kto płaci. Pomyślcie o szkole.") == {"Uzgodnijcie", "Pomyślcie"}
    assert not register_slips("W tym momencie i w tym punkcie wsparcie jest ważne.")
    assert not register_slips("Zarezerwuj ten termin")  # a button
    assert not register_slips("Przykład: „Czy możesz go zawieźć? Daj znać do piątku”.")
    assert not register_slips("Jeśli nie może Pan/Pani przyjść, prosimy zadzwonić pod numer %(phone)s.")


def hunspell() -> str:
    path = shutil.which("hunspell")
    if path is None or not Path("/usr/share/hunspell/pl_PL.dic").exists():
        pytest.fail("install Debian's hunspell and hunspell-pl (.ci/run does: apt-get install hunspell hunspell-pl)")
    return path


def misspelt(texts: list[str]) -> set[str]:
    """Words hunspell's Polish dictionary does not know, less the project's own words."""
    plain = "\n".join(" ".join(NOT_WORDS.sub(" ", JINJA.sub(" ", t)).split()) for t in texts)
    listed = subprocess.run(
        [hunspell(), "-d", "pl_PL", "-p", str(WORDS), "-l"],
        input=plain,
        capture_output=True,
        text=True,
        check=True,
        # hunspell reads the word list (-p) only when HOME is set, whatever it is.
        env={"HOME": "/nonexistent", **os.environ, "LC_ALL": "C.UTF-8"},
    ).stdout
    return set(listed.split())


def test_polish_is_spelt_as_the_dictionary_spells_it():
    texts = list(polish_texts())
    unknown = misspelt([text for _, text in texts])
    where = {w: [place for place, text in texts if re.search(rf"\b{re.escape(w)}\b", text)][:2] for w in unknown}
    assert not unknown, f"not in hunspell-pl nor tests/unit/pl_words.txt: {where}"


def test_the_spell_check_finds_a_misspelt_word():
    assert misspelt(["Prosze zarezerwowac termin warsztatów."]) == {"Prosze", "zarezerwowac"}
    assert not misspelt(["Proszę zarezerwować termin warsztatów w Parent Hub."])
