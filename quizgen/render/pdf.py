"""Exam and answer-key PDFs (reportlab, US Letter).

``write_exam_pdf(exam, version, path)``: a cover page (title, course, date, version code, name and
student-ID lines, instructions, number of questions and total points), then the questions
numbered 1..n with their points, each kept on one page (a question taller than a page flows on),
options A–E with empty bubbles (squares for select-all questions), a box for numeric answers,
and an optional answer grid at the end (``answer_grid=False`` leaves it out).

``write_key_pdf(exam, version, path)``: a table of question → correct letter(s) or value and
points, then per question the compact stem, the options with the correct ones marked, the worked
solution, why each wrong option is wrong (the misconception sentence and its catalogue key), the
tolerance of numeric answers and the question's notes.

Every page carries a header (title, version code; "ANSWER KEY" in keys) and a footer (version
code, "Page x of y"; the total comes from a canvas that holds its pages until the end). Output
is deterministic: reportlab's invariant mode (its fixed 2000-01-01 dates instead of timestamps),
fixed metadata (author and creator "quizgen"), fonts embedded from ``quizgen/fonts``; same
input, same bytes, in any process.
"""
from __future__ import annotations

import os
from contextlib import contextmanager
from fractions import Fraction
from functools import lru_cache
from pathlib import Path

from reportlab import rl_config
from reportlab.lib import colors
from reportlab.lib.pagesizes import letter
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import inch
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (BaseDocTemplate, Frame, KeepTogether, PageBreak,
                                PageTemplate, Spacer, Table)

from quizgen.errors import OutputError
from quizgen.exam import Exam, ExamVersion
from quizgen.model import LABELS, Question, Text
from quizgen.numbers import fmt, to_exact
from quizgen.render import pdf_fonts
from quizgen.render.pdf_blocks import (GRID, HEADER_SHADE, AnswerBox, Box, Bubble, Indent, Para,
                                       Styles, blocks_flowables, esc, options_flowable,
                                       text_markup, tstyle)

PAGE = letter
MARGIN = 0.75 * inch
TOP = 0.85 * inch
BOTTOM = 0.8 * inch
FRAME_W = PAGE[0] - 2 * MARGIN
FRAME_H = PAGE[1] - TOP - BOTTOM
EXAM_SIZE = 10.5
KEY_SIZE = 9.0
INDENT = 24.0
SELECT_ALL = "(Select all that apply.)"
BUBBLE_HINT = "Fill in one bubble per question unless it says select all that apply."


def points_text(points: float) -> str:
    """``1 point``, ``2 points``, ``1.5 points``."""
    return f"{fmt(points)} point" + ("" if points == 1 else "s")


def answer_text(q: Question) -> str:
    """The correct letter(s), or the numeric value with its tolerance."""
    if q.kind == "numeric":
        value = fmt(q.answer, group=True).replace("-", "−")
        return value + (f" (± {fmt(q.tolerance)})" if q.tolerance else "")
    return ", ".join(q.correct_labels)


# ---- page decoration -----------------------------------------------------------------------

def _fit_text(text: str, font: str, size: float, width: float) -> str:
    """``text`` cut with an ellipsis to fit ``width`` points."""
    if stringWidth(text, font, size) <= width:
        return text
    while text and stringWidth(text + "…", font, size) > width:
        text = text[:-1]
    return text.rstrip() + "…"


def _decorator(left: str, right: str, foot: str):
    """Header: ``left`` | ``right`` (bold), a rule below. Footer, above a rule: ``foot`` |
    "Page x of y"."""
    reg, bold = pdf_fonts.font_name("regular"), pdf_fonts.font_name("bold")

    def decorate(c: Canvas, page: int, pages: int) -> None:
        c.saveState()
        w, h = PAGE
        y = h - 0.55 * inch
        c.setFillColor(colors.black)
        c.setStrokeColor(GRID)
        c.setLineWidth(0.5)
        c.setFont(bold, 8.5)
        c.drawRightString(w - MARGIN, y, right)
        c.setFont(reg, 8.5)
        c.drawString(MARGIN, y, _fit_text(left, reg, 8.5,
                                          FRAME_W - stringWidth(right, bold, 8.5) - 18))
        c.line(MARGIN, y - 5, w - MARGIN, y - 5)
        c.line(MARGIN, 0.62 * inch, w - MARGIN, 0.62 * inch)
        c.drawString(MARGIN, 0.45 * inch, _fit_text(foot, reg, 8.5, FRAME_W - 100))
        c.drawRightString(w - MARGIN, 0.45 * inch, f"Page {page} of {pages}")
        c.restoreState()

    return decorate


