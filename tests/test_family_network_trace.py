"""network_trace: independent recomputation over many seeds, lecture numbers, slips, bad params.

The expected values come from a tracer written here from the lecture tables with plain integer
formulas (no ``engine``, no ``families._archs``), and from the reference counts of DESIGN.md and
the DeepRob / CS231n tables.
"""
from __future__ import annotations

import re
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from functools import lru_cache

import pytest

from family_sweep import sweep
from quizgen import build_question
from quizgen.cli import main
from quizgen.errors import ParamError
from quizgen.render.text import question_text

# ------------------------------------------------------------------------------------------
# an independent tracer

SPECS = {
    "lenet5": ((1, 28, 28), [("conv1", "conv", 6, 5, 1, 2), ("max_pool_1", "pool", 2, 2, 0),
                             ("conv2", "conv", 16, 5, 1, 0), ("max_pool_2", "pool", 2, 2, 0),
                             ("flatten", "flatten"), ("fc1", "fc", 120), ("fc2", "fc", 84),
                             ("fc3", "fc", 10)]),
    "lenet5_32": ((1, 32, 32), [("conv1", "conv", 6, 5, 1, 0), ("max_pool_1", "pool", 2, 2, 0),
                                ("conv2", "conv", 16, 5, 1, 0), ("max_pool_2", "pool", 2, 2, 0),
                                ("flatten", "flatten"), ("fc1", "fc", 120), ("fc2", "fc", 84),
                                ("fc3", "fc", 10)]),
    "lenet_deeprob": ((1, 28, 28), [("conv1", "conv", 20, 5, 1, 2), ("pool1", "pool", 2, 2, 0),
                                    ("conv2", "conv", 50, 5, 1, 2), ("pool2", "pool", 2, 2, 0),
                                    ("flatten", "flatten"), ("fc1", "fc", 500),
                                    ("fc2", "fc", 10)]),
    "alexnet": ((3, 227, 227), [("Conv1", "conv", 64, 11, 4, 2), ("Pool1", "pool", 3, 2, 0),
                                ("Conv2", "conv", 192, 5, 1, 2), ("Pool2", "pool", 3, 2, 0),
                                ("Conv3", "conv", 384, 3, 1, 1), ("Conv4", "conv", 256, 3, 1, 1),
                                ("Conv5", "conv", 256, 3, 1, 1), ("Pool5", "pool", 3, 2, 0),
                                ("Flatten", "flatten"), ("FC6", "fc", 4096), ("FC7", "fc", 4096),
                                ("FC8", "fc", 1000)]),
    "googlenet_stem": ((3, 224, 224), [("conv1", "conv", 64, 7, 2, 3),
                                       ("maxpool1", "pool", 3, 2, 1), ("conv2", "conv", 64, 1, 1, 0),
                                       ("conv3", "conv", 192, 3, 1, 1),
                                       ("maxpool2", "pool", 3, 2, 1)]),
}
_vgg = []
for _stage, (_width, _n) in enumerate([(64, 2), (128, 2), (256, 3), (512, 3), (512, 3)], 1):
    _vgg += [(f"conv{_stage}_{j}", "conv", _width, 3, 1, 1) for j in range(1, _n + 1)]
    _vgg.append((f"pool{_stage}", "pool", 2, 2, 0))
SPECS["vgg16"] = ((3, 224, 224), _vgg + [("flatten", "flatten"), ("fc6", "fc", 4096),
                                         ("fc7", "fc", 4096), ("fc8", "fc", 1000)])
RESNETS = {"resnet18": ("basic", (2, 2, 2, 2)), "resnet34": ("basic", (3, 4, 6, 3)),
           "resnet50": ("bottleneck", (3, 4, 6, 3)), "resnet101": ("bottleneck", (3, 4, 23, 3)),
           "resnet152": ("bottleneck", (3, 8, 36, 3))}


def size(n, k, s, p):
    return (n + 2 * p - k) // s + 1


