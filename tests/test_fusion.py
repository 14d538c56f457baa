"""conv → batch norm → ReLU run as one op: bit-for-bit the separate layers, and only when allowed."""
from __future__ import annotations

from unittest.mock import patch

import numpy as np
import pytest

from quizgen.engine import functional as F
from quizgen.engine import layers as L
from quizgen.engine import models as M
from quizgen.errors import EngineError


def _rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


def _bn(channels, seed, dtype=np.float64, affine=True):
    """An evaluation-mode BatchNorm2d with non-trivial statistics and affine parameters."""
    bn = L.BatchNorm2d(channels, eps=1e-3, affine=affine, dtype=dtype)
    rng = np.random.default_rng(seed)
    bn.running_mean[...] = rng.standard_normal(channels)
    bn.running_var[...] = rng.random(channels) + 0.5
    if affine:
        bn.weight = rng.standard_normal(channels).astype(dtype)
        bn.bias = rng.standard_normal(channels).astype(dtype)
    return bn.eval()


def _unfused(x, conv, bn, relu):
    y = conv(x)
    if bn is not None:
        y = bn(y)
    return relu(y) if relu is not None else y


CONVS = [dict(in_channels=3, out_channels=5, kernel_size=3, padding=1),
         dict(in_channels=3, out_channels=4, kernel_size=3, stride=2, padding=1, bias=False),
         dict(in_channels=4, out_channels=6, kernel_size=1),
         dict(in_channels=4, out_channels=6, kernel_size=(2, 5), padding=(0, 1, 2, 0), groups=2),
         dict(in_channels=2, out_channels=3, kernel_size=3, dilation=2, padding=2),
         dict(in_channels=1, out_channels=6, kernel_size=5, padding=2)]


@pytest.mark.parametrize("dtype", [np.float64, np.float32])
@pytest.mark.parametrize("kwargs", CONVS)
@pytest.mark.parametrize("with_bn, with_relu, affine",
                         [(True, True, True), (True, False, True), (False, True, True),
                          (False, False, True), (True, True, False)])
def test_fused_equals_the_separate_layers_bit_for_bit(kwargs, with_bn, with_relu, affine, dtype):
    conv = L.Conv2d(**kwargs, dtype=dtype)
    conv.reset_parameters(7)
    bn = _bn(conv.out_channels, 3, dtype, affine) if with_bn else None
    relu = L.ReLU(dtype=dtype) if with_relu else None
    x = _rand((2, conv.in_channels, 9, 11), 1).astype(dtype)
    x_before = x.copy()
    assert L._fusable(x, conv, bn, relu)
    got = L.conv_bn_relu(x, conv, bn, relu)
    want = _unfused(x, conv, bn, relu)
    assert got.dtype == want.dtype == dtype
    assert np.array_equal(got, want)
    assert np.array_equal(x, x_before)                      # the input is never written


def test_fused_functional_equals_conv_batch_norm_relu():
    x, w, b = _rand((2, 3, 8, 7), 1), _rand((4, 3, 3, 3), 2), _rand(4, 3)
    mean, var, gamma, beta = _rand(4, 4), np.abs(_rand(4, 5)) + 0.1, _rand(4, 6), _rand(4, 7)
    scale, shift = F.batch_norm_affine(4, mean, var, gamma, beta, 1e-5, np.float64)
    got = F._conv2d_fused(x, w, b, 1, 1, 1, 1, scale, shift, True)
    want = F.relu(F.batch_norm(F.conv2d(x, w, b, padding=1), mean, var, gamma, beta))
    assert np.array_equal(got, want)
    # the closed form of the affine map
    np.testing.assert_allclose(scale, gamma / np.sqrt(var + 1e-5), rtol=1e-15)
    np.testing.assert_allclose(shift, beta - mean * gamma / np.sqrt(var + 1e-5), rtol=1e-15)


def test_batch_norm_affine_names_the_bad_statistic():
    with pytest.raises(EngineError, match=r"bn1: batch_norm: running_var must have shape \(4,\)"):
        F.batch_norm_affine(4, np.zeros(4), np.ones(3), None, None, 1e-5, np.float64,
                            name="bn1")
    with pytest.raises(EngineError, match="running_mean must be given in evaluation mode"):
        F.batch_norm_affine(4, None, np.ones(4), None, None, 1e-5, np.float64)


def _spy_on(cls):
    calls = []
    original = cls.forward

    def forward(self, *args, **kwargs):
        calls.append(self)
        return original(self, *args, **kwargs)
    return calls, patch.object(cls, "forward", forward)


def test_not_fused_in_training_mode_and_running_stats_still_update():
    conv = L.Conv2d(2, 3, 3, dtype=np.float64)
    bn = _bn(3, 1).train()
    x = _rand((4, 2, 6, 6))
    assert not L._fusable(x, conv, bn, None)
    before = bn.running_mean.copy()
    got = L.conv_bn_relu(x, conv, bn, L.ReLU())
    assert not np.array_equal(bn.running_mean, before)
    y = F.conv2d(x, conv.weight, conv.bias)
    mean = y.mean(axis=(0, 2, 3))
    np.testing.assert_allclose(bn.running_mean, 0.9 * before + 0.1 * mean, rtol=1e-12)
    assert np.all(got >= 0)


@pytest.mark.parametrize("case", ["subclass", "patched", "other_act", "no_running_stats",
                                  "channels", "dtype", "unbatched"])
