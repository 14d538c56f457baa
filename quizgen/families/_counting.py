"""Helpers shared by the counting families (``param_count``, ``mult_count``, ``memory``).

* ``Count``: an ``int`` that remembers the unevaluated product it was written as, so an option
  can print "(3 × 3 × 3 + 1) × 64" like the lectures while distinctness, JSON and answer checks
  see the value 1792.
* ``count_option`` / ``count_key``: how a count is shown (product or grouped number) and the
  value-based distinctness key (two products equal in value never both appear).
* ``NAMED``: named layers of the reference networks (LeNet-5 of the slides' code, AlexNet at
  227 as in the DeepRob table, VGG-16 at 224, the GoogLeNet stem at 224) with their
  hyperparameters written out here, independently of ``engine/models.py``, so a family's closed
  form can be checked against ``engine.summary`` of the real model.
* ``layer_row``: that summary row (and the module's registered parameter shapes), cached.
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache

from quizgen.mathexpr import Expr, Num
from quizgen.model import T
from quizgen.numbers import fmt


class Count(int):
    """An integer with the expression it was computed from (``Count(Mul(3, 3, 64))`` == 576)."""

    expr: Expr

    def __new__(cls, expr):
        if not isinstance(expr, Expr):
            expr = Num(int(expr))
        value = expr.value()
        if int(value) != value:
            raise ValueError(f"{expr.text()} is not an integer")
        obj = int.__new__(cls, int(value))
        obj.expr = expr
        return obj

    def __repr__(self) -> str:
        return f"Count({self.expr.text()} = {int(self)})"


def count_option(value, form: str):
    """Option blocks of a count: the unevaluated product (``form == "product"``) or the number
    with thousands separators."""
    if form == "product" and isinstance(value, Count):
        return (T(value.expr),)
    return (T(fmt(int(value), group=True)),)


def count_key(value) -> str:
    """Distinctness by value: "3 × 64" and "64 × 3" are the same option."""
    if int(value) < 0:
        raise ValueError("negative count")
    return str(int(value))


def pick(primary: dict, secondary: dict, answer, n: int) -> dict:
    """The ``primary`` misconceptions, topped up from ``secondary`` (in order) until ``n``
    distinct wrong values exist. Keeps a fixed option set where the lectures have one."""
    out, seen = {}, {int(answer)}
    for key, v in list(primary.items()) + list(secondary.items()):
        if v is None or int(v) in seen:
            continue
        if len(out) >= n and key not in primary:
            break
        out[key] = v
        seen.add(int(v))
    return out


# --------------------------------------------------------------------------------------------
# named layers of the reference networks


@dataclass(frozen=True)
class Named:
    """A layer of a reference network, as the lecture tables describe it.

    ``kind``: conv | pool | fc. Conv/pool: input ``c_in × h × h``, kernel ``k``, stride ``s``,
    padding ``p`` per side; conv has ``c_out`` filters. FC: ``c_in × h × h`` flattened inputs
    (``h = 1`` for a vector) and ``c_out`` outputs. ``path`` is the module's name in
    ``engine.models``; ``model`` its registry name.
    """

    key: str
    title: str
    model: str
    path: str
    kind: str
    c_in: int
    h: int
    c_out: int = 0
    k: int = 1
    s: int = 1
    p: int = 0
    slip_params: int | None = None  # a number a lecture slide prints that does not add up

    @property
    def in_features(self) -> int:
        return self.c_in * self.h * self.h

    @property
    def input_shape(self) -> tuple[int, ...]:
        return (self.c_in, self.h, self.h)


def _alex():
    c = lambda n, path, ci, h, co, k, s, p: Named(f"alexnet.{n}", f"AlexNet {n}", "alexnet",
                                                   path, "conv", ci, h, co, k, s, p)
    q = lambda n, path, ci, h: Named(f"alexnet.{n}", f"AlexNet {n}", "alexnet", path, "pool",
                                     ci, h, ci, 3, 2, 0)
    return [
        c("conv1", "features.0", 3, 227, 64, 11, 4, 2), q("pool1", "features.2", 64, 56),
        c("conv2", "features.3", 64, 27, 192, 5, 1, 2), q("pool2", "features.5", 192, 27),
        c("conv3", "features.6", 192, 13, 384, 3, 1, 1),
        c("conv4", "features.8", 384, 13, 256, 3, 1, 1),
        c("conv5", "features.10", 256, 13, 256, 3, 1, 1), q("pool5", "features.12", 256, 13),
        # DeepRob prints 9216 * 4096 + 4096 = 37,725,832; the sum is 37,752,832.
        Named("alexnet.fc6", "AlexNet fc6", "alexnet", "classifier.1", "fc", 256, 6, 4096,
              slip_params=37_725_832),
        Named("alexnet.fc7", "AlexNet fc7", "alexnet", "classifier.4", "fc", 4096, 1, 4096),
        Named("alexnet.fc8", "AlexNet fc8", "alexnet", "classifier.6", "fc", 4096, 1, 1000),
    ]


def _vgg():
    out = []
    c_in, h, feat = 3, 224, 0
    for stage, (c_out, n) in enumerate(((64, 2), (128, 2), (256, 3), (512, 3), (512, 3)), 1):
        for j in range(1, n + 1):
            out.append(Named(f"vgg16.conv{stage}_{j}", f"VGG-16 conv{stage}_{j}", "vgg16",
                             f"features.{feat}", "conv", c_in, h, c_out, 3, 1, 1))
            c_in, feat = c_out, feat + 2
        out.append(Named(f"vgg16.pool{stage}", f"VGG-16 pool{stage}", "vgg16",
                         f"features.{feat}", "pool", c_in, h, c_in, 2, 2, 0))
        h, feat = h // 2, feat + 1
    out += [Named("vgg16.fc6", "VGG-16 fc6", "vgg16", "classifier.0", "fc", 512, 7, 4096),
            Named("vgg16.fc7", "VGG-16 fc7", "vgg16", "classifier.3", "fc", 4096, 1, 4096),
            Named("vgg16.fc8", "VGG-16 fc8", "vgg16", "classifier.6", "fc", 4096, 1, 1000)]
    return out


def _googlenet_stem():
    g = lambda n, kind, ci, h, co, k, s, p: Named(f"googlenet_stem.{n}", f"GoogLeNet stem {n}",
                                                   "googlenet_stem", n, kind, ci, h, co, k, s, p)
    return [g("conv1", "conv", 3, 224, 64, 7, 2, 3), g("maxpool1", "pool", 64, 112, 64, 3, 2, 1),
            g("conv2", "conv", 64, 56, 64, 1, 1, 0), g("conv3", "conv", 64, 56, 192, 3, 1, 1),
            g("maxpool2", "pool", 192, 56, 192, 3, 2, 1)]


def _lenet():
    l = lambda n, path, kind, ci, h, co=0, k=1, s=1, p=0: Named(
        f"lenet5.{n}", f"LeNet-5 {n}", "lenet5", path, kind, ci, h, co, k, s, p)
    return [l("conv1", "conv1", "conv", 1, 28, 6, 5, 1, 2), l("pool1", "max_pool_1", "pool", 6, 28, 6, 2, 2),
            l("conv2", "conv2", "conv", 6, 14, 16, 5, 1, 0), l("pool2", "max_pool_2", "pool", 16, 10, 16, 2, 2),
            l("fc1", "fc1", "fc", 16, 5, 120), l("fc2", "fc2", "fc", 120, 1, 84),
            l("fc3", "fc3", "fc", 84, 1, 10)]


NAMED: dict[str, Named] = {n.key: n for n in _lenet() + _alex() + _vgg() + _googlenet_stem()}


def named_keys(*kinds: str) -> tuple[str, ...]:
    return tuple(k for k, n in NAMED.items() if n.kind in kinds)


@lru_cache(maxsize=None)
def _summary(model: str, bytes_per_element: int):
    from quizgen.engine import models, summary
    info = models.MODELS[model]
    net = info.build()
    return net, summary.summary(net, info.input_shape, bytes_per_element, name=model)


@lru_cache(maxsize=None)
def layer_row(key: str, bytes_per_element: int = 4):
    """``(summary row, registered parameter count)`` of a named layer in the real model."""
    n = NAMED[key]
    model, table = _summary(n.model, bytes_per_element)
    module = dict(model.named_modules())[n.path]
    registered = sum(math.prod(s) for s in module.parameter_shapes().values())
    return table.row(n.path), registered