@lru_cache(maxsize=None)
def trace(model):
    """name → dict(kind, cin, hin, cout, hout, params, weights, macs, k) in network order."""
    rows = {}
    if model in RESNETS:
        return trace_resnet(model)
    (c, h, w), layers = SPECS[model]
    for spec in layers:
        name, kind = spec[0], spec[1]
        if kind == "conv":
            cout, k, s, p = spec[2:]
            ho = size(h, k, s, p)
            rows[name] = dict(kind=kind, cin=c, hin=h, cout=cout, hout=ho, k=k,
                              weights=cout * c * k * k, params=cout * c * k * k + cout,
                              macs=cout * ho * ho * c * k * k)
            c, h = cout, ho
        elif kind == "pool":
            k, s, p = spec[2:]
            ho = size(h, k, s, p)
            rows[name] = dict(kind=kind, cin=c, hin=h, cout=c, hout=ho, k=k, weights=0,
                              params=0, macs=0)
            h = ho
        elif kind == "flatten":
            rows[name] = dict(kind=kind, cin=c, hin=h, cout=c * h * h, hout=1, weights=0,
                              params=0, macs=0)
            c, h = c * h * h, 1
        else:
            out = spec[2]
            rows[name] = dict(kind=kind, cin=c, hin=1, cout=out, hout=1, weights=c * out,
                              params=c * out + out, macs=c * out)
            c = out
    return rows


