"""summary(): the lecture tables recomputed, closed forms vs shape tracing vs real forward passes."""
from __future__ import annotations

import csv
import io
import json

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from quizgen.engine import functional as F
from quizgen.engine import layers as L
from quizgen.engine import models as M
from quizgen.engine import shapes as S
from quizgen.engine.summary import summary
from quizgen.errors import EngineError


# -- DeepRob AlexNet table (input 227) -----------------------------------------------------------

# name, C×H×W (or features), memory KB as printed, params, MACs
DEEPROB_ALEXNET = [
    ("features.0", (64, 56, 56), 784, 23_296, 72_855_552),
    ("features.2", (64, 27, 27), 182, 0, 0),
    ("features.3", (192, 27, 27), 547, 307_392, 223_948_800),
    ("features.5", (192, 13, 13), 127, 0, 0),
    ("features.6", (384, 13, 13), 254, 663_936, 112_140_288),
    ("features.8", (256, 13, 13), 169, 884_992, 149_520_384),
    ("features.10", (256, 13, 13), 169, 590_080, 99_680_256),
    ("features.12", (256, 6, 6), 36, 0, 0),
    ("flatten", (9216,), 36, 0, 0),
    ("classifier.1", (4096,), 16, 37_752_832, 37_748_736),   # slide: 37,725,832 (a slip)
    ("classifier.4", (4096,), 16, 16_781_312, 16_777_216),
    ("classifier.6", (1000,), 4, 4_097_000, 4_096_000),
]


def test_alexnet_reproduces_the_deeprob_table():
    table = summary(M.alexnet(), (3, 227, 227))
    assert [r.name for r in table.rows] == [row[0] for row in DEEPROB_ALEXNET]
    for (name, shape, kb, params, macs), row in zip(DEEPROB_ALEXNET, table.rows):
        assert row.output_shape == shape, name
        assert row.memory_kb_rounded == kb, name
        assert row.params == params, name
        assert row.macs == macs, name
        assert row.flops == 2 * macs
    assert table.row("features.0").memory_kb == 784.0
    assert table.row("features.2").memory_kb == 182.25      # printed 182
    assert table.row("features.3").memory_kb == 546.75      # printed 547
    assert table.row("features.2").pool_ops == 419_904      # "0.4 MFLOP"
    # the "Params (k)" and "Flop (M)" columns, rounded half up
    # conv4: 256·13·13·(384·3·3) = 149,520,384 → 150; the slide prints 145 (a slip)
    assert [S.round_half_up(r.macs / 1e6) for r in table.rows[:8]] == \
        [73, 0, 224, 0, 112, 150, 100, 0]
    assert [S.round_half_up(r.params / 1e3) for r in table.rows[:8]] == \
        [23, 0, 307, 0, 664, 885, 590, 0]
    assert table.totals.params == 61_100_840
    assert table.totals.macs == 716_767_232                  # "AlexNet total: 0.7 GFLOP"
    assert table.input_shape == (3, 227, 227) and table.output_shape == (1000,)


def test_deeprob_lenet_table():
    table = summary(M.lenet_deeprob(), (1, 28, 28), all_layers=True)
    expected = [("conv1", (20, 28, 28), (20, 1, 5, 5)), ("relu1", (20, 28, 28), None),
                ("pool1", (20, 14, 14), None), ("conv2", (50, 14, 14), (50, 20, 5, 5)),
                ("relu2", (50, 14, 14), None), ("pool2", (50, 7, 7), None),
                ("flatten", (2450,), None), ("fc1", (500,), (500, 2450)),
                ("relu3", (500,), None), ("fc2", (10,), (10, 500))]
    model = M.lenet_deeprob()
    assert [(r.name, r.output_shape) for r in table.rows] == [e[:2] for e in expected]
    for name, _, weight_shape in expected:
        if weight_shape:
            assert model.parameter_shapes()[f"{name}.weight"] == weight_shape
    assert table.totals.params == 1_256_080


