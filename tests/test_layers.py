"""The Module system: naming, state_dict, weights loading, seeding, modes, dtype, errors."""
from __future__ import annotations

import copy
import math
import pickle

import numpy as np
import pytest

from quizgen.engine import functional as F
from quizgen.engine import layers as L
from quizgen.engine import models as M
from quizgen.errors import EngineError, WeightsError


def _rand(shape, seed=0):
    return np.random.default_rng(seed).standard_normal(shape)


# -- names and state_dict layout -----------------------------------------------------------------

def test_lenet5_state_dict_keys_are_the_slides_names():
    keys = list(M.lenet5().state_dict())
    assert keys == ["conv1.weight", "conv1.bias", "conv2.weight", "conv2.bias", "fc1.weight",
                    "fc1.bias", "fc2.weight", "fc2.bias", "fc3.weight", "fc3.bias"]


def test_alexnet_and_vgg_keys_use_torchvision_indices():
    alex = M.alexnet().parameter_shapes()
    assert list(alex) == [f"features.{i}.{p}" for i in (0, 3, 6, 8, 10) for p in ("weight", "bias")] \
        + [f"classifier.{i}.{p}" for i in (1, 4, 6) for p in ("weight", "bias")]
    assert alex["features.0.weight"] == (64, 3, 11, 11)
    assert alex["classifier.1.weight"] == (4096, 9216)
    vgg = M.vgg16().parameter_shapes()
    convs = sorted({int(k.split(".")[1]) for k in vgg if k.startswith("features.")})
    assert convs == [0, 2, 5, 7, 10, 12, 14, 17, 19, 21, 24, 26, 28]
    assert [k for k in vgg if k.startswith("classifier")] == [
        f"classifier.{i}.{p}" for i in (0, 3, 6) for p in ("weight", "bias")]


def test_resnet_state_dict_layout_matches_torchvision():
    sd_keys = list(M.resnet18().state_dict())
    assert sd_keys[:6] == ["conv1.weight", "bn1.weight", "bn1.bias", "bn1.running_mean",
                           "bn1.running_var", "bn1.num_batches_tracked"]
    assert "layer2.0.downsample.0.weight" in sd_keys
    assert "layer2.0.downsample.1.running_var" in sd_keys
    assert "layer1.0.downsample.0.weight" not in sd_keys
    assert sd_keys[-2:] == ["fc.weight", "fc.bias"]
    assert len(sd_keys) == 122            # torchvision resnet18().state_dict() has 122 entries
    shapes = M.resnet50().parameter_shapes()
    # stride on the 3×3 conv (ResNet v1.5): the block's conv1 is 1×1, conv2 3×3
    assert shapes["layer2.0.conv1.weight"] == (128, 256, 1, 1)
    assert shapes["layer2.0.conv2.weight"] == (128, 128, 3, 3)
    assert shapes["layer2.0.conv3.weight"] == (512, 128, 1, 1)
    assert shapes["layer1.0.downsample.0.weight"] == (256, 64, 1, 1)
    assert M.resnet50().layer2[0].conv2.stride == (2, 2)
    assert M.resnet50().layer2[0].conv1.stride == (1, 1)
    sd = M.resnet18().state_dict()
    assert sd["bn1.num_batches_tracked"].dtype == np.int64 and sd["bn1.num_batches_tracked"].shape == ()


def test_named_modules_and_qualified_names():
    model = M.resnet18()
    names = [n for n, _ in model.named_modules()]
    assert names[0] == "" and "layer3.1.bn2" in names and "layer4.0.downsample.0" in names
    assert model.layer3[1].bn2.qualified_name == "layer3.1.bn2"
    assert model.layer3[1].bn2._label() == "layer3.1.bn2 (BatchNorm2d)"
    assert L.Conv2d(1, 1, 1)._label() == "Conv2d"


