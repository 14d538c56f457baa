"""The engine's speed tricks keep torch's semantics: zero pages, row-padded residual adds, tap
groups of strided convolutions, separable max pooling, the layer's remembered input check."""
from __future__ import annotations

import math
import warnings
from unittest.mock import patch

import numpy as np
import pytest

from quizgen.engine import _reference as R
from quizgen.engine import functional as F
from quizgen.engine import layers as L
from quizgen.errors import EngineError


def _rand(shape, seed=0, dtype=np.float64):
    return np.random.default_rng(seed).standard_normal(shape).astype(dtype)


# ------------------------------------------------------------------ zero pages and ReLU

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
def test_zeros_are_read_only_zeros_of_any_shape(dtype):
    for shape in [(), (0, 3), (2, 3, 4), (1, 64, 56, 58), (3_000_000,)]:
        z = F._zeros(shape, np.dtype(dtype))
        assert z.shape == shape and z.dtype == dtype and z.flags.c_contiguous
        assert not z.flags.writeable
        assert not np.any(z)
    with pytest.raises(ValueError):
        F._zeros((4,), np.dtype(dtype))[0] = 1.0


def test_relu_in_place_and_not_keeps_nan_and_dtype():
    x = np.array([[-1.5, np.nan, 2.0, -0.0, np.inf, -np.inf]], np.float32)
    want = np.array([[0.0, np.nan, 2.0, 0.0, np.inf, 0.0]], np.float32)
    got = F.relu(x)
    assert got.dtype == np.float32 and got is not x
    np.testing.assert_array_equal(got, want)
    y = x.copy()
    assert F.relu(y, inplace=True) is y
    np.testing.assert_array_equal(y, want)
    strided = _rand((2, 3, 5, 7))[..., :4]
    np.testing.assert_array_equal(F.relu(strided), np.where(strided > 0, strided, 0.0))


# ------------------------------------------------------------------ row-padded residual adds

def test_row_padded_finds_the_buffer_only_of_a_plain_column_view():
    buf = _rand((2, 3, 4, 7))
    view = buf[..., :5]
    assert F._row_padded(view) is not None
    assert F._row_padded(view).shape == (2, 3, 4, 7)
    assert np.shares_memory(F._row_padded(view), buf)
    contiguous = _rand((2, 3, 4, 5))
    assert F._row_padded(contiguous) is contiguous
    assert F._row_padded(buf[..., 1:6]) is None           # does not start at the buffer's start
    assert F._row_padded(buf[:, :, :3, :5]) is None       # rows cut off
    assert F._row_padded(buf[:1, :, :, :5]) is None       # samples cut off
    assert F._row_padded(buf[..., ::2]) is None           # strided columns
    assert F._row_padded(buf.transpose(0, 1, 3, 2)) is None
    assert F._row_padded(buf[0, ..., :5]) is None         # not 4-D


@pytest.mark.parametrize("identity_kind", ["same_width", "contiguous", "other_width"])
def test_add_relu_equals_add_then_relu_and_leaves_identity_alone(identity_kind):
    out_buf = _rand((2, 4, 5, 8), 1)
    out = out_buf[..., :6]
    if identity_kind == "same_width":
        identity = _rand((2, 4, 5, 8), 2)[..., :6]
    elif identity_kind == "contiguous":
        identity = _rand((2, 4, 5, 6), 2)
    else:
        identity = _rand((2, 4, 5, 9), 2)[..., :6]
    want = np.maximum(out + identity, 0)
    id_before = identity.copy()
    got = F._add_relu_(out, identity)
    assert got is out
    np.testing.assert_array_equal(got, want)
    np.testing.assert_array_equal(identity, id_before)


def test_residual_stage_runs_without_floating_point_warnings():
    """Hidden columns of the row-padded conv outputs are finite, so a block adds them silently."""
    block = L.BasicBlock(8, 8, dtype=np.float32).eval()
    x = np.abs(_rand((1, 8, 9, 11), 3, np.float32)) * 1e30    # large but finite
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        first = block(x)
        second = block(first)                              # row-padded output + identity
    with patch.object(L, "_fusable", lambda *a: False):
        want = block(block(x))
    assert np.isfinite(second).all()
    np.testing.assert_array_equal(second, want)


