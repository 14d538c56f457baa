"""memory: sweep, the DeepRob table, bad parameters.

Expected values are recomputed here: output shapes by counting window positions (named layers
from ``reference_nets``), KB as an exact fraction, rounding half up by hand."""
import math
from fractions import Fraction

import pytest

from family_sweep import sweep
from quizgen import build_question
from quizgen.errors import ParamError
from reference_nets import layers, windows

NAMED = layers()
BYTES = {"float32": 4, "float16": 2, "float64": 8}


def expected(q):
    p = q.params
    if p["layer"] == "named":
        d = NAMED[p["named"]]
        elements = d["c_out"] if d["kind"] == "fc" else d["c_out"] * d["h_out"] ** 2
    elif p["layer"] == "given":
        elements = p["C_out"] * p["H"] ** 2
    else:
        h = windows(p["H"], p["K"], p["S"], p.get("P", 0))
        elements = (p["C_out"] if p["layer"] == "conv" else p["C_in"]) * h * h
    kb = Fraction(elements * BYTES[p["dtype"]], 1024)
    if p["rounding"] == "whole":
        return math.floor(kb + Fraction(1, 2))
    return kb


def test_sweep_every_kind_and_difficulty():
    assert sweep("memory", expected, seeds=500) == 500 * 6


@pytest.mark.parametrize("layer, kb", [
    ("alexnet.conv1", 784), ("alexnet.pool1", 182), ("alexnet.conv2", 547),
    ("alexnet.pool2", 127), ("alexnet.conv3", 254), ("alexnet.conv4", 169),
    ("alexnet.conv5", 169), ("alexnet.pool5", 36), ("alexnet.fc6", 16), ("alexnet.fc7", 16),
    ("alexnet.fc8", 4),
    ("googlenet_stem.conv1", 3136), ("googlenet_stem.maxpool1", 784),
    ("googlenet_stem.conv2", 784), ("googlenet_stem.conv3", 2352),
    ("googlenet_stem.maxpool2", 588),
])
def test_deeprob_memory_column(layer, kb):
    q = build_question("memory", seed=0, params=dict(layer="named", named=layer,
                                                     dtype="float32", rounding="whole"))
    assert q.answer == kb
    assert f"{kb:,} KB" in [c.plain() for c in q.choices if c.correct]


@pytest.mark.parametrize("layer, kb", [("alexnet.pool1", Fraction(729, 4)),
                                       ("alexnet.conv2", Fraction(2187, 4))])
def test_exact_values(layer, kb):
    q = build_question("memory", seed=0, kind="numeric",
                       params=dict(layer="named", named=layer, rounding="exact"))
    assert q.answer == float(kb) and q.tolerance == 0


def test_conv1_solution_follows_the_slide():
    q = build_question("memory", seed=0, params=dict(layer="named", named="alexnet.conv1",
                                                     rounding="whole"))
    text = "\n".join(b.plain() for b in q.solution)
    assert "64 × 56 × 56 = 200,704" in text and "802816 / 1024 = 784" in text


def test_half_precision_and_its_distractor():
    q = build_question("memory", seed=3, params=dict(layer="given", C_out=64, H=56,
                                                     dtype="float16", rounding="whole"))
    assert q.answer == 392
    tags = {c.misconception: c.value for c in q.choices if not c.correct}
    assert tags.get("assumed_float32", 784) == 784


@pytest.mark.parametrize("params, bad", [
    (dict(layer="named", named="alexnet.fc8", rounding="exact"), "rounding"),  # 3.90625
    (dict(dtype="int8"), "dtype"),
    (dict(layer="conv", H=4, C_in=3, C_out=8, K=7, S=1, P=0), "K"),
    (dict(layer="pixels"), "layer"),
    (dict(layer="named", named="resnet50.conv1"), "named"),
    (dict(layer="named", named="lenet5.fc3"), "named"),                        # 0.04 KB
])
def test_bad_params_name_the_parameter(params, bad):
    base = dict(layer="given", C_out=8, H=16, dtype="float32", rounding="whole")
    with pytest.raises(ParamError) as err:
        build_question("memory", seed=0, params={**base, **params})
    assert err.value.param == bad
