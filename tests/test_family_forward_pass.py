"""forward_pass: every form recomputed independently over many seeds, lecture examples, bad params."""
import math
import statistics
from fractions import Fraction

import pytest

from quizgen import build_question
from quizgen.cli import main
from quizgen.errors import ParamError
from quizgen.misconceptions import CATALOGUE
from quizgen.numbers import fmt
from quizgen.render.json import question_dict
from quizgen.render.text import question_text

FAM = "forward_pass"
FORMS = {"conv_relu_pool_fc", "residual", "batchnorm", "softmax", "cross_entropy"}
PLACES = {"batchnorm": 2, "softmax": 2, "cross_entropy": 3}


def num(v):
    return Fraction(str(v)) if isinstance(v, float) else Fraction(v)


def conv_valid(x, k, bias):
    kh, kw = len(k), len(k[0])
    return [[bias + sum(k[u][v] * x[i + u][j + v] for u in range(kh) for v in range(kw))
             for j in range(len(x[0]) - kw + 1)] for i in range(len(x) - kh + 1)]


def expected(q):
    """The answer recomputed from the parameters with plain loops, statistics and math."""
    p = q.params
    form = p["form"]
    if form == "conv_relu_pool_fc":
        a = [[max(v, 0) for v in row] for row in conv_valid(p["input"], p["kernel"], p["bias"])]
        s = p["pool_S"]
        pooled = [max(a[i][j], a[i][j + 1], a[i + 1][j], a[i + 1][j + 1])
                  for i in range(0, len(a) - 1, s) for j in range(0, len(a[0]) - 1, s)]
        z = [sum(w * h for w, h in zip(row, pooled)) + c for row, c in zip(p["fc"], p["fc_bias"][0])]
        if p["ask"] == "logit":
            return z[p["target"] - 1]
        best = z.index(max(z))
        return best + 1 if q.kind == "numeric" else (best + 1, z[best])
    if form == "residual":
        r, c = p["row"] - 1, p["col"] - 1
        if p["branch"] == "conv3x3":
            x = p["input"]
            f = p["bias"] + sum(p["kernel"][u][v] * x[r + u - 1][c + v - 1]
                                for u in range(3) for v in range(3)
                                if 0 <= r + u - 1 < len(x) and 0 <= c + v - 1 < len(x[0]))
            return max(f + x[r][c], 0)
        xv = [ch[r][c] for ch in p["inputs"]]
        hidden = [max(sum(w * v for w, v in zip(p["W1"][o], xv)) + p["b1"][0][o], 0) for o in (0, 1)]
        o = p["ch"] - 1
        f = sum(w * v for w, v in zip(p["W2"][o], hidden)) + p["b2"][0][o]
        return max(f + xv[o], 0)
    if form == "batchnorm":
        xs = [float(v) for v in p["values"][0]]
        mu, var = statistics.fmean(xs), statistics.pvariance(xs)
        return p["gamma"] * (xs[p["index"] - 1] - mu) / math.sqrt(var + p["eps"]) + p["beta"]
    if form == "softmax":
        e = [math.exp(v) for v in p["scores"][0]]
        return e[p["target"] - 1] / sum(e)
    if "probs" in p:
        return -math.log(p["probs"][0][p["target"] - 1])
    e = [math.exp(v) for v in p["scores"][0]]
    return -math.log(e[p["target"] - 1] / sum(e))


def check_question(q):
    want = expected(q)
    form = q.params["form"]
    text = question_text(q, key=True)
    assert "None" not in text and "nan" not in text
    if q.kind == "numeric":
        assert q.answer == pytest.approx(float(want if not isinstance(want, tuple) else want[0]),
                                         abs=1e-9)
        assert q.tolerance == (0.01 if form in PLACES else 0)
        return
    correct = [c for c in q.choices if c.correct]
    assert len(correct) == 1 and len(q.choices) == 4
    assert len({c.plain() for c in q.choices}) == 4
    if form in PLACES:
        assert float(correct[0].value) == pytest.approx(want, abs=1e-9)
        assert correct[0].plain() == fmt(want, places=PLACES[form]).replace("-", "−")
    else:
        assert correct[0].value == want
    for c in q.choices:
        if not c.correct:
            assert c.misconception in CATALOGUE and c.value != correct[0].value