def _canvas_class(decorate):
    """A canvas that holds its pages until ``save`` so every page can say "Page x of y"."""

    class NumberedCanvas(Canvas):
        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self._held: list[dict] = []

        def showPage(self):
            self._held.append(dict(self.__dict__))
            self._startPage()

        def save(self):
            total = len(self._held)
            for state in self._held:
                self.__dict__.update(state)
                decorate(self, self._pageNumber, total)
                Canvas.showPage(self)
            Canvas.save(self)

    return NumberedCanvas


@contextmanager
def _binary_streams():
    """Write streams Flate-compressed without the ASCII85 layer reportlab adds by default (a
    process-wide setting, restored afterwards): a fifth smaller and faster to write."""
    saved = rl_config.useA85
    rl_config.useA85 = 0
    try:
        yield
    finally:
        rl_config.useA85 = saved


def _build(path, flowables, *, title: str, subject: str, decorate) -> Path:
    pdf_fonts.register()
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        doc = BaseDocTemplate(os.fspath(path), pagesize=PAGE, leftMargin=MARGIN,
                              rightMargin=MARGIN, topMargin=TOP, bottomMargin=BOTTOM,
                              title=title, author="quizgen", subject=subject,
                              creator="quizgen", keywords="", invariant=1,
                              initialFontName=pdf_fonts.font_name("regular"),
                              initialFontSize=EXAM_SIZE, initialLeading=EXAM_SIZE * 1.36)
        frame = Frame(MARGIN, BOTTOM, FRAME_W, FRAME_H, leftPadding=0, rightPadding=0,
                      topPadding=0, bottomPadding=0, id="body")
        doc.addPageTemplates([PageTemplate(id="page", frames=[frame])])
        with _binary_streams():
            doc.build(flowables, canvasmaker=_canvas_class(decorate))
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    return path


# ---- exam ----------------------------------------------------------------------------------