def test_sequential_container():
    seq = L.Sequential(L.Conv2d(1, 2, 3), L.ReLU(), L.Flatten())
    assert len(seq) == 3 and isinstance(seq[0], L.Conv2d) and isinstance(seq[-1], L.Flatten)
    assert [type(m).__name__ for m in seq] == ["Conv2d", "ReLU", "Flatten"]
    sub = seq[:2]
    assert isinstance(sub, L.Sequential) and len(sub) == 2
    with pytest.raises(EngineError, match="index 5 out of range"):
        seq[5]
    seq.append(L.Linear(8, 2))
    assert list(seq.state_dict()) == ["0.weight", "0.bias", "3.weight", "3.bias"]
    assert seq.output_shape((1, 1, 4, 4)) == (1, 2)
    assert "Conv2d(1, 2, kernel_size=(3, 3), stride=(1, 1))" in repr(seq)


# -- seeding, laziness, dtype ----------------------------------------------------------------------

def test_seeded_initialisation_is_deterministic_and_order_independent():
    a, b = M.lenet5(seed=3), M.lenet5(seed=3)
    _ = b.fc3.weight                       # read a late layer first
    for (ka, va), (kb, vb) in zip(a.state_dict().items(), b.state_dict().items()):
        assert ka == kb and np.array_equal(va, vb)
    c = M.lenet5(seed=4)
    assert not np.array_equal(a.conv1.weight, c.conv1.weight)
    r = M.resnet18()     # two layers of the same shape draw from different streams
    assert not np.array_equal(r.layer1[0].conv1.weight, r.layer1[0].conv2.weight)


def test_torch_default_init_bounds():
    conv = M.alexnet().features[3]          # fan_in = 64·5·5
    bound = 1 / math.sqrt(64 * 25)
    w = conv.weight
    assert w.shape == (192, 64, 5, 5) and np.abs(w).max() <= bound
    assert np.abs(w).max() > 0.95 * bound   # uniform fills the interval
    assert abs(w.std() - bound / math.sqrt(3)) < 0.02 * bound
    assert np.abs(conv.bias).max() <= bound
    bn = M.resnet18().bn1
    assert np.all(bn.weight == 1) and np.all(bn.bias == 0)
    assert np.all(bn.running_mean == 0) and np.all(bn.running_var == 1)


def test_parameters_are_created_only_when_read():
    model = M.vgg16()
    assert model.num_parameters() == 138_357_544
    assert all(not m.__dict__["_params"] for m in model.modules())
    model.output_shape((1, 3, 224, 224))
    assert all(not m.__dict__["_params"] for m in model.modules())
    _ = model.classifier[6].weight
    assert [n for n, m in model.named_modules() if m.__dict__["_params"]] == ["classifier.6"]


def test_float32_on_request():
    model = M.lenet5(dtype=np.float32)
    assert model.dtype == np.float32 and model.conv1.weight.dtype == np.float32
    out = model(_rand((2, 1, 28, 28)))
    assert out.dtype == np.float32
    ref = M.lenet5()(_rand((2, 1, 28, 28)))
    assert ref.dtype == np.float64
    np.testing.assert_allclose(out, ref, rtol=1e-4, atol=1e-6)
    assert np.array_equal(model.conv1.weight, M.lenet5().conv1.weight.astype(np.float32))
    with pytest.raises(EngineError, match="float32 or float64"):
        M.lenet5(dtype=np.int32)


def test_models_are_returned_in_eval_mode_and_train_propagates():
    model = M.resnet18()
    assert not any(m.training for m in model.modules())
    model.train()
    assert all(m.training for m in model.modules())
    assert model.eval() is model and not model.layer1[0].bn1.training
    assert L.Conv2d(1, 1, 1).training          # fresh layers train, as torch


# -- layer semantics ------------------------------------------------------------------------------

