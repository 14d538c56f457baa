"""JSON form of questions: ``quizgen preview --format json`` and the exam ``manifest.json``."""
from __future__ import annotations

import json
from fractions import Fraction

from quizgen.model import LABELS, Question
from quizgen.numbers import to_exact
from quizgen.render.text import blocks_text


def _plain_value(v):
    if isinstance(v, (list, tuple)):
        return [_plain_value(x) for x in v]
    if isinstance(v, Fraction):
        return str(v) if v.denominator != 1 else v.numerator
    try:
        return to_exact(v)
    except TypeError:
        return v


def question_dict(q: Question) -> dict:
    """Everything needed to check or regenerate a question, as plain JSON types."""
    return {
        "id": q.uid,
        "family": q.family,
        "seed": q.seed,
        "difficulty": q.difficulty,
        "kind": q.kind,
        "params": q.params,
        "points": q.points,
        "stem": blocks_text(q.stem),
        "choices": [
            {"label": LABELS[i], "text": blocks_text(c.content), "correct": c.correct,
             "misconception": c.misconception, "explanation": c.explanation}
            for i, c in enumerate(q.choices)
        ],
        "answer": _plain_value(q.answer),
        "correct": list(q.correct_labels),
        "tolerance": q.tolerance,
        "solution": blocks_text(q.solution),
        "notes": list(q.notes),
    }


def dumps(obj) -> str:
    """Deterministic JSON (sorted keys, fixed indentation, UTF-8 text)."""
    return json.dumps(obj, indent=2, sort_keys=True, ensure_ascii=False) + "\n"