def _cover(exam: Exam, version: ExamVersion, st: Styles) -> list:
    m = exam.meta
    reg, bold, mono = (pdf_fonts.font_name(f) for f in ("regular", "bold", "mono"))
    qs = version.questions
    title_st = st.get("body").clone("cover-title", fontName=bold, fontSize=20, leading=25,
                                    spaceAfter=6)
    sub_st = st.get("body").clone("cover-sub", fontSize=12.5, leading=16, spaceAfter=2)
    out: list = [Spacer(1, 0.25 * inch), Para(esc(m.title, "bold"), title_st)]
    for line in (m.course, m.date):
        if line:
            out.append(Para(esc(line), sub_st))
    out.append(Spacer(1, 0.25 * inch))
    facts = [f"{len(qs)} question" + ("" if len(qs) == 1 else "s"), points_text(version.total_points)]
    if m.duration_minutes:
        facts.append(f"{m.duration_minutes} minutes")
    version_box = Table([["Version", version.code]], colWidths=[60, None], style=tstyle([
        ("FONT", (0, 0), (0, 0), reg, 11), ("FONT", (1, 0), (1, 0), mono, 18),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("BOX", (0, 0), (-1, -1), 1.2, colors.black),
        ("BACKGROUND", (0, 0), (0, 0), HEADER_SHADE), ("ALIGN", (1, 0), (1, 0), "CENTER"),
        ("LEFTPADDING", (1, 0), (1, 0), 10), ("RIGHTPADDING", (1, 0), (1, 0), 10),
        ("TOPPADDING", (0, 0), (-1, -1), 6), ("BOTTOMPADDING", (0, 0), (-1, -1), 8)]))
    version_box.hAlign = "LEFT"
    out += [version_box, Spacer(1, 0.3 * inch)]
    lines = Table([["Name", ""], ["", ""], ["Student ID", ""]],
                  colWidths=[80, FRAME_W - 80], rowHeights=[26, 10, 26], style=tstyle([
                      ("FONT", (0, 0), (-1, -1), bold, 11), ("VALIGN", (0, 0), (-1, -1), "BOTTOM"),
                      ("LINEBELOW", (1, 0), (1, 0), 0.8, colors.black),
                      ("LINEBELOW", (1, 2), (1, 2), 0.8, colors.black),
                      ("LEFTPADDING", (0, 0), (-1, -1), 0)]))
    lines.hAlign = "LEFT"
    out += [lines, Spacer(1, 0.35 * inch)]
    out.append(Para(esc(" · ".join(facts), "bold"), st.get("bold").clone(
        "cover-facts", fontSize=12, leading=16, spaceAfter=10)))
    out.append(Para("Instructions", st.get("bold")))
    hints = list(m.instructions)
    said = [h.lower() for h in hints]
    # the spec's own instructions may already say these; do not repeat them
    if any(q.kind != "numeric" for q in qs) and \
            not any("bubble" in h and "select all" in h for h in said):
        hints.append(BUBBLE_HINT)
    if any(q.kind == "multiple" for q in qs):
        hints.append("Questions marked “(Select all that apply.)” have square boxes: mark every "
                     "correct option.")
    if any(q.kind == "numeric" for q in qs):
        hints.append("Write numeric answers in the box below the question.")
    if not any("version code" in h for h in said):
        hints.append(f"Copy the version code {version.code} onto your answer sheet.")
    else:
        hints.append(f"Your version code is {version.code}.")
    bullet = st.get("step").clone("cover-bullet", leftIndent=16, spaceAfter=4)
    out += [Para(esc(h), bullet, bulletText="•") for h in hints]
    out.append(PageBreak())
    return out


@lru_cache(maxsize=None)
def _hanging(size: float) -> ParagraphStyle:
    """Body text indented by ``INDENT`` with the question number hanging in the margin."""
    return Styles(size).get("body").clone(f"hang-{size}", leftIndent=INDENT,
                                          bulletFontName=pdf_fonts.font_name("bold"))


def _question_head(q: Question, number: int, st: Styles, lead: str = "") -> list:
    """The first stem paragraph with its hanging number and points; the rest of the stem."""
    pts = f'<font color="#555555">({esc(points_text(q.points))})</font> '
    stem = list(q.stem)
    first = pts + lead
    if stem and isinstance(stem[0], Text) and not stem[0].style:
        first += text_markup(stem.pop(0))[0]
    out = [Para(first, _hanging(st.size), bulletText=f"{number}.")]
    out += [Indent(f, INDENT) for f in blocks_flowables(stem, st, FRAME_W - INDENT)]
    return out


def _exam_question(q: Question, number: int, st: Styles) -> KeepTogether:
    parts = _question_head(q, number, st)
    avail = FRAME_W - INDENT
    if q.needs_select_all_note:
        parts.append(Indent(Para(esc(SELECT_ALL, "italic"), st.get("note")), INDENT))
    opts = options_flowable(q.choices, st, avail, square=q.kind == "multiple")
    if opts is not None:
        parts.append(Indent(opts, INDENT))
    if q.kind == "numeric":
        parts.append(Indent(AnswerBox(st), INDENT))
    parts.append(Spacer(1, st.size * 1.6))
    return KeepTogether(parts)


