"""The answer key as CSV, for a bubble-sheet scanner or a spreadsheet.

One row per paper version × question, in version order then question order::

    version,question,correct,points,kind,answer,tolerance,family,seed,question_id
    1,1,B,2,single,,,conv_output_size,3,conv_output_size-1a2b3c4d5e
    1,2,A;C,1,multiple,,,…
    1,3,,1,numeric,113,0,…

``version`` is the version number (1..K), ``question`` the 1-based position on that version;
``correct`` the correct letter(s) joined with ``;`` (empty for numeric); ``answer`` and
``tolerance`` are the exact value and absolute tolerance of a numeric question (empty
otherwise), printed as plain decimals without exponent or thousands separators. UTF-8, ``\\n``
line endings, minimal quoting: the same exam gives the same bytes.
"""
from __future__ import annotations

import csv
import io
from pathlib import Path

from quizgen.errors import OutputError
from quizgen.exam import Exam
from quizgen.render.exactnum import number_text

COLUMNS = ("version", "question", "correct", "points", "kind", "answer", "tolerance", "family",
           "seed", "question_id")


def answer_key_rows(exam: Exam) -> list[dict[str, str]]:
    """The rows of the key, as strings keyed by ``COLUMNS``."""
    rows = []
    for version in exam.versions:
        for n, q in enumerate(version.questions, 1):
            numeric = q.kind == "numeric"
            where = f"version {version.number}, question {n} ({q.uid})"
            if not numeric and not q.correct_labels:
                raise OutputError(f"{where}: no correct choice to put in the answer key")
            try:
                answer = number_text(q.answer) if numeric else ""
                tolerance = number_text(q.tolerance) if numeric else ""
            except (TypeError, ValueError):
                raise OutputError(f"{where}: numeric answer {q.answer!r} ± {q.tolerance!r} is not "
                                  f"a finite number") from None
            rows.append({
                "version": str(version.number),
                "question": str(n),
                "correct": "" if numeric else ";".join(q.correct_labels),
                "points": number_text(q.points),
                "kind": q.kind,
                "answer": answer,
                "tolerance": tolerance,
                "family": q.family,
                "seed": str(q.seed),
                "question_id": q.uid,
            })
    return rows


def answer_key_csv(exam: Exam) -> str:
    """The key as CSV text (header + rows)."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, fieldnames=COLUMNS, lineterminator="\n")
    writer.writeheader()
    writer.writerows(answer_key_rows(exam))
    return buf.getvalue()


def write_answer_key_csv(exam: Exam, path) -> Path:
    """Write the key to ``path`` (UTF-8, ``\\n`` line endings); returns the path."""
    path = Path(path)
    data = answer_key_csv(exam).encode("utf-8")
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
    except OSError as err:
        raise OutputError(f"cannot write {path}: {err.strerror or err}") from None
    return path
