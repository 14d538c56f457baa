"""Live cross-check of the NumPy models against torch twins built by hand (torchvision layout).

torchvision cannot be installed here, so the twins are written out in
tests/fixtures/make_model_fixtures.py like torchvision's code; our ``state_dict()`` is loaded
into them (strict), both run in float64, and the outputs must agree to 1e-10 relative.
"""
from __future__ import annotations

import importlib.util
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

torch = pytest.importorskip("torch")

from quizgen.engine import layers as L  # noqa: E402
from quizgen.engine import models as M  # noqa: E402
from quizgen.engine import shapes as S  # noqa: E402

pytestmark = pytest.mark.torch
TOL = 1e-10


def _script():
    path = Path(__file__).parent / "fixtures" / "make_model_fixtures.py"
    spec = importlib.util.spec_from_file_location("make_model_fixtures", path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MF = _script()


def _compare(model, net, x):
    MF.load_into_torch(net, model.state_dict())
    with torch.no_grad():
        want = net(torch.from_numpy(x)).numpy()
    got = model(x)
    assert got.shape == want.shape and got.dtype == np.float64
    scale = np.max(np.abs(want))
    assert scale > 1e-3
    assert np.max(np.abs(got - want)) <= TOL * scale, np.max(np.abs(got - want)) / scale
    return got


def _input(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


@pytest.mark.parametrize("padding, size", [(2, 28), (0, 32)])
def test_lenet5_matches_torch(padding, size):
    model = M.lenet5(padding, seed=3)
    _compare(model, MF.torch_twin("lenet5", padding=padding), _input((3, 1, size, size)))


def test_resnet18_full_size_matches_torch():
    model = M.resnet18(seed=4)
    MF.perturb_batchnorm(model, 4)
    _compare(model, MF.torch_twin("resnet18"), _input((1, 3, 224, 224)))


def test_resnet50_small_input_matches_torch():
    model = M.resnet50(seed=5)
    MF.perturb_batchnorm(model, 5)
    _compare(model, MF.torch_twin("resnet50"), _input((1, 3, 40, 32)))


@pytest.mark.parametrize("inplanes, planes, stride", [(64, 16, 1), (32, 16, 2), (64, 32, 2)])
def test_bottleneck_block_matches_torch(inplanes, planes, stride):
    T = MF.torch_classes()
    downsample = None
    tdown = None
    if stride != 1 or inplanes != planes * 4:
        downsample = L.Sequential(L.conv1x1(inplanes, planes * 4, stride),
                                  L.BatchNorm2d(planes * 4))
        tdown = torch.nn.Sequential(
            torch.nn.Conv2d(inplanes, planes * 4, 1, stride=stride, bias=False),
            torch.nn.BatchNorm2d(planes * 4))
    block = L.Bottleneck(inplanes, planes, stride, downsample).reset_parameters(9).eval()
    MF.perturb_batchnorm(block, 9)
    net = T.Bottleneck(inplanes, planes, stride, tdown).double().eval()
    x = _input((2, inplanes, 9, 8))
    got = _compare(block, net, x)
    assert got.shape == block.output_shape(x.shape)


def test_basic_block_and_batchnorm_training_mode_match_torch():
    """Training mode: batch statistics, running-stat updates and the counter agree with torch."""
    model = M.resnet18(num_classes=7, seed=6).train()
    net = MF.torch_twin("resnet18", num_classes=7)
    MF.load_into_torch(net, model.state_dict())
    net.train()
    x = _input((3, 3, 40, 40), 2)
    for _ in range(2):
        with torch.no_grad():
            want = net(torch.from_numpy(x)).numpy()
        got = model(x)
        assert np.max(np.abs(got - want)) <= 1e-9 * np.max(np.abs(want))
    theirs = {k: v.numpy() for k, v in net.state_dict().items()}
    for key, ours in model.state_dict().items():
        np.testing.assert_allclose(ours, theirs[key], rtol=1e-10, atol=1e-12, err_msg=key)
    assert int(model.state_dict()["layer3.1.bn2.num_batches_tracked"]) == 2


@pytest.mark.parametrize("name", ["lenet_deeprob", "googlenet_stem", "tiny_cnn"])
def test_sequential_models_match_torch(name):
    model = MF.build_case(name)
    _compare(model, MF.torch_model(name), MF.case_input(name).astype(np.float64))


@pytest.mark.parametrize("name", ["lenet5", "alexnet", "vgg11", "vgg13", "vgg16", "vgg19",
                                  "resnet18", "resnet34", "resnet50", "resnet101", "resnet152"])
def test_state_dict_layout_equals_the_torch_twin(name):
    """Same keys, same order, same shapes as the torchvision-style twin (built on 'meta')."""
    with torch.device("meta"):
        net = MF.torch_twin(name)
    theirs = [(k, tuple(v.shape)) for k, v in net.state_dict().items()]
    ours = list(M.MODELS[name].build().state_shapes().items())
    assert ours == theirs
    assert M.MODELS[name].build().num_parameters() == sum(p.numel() for p in net.parameters())


# -- shapes.py closed forms against torch's own shape rules ---------------------------------------

@settings(max_examples=200, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 3))
def test_conv_out_equals_torch(n, k, s, p, d):
    x = torch.zeros(1, 1, n, 1)
    w = torch.zeros(1, 1, k, 1)
    if d * (k - 1) + 1 > n + 2 * p:
        with pytest.raises(RuntimeError):
            torch.nn.functional.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1))
        return
    out = torch.nn.functional.conv2d(x, w, stride=(s, 1), padding=(p, 0), dilation=(d, 1))
    assert out.shape[2] == S.conv_out(n, k, s, p, d)


@settings(max_examples=300, deadline=None)
@given(n=st.integers(1, 20), k=st.integers(1, 6), s=st.integers(1, 4), p=st.integers(0, 3),
       d=st.integers(1, 2), ceil=st.booleans())
def test_pool_out_equals_torch(n, k, s, p, d, ceil):
    x = torch.zeros(1, 1, n, n)
    try:
        out = torch.nn.functional.max_pool2d(x, k, s, p, d, ceil_mode=ceil)
    except RuntimeError:
        with pytest.raises(Exception):
            S.pool_out(n, k, s, p, d, ceil)
        return
    assert out.shape[2] == S.pool_out(n, k, s, p, d, ceil)
    if d == 1 and p <= k // 2:
        avg = torch.nn.functional.avg_pool2d(x, k, s, p, ceil_mode=ceil)
        assert avg.shape[2] == S.pool_out(n, k, s, p, 1, ceil)