def test_lenet5_and_torchvision_parameter_counts():
    assert summary(M.lenet5(), (1, 28, 28)).totals.params == 61_706
    assert summary(M.lenet5(padding=0), (1, 32, 32)).totals.params == 61_706
    counts = {"alexnet": 61_100_840, "vgg11": 132_863_336, "vgg13": 133_047_848,
              "vgg16": 138_357_544, "vgg19": 143_667_240, "resnet18": 11_689_512,
              "resnet34": 21_797_672, "resnet50": 25_557_032, "resnet101": 44_549_160,
              "resnet152": 60_192_808}
    for name, count in counts.items():
        model = M.MODELS[name].build()
        assert model.num_parameters() == count, name
        assert summary(model, M.MODELS[name].input_shape).totals.params == count, name


def test_resnet_macs():
    r18 = summary(M.resnet18(), (3, 224, 224))
    assert r18.totals.macs == 1_814_073_344                  # torchvision's 1.81 GFLOPS
    assert r18.totals.params == 11_689_512
    assert r18.row("fc").macs == 512_000
    assert summary(M.resnet50(), (3, 224, 224)).totals.macs == 4_089_184_256
    # torchvision's documented GFLOPS (MACs): 3.66, 4.09, 7.80, 11.51. The paper/DeepRob print
    # 3.6 for ResNet-34 and 3.8 for ResNet-50 (v1, stride on the first 1×1 conv).
    for name, macs in [("resnet34", 3_663_761_408), ("resnet101", 7_801_405_440),
                       ("resnet152", 11_513_626_624)]:
        assert summary(M.MODELS[name].build(), (3, 224, 224)).totals.macs == macs, name


# -- CS231n VGG-16 table --------------------------------------------------------------------------

CS231N_VGG16 = [  # output H=W, C, weights without biases
    (224, 64, 1_728), (224, 64, 36_864), (112, 64, 0),
    (112, 128, 73_728), (112, 128, 147_456), (56, 128, 0),
    (56, 256, 294_912), (56, 256, 589_824), (56, 256, 589_824), (28, 256, 0),
    (28, 512, 1_179_648), (28, 512, 2_359_296), (28, 512, 2_359_296), (14, 512, 0),
    (14, 512, 2_359_296), (14, 512, 2_359_296), (14, 512, 2_359_296), (7, 512, 0),
]


def test_vgg16_matches_the_cs231n_table():
    table = summary(M.vgg16(), (3, 224, 224))
    feats = [r for r in table.rows if r.name.startswith("features.")]
    assert len(feats) == len(CS231N_VGG16)
    for (hw, c, weights), row in zip(CS231N_VGG16, feats):
        assert row.output_shape == (c, hw, hw)
        assert row.output_elements == hw * hw * c
        assert row.weight_params == weights
    fcs = [r for r in table.rows if r.type == "Linear"]
    assert [r.weight_params for r in fcs] == [102_760_448, 16_777_216, 4_096_000]
    assert [r.output_elements for r in fcs] == [4096, 4096, 1000]
    assert table.totals.weight_params == 138_344_128          # "138M" without biases
    assert table.totals.params == 138_357_544
    # the slide's rows: input + every conv/pool/FC row (it has no flatten row)
    slide_rows = [r for r in table.rows if r.type != "Flatten"]
    total = table.input_elements + sum(r.output_elements for r in slide_rows)
    assert table.input_elements == 150_528
    assert total == 15_237_608                                # ≈ 15.2M, not the slide's "24M"
    assert round(total / 1e6, 1) == 15.2


# -- DeepRob GoogLeNet stem table -----------------------------------------------------------------

def test_googlenet_stem_matches_the_deeprob_table():
    table = summary(M.googlenet_stem(), (3, 224, 224))
    rows = table.rows
    assert [r.output_shape for r in rows] == [(64, 112, 112), (64, 56, 56), (64, 56, 56),
                                              (192, 56, 56), (192, 28, 28)]
    assert [r.memory_kb for r in rows] == [3136, 784, 784, 2352, 588]
    assert [r.params for r in rows] == [9_472, 0, 4_160, 110_784, 0]
    assert [S.round_half_up(r.params / 1e3) for r in rows] == [9, 0, 4, 111, 0]
    # "Flop (M)": MACs for convs, C·H'·W'·K² for pools
    mflop = [(r.macs + r.pool_ops) / 1e6 for r in rows]
    assert [S.round_half_up(v) for v in mflop] == [118, 2, 13, 347, 1]
    assert S.round_half_up(sum(mflop)) == 481                 # the slide's total "418" is a slip
    assert table.totals.params == 124_416                     # "124K"
    assert table.totals.memory_bytes / 1024 == 7644           # "7.5 MB"
    assert round(table.totals.memory_bytes / 1024 / 1024, 1) == 7.5