def test_conv_output_hidden_tail_columns_are_zero():
    x = _rand((1, 2, 6, 6))
    w = _rand((3, 2, 3, 3), 1)
    real_empty = np.empty

    def dirty_empty(shape, dtype=float, *args, **kwargs):    # fresh memory is not always zeros
        a = real_empty(shape, dtype, *args, **kwargs)
        a.fill(np.nan if a.dtype.kind == "f" else -1)
        return a

    with patch.object(np, "empty", dirty_empty):
        out = F._conv2d_forward(x, w, (1, 1), (1, 1, 1, 1), (1, 1), 1, "shifted")
    assert np.empty is real_empty
    wide = F._row_padded(out)
    assert wide is not None and wide.shape[-1] > out.shape[-1]
    assert not np.any(wide[..., -1, out.shape[-1]:])            # past the last computed column
    np.testing.assert_allclose(out, R.conv2d(x, w, None, (1, 1), (1, 1, 1, 1), (1, 1)),
                               rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ the per-channel epilogue

@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("row, hidden", [(49, 0), (511, 2), (512, 1), (3246, 2), (12877, 3)])
def test_epilogue_equals_the_separate_steps_for_short_and_long_rows(row, hidden, dtype):
    # (N, groups, C_out/groups, row + hidden): the product's columns and its hidden ones
    whole = _rand((2, 2, 3, row + hidden), 1, dtype)
    bias, scale, shift = _rand(6, 2, dtype), _rand(6, 3, dtype), _rand(6, 4, dtype)
    want = whole[..., :row].reshape(2, 6, row)
    want = np.maximum((want + bias[:, None]) * scale[:, None] + shift[:, None], 0)
    before = np.getbufsize()
    y = whole[..., :row] if hidden else whole
    F._Post(2, 3, bias, scale, shift, True).apply(y, whole if hidden else None)
    assert np.getbufsize() == before                          # NumPy's setting is put back
    np.testing.assert_array_equal(y.reshape(2, 6, row), want.astype(dtype))
    assert np.all(np.isfinite(whole)) and np.all(whole >= 0)  # hidden columns: ReLU'd, finite


def test_epilogue_puts_numpy_buffer_size_back_after_an_error():
    y = _rand((1, 1, 2, 600))
    post = F._Post(1, 2, None, np.ones(2), np.zeros(2), False)
    before = np.getbufsize()

    def fails(*args, **kwargs):
        assert np.getbufsize() == F._ROW_BUFSIZE              # inside: the small buffer
        raise FloatingPointError("boom")

    post.params = [(fails, p) for _, p in post.params]
    with pytest.raises(FloatingPointError):
        post.apply(y)
    assert np.getbufsize() == before


# ------------------------------------------------------------------ stride 1: rows share their zeros

STRIDE1_CASES = [((3, 3), (1, 1), (1, 1, 1, 1)),       # ResNet's 3×3: W + 1 columns a row
                 ((3, 3), (1, 1), (0, 2, 3, 0)),       # all the padding on one side
                 ((1, 1), (1, 1), (2, 2, 2, 2)),       # padding wider than the kernel
                 ((3, 5), (2, 1), (2, 1, 0, 4)),       # dilated, asymmetric
                 ((5, 5), (1, 1), (2, 2, 2, 2)),
                 ((2, 4), (1, 2), (0, 0, 1, 0)),
                 ((3, 3), (1, 1), (0, 0, 0, 0))]       # no padding: a view of x


@pytest.mark.parametrize("kernel, dilation, pads", STRIDE1_CASES)
def test_shared_pad_rows_gives_every_tap_its_padded_input_value(kernel, dilation, pads):
    x = _rand((2, 3, 7, 6), 2) + 5.0                     # no zeros of its own
    n, c, h, wd = x.shape
    (kh, kw), (dh, dw), (pt, pb, pl, pr) = kernel, dilation, pads
    ho = h + pt + pb - dh * (kh - 1)
    wo = wd + pl + pr - dw * (kw - 1)
    hq, wq = ho + dh * (kh - 1), max(wo, wd + max(pl, pr))
    flat = F._shared_pad_rows(x, pads, hq, wq)
    assert flat.shape[:3] == (n, c, 1)
    padded = np.pad(x, ((0, 0), (0, 0), (pt, pb), (pl, pr)))
    for i in range(ho):
        for j in range(wo):
            for u in range(kh):
                for v in range(kw):
                    got = flat[:, :, 0, (i + u * dh) * wq + j + v * dw]
                    np.testing.assert_array_equal(got, padded[:, :, i + u * dh, j + v * dw])
    if not any(pads):
        assert np.shares_memory(flat, x)


@pytest.mark.parametrize("dtype", [np.float32, np.float64])
@pytest.mark.parametrize("kernel, dilation, pads", STRIDE1_CASES)
def test_stride1_shifted_convolution_matches_the_loop_oracle(kernel, dilation, pads, dtype):
    x = _rand((2, 3, 9, 8), 4, dtype)
    w = _rand((4, 3, *kernel), 5, dtype)
    got = F._conv2d_forward(x, w, (1, 1), pads, dilation, 1, "shifted")
    want = R.conv2d(x.astype(np.float64), w.astype(np.float64), None, (1, 1), pads, dilation)
    tol = 1e-12 if dtype == np.float64 else 1e-5
    assert got.dtype == dtype
    np.testing.assert_allclose(got, want, rtol=tol, atol=tol)
    wide = F._row_padded(got)                            # rows of W + max(left, right) columns
    if wide is not None and not got.flags.c_contiguous:
        assert wide.shape[-1] == max(got.shape[-1], x.shape[-1] + max(pads[2], pads[3]))


@pytest.mark.parametrize("stride, size, groups", [((2, 2), (14, 14), 1),   # ResNet's downsample
                                                  ((3, 2), (10, 7), 2),
                                                  ((1, 4), (5, 9), 1),
                                                  ((5, 5), (4, 4), 1)])  # one output position
def test_strided_1x1_convolution_matches_the_loop_oracle(stride, size, groups):
    x = _rand((2, 4, *size), 6)
    w = _rand((6, 4 // groups, 1, 1), 7)
    b = _rand(6, 8)
    got = F.conv2d(x, w, b, stride=stride, groups=groups)
    want = R.conv2d(x, w, b, stride, (0, 0, 0, 0), (1, 1), groups)
    assert got.shape == want.shape
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ strided convolutions

@pytest.mark.parametrize("k", range(1, 8))
@pytest.mark.parametrize("d", range(1, 4))
@pytest.mark.parametrize("s", range(1, 5))
def test_tap_groups_cover_every_tap_once_with_its_phase_and_shift(k, d, s):
    seen = []
    for u0, step, count, q0, dq in F._tap_groups(k, d, s):
        taps = list(range(u0, k, step))
        assert len(taps) == count
        assert step == s // math.gcd(d, s)
        for j, u in enumerate(taps):
            assert (u * d) % s == (u0 * d) % s                 # one phase per group
            assert (u * d) // s == q0 + j * dq                 # shifts grow by dq
        seen += taps
    assert sorted(seen) == list(range(k))


@pytest.mark.parametrize("stride, dilation, kernel", [((2, 2), (1, 1), (7, 7)),
                                                      ((3, 2), (2, 3), (5, 4)),
                                                      ((2, 4), (2, 2), (3, 6)),
                                                      ((4, 3), (6, 1), (2, 3))])
def test_strided_shifted_convolution_matches_the_loop_oracle(stride, dilation, kernel):
    x = _rand((2, 3, 23, 21), 4)
    w = _rand((4, 3, *kernel), 5)
    pads = (2, 1, 0, 3)
    got = F._conv2d_forward(x, w, stride, pads, dilation, 1, "shifted")
    want = R.conv2d(x, w, None, stride, pads, dilation)
    np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)


# ------------------------------------------------------------------ separable max pooling

@pytest.mark.parametrize("h, k, s, p, d, ceil_mode", [(4, 2, 2, 1, 1, False),   # no tap covers all
                                                      (5, 3, 2, 1, 2, True),
                                                      (7, 3, 3, 1, 1, True),
                                                      (1, 3, 1, 1, 1, False),
                                                      (9, 4, 1, 2, 2, False)])
def test_max_pool_without_a_tap_covering_every_output(h, k, s, p, d, ceil_mode):
    x = _rand((2, 3, h, h + 2), 6)
    got = F.max_pool2d(x, k, s, p, d, ceil_mode)
    want = R.max_pool2d(x, (k, k), (s, s), (p, p), (d, d), ceil_mode)
    np.testing.assert_array_equal(got, want)
    x[0, 1, h // 2, 1] = np.nan                            # NaN propagates to every window with it
    windows_with_nan = R.max_pool2d(np.isnan(x).astype(float), (k, k), (s, s), (p, p), (d, d),
                                    ceil_mode) > 0
    np.testing.assert_array_equal(np.isnan(F.max_pool2d(x, k, s, p, d, ceil_mode)),
                                  windows_with_nan)


# ------------------------------------------------------------------ the layer's input check

def test_conv_layer_checks_every_new_input_shape_and_a_changed_setting():
    conv = L.Conv2d(3, 4, 3, dtype=np.float64)
    conv(_rand((1, 3, 5, 5)))
    with pytest.raises(EngineError, match=r"Conv2d.*2 channels.*expects 3"):
        conv(_rand((1, 2, 5, 5)))
    with pytest.raises(EngineError, match=r"larger than the padded input"):
        conv(_rand((1, 3, 2, 5)))
    conv(_rand((1, 3, 5, 5)))
    conv.in_channels = 2                                   # a changed setting drops the memo
    with pytest.raises(EngineError, match=r"3 channels.*expects 2"):
        conv(_rand((1, 3, 5, 5)))


@pytest.mark.parametrize("n, size, groups", [(8, 12, 1),     # bias carried as a row of ones
                                             (1, 4, 1),      # too few columns: bias added after
                                             (4, 12, 2)])    # grouped: bias added after
def test_conv_bias_matches_the_oracle_whichever_way_it_is_added(n, size, groups):
    x = _rand((n, 4, size, size + 1), 7)
    w = _rand((6, 4 // groups, 3, 3), 8)
    b = _rand((6,), 9)
    for method in ("shifted", "windows"):
        got = F._conv2d_forward(x, w, (1, 1), (1, 1, 1, 1), (1, 1), groups, method, bias=b)
        want = R.conv2d(x, w, b, (1, 1), (1, 1, 1, 1), (1, 1), groups)
        np.testing.assert_allclose(got, want, rtol=1e-12, atol=1e-12)
    relu_got = F._conv2d_fused(x, w, b, 1, 1, 1, groups, None, None, True)
    np.testing.assert_array_equal(relu_got, F.relu(F.conv2d(x, w, b, 1, 1, 1, groups)))