def _answer_grid(version: ExamVersion, st: Styles, per_column: int = 20) -> list:
    """Rows of bubbles (boxes for numeric questions) to copy the answers onto, ``per_column``
    questions per column, columns side by side."""
    qs = version.questions
    width = max(2, max(len(q.choices) for q in qs))
    bold = pdf_fonts.font_name("bold")
    blocks = []
    for start in range(0, len(qs), per_column):
        rows = [[""] + list(LABELS[:width])]
        style = [("ALIGN", (0, 0), (-1, -1), "CENTER"), ("VALIGN", (0, 0), (-1, -1), "MIDDLE"),
                 ("FONT", (0, 0), (-1, -1), bold, 8.5), ("ALIGN", (0, 1), (0, -1), "RIGHT"),
                 ("LINEBELOW", (0, 0), (-1, 0), 0.5, GRID), ("TOPPADDING", (0, 0), (-1, -1), 0),
                 ("BOTTOMPADDING", (0, 0), (-1, -1), 0), ("LEFTPADDING", (0, 0), (-1, -1), 0),
                 ("RIGHTPADDING", (0, 0), (-1, -1), 0), ("RIGHTPADDING", (0, 1), (0, -1), 8)]
        for r, q in enumerate(qs[start:start + per_column], 1):
            if q.kind == "numeric":
                rows.append([str(start + r), Box(20 * width - 4, 13)] + [""] * (width - 1))
                style += [("SPAN", (1, r), (-1, r))]
            else:
                rows.append([str(start + r)] + [Bubble(11, square=q.kind == "multiple")
                                                for _ in q.choices] + [""] * (width - len(q.choices)))
        head_row = [st.size * 1.5]
        blocks.append(Table(rows, colWidths=[26] + [20] * width,
                            rowHeights=head_row + [17] * (len(rows) - 1), style=tstyle(style)))
    per_row = max(1, int(FRAME_W // (26 + 20 * width + 24)))
    grid = [blocks[i:i + per_row] for i in range(0, len(blocks), per_row)]
    grid[-1] += [""] * (per_row - len(grid[-1]))
    outer = Table(grid, hAlign="LEFT", style=tstyle([
        ("VALIGN", (0, 0), (-1, -1), "TOP"), ("LEFTPADDING", (0, 0), (-1, -1), 0),
        ("RIGHTPADDING", (0, 0), (-1, -1), 24), ("BOTTOMPADDING", (0, 0), (-1, -1), 12)]))
    return [Spacer(1, 0.2 * inch), KeepTogether([
        Para("Answer grid (optional): copy your answers here", st.get("bold")),
        Para(esc(BUBBLE_HINT), st.get("note")), outer])]


def write_exam_pdf(exam: Exam, version: ExamVersion, path, *, answer_grid: bool = True) -> Path:
    """Write the exam paper of ``version`` to ``path`` (see the module docstring)."""
    st = Styles(EXAM_SIZE)
    flow = _cover(exam, version, st)
    flow += [_exam_question(q, i, st) for i, q in enumerate(version.questions, 1)]
    if answer_grid and version.questions:
        flow += _answer_grid(version, st)
    return _build(path, flow, title=f"{exam.meta.title} — version {version.code}",
                  subject=exam.meta.course or exam.meta.title,
                  decorate=_decorator(exam.meta.title, f"Version {version.code}",
                                      f"Version {version.code}"))


# ---- answer key ----------------------------------------------------------------------------

def _key_table(version: ExamVersion, st: Styles) -> Table:
    cell, head = st.get("cell"), st.get("head")
    kinds = {"single": "one answer", "multiple": "select all", "numeric": "numeric"}
    rows = [[Para(h, head) for h in ("Q", "Answer", "Points", "Type", "Topic")]]
    for i, q in enumerate(version.questions, 1):
        rows.append([Para(f"<b>{i}</b>", cell), Para(f"<b>{esc(answer_text(q))}</b>", cell),
                     Para(esc(fmt(q.points)), cell), Para(kinds[q.kind], cell),
                     Para(esc(q.title), cell)])
    rows.append([Para("", cell), Para("<b>Total</b>", cell),
                 Para(f"<b>{esc(fmt(version.total_points))}</b>", cell), "", ""])
    widths = [26, 100, 40, 62]
    widths.append(FRAME_W - sum(widths))
    return Table(rows, colWidths=widths, repeatRows=1, hAlign="LEFT", style=tstyle([
        ("GRID", (0, 0), (-1, -1), 0.5, GRID), ("BACKGROUND", (0, 0), (-1, 0), HEADER_SHADE),
        ("VALIGN", (0, 0), (-1, -1), "MIDDLE"), ("TOPPADDING", (0, 0), (-1, -1), 1.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 2.5)]))


def _accepted(q: Question) -> str:
    """What a grader accepts for a numeric question: the exact value or the tolerance range."""
    if not q.tolerance:
        return "Exact answer required."
    def exact(x) -> Fraction:  # floats by their shortest decimal form, not their binary value
        x = to_exact(x)
        return Fraction(str(x)) if isinstance(x, float) else Fraction(x)

    value, tol = exact(q.answer), exact(q.tolerance)
    lo, hi = (fmt(value + d, places=6).replace("-", "−") for d in (-tol, tol))
    return f"Accept answers within ± {fmt(q.tolerance)}: from {lo} to {hi}."


@lru_cache(maxsize=None)
def _why(size: float) -> ParagraphStyle:
    """An option's explanation with its letter hanging in bold."""
    return Styles(size).get("step").clone(f"why-{size}", leftIndent=size * 2.2,
                                          bulletFontName=pdf_fonts.font_name("bold"))


def _key_question(q: Question, number: int, st: Styles, before: tuple = ()) -> KeepTogether:
    """The key entry of one question; ``before`` (a heading) is kept on the same page."""
    avail = FRAME_W - INDENT
    lead = f"<b>Answer: {esc(answer_text(q), 'bold')}</b>. "
    parts = list(before) + _question_head(q, number, st, lead)
    if q.needs_select_all_note:
        parts.append(Indent(Para(esc(SELECT_ALL, "italic"), st.get("note")), INDENT))
    opts = options_flowable(q.choices, st, avail, square=q.kind == "multiple", key=True)
    if opts is not None:
        parts.append(Indent(opts, INDENT))
    if q.kind == "numeric":
        parts.append(Indent(Para(esc(_accepted(q)), st.get("body")), INDENT))
    if q.solution:
        parts.append(Indent(Para("Solution", st.get("subhead")), INDENT))
        parts += [Indent(f, INDENT) for f in blocks_flowables(q.solution, st, avail)]
    explained = [(LABELS[i], c) for i, c in enumerate(q.choices) if c.explanation]
    if explained:
        parts.append(Indent(Para("Why each option is right or wrong" if q.kind == "multiple"
                                      else "Why the other options are wrong", st.get("subhead")),
                            INDENT))
        why = _why(st.size)
        for lab, c in explained:
            if c.correct and q.kind != "multiple":
                continue
            verdict = "correct" if c.correct else esc(c.misconception or "wrong")
            parts.append(Indent(Para(
                f'{esc(c.explanation)} <font color="#555555">[{verdict}]</font>', why,
                bulletText=lab), INDENT))
    for note in q.notes:
        parts.append(Indent(Para("Note: " + esc(note, "italic"), st.get("note")), INDENT))
    parts.append(Spacer(1, st.size * 1.4))
    return KeepTogether(parts)


def write_key_pdf(exam: Exam, version: ExamVersion, path) -> Path:
    """Write the answer key of ``version`` to ``path`` (see the module docstring)."""
    st = Styles(KEY_SIZE)
    m = exam.meta
    head = st.get("bold").clone("key-title", fontSize=16, leading=20, spaceAfter=4)
    flow: list = [Para(f"ANSWER KEY — version {esc(version.code, 'bold')}", head),
                  Para(esc(" · ".join(x for x in (m.title, m.course, m.date) if x)),
                            st.get("body")),
                  Spacer(1, 6), _key_table(version, st), Spacer(1, 14)]
    heading = Para("Worked solutions", st.get("bold").clone("key-h2", fontSize=12, leading=16,
                                                            spaceAfter=6))
    flow += [_key_question(q, i, st, (heading,) if i == 1 else ())
             for i, q in enumerate(version.questions, 1)]
    return _build(path, flow, title=f"{m.title} — answer key, version {version.code}",
                  subject=m.course or m.title,
                  decorate=_decorator(f"ANSWER KEY · {m.title}", f"Version {version.code}",
                                      f"ANSWER KEY · Version {version.code}"))
