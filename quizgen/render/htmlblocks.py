"""Content blocks → HTML fragments, for the Canvas QTI export and the practice page.

Canvas strips ``<style>`` elements and ``class`` attributes from quiz HTML, so every look is an
inline ``style``. Math needs no MathJax: expressions print as Unicode text with ``<sub>`` and
``<sup>`` for their subscript and superscript runs. Every piece of text is escaped with
``html.escape(…, quote=True)`` exactly once, here; callers embed the returned fragment as-is
(an XML writer then escapes the fragment once more as XML text, which is the layer below).

Mapping:

- ``Text`` → ``<p>`` (style ``note`` smaller and grey, ``strong`` bold); inline ``Expr`` spans
  → their runs, ``(t, "sub")`` → ``<sub>t</sub>``, ``(t, "sup")`` → ``<sup>t</sup>``.
- ``Math`` → a centred ``<p>``.
- ``Matrix`` → a bordered ``<table>`` of centred cells; cells inside a highlight window
  ``(row, col, h, w)`` are shaded and bold; the label is a ``<caption>``.
- ``MatrixRow`` → a ``<div>`` of ``display: inline-block`` items (matrices and operators),
  vertically centred.
- ``Table`` → ``<table>`` with a ``<thead>`` header row; columns aligned by ``Table.align``
  (default right, like the text renderer); numbers with thousands separators.
- ``Steps`` → ``<ol>`` of ``<li>``.

Output depends only on the blocks: same blocks → same string.
"""
from __future__ import annotations

from html import escape

from quizgen.mathexpr import Expr, Run
from quizgen.model import Block, Math, Matrix, MatrixRow, Steps, Table, Text
from quizgen.numbers import fmt

BORDER = "1px solid #444"
SHADE = "#fde68a"

_P_STYLE = {"": "margin: 0.4em 0;",
            "note": "margin: 0.4em 0; font-size: 0.9em; color: #444;",
            "strong": "margin: 0.4em 0; font-weight: bold;"}
_CELL = f"border: {BORDER}; padding: 2px 8px; text-align: center; min-width: 1.5em;"
_TH = f"border: {BORDER}; padding: 3px 8px; background-color: #f0f0f0; text-align: %s;"
_TD = f"border: {BORDER}; padding: 3px 8px; text-align: %s;"
_INLINE = "display: inline-block; vertical-align: middle; margin: 0 0.4em;"


def esc(s: str) -> str:
    """HTML-escape text, quotes included."""
    return escape(s, quote=True)


def runs_html(runs: tuple[Run, ...]) -> str:
    """``(text, style)`` runs → escaped HTML with ``<sub>``/``<sup>``."""
    out = []
    for text, style in runs:
        t = esc(text)
        out.append(f"<{style}>{t}</{style}>" if style in ("sub", "sup") else t)
    return "".join(out)


def inline_html(span) -> str:
    """One ``Text`` span: a string (escaped) or an ``Expr`` (its runs)."""
    if isinstance(span, Expr):
        return runs_html(span.runs())
    return esc(str(span))


def text_inner(t: Text) -> str:
    """The spans of a ``Text`` without the enclosing paragraph."""
    return "".join(inline_html(s) for s in t.spans)


def cell_html(c) -> str:
    """A table cell: str escaped, ``Expr`` as runs, numbers via ``fmt`` with separators."""
    if isinstance(c, str):
        return esc(c)
    if isinstance(c, Expr):
        return runs_html(c.runs())
    return esc(fmt(c, group=True))


def matrix_html(m: Matrix) -> str:
    rows = []
    for r in range(m.shape[0]):
        cells = []
        for c in range(m.shape[1]):
            style = _CELL + (f" background-color: {SHADE}; font-weight: bold;"
                             if m.is_highlighted(r, c) else "")
            cells.append(f'<td style="{style}">{esc(m.cell_text(r, c).replace("-", "−"))}</td>')
        rows.append("<tr>" + "".join(cells) + "</tr>")
    caption = (f'<caption style="caption-side: top; font-size: 0.9em; padding-bottom: 2px;">'
               f"{esc(m.label)}</caption>" if m.label else "")
    return (f'<table style="border-collapse: collapse; margin: 0.4em 0;">{caption}'
            f"<tbody>{''.join(rows)}</tbody></table>")


def matrix_row_html(row: MatrixRow) -> str:
    items = []
    for item in row.items:
        if isinstance(item, Matrix):
            items.append(f'<div style="{_INLINE}">{matrix_html(item)}</div>')
        else:
            items.append(f'<span style="{_INLINE} font-size: 1.3em;">{esc(item)}</span>')
    return f'<div style="margin: 0.4em 0;">{"".join(items)}</div>'


def table_html(t: Table) -> str:
    def align(i: int) -> str:
        return "left" if (t.align[i:i + 1] or "r") == "l" else "right"

    head = "".join(f'<th style="{_TH % align(i)}">{esc(h)}</th>' for i, h in enumerate(t.header))
    body = "".join("<tr>" + "".join(f'<td style="{_TD % align(i)}">{cell_html(c)}</td>'
                                    for i, c in enumerate(row)) + "</tr>" for row in t.rows)
    caption = (f'<caption style="caption-side: top; font-weight: bold; padding-bottom: 2px;">'
               f"{esc(t.caption)}</caption>" if t.caption else "")
    return (f'<table style="border-collapse: collapse; margin: 0.4em 0;">{caption}'
            f"<thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>")


def block_html(b: Block) -> str:
    """One block → an HTML fragment (see the module docstring for the mapping)."""
    if isinstance(b, Text):
        return f'<p style="{_P_STYLE.get(b.style, _P_STYLE[""])}">{text_inner(b)}</p>'
    if isinstance(b, Math):
        return f'<p style="margin: 0.6em 0; text-align: center;">{runs_html(b.expr.runs())}</p>'
    if isinstance(b, Matrix):
        return matrix_html(b)
    if isinstance(b, MatrixRow):
        return matrix_row_html(b)
    if isinstance(b, Table):
        return table_html(b)
    if isinstance(b, Steps):
        items = "".join(f'<li style="margin: 0.2em 0;">{text_inner(t)}</li>' for t in b.items)
        return f'<ol style="margin: 0.4em 0;">{items}</ol>'
    raise TypeError(f"unknown block {type(b).__name__}")


def blocks_html(blocks: tuple[Block, ...], *, inline: bool = False) -> str:
    """Blocks → one fragment, joined by newlines. With ``inline`` a lone plain ``Text`` is
    returned without its ``<p>`` (an answer choice reads better without paragraph margins)."""
    if inline and len(blocks) == 1 and isinstance(blocks[0], Text) and not blocks[0].style:
        return text_inner(blocks[0])
    return "\n".join(block_html(b) for b in blocks)
