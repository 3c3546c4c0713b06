"""The files and words a plan turns into, without I/O."""

import io
from datetime import UTC, datetime

import pytest
from docx import Document
from pypdf import PdfReader

from plans import domain, exports
from plans.wording import structured
from ptfc.pdf import ARABIC_FONTS

NOW = datetime(2026, 3, 1, 9, 0, tzinfo=UTC)


def test_structured_fields_read_as_the_names_the_parents_chose():
    mum = domain.new_party("owner", "Mum", NOW, participant_id="p", token_hash=None)
    plan = domain.new_plan(mum, "pl", [{"name": "Ola", "age": 9}], ["money", "pets"], NOW)
    lines = structured(
        plan,
        {
            "pocket_money": [{"child": "Ola", "pence_per_week": 250, "paid_by": "shared"}],
            "pets": [{"name": "Kot", "kind": "kot", "kept_by": "owner"}],
        },
        "pl",
    )
    assert lines == ["Ola: £2.50 (płaci oboje rodzice)", "Kot (kot): mieszka u Mum"]


def test_the_word_file_shows_each_topic_with_its_state_in_the_plans_language():
    mum = domain.new_party("owner", "Mum", NOW, participant_id="p", token_hash=None)
    plan = domain.new_plan(mum, "pl", [{"name": "Ola", "age": 9}], ["education"], NOW)
    plan["items"]["education"] = domain.propose(plan, mum, "education", {"text": "Szkoła nr 5"}, NOW).item
    word = Document(io.BytesIO(exports.plan_docx(plan, NOW, "pl", [])))
    text = [p.text for p in word.paragraphs]
    assert text[:5] == [
        "Plan dla naszego dziecka",
        "Dzieci: Ola (9 lat)",
        "Wersja planu 0 · Bez zmian od rozpoczęcia",
        "Uzgodniono 0 z 1 tematu",
        "Wydrukowano 1 marca 2026",
    ]
    assert text[5:] == ["Edukacja", "Zaproponowane, jeszcze nieuzgodnione", "Szkoła nr 5"]
    assert word.core_properties.title == "Plan dla naszego dziecka" and word.core_properties.language == "pl-PL"


@pytest.mark.skipif(
    not any(f.exists() for f in ARABIC_FONTS),
    reason="needs Debian's fonts-noto-core (NotoNaskhArabic), as the plans image installs",
)
def test_the_urdu_pdf_is_set_in_an_arabic_script_font_and_its_words_can_be_read_back():
    mum = domain.new_party("owner", "Mum", NOW, participant_id="p", token_hash=None)
    plan = domain.new_plan(mum, "ur", [{"name": "Sam", "age": 9}], ["education"], NOW)
    plan["items"]["education"] = domain.propose(plan, mum, "education", {"text": "اسکول نمبر 5"}, NOW).item
    page = PdfReader(io.BytesIO(exports.plan_pdf(plan, NOW, "ur", []))).pages[0]
    fonts = {str(f["/BaseFont"]) for f in page["/Resources"]["/Font"].get_object().values()}
    assert any("NotoNaskhArabic" in f for f in fonts), fonts
    text = page.extract_text()
    title = exports.heading(plan, NOW, "ur")[0]
    assert title in text and "تعلیم" in text and "اسکول نمبر" in text and "Sam" in text
