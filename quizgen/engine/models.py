"""Reference networks of the lectures, in torch/torchvision layout, as NumPy modules.

Every constructor takes

* ``weights``: ``None`` (seeded initialisation), a path to an ``.npz`` archive saved from
  ``state_dict()`` (see :func:`save_weights`), or a mapping of torch ``state_dict`` names to
  arrays (torch tensors are accepted too). Loading is strict: missing, unexpected or misshaped
  keys raise :class:`quizgen.errors.WeightsError`.
* ``seed``: the seed of the deterministic initialisation (torch's default fan-in uniform init;
  see :mod:`quizgen.engine.layers`). Parameters are created lazily, so building VGG-16 only to
  count its parameters or summarise it allocates nothing.
* ``dtype``: ``np.float64`` (default) or ``np.float32``.

and returns the model **in eval mode** (BatchNorm uses running statistics, dropout is off).
``model(x)`` runs the forward pass on an ``(N, C, H, W)`` array.

:data:`MODELS` maps a name to its constructor and default input shape (used by the CLI).
"""
from __future__ import annotations

import os
from collections import OrderedDict
from dataclasses import dataclass
from functools import partial
from typing import Any, Callable, Mapping, Sequence

import numpy as np

from quizgen.engine.layers import (
    AdaptiveAvgPool2d, AvgPool2d, BasicBlock, BatchNorm2d, Bottleneck, Conv2d, Dropout,
    Flatten, Identity, Linear, MaxPool2d, Module, ReLU, Sequential, Sigmoid, Tanh, conv1x1,
    conv_bn_relu,
)
from quizgen.errors import EngineError, QuizgenError, WeightsError

__all__ = [
    "LeNet5", "AlexNet", "VGG", "ResNet", "lenet5", "lenet_deeprob", "alexnet", "vgg11",
    "vgg13", "vgg16", "vgg19", "googlenet_stem", "resnet18", "resnet34", "resnet50",
    "resnet101", "resnet152", "build_cnn", "load_weights", "save_weights", "ModelInfo",
    "MODELS", "get_model",
]

# --------------------------------------------------------------------------------------------
# weights


def load_weights(source: Any) -> dict[str, np.ndarray]:
    """A state_dict (name → array) from an ``.npz`` path or a mapping."""
    if isinstance(source, Mapping):
        return dict(source)
    if isinstance(source, (str, os.PathLike)):
        path = os.fspath(source)
        try:
            archive = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as err:
            raise WeightsError(f"cannot read weights file {path!r}: {err}") from None
        if not hasattr(archive, "files"):
            raise WeightsError(f"weights file {path!r} holds a single array; expected an .npz "
                               "archive of named arrays (see save_weights)")
        with archive:
            try:
                return {k: archive[k] for k in archive.files}
            except (OSError, ValueError) as err:
                raise WeightsError(f"cannot read weights file {path!r}: {err}") from None
    raise WeightsError(f"weights must be None, a path to an .npz file or a mapping of names "
                       f"to arrays, got {type(source).__name__}")


def save_weights(model: Module, path: str | os.PathLike) -> None:
    """Write ``model.state_dict()`` to ``path`` as an uncompressed ``.npz`` archive."""
    np.savez(os.fspath(path), **model.state_dict())


def _finish(model: Module, weights: Any, seed: int, dtype: Any) -> Module:
    model.to(dtype)
    model.reset_parameters(seed)
    if weights is not None:
        model.load_state_dict(load_weights(weights), strict=True)
    return model.eval()


# --------------------------------------------------------------------------------------------
# LeNet