def test_batchnorm_eval_and_training_update():
    bn = L.BatchNorm2d(3)
    rng = np.random.default_rng(1)
    bn.weight = rng.uniform(0.5, 2, 3)
    bn.bias = rng.standard_normal(3)
    bn.running_mean = rng.standard_normal(3)
    bn.running_var = rng.uniform(0.5, 2, 3)
    x = rng.standard_normal((4, 3, 5, 5))
    bn.eval()
    expected = ((x - bn.running_mean[None, :, None, None])
                / np.sqrt(bn.running_var[None, :, None, None] + 1e-5)
                * bn.weight[None, :, None, None] + bn.bias[None, :, None, None])
    np.testing.assert_allclose(bn(x), expected, rtol=1e-12)
    before_mean, before_var = bn.running_mean.copy(), bn.running_var.copy()
    bn.train()
    y = bn(x)
    mu, var = x.mean(axis=(0, 2, 3)), x.var(axis=(0, 2, 3))
    np.testing.assert_allclose(y.mean(axis=(0, 2, 3)), bn.bias, atol=1e-12)
    np.testing.assert_allclose(bn.running_mean, 0.9 * before_mean + 0.1 * mu, rtol=1e-12)
    m = 4 * 25
    np.testing.assert_allclose(bn.running_var, 0.9 * before_var + 0.1 * var * m / (m - 1),
                               rtol=1e-12)
    assert int(bn.num_batches_tracked) == 1
    cumulative = L.BatchNorm2d(3, momentum=None).train()
    cumulative(x)
    np.testing.assert_allclose(cumulative.running_mean, mu, rtol=1e-12)   # factor 1/1
    assert L.BatchNorm2d(3, affine=False).state_dict().keys() == {
        "running_mean", "running_var", "num_batches_tracked"}
    assert L.BatchNorm2d(3, track_running_stats=False).state_dict().keys() == {"weight", "bias"}


def test_dropout_identity_in_eval_and_seeded_in_training():
    x = np.ones((2, 1000))
    d = L.Dropout(0.5).eval()
    assert np.array_equal(d(x), x)
    d.train()
    y = d(x)
    assert set(np.unique(y)) <= {0.0, 2.0} and 400 < (y == 0).sum() / 2 < 600
    d2 = L.Dropout(0.5).train()
    assert np.array_equal(d2(x), y)


def test_adaptive_pool_costs_and_matches_functional():
    pool = L.AdaptiveAvgPool2d((3, 2))
    x = _rand((1, 2, 7, 5))
    assert pool(x).shape == pool.output_shape(x.shape) == (1, 2, 3, 2)
    np.testing.assert_allclose(pool(x), F.adaptive_avg_pool2d(x, (3, 2)))
    # windows [0,3) [2,5) [4,7) rows; [0,3) [2,5) cols: 3+3+3 times 3+3 window reads per channel
    assert pool.cost(x.shape).pool_ops == 2 * 9 * 6
    assert L.AdaptiveAvgPool2d(1).cost((1, 1024, 7, 7)).pool_ops == 1024 * 49
    assert L.AdaptiveAvgPool2d((None, 2)).output_shape((1, 3, 5, 6)) == (1, 3, 5, 2)


def test_conv_padding_forms():
    x = _rand((1, 2, 6, 7))
    for padding, expected in [("same", (1, 3, 6, 7)), ("valid", (1, 3, 4, 5)),
                              ((1, 0), (1, 3, 6, 5)), ((0, 1, 0, 1), (1, 3, 5, 6))]:
        conv = L.Conv2d(2, 3, 3, padding=padding)
        assert conv.output_shape(x.shape) == expected == conv(x).shape
    even = L.Conv2d(2, 1, 4, padding="same")
    assert even(x).shape == (1, 1, 6, 7)
    with pytest.raises(EngineError, match="'same' needs stride 1"):
        L.Conv2d(2, 1, 3, stride=2, padding="same")


