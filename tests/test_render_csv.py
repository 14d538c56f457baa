"""The answer-key CSV: one row per version × question, exact values, fixed bytes."""
from __future__ import annotations

import csv
import dataclasses
import hashlib
import io
from fractions import Fraction

import pytest

from quizgen.errors import OutputError
from quizgen.exam import ExamVersion
from quizgen.model import LABELS
from quizgen.render.csv import COLUMNS, answer_key_csv, write_answer_key_csv
from render_samples import sample_exam


@pytest.fixture(scope="module")
def exam():
    return sample_exam()


@pytest.fixture(scope="module")
def written(exam, tmp_path_factory):
    return write_answer_key_csv(exam, tmp_path_factory.mktemp("csv") / "answer_key.csv")


def rows_of(data: bytes) -> list[dict]:
    return list(csv.DictReader(io.StringIO(data.decode("utf-8"), newline="")))


def test_header_line_endings_encoding(written):
    data = written.read_bytes()
    assert data.split(b"\n", 1)[0].decode() == ",".join(COLUMNS)
    assert b"\r" not in data and data.endswith(b"\n")
    data.decode("utf-8")


def test_one_row_per_version_and_question(written, exam):
    rows = rows_of(written.read_bytes())
    expected = [(v, n, q) for v in exam.versions for n, q in enumerate(v.questions, 1)]
    assert len(rows) == len(expected)
    for row, (version, n, q) in zip(rows, expected):
        assert (row["version"], row["question"]) == (str(version.number), str(n))
        assert row["kind"] == q.kind and row["family"] == q.family
        assert row["seed"] == str(q.seed) and row["question_id"] == q.uid
        assert Fraction(row["points"]) == Fraction(str(q.points))
        if q.kind == "numeric":
            assert row["correct"] == ""
            want = Fraction(str(q.answer)) if isinstance(q.answer, float) else Fraction(q.answer)
            assert abs(Fraction(row["answer"]) - want) <= Fraction(1, 2 * 10 ** 12)
            assert Fraction(row["tolerance"]) == Fraction(str(q.tolerance))
        else:
            letters = [LABELS[i] for i, c in enumerate(q.choices) if c.correct]
            assert row["correct"].split(";") == letters
            assert row["answer"] == "" and row["tolerance"] == ""


def test_values_are_plain_decimals(written):
    rows = rows_of(written.read_bytes())
    numeric = {r["answer"] for r in rows if r["kind"] == "numeric"}
    assert {"0.1", "-7", "0.333333333333"} <= numeric
    multiple = [r["correct"] for r in rows if r["kind"] == "multiple"]
    assert "A;B" in multiple
    for r in rows:
        for key in ("answer", "tolerance", "points"):
            assert "e" not in r[key].lower() and "," not in r[key]


def test_deterministic(written, tmp_path):
    again = write_answer_key_csv(sample_exam(), tmp_path / "again.csv")
    digest = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()  # noqa: E731
    assert digest(again) == digest(written)
    assert answer_key_csv(sample_exam()).encode() == written.read_bytes()


def test_hostile_text_never_reaches_the_key(written):
    # the key holds ids and values only; nothing needs quoting
    assert b'"' not in written.read_bytes()


def test_choice_question_without_correct_choice_is_refused(exam):
    q = next(q for q in exam.versions[0].questions if q.kind == "single")
    broken = dataclasses.replace(q, choices=tuple(dataclasses.replace(c, correct=False)
                                                  for c in q.choices))
    bad = dataclasses.replace(exam, versions=(ExamVersion(1, "A", (broken,)),))
    with pytest.raises(OutputError, match="no correct choice"):
        answer_key_csv(bad)