# -- rows and totals semantics --------------------------------------------------------------------

def test_default_rows_fold_activations_and_all_layers_shows_them():
    model = M.resnet18()
    short = summary(model, (3, 64, 64))
    full = summary(model, (3, 64, 64), all_layers=True)
    assert {r.type for r in short.rows} == {"Conv2d", "BatchNorm2d", "MaxPool2d",
                                            "AdaptiveAvgPool2d", "Flatten", "Linear"}
    assert sum(r.type == "ReLU" for r in full.rows) == 1 + 8 * 2   # stem + 2 per BasicBlock
    assert [r.name for r in full.rows].count("layer1.0.relu") == 2
    assert short.totals.params == full.totals.params == 11_689_512
    assert short.totals.macs == full.totals.macs
    assert full.totals.memory_bytes > short.totals.memory_bytes
    assert short.totals.memory_bytes == sum(r.memory_bytes for r in short.rows)
    # a no-op adaptive pool is folded by default (AlexNet at 227: 6×6 → 6×6)
    alex = summary(M.alexnet(), (3, 227, 227), all_layers=True)
    assert alex.row("avgpool").output_shape == alex.row("avgpool").input_shape == (256, 6, 6)
    assert "avgpool" not in [r.name for r in summary(M.alexnet(), (3, 227, 227)).rows]
    # at 256 pool5 is 7×7 and the adaptive pool makes it 6×6: a row of its own
    bigger = summary(M.alexnet(), (3, 256, 256))
    assert bigger.row("avgpool").input_shape == (256, 7, 7)
    assert bigger.row("avgpool").output_shape == (256, 6, 6)


def test_batched_input_and_bytes_per_element():
    one = summary(M.lenet5(), (1, 28, 28))
    four = summary(M.lenet5(), (4, 1, 28, 28), bytes_per_element=2)
    assert four.input_shape == (4, 1, 28, 28) and four.rows[0].output_shape == (4, 6, 28, 28)
    assert one.rows[0].output_shape == (6, 28, 28)
    for a, b in zip(one.rows, four.rows):
        assert b.macs == 4 * a.macs and b.pool_ops == 4 * a.pool_ops
        assert b.memory_bytes == 4 * a.memory_bytes // 2
        assert b.params == a.params


def test_renderings_are_clean():
    table = summary(M.alexnet(), (3, 227, 227))
    rows = list(csv.DictReader(io.StringIO(table.to_csv())))
    assert len(rows) == len(table.rows)
    assert rows[0]["layer"] == "features.0" and rows[0]["output_shape"] == "64x56x56"
    assert int(rows[0]["macs"]) == 72_855_552 and rows[1]["memory_kb"] == "182.25"
    data = json.loads(table.to_json())
    assert data["totals"]["params"] == 61_100_840
    assert data["rows"][2]["memory_kb"] == 546.75
    assert data["rows"][0]["output_shape"] == [64, 56, 56]
    text = table.to_table()
    assert "784" in text and "547" in text and "61,100,840" in text


@pytest.mark.parametrize("shape, words", [
    ((3, 227), ["C×H×W or N×C×H×W"]),
    ((3, 0, 227), ["positive", "3x0x227"]),
    ("3x227x227", ["C×H×W or N×C×H×W"]),
    ((3.0, 227, 227), ["C×H×W or N×C×H×W"]),
])
def test_summary_input_errors(shape, words):
    with pytest.raises(EngineError) as info:
        summary(M.alexnet(), shape)
    for word in words:
        assert word in str(info.value)


def test_summary_of_an_impossible_input_names_the_layer():
    with pytest.raises(EngineError, match=r"^features\.0 \(Conv2d\): kernel 11×11 is larger"):
        summary(M.alexnet(), (3, 5, 5))


