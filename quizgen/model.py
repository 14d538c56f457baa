"""The format-free content model: a Question made of blocks and choices.

A family builds a ``Question``; renderers (PDF, QTI, HTML, text, JSON) print it. No HTML, PDF or
LaTeX lives here. Blocks:

- ``Text``: a paragraph of spans, each a ``str`` or an inline ``mathexpr.Expr``.
- ``Math``: a display formula (an ``Expr``).
- ``Matrix``: a numeric grid with an optional label and highlighted windows ``(row, col, h, w)``.
- ``MatrixRow``: matrices and operator symbols side by side ("input ∗ kernel = output").
- ``Table``: a header and rows of cells (str, number or Expr), e.g. a layer table.
- ``Steps``: an ordered list of Text paragraphs (worked-solution steps).

Kinds: ``single`` (one correct choice), ``multiple`` (select all that apply), ``numeric`` (a number
with an absolute tolerance; no choices).
"""
from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Union

from quizgen.mathexpr import Expr
from quizgen.numbers import fmt, to_exact

KINDS = ("single", "multiple", "numeric")
DIFFICULTIES = ("paper", "standard", "challenge")
LABELS = "ABCDEFGH"

Inline = Union[str, Expr]


@dataclass(frozen=True)
class Text:
    """A paragraph: ``Text(("The output is ", Mul(2, 3), "."))``. Use ``T(...)`` to build one."""

    spans: tuple[Inline, ...]
    style: str = ""  # "" | "note" (smaller, e.g. a convention statement) | "strong"

    def plain(self) -> str:
        return "".join(s if isinstance(s, str) else s.text() for s in self.spans)


def T(*spans: Inline, style: str = "") -> Text:
    """Build a Text paragraph from strings and expressions."""
    return Text(tuple(spans), style)


@dataclass(frozen=True)
class Math:
    """A display formula."""

    expr: Expr


@dataclass(frozen=True)
class Matrix:
    """A grid of numbers (int, Fraction or float; printed with ``numbers.fmt``).

    ``highlight`` holds windows ``(row, col, height, width)`` to shade, e.g. the first pooling
    window. ``label`` is printed above the grid ("Input", "Kernel, channel 1").
    """

    rows: tuple[tuple[Any, ...], ...]
    label: str = ""
    highlight: tuple[tuple[int, int, int, int], ...] = ()

    @staticmethod
    def of(array, label: str = "", highlight=()) -> "Matrix":
        """From a 2-D array-like; integral floats become ints."""
        return Matrix(tuple(tuple(to_exact(v) for v in row) for row in array), label,
                      tuple(tuple(h) for h in highlight))

    @property
    def shape(self) -> tuple[int, int]:
        return len(self.rows), (len(self.rows[0]) if self.rows else 0)

    def cell_text(self, r: int, c: int) -> str:
        return fmt(self.rows[r][c])

    def is_highlighted(self, r: int, c: int) -> bool:
        return any(r0 <= r < r0 + h and c0 <= c < c0 + w for r0, c0, h, w in self.highlight)

    def plain(self) -> str:
        return "[" + "; ".join(" ".join(fmt(v) for v in row) for row in self.rows) + "]"


@dataclass(frozen=True)
class MatrixRow:
    """Side-by-side items: ``Matrix`` objects and operator strings such as ``"∗"`` or ``"="``."""

    items: tuple[Union[Matrix, str], ...]

    def plain(self) -> str:
        return " ".join(i if isinstance(i, str) else i.plain() for i in self.items)


@dataclass(frozen=True)
class Table:
    """A table; cells are str, numbers or Expr. ``align`` per column: "l" or "r"."""

    header: tuple[str, ...]
    rows: tuple[tuple[Any, ...], ...]
    caption: str = ""
    align: str = ""

    def plain(self) -> str:
        def cell(c):
            return c if isinstance(c, str) else (c.text() if isinstance(c, Expr) else fmt(c, group=True))
        lines = [" | ".join(self.header)] + [" | ".join(cell(c) for c in r) for r in self.rows]
        return "\n".join(lines)


@dataclass(frozen=True)
class Steps:
    """Ordered worked-solution steps."""

    items: tuple[Text, ...]

    def plain(self) -> str:
        return "\n".join(f"{i}. {t.plain()}" for i, t in enumerate(self.items, 1))


Block = Union[Text, Math, Matrix, MatrixRow, Table, Steps]


def block_plain(b: Block) -> str:
    """Plain-text form of any block (used for distinctness checks, JSON and search)."""
    if isinstance(b, Math):
        return b.expr.text()
    return b.plain()


def blocks_plain(blocks: tuple[Block, ...]) -> str:
    return "\n".join(block_plain(b) for b in blocks)


@dataclass(frozen=True)
class Choice:
    """One option. ``misconception`` is a catalogue key (``misconceptions.CATALOGUE``) for a wrong
    option, ``None`` for a correct one; ``explanation`` is the one sentence shown in keys and
    practice feedback; ``value`` is the raw value the option stands for."""

    content: tuple[Block, ...]
    correct: bool
    misconception: str | None = None
    explanation: str = ""
    value: Any = None

    def plain(self) -> str:
        return blocks_plain(self.content)


@dataclass(frozen=True)
class Question:
    """A built question, ready for any renderer.

    ``answer`` is the raw correct value (a number for numeric questions, the correct choice's
    value otherwise); ``tolerance`` is absolute and only meaningful for ``numeric``.
    ``params`` are the family parameters after sampling and overrides (JSON-friendly).
    """

    family: str
    seed: int
    difficulty: str
    kind: str
    params: dict
    stem: tuple[Block, ...]
    choices: tuple[Choice, ...]
    answer: Any
    solution: tuple[Block, ...]
    tolerance: float = 0.0
    points: float = 1.0
    tags: tuple[str, ...] = ()
    title: str = ""
    notes: tuple[str, ...] = field(default=())  # e.g. "options filled with near values"

    @property
    def correct_labels(self) -> tuple[str, ...]:
        return tuple(LABELS[i] for i, c in enumerate(self.choices) if c.correct)

    @property
    def uid(self) -> str:
        """Stable identifier: family, seed and a digest of the parameters."""
        import hashlib
        import json
        digest = hashlib.sha256(json.dumps([self.family, self.seed, self.kind, self.difficulty,
                                            self.params], sort_keys=True, default=str)
                                .encode()).hexdigest()[:10]
        return f"{self.family}-{digest}"

    def stem_plain(self) -> str:
        return blocks_plain(self.stem)

    @property
    def needs_select_all_note(self) -> bool:
        """True for a select-all question whose stem does not already say so; renderers then
        add "(Select all that apply.)"."""
        return self.kind == "multiple" and "select all" not in self.stem_plain().lower()