def test_falls_back_to_the_separate_layers(case):
    conv, bn, relu = L.Conv2d(2, 3, 3, padding=1), _bn(3, 1), L.ReLU()
    x = _rand((1, 2, 5, 5))
    if case == "subclass":
        class LeakyConv(L.Conv2d):
            def forward(self, x):
                return super().forward(x) - 1.0
        conv = LeakyConv(2, 3, 3, padding=1)
    elif case == "patched":
        object.__setattr__(relu, "forward", lambda y: np.tanh(y))
    elif case == "other_act":
        relu = L.Tanh()
    elif case == "no_running_stats":
        bn = L.BatchNorm2d(3, track_running_stats=False).eval()
    elif case == "channels":
        bn = _bn(4, 1)
    elif case == "dtype":
        bn = _bn(3, 1, dtype=np.float32)
    elif case == "unbatched":
        x = x[0]
    assert not L._fusable(conv._input(x), conv, bn, relu)
    if case == "channels":
        with pytest.raises(EngineError, match="input has 3 channels but the layer normalises 4"):
            L.conv_bn_relu(x, conv, bn, relu)
        return
    if case == "unbatched":
        with pytest.raises(EngineError, match="expected a 4-D"):
            L.conv_bn_relu(x, conv, bn, relu)
        return
    assert np.array_equal(L.conv_bn_relu(x, conv, bn, relu), _unfused(x, conv, bn, relu))


def test_sequential_fuses_conv_bn_relu_runs_and_matches_layer_by_layer():
    net = M.build_cnn([("conv", dict(out_channels=4, kernel_size=3, padding=1)), ("bn",), "relu",
                       ("conv", dict(out_channels=5, kernel_size=3)), "relu",
                       ("conv", dict(out_channels=3, kernel_size=1)), ("bn",),
                       ("maxpool", dict(kernel_size=2)), "flatten",
                       ("linear", dict(out_features=2))], in_channels=2, input_size=(9, 9))
    for i in (1, 6):
        net[i].running_mean[...] = _rand(net[i].num_features, i)
        net[i].running_var[...] = np.abs(_rand(net[i].num_features, i + 1)) + 0.2
    net.eval()
    x = _rand((3, 2, 9, 9), 5)
    want = x
    for m in net:
        want = m(want)
    calls, spy = _spy_on(L.BatchNorm2d)
    with spy:
        got = net(x)
    assert calls == []                        # both batch norms ran inside their convolutions
    assert np.array_equal(got, want)


def test_resnet_blocks_fused_equal_unfused_and_leave_the_input_alone():
    model = M.resnet18(num_classes=7, seed=3)
    rng = np.random.default_rng(0)
    for name, m in model.named_modules():
        if isinstance(m, L.BatchNorm2d):
            m.running_mean[...] = rng.standard_normal(m.num_features) * 0.1
            m.running_var[...] = rng.random(m.num_features) + 0.5
    x = _rand((2, 3, 40, 36), 1)
    x_before = x.copy()
    got = model(x)
    assert np.array_equal(x, x_before)
    with patch.object(L, "_fusable", lambda *a: False):
        want = model(x)
    assert np.array_equal(got, want)
    bottleneck = M.resnet50(num_classes=5, seed=2)
    x = _rand((1, 3, 32, 32), 2)
    got = bottleneck(x)
    with patch.object(L, "_fusable", lambda *a: False):
        assert np.array_equal(got, bottleneck(x))


@pytest.mark.parametrize("statistic", ["running_mean", "running_var"])
def test_fused_batch_norm_with_statistics_of_another_dtype_matches_unfused(statistic):
    # A buffer assigned by hand keeps its own dtype and may be a list; the fused path must cast
    # it exactly as batch_norm does (the checked route), not use it as it is.
    conv = L.Conv2d(2, 3, 3, padding=1, dtype=np.float32)
    bn = _bn(3, 4, dtype=np.float32)
    setattr(bn, statistic, getattr(bn, statistic).astype(np.float64) + 0.25)
    x = _rand((2, 2, 6, 5), 2).astype(np.float32)
    assert L._fusable(x, conv, bn, None)
    got = L.conv_bn_relu(x, conv, bn, L.ReLU(dtype=np.float32))
    assert got.dtype == np.float32
    assert np.array_equal(got, _unfused(x, conv, bn, L.ReLU(dtype=np.float32)))
    setattr(bn, statistic, [1.0, 2.0])                       # wrong length: the layer is named
    with pytest.raises(EngineError,
                       match=rf"BatchNorm2d: batch_norm: {statistic} must have shape \(3,\)"):
        L.conv_bn_relu(x, conv, bn, None)


@pytest.mark.parametrize("kwargs", CONVS)
def test_fused_unbatched_conv_relu_equals_functional(kwargs):
    conv = L.Conv2d(**kwargs)
    conv.reset_parameters(5)
    x = _rand((conv.in_channels, 8, 10), 3)
    got = L.conv_bn_relu(x, conv, None, L.ReLU())
    want = F.relu(F.conv2d(x, conv.weight, conv.bias if conv.has_bias else None,
                           stride=conv.stride, padding=conv._pads, dilation=conv.dilation,
                           groups=conv.groups))
    assert got.shape == want.shape == conv.output_shape(x.shape)
    assert np.array_equal(got, want)
