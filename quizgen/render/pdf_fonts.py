"""The fonts of the PDF renderer: DejaVu Sans, bundled in ``quizgen/fonts/`` and embedded.

DejaVu covers every glyph quizgen prints (× ⌊ ⌋ ⌈ ⌉ Σ ≤ ≥ − ≈ √ ∗ σ μ γ β ε → ′, super- and
subscript digits, ○ ● ✓). Faces are registered once per process under the names in ``FACES``;
the family ``FAMILY`` maps ``<b>``/``<i>`` markup to the bold and oblique faces. ``FALLBACK`` is
the regular face under a family of its own (bold and italic map back to it), used for the rare
character a bold or oblique face lacks, so no character is ever drawn as a missing-glyph box.
"""
from __future__ import annotations

from functools import lru_cache
from pathlib import Path

FONT_DIR = Path(__file__).resolve().parent.parent / "fonts"

FAMILY = "QuizgenSans"
FALLBACK = "QuizgenSansFallback"
FACES = {
    "regular": ("QuizgenSans", "DejaVuSans.ttf"),
    "bold": ("QuizgenSans-Bold", "DejaVuSans-Bold.ttf"),
    "italic": ("QuizgenSans-Oblique", "DejaVuSans-Oblique.ttf"),
    "mono": ("QuizgenMono", "DejaVuSansMono.ttf"),
}


@lru_cache(maxsize=None)
def register() -> dict[str, str]:
    """Register the bundled faces with reportlab (idempotent); return ``{face: font name}``."""
    from reportlab.lib.fonts import addMapping
    from reportlab.pdfbase import pdfmetrics
    from reportlab.pdfbase.ttfonts import TTFont

    for name, file in FACES.values():
        pdfmetrics.registerFont(TTFont(name, str(FONT_DIR / file)))
    pdfmetrics.registerFont(TTFont(FALLBACK, str(FONT_DIR / FACES["regular"][1])))
    reg, bold, ital = FACES["regular"][0], FACES["bold"][0], FACES["italic"][0]
    pdfmetrics.registerFontFamily(FAMILY, normal=reg, bold=bold, italic=ital, boldItalic=bold)
    for b in (0, 1):
        for i in (0, 1):
            addMapping(FALLBACK, b, i, FALLBACK)
    return {face: name for face, (name, _) in FACES.items()}


def font_name(face: str) -> str:
    """The registered reportlab font name of ``face`` (regular, bold, italic, mono)."""
    return register()[face]


@lru_cache(maxsize=None)
def cmap(face: str) -> frozenset[int]:
    """Code points the face has a glyph for."""
    from reportlab.pdfbase import pdfmetrics
    return frozenset(pdfmetrics.getFont(font_name(face)).face.charToGlyph)


@lru_cache(maxsize=None)
def chars(face: str) -> frozenset[str]:
    """The characters the face has a glyph for (for fast ``issuperset`` checks)."""
    return frozenset(map(chr, cmap(face)))


def missing_glyphs(text: str, face: str = "regular") -> set[str]:
    """Characters of ``text`` (other than line breaks) that ``face`` cannot draw."""
    return set(text) - chars(face) - set("\n\r\t")
