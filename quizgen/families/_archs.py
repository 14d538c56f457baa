"""The reference networks as the lectures tabulate them, costed with ``engine/shapes.py``.

This is the *closed-form* side of ``network_trace``: each network is written down again, layer by
layer as in the lecture tables (kernel, stride, padding, filters), and every output shape,
parameter count, MAC count, pooling-op count and activation size is computed here with the
integer closed forms of :mod:`quizgen.engine.shapes` — without the engine's modules. The family
compares these numbers with :func:`quizgen.engine.summary.summary` of the engine's models, so a
wiring slip on either side shows up as a ``VerificationError`` at build time.

Conventions (DESIGN.md): shapes are C×H×W; padding P is per side; params include biases (none
in ResNet's convolutions); MACs = C_out·H′·W′·C_in·K² for a conv, in·out for a linear layer;
pool ops = C·H′·W′·K²; memory = output elements × 4 bytes (float32).
"""
from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

from quizgen.engine import shapes as S


@dataclass(frozen=True)
class Layer:
    """One row of a lecture-style layer table.

    ``name`` is the lecture's name of the layer (``Conv1``, ``conv3_2``, ``layer3.0.conv2``),
    ``row`` the engine's module name (``features.0``), ``kind`` one of ``conv pool gap bn
    flatten fc``. ``c_in×h_in×w_in → c_out×h_out×w_out``; for ``fc`` and ``flatten`` the output
    is ``c_out`` features (``h_out = w_out = 1``) and ``flat`` is True.
    """

    name: str
    row: str
    kind: str
    c_in: int
    h_in: int
    w_in: int
    c_out: int
    h_out: int
    w_out: int
    k: int = 0
    s: int = 1
    p: int = 0
    bias: bool = True
    weights: int = 0
    biases: int = 0
    macs: int = 0
    pool_ops: int = 0
    stage: str = ""

    @property
    def flat(self) -> bool:
        return self.kind in ("fc", "flatten")

    @property
    def params(self) -> int:
        return self.weights + self.biases

    @property
    def shape(self) -> tuple[int, ...]:
        """Output shape as the engine reports it per sample: (C, H, W) or (features,)."""
        return (self.c_out,) if self.flat else (self.c_out, self.h_out, self.w_out)

    @property
    def in_shape(self) -> tuple[int, ...]:
        return (self.c_in,) if self.kind == "fc" else (self.c_in, self.h_in, self.w_in)

    @property
    def elements(self) -> int:
        return self.c_out * self.h_out * self.w_out

    @property
    def in_elements(self) -> int:
        return self.c_in * self.h_in * self.w_in

    @property
    def memory_bytes(self) -> int:
        return S.activation_bytes(self.elements, 4)


@dataclass(frozen=True)
class Arch:
    """A network as a layer table. ``blocks``/``block`` describe a ResNet's stages."""

    key: str
    title: str
    input: tuple[int, int, int]
    layers: tuple[Layer, ...]
    blocks: tuple[int, ...] = ()
    block: str = ""  # "basic" | "bottleneck" for ResNets

    @property
    def is_resnet(self) -> bool:
        return bool(self.blocks)

    def layer(self, name: str) -> Layer:
        for layer in self.layers:
            if layer.name == name:
                return layer
        raise KeyError(name)

    def index(self, name: str) -> int:
        for i, layer in enumerate(self.layers):
            if layer.name == name:
                return i
        raise KeyError(name)

    @property
    def total_params(self) -> int:
        return sum(layer.params for layer in self.layers)

    @property
    def total_weights(self) -> int:
        return sum(layer.weights for layer in self.layers)

    @property
    def total_macs(self) -> int:
        return sum(layer.macs for layer in self.layers)

    @property
    def depth(self) -> int:
        """Weight layers on the main path: 1 + (2 or 3)·Σblocks + 1 for a ResNet."""
        per_block = 2 if self.block == "basic" else 3
        return 1 + per_block * sum(self.blocks) + 1

    def stage_output(self, stage: str) -> tuple[int, int, int]:
        """Output (C, H, W) of a ResNet stage ``layer1`` ... ``layer4`` (its last layer)."""
        last = [layer for layer in self.layers if layer.stage == stage][-1]
        return last.shape


