"""Stress a family: build many questions with consecutive seeds and summarise what came out.

``stress("network_trace", n=1000)`` returns a :class:`StressReport`: answer range (min/max of
numeric answers, distinct-answer count), correct-letter histogram, misconception frequency,
how often near values had to fill the options, repeated stems, failures (exceptions and broken
invariants, with the first messages) and build time per question (mean, p95). ``quizgen stress``
prints it and exits non-zero when anything failed.

Invariants checked on every question (a violation counts as a failure): single — exactly one
correct option; single/multiple — option texts distinct, at least one correct, every wrong
option carries a catalogue misconception and an explanation; numeric — no options; and the
plain-text rendering (with the key) succeeds.
"""
from __future__ import annotations

import math
import time
from collections import Counter
from dataclasses import asdict, dataclass, field
from numbers import Real

from quizgen.errors import QuizgenError
from quizgen.model import LABELS

MAX_MESSAGES = 5


@dataclass
class StressReport:
    """What ``stress`` saw. Times are in milliseconds; rates are fractions of ``n``."""

    family: str
    kind: str
    difficulty: str
    n: int
    seed_start: int
    built: int = 0
    failures: int = 0
    failure_messages: list[str] = field(default_factory=list)
    answer_min: float | None = None
    answer_max: float | None = None
    distinct_answers: int = 0
    letters: dict[str, int] = field(default_factory=dict)
    misconceptions: dict[str, int] = field(default_factory=dict)
    near_filled: int = 0
    duplicate_stems: int = 0
    mean_ms: float = 0.0
    p95_ms: float = 0.0

    @property
    def ok(self) -> bool:
        return self.failures == 0

    @property
    def near_fill_rate(self) -> float:
        return self.near_filled / self.built if self.built else 0.0

    def to_dict(self) -> dict:
        d = asdict(self)
        d["near_fill_rate"] = self.near_fill_rate
        return d


def check_question(q) -> list[str]:
    """Broken invariants of one built question (empty when it is sound)."""
    from quizgen.misconceptions import CATALOGUE
    from quizgen.render.text import question_text
    problems = []
    if q.kind == "numeric":
        if q.choices:
            problems.append("a numeric question has options")
    else:
        texts = [c.plain() for c in q.choices]
        if len(set(texts)) != len(texts):
            problems.append(f"options not distinct: {texts}")
        n_correct = sum(c.correct for c in q.choices)
        if q.kind == "single" and n_correct != 1:
            problems.append(f"{n_correct} correct options in a single-answer question")
        if q.kind == "multiple" and n_correct < 1:
            problems.append("no correct option in a select-all question")
        for label, c in zip(LABELS, q.choices):
            if not c.correct and (c.misconception not in CATALOGUE or not c.explanation):
                problems.append(f"wrong option {label} has no catalogue misconception or "
                                f"explanation ({c.misconception!r})")
    question_text(q, key=True)
    return problems


def _percentile(values: list[float], pct: float) -> float:
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(0, math.ceil(pct / 100 * len(ordered)) - 1)
    return ordered[rank]


def _answer_key(answer) -> str:
    return repr(answer)


