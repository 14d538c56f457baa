"""Every registered family (discovered, so new families are covered automatically).

For each family × kind × difficulty, 500 seeds: options distinct, exactly one correct option for
single (at least one for multiple), every wrong option explained by a catalogue misconception,
the text rendering works, the stem has no template leftovers ("None", "nan", "{{"), the JSON form
round-trips (every 5th seed), the same seed gives the same question (every 10th seed), and the
correct letter of single-answer questions is spread over the letters. Plus the CLI contract of ``list`` and ``preview``.
"""
from __future__ import annotations

import json
import math
import re
from collections import Counter

import pytest

from quizgen import build_question, families
from quizgen.cli import main
from quizgen.misconceptions import CATALOGUE
from quizgen.model import DIFFICULTIES, LABELS
from quizgen.render.json import dumps, question_dict
from quizgen.render.text import question_text

SEEDS = 500
SAME_SEED_EVERY = 10
JSON_EVERY = 5
FAMILIES = families.names()
CASES = [(name, kind) for name in FAMILIES for kind in families.get(name).kinds]
LEFTOVERS = re.compile(r"\bNone\b|\bnan\b|\{\{|\}\}|\{%|%\}")


def check(q, *, json_round_trip: bool = True) -> None:
    """The invariants every built question must satisfy."""
    where = f"{q.family} seed {q.seed} {q.difficulty} {q.kind} {q.params}"
    text = question_text(q, key=True)
    assert text.strip() and q.solution, where
    stem = q.stem_plain()
    assert stem.strip() and not LEFTOVERS.search(stem), (where, stem)
    if q.kind == "numeric":
        assert not q.choices, where
        assert isinstance(q.answer, (int, float)) and math.isfinite(q.answer), where
        assert q.tolerance >= 0, where
    else:
        plains = [c.plain() for c in q.choices]
        assert len(plains) >= 2 and all(p.strip() for p in plains), (where, plains)
        assert len(set(plains)) == len(plains), (where, plains)
        n_correct = sum(c.correct for c in q.choices)
        if q.kind == "single":
            assert len(plains) >= 3 and n_correct == 1, (where, plains)
        else:
            assert n_correct >= 1, where
        for label, c in zip(LABELS, q.choices):
            if not c.correct:
                assert c.misconception in CATALOGUE, (where, label, c.misconception)
                assert c.explanation.strip(), (where, label)
            else:
                assert c.misconception is None, (where, label)
    if json_round_trip:
        d = question_dict(q)
        assert json.loads(dumps(d)) == d, where


def assert_letters_spread(positions: Counter, sizes: Counter, where: str) -> None:
    """Each letter holds the correct option at least 40% as often as a uniform draw would put
    it there (a uniform 4-option family: every letter ≥ 10% of the questions)."""
    expected = Counter()
    for n, count in sizes.items():
        for i in range(n):
            expected[i] += count / n
    for i, share in expected.items():
        assert positions[i] >= 0.4 * share, (where, dict(positions), dict(expected))


@pytest.mark.slow
@pytest.mark.parametrize("name, kind", CASES, ids=[f"{n}-{k}" for n, k in CASES])
def test_family(name, kind):
    for difficulty in DIFFICULTIES:
        positions, sizes = Counter(), Counter()
        for seed in range(SEEDS):
            q = build_question(name, seed=seed, difficulty=difficulty, kind=kind)
            check(q, json_round_trip=seed % JSON_EVERY == 0)
            if seed % SAME_SEED_EVERY == 0:
                again = build_question(name, seed=seed, difficulty=difficulty, kind=kind)
                assert question_dict(again) == question_dict(q), (name, kind, difficulty, seed)
            if kind == "single":
                positions[next(i for i, c in enumerate(q.choices) if c.correct)] += 1
                sizes[len(q.choices)] += 1
        if kind == "single":
            assert_letters_spread(positions, sizes, f"{name} {difficulty}")


