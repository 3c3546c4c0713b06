"""The plan as files: Word (python-docx) and PDF (fpdf2, as notifications' certificate), and the
blank Word template. Parties appear by the names they chose; no contact detail is ever here."""

import io
from datetime import datetime

from docx import Document
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from fpdf import FPDF

from plans import content
from plans.content import Language
from plans.wording import TAGS, agreed_count, changes, counted, day, moment, structured, written_in
from ptfc.pdf import fonts

Line = tuple[str, str]  # (text, the language it is in): a parent's words keep theirs


def record(plan: dict, key: str, history: list[dict], lang: Language) -> list[str]:
    """Who proposed the topic's current version and who accepted it, and when (from the history)."""
    words, version = content.labels(lang), plan["items"][key]["version"]
    proposed, accepted = None, []
    for e in history:
        if e.get("topic") != key:
            continue
        if e["action"] in ("proposed", "counter_proposed") and e.get("version") == version:
            proposed, accepted = e, []
        elif e["action"] in ("accepted", "agreed") and e.get("version") == version and proposed:
            accepted.append(e)
        elif e["action"] == "not_agreed" and proposed:
            accepted = [e]  # set aside: its acceptances are undone (kept as the line that says so)
    if not proposed:
        return []
    lines = [words["proposed_line"].format(version=version, name=proposed["by"], when=moment(proposed["at"], lang))]
    for e in accepted:
        label = "set_aside_line" if e["action"] == "not_agreed" else "accepted_line"
        lines.append(words[label].format(version=version, name=e["by"], when=moment(e["at"], lang)))
    return lines


def sections(plan: dict, lang: Language, history: list[dict]) -> list[tuple[str, str, list[Line]]]:
    """Each chosen topic in the reader's language: its title, its status in words, its lines
    (structured, then the parents' words as written, marked with their language), and its record."""
    words, out = content.labels(lang), []
    for key in plan["topics"]:
        item = plan["items"][key]
        lines: list[Line] = [(line, lang) for line in structured(plan, item["content"], lang)]
        if item["content"] and item["content"].get("text"):
            written = item.get("language") or plan["language"]
            if note := written_in(written, lang):
                lines.append((note, lang))
            lines.append((item["content"]["text"], written))
        lines += [(line, lang) for line in record(plan, key, history, lang)]
        out.append((content.topic(key, lang).title, words[item["status"]], lines))
    return out


def heading(plan: dict, now: datetime, lang: Language) -> tuple[str, list[str]]:
    """The title, and the lines a court or family would look for first: children, the plan's version
    and changes, how many topics are agreed (and when), and the date, all in words."""
    words = content.labels(lang)
    children = ", ".join(f"{c['name']} ({counted(lang, 'years', c['age'])})" for c in plan["children"])
    lines = [
        f"{words['children']}: {children}",
        f"{words['plan_version'].format(n=plan['revision'])} · {changes(plan['revision'], lang)}",
        agreed_count(list(plan["items"].values()), lang),
    ]
    if plan.get("agreed_at"):
        lines.append(words["agreed_on"].format(when=day(plan["agreed_at"], lang)))
    lines.append(words["dated"].format(when=day(now, lang)))
    return words["plan"], lines


def plan_docx(plan: dict, now: datetime, lang: Language, history: list[dict]) -> bytes:
    doc = Document()
    title, lines = heading(plan, now, lang)
    doc.add_heading(title, level=0)
    for line in lines:
        doc.add_paragraph(line)
    for name, status, rows in sections(plan, lang, history):
        doc.add_heading(name, level=1)
        doc.add_paragraph(status).runs[0].italic = True
        for text, written in rows:
            _direction(doc.add_paragraph(text), written, lang)
    return _save(doc, lang, title)


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


def _direction(paragraph, lang: str, document: str) -> None:
    """Each run carries its language (a parent's words keep theirs inside a document in another);
    Urdu reads right to left, and a line in another language inside an Urdu document left to right."""
    for run in paragraph.runs:
        tag = OxmlElement("w:lang")
        tag.set(qn("w:bidi" if lang == "ur" else "w:val"), TAGS.get(lang, lang))
        run._r.get_or_add_rPr().append(tag)
    if lang == "ur" or document == "ur":
        bidi = OxmlElement("w:bidi")
        if lang != "ur":
            bidi.set(qn("w:val"), "0")
        paragraph._p.get_or_add_pPr().append(bidi)
        for run in paragraph.runs if lang == "ur" else ():
            run._r.get_or_add_rPr().append(OxmlElement("w:rtl"))