def stress(family: str, n: int = 1000, *, kind: str | None = None,
           difficulty: str = "standard", seed_start: int = 0,
           params: dict | None = None) -> StressReport:
    """Build ``n`` questions of ``family`` with seeds ``seed_start .. seed_start + n − 1``.

    An unknown family, kind or difficulty, or parameters that are wrong for every seed, raise at
    once (``QuizgenError``); failures of single seeds are counted and reported instead.
    """
    from quizgen import families
    from quizgen.family import build, parse_overrides
    if n < 1:
        raise QuizgenError(f"stress: --n must be at least 1, got {n}")
    fam = families.get(family)
    parse_overrides(fam, params)  # bad names or values are the caller's error, not a seed's
    kind = kind or fam.kinds[0]
    report = StressReport(family, kind, difficulty, n, seed_start)
    times: list[float] = []
    answers: Counter = Counter()
    numbers: list[float] = []
    letters: Counter = Counter()
    miscs: Counter = Counter()
    stems: set[str] = set()
    first_error: QuizgenError | None = None
    for seed in range(seed_start, seed_start + n):
        t0 = time.perf_counter()
        try:
            q = build(fam, seed=seed, difficulty=difficulty, kind=kind, params=params)
        except Exception as err:  # a failing seed is a finding, not a crash
            if first_error is None and isinstance(err, QuizgenError):
                first_error = err
            _fail(report, seed, f"{type(err).__name__}: {err}")
            continue
        times.append((time.perf_counter() - t0) * 1000)
        try:
            problems = check_question(q)
        except Exception as err:
            problems = [f"text rendering failed: {type(err).__name__}: {err}"]
        if problems:
            _fail(report, seed, "; ".join(problems))
            continue
        report.built += 1
        answers[_answer_key(q.answer)] += 1
        if isinstance(q.answer, Real) and not isinstance(q.answer, bool):
            numbers.append(float(q.answer))
        letters.update(q.correct_labels)
        miscs.update(c.misconception for c in q.choices if not c.correct)
        report.near_filled += any(c.misconception == "near_value" for c in q.choices)
        stem = q.stem_plain()
        report.duplicate_stems += stem in stems
        stems.add(stem)
    if report.built == 0 and first_error is not None and report.failures == n:
        raise first_error
    report.distinct_answers = len(answers)
    if numbers:
        report.answer_min, report.answer_max = min(numbers), max(numbers)
    report.letters = {lab: letters.get(lab, 0) for lab in LABELS if letters.get(lab)}
    report.misconceptions = dict(miscs.most_common())
    report.mean_ms = sum(times) / len(times) if times else 0.0
    report.p95_ms = _percentile(times, 95)
    return report


def _fail(report: StressReport, seed: int, message: str) -> None:
    report.failures += 1
    if len(report.failure_messages) < MAX_MESSAGES:
        report.failure_messages.append(f"seed {seed}: {message}")


def format_report(r: StressReport) -> str:
    """The plain-text summary ``quizgen stress`` prints."""
    from quizgen.numbers import fmt
    last = r.seed_start + r.n - 1
    lines = [f"stress {r.family}: {r.n} question(s), kind {r.kind}, difficulty {r.difficulty}, "
             f"seeds {r.seed_start}-{last}",
             f"built           {r.built} ok, {r.failures} failed"]
    if r.answer_min is not None:
        lines.append(f"answers         min {fmt(r.answer_min, group=True)}, max "
                     f"{fmt(r.answer_max, group=True)}; {r.distinct_answers} distinct")
    else:
        lines.append(f"answers         {r.distinct_answers} distinct")
    if r.letters:
        total = sum(r.letters.values())
        lines.append("correct letters " + "  ".join(
            f"{lab} {c} ({100 * c / total:.1f}%)" for lab, c in r.letters.items()))
    if r.misconceptions:
        lines.append("misconceptions of wrong options:")
        width = max(len(str(c)) for c in r.misconceptions.values())
        lines += [f"  {str(c).rjust(width)}  {key}" for key, c in r.misconceptions.items()]
    lines.append(f"near values     {r.near_filled} question(s) ({100 * r.near_fill_rate:.1f}%) "
                 "needed near-value fill-ins")
    lines.append(f"duplicate stems {r.duplicate_stems} stem(s) repeat an earlier seed's")
    lines.append(f"build time      mean {r.mean_ms:.2f} ms, p95 {r.p95_ms:.2f} ms per question")
    if r.failures:
        lines.append(f"FAILURES        {r.failures}; first:")
        lines += [f"  {m}" for m in r.failure_messages]
    return "\n".join(lines) + "\n"
