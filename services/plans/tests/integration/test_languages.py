"""Each party reads the plan in their own language: an English owner and a Polish (or Urdu) invitee
each read the plan, its history, the children's version and both files in theirs, with the other's
words shown as written and marked with the language they were written in."""

import io

import pytest
from docx import Document
from docx.oxml.ns import qn
from pypdf import PdfReader

from ptfc.pdf import ARABIC_FONTS

from .conftest import WEEK

ENGLISH_WORDS = "Sam sleeps at Mum's on school nights."
WORDS = {
    "pl": (
        "Ferie zimowe u taty, letnie po połowie.",
        "Dzieci",
        "Wakacje, urodziny i szczególne okazje",
        "Napisane w języku: angielski",
    ),
    "ur": ("سردیوں کی چھٹیاں ابو کے ساتھ", "بچے", "چھٹیاں، سالگرہ اور خاص مواقع", "انگریزی میں لکھا گیا"),
}
ENGLISH = ("Children", "Holidays, birthdays and special occasions", "Written in Polish", "Written in Urdu")


async def negotiated(kit, invitee_lang: str) -> tuple[str, dict, dict]:
    """Mum (English) proposes the week; Dad (in his language) accepts it and proposes the holidays."""
    plan_id, owner, other = await kit.shared_by_email("Tata", invitee_lang, topics=["living", "holidays"])
    living = {"text": ENGLISH_WORDS, "weekly_pattern": [{"child": "Sam", "nights": WEEK}]}
    await kit.ok("POST", f"/plans/{plan_id}/topics/living/proposals", owner, json=living)
    await kit.ok("POST", f"/plans/{plan_id}/topics/living/acceptance", other, json={"version": 1})
    holidays = {"text": WORDS[invitee_lang][0]}
    await kit.ok("POST", f"/plans/{plan_id}/topics/holidays/proposals", other, json=holidays)
    return plan_id, owner, other


def docx_text(content: bytes) -> tuple[str, object]:
    doc = Document(io.BytesIO(content))
    return "\n".join(p.text for p in doc.paragraphs), doc.core_properties


def pdf_text(content: bytes) -> str:
    return " ".join(page.extract_text() for page in PdfReader(io.BytesIO(content)).pages)


@pytest.mark.parametrize("lang", ["pl", "ur"])
async def test_each_parent_reads_every_view_in_their_own_language(kit, lang):
    plan_id, owner, other = await negotiated(kit, lang)
    words, children, holidays, english_marked = WORDS[lang]

    # The plan: titles, statuses and counts in the reader's language; the other's words as written.
    mine = await kit.ok("GET", f"/plans/{plan_id}", owner)
    theirs = await kit.ok("GET", f"/plans/{plan_id}", other)
    assert mine["reading"] == "en" and theirs["reading"] == lang  # each their own, without asking
    assert [i["title"] for i in mine["items"]][1] == ENGLISH[1] and [i["title"] for i in theirs["items"]][1] == holidays
    assert mine["items"][1]["content"]["text"] == words and mine["items"][1]["content_language"] == lang
    assert mine["items"][1]["written_in"] == ("Written in Polish" if lang == "pl" else "Written in Urdu")
    assert theirs["items"][0]["content"]["text"] == ENGLISH_WORDS and theirs["items"][0]["written_in"] == english_marked
    assert mine["in_words"]["agreed"] == "1 of 2 topics agreed"
    assert theirs["in_words"]["agreed"] == {"pl": "Uzgodniono 1 z 2 tematów", "ur": "2 میں سے 1 موضوعات طے ہوئے"}[lang]
    asked = await kit.ok("GET", f"/plans/{plan_id}?lang=en", other)  # the hub passes the page's language
    assert asked["items"][1]["title"] == ENGLISH[1]

    # The history: topic titles in the reader's language, the words as written, marked.
    history = (await kit.ok("GET", f"/plans/{plan_id}/history", other))["items"]
    proposal = next(e for e in history if e["topic"] == "living" and e["action"] == "proposed")
    assert proposal["content"]["text"] == ENGLISH_WORDS and proposal["written_in"] == english_marked
    assert proposal["title"] == (await kit.ok("GET", f"/topics?lang={lang}", {}))[0]["title"]
    english = (await kit.ok("GET", f"/plans/{plan_id}/history", owner))["items"]
    assert next(e for e in english if e["topic"] == "holidays" and e["content"])["title"] == ENGLISH[1]

    # The children's version: in the reader's language, naming the child and the nights.
    young = await kit.ok("GET", f"/plans/{plan_id}/for-children?age=6", other)
    assert young["language"] == lang and young["children"] == ["Sam", "Jo"]
    monday = young["weeks"][0]["nights"][0]
    assert monday["day_name"] == {"pl": "poniedziałek", "ur": "پیر"}[lang] and monday["home"] == "Mum"
    page = await kit.client.get(f"/plans/{plan_id}/for-children?age=6", headers={**other, "Accept": "text/html"})
    assert f'lang="{lang}"' in page.text and ('dir="rtl"' in page.text) == (lang == "ur")

    # Word and PDF, each in the reader's language, with the other's words as written.
    for reader, expect, other_words, mark in (
        (owner, ENGLISH, words, ENGLISH[2] if lang == "pl" else ENGLISH[3]),
        (other, (children, holidays), ENGLISH_WORDS, english_marked),
    ):
        text, props = docx_text((await kit.client.get(f"/plans/{plan_id}/export.docx", headers=reader)).content)
        assert expect[0] in text and expect[1] in text and other_words in text and mark in text, text
        assert props.language == ("en-GB" if reader is owner else {"pl": "pl-PL", "ur": "ur-PK"}[lang])
        assert props.title == text.splitlines()[0]
        if lang == "ur" and reader is other:  # right to left, but Mum's English words left to right
            doc = Document(io.BytesIO((await kit.client.get(f"/plans/{plan_id}/export.docx", headers=reader)).content))
            bidi = {p.text: p._p.pPr.find(qn("w:bidi")).get(qn("w:val")) for p in doc.paragraphs}
            assert bidi[children + ": Sam (6 سال), Jo (13 سال)"] is None and bidi[ENGLISH_WORDS] == "0"
        if lang == "pl" or reader is owner or any(f.exists() for f in ARABIC_FONTS):
            pdf = pdf_text((await kit.client.get(f"/plans/{plan_id}/export.pdf", headers=reader)).content)
            flat = " ".join(pdf.split())
            assert expect[1].split()[0] in flat and other_words.split()[0] in flat, flat


async def test_the_exports_record_who_proposed_and_accepted_which_version_and_when(kit):
    plan_id, owner, other = await negotiated(kit, "pl")
    text, _ = docx_text((await kit.client.get(f"/plans/{plan_id}/export.docx", headers=owner)).content)
    when = kit.clock.now()
    day = f"{when.day} {when:%B %Y}"
    assert f"Version 1 proposed by Mum on {day}" in text and f"Version 1 accepted by Tata on {day}" in text
    assert f"Version 1 proposed by Tata on {day}" in text  # the holidays: proposed, nobody else accepted yet
    assert f"Printed on {day}" in text and "Plan version " in text and "Changed " in text
    polish, _ = docx_text((await kit.client.get(f"/plans/{plan_id}/export.docx", headers=other)).content)
    assert "Wersja 1 przyjęta przez: Tata" in polish and "Wydrukowano " in polish
