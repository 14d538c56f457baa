"""param_count: sweep, the lectures' examples, bad parameters.

Expected counts are recomputed here from the layers' definitions (own formulas and own tables
of the reference networks, written from the lectures and the torchvision layouts)."""
import re

import pytest

from family_sweep import sweep
from quizgen import build_question
from quizgen.errors import ParamError


def conv(c_in, c_out, k, bias=True, groups=1):
    return c_out * (c_in // groups * k * k + (1 if bias else 0))


def fc(n_in, n_out, bias=True):
    return n_out * (n_in + (1 if bias else 0))


def _named():
    out = {}
    for n, (ci, co, k) in {"conv1": (1, 6, 5), "conv2": (6, 16, 5)}.items():
        out[f"lenet5.{n}"] = ("conv", ci, co, k)
    for n, (i, o) in {"fc1": (400, 120), "fc2": (120, 84), "fc3": (84, 10)}.items():
        out[f"lenet5.{n}"] = ("fc", i, o, 1)
    for i, (ci, co, k) in enumerate([(3, 64, 11), (64, 192, 5), (192, 384, 3), (384, 256, 3),
                                     (256, 256, 3)], 1):
        out[f"alexnet.conv{i}"] = ("conv", ci, co, k)
    for n, (i, o) in {"fc6": (9216, 4096), "fc7": (4096, 4096), "fc8": (4096, 1000)}.items():
        out[f"alexnet.{n}"] = ("fc", i, o, 1)
    c, stage, j = 3, 1, 0
    for v in [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
              512, 512, 512, "M"]:
        if v == "M":
            stage, j = stage + 1, 0
            continue
        j += 1
        out[f"vgg16.conv{stage}_{j}"] = ("conv", c, v, 3)
        c = v
    for n, (i, o) in {"fc6": (25088, 4096), "fc7": (4096, 4096), "fc8": (4096, 1000)}.items():
        out[f"vgg16.{n}"] = ("fc", i, o, 1)
    for n, (ci, co, k) in {"conv1": (3, 64, 7), "conv2": (64, 64, 1),
                           "conv3": (64, 192, 3)}.items():
        out[f"googlenet_stem.{n}"] = ("conv", ci, co, k)
    return out


NAMED = _named()
# GoogLeNet table (seed lecture 3): input channels, #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5,
# pool proj
INCEPTION = {"3a": (192, 64, 96, 128, 16, 32, 32), "3b": (256, 128, 128, 192, 32, 96, 64),
             "4a": (480, 192, 96, 208, 16, 48, 64), "4b": (512, 160, 112, 224, 24, 64, 64),
             "4c": (512, 128, 128, 256, 24, 64, 64), "4d": (512, 112, 144, 288, 32, 64, 64),
             "4e": (528, 256, 160, 320, 32, 128, 128), "5a": (832, 256, 160, 320, 32, 128, 128),
             "5b": (832, 384, 192, 384, 48, 128, 128)}


def count(p):
    layer = p["layer"]
    if layer == "conv":
        return conv(p["C_in"], p["C_out"], p["K"], p["bias"], p["groups"])
    if layer == "fc":
        return fc(p["C_in"] * p["H"] ** 2, p["C_out"], p["bias"])
    if layer == "pool":
        return 0
    if layer == "bn":
        return 2 * p["C_in"]
    if layer == "named":
        kind, a, b, k = NAMED[p["named"]]
        return conv(a, b, k, p["bias"]) if kind == "conv" else fc(a, b, p["bias"])
    c_in, n1, r3, n3, r5, n5, pp = INCEPTION[p["module"]]
    b = p["bias"]
    br3 = conv(c_in, r3, 1, b) + conv(r3, n3, 3, b)
    br5 = conv(c_in, r5, 1, b) + conv(r5, n5, 5, b)
    return {"3x3": br3, "5x5": br5}.get(p["branch"]) or \
        conv(c_in, n1, 1, b) + br3 + br5 + conv(c_in, pp, 1, b)


def statement_truth(q):
    p = q.params
    cg = p["C_in"] // p["groups"]
    total = count(p)

    def true(choice):
        text = choice.plain().replace(",", "")
        n = int(re.findall(r"\d+", text)[-1])  # the claimed number ends the sentence
        if text.startswith("Each filter has"):
            return n == p["K"] ** 2 * cg
        if text.startswith("The layer has"):
            return n == total
        if "stays the same" in text:
            return True
        if "grows" in text:
            return False
        if "BatchNorm2d" in text:
            return n == 2 * p["C_out"]
        if "max-pooling" in text:
            return "no parameters" in text
        if text.startswith("The biases add"):
            return n == p["C_out"] and p["bias"]
        raise AssertionError(f"unknown statement {text!r}")
    return true


def expected(q):
    if q.kind == "multiple":
        return statement_truth(q)
    return count(q.params)


def test_sweep_every_kind_and_difficulty():
    assert sweep("param_count", expected, seeds=500) == 500 * 9


SEED_Q4 = dict(layer="conv", H=224, C_in=3, C_out=64, K=3, S=1, P=0, bias=True, groups=1)


def test_seed_q4_product_options_exactly():
    q = build_question("param_count", seed=0, params={**SEED_Q4, "form": "product"})
    assert q.answer == 1792
    texts = {c.plain(): c for c in q.choices}
    assert set(texts) == {"64 × 222 × 222", "64 × 3 × 3 × 222", "3 × 3 × 3 × 64",
                          "(3 × 3 × 3 + 1) × 64"}
    assert texts["(3 × 3 × 3 + 1) × 64"].correct
    assert texts["3 × 3 × 3 × 64"].misconception == "forgot_bias"
    assert texts["64 × 222 × 222"].misconception == "counted_output_positions"


def test_seed_q4_cli_params_give_1792_as_number():
    q = build_question("param_count", seed=0,
                       params=dict(layer="conv", H="224", C_in="3", C_out="64", K="3",
                                   bias="true"))
    assert q.answer == 1792
    assert "1,792" in [c.plain() for c in q.choices if c.correct]


@pytest.mark.parametrize("params, want", [
    (dict(layer="conv", H=32, C_in=3, C_out=10, K=5, bias=True), 760),        # CS231n 76 × 10
    (dict(layer="conv", H=227, C_in=3, C_out=96, K=11, S=4, bias=False), 34_848),  # "35K"
    (dict(layer="named", named="alexnet.conv1", bias=True), 23_296),          # DeepRob
    (dict(layer="named", named="alexnet.fc6", bias=True), 37_752_832),        # slide: 37,725,832
    (dict(layer="named", named="vgg16.conv1_1", bias=False), 1_728),          # CS231n table
    (dict(layer="named", named="vgg16.fc6", bias=False), 102_760_448),
    (dict(layer="named", named="lenet5.fc1", bias=True), 48_120),
    (dict(layer="pool", H=55, C_in=96, K=3, S=2), 0),                         # AlexNet pool1
    (dict(layer="bn", H=56, C_in=64), 128),
    (dict(layer="inception", module="3a", branch="5x5", bias=False), 15_872),
    (dict(layer="inception", module="3a", branch="all", bias=False), 163_328),
])
def test_lecture_numbers(params, want):
    q = build_question("param_count", seed=2, params=params)
    assert q.answer == want


def test_alexnet_fc6_offers_the_slide_slip():
    q = build_question("param_count", seed=5, params=dict(layer="named", named="alexnet.fc6",
                                                          bias=True))
    slips = [c for c in q.choices if c.misconception == "slide_slip"]
    assert not slips or slips[0].plain() == "37,725,832"


def test_options_are_distinct_by_value_in_product_form():
    for seed in range(300):
        q = build_question("param_count", seed=seed, difficulty="paper")
        values = [int(c.value) for c in q.choices]
        assert len(set(values)) == len(values)


FULL = dict(SEED_Q4, form="number")


@pytest.mark.parametrize("params, bad", [
    (dict(groups=3, C_in=64, C_out=64), "groups"),
    (dict(H=5, K=9), "K"),
    (dict(K=3, P=3), "P"),
    (dict(layer="deconv"), "layer"),
    (dict(named="alexnet.conv9", layer="named"), "named"),
    (dict(bias="perhaps"), "bias"),
])
def test_bad_params_name_the_parameter(params, bad):
    with pytest.raises(ParamError) as err:
        build_question("param_count", seed=0, params={**FULL, **params})
    assert err.value.param == bad
