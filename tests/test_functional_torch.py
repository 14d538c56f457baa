"""Live cross-check of quizgen.engine.functional against torch.nn.functional."""
from __future__ import annotations

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from quizgen.engine import functional as F
from quizgen.errors import EngineError

torch = pytest.importorskip("torch")
TF = torch.nn.functional

pytestmark = pytest.mark.torch
TOL64, TOL32 = 1e-10, 1e-4
SETTINGS = settings(max_examples=150, deadline=None,
                    suppress_health_check=[HealthCheck.too_slow])


def _t(a):
    return None if a is None else torch.from_numpy(np.ascontiguousarray(a))


def _close(got, want, tol):
    want = want.detach().numpy()
    assert got.shape == want.shape and got.dtype == want.dtype
    np.testing.assert_allclose(got, want, rtol=0, atol=tol)


@st.composite
def conv_cases(draw):
    groups = draw(st.integers(1, 3))
    cg, og = draw(st.integers(1, 3)), draw(st.integers(1, 2))
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = (draw(st.integers(1, 3)), draw(st.integers(1, 3)))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    pads = tuple(draw(st.integers(0, 2)) for _ in range(4))
    form = draw(st.sampled_from(["int", "pair", "four", "same"]))
    if form == "same" and stride != (1, 1):
        form = "four"
    if form == "int":
        pads = (pads[0],) * 4
        padding, tpad = pads[0], pads[0]
    elif form == "pair":
        pads = (pads[0], pads[0], pads[2], pads[2])
        padding, tpad = (pads[0], pads[2]), (pads[0], pads[2])
    elif form == "same":
        th, tw = dil[0] * (kh - 1), dil[1] * (kw - 1)
        pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        padding, tpad = "same", "same"
    else:
        padding, tpad = pads, None
    eh, ew = dil[0] * (kh - 1) + 1, dil[1] * (kw - 1) + 1
    h0 = max(1, eh - pads[0] - pads[1])
    w0 = max(1, ew - pads[2] - pads[3])
    h, w = draw(st.integers(h0, h0 + 8)), draw(st.integers(w0, w0 + 8))
    n = draw(st.integers(1, 3))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((n, groups * cg, h, w)).astype(dtype)
    wt = rng.standard_normal((groups * og, cg, kh, kw)).astype(dtype)
    b = rng.standard_normal(groups * og).astype(dtype) if draw(st.booleans()) else None
    return x, wt, b, stride, padding, tpad, pads, dil, groups


@SETTINGS
@given(conv_cases())
def test_conv2d_matches_torch(case):
    x, w, b, stride, padding, tpad, pads, dil, groups = case
    tx = _t(x)
    if tpad is None:  # torch's conv2d has no 4-sided padding: pad first (F.pad is l, r, t, b)
        tx, tpad = TF.pad(tx, (pads[2], pads[3], pads[0], pads[1])), 0
    want = TF.conv2d(tx, _t(w), _t(b), stride, tpad, dil, groups)
    tol = TOL64 if x.dtype == np.float64 else TOL32
    _close(F.conv2d(x, w, b, stride, padding, dil, groups), want, tol)