def test_registry_is_discovered():
    assert {"concepts", "conv_output_size", "network_trace"} <= set(FAMILIES)
    for name in FAMILIES:
        fam = families.get(name)
        assert fam.name == name and fam.title and fam.kinds
        assert set(fam.kinds) <= {"single", "multiple", "numeric"}
        assert all(prm.help for prm in fam.params), name


# ------------------------------------------------------------------------------------------
# CLI


def run(capsys, *argv):
    status = main(list(argv))
    out, err = capsys.readouterr()
    return status, out, err


def test_list_one_line_per_family(capsys):
    status, out, err = run(capsys, "list")
    lines = out.strip().splitlines()
    assert status == 0 and not err
    assert [line.split()[0] for line in lines] == FAMILIES


def test_list_params_documents_every_parameter(capsys):
    status, out, _ = run(capsys, "list", "--params")
    assert status == 0
    for name in FAMILIES:
        for prm in families.get(name).params:
            assert f"    {prm.name} (" in out, (name, prm.name)


def one_error_line(err: str) -> str:
    lines = err.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("quizgen: error: "), err
    return lines[0]


def test_preview_unknown_family(capsys):
    status, out, err = run(capsys, "preview", "no_such_family")
    assert status == 2 and not out
    assert "'no_such_family'" in one_error_line(err)


@pytest.mark.parametrize("name", FAMILIES)
def test_preview_unknown_param(capsys, name):
    status, _, err = run(capsys, "preview", name, "--param", "zzz=1")
    assert status == 2 and "param 'zzz'" in one_error_line(err)


def _bad_value(prm):
    if prm.choices:
        return "no-such-choice"
    if prm.type in ("int", "float") and prm.lo is not None:
        return str(int(prm.lo) - 1)
    if prm.type in ("int", "float") and prm.hi is not None:
        return str(int(prm.hi) + 1)
    return None


BOUNDED = [(name, prm.name, _bad_value(prm)) for name in FAMILIES
           for prm in families.get(name).params if _bad_value(prm) is not None]


@pytest.mark.parametrize("name, param, value", BOUNDED,
                         ids=[f"{n}-{p}" for n, p, _ in BOUNDED])
def test_preview_out_of_range_value(capsys, name, param, value):
    status, _, err = run(capsys, "preview", name, "--param", f"{param}={value}")
    line = one_error_line(err)
    assert status == 2 and f"param '{param}'" in line and value in line


@pytest.mark.parametrize("name, params, param", [
    ("conv_output_size", ["H=3", "W=3", "K=5", "P=0", "S=1", "D=1"], "K"),
    ("network_trace", ["model=lenet5", "what=depth"], "what"),
    ("network_trace", ["model=alexnet", "what=shape", "layer=FC9"], "layer"),
    ("concepts", ["id=alexnet-facts"], "kind"),
])
def test_preview_impossible_combination(capsys, name, params, param):
    argv = ["preview", name] + [x for p in params for x in ("--param", p)]
    status, _, err = run(capsys, *argv)
    assert status == 2 and f"param '{param}'" in one_error_line(err)


def test_preview_kind_not_offered(capsys):
    name = next(n for n in FAMILIES if "numeric" not in families.get(n).kinds)
    status, _, err = run(capsys, "preview", name, "--kind", "numeric")
    assert status == 2 and "param 'kind'" in one_error_line(err)


@pytest.mark.parametrize("name", FAMILIES)
def test_preview_json_keys(capsys, name):
    for kind in families.get(name).kinds:
        status, out, err = run(capsys, "preview", name, "--seed", "3", "--kind", kind,
                               "--format", "json")
        assert status == 0 and not err
        d = json.loads(out)
        assert {"family", "seed", "params", "kind", "stem", "choices", "answer",
                "solution"} <= set(d)
        assert d["family"] == name and d["seed"] == 3 and d["kind"] == kind
        for c in d["choices"]:
            assert {"label", "text", "correct", "misconception"} <= set(c)
        again = build_question(name, seed=3, kind=kind, params=d["params"])
        assert question_dict(again)["stem"] == d["stem"]  # params reproduce the question
