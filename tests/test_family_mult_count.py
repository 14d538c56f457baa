"""mult_count: sweep, the lectures' examples, bad parameters.

Expected counts are recomputed here: conv/FC/pool by their definitions with output sizes from
counting window positions; the symbolic VGG/ResNet answers by summing the layers' multiply-adds
at concrete H, W, C (and checking the result is coef·H·W·C² at other points)."""
import pytest

from family_sweep import sweep
from quizgen import build_question
from quizgen.errors import ParamError
from reference_nets import layers, windows

NAMED = layers()
STAGES = {"C_2H": (2, 1), "2C_H": (1, 2), "C_H": (1, 1)}
BLOCKS = {"basic": [(1, 1, 3), (1, 1, 3)], "bottleneck": [(4, 1, 1), (1, 1, 3), (1, 4, 1)]}


def block_macs(p, h, w, c):
    if p["layer"] == "vgg":
        f, m = STAGES[p["stage"]]
        convs = [(m, m, p["K"])]
    else:
        f, convs = 1, BLOCKS[p["block"]]
    total = 0
    for cin, cout, k in convs:
        for _ in range(cout * c):                  # every output channel ...
            total += (f * h) * (f * w) * cin * c * k * k   # ... every position, every weight
    return total


def expected(q):
    p = q.params
    factor = 2 if p.get("count") == "flops" else 1
    if p["layer"] in ("vgg", "block"):
        coef = block_macs(p, 1, 1, 1) * factor
        for h, w, c in ((2, 3, 5), (4, 1, 3)):
            assert block_macs(p, h, w, c) * factor == coef * h * w * c * c
        return coef if q.kind == "numeric" else (coef, 1, 1, 2)
    if p["layer"] == "named":
        d = NAMED[p["named"]]
        kind, c_in, h, c_out, k, s, pad = (d["kind"], d["c_in"], d["h_in"], d["c_out"], d["k"],
                                           d["s"], d["p"])
        groups, n_in = 1, d["n_in"]
    else:
        kind, c_in, h = p["layer"], p["C_in"], p["H"]
        c_out, k, s, pad = p.get("C_out"), p.get("K"), p.get("S", 1), p.get("P", 0)
        groups, n_in = p.get("groups", 1), p["C_in"] * p["H"] ** 2
    if kind == "pool":
        h_out = windows(h, k, s, pad)
        return c_in * h_out * h_out * k * k
    if kind == "fc":
        return n_in * c_out * factor
    h_out = windows(h, k, s, pad)
    return c_out * h_out * h_out * (c_in // groups) * k * k * factor


def test_sweep_every_kind_and_difficulty():
    assert sweep("mult_count", expected, seeds=500) == 500 * 6


def test_seed_q3_1_multiplications():
    q = build_question("mult_count", seed=0, difficulty="paper",
                       params=dict(layer="conv", H=224, C_in=3, C_out=64, K=3, S=1, P=0,
                                   count="mults", form="product"))
    assert q.answer == 64 * 3 * 3 * 3 * 222 * 222
    texts = {c.plain(): c for c in q.choices}
    assert texts["64 × 3 × 3 × 3 × 222 × 222"].correct
    assert texts["64 × 3 × 3 × 222 × 222"].misconception == "forgot_input_channels"
    assert texts["64 × 3 × 3 × 222"].misconception == "counted_output_row"
    assert "scalar multiplications" in q.stem_plain()


@pytest.mark.parametrize("params, want", [
    (dict(layer="named", named="alexnet.conv1", count="macs"), 72_855_552),    # DeepRob "73"
    (dict(layer="named", named="alexnet.pool1"), 419_904),                     # "0.4 MFLOP"
    (dict(layer="named", named="alexnet.fc6", count="macs"), 37_748_736),
    (dict(layer="named", named="alexnet.conv1", count="flops"), 2 * 72_855_552),
    (dict(layer="named", named="googlenet_stem.conv1", count="macs"), 118_013_952),  # "118"
    (dict(layer="named", named="googlenet_stem.conv3", count="macs"), 346_816_512),  # "347"
])
def test_deeprob_table(params, want):
    assert build_question("mult_count", seed=1, params=params).answer == want


@pytest.mark.parametrize("params, coef", [
    (dict(layer="vgg", stage="C_2H", K=3, count="macs"), 36),
    (dict(layer="vgg", stage="2C_H", K=3, count="macs"), 36),
    (dict(layer="vgg", stage="C_H", K=5, count="macs"), 25),
    (dict(layer="block", block="basic", count="macs"), 18),
    (dict(layer="block", block="bottleneck", count="macs"), 17),
    (dict(layer="block", block="bottleneck", count="flops"), 34),
])
def test_deeprob_symbolic(params, coef):
    q = build_question("mult_count", seed=2, params=params)
    assert tuple(q.answer) == (coef, 1, 1, 2)
    right = [c for c in q.choices if c.correct][0]
    assert right.plain() == f"{coef}HWC²"


def test_vgg_options_like_the_slide():
    q = build_question("mult_count", seed=4, params=dict(layer="vgg", stage="C_2H", K=3,
                                                         count="macs"))
    tags = {c.misconception: c.plain() for c in q.choices if not c.correct}
    assert tags.get("macs_vs_flops", "72HWC²") == "72HWC²"
    assert tags.get("dropped_size_factor", "9HWC²") == "9HWC²"
    assert tags.get("forgot_output_size", "9C²") == "9C²"


def test_flops_stem_states_the_convention():
    q = build_question("mult_count", seed=3, params=dict(layer="fc", H=1, C_in=4096,
                                                         C_out=1000, count="flops"))
    assert "FLOPs = 2 × MACs" in q.stem_plain()
    assert q.answer == 2 * 4096 * 1000


FULL = dict(layer="conv", H=28, C_in=16, C_out=32, K=3, S=1, P=1, groups=1, count="macs",
            form="number")


@pytest.mark.parametrize("params, bad", [
    (dict(groups=3), "groups"),
    (dict(H=4, K=11, P=0), "K"),
    (dict(K=3, P=3), "P"),
    (dict(count="gflops"), "count"),
    (dict(layer="vgg", stage="C_2H", K=4), "K"),
    (dict(layer="vgg", stage="4C_H", K=3), "stage"),
])
def test_bad_params_name_the_parameter(params, bad):
    with pytest.raises(ParamError) as err:
        build_question("mult_count", seed=0, params={**FULL, **params})
    assert err.value.param == bad