def test_unbatched_input_like_torch():
    conv = L.Conv2d(3, 4, 3, padding=1)
    assert conv(_rand((3, 5, 5))).shape == conv.output_shape((3, 5, 5)) == (4, 5, 5)
    pool = L.MaxPool2d(2)
    assert pool(_rand((3, 4, 4))).shape == pool.output_shape((3, 4, 4)) == (3, 2, 2)


def test_integer_input_is_converted():
    conv = L.Conv2d(1, 1, 2, bias=False)
    conv.weight = np.ones((1, 1, 2, 2))
    out = conv(np.arange(9).reshape(1, 1, 3, 3))
    assert out.dtype == np.float64
    assert out[0, 0].tolist() == [[8.0, 12.0], [20.0, 24.0]]


# -- errors --------------------------------------------------------------------------------------

def test_channel_mismatch_names_the_layer():
    model = M.alexnet()
    x = _rand((1, 4, 227, 227))
    for call in (lambda: model(x), lambda: model.output_shape(x.shape)):
        with pytest.raises(EngineError) as info:
            call()
        msg = str(info.value)
        assert msg.startswith("features.0 (Conv2d): input has 4 channels but weight expects 3")
        assert "(1, 4, 227, 227)" in msg and "(64, 3, 11, 11)" in msg


def test_kernel_larger_than_padded_input_names_the_layer():
    with pytest.raises(EngineError) as info:
        M.lenet5()(_rand((1, 1, 4, 4)))
    msg = str(info.value)
    assert msg.startswith("conv2 (Conv2d): kernel 5×5 is larger than the padded input 2×2")
    assert "(1, 6, 2, 2)" in msg
    with pytest.raises(EngineError) as info:
        M.alexnet().output_shape((1, 3, 11, 11))
    # conv1: ⌊(11 + 4 − 11)/4⌋ + 1 = 2, then the 3×3 pool does not fit
    assert str(info.value).startswith("features.2 (MaxPool2d): input shape (1, 64, 2, 2)")
    assert "k=3" in str(info.value)


def test_non_positive_sizes_and_bad_arguments():
    with pytest.raises(EngineError, match=r"ResNet: every size must be positive, got shape \(1, 3, 0, 5\)"):
        M.resnet18().output_shape((1, 3, 0, 5))
    with pytest.raises(EngineError, match="Conv2d: in_channels must be positive, got in_channels=0"):
        L.Conv2d(0, 4, 3)
    with pytest.raises(EngineError, match="Conv2d: stride must be positive, got stride=0"):
        L.Conv2d(1, 4, 3, stride=0)
    with pytest.raises(EngineError, match="MaxPool2d: padding .* at most half"):
        L.MaxPool2d(3, padding=2)
    with pytest.raises(EngineError, match="groups=3 must divide"):
        L.Conv2d(4, 6, 3, groups=3)
    with pytest.raises(EngineError, match="Linear: out_features must be positive"):
        L.Linear(4, -1)


def test_a_large_stride_still_leaves_one_output():
    # floor((n + 2p − k)/s) + 1 >= 1 whenever the kernel fits; a stride never empties the output
    conv = L.Conv2d(1, 1, 2, stride=9)
    assert conv.output_shape((1, 1, 3, 3)) == conv(_rand((1, 1, 3, 3))).shape == (1, 1, 1, 1)


def test_linear_and_residual_mismatch_errors():
    with pytest.raises(EngineError) as info:
        M.lenet5(padding=0)(_rand((1, 1, 28, 28)))
    msg = str(info.value)
    assert msg.startswith("fc1 (Linear): input has 256 features in its last dimension but "
                          "weight expects 400")
    block = L.BasicBlock(64, 128, stride=2)        # no projection shortcut
    with pytest.raises(EngineError, match=r"BasicBlock: the residual branch gives shape "
                                          r"\(1, 128, 4, 4\) but the shortcut gives \(1, 64, 8, 8\)"):
        block(_rand((1, 64, 8, 8)))
    with pytest.raises(EngineError, match="residual branch"):
        block.output_shape((1, 64, 8, 8))
    model = M.resnet18()
    with pytest.raises(EngineError, match=r"bn1 \(BatchNorm2d\): expected a 4-D"):
        model.bn1(_rand((64, 4, 4)))


