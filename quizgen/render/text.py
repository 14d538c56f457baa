"""Plain-text rendering of a Question (``quizgen preview``, the terminal drill, pdftotext checks).

Matrices print as aligned grids, tables as aligned columns, math in Unicode.
"""
from __future__ import annotations

from quizgen.mathexpr import Expr
from quizgen.model import LABELS, Block, Math, Matrix, MatrixRow, Question, Steps, Table, Text
from quizgen.numbers import fmt


def _cell(c) -> str:
    if isinstance(c, str):
        return c
    if isinstance(c, Expr):
        return c.text()
    return fmt(c, group=True)


def matrix_lines(m: Matrix) -> list[str]:
    cells = [[m.cell_text(r, c) for c in range(m.shape[1])] for r in range(m.shape[0])]
    width = max((len(x) for row in cells for x in row), default=1)
    lines = [m.label] if m.label else []
    for r, row in enumerate(cells):
        parts = []
        for c, x in enumerate(row):
            x = x.rjust(width)
            parts.append(f"[{x}]" if m.is_highlighted(r, c) else f" {x} ")
        lines.append("|" + "".join(parts) + "|")
    return lines


def _side_by_side(columns: list[list[str]]) -> list[str]:
    height = max(len(c) for c in columns)
    widths = [max((len(x) for x in c), default=0) for c in columns]
    out = []
    for i in range(height):
        row = []
        for col, w in zip(columns, widths):
            # vertically centre short columns (operators)
            off = (height - len(col)) // 2
            j = i - off
            row.append((col[j] if 0 <= j < len(col) else "").ljust(w))
        out.append("  ".join(row).rstrip())
    return out


def block_lines(b: Block) -> list[str]:
    if isinstance(b, Text):
        return [b.plain()]
    if isinstance(b, Math):
        return ["    " + b.expr.text()]
    if isinstance(b, Matrix):
        return matrix_lines(b)
    if isinstance(b, MatrixRow):
        return _side_by_side([[i] if isinstance(i, str) else matrix_lines(i) for i in b.items])
    if isinstance(b, Table):
        rows = [list(b.header)] + [[_cell(c) for c in r] for r in b.rows]
        widths = [max(len(r[i]) for r in rows) for i in range(len(b.header))]
        lines = [b.caption] if b.caption else []
        for k, r in enumerate(rows):
            lines.append("  ".join(x.rjust(w) if k and (b.align[i:i + 1] or "r") == "r" else x.ljust(w)
                                   for i, (x, w) in enumerate(zip(r, widths))).rstrip())
            if k == 0:
                lines.append("  ".join("-" * w for w in widths))
        return lines
    if isinstance(b, Steps):
        return [f"{i}. {t.plain()}" for i, t in enumerate(b.items, 1)]
    raise TypeError(f"unknown block {type(b).__name__}")


def blocks_text(blocks) -> str:
    return "\n\n".join("\n".join(block_lines(b)) for b in blocks)


def choice_text(label: str, choice) -> str:
    body = blocks_text(choice.content)
    lines = body.split("\n")
    return "\n".join([f"{label}. {lines[0]}"] + ["   " + x for x in lines[1:]])


def question_text(q: Question, number: int | None = None, *, key: bool = False) -> str:
    """The question as plain text; with ``key`` also the answer, solution and why each wrong
    option is wrong."""
    head = f"Q{number}. " if number is not None else ""
    parts = [head + blocks_text(q.stem)]
    if q.needs_select_all_note:
        parts.append("(Select all that apply.)")
    for i, ch in enumerate(q.choices):
        parts.append(choice_text(LABELS[i], ch))
    if q.kind == "numeric":
        parts.append("Answer: ____________")
    if key:
        if q.kind == "numeric":
            tol = f" (± {fmt(q.tolerance)})" if q.tolerance else ""
            parts.append(f"ANSWER: {fmt(q.answer, group=True)}{tol}")
        else:
            parts.append("ANSWER: " + ", ".join(q.correct_labels))
        parts.append("SOLUTION:\n" + blocks_text(q.solution))
        wrong = [(LABELS[i], c) for i, c in enumerate(q.choices) if not c.correct]
        if wrong:
            parts.append("WRONG OPTIONS:\n" + "\n".join(
                f"{lab}: {c.explanation} [{c.misconception}]" for lab, c in wrong))
        for note in q.notes:
            parts.append(f"NOTE: {note}")
    return "\n\n".join(parts)
