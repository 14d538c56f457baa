"""pool_values: independent recomputation over many seeds, the lecture's Q2/Q3, bad params."""
import re
from fractions import Fraction

import pytest

from quizgen import build_question
from quizgen.cli import main
from quizgen.errors import ParamError
from quizgen.misconceptions import CATALOGUE
from quizgen.model import Matrix
from quizgen.render.json import question_dict
from quizgen.render.text import question_text

FAM = "pool_values"
SEED_MAP = "12,20,30,0;20,12,2,0;0,70,5,2;8,2,90,3"


def expected_output(params):
    """Window by window with bounds checks: max over the cells inside the map; average = sum of
    the cells inside / K² (padding counts as zeros, torch's count_include_pad=True)."""
    m, k, s, pad = params["map"], params["K"], params["S"], params["P"]
    h, w = len(m), len(m[0])
    out = []
    for i in range((h + 2 * pad - k) // s + 1):
        row = []
        for j in range((w + 2 * pad - k) // s + 1):
            inside = [m[r][c] for r in range(i * s - pad, i * s - pad + k)
                      for c in range(j * s - pad, j * s - pad + k) if 0 <= r < h and 0 <= c < w]
            row.append(max(inside) if params["op"] == "max" else Fraction(sum(inside), k * k))
        out.append(row)
    return out


def asks_cell(q):
    return q.params["form"] == "cell" or q.kind == "numeric"


def check_question(q):
    out = expected_output(q.params)
    text = question_text(q, key=True)
    assert "None" not in text
    if q.kind == "numeric":
        want = out[q.params["row"] - 1][q.params["col"] - 1]
        assert abs(q.answer - want) <= max(q.tolerance, 1e-12)
        assert q.tolerance == (0 if (want * 100).denominator == 1 else 0.005)
        return
    if q.kind == "multiple":
        assert any(c.correct for c in q.choices)
        for c in q.choices:
            m = re.fullmatch(r"The output in row (\d+), column (\d+) is (\S+)\.", c.plain())
            assert m, c.plain()
            value = Fraction(m[3].replace("−", "-"))
            assert c.correct == (value == out[int(m[1]) - 1][int(m[2]) - 1])
        return
    want = out[q.params["row"] - 1][q.params["col"] - 1] if asks_cell(q) else out
    correct = [c for c in q.choices if c.correct]
    assert len(correct) == 1 and correct[0].value == want
    assert len(q.choices) == 4 and len({c.plain() for c in q.choices}) == 4
    for c in q.choices:
        if not c.correct:
            assert c.misconception in CATALOGUE and c.value != want


@pytest.mark.parametrize("difficulty", ["paper", "standard", "challenge"])
@pytest.mark.parametrize("kind", ["single", "numeric", "multiple"])
def test_many_seeds(kind, difficulty):
    ops = set()
    for seed in range(500):
        q = build_question(FAM, seed=seed, difficulty=difficulty, kind=kind)
        check_question(q)
        ops.add(q.params["op"])
        if difficulty == "paper" and q.params["op"] == "avg":
            for row in expected_output(q.params):  # hand-friendly: integers or halves
                assert all((2 * v).denominator == 1 for v in row)
        if seed % 100 == 0:
            again = build_question(FAM, seed=seed, difficulty=difficulty, kind=kind)
            assert question_dict(again) == question_dict(q)
    assert ops == {"max", "avg"}


def test_lecture_q2_average():
    q = build_question(FAM, params=dict(map=SEED_MAP, op="avg", form="matrix"))
    assert (q.params["K"], q.params["S"], q.params["P"]) == (2, 2, 0)
    assert [c.value for c in q.choices if c.correct] == [[[16, 8], [20, 25]]]
    assert "(12 + 20 + 20 + 12) / 4 = 16" in question_text(q, key=True)
    grid = [b for b in q.stem if isinstance(b, Matrix)][0]
    assert grid.highlight == ((0, 0, 2, 2),)
    assert "2 × 2 average pooling with stride 2" in q.stem_plain()
    assert "no padding" in q.stem_plain()


def test_lecture_q3_max(capsys):
    assert main(["preview", FAM, "--param", f"map={SEED_MAP}", "--param", "op=max",
                 "--param", "form=matrix", "--param", "K=2", "--param", "S=2"]) == 0
    out = capsys.readouterr().out
    assert "max(12, 20, 20, 12) = 20" in out and "max(5, 2, 90, 3) = 90" in out
    q = build_question(FAM, params=dict(map=SEED_MAP, op="max", form="matrix"))
    assert [c.value for c in q.choices if c.correct] == [[[20, 30], [70, 90]]]


def test_exact_averages_never_float_noise():
    q = build_question(FAM, kind="numeric", params=dict(map="1,2,0;0,0,0;0,0,0", op="avg", K=3,
                                                        S=1, row=1, col=1))
    assert q.answer == pytest.approx(1 / 3) and q.tolerance == 0.005
    assert "(1 + 2 + 0 + 0 + 0 + 0 + 0 + 0 + 0) / 9 = 0.3333" in question_text(q, key=True)
    q = build_question(FAM, params=dict(map="1,2;0,0", op="avg", form="cell", row=1, col=1))
    assert [c.plain() for c in q.choices if c.correct] == ["0.75"]


def test_padding_conventions():
    q = build_question(FAM, params=dict(map="1,2,3;4,5,6;7,8,9", op="avg", K=2, S=2, P=1,
                                        form="matrix"))
    assert [c.value for c in q.choices if c.correct] == [[[Fraction(1, 4), Fraction(5, 4)],
                                                          [Fraction(11, 4), 7]]]
    assert "padded zeros count in the average" in q.stem_plain()
    q = build_question(FAM, params=dict(map="1,2,3;4,5,6;7,8,9", op="max", K=2, S=2, P=1,
                                        form="matrix"))
    assert [c.value for c in q.choices if c.correct] == [[[1, 3], [7, 9]]]


def test_bad_parameters(capsys):
    cases = [
        (dict(map=SEED_MAP, K=2, P=2), "P", "at most half the window"),
        (dict(map="1,2;3,4", K=3), "K", "larger than the padded map"),
        (dict(map=SEED_MAP, form="cell", row=3), "row", "only 2 rows"),
        (dict(map=SEED_MAP, N=5), "N", "conflicts"),
        (dict(op="median"), "op", "must be one of"),
    ]
    for params, name, message in cases:
        with pytest.raises(ParamError, match=f"param '{name}'.*{message}"):
            build_question(FAM, params=params)
    with pytest.raises(ParamError, match="param 'form'.*use form=cell"):
        build_question(FAM, kind="numeric", params=dict(form="matrix", map=SEED_MAP))
    assert main(["preview", FAM, "--param", "K=0"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "param 'K'" in err[0]


def test_against_torch():
    torch = pytest.importorskip("torch")
    F = torch.nn.functional
    for seed in range(60):
        for difficulty in ("paper", "challenge"):
            q = build_question(FAM, seed=seed, difficulty=difficulty, kind="multiple")
            p = q.params
            x = torch.tensor([[p["map"]]], dtype=torch.float64)
            if p["op"] == "max":
                y = F.max_pool2d(x, p["K"], p["S"], p["P"])
            else:
                y = F.avg_pool2d(x, p["K"], p["S"], p["P"], count_include_pad=True)
            want = [float(v) for r in expected_output(p) for v in r]
            assert y[0, 0].flatten().tolist() == pytest.approx(want, abs=1e-12)
