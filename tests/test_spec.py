"""The exam spec loader: a good spec round-trips into dataclasses; every bad spec gives one
SpecError line naming file, field, value and line, exit status 2, and writes nothing."""
from __future__ import annotations

import subprocess
import sys
import textwrap

import pytest

from quizgen.cli import main
from quizgen.errors import SpecError
from quizgen.spec import CanvasSpec, PracticeSpec, ShuffleSpec, load_spec, parse_spec, slugify

GOOD = """\
title: "CS540 Midterm: CNNs & <pooling>"
course: CS540
date: 2026-03-24
instructions:
  - Fill in one bubble per question.
  - "Calculator allowed; no phones."
seed: 540
versions: 4
points: 2
difficulty: paper
slots:
  - family: conv_output_size
    count: 3
  - family: conv_output_size
    kind: numeric
    difficulty: standard
    points: 1.5
    title: Output height
    params: {H: 22, K: 11, S: 2, P: 0}
shuffle: {questions: false, options: false}
canvas: {variants: 4, time_limit: 25, shuffle_answers: false}
practice: {enabled: true, n: 2}
"""


def write(tmp_path, text: str, name: str = "exam.yaml"):
    path = tmp_path / name
    path.write_text(textwrap.dedent(text), encoding="utf-8")
    return path


def test_good_spec_fields(tmp_path):
    spec = load_spec(write(tmp_path, GOOD))
    assert spec.title == "CS540 Midterm: CNNs & <pooling>"
    assert spec.slug == "cs540-midterm-cnns-pooling"
    assert spec.course == "CS540" and spec.date == "2026-03-24"
    assert spec.instructions == ("Fill in one bubble per question.",
                                 "Calculator allowed; no phones.")
    assert (spec.seed, spec.versions, spec.points, spec.difficulty) == (540, 4, 2, "paper")
    first, second = spec.slots
    assert (first.family, first.count, first.difficulty, first.kind, first.points) == \
        ("conv_output_size", 3, "paper", None, 2)
    assert (second.kind, second.difficulty, second.points, second.title) == \
        ("numeric", "standard", 1.5, "Output height")
    assert second.params == {"H": 22, "K": 11, "S": 2, "P": 0}
    assert first.line == 12 and second.line == 14
    assert spec.shuffle == ShuffleSpec(questions=False, options=False)
    assert spec.canvas == CanvasSpec(variants=4, time_limit=25, shuffle_answers=False)
    assert spec.practice == PracticeSpec(enabled=True, n=2)
    assert spec.questions_per_version == 4
    assert spec.source == str(tmp_path / "exam.yaml")


def test_defaults():
    spec = parse_spec("title: Quiz\nslots:\n  - family: conv_output_size\n")
    assert (spec.seed, spec.versions, spec.points, spec.difficulty) == (0, 1, 1, "standard")
    assert spec.slots[0].kind is None and spec.slots[0].count == 1
    assert spec.shuffle == ShuffleSpec() and spec.canvas == CanvasSpec()
    assert spec.practice == PracticeSpec()
    assert spec.instructions == () and spec.slug == "quiz"


def test_slugify():
    assert slugify("CS540 Midterm (Spring 2026)") == "cs540-midterm-spring-2026"
    assert slugify("Réseaux × convolutifs") == "reseaux-convolutifs"
    assert slugify("×××") == "exam"


HEAD = "title: Quiz\n"
SLOT = "slots:\n  - family: conv_output_size\n"

