"""conv2d_values: independent recomputation over many seeds, the lecture examples, bad params."""
import re
from fractions import Fraction

import pytest

from quizgen import build_question
from quizgen.cli import main
from quizgen.errors import ParamError
from quizgen.misconceptions import CATALOGUE
from quizgen.render.json import question_dict
from quizgen.render.text import question_text

FAM = "conv2d_values"


def expected_output(params):
    """Direct sum with bounds checks (no padded copy): out[i][j] = b + Σ k·x over the window."""
    multi = params["form"] == "multichannel"
    xs = params["inputs"] if multi else [params["input"]]
    ks = params["kernels"] if multi else [params["kernel"]]
    s, pad, bias = params["S"], params["P"], params["bias"]
    h, w = len(xs[0]), len(xs[0][0])
    kh, kw = len(ks[0]), len(ks[0][0])
    out = []
    for i in range((h + 2 * pad - kh) // s + 1):
        row = []
        for j in range((w + 2 * pad - kw) // s + 1):
            acc = bias
            for x, k in zip(xs, ks):
                for u in range(kh):
                    for v in range(kw):
                        r, c = i * s + u - pad, j * s + v - pad
                        if 0 <= r < h and 0 <= c < w:
                            weight = k[kh - 1 - u][kw - 1 - v] if params["form"] == "true_conv" \
                                else k[u][v]
                            acc += weight * x[r][c]
            row.append(acc)
        out.append(row)
    return out


def asks_cell(q):
    return q.params["form"] in ("cell", "multichannel") or q.kind == "numeric"


def number(text):
    return Fraction(text.replace("−", "-"))


def check_question(q):
    out = expected_output(q.params)
    text = question_text(q, key=True)
    assert "None" not in text and "nan" not in text
    if q.kind == "numeric":
        assert q.answer == out[q.params["row"] - 1][q.params["col"] - 1] and q.tolerance == 0
        return
    if q.kind == "multiple":
        assert any(c.correct for c in q.choices)
        for c in q.choices:
            m = re.fullmatch(r"The output in row (\d+), column (\d+) is (\S+)\.", c.plain())
            assert m, c.plain()
            r, col, v = int(m[1]), int(m[2]), number(m[3])
            assert c.correct == (v == out[r - 1][col - 1])
        return
    want = out[q.params["row"] - 1][q.params["col"] - 1] if asks_cell(q) else out
    correct = [c for c in q.choices if c.correct]
    assert len(correct) == 1 and correct[0].value == want and q.answer == want
    assert len(q.choices) == 4 and len({c.plain() for c in q.choices}) == 4
    for c in q.choices:
        if not c.correct:
            assert c.misconception in CATALOGUE and c.value != want


@pytest.mark.parametrize("difficulty", ["paper", "standard", "challenge"])
@pytest.mark.parametrize("kind", ["single", "numeric", "multiple"])
def test_many_seeds(kind, difficulty):
    forms = set()
    for seed in range(500):
        q = build_question(FAM, seed=seed, difficulty=difficulty, kind=kind)
        check_question(q)
        forms.add(q.params["form"])
        if seed % 100 == 0:
            again = build_question(FAM, seed=seed, difficulty=difficulty, kind=kind)
            assert question_dict(again) == question_dict(q)
    assert forms == ({"cell", "multichannel", "true_conv"} if kind == "numeric" else
                     {"matrix", "cell", "multichannel", "true_conv"})


def test_paper_values_are_small():
    for seed in range(200):
        q = build_question(FAM, seed=seed, difficulty="paper")
        xs = q.params.get("inputs") or [q.params["input"]]
        ks = q.params.get("kernels") or [q.params["kernel"]]
        assert all(0 <= v <= 9 for x in xs for r in x for v in r)
        assert all(-1 <= v <= 3 for k in ks for r in k for v in r)
        assert q.params["S"] == 1 and q.params["P"] == 0


def test_lecture_example_matrix(capsys):
    args = ["preview", FAM, "--param", "form=matrix", "--param", "input=0,1,2;3,4,5;6,7,8",
            "--param", "kernel=0,1;2,3"]
    assert main(args) == 0
    out = capsys.readouterr().out
    assert "0 × 0 + 1 × 1 + 3 × 2 + 4 × 3 = 19" in out
    assert "4 × 0 + 5 × 1 + 7 × 2 + 8 × 3 = 43" in out
    q = build_question(FAM, params=dict(form="matrix", input="0,1,2;3,4,5;6,7,8", kernel="0,1;2,3"))
    assert [c.value for c in q.choices if c.correct] == [[[19, 25], [37, 43]]]
    assert [c.plain() for c in q.choices if c.correct] == ["[19 25; 37 43]"]
    assert "cross-correlation" in q.stem_plain() and "there is no padding" in q.stem_plain()


def test_lecture_example_multichannel():
    q = build_question(FAM, params=dict(inputs="0,1,2;3,4,5;6,7,8|1,2,3;4,5,6;7,8,9",
                                        kernels="0,1;2,3|1,2;3,4", row=1, col=1))
    assert q.params["form"] == "multichannel"
    assert [c.plain() for c in q.choices if c.correct] == ["56"]
    assert "(0 × 0 + 1 × 1 + 3 × 2 + 4 × 3) + (1 × 1 + 2 × 2 + 4 × 3 + 5 × 4) = 56" \
        in question_text(q, key=True)
    wrong = {c.misconception: c.value for c in q.choices if not c.correct}
    assert wrong.get("one_channel_only", 19) == 19  # channel 1 alone gives the 19 of the slide
    q = build_question(FAM, kind="numeric", params=dict(
        inputs="0,1,2;3,4,5;6,7,8|1,2,3;4,5,6;7,8,9", kernels="0,1;2,3|1,2;3,4", row=2, col=2))
    assert q.answer == 120  # 43 + 77


def test_true_convolution_flips_the_kernel():
    q = build_question(FAM, params=dict(form="true_conv", input="0,1,2;3,4,5;6,7,8",
                                        kernel="0,1;2,3"))
    assert [c.value for c in q.choices if c.correct] == [[[5, 11], [23, 29]]]
    assert "flip the kernel" in q.stem_plain()
    assert "Flipped kernel" in question_text(q, key=True)
    not_flipped = [c for c in q.choices if c.misconception == "kernel_not_flipped"]
    assert not_flipped == [] or not_flipped[0].value == [[19, 25], [37, 43]]


def test_stride_padding_and_bias():
    q = build_question(FAM, params=dict(form="matrix", input="0,1,2;3,4,5;6,7,8",
                                        kernel="0,1;2,3", S=2, P=1, bias=-1))
    assert [c.value for c in q.choices if c.correct] == [[[-1, 7], [20, 42]]]
    text = question_text(q, key=True)
    assert "P = 1" in text and "stride is 2" in text and "bias b = −1" in text
    assert "Input padded with zeros (P = 1)" in text


def test_cell_form_names_the_cell():
    q = build_question(FAM, seed=3, params=dict(form="cell", input="0,1,2;3,4,5;6,7,8",
                                                kernel="0,1;2,3", row=2, col=1))
    assert q.answer == 37 and "row 2, column 1" in q.stem_plain()
    assert "3 × 0 + 4 × 1 + 6 × 2 + 7 × 3 = 37" in question_text(q, key=True)


def test_bad_parameters(capsys):
    cases = [
        (dict(input="1,2;3,4", kernel="1,0,0;0,1,0;0,0,1"), "K", "larger than the padded input"),
        (dict(input="0,1,2;3,4,5;6,7,8", kernel="0,1;2,3", P=2), "P", "smaller than the"),
        (dict(form="cell", input="0,1,2;3,4,5;6,7,8", kernel="0,1;2,3", row=3), "row", "only 2 rows"),
        (dict(N=5, input="0,1,2;3,4,5;6,7,8"), "N", "conflicts"),
        (dict(form="multichannel", input="0,1,2;3,4,5;6,7,8"), "input", "inputs/kernels"),
        (dict(inputs="1,2;3,4|1,2;3,4", kernels="1|2|3"), "kernels", "3 kernels for 2"),
        (dict(S=0), "S", "must be ≥ 1"),
        (dict(form="conv"), "form", "must be one of"),
    ]
    for params, name, message in cases:
        with pytest.raises(ParamError, match=f"param '{name}'.*{message}"):
            build_question(FAM, params=params)
    with pytest.raises(ParamError, match="param 'form'.*use form=cell"):
        build_question(FAM, kind="numeric", params=dict(form="matrix"))
    assert main(["preview", FAM, "--param", "input=1,2;x,4"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "param 'input'" in err[0]


def test_against_torch():
    torch = pytest.importorskip("torch")
    for seed in range(60):
        for difficulty in ("paper", "challenge"):
            q = build_question(FAM, seed=seed, difficulty=difficulty, kind="multiple")
            p = q.params
            multi = p["form"] == "multichannel"
            x = torch.tensor([p["inputs"] if multi else [p["input"]]], dtype=torch.float64)
            k = torch.tensor([p["kernels"] if multi else [p["kernel"]]], dtype=torch.float64)
            if p["form"] == "true_conv":
                k = torch.flip(k, dims=(2, 3))
            y = torch.nn.functional.conv2d(x, k, torch.tensor([float(p["bias"])], dtype=torch.float64),
                                           stride=p["S"], padding=p["P"])[0, 0]
            assert y.tolist() == expected_output(p)


def test_fast_text_matches_the_expression_tree():
    """The select-all explanations print sums as text directly; they must read exactly like the
    worked solution's expression trees."""
    import numpy as np

    from quizgen.families import _values as V
    rng = np.random.default_rng(0)
    for _ in range(300):
        win = rng.integers(-5, 9, size=(2, 3)).tolist()
        ker = rng.integers(-3, 4, size=(2, 3)).tolist()
        b = int(rng.integers(-3, 4))
        assert V.plus_text(V.products_text(win, ker), b) == V.plus(V.products(win, ker), b).text()
        terms = [V.products(win, ker), V.products(ker, win)]
        texts = [V.products_text(win, ker), V.products_text(ker, win)]
        assert V.channel_sum_text(texts) == V.channel_sum(terms).text()
        padded = [[V.PAD if v < -3 else v for v in row] for row in win]
        for op in ("max", "avg"):
            assert V.pool_text(padded, op) == V.pool_expr(padded, op).text()
