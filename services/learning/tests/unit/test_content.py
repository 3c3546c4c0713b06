"""The course content files: all eight SPEC modules, complete, and translations that line up."""

import shutil
import tomllib

from learning import content

SPEC_ORDER = [
    "going-to-court",
    "how-separation-affects-children",
    "conflict-and-its-impact",
    "in-my-childs-shoes",
    "doing-things-differently",
    "listening-and-communicating",
    "remembering-the-tips",
    "what-next",
]


def test_english_has_the_eight_modules_in_order_within_two_hours():
    course = content.course("en")
    assert [m.slug for m in course] == SPEC_ORDER
    assert sum(m.minutes for m in course) <= 120
    for m in course:
        assert 3 <= len(m.sections) <= 5 and m.objectives and m.activity.closing


def test_a_partial_translation_is_served_where_it_exists_and_english_elsewhere(tmp_path, monkeypatch):
    shutil.copytree(content.ROOT / "en", tmp_path / "en")
    (tmp_path / "pl" / "modules").mkdir(parents=True)
    english = (content.ROOT / "en" / "modules" / "01-going-to-court.toml").read_text("utf-8")
    polish = english.replace(
        'title = "What happens if I go to court?"', 'title = "Co się stanie, jeśli pójdę do sądu?"'
    )
    (tmp_path / "pl" / "modules" / "01-going-to-court.toml").write_text(polish, "utf-8")
    monkeypatch.setattr(content, "ROOT", tmp_path)
    content._load.cache_clear()
    try:
        assert content.languages() == ["en", "pl"]
        assert (content.module(1, "pl").language, content.module(1, "pl").title[:3]) == ("pl", "Co ")
        assert content.module(2, "pl").language == "en"
    finally:
        content._load.cache_clear()


def test_every_translation_keeps_the_question_ids_and_answers():
    for language in content.languages():
        for number in range(1, content.MODULE_COUNT + 1):
            translated, english = content.module(number, language), content.module(number, "en")
            assert translated.activity.item_ids == english.activity.item_ids
            assert [q.answer for q in translated.activity.questions] == [q.answer for q in english.activity.questions]


def test_every_content_file_parses_and_ships_inside_the_package():
    files = sorted(content.ROOT.glob("*/modules/*.toml"))
    assert len(files) >= content.MODULE_COUNT
    for path in files:
        assert tomllib.loads(path.read_text("utf-8"))["number"] in range(1, 9)
    assert content.ROOT.is_relative_to(content.Path(content.__file__).parent)


def test_sentences_stay_short_for_parents_under_stress():
    for m in content.course("en"):
        text = "\n".join(s.body for s in m.sections)  # a list item counts as a sentence
        sentences = [s for s in text.replace("!", ".").replace("?", ".").replace("\n", ".").split(".") if s.strip()]
        longest = max(len(s.split()) for s in sentences)
        assert longest <= 30, (m.slug, longest)


SAME_IN_EVERY_LANGUAGE = {"id", "answer", "slug", "kind", "number", "minutes", "name"}


def test_every_module_is_translated_into_polish_and_urdu_field_by_field():
    """Written material comes in English, Polish and Urdu (SPEC): each module file exists in pl and ur
    (no parent meets an English fallback), with the English file's every field, list and option, none
    empty, and no sentence left in English."""

    def walk(english, translated, where):
        if isinstance(english, dict):
            assert isinstance(translated, dict) and set(translated) == set(english), where
            for key in english:
                if key not in SAME_IN_EVERY_LANGUAGE:
                    yield from walk(english[key], translated[key], f"{where}.{key}")
        elif isinstance(english, list):
            assert isinstance(translated, list) and len(translated) == len(english), where
            for i, (e, t) in enumerate(zip(english, translated, strict=True)):
                yield from walk(e, t, f"{where}[{i}]")
        else:
            yield where, english, translated

    for language in ("pl", "ur"):
        for path in sorted((content.ROOT / "en" / "modules").glob("*.toml")):
            other = content.ROOT / language / "modules" / path.name
            assert other.exists(), f"{path.name} is not translated into {language}"
            english, translated = tomllib.loads(path.read_text("utf-8")), tomllib.loads(other.read_text("utf-8"))
            for where, e, t in walk(english, translated, f"{language}/{path.name}"):
                assert isinstance(t, str) and t.strip(), f"{where} is empty"
                assert t != e or len(e.split()) < 4, f"{where} is still in English: {e[:60]!r}"


# Module 8 once told parents the provider would contact them about the workshop while the page that
# follows it offers "Book a workshop" (issue 26). What it says now, and what it must not say again.
BOOK_IN_THE_HUB = {
    "en": ("book your group workshop in the Parent Hub", "will contact you"),
    "pl": ("można zarezerwować warsztaty grupowe w Parent Hub", "skontaktuje się z"),
    "ur": ("Parent Hub میں اپنی گروپ ورکشاپ بک کر سکتے ہیں", "آپ سے رابطہ کرے گا"),
}


def test_module_8_tells_the_parent_to_book_the_workshop_not_to_wait_for_a_call():
    for lang, (book, wait) in BOOK_IN_THE_HUB.items():
        what_next = content.module(8, lang)
        said = " ".join([s.body for s in what_next.sections] + [what_next.activity.closing])
        assert book in what_next.activity.closing, lang
        assert wait not in said, f"{lang}: module 8 still says the provider will call"
