"""Fonts for the platform's PDFs (notifications' certificate, plans' plan and children's version),
set up once: Latin and Polish letters in DejaVu Sans, Urdu in Noto Naskh Arabic shaped right to left
by HarfBuzz (`uharfbuzz`), each line in the direction of its own script. Naskh rather than Nastaliq,
whose steep joins PDF text lines do not leave room for. Debian's fonts-dejavu-core and
fonts-noto-core have them (services/Dockerfile installs them); without DejaVu, the PDF core font and a
readable Latin-1 approximation. Works on an fpdf2 `FPDF` without importing it."""

import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

LATIN_FONTS = (Path("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf"), Path("/usr/share/fonts/dejavu/DejaVuSans.ttf"))
ARABIC_FONTS = (
    Path("/usr/share/fonts/truetype/noto/NotoNaskhArabic-Regular.ttf"),
    Path("/usr/share/fonts/noto/NotoNaskhArabic-Regular.ttf"),
)
ARABIC_SCRIPT = re.compile("[\u0600-\u06ff\u0750-\u077f\ufb50-\ufdff\ufe70-\ufeff]")


def latin1(text: str) -> str:
    """For the core PDF font, which has no Polish or Urdu letters: a readable approximation."""
    text = text.replace("ł", "l").replace("Ł", "L")
    return unicodedata.normalize("NFKD", text).encode("latin-1", "ignore").decode("latin-1") or "?"


@dataclass(frozen=True)
class Fonts:
    """The fonts added to one document: `use` sets the one for a line of text."""

    latin: str  # "latin", or the core "helvetica" where DejaVu is missing
    arabic: str | None
    clean: Callable[[str], str]  # what a Latin line becomes in that font

    def use(self, pdf: Any, size: int, text: str) -> bool:
        """The font and direction for a line: right to left when it is in Arabic script (Urdu); True then."""
        rtl = self.arabic is not None and ARABIC_SCRIPT.search(text) is not None
        if rtl:
            pdf.set_text_shaping(use_shaping_engine=True, direction="rtl", script="arab", language="urd")
            pdf.set_font(self.arabic, size=size)
        else:
            pdf.set_text_shaping(False)
            pdf.set_font(self.latin, size=size)
        return rtl


def fonts(pdf: Any) -> Fonts:
    """Adds the fonts this machine has to `pdf` (only the glyphs used are embedded)."""
    latin = next((f for f in LATIN_FONTS if f.exists()), None)
    arabic = next((f for f in ARABIC_FONTS if f.exists()), None)
    if latin:
        pdf.add_font("latin", fname=str(latin))
    if arabic:
        pdf.add_font("arabic", fname=str(arabic))
        if latin:  # names and numbers typed in Latin letters inside an Urdu line
            pdf.set_fallback_fonts(["latin"])
    return Fonts("latin" if latin else "helvetica", "arabic" if arabic else None, str if latin else latin1)