@pytest.mark.parametrize("difficulty", ["paper", "standard", "challenge"])
@pytest.mark.parametrize("kind", ["single", "numeric"])
def test_many_seeds(kind, difficulty):
    forms = set()
    for seed in range(500):
        q = build_question(FAM, seed=seed, difficulty=difficulty, kind=kind)
        check_question(q)
        forms.add(q.params["form"])
        if seed % 100 == 0:
            again = build_question(FAM, seed=seed, difficulty=difficulty, kind=kind)
            assert question_dict(again) == question_dict(q)
    assert forms == FORMS


def test_paper_batchnorm_is_hand_friendly():
    for seed in range(100):
        q = build_question(FAM, seed=seed, difficulty="paper", params=dict(form="batchnorm"))
        xs = q.params["values"][0]
        assert q.params["eps"] == 0 and sum(xs) % len(xs) == 0  # integer mean
        var = statistics.pvariance([Fraction(v) for v in xs])
        assert var.denominator == 1 and math.isqrt(int(var)) ** 2 == var  # perfect square
        assert (Fraction(str(q.answer)) * 100).denominator == 1  # at most two decimals


def test_lecture_cross_entropy():
    q = build_question(FAM, params=dict(probs="0.8,0.2", target=1))
    assert q.params["form"] == "cross_entropy"
    assert [c.plain() for c in q.choices if c.correct] == ["0.223"]
    assert "−ln(0.8) ≈ 0.2231" in question_text(q, key=True)
    q = build_question(FAM, kind="numeric", params=dict(probs="0.8,0.2", target=1))
    assert q.answer == pytest.approx(0.2231435513) and q.tolerance == 0.01


def test_lecture_softmax_scores():
    q = build_question(FAM, params=dict(form="softmax", scores="1.3,5.1,2.2,0.7,1.1", target=2))
    assert [c.plain() for c in q.choices if c.correct] == ["0.9"]
    wrong = {c.misconception: c.plain() for c in q.choices if not c.correct}
    assert wrong.get("softmax_no_exp", "0.49") == "0.49"  # 5.1 / 10.4


def test_hand_examples_networks():
    q = build_question(FAM, params=dict(
        form="conv_relu_pool_fc", input="1,2,3,4;5,6,7,8;9,10,11,12;13,14,15,16",
        kernel="1,0;0,0", bias=0, pool_S=1, fc="1,0,0,0;0,0,0,1", fc_bias="0,1", ask="class"))
    assert [c.value for c in q.choices if c.correct] == [(2, 12)]
    assert "h = (6, 7, 10, 11)" in question_text(q, key=True)
    q = build_question(FAM, params=dict(
        form="conv_relu_pool_fc", input="1,2,3,4;5,6,7,8;9,10,11,12;13,14,15,16",
        kernel="1,0;0,0", bias=0, pool_S=1, fc="1,0,0,0;0,0,0,1", fc_bias="0,1", ask="logit",
        target=1))
    assert q.answer == 6
    q = build_question(FAM, params=dict(form="residual", input="1,0,2;-3,3,1;0,1,0",
                                        kernel="0,0,0;0,1,0;0,0,0", bias=-1, row=2, col=2))
    assert q.answer == 5  # F(x) = x − 1 → ReLU(2·3 − 1)
    q = build_question(FAM, params=dict(form="residual", inputs="3,-2;0,1|1,1;1,1", W1="1,0;0,1",
                                        W2="1,0;0,1", b1="0,0", b2="0,0", ch=1, row=1, col=2))
    assert q.answer == 0  # ReLU(ReLU(−2) + (−2))
    q = build_question(FAM, params=dict(form="batchnorm", values="2,2,8,8", gamma=2, beta=1,
                                        eps=0, index=3))
    assert [c.plain() for c in q.choices if c.correct] == ["3"]
    assert "σ² = ((2 − 5)² + (2 − 5)² + (8 − 5)² + (8 − 5)²) / 4 = 9" in question_text(q, key=True)