class _Chain:
    """Appends layers, carrying the current C×H×W forward with the shapes closed forms."""

    def __init__(self, c: int, h: int, w: int):
        self.c, self.h, self.w = c, h, w
        self.layers: list[Layer] = []

    def conv(self, name, row, c_out, k, s=1, p=0, bias=True, stage="", src=None):
        c, h, w = src or (self.c, self.h, self.w)
        ho, wo = S.conv_out(h, k, s, p), S.conv_out(w, k, s, p)
        weights, biases = S.conv_param_split(c, c_out, k, k, bias)
        self._add(Layer(name, row, "conv", c, h, w, c_out, ho, wo, k, s, p, bias, weights,
                        biases, S.conv_macs(c, c_out, k, k, ho, wo), 0, stage))

    def pool(self, name, row, k, s=None, p=0, stage=""):
        s = k if s is None else s
        ho, wo = S.pool_out(self.h, k, s, p), S.pool_out(self.w, k, s, p)
        self._add(Layer(name, row, "pool", self.c, self.h, self.w, self.c, ho, wo, k, s, p,
                        False, pool_ops=S.pool_ops(self.c, ho, wo, k), stage=stage))

    def global_avg(self, name, row):
        k = self.h
        self._add(Layer(name, row, "gap", self.c, self.h, self.w, self.c, 1, 1, k, 1, 0, False,
                        pool_ops=S.pool_ops(self.c, 1, 1, (self.h, self.w))))

    def bn(self, name, row, stage=""):
        self._add(Layer(name, row, "bn", self.c, self.h, self.w, self.c, self.h, self.w,
                        bias=True, weights=self.c, biases=self.c, stage=stage))

    def flatten(self, name="flatten", row="flatten"):
        n = self.c * self.h * self.w
        self._add(Layer(name, row, "flatten", self.c, self.h, self.w, n, 1, 1, bias=False))

    def fc(self, name, row, out):
        n = self.c
        self._add(Layer(name, row, "fc", n, 1, 1, out, 1, 1, bias=True, weights=n * out,
                        biases=out, macs=S.linear_macs(n, out)))

    def _add(self, layer: Layer):
        self.layers.append(layer)
        self.c, self.h, self.w = layer.c_out, layer.h_out, layer.w_out


# --------------------------------------------------------------------------------------------
# the networks


def _lenet5(key: str, size: int, pad: int) -> Arch:
    """The slides' PyTorch LeNet5: conv 6@5×5 (padding ``pad``), pool 2, conv 16@5×5, pool 2,
    FC 400-120-84-10."""
    t = _Chain(1, size, size)
    t.conv("conv1", "conv1", 6, 5, 1, pad)
    t.pool("max_pool_1", "max_pool_1", 2)
    t.conv("conv2", "conv2", 16, 5)
    t.pool("max_pool_2", "max_pool_2", 2)
    t.flatten()
    t.fc("fc1", "fc1", 120)
    t.fc("fc2", "fc2", 84)
    t.fc("fc3", "fc3", 10)
    where = "28×28 MNIST digits, padding 2" if pad else "the original 32×32 input, no padding"
    return Arch(key, f"LeNet-5 (6 and 16 filters, FC 400-120-84-10; {where})", (1, size, size),
                tuple(t.layers))


def _lenet_deeprob() -> Arch:
    """DeepRob's LeNet-5 table: conv 20@5×5 p2, pool 2, conv 50@5×5 p2, pool 2, FC 2450-500-10."""
    t = _Chain(1, 28, 28)
    t.conv("conv1", "conv1", 20, 5, 1, 2)
    t.pool("pool1", "pool1", 2, 2)
    t.conv("conv2", "conv2", 50, 5, 1, 2)
    t.pool("pool2", "pool2", 2, 2)
    t.flatten()
    t.fc("fc1", "fc1", 500)
    t.fc("fc2", "fc2", 10)
    return Arch("lenet_deeprob", "LeNet-5 of the DeepRob table (20 and 50 filters, FC 2450-500-10)",
                (1, 28, 28), tuple(t.layers))


def _alexnet() -> Arch:
    """The DeepRob AlexNet table (torchvision's 64-192-384-256-256 AlexNet at 227×227)."""
    t = _Chain(3, 227, 227)
    t.conv("Conv1", "features.0", 64, 11, 4, 2)
    t.pool("Pool1", "features.2", 3, 2)
    t.conv("Conv2", "features.3", 192, 5, 1, 2)
    t.pool("Pool2", "features.5", 3, 2)
    t.conv("Conv3", "features.6", 384, 3, 1, 1)
    t.conv("Conv4", "features.8", 256, 3, 1, 1)
    t.conv("Conv5", "features.10", 256, 3, 1, 1)
    t.pool("Pool5", "features.12", 3, 2)
    t.flatten("Flatten")
    t.fc("FC6", "classifier.1", 4096)
    t.fc("FC7", "classifier.4", 4096)
    t.fc("FC8", "classifier.6", 1000)
    return Arch("alexnet", "AlexNet (DeepRob table: torchvision's 64-192-384-256-256 variant, "
                "227×227 input)", (3, 227, 227), tuple(t.layers))


def _vgg16() -> Arch:
    """VGG-16 (configuration D): 3×3 p1 convs, 2×2/2 pools, FC 25088-4096-4096-1000."""
    t = _Chain(3, 224, 224)
    row = 0
    for stage, (width, convs) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)),
                                           start=1):
        for j in range(1, convs + 1):
            t.conv(f"conv{stage}_{j}", f"features.{row}", width, 3, 1, 1)
            row += 2  # conv + ReLU
        t.pool(f"pool{stage}", f"features.{row}", 2, 2)
        row += 1
    t.flatten()
    t.fc("fc6", "classifier.0", 4096)
    t.fc("fc7", "classifier.3", 4096)
    t.fc("fc8", "classifier.6", 1000)
    return Arch("vgg16", "VGG-16 (configuration D, 224×224 input)", (3, 224, 224),
                tuple(t.layers))


