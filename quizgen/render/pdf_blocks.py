"""Content blocks and options → reportlab flowables (used by ``render/pdf.py``).

Knows block types and question kinds only, never families:

- ``Text`` → a Paragraph; inline ``Expr`` runs become ``<sub>``/``<super>`` markup; every string
  is escaped for reportlab's paragraph markup (``&``, ``<``, ``>``).
- ``Math`` → a centred Paragraph.
- ``Matrix`` → a ruled grid (thin lines, centred numbers, highlighted windows shaded light grey
  with a heavier outline) with its label above; ``MatrixRow`` → grids side by side with the
  operators between them, vertically centred; both shrink to fit the width when too wide.
- ``Table`` → a ruled table with a shaded header row that repeats when the table splits.
- ``Steps`` → numbered paragraphs.

Options: a drawn bubble (a circle, a square for select-all questions, filled in answer keys
for the correct options), the letter, the content. Short options lie side by side in one row,
small matrices in one or two rows; anything else is a vertical list.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from xml.sax.saxutils import escape

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER, TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Paragraph, Spacer, Table, TableStyle

from quizgen.mathexpr import Expr
from quizgen.model import LABELS, Block, Choice, Math, Matrix, MatrixRow, Steps, Text
from quizgen.model import Table as TableBlock
from quizgen.numbers import fmt
from quizgen.render import pdf_fonts

GRID = colors.Color(0.35, 0.35, 0.35)
SHADE = colors.Color(0.86, 0.86, 0.86)
HEADER_SHADE = colors.Color(0.92, 0.92, 0.92)
MUTED = colors.Color(0.33, 0.33, 0.33)
#: taller content than this (points) is scaled down: a letter page's frame is about 9 in
MAX_BLOCK_HEIGHT = 600.0


# ---- markup ------------------------------------------------------------------------------------

def esc(text: str, face: str = "regular") -> str:
    """Escape ``text`` for paragraph markup; characters the face lacks but the regular face has
    are drawn in the regular face."""
    if pdf_fonts.chars(face).issuperset(text):
        return escape(text)
    have, regular = pdf_fonts.chars(face), pdf_fonts.chars("regular")
    out = []
    for ch in text:
        if ch in have or ch in " \n\t" or ch not in regular:
            out.append(escape(ch))
        else:
            out.append(f'<font name="{pdf_fonts.FALLBACK}">{escape(ch)}</font>')
    return "".join(out)


def runs_markup(runs, face: str = "regular") -> str:
    """``Expr.runs()`` → markup with ``<sub>``/``<super>``."""
    parts = []
    for text, style in runs:
        t = esc(text, face)
        parts.append(f"<sub>{t}</sub>" if style == "sub" else f"<super>{t}</super>"
                     if style == "sup" else t)
    return "".join(parts)


def inline_markup(span, face: str = "regular") -> str:
    """A str or an ``Expr`` (as an inline formula) → markup."""
    if isinstance(span, Expr):
        return runs_markup(span.runs(), face)
    return esc(span, face)


def cell_markup(c, face: str = "regular") -> str:
    """A table cell (str, number or Expr) → markup; numbers get thousands separators."""
    if isinstance(c, (str, Expr)):
        return inline_markup(c, face)
    return esc(_minus(fmt(c, group=True)), face)


def _minus(s: str) -> str:
    """A typographic minus for negative numbers (as ``Num`` prints them)."""
    return "−" + s[1:] if s.startswith("-") else s


def text_markup(t: Text) -> tuple[str, str]:
    """A Text block → (markup, face it is set in)."""
    face = {"strong": "bold", "note": "italic"}.get(t.style, "regular")
    return "".join(inline_markup(s, face) for s in t.spans), face


def cell_plain(c) -> str:
    """A table cell as the plain text it prints (used to size columns)."""
    if isinstance(c, str):
        return c
    if isinstance(c, Expr):
        return c.text()
    return _minus(fmt(c, group=True))


# ---- styles ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Styles:
    """The paragraph styles at one body size (10.5 pt in exams, 9 pt in keys):
    ``Styles(10.5).get("body")``."""

    size: float

    def get(self, name: str) -> ParagraphStyle:
        return _style(self.size, name)


_STYLES = {
    # name: (face, font size as a multiple of the body size, other ParagraphStyle arguments;
    # lengths there are multiples of the body size too)
    "body": ("regular", 1, {"spaceAfter": 0.45}),
    "bold": ("bold", 1, {"spaceAfter": 0.45}),
    "subhead": ("bold", 1, {"spaceBefore": 0.55, "spaceAfter": 0.3}),
    "note": ("italic", 0.86, {"textColor": MUTED, "spaceAfter": 0.4}),
    "math": ("regular", 1, {"alignment": TA_CENTER, "spaceBefore": 0.2, "spaceAfter": 0.6}),
    "label": ("bold", 0.86, {"alignment": TA_CENTER}),
    "caption": ("bold", 0.86, {"spaceAfter": 0.3}),
    "cell": ("regular", 0.86, {}),
    "cell-r": ("regular", 0.86, {"alignment": TA_RIGHT}),
    "head": ("bold", 0.86, {}),
    "head-r": ("bold", 0.86, {"alignment": TA_RIGHT}),
    "option": ("regular", 1, {}),
    "letter": ("bold", 1, {}),
    "step": ("regular", 1, {"leftIndent": 1.7, "spaceAfter": 0.35}),
}
_NOT_SCALED = {"alignment", "textColor"}


@lru_cache(maxsize=None)
def _style(size: float, name: str) -> ParagraphStyle:
    face, factor, extra = _STYLES[name]
    fs = round(size * factor, 2)
    kw = {k: (v if k in _NOT_SCALED else round(v * size, 2)) for k, v in extra.items()}
    return ParagraphStyle(f"{name}-{size}", fontName=pdf_fonts.font_name(face), fontSize=fs,
                          leading=round(fs * (1.36 if factor == 1 else 1.24), 2),
                          bulletFontName=pdf_fonts.font_name("regular"), bulletFontSize=fs,
                          bulletIndent=0, **kw)


# ---- small flowables ---------------------------------------------------------------------------

class Para(Paragraph):
    """A Paragraph that remembers its line breaks per available width: reportlab wraps the same
    paragraph several times (KeepTogether, the frame, table cells), and line breaking in pure
    Python is most of the rendering time."""

    def wrap(self, aW, aH):
        memo = self.__dict__.setdefault("_memo", {})
        hit = memo.get(aW)
        if hit is None:
            w, h = super().wrap(aW, aH)
            if hasattr(self, "blPara"):
                memo[aW] = (w, h, self.blPara, self._wrapWidths)
            return w, h
        self.width, self.height, self.blPara, self._wrapWidths = hit
        return hit[0], hit[1]


class Bubble(Flowable):
    """An answer bubble: a circle (single answer) or a square (select all); ``filled`` in keys."""

    def __init__(self, size: float, *, square: bool = False, filled: bool = False):
        super().__init__()
        self.size, self.square, self.filled = size, square, filled
        self.width = self.height = size

    def wrap(self, aW, aH):
        return self.size, self.size

    def draw(self):
        c = self.canv
        c.setLineWidth(0.7)
        c.setStrokeColor(colors.black)
        c.setFillColor(colors.black)
        r = self.size / 2
        if self.square:
            c.rect(0.5, 0.5, self.size - 1, self.size - 1, stroke=1, fill=int(self.filled))
        else:
            c.circle(r, r, r - 0.5, stroke=1, fill=int(self.filled))


class Box(Flowable):
    """An empty rectangle to write in."""

    def __init__(self, width: float, height: float):
        super().__init__()
        self.width, self.height = width, height

    def wrap(self, aW, aH):
        return self.width, self.height

    def draw(self):
        self.canv.setLineWidth(0.7)
        self.canv.rect(0, 0, self.width, self.height, stroke=1, fill=0)


class Indent(Flowable):
    """``child`` shifted right by ``left`` points (and narrowed by as much); splits like the
    child."""

    def __init__(self, child: Flowable, left: float):
        super().__init__()
        self.child, self.left = child, left

    def wrap(self, aW, aH):
        self._avail = aW - self.left
        self.width, self.height = self.child.wrapOn(self.canv, self._avail, aH)
        return self.width + self.left, self.height

    def split(self, aW, aH):
        return [Indent(c, self.left) for c in self.child.splitOn(self.canv, aW - self.left, aH)]

    def getSpaceBefore(self):
        return self.child.getSpaceBefore()

    def getSpaceAfter(self):
        return self.child.getSpaceAfter()

    def draw(self):
        self.child.drawOn(self.canv, self.left, 0, _sW=max(0.0, self._avail - self.width))


def tstyle(commands) -> TableStyle:
    """A TableStyle whose cells default to the regular face (reportlab's default is Helvetica,
    which would otherwise be referenced, unembedded, by every empty string cell)."""
    return TableStyle([("FONT", (0, 0), (-1, -1), pdf_fonts.font_name("regular"), 9)]
                      + list(commands))


class Fit(Flowable):
    """``child`` at its natural size, scaled down only when it is wider than the frame or taller
    than ``MAX_BLOCK_HEIGHT`` (so a tall grid moves to the next page rather than shrinking into
    the space left on this one)."""

    def __init__(self, child: Flowable, h_align: str = "CENTER"):
        super().__init__()
        self.child, self.hAlign = child, h_align
        self.scale = 1.0

    def wrap(self, aW, aH):
        w, h = self.child.wrapOn(self.canv, aW, max(aH, MAX_BLOCK_HEIGHT))
        self.scale = min(1.0, aW / w if w > aW else 1.0,
                         MAX_BLOCK_HEIGHT / h if h > MAX_BLOCK_HEIGHT else 1.0)
        self.width, self.height = w * self.scale, h * self.scale
        return self.width, self.height

    def draw(self):
        self.canv.saveState()
        self.canv.scale(self.scale, self.scale)
        self.child.drawOn(self.canv, 0, 0)
        self.canv.restoreState()


def fit(flowable: Flowable, h_align: str = "CENTER") -> Flowable:
    """See ``Fit``."""
    return Fit(flowable, h_align)


# ---- blocks ------------------------------------------------------------------------------------

def _grid_metrics(m: Matrix, st: Styles) -> tuple[list[list[str]], float, float, float]:
    """(cell texts, font size, column width, row height) of a matrix grid: square-ish cells
    wide enough for the widest number."""
    size = round(st.size * 0.95, 2)
    cells = [[_minus(m.cell_text(r, c)) for c in range(m.shape[1])] for r in range(m.shape[0])]
    font = pdf_fonts.font_name("regular")
    widest = max((stringWidth(x, font, size) for row in cells for x in row), default=0)
    return cells, size, max(widest + size * 0.9, size * 1.9), size * 1.75


def grid_width(m: Matrix, st: Styles) -> float:
    _, _, cw, _ = _grid_metrics(m, st)
    return cw * max(m.shape[1], 1)


def matrix_grid(m: Matrix, st: Styles) -> Table:
    """The ruled grid of a matrix (without its label); highlighted windows shaded and outlined."""
    cells, size, cw, rh = _grid_metrics(m, st)
    rows, cols = m.shape
    style = [("GRID", (0, 0), (-1, -1), 0.5, GRID),
             ("FONT", (0, 0), (-1, -1), pdf_fonts.font_name("regular"), size),
             ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
             ("LEFTPADDING", (0, 0), (-1, -1), 1), ("RIGHTPADDING", (0, 0), (-1, -1), 1),
             ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), size * 0.2)]
    windows = [(r0, c0, min(r0 + h, rows) - 1, min(c0 + w, cols) - 1)
               for r0, c0, h, w in m.highlight]
    windows = [(r0, c0, r1, c1) for r0, c0, r1, c1 in windows if r0 <= r1 and c0 <= c1]
    style += [("BACKGROUND", (c0, r0), (c1, r1), SHADE) for r0, c0, r1, c1 in windows]
    # outlines after all shading, so an overlapping window's shade cannot cover them
    style += [("BOX", (c0, r0), (c1, r1), 1.3, colors.black) for r0, c0, r1, c1 in windows]
    return Table(cells or [[""]], colWidths=[cw] * max(cols, 1), rowHeights=[rh] * max(rows, 1),
                 style=tstyle(style))


def _label_width(m: Matrix, st: Styles) -> float:
    return stringWidth(m.label, pdf_fonts.font_name("bold"), st.size * 0.86) + 2 if m.label else 0


def matrix_flowable(m: Matrix, st: Styles, h_align: str = "CENTER") -> Table:
    """Label above a grid, centred on each other (no padding; the width is the natural one, so
    ``Fit`` can tell when it is too wide)."""
    grid = matrix_grid(m, st)
    if not m.label:
        grid.hAlign = h_align
        return grid
    t = Table([[Para(esc(m.label, "bold"), st.get("label"))], [grid]],
              colWidths=[max(grid_width(m, st), _label_width(m, st))], style=tstyle([
                  ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                  ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
                  ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, 0), 2),
                  ("BOTTOMPADDING", (0, 1), (-1, -1), 0)]))
    t.hAlign = h_align
    return t


def matrix_row_flowable(b: MatrixRow, st: Styles) -> Flowable:
    """Grids side by side, labels above them, operators between them at mid height."""
    labels, grids = [], []
    for item in b.items:
        if isinstance(item, Matrix):
            labels.append(Para(esc(item.label, "bold"), st.get("label")) if item.label else "")
            grids.append(matrix_grid(item, st))
        else:
            labels.append("")
            grids.append(Para(esc(item), _style(st.size * 1.25, "math")))
    widths = []
    for item in b.items:
        if isinstance(item, Matrix):
            widths.append(max(grid_width(item, st), _label_width(item, st)) + 4)
        else:
            widths.append(stringWidth(item, pdf_fonts.font_name("regular"), st.size * 1.25)
                          + st.size * 1.6)
    has_labels = any(isinstance(i, Matrix) and i.label for i in b.items)
    data = [labels, grids] if has_labels else [grids]
    t = Table(data, colWidths=widths, style=tstyle([
        ("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("VALIGN", (0, 0), (-1, 0), "BOTTOM"),
        ("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
        ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 2)]))
    return fit(t)


def table_flowable(b: TableBlock, st: Styles, avail: float) -> list[Flowable]:
    """A ruled table with a shaded header row (repeated when it splits across pages). When the
    natural column widths exceed ``avail`` the font shrinks (to 72 % at most) and then the
    columns share the width and wrap."""
    ncols = len(b.header)
    font, bold = pdf_fonts.font_name("regular"), pdf_fonts.font_name("bold")
    pad = 8.5

    def right(i):
        a = b.align[i:i + 1]
        if a:
            return a == "r"
        return not all(isinstance(r[i], str) for r in b.rows if i < len(r))

    def naturals(size):
        out = []
        for i in range(ncols):
            w = stringWidth(b.header[i], bold, size)
            for r in b.rows:
                if i < len(r):
                    w = max(w, stringWidth(cell_plain(r[i]), font, size))
            out.append(w + pad)
        return out

    natural = naturals(st.size * 0.86)
    if sum(natural) > avail:
        shrink = max(0.72, (avail - pad * ncols) / (sum(natural) - pad * ncols))
        st = Styles(round(st.size * shrink, 2))
        natural = naturals(st.size * 0.86)
    total = sum(natural)
    widths = natural if total <= avail else [avail * w / total for w in natural]
    data = [[Para(esc(h, "bold"), st.get("head-r" if right(i) else "head"))
             for i, h in enumerate(b.header)]]
    for r in b.rows:
        data.append([Para(cell_markup(c), st.get("cell-r" if right(i) else "cell"))
                     for i, c in enumerate(r)] + [""] * (ncols - len(r)))
    t = Table(data, colWidths=widths, repeatRows=1, hAlign="LEFT", style=tstyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), HEADER_SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
        ("LEFTPADDING", (0, 0), (-1, -1), 4), ("RIGHTPADDING", (0, 0), (-1, -1), 4),
        ("TOPPADDING", (0, 0), (-1, -1), 1.5), ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))
    out: list[Flowable] = []
    if b.caption:
        out.append(Para(esc(b.caption, "bold"), st.get("caption")))
    out += [t, Spacer(1, st.size * 0.5)]
    return out


def text_flowable(t: Text, st: Styles, style: str | None = None) -> Paragraph:
    """A Text block in ``style`` (default: by the block's own style: body, note or bold)."""
    if style is None:
        style = {"note": "note", "strong": "bold"}.get(t.style, "body")
    return Para(text_markup(t)[0], st.get(style))


def block_flowables(b: Block, st: Styles, avail: float) -> list[Flowable]:
    """One content block → flowables at most ``avail`` points wide."""
    if isinstance(b, Text):
        return [text_flowable(b, st)]
    if isinstance(b, Math):
        return [Para(runs_markup(b.expr.runs()), st.get("math"))]
    if isinstance(b, Matrix):
        return [fit(matrix_flowable(b, st)), Spacer(1, st.size * 0.5)]
    if isinstance(b, MatrixRow):
        return [matrix_row_flowable(b, st), Spacer(1, st.size * 0.5)]
    if isinstance(b, TableBlock):
        return table_flowable(b, st, avail)
    if isinstance(b, Steps):
        return [Para(text_markup(t)[0], st.get("step"), bulletText=f"{i}.")
                for i, t in enumerate(b.items, 1)]
    raise TypeError(f"unknown block {type(b).__name__}")


def blocks_flowables(blocks, st: Styles, avail: float) -> list[Flowable]:
    """Several blocks → flowables, in order."""
    return [f for b in blocks for f in block_flowables(b, st, avail)]


# ---- options -----------------------------------------------------------------------------------

def natural_width(blocks, st: Styles) -> float:
    """Width the blocks take unwrapped (``inf`` for those that should never sit side by side)."""
    font = pdf_fonts.font_name("regular")
    best = 0.0
    for b in blocks:
        if isinstance(b, (Text, Math)):
            plain = b.plain() if isinstance(b, Text) else b.expr.text()
            w = stringWidth(plain, font, st.size) * 1.04
        elif isinstance(b, Matrix):
            w = max(grid_width(b, st), _label_width(b, st))
        else:
            return math.inf
        best = max(best, w)
    return best


def _option_content(ch: Choice, st: Styles, avail: float) -> list[Flowable]:
    """An option's blocks, left-aligned after its letter."""
    out = []
    for b in ch.content:
        if isinstance(b, Text):
            out.append(text_flowable(b, st, "option"))
        elif isinstance(b, Matrix):
            out.append(fit(matrix_flowable(b, st, "LEFT"), "LEFT"))
        else:
            out.extend(block_flowables(b, st, avail))
    return out


def options_flowable(choices: tuple[Choice, ...], st: Styles, avail: float, *, square: bool,
                     key: bool = False) -> Flowable | None:
    """The options A, B, … each as [bubble, letter, content]; in keys a check-mark column comes
    first and the correct options' bubbles are filled and their letters bold."""
    if not choices:
        return None
    bubble_d = round(st.size * 1.05, 2)
    widths = ([st.size * 1.15] if key else []) + [bubble_d + 5, st.size * 1.6]
    lead = sum(widths)
    n = len(choices)
    widest = max(natural_width(c.content, st) for c in choices)
    has_matrix = any(isinstance(b, Matrix) for c in choices for b in c.content)
    cols = 1
    for k in ((n, math.ceil(n / 2)) if has_matrix else (n,)):
        if k > 1 and lead + widest + st.size * 1.6 <= avail / k:
            cols = k
            break

    def cells(i: int, ch: Choice, content_w: float) -> list:
        right = key and ch.correct
        row = ["✓" if right else ""] if key else []
        return row + [Bubble(bubble_d, square=square, filled=right), f"{LABELS[i]}.",
                      _option_content(ch, st, content_w)]

    def fonts(rows: list[int], choice_rows: list[Choice]) -> list:
        """Letters (and check marks) as plain strings: bold for correct options in keys."""
        out = []
        for r, ch in zip(rows, choice_rows):
            face = "bold" if key and ch.correct else "regular"
            out.append(("FONT", (0, r), (len(widths) - 1, r), pdf_fonts.font_name(face), st.size,
                        st.get("option").leading))
        return out

    pad = [("LEFTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 0), (-1, -1), 0),
           ("TOPPADDING", (0, 0), (-1, -1), 0), ("BOTTOMPADDING", (0, 0), (-1, -1), 0)]
    bubble_col = len(widths) - 2
    # string cells and the content's first paragraph line share a baseline (one font size below
    # the top); the bubble drops a little to sit on it
    lift = [("TOPPADDING", (bubble_col, 0), (bubble_col, -1), 1.5)]
    if cols == 1:
        cw = avail - lead
        rows = [cells(i, ch, cw) for i, ch in enumerate(choices)]
        return Table(rows, colWidths=widths + [cw], hAlign="LEFT", style=tstyle(
            pad + lift + fonts(list(range(n)), list(choices)) +
            [("VALIGN", (0, 0), (-1, -1), "TOP"),
             ("BOTTOMPADDING", (0, 0), (-1, -2), st.size * 0.35)]))
    cell_w = avail / cols
    cw = cell_w - lead - 2
    valign = [("VALIGN", (0, 0), (-1, -1), "MIDDLE")] if has_matrix else \
        [("VALIGN", (0, 0), (-1, -1), "TOP")] + lift
    boxes = [Table([cells(i, ch, cw)], colWidths=widths + [cw], style=tstyle(
        pad + valign + fonts([0], [ch]))) for i, ch in enumerate(choices)]
    grid = [boxes[r * cols:(r + 1) * cols] for r in range(math.ceil(n / cols))]
    grid[-1] += [""] * (cols - len(grid[-1]))
    return Table(grid, colWidths=[cell_w] * cols, hAlign="LEFT", style=tstyle(
        pad + [("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
               ("BOTTOMPADDING", (0, 0), (-1, -2), st.size * 0.8)]))


class AnswerBox(Flowable):
    """"Answer:" and an empty box for numeric questions."""

    def __init__(self, st: Styles, width: float = 150.0):
        super().__init__()
        self.st, self.box_w, self.box_h = st, width, st.size * 2.1

    def wrap(self, aW, aH):
        return aW, self.box_h + 4

    def draw(self):
        c = self.canv
        font = pdf_fonts.font_name("bold")
        c.setFont(font, self.st.size)
        c.setFillColor(colors.black)
        c.drawString(0, self.box_h / 2 - self.st.size * 0.35 + 2, "Answer:")
        x = stringWidth("Answer:", font, self.st.size) + 8
        c.setLineWidth(0.8)
        c.rect(x, 2, self.box_w, self.box_h, stroke=1, fill=0)
