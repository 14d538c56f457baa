"""quizgen.engine.functional against the naive loop oracle and the lecture examples (no torch)."""
from __future__ import annotations

import warnings
from unittest.mock import patch

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.engine import _reference as ref
from quizgen.engine import functional as F
from quizgen.engine.functional import _conv2d_forward
from quizgen.errors import EngineError

TOL = 1e-10
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _close(got, want, tol=TOL):
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


# --------------------------------------------------------------------------- random configs

@st.composite
def conv_configs(draw):
    groups = draw(st.integers(1, 3))
    cg = draw(st.integers(1, 3))
    og = draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    sh, sw = draw(st.integers(1, 3)), draw(st.integers(1, 3))
    dh, dw = draw(st.integers(1, 2)), draw(st.integers(1, 2))
    form = draw(st.sampled_from(["int", "pair", "four", "valid", "same"]))
    if form == "same" and (sh, sw) != (1, 1):
        form = "four"
    if form == "int":
        p = draw(st.integers(0, 2))
        padding, pads = p, (p, p, p, p)
    elif form == "pair":
        ph, pw = draw(st.integers(0, 2)), draw(st.integers(0, 2))
        padding, pads = (ph, pw), (ph, ph, pw, pw)
    elif form == "four":
        pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
        padding = pads
    elif form == "valid":
        padding, pads = "valid", (0, 0, 0, 0)
    else:
        th, tw = dh * (kh - 1), dw * (kw - 1)
        padding, pads = "same", (th // 2, th - th // 2, tw // 2, tw - tw // 2)
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    h = draw(st.integers(max(1, eh - pads[0] - pads[1]), max(1, eh - pads[0] - pads[1]) + 6))
    w = draw(st.integers(max(1, ew - pads[2] - pads[3]), max(1, ew - pads[2] - pads[3]) + 6))
    n = draw(st.integers(1, 2))
    seed = draw(st.integers(0, 2**32 - 1))
    bias = draw(st.booleans())
    rng = np.random.default_rng(seed)
    x = rng.standard_normal((n, groups * cg, h, w))
    wt = rng.standard_normal((groups * og, cg, kh, kw))
    b = rng.standard_normal(groups * og) if bias else None
    return dict(x=x, w=wt, b=b, stride=(sh, sw), padding=padding, pads=pads,
                dilation=(dh, dw), groups=groups)


@st.composite
def pool_configs(draw, with_dilation=True):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    ph, pw = draw(st.integers(0, min(2, kh // 2))), draw(st.integers(0, min(2, kw // 2)))
    d = (draw(st.integers(1, 2)), draw(st.integers(1, 2))) if with_dilation else (1, 1)
    ceil_mode = draw(st.booleans())
    h, w = draw(st.integers(1, 9)), draw(st.integers(1, 9))
    n, c = draw(st.integers(1, 2)), draw(st.integers(1, 3))
    seed = draw(st.integers(0, 2**32 - 1))
    x = np.random.default_rng(seed).standard_normal((n, c, h, w))
    return dict(x=x, kernel_size=(kh, kw), stride=stride, padding=(ph, pw), dilation=d,
                ceil_mode=ceil_mode)


def _pool_sizes(cfg):
    k, p, d = cfg["kernel_size"], cfg["padding"], cfg["dilation"]
    s = cfg["stride"] or k
    h, w = cfg["x"].shape[2:]
    return (ref.pool_out(h, k[0], s[0], p[0], d[0], cfg["ceil_mode"]),
            ref.pool_out(w, k[1], s[1], p[1], d[1], cfg["ceil_mode"]))


# --------------------------------------------------------------------------- conv properties

@SETTINGS
@given(conv_configs())
def test_conv2d_matches_oracle(cfg):
    want = ref.conv2d(cfg["x"], cfg["w"], cfg["b"], cfg["stride"], cfg["pads"],
                      cfg["dilation"], cfg["groups"])
    got = F.conv2d(cfg["x"], cfg["w"], cfg["b"], cfg["stride"], cfg["padding"],
                   cfg["dilation"], cfg["groups"])
    _close(got, want)
    if cfg["padding"] == "same":
        assert got.shape[2:] == cfg["x"].shape[2:]


@SETTINGS
@given(conv_configs(), st.sampled_from(["shifted", "windows"]),
       st.sampled_from([None, 1, 100, 700, 3000]), st.integers(1, 20))
def test_both_im2col_layouts_match_oracle(cfg, method, chunk_bytes, min_units):
    """Both im2col layouts, also with the im2col buffer cut into tiny chunks."""
    want = ref.conv2d(cfg["x"], cfg["w"], None, cfg["stride"], cfg["pads"], cfg["dilation"],
                      cfg["groups"])
    limits = dict(_COLS_CHUNK_BYTES=chunk_bytes or F._COLS_CHUNK_BYTES,
                  _COLS_RUN_BYTES=chunk_bytes or F._COLS_RUN_BYTES,
                  _COLS_MIN_UNITS=min_units if chunk_bytes else F._COLS_MIN_UNITS)
    with patch.multiple(F, **limits):
        got = _conv2d_forward(cfg["x"], cfg["w"], cfg["stride"], cfg["pads"], cfg["dilation"],
                              cfg["groups"], method=method)
    _close(got, want)


@SETTINGS
@given(conv_configs(), st.sampled_from(["shifted", "windows"]),
       st.sampled_from([None, 100, 3000]), st.booleans(), st.integers(0, 2**32 - 1))
def test_fused_epilogue_matches_oracle_in_both_layouts(cfg, method, chunk_bytes, relu, seed):
    """bias, batch-norm scale/shift and ReLU applied by the convolution, also in tiny chunks."""
    c_out = cfg["w"].shape[0]
    rng = np.random.default_rng(seed)
    scale, shift = rng.standard_normal(c_out), rng.standard_normal(c_out)
    want = ref.conv2d(cfg["x"], cfg["w"], cfg["b"], cfg["stride"], cfg["pads"], cfg["dilation"],
                      cfg["groups"]) * scale[:, None, None] + shift[:, None, None]
    if relu:
        want = np.maximum(want, 0)
    limits = dict(_COLS_CHUNK_BYTES=chunk_bytes or F._COLS_CHUNK_BYTES,
                  _COLS_RUN_BYTES=chunk_bytes or F._COLS_RUN_BYTES,
                  _COLS_MIN_UNITS=3 if chunk_bytes else F._COLS_MIN_UNITS)
    with patch.multiple(F, **limits):
        got = _conv2d_forward(cfg["x"], cfg["w"], cfg["stride"], cfg["pads"], cfg["dilation"],
                              cfg["groups"], method=method, bias=cfg["b"], scale=scale,
                              shift=shift, relu=relu)
    _close(got, want)


@settings(max_examples=60, deadline=None)
@given(conv_configs())
def test_true_conv2d_matches_flipped_oracle(cfg):
    want = ref.conv2d(cfg["x"], cfg["w"], cfg["b"], cfg["stride"], cfg["pads"],
                      cfg["dilation"], cfg["groups"], flip=True)
    got = F.true_conv2d(cfg["x"], cfg["w"], cfg["b"], cfg["stride"], cfg["padding"],
                        cfg["dilation"], cfg["groups"])
    _close(got, want)


# --------------------------------------------------------------------------- pool properties

@SETTINGS
@given(pool_configs())
def test_max_pool2d_matches_oracle(cfg):
    ho, wo = _pool_sizes(cfg)
    args = {k: cfg[k] for k in ("kernel_size", "stride", "padding", "dilation", "ceil_mode")}
    if min(ho, wo) < 1:
        with pytest.raises(EngineError, match="max_pool2d: no output"):
            F.max_pool2d(cfg["x"], **args)
        return
    _close(F.max_pool2d(cfg["x"], **args), ref.max_pool2d(cfg["x"], **args))


@SETTINGS
@given(pool_configs(with_dilation=False), st.booleans(),
       st.one_of(st.none(), st.integers(-3, 7).filter(bool)))
def test_avg_pool2d_matches_oracle(cfg, count_include_pad, divisor_override):
    ho, wo = _pool_sizes(cfg)
    args = {k: cfg[k] for k in ("kernel_size", "stride", "padding", "ceil_mode")}
    args.update(count_include_pad=count_include_pad, divisor_override=divisor_override)
    if min(ho, wo) < 1:
        with pytest.raises(EngineError, match="avg_pool2d: no output"):
            F.avg_pool2d(cfg["x"], **args)
        return
    _close(F.avg_pool2d(cfg["x"], **args), ref.avg_pool2d(cfg["x"], **args))


@settings(max_examples=100, deadline=None)
@given(st.integers(1, 9), st.integers(1, 9), st.integers(1, 10), st.integers(1, 10),
       st.integers(0, 2**32 - 1))
def test_adaptive_avg_pool2d_matches_oracle(h, w, ho, wo, seed):
    x = np.random.default_rng(seed).standard_normal((2, 2, h, w))
    _close(F.adaptive_avg_pool2d(x, (ho, wo)), ref.adaptive_avg_pool2d(x, (ho, wo)))


# --------------------------------------------------------------------------- lecture examples

def test_lecture_single_channel_conv():
    x = np.arange(9).reshape(1, 1, 3, 3)
    k = np.array([[0, 1], [2, 3]]).reshape(1, 1, 2, 2)
    out = F.conv2d(x, k)
    assert out.dtype == np.float64
    np.testing.assert_array_equal(out[0, 0], [[19, 25], [37, 43]])
    np.testing.assert_array_equal(F.cross_correlate2d(x, k), out)


def test_lecture_two_channel_conv_sums_channels():
    x = np.stack([np.arange(9).reshape(3, 3), np.arange(1, 10).reshape(3, 3)])[None]
    k = np.stack([np.array([[0, 1], [2, 3]]), np.array([[1, 2], [3, 4]])])[None]
    out = F.conv2d(x, k)
    assert out[0, 0, 0, 0] == 56
    per_channel = [F.conv2d(x[:, i:i + 1], k[:, i:i + 1])[0, 0] for i in range(2)]
    np.testing.assert_array_equal(out[0, 0], per_channel[0] + per_channel[1])


def test_lecture_pooling_4x4():
    fmap = np.array([[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]])[None, None]
    np.testing.assert_array_equal(F.max_pool2d(fmap, 2, stride=2)[0, 0], [[20, 30], [70, 90]])
    np.testing.assert_array_equal(F.avg_pool2d(fmap, 2, stride=2)[0, 0], [[16, 8], [20, 25]])
    np.testing.assert_array_equal(F.max_pool2d(fmap[0], 2)[0], [[20, 30], [70, 90]])


def test_true_conv2d_flips_the_kernel():
    x = np.arange(9).reshape(1, 1, 3, 3)
    k = np.array([[0, 1], [2, 3]]).reshape(1, 1, 2, 2)
    flipped = k[:, :, ::-1, ::-1]
    np.testing.assert_array_equal(F.true_conv2d(x, k), F.conv2d(x, flipped))
    # out[0,0] = 0·3 + 1·2 + 3·1 + 4·0 = 5
    np.testing.assert_array_equal(F.true_conv2d(x, k)[0, 0], [[5, 11], [23, 29]])
    sym = np.array([[1, 2, 1], [2, 4, 2], [1, 2, 1]]).reshape(1, 1, 3, 3)
    np.testing.assert_array_equal(F.true_conv2d(x, sym, padding=1), F.conv2d(x, sym, padding=1))


def test_total_padding_convention_as_four_tuple():
    # lecture form: p_h = 1 total padded row, n' = (n - k + p_h + s) / s
    x = np.ones((1, 1, 5, 5))
    k = np.ones((1, 1, 3, 3))
    out = F.conv2d(x, k, stride=2, padding=(0, 1, 0, 1))
    assert out.shape == (1, 1, 2, 2)
    np.testing.assert_array_equal(out[0, 0], [[9, 9], [9, 9]])
    np.testing.assert_array_equal(F.conv2d(x, k, padding=(1, 0, 0, 0))[0, 0, 0], [6, 6, 6])


def test_same_padding_puts_extra_on_bottom_right():
    x = np.arange(16).reshape(1, 1, 4, 4)
    out = F.conv2d(x, np.ones((1, 1, 2, 2)), padding="same")
    np.testing.assert_array_equal(out[0, 0], [[10, 14, 18, 10], [26, 30, 34, 18],
                                              [42, 46, 50, 26], [25, 27, 29, 15]])


# --------------------------------------------------------------------------- other ops by hand

def test_linear_and_activations():
    x = np.array([[1.0, -2.0, 3.0]])
    w = np.array([[1.0, 0.0, 1.0], [0.5, 0.5, 0.5]])
    np.testing.assert_array_equal(F.linear(x, w, [1.0, -1.0]), [[5.0, -0.0]])
    np.testing.assert_array_equal(F.relu([-1, 0, 2]), [0.0, 0.0, 2.0])
    a = np.array([-1.0, 2.0])
    assert F.relu(a, inplace=True) is a and a.tolist() == [0.0, 2.0]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        s = F.sigmoid(np.array([-1000.0, -1.0, 0.0, 1.0, 1000.0]))
    np.testing.assert_allclose(s, [0.0, 1 / (1 + np.e), 0.5, 1 / (1 + np.exp(-1)), 1.0],
                               rtol=1e-15, atol=0)
    np.testing.assert_allclose(F.tanh([0.5]), [np.tanh(0.5)])


def test_softmax_log_softmax_cross_entropy_by_hand():
    z = np.array([[1.0, 2.0, 3.0], [1000.0, 1000.0, -1000.0]])
    p = F.softmax(z, dim=1)
    e = np.exp([1.0, 2.0, 3.0])
    np.testing.assert_allclose(p[0], e / e.sum(), rtol=1e-15)
    np.testing.assert_allclose(p[1], [0.5, 0.5, 0.0])
    np.testing.assert_allclose(F.log_softmax(z, 1)[1], [-np.log(2), -np.log(2), -2000 - np.log(2)])
    loss = F.cross_entropy(z, np.array([2, 0]), reduction="none")
    np.testing.assert_allclose(loss, [-np.log(e[2] / e.sum()), np.log(2)], rtol=1e-14)
    assert F.cross_entropy(z, [2, 0]) == pytest.approx(loss.mean(), rel=1e-15)
    assert F.cross_entropy(z, [2, 0], reduction="sum") == pytest.approx(loss.sum(), rel=1e-15)
    onehot = np.array([[0.0, 0.0, 1.0], [1.0, 0.0, 0.0]])
    assert F.cross_entropy(z, onehot) == pytest.approx(loss.mean(), rel=1e-15)


def test_batch_norm_training_updates_running_stats_in_place():
    x = np.array([[1.0, 10.0], [3.0, 10.0], [5.0, 40.0]])  # N=3, C=2
    rm, rv = np.zeros(2), np.ones(2)
    y = F.batch_norm(x, rm, rv, weight=[2.0, 1.0], bias=[0.0, 1.0], training=True,
                     momentum=0.5, eps=0.0)
    # channel 0: mean 3, biased var 8/3, unbiased 4
    np.testing.assert_allclose(y[:, 0], 2 * (x[:, 0] - 3) / np.sqrt(8 / 3), rtol=1e-14)
    np.testing.assert_allclose(rm, [1.5, 10.0])
    np.testing.assert_allclose(rv, [0.5 * 1 + 0.5 * 4, 0.5 * 1 + 0.5 * 300.0])
    y_eval = F.batch_norm(x, rm, rv, eps=0.0)
    np.testing.assert_allclose(y_eval[:, 0], (x[:, 0] - 1.5) / np.sqrt(2.5), rtol=1e-14)


def test_flatten_and_pad2d():
    x = np.arange(24).reshape(2, 3, 2, 2)
    assert F.flatten(x).shape == (2, 12)
    assert F.flatten(x, 0).shape == (24,)
    assert F.flatten(x, 1, 2).shape == (2, 6, 2)
    p = F.pad2d(np.ones((1, 1, 2, 2)), (1, 0, 2, 0))
    assert p.shape == (1, 1, 3, 4)
    np.testing.assert_array_equal(p[0, 0], [[0, 0, 0, 0], [0, 0, 1, 1], [0, 0, 1, 1]])


# --------------------------------------------------------------------------- dtypes

def test_dtypes():
    x32 = np.ones((1, 2, 5, 5), np.float32)
    w64 = np.ones((3, 2, 3, 3))
    assert F.conv2d(x32, w64).dtype == np.float32
    assert F.conv2d(x32.astype(int), w64.astype(np.float32)).dtype == np.float64
    assert F.max_pool2d(x32, 2).dtype == np.float32
    assert F.avg_pool2d(x32.astype(bool), 2).dtype == np.float64
    assert F.adaptive_avg_pool2d(x32, 3).dtype == np.float32
    assert F.linear(np.ones((2, 3), np.float32), np.ones((4, 3))).dtype == np.float32
    assert F.batch_norm(x32, np.zeros(2), np.ones(2)).dtype == np.float32
    assert F.softmax(np.arange(3), 0).dtype == np.float64


def test_unbatched_input():
    x = np.random.default_rng(0).standard_normal((2, 6, 6))
    w = np.random.default_rng(1).standard_normal((3, 2, 3, 3))
    np.testing.assert_array_equal(F.conv2d(x, w, padding=1), F.conv2d(x[None], w, padding=1)[0])
    assert F.avg_pool2d(x, 3, 2, ceil_mode=True).shape == (2, 3, 3)


# --------------------------------------------------------------------------- errors

def _raises(match, fn, *args, **kwargs):
    with pytest.raises(EngineError) as info:
        fn(*args, **kwargs)
    for part in match:
        assert part in str(info.value), (part, str(info.value))
    return str(info.value)


def test_conv2d_channel_mismatch_message():
    msg = _raises([], F.conv2d, np.ones((1, 3, 7, 7)), np.ones((8, 4, 3, 3)))
    assert msg == ("conv2d: input has 3 channels but weight expects 4 "
                   "(input shape (1, 3, 7, 7), weight shape (8, 4, 3, 3))")


def test_conv2d_kernel_too_large_message():
    msg = _raises([], F.conv2d, np.ones((1, 1, 4, 4)), np.ones((1, 1, 5, 5)))
    assert msg.startswith("conv2d: kernel 5x5 (dilated 5x5) is larger than the padded input 4x4 "
                          "(input 4x4, padding (0, 0, 0, 0))")
    _raises(["kernel 3x3 (dilated 5x5)", "padded input 4x4"], F.conv2d, np.ones((1, 1, 4, 4)),
            np.ones((1, 1, 3, 3)), dilation=2)


def test_layer_name_prefixes_message():
    msg = _raises([], F.conv2d, np.ones((1, 3, 7, 7)), np.ones((8, 4, 3, 3)),
                  name="features.0 (Conv2d)")
    assert msg.startswith("features.0 (Conv2d): conv2d: input has 3 channels")
    _raises(["layer4 (MaxPool2d): max_pool2d:"], F.max_pool2d, np.ones((1, 1, 2, 2)), 3,
            name="layer4 (MaxPool2d)")
    _raises(["fc (Linear): linear: input has 5 features but weight expects 4"], F.linear,
            np.ones((2, 5)), np.ones((3, 4)), name="fc (Linear)")


@pytest.mark.parametrize("kwargs, parts", [
    (dict(stride=0), ["conv2d: stride must be positive, got stride=0"]),
    (dict(stride=(1, -2)), ["stride must be positive, got stride=-2"]),
    (dict(dilation=0), ["dilation must be positive, got dilation=0"]),
    (dict(padding=-1), ["padding must be >= 0, got padding=-1"]),
    (dict(padding=(1, 2, 3)), ["padding must be an int", "(1, 2, 3)"]),
    (dict(padding="same", stride=2), ["padding='same' requires stride 1", "(2, 2)",
                                      "input shape (1, 4, 6, 6)"]),
    (dict(padding="full"), ["'full'"]),
    (dict(groups=4), ["groups=4 must divide the 6 output channels", "weight shape (6, 4, 3, 3)"]),
    (dict(groups=0), ["groups must be positive, got groups=0"]),
    (dict(stride=1.5), ["stride must be an integer, got 1.5"]),
])
def test_conv2d_bad_arguments(kwargs, parts):
    _raises(parts, F.conv2d, np.ones((1, 4, 6, 6)), np.ones((6, 4, 3, 3)), **kwargs)


def test_conv2d_groups_must_divide_input_channels():
    _raises(["groups=2 must divide the 3 input channels", "input shape (1, 3, 6, 6)"],
            F.conv2d, np.ones((1, 3, 6, 6)), np.ones((4, 1, 3, 3)), groups=2)
    _raises(["input has 4 channels but weight expects 6 (3 per group x groups=2)"],
            F.conv2d, np.ones((1, 4, 6, 6)), np.ones((4, 3, 3, 3)), groups=2)


def test_conv2d_bad_shapes():
    _raises(["input must be 3-D (C, H, W) or 4-D", "shape (6, 6)"], F.conv2d, np.ones((6, 6)),
            np.ones((1, 1, 3, 3)))
    _raises(["weight must be 4-D", "weight shape (3, 3)"], F.conv2d, np.ones((1, 1, 6, 6)),
            np.ones((3, 3)))
    _raises(["bias must have shape (2,)", "bias shape (3,)"], F.conv2d, np.ones((1, 1, 6, 6)),
            np.ones((2, 1, 3, 3)), np.ones(3))
    _raises(["input must be numeric", "dtype <U1"], F.conv2d, np.array(["a"]),
            np.ones((2, 1, 3, 3)))


def test_pool_errors():
    _raises(["max_pool2d: no output: 2x2 input with kernel_size (3, 3), stride (1, 1)",
             "ceil_mode=False", "output 0x0", "input shape (1, 1, 2, 2)"],
            F.max_pool2d, np.ones((1, 1, 2, 2)), 3, 1)
    _raises(["avg_pool2d: padding 2 must be at most half the kernel size 3"],
            F.avg_pool2d, np.ones((1, 1, 9, 9)), 3, padding=2)
    _raises(["max_pool2d: kernel_size must be positive, got kernel_size=0"],
            F.max_pool2d, np.ones((1, 1, 9, 9)), 0)
    _raises(["max_pool2d: stride must be positive, got stride=0"],
            F.max_pool2d, np.ones((1, 1, 9, 9)), 2, 0)
    _raises(["avg_pool2d: divisor_override must be a non-zero integer, got 0"],
            F.avg_pool2d, np.ones((1, 1, 4, 4)), 2, divisor_override=0)
    _raises(["adaptive_avg_pool2d: output_size must be positive, got output_size=0"],
            F.adaptive_avg_pool2d, np.ones((1, 1, 4, 4)), (0, 2))


def test_ceil_mode_kernel_beyond_input_follows_torch():
    # torch: a 3x3 window with stride 2 over 2x2 exists in ceil mode (one output) ...
    out = F.max_pool2d(np.arange(4.0).reshape(1, 1, 2, 2), 3, 2, ceil_mode=True)
    np.testing.assert_array_equal(out, [[[[3.0]]]])
    # ... but not with stride 1, nor without ceil mode
    _raises(["ceil_mode=True", "output 0x0"], F.max_pool2d, np.ones((1, 1, 2, 2)), 3, 1,
            ceil_mode=True)


def test_other_op_errors():
    _raises(["batch_norm: running_mean must be given in evaluation mode", "input shape (2, 3)"],
            F.batch_norm, np.ones((2, 3)), None, None)
    _raises(["batch_norm: expected more than 1 value per channel when training, got 1",
             "(1, 3, 1, 1)"], F.batch_norm, np.ones((1, 3, 1, 1)), None, None, training=True)
    _raises(["batch_norm: weight must have shape (3,), got weight shape (2,)"],
            F.batch_norm, np.ones((2, 3)), np.zeros(3), np.ones(3), np.ones(2))
    _raises(["batch_norm: running_mean must be a writeable float numpy array"],
            F.batch_norm, np.ones((2, 3)), [0, 0, 0], np.ones(3), training=True)
    _raises(["softmax: dim=2 is out of range [-2, 1] for input of shape (2, 3)"],
            F.softmax, np.ones((2, 3)), 2)
    _raises(["cross_entropy: target class 3 is out of range [0, 2] for 3 classes",
             "input shape (2, 3), target shape (2,)"], F.cross_entropy, np.ones((2, 3)), [0, 3])
    _raises(["cross_entropy: class-index target must have shape (2,)"], F.cross_entropy,
            np.ones((2, 3)), [0, 1, 2])
    _raises(["cross_entropy: probability targets must have the input's shape"],
            F.cross_entropy, np.ones((2, 3)), np.ones((2, 2)) / 2)
    _raises(["cross_entropy: reduction must be 'mean', 'sum' or 'none', got 'avg'"],
            F.cross_entropy, np.ones((2, 3)), [0, 1], "avg")
    _raises(["flatten: start_dim=2 comes after end_dim=1"], F.flatten, np.ones((2, 3, 4)), 2, 1)
    _raises(["linear: weight must be 2-D", "weight shape (3,)"], F.linear, np.ones(3),
            np.ones(3))