def _googlenet_stem() -> Arch:
    """The GoogLeNet stem of the DeepRob table, 224 → 28."""
    t = _Chain(3, 224, 224)
    t.conv("conv1", "conv1", 64, 7, 2, 3)
    t.pool("maxpool1", "maxpool1", 3, 2, 1)
    t.conv("conv2", "conv2", 64, 1)
    t.conv("conv3", "conv3", 192, 3, 1, 1)
    t.pool("maxpool2", "maxpool2", 3, 2, 1)
    return Arch("googlenet_stem", "the GoogLeNet stem (DeepRob table, 224×224 input)",
                (3, 224, 224), tuple(t.layers))


def _resnet(key: str, depth: int, block: str, blocks: tuple[int, ...]) -> Arch:
    """torchvision's ResNet: 7×7/2 conv (no bias) + BN, 3×3/2 max pool, four stages (stride 2 on
    the 3×3 conv of the first block of stages 2-4, 1×1 projection shortcut + BN where the shape
    changes), global average pool, FC to 1000."""
    t = _Chain(3, 224, 224)
    t.conv("conv1", "conv1", 64, 7, 2, 3, bias=False)
    t.bn("bn1", "bn1")
    t.pool("maxpool", "maxpool", 3, 2, 1)
    expansion = 1 if block == "basic" else 4
    inplanes = 64
    for i, (planes, n) in enumerate(zip((64, 128, 256, 512), blocks), start=1):
        stage = f"layer{i}"
        for b in range(n):
            stride = 2 if i > 1 and b == 0 else 1
            pre = f"{stage}.{b}"
            src = (t.c, t.h, t.w)
            if block == "basic":
                t.conv(f"{pre}.conv1", f"{pre}.conv1", planes, 3, stride, 1, False, stage)
                t.bn(f"{pre}.bn1", f"{pre}.bn1", stage)
                t.conv(f"{pre}.conv2", f"{pre}.conv2", planes, 3, 1, 1, False, stage)
                t.bn(f"{pre}.bn2", f"{pre}.bn2", stage)
            else:
                t.conv(f"{pre}.conv1", f"{pre}.conv1", planes, 1, 1, 0, False, stage)
                t.bn(f"{pre}.bn1", f"{pre}.bn1", stage)
                t.conv(f"{pre}.conv2", f"{pre}.conv2", planes, 3, stride, 1, False, stage)
                t.bn(f"{pre}.bn2", f"{pre}.bn2", stage)
                t.conv(f"{pre}.conv3", f"{pre}.conv3", planes * 4, 1, 1, 0, False, stage)
                t.bn(f"{pre}.bn3", f"{pre}.bn3", stage)
            if b == 0 and (stride != 1 or inplanes != planes * expansion):
                t.conv(f"{pre}.downsample.0", f"{pre}.downsample.0", planes * expansion, 1,
                       stride, 0, False, stage, src=src)
                t.bn(f"{pre}.downsample.1", f"{pre}.downsample.1", stage)
            inplanes = planes * expansion
    t.global_avg("avgpool", "avgpool")
    t.flatten()
    t.fc("fc", "fc", 1000)
    return Arch(key, f"ResNet-{depth} (torchvision, 224×224 input)", (3, 224, 224),
                tuple(t.layers), tuple(blocks), block)


_BUILDERS = {
    "lenet5": lambda: _lenet5("lenet5", 28, 2),
    "lenet5_32": lambda: _lenet5("lenet5_32", 32, 0),
    "lenet_deeprob": _lenet_deeprob,
    "alexnet": _alexnet,
    "vgg16": _vgg16,
    "googlenet_stem": _googlenet_stem,
    "resnet18": lambda: _resnet("resnet18", 18, "basic", (2, 2, 2, 2)),
    "resnet34": lambda: _resnet("resnet34", 34, "basic", (3, 4, 6, 3)),
    "resnet50": lambda: _resnet("resnet50", 50, "bottleneck", (3, 4, 6, 3)),
    "resnet101": lambda: _resnet("resnet101", 101, "bottleneck", (3, 4, 23, 3)),
    "resnet152": lambda: _resnet("resnet152", 152, "bottleneck", (3, 8, 36, 3)),
}

#: The networks ``network_trace`` can ask about (keys of the engine's ``models.MODELS``).
NAMES: tuple[str, ...] = tuple(_BUILDERS)


@lru_cache(maxsize=None)
def arch(key: str) -> Arch:
    """The lecture-table description of network ``key`` (cached)."""
    return _BUILDERS[key]()


@lru_cache(maxsize=None)
def engine_summary(key: str):
    """The engine's per-layer summary of the same network (built lazily, cached)."""
    from quizgen.engine.models import MODELS, get_model
    from quizgen.engine.summary import summary
    return summary(get_model(key), MODELS[key].input_shape, 4, name=key)
