"""The plan as files: Word (python-docx) and PDF (fpdf2, as notifications' certificate), and the
blank Word template. Parties appear by the names they chose; no contact detail is ever here."""

import io
import unicodedata
from datetime import datetime
from pathlib import Path

from docx import Document
from docx.oxml import OxmlElement
from fpdf import FPDF

from plans import content
from plans.content import Language
from plans.wording import structured

# A Unicode font where the machine has one (Polish needs it); else the PDF core font.
FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))
# Urdu needs a font with Arabic-script glyphs, shaped (joined letters, right to left) by HarfBuzz
# (`uharfbuzz`). Debian's fonts-noto-core has it (the Dockerfile installs it); Naskh rather than
# Nastaliq, whose steep joins PDF text lines do not leave room for.
ARABIC_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"),
    Path("/usr/share/fonts/noto/NotoNaskhArabic-Regular.ttf"),
)


def sections(plan: dict) -> list[tuple[str, str, list[str]]]:
    """Each chosen topic: its title, its status in words, and its lines (structured, then text)."""
    lang = plan["language"]
    words, out = content.labels(lang), []
    for key in plan["topics"]:
        item = plan["items"][key]
        lines = structured(plan, item["content"], lang)
        if item["content"] and item["content"].get("text"):
            lines.append(item["content"]["text"])
        out.append((content.topic(key, lang).title, words[item["status"]], lines))
    return out


def heading(plan: dict, now: datetime) -> tuple[str, str, str]:
    words = content.labels(plan["language"])
    children = ", ".join(f"{c['name']} ({words['age']} {c['age']})" for c in plan["children"])
    stamp = f"{words['version']} {plan['revision']} · {words['date']} {now:%Y-%m-%d}"
    return words["plan"], f"{words['children']}: {children}", stamp


def plan_docx(plan: dict, now: datetime) -> bytes:
    doc = Document()
    title, children, stamp = heading(plan, now)
    doc.add_heading(title, level=0)
    doc.add_paragraph(stamp)
    doc.add_paragraph(children)
    for name, status, lines in sections(plan):
        doc.add_heading(name, level=1)
        doc.add_paragraph(status).runs[0].italic = True
        for line in lines:
            doc.add_paragraph(line)
    return _save(doc, plan["language"])


def template_docx(lang: Language) -> bytes:
    """A blank plan: each topic's guidance and prompts, with room to write what was agreed."""
    words, doc = content.labels(lang), Document()
    doc.add_heading(words["plan"], level=0)
    doc.add_paragraph(words["template_intro"])
    doc.add_paragraph(f"{words['children']}: ________________________________")
    for t in content.topics(lang):
        doc.add_heading(t.title, level=1)
        doc.add_paragraph(t.guidance)
        for prompt in t.prompts:
            doc.add_paragraph(prompt, style="List Bullet")
        doc.add_paragraph(f"{words['template_agreed']}:")
        for _ in range(4):
            doc.add_paragraph("_" * 70)
    doc.add_paragraph(f"{words['template_signed']}: ____________________")
    return _save(doc, lang)


def _save(doc, lang: Language = "en") -> bytes:
    if lang == "ur":  # Urdu reads right to left: mark each paragraph and run so Word lays it out so
        for paragraph in doc.paragraphs:
            paragraph._p.get_or_add_pPr().append(OxmlElement("w:bidi"))
            for run in paragraph.runs:
                run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


def _latin1(text: str) -> str:
    """For the core PDF font, which has no Polish or Urdu letters: a readable approximation."""
    text = text.replace("ł", "l").replace("Ł", "L")
    return unicodedata.normalize("NFKD", text).encode("latin-1", "ignore").decode("latin-1") or "?"


def plan_pdf(plan: dict, now: datetime) -> bytes:
    pdf = FPDF(format="A4")
    title, children, stamp = heading(plan, now)
    pdf.set_title(title)
    pdf.set_author("Planning Together for Children")
    font = next((f for f in FONTS if f.exists()), None)
    arabic = next((f for f in ARABIC_FONTS if f.exists()), None) if plan["language"] == "ur" else None
    align = "L"
    if arabic:
        pdf.add_font("body", fname=str(arabic))
        if font:  # names and numbers the parents typed in Latin letters
            pdf.add_font("latin", fname=str(font))
            pdf.set_fallback_fonts(["latin"])
        pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="urd")
        family, clean, align = "body", str, "R"
    elif font:
        pdf.add_font("body", fname=str(font))
        family, clean = "body", str
    else:
        family, clean = "helvetica", _latin1
    pdf.add_page()

    def write(size: int, text: str) -> None:
        pdf.set_font(family, size=size)
        pdf.multi_cell(0, size * 0.55 * (1.4 if arabic else 1), clean(text), align=align, new_x="LMARGIN", new_y="NEXT")
        pdf.ln(1.5)

    write(20, title)
    write(10, stamp)
    write(11, children)
    for name, status, lines in sections(plan):
        pdf.ln(3)
        write(14, name)
        write(10, status)
        for line in lines:
            write(11, line)
    return bytes(pdf.output())