# -- the closed forms agree with the traced rows ---------------------------------------------------

@pytest.mark.parametrize("name", sorted(M.MODELS))
def test_rows_agree_with_shapes_closed_forms(name):
    info = M.MODELS[name]
    model = info.build()
    table = summary(model, info.input_shape, all_layers=True)
    modules = dict(model.named_modules())
    for row in table.rows:
        m = modules[row.name]
        if isinstance(m, L.Conv2d):
            c_in, h, w = row.input_shape
            (kh, kw), (sh, sw), (dh, dw) = m.kernel_size, m.stride, m.dilation
            t, b, l, r = m._pads
            assert t == b and l == r
            ho, wo = S.conv_out(h, kh, sh, t, dh), S.conv_out(w, kw, sw, l, dw)
            assert row.output_shape == (m.out_channels, ho, wo)
            assert row.macs == S.conv_macs(c_in, m.out_channels, kh, kw, ho, wo, m.groups)
            assert row.params == S.conv_params(c_in, m.out_channels, kh, kw, m.has_bias,
                                               m.groups)
        elif isinstance(m, L.MaxPool2d):
            c, h, w = row.input_shape
            ho = S.pool_out(h, m.kernel_size[0], m.stride[0], m.padding[0], m.dilation[0],
                            m.ceil_mode)
            wo = S.pool_out(w, m.kernel_size[1], m.stride[1], m.padding[1], m.dilation[1],
                            m.ceil_mode)
            assert row.output_shape == (c, ho, wo)
            assert row.pool_ops == S.pool_ops(c, ho, wo, m.kernel_size)
        elif isinstance(m, L.Linear):
            assert row.params == S.linear_params(m.in_features, m.out_features, m.has_bias)
            assert row.macs == S.linear_macs(m.in_features, m.out_features)
        assert row.memory_bytes == S.activation_bytes(row.output_elements, 4)


# -- shape inference agrees with a real forward pass -----------------------------------------------

def _forward_shapes(model, x):
    """Run ``model(x)``, recording every leaf call's (name, input shape, output shape)."""
    names = {id(m): n for n, m in model.named_modules()}
    seen = []
    for m in model.modules():
        if m._leaf:
            def wrapped(inp, _m=m, _f=type(m).forward):
                out = _f(_m, inp)
                seen.append((names[id(_m)], np.shape(inp), out.shape))
                return out
            object.__setattr__(m, "forward", wrapped)
    try:
        out = model(x)
    finally:
        for m in model.modules():
            m.__dict__.pop("forward", None)
    return out, seen


SMALL = [("lenet5", (2, 1, 28, 28), {}), ("lenet5_32", (1, 1, 32, 32), {}),
         ("lenet_deeprob", (2, 1, 28, 28), {}), ("googlenet_stem", (1, 3, 40, 36), {}),
         ("alexnet", (1, 3, 67, 64), {}), ("resnet18", (2, 3, 33, 40), {}),
         ("resnet34", (1, 3, 32, 32), {}), ("resnet50", (1, 3, 35, 32), {}),
         ("resnet101", (1, 3, 32, 32), {}), ("resnet152", (1, 3, 32, 32), {}),
         ("vgg16", (1, 3, 32, 32), {"dtype": np.float32})]


@pytest.mark.parametrize("name, shape, kwargs", SMALL)
def test_traced_shapes_equal_forward_shapes(name, shape, kwargs):
    model = M.MODELS[name].build(**kwargs)
    x = np.random.default_rng(0).standard_normal(shape)
    out, seen = _forward_shapes(model, x)
    traced = [(r.name, r.input_shape, r.output_shape)
              for r in summary(model, shape, all_layers=True).rows]
    assert traced == seen
    assert out.shape == model.output_shape(shape)
    assert np.all(np.isfinite(out))


@pytest.mark.parametrize("name, shape", [("alexnet", (1, 3, 227, 227)),
                                         ("resnet18", (1, 3, 224, 224))])
def test_full_size_forward_matches_summary(name, shape):
    model = M.MODELS[name].build()
    out, seen = _forward_shapes(model, np.random.default_rng(1).standard_normal(shape))
    table = summary(model, shape, all_layers=True)
    assert [(r.name, r.input_shape, r.output_shape) for r in table.rows] == seen
    assert out.shape == (1, 1000)


