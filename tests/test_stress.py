"""quizgen.stress and ``quizgen stress``: the report's numbers, failures, exit codes."""
from __future__ import annotations

import json

import pytest

from quizgen import families
from quizgen.cli import main
from quizgen.errors import ParamError, QuizgenError, UnknownFamilyError
from quizgen.family import Family, Param
from quizgen.model import T
from quizgen.stress import check_question, format_report, stress


class Flaky(Family):
    """Answers 2·seed-ish numbers; every 7th draw raises, so failures can be counted."""

    name = "flaky_for_tests"
    title = "A family that fails on purpose"
    kinds = ("single", "numeric")
    params = (Param("x", "a number", domain=tuple(range(40)), lo=0, hi=100),)

    def check(self, p):
        if p.x % 7 == 3:
            raise ZeroDivisionError(f"cannot do x={p.x}")

    def solve(self, p):
        return 2 * p.x

    def misconceptions(self, p, answer):
        return {"forgot_plus_one": answer + 1, "ignored_stride": answer + 2,
                "forgot_padding": answer + 3}

    def stem(self, p, kind):
        return (T(f"Double {p.x}."),)

    def solution(self, p, answer):
        return (T(f"2 × {p.x} = {answer}"),)


@pytest.fixture
def flaky(monkeypatch):
    monkeypatch.setitem(families.registry(), Flaky.name, Flaky())
    return Flaky.name


def test_report_numbers_for_a_real_family():
    r = stress("network_trace", 200, difficulty="paper")
    assert r.ok and r.built == 200 and r.failures == 0 and not r.failure_messages
    assert sum(r.letters.values()) == 200 and set(r.letters) <= set("ABCD")
    assert all(c >= 20 for c in r.letters.values())
    assert sum(r.misconceptions.values()) == 3 * 200
    assert r.distinct_answers > 10 and r.answer_min is not None
    assert 0 <= r.near_fill_rate <= 1 and 0 <= r.duplicate_stems < 200
    assert 0 < r.mean_ms <= r.p95_ms


def test_numeric_range_and_seed_start(flaky):
    r = stress(flaky, 30, kind="numeric", seed_start=100)
    assert r.seed_start == 100 and r.n == 30
    assert r.failures + r.built == 30 and r.failures > 0
    assert r.answer_min >= 0 and r.answer_max <= 78 and r.answer_max % 2 == 0
    assert not r.letters and not r.misconceptions


def test_failures_are_counted_with_first_messages(flaky):
    r = stress(flaky, 60)
    assert not r.ok and r.failures > 0 and r.built == 60 - r.failures
    assert 1 <= len(r.failure_messages) <= 5
    assert r.failure_messages[0].startswith("seed ") and "ZeroDivisionError" in \
        r.failure_messages[0]
    text = format_report(r)
    assert "FAILURES" in text and r.failure_messages[0] in text


def test_duplicates_and_misconception_counts(flaky):
    r = stress(flaky, 120, params={"x": 4})
    assert r.ok and r.distinct_answers == 1 and r.duplicate_stems == 119
    assert r.misconceptions == {"forgot_plus_one": 120, "ignored_stride": 120,
                                "forgot_padding": 120}
    assert r.answer_min == r.answer_max == 8


def test_broken_invariant_is_a_failure():
    q = __import__("quizgen").build_question("network_trace", seed=1)
    assert check_question(q) == []
    broken = q.__class__(**{**q.__dict__, "choices": q.choices[:1] * 2})
    problems = check_question(broken)
    assert any("not distinct" in p for p in problems)


def test_caller_errors_raise():
    with pytest.raises(UnknownFamilyError):
        stress("no_such_family", 5)
    with pytest.raises(ParamError, match="param 'zzz'"):
        stress("network_trace", 5, params={"zzz": 1})
    with pytest.raises(ParamError, match="param 'what'"):
        stress("network_trace", 5, params={"model": "lenet5", "what": "depth"})
    with pytest.raises(QuizgenError, match="at least 1"):
        stress("network_trace", 0)


def test_cli_exit_codes_and_output(capsys, flaky):
    assert main(["stress", "concepts", "--n", "60", "--kind", "multiple"]) == 0
    out = capsys.readouterr().out
    for word in ("built", "answers", "correct letters", "misconceptions", "near values",
                 "duplicate stems", "build time"):
        assert word in out
    assert main(["stress", flaky, "--n", "40"]) == 1
    assert "FAILURES" in capsys.readouterr().out
    assert main(["stress", "network_trace", "--n", "20", "--seed-start", "7", "--format",
                 "json", "--param", "model=alexnet"]) == 0
    d = json.loads(capsys.readouterr().out)
    assert d["seed_start"] == 7 and d["built"] == 20 and d["failures"] == 0
    assert main(["stress", "nope"]) == 2
    assert "unknown family" in capsys.readouterr().err
