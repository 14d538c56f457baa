"""Practice sets for students: a deterministic mix of fresh questions over chosen families.

Question ``i`` of a sheet with seed ``s`` uses family ``families[i mod F]`` (in the order given,
or the registry's order), a kind drawn among the family's kinds, and the question seed
``SeedSequence([s, 3, i]).generate_state(1)[0]``, so the same (families, n, difficulty, seed)
always gives the same sheet.
"""
from __future__ import annotations

import numpy as np

from quizgen import families as registry
from quizgen.errors import ParamError, QuizgenError
from quizgen.family import build
from quizgen.model import DIFFICULTIES, Question

_STREAM = 3  # distinct from the assembler's paper (0), Canvas (1) and practice (2) streams


def parse_families(text: str | None) -> list[str]:
    """``"a,b"`` → ``["a", "b"]`` (every name checked); ``None`` or empty → all families."""
    if not text:
        return registry.names()
    names = [n.strip() for n in text.split(",") if n.strip()]
    if not names:
        raise ParamError("no family named", param="--families", value=text)
    for name in names:
        registry.get(name)  # UnknownFamilyError lists the known ones
    return names


def practice_questions(families: list[str] | None, n: int, difficulty: str,
                       seed: int) -> list[Question]:
    """``n`` questions cycling over ``families`` (all when None); see the module docstring."""
    if isinstance(n, bool) or not isinstance(n, int) or n <= 0:
        raise ParamError("must be a positive integer", param="--n", value=n)
    if difficulty not in DIFFICULTIES:
        raise ParamError(f"must be one of {', '.join(DIFFICULTIES)}", param="--difficulty",
                         value=difficulty)
    if not isinstance(seed, int) or seed < 0:
        raise ParamError("must be a non-negative integer", param="--seed", value=seed)
    return [q for _, q in zip(range(n), practice_stream(families, difficulty, seed))]


def practice_stream(families: list[str] | None, difficulty: str, seed: int):
    """The endless sequence of practice questions; ``practice_questions`` takes its first n."""
    names = families or registry.names()
    seen: set[str] = set()
    i = 0
    while True:
        fam = registry.get(names[i % len(names)])
        q = None
        for attempt in range(20):
            state = np.random.SeedSequence([seed, _STREAM, i, attempt]).generate_state(2)
            kind = fam.kinds[int(state[1]) % len(fam.kinds)]
            try:
                q = build(fam, seed=int(state[0]), difficulty=difficulty, kind=kind)
            except ParamError:
                continue  # this kind cannot be drawn with these settings: try another draw
            if q.stem_plain() not in seen:
                break
        if q is None:
            raise QuizgenError(f"family '{fam.name}' could not build a {difficulty} question "
                               f"for practice question {i + 1}")
        seen.add(q.stem_plain())
        yield q
        i += 1