# (case id, yaml text, field, value text or None, line or None, words in the message)
BAD = [
    ("yaml-syntax", HEAD + "slots: [ {family: conv_output_size\n", None, None, 3, "YAML syntax"),
    ("yaml-tab", "title: Quiz\nslots:\n\t- family: x\n", None, None, 3, "YAML syntax"),
    ("empty", "", None, None, None, "empty"),
    ("not-a-mapping", "- title\n- slots\n", None, None, 1, "mapping"),
    ("missing-title", SLOT, "title", None, 1, "missing required field"),
    ("missing-slots", HEAD + "seed: 3\n", "slots", None, 1, "missing required field"),
    ("missing-family", HEAD + "slots:\n  - count: 2\n", "slots[0].family", None, 3,
     "missing required field"),
    ("empty-slots", HEAD + "slots: []\n", "slots", "[]", 2, "at least one slot"),
    ("unknown-top", HEAD + "verions: 3\n" + SLOT, "verions", "'verions'", 2,
     "did you mean 'versions'"),
    ("unknown-slot", HEAD + SLOT + "    cuont: 2\n", "slots[0].cuont", "'cuont'", 4,
     "did you mean 'count'"),
    ("unknown-shuffle", HEAD + SLOT + "shuffle: {option: true}\n", "shuffle.option", "'option'",
     4, "unknown field"),
    ("duplicate", HEAD + "title: Again\n" + SLOT, "title", None, 2, "duplicate field"),
    ("type-versions", HEAD + "versions: two\n" + SLOT, "versions", "'two'", 2,
     "expected an integer"),
    ("type-bool-as-int", HEAD + "versions: true\n" + SLOT, "versions", "True", 2,
     "expected an integer"),
    ("type-title", "title: [a, b]\n" + SLOT, "title", "['a', 'b']", 1, "expected a string"),
    ("type-slots", HEAD + "slots: conv_output_size\n", "slots", "'conv_output_size'", 2,
     "expected a list"),
    ("type-slot", HEAD + "slots:\n  - conv_output_size\n", "slots[0]", "'conv_output_size'", 3,
     "expected a mapping"),
    ("type-params", HEAD + SLOT + "    params: [H, 7]\n", "slots[0].params", "['H', 7]", 4,
     "expected a mapping"),
    ("type-shuffle", HEAD + SLOT + "shuffle: yes\n", "shuffle", "True", 4, "expected a mapping"),
    ("type-shuffle-questions", HEAD + SLOT + "shuffle: {questions: 1}\n", "shuffle.questions",
     "1", 4, "expected true or false"),
    ("type-instructions", HEAD + "instructions: [ok, 3]\n" + SLOT, "instructions[1]", "3", 2,
     "expected a string"),
    ("type-points", HEAD + SLOT + "    points: two\n", "slots[0].points", "'two'", 4,
     "expected a number"),
    ("zero-versions", HEAD + "versions: 0\n" + SLOT, "versions", "0", 2, "positive integer"),
    ("negative-versions", HEAD + "versions: -2\n" + SLOT, "versions", "-2", 2,
     "positive integer"),
    ("zero-count", HEAD + SLOT + "    count: 0\n", "slots[0].count", "0", 4, "positive integer"),
    ("negative-count", HEAD + SLOT + "    count: -3\n", "slots[0].count", "-3", 4,
     "positive integer"),
    ("zero-variants", HEAD + SLOT + "canvas: {variants: 0}\n", "canvas.variants", "0", 4,
     "positive integer"),
    ("negative-points", HEAD + "points: -1\n" + SLOT, "points", "-1", 2, "must be a positive"),
    ("nan-points", HEAD + SLOT + "    points: .nan\n", "slots[0].points", "nan", 4,
     "finite number"),
    ("negative-seed", HEAD + "seed: -5\n" + SLOT, "seed", "-5", 2, "≥ 0"),
    ("unknown-family", HEAD + "slots:\n  - family: conv_outptu_size\n", "slots[0].family",
     "'conv_outptu_size'", 3, "known families: "),
    ("unknown-difficulty", HEAD + "difficulty: hard\n" + SLOT, "difficulty", "'hard'", 2,
     "unknown difficulty; one of paper, standard, challenge"),
    ("unknown-slot-difficulty", HEAD + SLOT + "    difficulty: easy\n", "slots[0].difficulty",
     "'easy'", 4, "unknown difficulty"),
    ("unknown-kind", HEAD + SLOT + "    kind: essay\n", "slots[0].kind", "'essay'", 4,
     "unknown kind; one of single, multiple, numeric"),
    ("kind-not-offered", HEAD + "slots:\n  - family: concepts\n    kind: numeric\n",
     "slots[0].kind", "'numeric'", 4, "family 'concepts' offers only single, multiple"),
    ("unknown-param", HEAD + SLOT + "    params:\n      H: 7\n      Q: 3\n",
     "slots[0].params.Q", "3", 6, "unknown parameter; known: H"),
    ("param-too-big", HEAD + SLOT + "    params:\n      H: 99999\n", "slots[0].params.H",
     "99999", 5, "must be ≤ 4096"),
    ("param-too-small", HEAD + SLOT + "    params: {S: 0}\n", "slots[0].params.S", "0", 4,
     "must be ≥ 1"),
    ("param-wrong-type", HEAD + SLOT + "    params: {H: seven}\n", "slots[0].params.H",
     "'seven'", 4, "expected int"),
    ("param-bad-choice", HEAD + SLOT + "    params: {pad_style: both}\n",
     "slots[0].params.pad_style", "'both'", 4, "must be one of per_side, total"),
    ("bad-slug", HEAD + "slug: My Exam\n" + SLOT, "slug", "'My Exam'", 2, "lowercase"),
]