def test_bad_parameters(capsys):
    cases = [
        (dict(probs="0.5,0.4"), "probs", "sum to 1"),
        (dict(probs="0.8,0.2", target=3), "target", "between 1 and 2"),
        (dict(form="softmax", probs="0.8,0.2"), "probs", "not used by form 'softmax'"),
        (dict(form="batchnorm", values="3,3,3", eps=0), "values", "division by zero"),
        (dict(form="conv_relu_pool_fc", input="1,2,3,4;5,6,7,8;9,10,11,12;13,14,15,16",
              fc="1,2,3"), "fc", "needs 4 columns"),
        (dict(form="conv_relu_pool_fc", kernel="1,0,0;0,1,0;0,0,1"), "kernel", "is 2×2"),
        (dict(form="residual", branch="conv3x3", kernel="1,2;3,4"), "kernel", "3×3 kernel"),
        (dict(form="residual", branch="conv1x1", W1="1,2,3;4,5,6"), "W1", "2×2"),
        (dict(form="nope"), "form", "must be one of"),
    ]
    for params, name, message in cases:
        with pytest.raises(ParamError, match=f"param '{name}'.*{message}"):
            build_question(FAM, params=params)
    assert main(["preview", FAM, "--param", "gamma=big"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "param 'gamma'" in err[0]


def torch_answer(torch, q):
    """The asked value from a torch forward pass with the question's weights."""
    F, t = torch.nn.functional, lambda v: torch.tensor(v, dtype=torch.float64)
    p = q.params
    form = p["form"]
    if form == "conv_relu_pool_fc":
        y = F.max_pool2d(F.relu(F.conv2d(t([[p["input"]]]), t([[p["kernel"]]]), t([p["bias"]]))),
                         2, p["pool_S"])
        z = F.linear(torch.flatten(y, 1), t(p["fc"]), t(p["fc_bias"][0]))[0]
        return z[p["target"] - 1].item() if p["ask"] == "logit" else z.argmax().item() + 1
    if form == "residual":
        if p["branch"] == "conv3x3":
            x = t([[p["input"]]])
            f = F.conv2d(x, t([[p["kernel"]]]), t([p["bias"]]), padding=1)
        else:
            x = t([p["inputs"]])
            h = F.relu(F.conv2d(x, t(p["W1"])[:, :, None, None], t(p["b1"][0])))
            f = F.conv2d(h, t(p["W2"])[:, :, None, None], t(p["b2"][0]))
        return F.relu(f + x)[0, p["ch"] - 1, p["row"] - 1, p["col"] - 1].item()
    if form == "batchnorm":
        x = t(p["values"][0])[:, None]
        # torch 2.13 refuses eps = 0 in training mode; 1e-300 vanishes next to any variance
        y = F.batch_norm(x, None, None, t([p["gamma"]]), t([p["beta"]]), training=True,
                         eps=p["eps"] or 1e-300)
        return y[p["index"] - 1, 0].item()
    if form == "softmax":
        return F.softmax(t(p["scores"][0]), 0)[p["target"] - 1].item()
    logits = torch.log(t(p["probs"][0])) if "probs" in p else t(p["scores"][0])
    return F.cross_entropy(logits[None], torch.tensor([p["target"] - 1])).item()


def test_against_torch():
    torch = pytest.importorskip("torch")
    for difficulty in ("paper", "standard", "challenge"):
        for seed in range(80):
            q = build_question(FAM, seed=seed, difficulty=difficulty, kind="numeric")
            assert torch_answer(torch, q) == pytest.approx(q.answer, abs=1e-9)
