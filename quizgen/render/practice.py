"""The self-checking practice page: one self-contained HTML file (inline CSS and JS, no network).

Each question shows its stem (``htmlblocks``), an input by kind (radio buttons, checkboxes or a
number field with the question's tolerance), a Check button with immediate feedback, and a Show
solution button revealing the worked solution and, for a chosen wrong option, the misconception
behind it. A running score and the seed (with the command that regenerates the sheet) are
printed. Answer data travels as JSON in a ``<script type="application/json">`` element with
``<``, ``>`` and ``&`` escaped, so no text can close the script.
"""
from __future__ import annotations

import json
import os
from pathlib import Path

from quizgen.errors import OutputError
from quizgen.model import LABELS, Question
from quizgen.numbers import fmt
from quizgen.render.htmlblocks import blocks_html
from quizgen.templating import environment


def _json_for_script(data) -> str:
    text = json.dumps(data, ensure_ascii=False, sort_keys=True, separators=(",", ":"))
    return (text.replace("&", "\\u0026").replace("<", "\\u003c").replace(">", "\\u003e")
            .replace("\u2028", "\\u2028").replace("\u2029", "\\u2029"))


def _question_view(q: Question, number: int) -> dict:
    choices = [{"label": LABELS[i], "html": blocks_html(c.content, inline=True)}
               for i, c in enumerate(q.choices)]
    return {
        "number": number, "kind": q.kind, "family": q.family, "seed": q.seed,
        "difficulty": q.difficulty, "stem": blocks_html(q.stem),
        "select_all_note": q.needs_select_all_note, "choices": choices,
        "solution": blocks_html(q.solution),
        "tolerance": fmt(q.tolerance) if q.tolerance else "",
    }


def _answer_data(q: Question) -> dict:
    if q.kind == "numeric":
        return {"kind": "numeric", "answer": float(q.answer), "tol": float(q.tolerance),
                "shown": fmt(q.answer, group=True)}
    return {"kind": q.kind,
            "correct": [LABELS[i] for i, c in enumerate(q.choices) if c.correct],
            "why": {LABELS[i]: c.explanation for i, c in enumerate(q.choices) if not c.correct}}


def practice_html(questions, *, title: str, seed: int, command: str = "") -> str:
    """The page as a string (deterministic for the same questions, title, seed, command)."""
    views = [_question_view(q, i) for i, q in enumerate(questions, 1)]
    data = _json_for_script([_answer_data(q) for q in questions])
    return environment(autoescape=True).get_template("html/practice.html.j2").render(
        title=title, seed=seed, command=command, questions=views, answer_json=data)


def write_practice_html(questions, path, *, title: str, seed: int, command: str = "") -> None:
    """Write the page to ``path`` atomically (a temporary file renamed into place)."""
    path = Path(path)
    page = practice_html(questions, title=title, seed=seed, command=command)
    tmp = path.with_name(f".{path.name}.tmp")
    try:
        tmp.write_text(page, encoding="utf-8", newline="\n")
        os.replace(tmp, path)
    except OSError as err:
        tmp.unlink(missing_ok=True)
        raise OutputError(f"cannot write practice page {path}: {err.strerror or err}") from None