# -- weights ------------------------------------------------------------------------------------

def test_npz_round_trip(tmp_path):
    src = M.resnet18(num_classes=10, seed=1)
    src.layer1[0].bn1.running_mean = np.linspace(-1, 1, 64)
    path = tmp_path / "r18.npz"
    M.save_weights(src, path)
    dst = M.resnet18(num_classes=10, weights=path, seed=2)
    for (k1, v1), (k2, v2) in zip(src.state_dict().items(), dst.state_dict().items()):
        assert k1 == k2 and v1.dtype == v2.dtype and np.array_equal(v1, v2)
    x = _rand((1, 3, 32, 32))
    assert np.array_equal(src(x), dst(x))
    from_dict = M.resnet18(num_classes=10, weights=dict(np.load(path)))
    assert np.array_equal(from_dict(x), src(x))


def test_loading_casts_to_the_model_dtype():
    sd = {k: v.astype(np.float32) if v.dtype.kind == "f" else v
          for k, v in M.lenet5(seed=5).state_dict().items()}
    model = M.lenet5(weights=sd)
    assert model.conv1.weight.dtype == np.float64
    assert np.array_equal(model.conv1.weight, sd["conv1.weight"].astype(np.float64))


def test_missing_unexpected_and_misshaped_keys():
    good = M.lenet5().state_dict()
    bad = dict(good)
    del bad["fc3.bias"]
    bad["fc4.weight"] = np.zeros((2, 2))
    bad["conv1.weight"] = np.zeros((6, 1, 3, 3))
    with pytest.raises(WeightsError) as info:
        M.lenet5(weights=bad)
    msg = str(info.value)
    assert "missing keys: 'fc3.bias'" in msg
    assert "unexpected keys: 'fc4.weight'" in msg
    assert ("size mismatch for 'conv1.weight': weights have shape (6, 1, 3, 3), the model "
            "expects (6, 1, 5, 5)") in msg
    # non-strict loading tolerates missing/unexpected keys but never a wrong shape
    model = M.lenet5()
    partial = {k: v for k, v in good.items() if k != "fc3.bias"}
    partial["extra"] = np.zeros(1)
    result = model.load_state_dict(partial, strict=False)
    assert result.missing_keys == ["fc3.bias"] and result.unexpected_keys == ["extra"]
    with pytest.raises(WeightsError, match="size mismatch for 'fc1.weight'"):
        model.load_state_dict({"fc1.weight": np.zeros((400, 120))}, strict=False)


def test_bad_weights_sources(tmp_path):
    with pytest.raises(WeightsError, match="cannot read weights file"):
        M.lenet5(weights=tmp_path / "missing.npz")
    single = tmp_path / "one.npy"
    np.save(single, np.zeros(3))
    with pytest.raises(WeightsError, match="single array"):
        M.lenet5(weights=single)
    with pytest.raises(WeightsError, match="mapping of names to arrays"):
        M.lenet5(weights=42)
    with pytest.raises(WeightsError, match="non-numeric"):
        M.lenet5(weights={**M.lenet5().state_dict(), "conv1.bias": np.array(["a"] * 6)})
    with pytest.raises(WeightsError, match="parameter 'weight' must have shape"):
        M.lenet5().conv1.weight = np.zeros(3)


# -- build_cnn ------------------------------------------------------------------------------------