class LeNet5(Module):
    """LeNet-5 as in the lectures' PyTorch code (conv 6@5×5, pool, conv 16@5×5, pool, FC 120-84-10).

    Names as the slides: ``conv1, max_pool_1, conv2, max_pool_2, fc1, fc2, fc3`` (ReLU after
    conv1, conv2, fc1, fc2). ``padding=2`` takes 28×28 MNIST digits (the slides' code);
    ``padding=0`` is the original 32×32 network. 61,706 parameters either way.
    """

    def __init__(self, padding: int = 2, num_classes: int = 10, in_channels: int = 1,
                 dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        self.conv1 = Conv2d(in_channels, 6, 5, stride=1, padding=padding, dtype=dtype)
        self.relu = ReLU(dtype=dtype)
        self.max_pool_1 = MaxPool2d(2, dtype=dtype)
        self.conv2 = Conv2d(6, 16, 5, stride=1, padding=0, dtype=dtype)
        self.max_pool_2 = MaxPool2d(2, dtype=dtype)
        self.flatten = Flatten(1, dtype=dtype)
        self.fc1 = Linear(16 * 5 * 5, 120, dtype=dtype)
        self.fc2 = Linear(120, 84, dtype=dtype)
        self.fc3 = Linear(84, num_classes, dtype=dtype)

    def forward(self, x: Any) -> Any:
        x = self.max_pool_1(conv_bn_relu(x, self.conv1, None, self.relu))
        x = self.max_pool_2(conv_bn_relu(x, self.conv2, None, self.relu))
        x = self.flatten(x)
        x = self.relu(self.fc1(x))
        x = self.relu(self.fc2(x))
        return self.fc3(x)


def lenet5(padding: int = 2, *, num_classes: int = 10, weights: Any = None, seed: int = 0,
           dtype: Any = np.float64) -> LeNet5:
    """The slides' ``LeNet5`` (61,706 parameters); input 1×28×28 (``padding=2``) or 1×32×32."""
    return _finish(LeNet5(padding, num_classes, dtype=dtype), weights, seed, dtype)


def lenet_deeprob(*, num_classes: int = 10, weights: Any = None, seed: int = 0,
                  dtype: Any = np.float64) -> Sequential:
    """DeepRob's "LeNet-5" table: conv 20@5×5 p2, pool 2, conv 50@5×5 p2, pool 2, FC 2450→500→10.

    Input 1×28×28; 1,256,080 parameters. Children: ``conv1 relu1 pool1 conv2 relu2 pool2
    flatten fc1 relu3 fc2``.
    """
    d = dtype
    model = Sequential(OrderedDict([
        ("conv1", Conv2d(1, 20, 5, padding=2, dtype=d)), ("relu1", ReLU(dtype=d)),
        ("pool1", MaxPool2d(2, 2, dtype=d)),
        ("conv2", Conv2d(20, 50, 5, padding=2, dtype=d)), ("relu2", ReLU(dtype=d)),
        ("pool2", MaxPool2d(2, 2, dtype=d)),
        ("flatten", Flatten(1, dtype=d)),
        ("fc1", Linear(50 * 7 * 7, 500, dtype=d)), ("relu3", ReLU(dtype=d)),
        ("fc2", Linear(500, num_classes, dtype=d)),
    ]))
    return _finish(model, weights, seed, dtype)


# --------------------------------------------------------------------------------------------
# AlexNet, VGG


class AlexNet(Module):
    """torchvision's AlexNet (the one-GPU 64-192-384-256-256 variant), 61,100,840 parameters.

    ``features`` indices 0, 3, 6, 8, 10 are the convs; ``classifier`` 1, 4, 6 the linears, as
    torchvision. The DeepRob table uses a 227×227 input (conv1 → 56×56, pool5 → 6×6, so the
    adaptive average pool is then a no-op); torchvision's usual 224 gives 55×55 and 6×6.
    A ``flatten`` child (no parameters) sits between ``avgpool`` and ``classifier``.
    """

    def __init__(self, num_classes: int = 1000, dropout: float = 0.5, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        d = dtype
        self.features = Sequential(
            Conv2d(3, 64, 11, stride=4, padding=2, dtype=d), ReLU(True, dtype=d),
            MaxPool2d(3, 2, dtype=d),
            Conv2d(64, 192, 5, padding=2, dtype=d), ReLU(True, dtype=d),
            MaxPool2d(3, 2, dtype=d),
            Conv2d(192, 384, 3, padding=1, dtype=d), ReLU(True, dtype=d),
            Conv2d(384, 256, 3, padding=1, dtype=d), ReLU(True, dtype=d),
            Conv2d(256, 256, 3, padding=1, dtype=d), ReLU(True, dtype=d),
            MaxPool2d(3, 2, dtype=d),
        )
        self.avgpool = AdaptiveAvgPool2d((6, 6), dtype=d)
        self.flatten = Flatten(1, dtype=d)
        self.classifier = Sequential(
            Dropout(dropout, dtype=d), Linear(256 * 6 * 6, 4096, dtype=d), ReLU(True, dtype=d),
            Dropout(dropout, dtype=d), Linear(4096, 4096, dtype=d), ReLU(True, dtype=d),
            Linear(4096, num_classes, dtype=d),
        )

    def forward(self, x: Any) -> Any:
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def alexnet(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
            dtype: Any = np.float64) -> AlexNet:
    """torchvision AlexNet (61,100,840 parameters with 1000 classes)."""
    return _finish(AlexNet(num_classes, dtype=dtype), weights, seed, dtype)


#: torchvision's VGG configurations; "M" is a 2×2/2 max pool.
VGG_CFGS: dict[str, list[int | str]] = {
    "A": [64, "M", 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "B": [64, 64, "M", 128, 128, "M", 256, 256, "M", 512, 512, "M", 512, 512, "M"],
    "D": [64, 64, "M", 128, 128, "M", 256, 256, 256, "M", 512, 512, 512, "M",
          512, 512, 512, "M"],
    "E": [64, 64, "M", 128, 128, "M", 256, 256, 256, 256, "M", 512, 512, 512, 512, "M",
          512, 512, 512, 512, "M"],
}


#: VGG constructor name → configuration key.
VGG_NAMES: dict[str, str] = {"vgg11": "A", "vgg13": "B", "vgg16": "D", "vgg19": "E"}


class VGG(Module):
    """torchvision's VGG without batch norm: ``features`` (3×3 p1 convs + ReLU, 2×2 pools),
    ``avgpool`` to 7×7, ``flatten``, ``classifier`` (Linear 0, 3, 6 with ReLU and Dropout)."""

    def __init__(self, cfg: Sequence[int | str], num_classes: int = 1000, dropout: float = 0.5,
                 dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        d = dtype
        layers: list[Module] = []
        c = 3
        for v in cfg:
            if v == "M":
                layers.append(MaxPool2d(2, 2, dtype=d))
            else:
                layers += [Conv2d(c, int(v), 3, padding=1, dtype=d), ReLU(True, dtype=d)]
                c = int(v)
        self.features = Sequential(*layers)
        self.avgpool = AdaptiveAvgPool2d((7, 7), dtype=d)
        self.flatten = Flatten(1, dtype=d)
        self.classifier = Sequential(
            Linear(512 * 7 * 7, 4096, dtype=d), ReLU(True, dtype=d), Dropout(dropout, dtype=d),
            Linear(4096, 4096, dtype=d), ReLU(True, dtype=d), Dropout(dropout, dtype=d),
            Linear(4096, num_classes, dtype=d),
        )

    def forward(self, x: Any) -> Any:
        return self.classifier(self.flatten(self.avgpool(self.features(x))))


def _vgg(cfg: str, num_classes: int, weights: Any, seed: int, dtype: Any) -> VGG:
    return _finish(VGG(VGG_CFGS[cfg], num_classes, dtype=dtype), weights, seed, dtype)


def vgg11(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
          dtype: Any = np.float64) -> VGG:
    """VGG-11 (configuration A), 132,863,336 parameters."""
    return _vgg("A", num_classes, weights, seed, dtype)


def vgg13(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
          dtype: Any = np.float64) -> VGG:
    """VGG-13 (configuration B), 133,047,848 parameters."""
    return _vgg("B", num_classes, weights, seed, dtype)


def vgg16(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
          dtype: Any = np.float64) -> VGG:
    """VGG-16 (configuration D), 138,357,544 parameters (138,344,128 without biases)."""
    return _vgg("D", num_classes, weights, seed, dtype)


def vgg19(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
          dtype: Any = np.float64) -> VGG:
    """VGG-19 (configuration E), 143,667,240 parameters."""
    return _vgg("E", num_classes, weights, seed, dtype)


# --------------------------------------------------------------------------------------------
# GoogLeNet stem


def googlenet_stem(*, weights: Any = None, seed: int = 0, dtype: Any = np.float64) -> Sequential:
    """The GoogLeNet stem of the DeepRob table, 224 → 28 spatial, 124,416 parameters.

    conv 7×7/2 p3 → 64, ReLU, max pool 3×3/2 p1, conv 1×1 → 64, ReLU, conv 3×3 p1 → 192, ReLU,
    max pool 3×3/2 p1. Like the table, the convs are plain convs with biases and the pools use
    padding 1 with floor rounding (``ceil_mode=False``): 112 → 56 and 56 → 28.

    torchvision's GoogLeNet differs: its convs are ``BasicConv2d`` (conv without bias + batch
    norm, keys ``conv1.conv.weight``, ``conv1.bn.*``) and its max pools use padding 0 with
    ``ceil_mode=True`` (112 → 56, 56 → 28 as well at 224, but not at every input size).
    Children here: ``conv1 relu1 maxpool1 conv2 relu2 conv3 relu3 maxpool2``.
    """
    d = dtype
    model = Sequential(OrderedDict([
        ("conv1", Conv2d(3, 64, 7, stride=2, padding=3, dtype=d)), ("relu1", ReLU(dtype=d)),
        ("maxpool1", MaxPool2d(3, 2, padding=1, dtype=d)),
        ("conv2", Conv2d(64, 64, 1, dtype=d)), ("relu2", ReLU(dtype=d)),
        ("conv3", Conv2d(64, 192, 3, padding=1, dtype=d)), ("relu3", ReLU(dtype=d)),
        ("maxpool2", MaxPool2d(3, 2, padding=1, dtype=d)),
    ]))
    return _finish(model, weights, seed, dtype)


# --------------------------------------------------------------------------------------------
# ResNet


class ResNet(Module):
    """torchvision's ResNet: stem (7×7/2 conv, BN, ReLU, 3×3/2 max pool), four stages of
    ``block``, global average pool, ``flatten``, ``fc``. The first block of stages 2-4 has stride 2
    (on the 3×3 conv, also in Bottleneck) and a ``downsample`` = conv1x1 + BN projection."""

    def __init__(self, block: type, layers: Sequence[int], num_classes: int = 1000,
                 dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        d = dtype
        self._block = block
        self.inplanes = 64
        self.conv1 = Conv2d(3, 64, 7, stride=2, padding=3, bias=False, dtype=d)
        self.bn1 = BatchNorm2d(64, dtype=d)
        self.relu = ReLU(True, dtype=d)
        self.maxpool = MaxPool2d(3, 2, padding=1, dtype=d)
        self.layer1 = self._make_layer(64, layers[0])
        self.layer2 = self._make_layer(128, layers[1], stride=2)
        self.layer3 = self._make_layer(256, layers[2], stride=2)
        self.layer4 = self._make_layer(512, layers[3], stride=2)
        self.avgpool = AdaptiveAvgPool2d((1, 1), dtype=d)
        self.flatten = Flatten(1, dtype=d)
        self.fc = Linear(512 * block.expansion, num_classes, dtype=d)

    def _make_layer(self, planes: int, blocks: int, stride: int = 1) -> Sequential:
        block, d = self._block, self.__dict__["_dtype"]
        downsample = None
        if stride != 1 or self.inplanes != planes * block.expansion:
            downsample = Sequential(conv1x1(self.inplanes, planes * block.expansion, stride,
                                            dtype=d),
                                    BatchNorm2d(planes * block.expansion, dtype=d))
        layers = [block(self.inplanes, planes, stride, downsample, dtype=d)]
        self.inplanes = planes * block.expansion
        for _ in range(1, blocks):
            layers.append(block(self.inplanes, planes, dtype=d))
        return Sequential(*layers)

    def forward(self, x: Any) -> Any:
        x = self.maxpool(conv_bn_relu(x, self.conv1, self.bn1, self.relu))
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))
        return self.fc(self.flatten(self.avgpool(x)))


def _resnet(block: type, layers: list[int], num_classes: int, weights: Any, seed: int,
            dtype: Any) -> ResNet:
    return _finish(ResNet(block, layers, num_classes, dtype=dtype), weights, seed, dtype)


def resnet18(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
             dtype: Any = np.float64) -> ResNet:
    """ResNet-18: BasicBlock ×[2, 2, 2, 2]; 11,689,512 params, 1,814,073,344 MACs at 224."""
    return _resnet(BasicBlock, [2, 2, 2, 2], num_classes, weights, seed, dtype)


def resnet34(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
             dtype: Any = np.float64) -> ResNet:
    """ResNet-34: BasicBlock ×[3, 4, 6, 3]; 21,797,672 params."""
    return _resnet(BasicBlock, [3, 4, 6, 3], num_classes, weights, seed, dtype)


def resnet50(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
             dtype: Any = np.float64) -> ResNet:
    """ResNet-50: Bottleneck ×[3, 4, 6, 3]; 25,557,032 params."""
    return _resnet(Bottleneck, [3, 4, 6, 3], num_classes, weights, seed, dtype)


def resnet101(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
              dtype: Any = np.float64) -> ResNet:
    """ResNet-101: Bottleneck ×[3, 4, 23, 3]; 44,549,160 params."""
    return _resnet(Bottleneck, [3, 4, 23, 3], num_classes, weights, seed, dtype)


def resnet152(num_classes: int = 1000, *, weights: Any = None, seed: int = 0,
              dtype: Any = np.float64) -> ResNet:
    """ResNet-152: Bottleneck ×[3, 8, 36, 3]; 60,192,808 params."""
    return _resnet(Bottleneck, [3, 8, 36, 3], num_classes, weights, seed, dtype)


# --------------------------------------------------------------------------------------------
# small custom CNNs

_KINDS: dict[str, str] = {
    "conv": "conv", "conv2d": "conv",
    "maxpool": "maxpool", "max_pool": "maxpool", "maxpool2d": "maxpool", "max_pool2d": "maxpool",
    "avgpool": "avgpool", "avg_pool": "avgpool", "avgpool2d": "avgpool", "avg_pool2d": "avgpool",
    "adaptiveavgpool": "adaptiveavgpool", "adaptive_avg_pool2d": "adaptiveavgpool",
    "adaptiveavgpool2d": "adaptiveavgpool", "gap": "adaptiveavgpool",
    "linear": "linear", "fc": "linear",
    "relu": "relu", "sigmoid": "sigmoid", "tanh": "tanh",
    "batchnorm": "batchnorm", "batchnorm2d": "batchnorm", "batch_norm": "batchnorm",
    "bn": "batchnorm",
    "flatten": "flatten", "dropout": "dropout", "identity": "identity",
}


def build_cnn(layers: Sequence[Any], in_channels: int, *, input_size: Any = None,
              weights: Any = None, seed: int = 0, dtype: Any = np.float64) -> Sequential:
    """A ``Sequential`` CNN from a list of layer specs; children are named ``"0"``, ``"1"``, ….

    Each spec is ``(kind,)``, ``(kind, kwargs)`` or just ``kind``, where ``kind`` is one of
    ``conv maxpool avgpool adaptiveavgpool (gap) linear (fc) relu sigmoid tanh batchnorm (bn)
    flatten dropout identity`` and ``kwargs`` are the layer's torch arguments. Channel counts are
    inferred: a conv needs only ``out_channels`` and ``kernel_size``, a batch norm nothing, a
    linear only ``out_features`` when ``in_features`` can be inferred (after another linear, or
    anywhere when ``input_size=(H, W)`` is given). With ``input_size`` every layer is also
    checked to fit at build time.

    >>> net = build_cnn([("conv", dict(out_channels=2, kernel_size=3, padding=1)), ("relu",),
    ...                  ("maxpool", dict(kernel_size=2)), ("flatten",),
    ...                  ("linear", dict(out_features=3))], in_channels=1, input_size=(4, 4))
    """
    owner = "build_cnn"
    if isinstance(in_channels, bool) or not isinstance(in_channels, (int, np.integer)) \
            or in_channels < 1:
        raise EngineError(f"{owner}: in_channels must be a positive integer, got "
                          f"{in_channels!r}")
    shape: tuple[int, ...] | None = None
    if input_size is not None:
        hw = (input_size, input_size) if isinstance(input_size, (int, np.integer)) \
            else tuple(input_size)
        if len(hw) != 2:
            raise EngineError(f"{owner}: input_size must be H or (H, W), got {input_size!r}")
        shape = (1, int(in_channels), int(hw[0]), int(hw[1]))
    channels: int | None = int(in_channels)
    features: int | None = None
    modules: list[Module] = []
    for i, spec in enumerate(layers):
        if isinstance(spec, str):
            kind, kwargs = spec, {}
        elif isinstance(spec, (tuple, list)) and 1 <= len(spec) <= 2 \
                and isinstance(spec[0], str):
            kind = spec[0]
            kwargs = dict(spec[1]) if len(spec) == 2 else {}
        else:
            raise EngineError(f"{owner}: layer {i} must be 'kind' or (kind[, kwargs]), got "
                              f"{spec!r}")
        key = _KINDS.get(kind.lower())
        if key is None:
            raise EngineError(f"{owner}: layer {i} has unknown kind {kind!r}; known kinds: "
                              + ", ".join(sorted(set(_KINDS))))
        kwargs.setdefault("dtype", dtype)
        try:
            if key == "conv":
                if channels is None:
                    raise EngineError("the number of input channels is unknown here "
                                      "(a conv after flatten/linear?)")
                kwargs.setdefault("in_channels", channels)
                module: Module = Conv2d(**kwargs)
            elif key == "batchnorm":
                kwargs.setdefault("num_features", channels)
                module = BatchNorm2d(**kwargs)
            elif key == "linear":
                if "in_features" not in kwargs:
                    inferred = shape[-1] if shape is not None and len(shape) == 2 else features
                    if inferred is None:
                        raise EngineError("in_features cannot be inferred; pass in_features or "
                                          "give build_cnn an input_size")
                    kwargs["in_features"] = inferred
                module = Linear(**kwargs)
            else:
                cls = {"maxpool": MaxPool2d, "avgpool": AvgPool2d,
                       "adaptiveavgpool": AdaptiveAvgPool2d, "relu": ReLU, "sigmoid": Sigmoid,
                       "tanh": Tanh, "flatten": Flatten, "dropout": Dropout,
                       "identity": Identity}[key]
                if key == "adaptiveavgpool":
                    kwargs.setdefault("output_size", 1)
                module = cls(**kwargs)
        except TypeError as err:
            raise EngineError(f"{owner}: layer {i} ({kind}): bad arguments {kwargs!r}: "
                              f"{err}") from None
        except EngineError as err:
            raise EngineError(f"{owner}: layer {i} ({kind}): {err}") from None
        if isinstance(module, Conv2d):
            channels = module.out_channels
        elif isinstance(module, Linear):
            features, channels = module.out_features, None
        elif isinstance(module, Flatten):
            channels = None
        modules.append(module)
        if shape is not None:
            try:
                shape = modules[-1].output_shape(shape)
            except EngineError as err:
                detail = str(err).split(": ", 1)[-1]
                raise EngineError(f"{owner}: layer {i} ({kind}) does not fit: {detail}") \
                    from None
    return _finish(Sequential(*modules), weights, seed, dtype)


# --------------------------------------------------------------------------------------------
# registry


@dataclass(frozen=True)
class ModelInfo:
    """A registered model: its constructor, default input shape (C, H, W) and a description."""

    name: str
    build: Callable[..., Module]
    input_shape: tuple[int, int, int]
    description: str


def _registry() -> dict[str, ModelInfo]:
    entries = [
        ("lenet5", lenet5, (1, 28, 28), "LeNet-5 of the slides' PyTorch code (padding 2)"),
        ("lenet5_32", partial(lenet5, 0), (1, 32, 32), "LeNet-5, original 32×32 input"),
        ("lenet_deeprob", lenet_deeprob, (1, 28, 28), "DeepRob LeNet table (20/50 channels)"),
        ("alexnet", alexnet, (3, 227, 227), "torchvision AlexNet (DeepRob table at 227)"),
        ("vgg11", vgg11, (3, 224, 224), "torchvision VGG-11"),
        ("vgg13", vgg13, (3, 224, 224), "torchvision VGG-13"),
        ("vgg16", vgg16, (3, 224, 224), "torchvision VGG-16"),
        ("vgg19", vgg19, (3, 224, 224), "torchvision VGG-19"),
        ("googlenet_stem", googlenet_stem, (3, 224, 224), "GoogLeNet stem of the DeepRob table"),
        ("resnet18", resnet18, (3, 224, 224), "torchvision ResNet-18"),
        ("resnet34", resnet34, (3, 224, 224), "torchvision ResNet-34"),
        ("resnet50", resnet50, (3, 224, 224), "torchvision ResNet-50"),
        ("resnet101", resnet101, (3, 224, 224), "torchvision ResNet-101"),
        ("resnet152", resnet152, (3, 224, 224), "torchvision ResNet-152"),
    ]
    return {name: ModelInfo(name, fn, shape, desc) for name, fn, shape, desc in entries}


#: Model name → :class:`ModelInfo` (constructor, default input shape C×H×W, description).
MODELS: dict[str, ModelInfo] = _registry()


def get_model(name: str, **kwargs: Any) -> Module:
    """Build the registered model ``name`` (keyword arguments go to its constructor)."""
    key = name.strip().lower().replace("-", "_")
    info = MODELS.get(key)
    if info is None:
        raise QuizgenError(f"unknown model {name!r}; known models: {', '.join(MODELS)}")
    return info.build(**kwargs)
