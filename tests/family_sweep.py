"""Shared sweep for family tests: many seeds × every kind × every difficulty.

``sweep(name, expected, seeds)`` builds each question twice (same seed → same ``question_dict``),
renders it as text and checks the structure of its choices; ``expected(q)`` is the test file's
own, independent recomputation and returns the correct value (single/numeric) or, for
``multiple``, a callable telling whether a choice is true.
"""
from __future__ import annotations

from quizgen import build_question, families
from quizgen.misconceptions import CATALOGUE
from quizgen.model import DIFFICULTIES
from quizgen.render.json import question_dict
from quizgen.render.text import question_text


def check_question(q, expected) -> None:
    text = question_text(q, key=True)
    assert q.stem and q.solution and text.strip()
    assert "{" not in q.stem_plain() and "None" not in q.stem_plain(), q.stem_plain()
    if q.kind == "numeric":
        assert not q.choices
        assert abs(q.answer - float(expected(q))) <= 1e-9 * max(1.0, abs(q.answer)), \
            (q.params, q.answer, expected(q))
        return
    plains = [c.plain() for c in q.choices]
    assert len(set(plains)) == len(plains), plains
    for c in q.choices:
        if not c.correct:
            assert c.misconception in CATALOGUE and c.explanation, c
    if q.kind == "single":
        assert len(q.choices) == families.get(q.family).n_options
        assert sum(c.correct for c in q.choices) == 1
        want = expected(q)
        for c in q.choices:
            assert (c.value == want) == c.correct, (q.params, c.plain(), c.value, want)
    else:
        is_true = expected(q)
        assert any(c.correct for c in q.choices)
        for c in q.choices:
            assert is_true(c) == c.correct, (q.params, c.plain())


def sweep(name: str, expected, seeds: int = 500, kinds=None, difficulties=DIFFICULTIES) -> int:
    fam = families.get(name)
    n = 0
    for kind in kinds or fam.kinds:
        for difficulty in difficulties:
            for seed in range(seeds):
                q = build_question(name, seed=seed, difficulty=difficulty, kind=kind)
                check_question(q, expected)
                again = build_question(name, seed=seed, difficulty=difficulty, kind=kind)
                assert question_dict(q) == question_dict(again)
                n += 1
    return n