def test_build_cnn_from_specs():
    specs = [("conv", dict(out_channels=2, kernel_size=3, padding=1)), ("relu",),
             ("maxpool", dict(kernel_size=2)), ("flatten",), ("linear", dict(out_features=3))]
    net = M.build_cnn(specs, in_channels=1, input_size=(4, 4))
    assert [type(m).__name__ for m in net] == ["Conv2d", "ReLU", "MaxPool2d", "Flatten", "Linear"]
    assert net[4].in_features == 8
    x = _rand((2, 1, 4, 4))
    assert net(x).shape == (2, 3)
    # the same forward by hand with the functional ops
    h = F.max_pool2d(F.relu(F.conv2d(x, net[0].weight, net[0].bias, padding=1)), 2)
    np.testing.assert_allclose(net(x), F.linear(h.reshape(2, -1), net[4].weight, net[4].bias),
                               rtol=1e-13)
    assert list(net.state_dict()) == ["0.weight", "0.bias", "4.weight", "4.bias"]
    again = M.build_cnn(specs, in_channels=1, input_size=4)
    assert np.array_equal(again(x), net(x))


def test_build_cnn_infers_channels_and_features():
    net = M.build_cnn([("conv", {"out_channels": 4, "kernel_size": 1}), ("bn",), "relu",
                       ("gap",), "flatten", ("fc", {"in_features": 4, "out_features": 5}),
                       "sigmoid", ("linear", {"out_features": 2})], in_channels=3)
    assert net[1].num_features == 4 and net[7].in_features == 5
    assert net(_rand((1, 3, 6, 6))).shape == (1, 2)


@pytest.mark.parametrize("specs, kwargs, words", [
    ([("pool",)], {}, ["layer 0", "unknown kind 'pool'", "maxpool"]),
    ([("conv", dict(out_channels=2, kernel_size=3)), ("flatten",), ("linear", dict(out_features=2))],
     {}, ["layer 2 (linear)", "in_features cannot be inferred"]),
    ([("conv", dict(out_channels=2, kernel_size=5))], {"input_size": (3, 3)},
     ["layer 0 (conv) does not fit", "kernel 5×5", "padded input 3×3"]),
    ([("conv", dict(out_channels=2, kernel_size=3, strides=2))], {},
     ["layer 0 (conv): bad arguments", "strides"]),
    ([42], {}, ["layer 0 must be"]),
])
def test_build_cnn_errors(specs, kwargs, words):
    with pytest.raises(EngineError) as info:
        M.build_cnn(specs, in_channels=1, **kwargs)
    for word in words:
        assert word in str(info.value), (word, str(info.value))


# -- copying and container accounting ---------------------------------------------------------------

def test_deepcopy_and_pickle_keep_names_weights_and_outputs():
    model = M.resnet18(num_classes=5, seed=2)
    x = _rand((1, 3, 32, 32))
    want = model(x)
    for clone in (copy.deepcopy(model), pickle.loads(pickle.dumps(model))):
        assert clone.layer2[0].downsample[1].qualified_name == "layer2.0.downsample.1"
        assert clone.layer2[0].downsample[1].__dict__["_parent"]() is clone.layer2[0].downsample
        assert np.array_equal(clone(x), want)
        clone.fc.bias = np.zeros(5)
        assert not np.array_equal(model.fc.bias, np.zeros(5))


def test_container_cost_sums_its_layers():
    model = M.resnet18()
    cost = model.cost((1, 3, 224, 224))
    assert cost.output_shape == (1, 1000)
    assert cost.params == 11_689_512 and cost.macs == 1_814_073_344
    shapes = model.parameter_shapes()
    assert cost.weight_params == sum(math.prod(v) for k, v in shapes.items()
                                     if k.endswith(".weight"))
    assert cost.bias_params == sum(math.prod(v) for k, v in shapes.items()
                                   if k.endswith(".bias"))
    block = model.layer2[0]
    assert block.output_shape((1, 64, 56, 56)) == (1, 128, 28, 28)
    assert block.cost((1, 64, 56, 56)).pool_ops == 0