def trace_resnet(model):
    block, counts = RESNETS[model]
    rows = {}
    c, h = 64, 112
    rows["conv1"] = dict(kind="conv", cin=3, hin=224, cout=64, hout=112, k=7, weights=9408,
                         params=9408, macs=64 * 112 * 112 * 3 * 49)
    rows["bn1"] = dict(kind="bn", params=128, weights=64, macs=0)
    rows["maxpool"] = dict(kind="pool", cin=64, hin=112, cout=64, hout=56, k=3, params=0,
                           weights=0, macs=0)
    h = 56
    exp = 1 if block == "basic" else 4
    for i, (planes, n) in enumerate(zip((64, 128, 256, 512), counts), 1):
        for b in range(n):
            s = 2 if i > 1 and b == 0 else 1
            convs = ([(3, planes, s), (3, planes, 1)] if block == "basic" else
                     [(1, planes, 1), (3, planes, s), (1, planes * 4, 1)])
            cin, hin = c, h
            for j, (k, cout, st) in enumerate(convs, 1):
                ho = (hin + 2 * (k // 2) - k) // st + 1
                rows[f"layer{i}.{b}.conv{j}"] = dict(
                    kind="conv", cin=cin, hin=hin, cout=cout, hout=ho, k=k,
                    weights=cout * cin * k * k, params=cout * cin * k * k,
                    macs=cout * ho * ho * cin * k * k)
                rows[f"layer{i}.{b}.bn{j}"] = dict(kind="bn", params=2 * cout, weights=cout,
                                                   macs=0)
                cin, hin = cout, ho
            if b == 0 and (s > 1 or c != planes * exp):
                w_ = planes * exp * c
                rows[f"layer{i}.{b}.downsample.0"] = dict(
                    kind="conv", cin=c, hin=h, cout=planes * exp, hout=hin, k=1, weights=w_,
                    params=w_, macs=planes * exp * hin * hin * c)
                rows[f"layer{i}.{b}.downsample.1"] = dict(kind="bn", params=2 * planes * exp,
                                                          weights=planes * exp, macs=0)
            c, h = cin, hin
        rows[f"layer{i}"] = dict(kind="stage", cout=c, hout=h, params=0, weights=0, macs=0)
    rows["fc"] = dict(kind="fc", cin=c, hin=1, cout=1000, hout=1, weights=c * 1000,
                      params=c * 1000 + 1000, macs=c * 1000)
    return rows


def out_shape(row):
    if row["kind"] in ("fc", "flatten"):
        return (row["cout"],)
    return (row["cout"], row["hout"], row["hout"])


def out_elements(row):
    return row["cout"] * row["hout"] * row["hout"]


def weight_layers(model):
    return {n: r for n, r in trace(model).items() if r["kind"] != "stage"}


def total(model, key):
    return sum(r[key] for r in weight_layers(model).values())


def leader(model, metric):
    best, who = -1, None
    for name, r in trace(model).items():
        if r["kind"] in ("flatten", "stage"):
            continue
        v = {"params": r["params"], "macs": r["macs"],
             "memory": r["cout"] * r["hout"] * r["hout"]}[metric]
        if v > best:
            best, who = v, name
    return who


def depth(model):
    block, counts = RESNETS[model]
    return 1 + (2 if block == "basic" else 3) * sum(counts) + 1


def kb(elements):
    x = Fraction(elements * 4, 1024)
    return int(x) + (1 if x - int(x) >= Fraction(1, 2) else 0)


def answer(params):
    """The correct value of a question, from the independent tracer."""
    m, what = params["model"], params["what"]
    rows = trace(m)
    if what == "shape":
        return out_shape(rows[params["layer"]])
    if what == "flatten":
        if m in RESNETS:
            return rows["fc"]["cin"]
        return rows["flatten" if "flatten" in rows else "Flatten"]["cout"]
    if what in ("params", "macs"):
        return rows[params["layer"]][what]
    if what == "memory":
        r = rows[params["layer"]]
        return kb(r["cout"] * r["hout"] * r["hout"])
    if what == "most":
        return leader(m, params["metric"])
    if what == "depth":
        return depth(m)
    if what == "total_params":
        return total(m, "params")
    if what == "total_memory":  # CS231n: the input and every conv/pool/FC output
        c, h, w = SPECS[m][0]
        values = c * h * w + sum(out_elements(r) for r in trace(m).values()
                                 if r["kind"] != "flatten")
        if values < 10 ** 6:
            return values
        return float((Decimal(values) / 10 ** 6).quantize(Decimal("0.01"), ROUND_HALF_UP))
    macs = total(m, "macs")
    return macs if macs < 10 ** 7 else int(Fraction(macs, 10 ** 6) + Fraction(1, 2))


def evaluate(text):
    """Value of a printed count: '(11 × 11 × 3 + 1) × 64' or '23,296'."""
    expr = text.replace("×", "*").replace("−", "-").replace(",", "")
    assert re.fullmatch(r"[\d\s()+*-]+", expr), text
    return eval(expr)  # digits and operators only (checked above)


def statement_truth(q):
    """For kind multiple: a callable telling, independently, whether a statement is true."""
    p = q.params
    m = p["model"]

    def is_true(choice):
        t = choice.plain()
        if p["what"] == "depth":
            block, counts = RESNETS[m]
            per = 2 if block == "basic" else 3
            if (g := re.match(r"It stacks (\d+) residual blocks", t)):
                return int(g[1]) == sum(counts)
            if (g := re.match(r"Each \w+ block has (\d+) convolution", t)):
                return int(g[1]) == per
            if (g := re.match(r"It has (\d+) weight layers", t)):
                return int(g[1]) == depth(m)
            return t.startswith(("Its depth counts the stem", "The first block of stages"))
        if p["what"] == "most":
            if (g := re.match(r"Of all layers, (\S+) has the (most parameters|largest output|"
                              r"most multiply-adds)", t)):
                metric = {"most parameters": "params", "largest output": "memory",
                          "most multiply-adds": "macs"}[g[2]]
                return g[1] == leader(m, metric)
            return t.endswith("has no learnable parameters.")
        g = re.match(r"(\S+)(?: \(stage \w+\))? (outputs a vector of length|outputs|has|"
                     r"performs|stores an output of) (.+?)( parameters| MACs| KB)?\.$", t)
        assert g, t
        name, value = g[1], g[3]
        row = trace(m)[name]
        if g[2].startswith("outputs"):
            want = out_shape(row)
            return tuple(int(v) for v in value.replace(",", "").split(" × ")) == want
        if g[2] == "has":
            return evaluate(value) == row["params"]
        if g[2] == "performs":
            return evaluate(value) == row["macs"]
        return evaluate(value) == kb(row["cout"] * row["hout"] * row["hout"])
    return is_true


def expected(q):
    if q.kind == "multiple":
        return statement_truth(q)
    want = answer(q.params)
    if q.kind == "numeric":
        return want[1] if q.params["what"] == "shape" else want
    return want


# ------------------------------------------------------------------------------------------


def test_sweep_all_kinds_and_difficulties():
    assert sweep("network_trace", expected, seeds=500) == 500 * 3 * 3


def test_reference_counts_from_the_lectures():
    """The tracer in this file reproduces DESIGN.md's and the tables' numbers."""
    assert total("lenet5", "params") == 61_706
    assert total("lenet_deeprob", "params") == 1_256_080
    assert total("alexnet", "params") == 61_100_840
    assert total("vgg16", "params") == 138_357_544
    assert total("vgg16", "weights") == 138_344_128  # CS231n: not counting biases
    assert 3 * 224 * 224 + sum(out_elements(r) for r in trace("vgg16").values()
                               if r["kind"] != "flatten") == 15_237_608  # "15.24M", not "24M"
    assert total("resnet18", "params") == 11_689_512
    assert total("resnet18", "macs") == 1_814_073_344
    assert total("resnet34", "params") == 21_797_672
    assert total("resnet50", "params") == 25_557_032
    assert trace("alexnet")["Conv1"]["macs"] == 72_855_552
    assert [kb(r["cout"] * r["hout"] ** 2) for n, r in trace("alexnet").items()
            if n in ("Conv1", "Pool1", "Conv2", "Pool2", "Conv3")] == [784, 182, 547, 127, 254]


def correct(q):
    return [c.plain() for c in q.choices if c.correct]


@pytest.mark.parametrize("params, want", [
    (dict(model="alexnet", what="shape", layer="Conv1"), "64 × 56 × 56"),
    (dict(model="alexnet", what="shape", layer="Pool1"), "64 × 27 × 27"),
    (dict(model="alexnet", what="flatten"), "9,216"),
    (dict(model="lenet_deeprob", what="flatten"), "2,450"),
    (dict(model="lenet5", what="flatten"), "400"),
    (dict(model="vgg16", what="flatten"), "25,088"),
    (dict(model="alexnet", what="params", layer="Conv1", style="expression"),
     "(11 × 11 × 3 + 1) × 64"),
    (dict(model="alexnet", what="params", layer="Pool1"), "0"),
    (dict(model="alexnet", what="params", layer="FC6", style="expression"),
     "9216 × 4096 + 4096"),
    (dict(model="alexnet", what="params", layer="FC6", style="number"), "37,752,832"),
    (dict(model="alexnet", what="macs", layer="Conv1", style="number"), "72,855,552"),
    (dict(model="alexnet", what="memory", layer="Conv1"), "784 KB"),
    (dict(model="alexnet", what="memory", layer="Pool1"), "182 KB"),
    (dict(model="alexnet", what="memory", layer="Conv2"), "547 KB"),
    (dict(model="alexnet", what="most", metric="params"), "FC6"),
    (dict(model="alexnet", what="most", metric="memory"), "Conv1"),
    (dict(model="alexnet", what="most", metric="macs"), "Conv2"),
    (dict(model="vgg16", what="most", metric="params"), "fc6"),
    (dict(model="resnet34", what="depth"), "34"),
    (dict(model="resnet50", what="depth"), "50"),
    (dict(model="resnet152", what="depth"), "152"),
    (dict(model="resnet18", what="shape", layer="layer3"), "256 × 14 × 14"),
    (dict(model="resnet50", what="shape", layer="layer4"), "2048 × 7 × 7"),
    (dict(model="lenet5", what="total_params"), "61,706"),
    (dict(model="vgg16", what="total_params"), "138,357,544"),
    (dict(model="resnet18", what="total_macs"), "1,814 M MACs"),
    (dict(model="googlenet_stem", what="total_macs"), "478 M MACs"),
    (dict(model="vgg16", what="total_memory"), "15.24 M values"),
    (dict(model="alexnet", what="total_memory"), "744,195 values"),
])
def test_lecture_examples(params, want):
    for seed in range(3):
        q = build_question("network_trace", seed=seed, params=params)
        assert correct(q) == [want]


def test_seed_worked_solutions():
    q = build_question("network_trace", params=dict(model="alexnet", what="shape", layer="Conv1",
                                                    trace=False))
    text = question_text(q, key=True)
    assert "⌊(227 + 2 × 2 − 11) / 4⌋ + 1 = 56" in text
    q = build_question("network_trace", params=dict(model="resnet34", what="depth"))
    assert "1 + 2 × (3 + 4 + 6 + 3) + 1 = 34" in question_text(q, key=True)
    assert "ResNet-34" not in q.stem_plain()  # the name would give the answer away
    q = build_question("network_trace", params=dict(model="alexnet", what="params", layer="FC6",
                                                    style="number"))
    assert "9216 × 4096 + 4096 = 37,752,832" in question_text(q, key=True)
    assert "?" in q.stem_plain()  # the asked cell of the layer table


@pytest.mark.parametrize("params, slip", [
    (dict(model="alexnet", what="params", layer="FC6", style="number"), "37,725,832"),
    (dict(model="googlenet_stem", what="total_macs"), "418 M MACs"),
    (dict(model="vgg16", what="total_macs"), "13,600 M MACs"),
    (dict(model="vgg16", what="total_memory"), "24 M values"),
])
def test_slide_slips_are_distractors_never_answers(params, slip):
    seen = 0
    for seed in range(40):
        q = build_question("network_trace", seed=seed, difficulty="challenge", params=params)
        for c in q.choices:
            if c.plain() == slip:
                seen += 1
                assert not c.correct and c.misconception == "slide_slip"
    assert seen > 0


def test_slip_not_offered_with_expression_options():
    for seed in range(30):
        q = build_question("network_trace", seed=seed, params=dict(
            model="alexnet", what="params", layer="FC6", style="expression"))
        assert all(c.misconception != "slide_slip" for c in q.choices)


@pytest.mark.parametrize("params, param", [
    (dict(model="lenet5", what="depth"), "what"),
    (dict(model="alexnet", what="shape", layer="Conv9"), "layer"),
    (dict(model="alexnet", what="flatten", layer="Conv1"), "layer"),
    (dict(model="alexnet", what="shape", layer="Conv1", metric="params"), "metric"),
    (dict(model="resnet7"), "model"),
    (dict(model="alexnet", what="volume"), "what"),
    (dict(model="googlenet_stem", what="flatten"), "what"),
    (dict(model="alexnet", what="shape", layer="Conv1", style="roman"), "style"),
])
def test_bad_parameters(params, param):
    with pytest.raises(ParamError, match=f"param '{param}'"):
        build_question("network_trace", params=params)


def test_kind_that_does_not_fit(capsys):
    with pytest.raises(ParamError, match="param 'kind'"):
        build_question("network_trace", kind="numeric",
                       params=dict(model="alexnet", what="most", metric="params"))
    assert main(["preview", "network_trace", "--param", "model=lenet5",
                 "--param", "what=depth"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "param 'what'" in err[0] and "'depth'" in err[0]


@pytest.mark.parametrize("model, what", [
    (m, w) for m in ("resnet18", "resnet50", "alexnet", "lenet5")
    for w in ("params", "macs", "shape") + (() if m.startswith("resnet") else ("memory",))])
def test_every_table_column_has_a_header(model, what):
    from quizgen.model import Table
    for seed in range(3):
        q = build_question("network_trace", seed=seed, params=dict(model=model, what=what))
        tables = [b for b in (*q.stem, *q.solution) if isinstance(b, Table)]
        assert tables
        for t in tables:
            assert all(h.strip() for h in t.header), (t.caption, t.header)
            assert all(len(r) == len(t.header) for r in t.rows), t.caption