def _save(doc, lang: Language = "en", title: str | None = None) -> bytes:
    """Title and language set in the core properties; Urdu paragraphs right to left."""
    doc.core_properties.title = title or content.labels(lang)["plan"]
    doc.core_properties.language = TAGS[lang]
    doc.core_properties.author = "Planning Together for Children"
    for paragraph in doc.paragraphs if lang == "ur" else ():
        if paragraph._p.get_or_add_pPr().find(qn("w:bidi")) is None:  # not already set by _direction
            _direction(paragraph, lang, lang)
    out = io.BytesIO()
    doc.save(out)
    return out.getvalue()


class Pdf:
    """An A4 PDF in the reader's language: Latin and Polish letters in DejaVu, Urdu in Noto Naskh
    Arabic shaped right to left by HarfBuzz, each line set in the direction of its own language (a
    parent's English words in an Urdu plan read left to right, their Urdu words in an English one
    right to left)."""

    def __init__(self, title: str, lang: Language) -> None:
        self.pdf, self.lang = FPDF(format="A4"), lang
        self.pdf.set_title(title)
        self.pdf.set_lang(TAGS[lang])
        self.pdf.set_author("Planning Together for Children")
        self.fonts = fonts(self.pdf)
        self.clean = self.fonts.clean
        self.pdf.add_page()

    def font(self, size: int, text: str) -> bool:
        return self.fonts.use(self.pdf, size, text)

    def write(self, size: int, text: str) -> None:
        rtl = self.font(size, text)
        height = size * 0.55 * (1.4 if rtl else 1)
        self.pdf.multi_cell(0, height, self.clean(text), align="R" if rtl else "L", new_x="LMARGIN", new_y="NEXT")
        self.pdf.ln(1.5)

    def row(self, cells: list[str], size: int, fills: list[tuple[int, int, int]] | None = None) -> None:
        """A row of equal cells across the page (a week: seven nights), right to left in Urdu."""
        width = self.pdf.epw / len(cells)
        ordered = list(zip(cells, fills or [(255, 255, 255)] * len(cells), strict=True))
        for text, fill in reversed(ordered) if self.lang == "ur" else ordered:
            self.font(size, text)
            self.pdf.set_fill_color(*fill)
            self.pdf.cell(width, size * 0.9, self.clean(text), border=1, align="C", fill=True)
        self.pdf.ln(size * 0.9)

    def output(self) -> bytes:
        return bytes(self.pdf.output())


def plan_pdf(plan: dict, now: datetime, lang: Language, history: list[dict]) -> bytes:
    title, lines = heading(plan, now, lang)
    pdf = Pdf(title, lang)
    pdf.write(20, title)
    for line in lines:
        pdf.write(10, line)
    for name, status, rows in sections(plan, lang, history):
        pdf.pdf.ln(3)
        pdf.write(14, name)
        pdf.write(10, status)
        for text, _ in rows:
            pdf.write(11, text)
    return pdf.output()


HOMES = {"owner": (210, 226, 241), "invitee": (251, 229, 200), "both": (223, 240, 216)}


def children_pdf(view) -> bytes:
    """The children's version on A4: each child's week as a row of nights, then each agreed topic."""
    pdf = Pdf(view.title, view.language)
    pdf.write(22, view.title)
    if view.note:
        pdf.write(13, view.note)
    for week in view.weeks:
        pdf.pdf.ln(2)
        pdf.write(15, week.heading)
        pdf.row([n.day_name for n in week.nights], 10)
        pdf.row([n.home for n in week.nights], 10, [HOMES[n.role] for n in week.nights])
    for section in view.sections:
        pdf.pdf.ln(3)
        pdf.write(15, section.title)
        pdf.write(12, section.words)
        for line in section.details:
            pdf.write(12, f"• {line}")
    return pdf.output()