@pytest.mark.parametrize("text, field, value, line, words", [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_spec_raises_one_located_error(tmp_path, text, field, value, line, words):
    path = write(tmp_path, text)
    with pytest.raises(SpecError) as info:
        load_spec(path)
    err = info.value
    assert err.file == str(path)
    assert err.field == field
    assert err.line == line
    message = str(err)
    assert "\n" not in message
    assert message.startswith(str(path) + (f":{line}" if line else ""))
    if field:
        assert f"field '{field}'" in message
    if value:
        assert f"value {value}" in message
    assert words in message


@pytest.mark.parametrize("text, field, value, line, words", [c[1:] for c in BAD],
                         ids=[c[0] for c in BAD])
def test_bad_spec_cli_exit_2_and_no_output(tmp_path, capsys, text, field, value, line, words):
    path = write(tmp_path, text)
    out = tmp_path / "out"
    assert main(["generate", str(path), "--out", str(out), "--quiet"]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1 and lines[0].startswith("quizgen: error: ")
    assert str(path) in lines[0] and words in lines[0]
    assert not out.exists()
    assert main(["validate", str(path)]) == 2
    assert len(capsys.readouterr().err.splitlines()) == 1


def test_missing_file(tmp_path, capsys):
    assert main(["validate", str(tmp_path / "nope.yaml")]) == 2
    assert "nope.yaml: spec file not found" in capsys.readouterr().err


def test_impossible_params_reported_at_build_with_slot_line(tmp_path, capsys):
    # valid one by one, impossible together: a 5×5 kernel on an unpadded 3×3 input
    path = write(tmp_path, HEAD + "seed: 1\n" + SLOT + "    params: {H: 3, W: 3, K: 5, P: 0}\n")
    load_spec(path)
    out = tmp_path / "out"
    assert main(["generate", str(path), "--out", str(out)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"quizgen: error: {path}:4, field 'slots[0]'")
    assert "larger than the padded input" in err
    assert not out.exists()


def test_unknown_bank_question_reported_at_build(tmp_path, capsys):
    path = write(tmp_path, HEAD + "slots:\n  - family: concepts\n    params: {id: no-such-q}\n")
    assert main(["validate", str(path)]) == 2
    err = capsys.readouterr().err.strip()
    assert err.startswith(f"quizgen: error: {path}:3, field 'slots[0]'")
    assert "no question with this id" in err and "'no-such-q'" in err


def test_subprocess_exit_status_and_single_line(tmp_path, repo_root):
    path = write(tmp_path, HEAD + SLOT + "    count: 0\n")
    run = subprocess.run([sys.executable, "-m", "quizgen", "generate", str(path), "--out",
                          str(tmp_path / "out")], cwd=repo_root, capture_output=True, text=True)
    assert run.returncode == 2
    assert run.stdout == ""
    assert run.stderr == (f"quizgen: error: {path}:4, field 'slots[0].count', value 0: must be a "
                          f"positive integer\n")
    assert not (tmp_path / "out").exists()