@st.composite
def pool_cases(draw):
    kh, kw = draw(st.integers(1, 5)), draw(st.integers(1, 5))
    stride = draw(st.one_of(st.none(), st.tuples(st.integers(1, 3), st.integers(1, 3))))
    padding = (draw(st.integers(0, min(2, kh // 2))), draw(st.integers(0, min(2, kw // 2))))
    dil = (draw(st.integers(1, 2)), draw(st.integers(1, 2)))
    ceil_mode = draw(st.booleans())
    h, w = draw(st.integers(1, 12)), draw(st.integers(1, 12))
    dtype = draw(st.sampled_from([np.float64, np.float32]))
    rng = np.random.default_rng(draw(st.integers(0, 2**32 - 1)))
    x = rng.standard_normal((draw(st.integers(1, 2)), draw(st.integers(1, 3)), h, w))
    return x.astype(dtype), (kh, kw), stride, padding, dil, ceil_mode


def _torch_or_error(fn):
    try:
        return fn()
    except RuntimeError:
        return None


@SETTINGS
@given(pool_cases())
def test_max_pool2d_matches_torch(case):
    x, k, stride, padding, dil, ceil_mode = case
    want = _torch_or_error(lambda: TF.max_pool2d(_t(x), k, stride, padding, dil, ceil_mode))
    if want is None:
        with pytest.raises(EngineError, match="max_pool2d: no output"):
            F.max_pool2d(x, k, stride, padding, dil, ceil_mode)
        return
    _close(F.max_pool2d(x, k, stride, padding, dil, ceil_mode), want, 0)


@SETTINGS
@given(pool_cases(), st.booleans(), st.one_of(st.none(), st.integers(1, 7)))
def test_avg_pool2d_matches_torch(case, count_include_pad, divisor_override):
    x, k, stride, padding, _, ceil_mode = case
    args = (k, stride, padding, ceil_mode, count_include_pad, divisor_override)
    want = _torch_or_error(lambda: TF.avg_pool2d(_t(x), *args))
    if want is None:
        with pytest.raises(EngineError, match="avg_pool2d: no output"):
            F.avg_pool2d(x, *args)
        return
    tol = TOL64 if x.dtype == np.float64 else 1e-6
    _close(F.avg_pool2d(x, *args), want, tol)


@settings(max_examples=80, deadline=None)
@given(st.integers(1, 12), st.integers(1, 12), st.integers(1, 9), st.integers(1, 9),
       st.integers(0, 2**32 - 1))
def test_adaptive_avg_pool2d_matches_torch(h, w, ho, wo, seed):
    x = np.random.default_rng(seed).standard_normal((2, 3, h, w))
    _close(F.adaptive_avg_pool2d(x, (ho, wo)), TF.adaptive_avg_pool2d(_t(x), (ho, wo)), TOL64)


@pytest.mark.parametrize("size, out", [((7, 5), (3, 2)), ((5, 7), (4, 6)), ((13, 13), (7, 7)),
                                       ((6, 10), (None, 4)), ((8, 8), 1), ((3, 3), (5, 5))])
def test_adaptive_avg_pool2d_non_divisible(size, out):
    x = np.random.default_rng(0).standard_normal((1, 2) + size)
    _close(F.adaptive_avg_pool2d(x, out), TF.adaptive_avg_pool2d(_t(x), out), TOL64)


@pytest.mark.parametrize("dtype, tol", [(np.float64, TOL64), (np.float32, 1e-5)])
@pytest.mark.parametrize("shape", [(4, 3), (2, 3, 5), (3, 4, 5, 6)])
def test_batch_norm_train_and_eval(shape, dtype, tol):
    rng = np.random.default_rng(sum(shape))
    x = (rng.standard_normal(shape) * 3 + 1).astype(dtype)
    c = shape[1]
    gamma, beta = rng.standard_normal(c).astype(dtype), rng.standard_normal(c).astype(dtype)
    rm, rv = rng.standard_normal(c).astype(dtype), rng.uniform(0.5, 2, c).astype(dtype)
    trm, trv = _t(rm.copy()), _t(rv.copy())
    for momentum in (0.1, 0.3):
        got = F.batch_norm(x, rm, rv, gamma, beta, training=True, momentum=momentum, eps=1e-3)
        want = TF.batch_norm(_t(x), trm, trv, _t(gamma), _t(beta), training=True,
                             momentum=momentum, eps=1e-3)
        _close(got, want, tol)
        _close(rm, trm, tol)
        _close(rv, trv, tol)
    _close(F.batch_norm(x, rm, rv, gamma, beta), TF.batch_norm(_t(x), trm, trv, _t(gamma),
                                                              _t(beta)), tol)
    _close(F.batch_norm(x, None, None, training=True),
           TF.batch_norm(_t(x), None, None, training=True), tol)


@pytest.mark.parametrize("dim", [0, 1, -1])
def test_softmax_log_softmax(dim):
    x = np.random.default_rng(3).standard_normal((4, 5, 3)) * 30
    _close(F.softmax(x, dim), TF.softmax(_t(x), dim), TOL64)
    _close(F.log_softmax(x, dim), TF.log_softmax(_t(x), dim), TOL64)
    x32 = x.astype(np.float32)
    _close(F.log_softmax(x32, dim), TF.log_softmax(_t(x32), dim), 1e-4)


@pytest.mark.parametrize("reduction", ["mean", "sum", "none"])
@pytest.mark.parametrize("shape", [(5,), (4, 5), (3, 5, 2, 2)])
def test_cross_entropy(shape, reduction):
    rng = np.random.default_rng(len(shape))
    x = rng.standard_normal(shape) * 4
    cdim = 0 if len(shape) == 1 else 1
    tshape = shape[:cdim] + shape[cdim + 1:]
    idx = rng.integers(0, shape[cdim], tshape)
    got = F.cross_entropy(x, idx, reduction)
    want = TF.cross_entropy(_t(x), _t(idx), reduction=reduction)
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=TOL64)
    probs = rng.uniform(size=shape)
    probs /= probs.sum(axis=cdim, keepdims=True)
    got = F.cross_entropy(x, probs, reduction)
    want = TF.cross_entropy(_t(x), _t(probs), reduction=reduction)
    np.testing.assert_allclose(got, want.numpy(), rtol=0, atol=TOL64)


def test_linear_activations_flatten():
    rng = np.random.default_rng(9)
    x, w, b = rng.standard_normal((2, 3, 7)), rng.standard_normal((4, 7)), rng.standard_normal(4)
    _close(F.linear(x, w, b), TF.linear(_t(x), _t(w), _t(b)), TOL64)
    z = rng.standard_normal((3, 4)) * 20
    _close(F.relu(z), TF.relu(_t(z)), 0)
    _close(F.sigmoid(z), torch.sigmoid(_t(z)), TOL64)
    _close(F.tanh(z), torch.tanh(_t(z)), TOL64)
    y = rng.standard_normal((2, 3, 4, 5))
    for s, e in ((1, -1), (0, 2), (2, 3)):
        _close(F.flatten(y, s, e), torch.flatten(_t(y), s, e), 0)