conv_configs = st.fixed_dictionaries({
    "n": st.integers(1, 3), "c_in": st.integers(1, 4), "c_out": st.integers(1, 4),
    "h": st.integers(1, 14), "w": st.integers(1, 14), "k": st.integers(1, 5),
    "kw": st.integers(1, 5), "s": st.integers(1, 4), "p": st.integers(0, 3),
    "d": st.integers(1, 3), "groups": st.sampled_from([1, 2]), "bias": st.booleans(),
})


@settings(max_examples=150, deadline=None)
@given(cfg=conv_configs)
def test_conv_shapes_closed_form_vs_forward(cfg):
    c_in, c_out = cfg["c_in"] * cfg["groups"], cfg["c_out"] * cfg["groups"]
    conv = L.Conv2d(c_in, c_out, (cfg["k"], cfg["kw"]), cfg["s"], cfg["p"], cfg["d"],
                    cfg["groups"], cfg["bias"])
    shape = (cfg["n"], c_in, cfg["h"], cfg["w"])
    x = np.random.default_rng(0).standard_normal(shape)
    fits = all(cfg["d"] * (k - 1) + 1 <= n + 2 * cfg["p"]
               for n, k in ((cfg["h"], cfg["k"]), (cfg["w"], cfg["kw"])))
    if not fits:
        with pytest.raises(EngineError, match="is larger than the padded input"):
            conv.output_shape(shape)
        with pytest.raises(EngineError, match="is larger than the padded input"):
            conv(x)
        return
    expected = (cfg["n"], c_out, S.conv_out(cfg["h"], cfg["k"], cfg["s"], cfg["p"], cfg["d"]),
                S.conv_out(cfg["w"], cfg["kw"], cfg["s"], cfg["p"], cfg["d"]))
    assert conv.output_shape(shape) == expected == conv(x).shape
    cost = conv.cost(shape)
    assert cost.macs == cfg["n"] * S.conv_macs(c_in, c_out, cfg["k"], cfg["kw"], *expected[2:],
                                               groups=cfg["groups"])


pool_configs = st.fixed_dictionaries({
    "h": st.integers(1, 15), "w": st.integers(1, 15), "k": st.integers(1, 5),
    "s": st.one_of(st.none(), st.integers(1, 4)), "p": st.integers(0, 2),
    "d": st.integers(1, 2), "ceil": st.booleans(), "kind": st.sampled_from(["max", "avg"]),
})


@settings(max_examples=200, deadline=None)
@given(cfg=pool_configs)
def test_pool_shapes_closed_form_vs_forward(cfg):
    k, p = cfg["k"], cfg["p"]
    if p > k // 2:
        return
    d = cfg["d"] if cfg["kind"] == "max" else 1
    if cfg["kind"] == "max":
        pool = L.MaxPool2d(k, cfg["s"], p, d, cfg["ceil"])
    else:
        pool = L.AvgPool2d(k, cfg["s"], p, cfg["ceil"])
    shape = (1, 2, cfg["h"], cfg["w"])
    x = np.random.default_rng(0).standard_normal(shape)
    try:
        expected = (1, 2, S.pool_out(cfg["h"], k, cfg["s"], p, d, cfg["ceil"]),
                    S.pool_out(cfg["w"], k, cfg["s"], p, d, cfg["ceil"]))
    except EngineError:
        # no output position: the layer refuses too, and so does the functional op itself
        assert d * (k - 1) + 1 > min(cfg["h"], cfg["w"]) + 2 * p
        with pytest.raises(EngineError):
            pool.output_shape(shape)
        with pytest.raises(EngineError):
            pool(x)
        with pytest.raises(EngineError):
            if cfg["kind"] == "max":
                F.max_pool2d(x, k, cfg["s"], p, d, ceil_mode=cfg["ceil"])
            else:
                F.avg_pool2d(x, k, cfg["s"], p, ceil_mode=cfg["ceil"])
        return
    assert pool.output_shape(shape) == expected == pool(x).shape
