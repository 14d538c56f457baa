"""The one option builder: correct value + {misconception: value} → distinct, shuffled options.

Rules (DESIGN.md): every distractor carries the misconception it models; options are distinct
after formatting; the correct option appears exactly once, at a position drawn uniformly from
the question's generator; when misconceptions collide or run short, plausible near values fill
the remaining slots, tagged ``near_value``, and the question notes it.
"""
from __future__ import annotations

import numpy as np

from quizgen.errors import QuizgenError
from quizgen.misconceptions import CATALOGUE
from quizgen.model import Choice


def _tries(fn):
    try:
        return fn()
    except (ArithmeticError, ValueError, QuizgenError):
        return None


def build_choices(family, p, answer, rng: np.random.Generator) -> tuple[tuple[Choice, ...], tuple[str, ...]]:
    """Options for a single-answer question of ``family`` (see module docstring)."""
    n = family.n_options
    correct_key = family.option_key(answer, p)
    seen = {correct_key}
    wrong: list[Choice] = []
    candidates = list(family.misconceptions(p, answer).items())
    for key, _ in candidates:
        if key not in CATALOGUE:
            raise QuizgenError(f"family '{family.name}' uses misconception {key!r}, which is not "
                               f"in the catalogue (quizgen/misconceptions.py)")
    order = rng.permutation(len(candidates)) if candidates else []
    for i in order:
        key, value = candidates[int(i)]
        if value is None or len(wrong) == n - 1:
            continue
        option_key = _tries(lambda: family.option_key(value, p))
        if option_key is None or option_key in seen:
            continue
        seen.add(option_key)
        wrong.append(Choice(family.option(value, p), False, key, CATALOGUE[key], value))
    notes: tuple[str, ...] = ()
    if len(wrong) < n - 1:
        filled = 0
        for value in family.near_values(p, answer, rng):
            if len(wrong) == n - 1:
                break
            option_key = _tries(lambda: family.option_key(value, p))
            if option_key is None or option_key in seen:
                continue
            seen.add(option_key)
            wrong.append(Choice(family.option(value, p), False, "near_value",
                                CATALOGUE["near_value"], value))
            filled += 1
        notes = (f"{filled} option(s) filled with near values: the misconceptions coincided",)
    if len(wrong) < n - 1:
        raise QuizgenError(f"family '{family.name}': could not find {n - 1} distinct wrong "
                           f"options for params {dict(p)}")
    position = int(rng.integers(n))
    correct = Choice(family.option(answer, p), True, None, "", answer)
    return tuple(wrong[:position] + [correct] + wrong[position:]), notes


def choices_from_statements(statements, rng: np.random.Generator) -> tuple[Choice, ...]:
    """Choices of a select-all question, shuffled; texts must be distinct."""
    seen = set()
    out = []
    for st in statements:
        key = "\n".join(getattr(b, "plain", lambda: str(b))() for b in st.content)
        if key in seen:
            raise QuizgenError(f"duplicate statement {key!r}")
        seen.add(key)
        if not st.true and st.misconception and st.misconception not in CATALOGUE:
            raise QuizgenError(f"misconception {st.misconception!r} is not in the catalogue")
        out.append(Choice(st.content, st.true, None if st.true else (st.misconception or "static"),
                          st.explanation or ("" if st.true else CATALOGUE[st.misconception or "static"]),
                          st.true))
    if not any(c.correct for c in out):
        raise QuizgenError("a select-all question needs at least one true statement")
    return tuple(out[int(i)] for i in rng.permutation(len(out)))
