"""Jinja2 environments: stem templates that produce content blocks, and output templates.

A stem template (``templates/questions/<family>.j2``) writes plain text. It places inline math
with ``{{ math(expr) }}`` and whole blocks (a matrix, a table) with ``{{ block(b) }}`` on a
paragraph of their own; paragraphs are separated by blank lines. ``render_blocks`` turns the
result into a tuple of ``Text`` / block objects, so a template controls the layout of a stem
without knowing any output format.
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

import jinja2

from quizgen.errors import QuizgenError
from quizgen.mathexpr import E, Expr, shape
from quizgen.model import Block, Text
from quizgen.numbers import fmt

ROOT = Path(__file__).resolve().parent.parent
TEMPLATES = ROOT / "templates"
BANKS = ROOT / "banks"

_TOKEN = re.compile(r"\x00(\d+)\x00")


def templates_dir() -> Path:
    if not TEMPLATES.is_dir():
        raise QuizgenError(f"templates folder not found at {TEMPLATES}; install quizgen from a "
                           f"clone of the repository with 'pip install -e .'")
    return TEMPLATES


@lru_cache(maxsize=None)
def environment(autoescape: bool = False) -> jinja2.Environment:
    """The shared environment. ``autoescape=True`` for HTML/XML output templates."""
    env = jinja2.Environment(
        loader=jinja2.FileSystemLoader(str(templates_dir())),
        undefined=jinja2.StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
        autoescape=autoescape,
    )
    env.filters["fmt"] = fmt
    env.filters["group"] = lambda v: fmt(v, group=True)
    env.globals["shape"] = shape
    return env


def render_blocks(template: str, **context) -> tuple[Block, ...]:
    """Render a stem/solution template into content blocks (see module docstring)."""
    objects: list = []

    def _register(obj) -> str:
        objects.append(obj)
        return f"\x00{len(objects) - 1}\x00"

    def math(x) -> str:
        return _register(x if isinstance(x, Expr) else E(x))

    def block(b) -> str:
        return _register(b)

    text = environment().get_template(template).render(math=math, block=block, **context)
    blocks: list[Block] = []
    for para in re.split(r"\n\s*\n", text.strip()):
        para = " ".join(para.split())
        if not para:
            continue
        whole = _TOKEN.fullmatch(para)
        if whole and not isinstance(objects[int(whole.group(1))], Expr):
            blocks.append(objects[int(whole.group(1))])
            continue
        spans: list = []
        pos = 0
        for m in _TOKEN.finditer(para):
            if m.start() > pos:
                spans.append(para[pos:m.start()])
            obj = objects[int(m.group(1))]
            if not isinstance(obj, Expr):
                raise QuizgenError(f"template {template}: a block must stand in a paragraph of "
                                   f"its own, not inside text")
            spans.append(obj)
            pos = m.end()
        if pos < len(para):
            spans.append(para[pos:])
        blocks.append(Text(tuple(spans)))
    return tuple(blocks)
