"""A small torch-like Module system on top of :mod:`quizgen.engine.functional`.

What it mirrors from torch:

* ``Module`` keeps named children in insertion order; ``named_modules()``,
  ``named_parameters()``, ``parameters()``, ``state_dict()`` (torch key names, NumPy arrays, the
  same key order), ``load_state_dict(d, strict=True)``, ``train()``/``eval()``, and calling a
  module runs its ``forward``.
* Layers take torch's constructor arguments and produce torch's ``state_dict`` keys, so a
  state_dict saved from torch (converted to arrays) loads here and vice versa.
* Like torch, a freshly constructed module is in training mode. (Every model constructor in
  :mod:`quizgen.engine.models` returns its model in eval mode.)

What it adds:

* **Shape inference without running.** Every module answers ``output_shape(input_shape)``;
  leaf layers use the closed forms of :mod:`quizgen.engine.shapes`, containers trace their own
  ``forward`` with a :class:`ShapeProbe` standing in for the array, so the wiring has a single
  source of truth. :func:`trace_shapes` records each leaf call (used by ``summary``).
* **Accounting.** Each leaf layer's ``cost(input_shape)`` gives its output shape, weight and bias
  parameter counts, MACs (conv and linear only, as torchvision/fvcore/the ResNet paper count
  them) and pooling operations (``C·H'·W'·K²``, the DeepRob convention).
* **Lazy, seeded parameters.** A parameter is an array of a known shape that is only created
  when first read, from ``numpy.random.default_rng((seed, index))`` where ``index`` is the
  module's position in ``named_modules()`` order at the last :meth:`Module.reset_parameters`.
  So counting VGG-16's 138M parameters costs nothing, and the same seed always gives the same
  weights regardless of which layer is read first. Initialisation is torch's default for
  Conv2d/Linear: weight and bias ~ U(−1/√fan_in, 1/√fan_in); BatchNorm weight 1, bias 0,
  running mean 0, running variance 1.
* **Errors name the layer.** A bad input raises :class:`quizgen.errors.EngineError` prefixed
  with the layer's qualified name and type, e.g.
  ``features.0 (Conv2d): input has 3 channels but weight expects 4 ...``.

Inputs are converted to the module's dtype (float64 unless asked otherwise) before the op runs.
"""
from __future__ import annotations

import math
import numbers
import weakref
from collections import OrderedDict
from dataclasses import dataclass
from typing import Any, Callable, Iterator, NamedTuple

import numpy as np

from quizgen.engine import shapes as S
from quizgen.errors import EngineError, WeightsError

__all__ = [
    "Module", "Conv2d", "MaxPool2d", "AvgPool2d", "AdaptiveAvgPool2d", "Linear", "ReLU",
    "Sigmoid", "Tanh", "BatchNorm2d", "Flatten", "Dropout", "Identity", "Sequential",
    "BasicBlock", "Bottleneck", "LayerCost", "ShapeProbe", "TraceRecord", "trace_shapes",
    "IncompatibleKeys", "conv1x1", "conv3x3",
]


_FUNCTIONAL = None


def _F():
    """The functional module, imported on first use (it is written alongside this one)."""
    global _FUNCTIONAL
    if _FUNCTIONAL is None:
        from quizgen.engine import functional
        _FUNCTIONAL = functional
    return _FUNCTIONAL


# --------------------------------------------------------------------------------------------
# helpers


def _check_int(owner: str, name: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EngineError(f"{owner}: {name} must be an integer, got {value!r}")
    if int(value) < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise EngineError(f"{owner}: {name} must be {what}, got {name}={int(value)}")
    return int(value)


def _pair(owner: str, name: str, value: object, minimum: int) -> tuple[int, int]:
    if isinstance(value, (tuple, list)):
        if len(value) != 2:
            raise EngineError(f"{owner}: {name} must be an int or a pair, got {value!r}")
        return (_check_int(owner, name, value[0], minimum),
                _check_int(owner, name, value[1], minimum))
    v = _check_int(owner, name, value, minimum)
    return v, v


def _shape_str(shape: tuple[int, ...]) -> str:
    return "(" + ", ".join(str(v) for v in shape) + ")"


def _as_shape(owner: str, shape: object) -> tuple[int, ...]:
    try:
        dims = tuple(shape)  # type: ignore[arg-type]
    except TypeError:
        raise EngineError(f"{owner}: a shape must be a sequence of ints, got {shape!r}") from None
    out = []
    for v in dims:
        if isinstance(v, bool) or not isinstance(v, numbers.Integral):
            raise EngineError(f"{owner}: a shape must be a sequence of ints, got {shape!r}")
        if int(v) < 1:
            raise EngineError(f"{owner}: every size must be positive, got shape "
                              f"{_shape_str(tuple(int(x) for x in dims))}")
        out.append(int(v))
    return tuple(out)


class _UniformFanIn:
    """torch's default Conv2d/Linear init: ``U(−1/√fan_in, 1/√fan_in)`` (weights and biases)."""

    def __init__(self, fan_in: int):
        self.fan_in = fan_in

    def __call__(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        bound = 1.0 / math.sqrt(self.fan_in)
        return rng.uniform(-bound, bound, size=shape)


class _Constant:
    """Every value ``value`` (BatchNorm γ = 1, β = 0)."""

    def __init__(self, value: float):
        self.value = value

    def __call__(self, rng: np.random.Generator, shape: tuple[int, ...]) -> np.ndarray:
        return np.full(shape, self.value, dtype=np.float64)


def _to_array(value: Any) -> np.ndarray:
    """An ndarray from an array-like or a torch tensor (detached, on the CPU)."""
    if hasattr(value, "detach") and hasattr(value, "cpu"):
        value = value.detach().cpu().numpy()
    return np.asarray(value)


# --------------------------------------------------------------------------------------------
# shape tracing


class ShapeProbe:
    """Stands in for an array while tracing shapes: it has a ``shape`` and nothing else.

    Leaf layers called with a probe return a probe of their output shape (computed by the
    closed forms) and record the call; containers run their ordinary ``forward``. A residual
    ``a + b`` of two probes checks that the shapes agree.
    """

    __slots__ = ("shape", "_records")

    def __init__(self, shape: tuple[int, ...], records: list | None = None):
        self.shape = tuple(shape)
        self._records = records

    @property
    def ndim(self) -> int:
        return len(self.shape)

    def _derive(self, shape: tuple[int, ...]) -> "ShapeProbe":
        return ShapeProbe(shape, self._records)

    def __add__(self, other: object) -> "ShapeProbe":
        other_shape = getattr(other, "shape", None)
        if other_shape is not None and tuple(other_shape) != self.shape:
            raise EngineError(f"cannot add shapes {_shape_str(self.shape)} and "
                              f"{_shape_str(tuple(other_shape))}")
        return self._derive(self.shape)

    __radd__ = __add__

    def __repr__(self) -> str:
        return f"ShapeProbe{_shape_str(self.shape)}"


@dataclass(frozen=True)
class LayerCost:
    """What a leaf layer costs on a given input, computed without running it.

    ``macs`` counts multiply-adds of conv/linear layers over the whole input batch;
    ``pool_ops`` counts ``C·H'·W'·K_h·K_w`` window reads of pooling layers (batch included).
    """

    output_shape: tuple[int, ...]
    weight_params: int = 0
    bias_params: int = 0
    macs: int = 0
    pool_ops: int = 0

    @property
    def params(self) -> int:
        return self.weight_params + self.bias_params


@dataclass(frozen=True)
class TraceRecord:
    """One leaf call seen while tracing: the module, its input and output shapes, its cost."""

    module: "Module"
    input_shape: tuple[int, ...]
    output_shape: tuple[int, ...]
    cost: LayerCost


def trace_shapes(module: "Module", input_shape: tuple[int, ...]) -> list[TraceRecord]:
    """Every leaf-layer call of ``module`` on an input of ``input_shape``, in call order.

    Nothing is computed but shapes and costs; no parameter is created. A layer called several
    times (torchvision blocks reuse one ``relu``) appears once per call.
    """
    shape = _as_shape(f"{module._label()}", input_shape)
    records: list[TraceRecord] = []
    out = module(ShapeProbe(shape, records))
    if not isinstance(out, ShapeProbe):  # pragma: no cover - a forward that drops the probe
        raise EngineError(f"{module._label()}: forward returned {type(out).__name__} while "
                          "tracing shapes; forwards must only call modules and add results")
    return records


class IncompatibleKeys(NamedTuple):
    missing_keys: list[str]
    unexpected_keys: list[str]


# --------------------------------------------------------------------------------------------
# Module


class Module:
    """Base class: named children, lazily created seeded parameters, buffers, state_dict.

    Subclasses register parameters with :meth:`register_parameter` (a shape and an initialiser)
    and buffers with :meth:`register_buffer`, assign child modules as attributes, and define
    ``forward``. Leaf layers set ``_leaf = True`` and define ``cost(input_shape)``.
    """

    _leaf = False

    def __init__(self, *, dtype: Any = np.float64):
        d = object.__setattr__
        d(self, "_modules", OrderedDict())
        d(self, "_param_specs", OrderedDict())   # name -> (shape, init)
        d(self, "_params", {})                   # name -> materialised ndarray
        d(self, "_buffers", OrderedDict())       # name -> ndarray
        d(self, "_parent", None)
        d(self, "_key", None)
        d(self, "_init_seed", (0, 0))
        d(self, "_rng", None)
        d(self, "_dtype", _float_dtype(type(self).__name__, dtype))
        d(self, "training", True)

    # -- attribute plumbing ------------------------------------------------------------------

    def __getattr__(self, name: str) -> Any:
        # Only called when normal lookup fails.
        dct = self.__dict__
        if "_param_specs" in dct:
            if name in dct["_param_specs"]:
                return self._get_param(name)
            if name in dct["_buffers"]:
                return dct["_buffers"][name]
            if name in dct["_modules"]:
                return dct["_modules"][name]
        raise AttributeError(f"{type(self).__name__!r} object has no attribute {name!r}")

    def __setattr__(self, name: str, value: Any) -> None:
        dct = self.__dict__
        if "_modules" not in dct:
            raise AttributeError(f"{type(self).__name__}.__init__ must call "
                                 "Module.__init__ before assigning attributes")
        if isinstance(value, Module):
            self.add_module(name, value)
        elif name in dct["_param_specs"]:
            self._set_param(name, value)
        elif name in dct["_buffers"]:
            dct["_buffers"][name] = _to_array(value)
        elif name in dct["_modules"]:
            if value is not None:
                raise EngineError(f"{self._label()}: cannot replace child module {name!r} "
                                  f"with a {type(value).__name__}")
            del dct["_modules"][name]
            object.__setattr__(self, name, None)
        else:
            object.__setattr__(self, name, value)

    def __delattr__(self, name: str) -> None:
        for store in ("_modules", "_param_specs", "_buffers"):
            if name in self.__dict__[store]:
                del self.__dict__[store][name]
                self.__dict__["_params"].pop(name, None)
                return
        object.__delattr__(self, name)

    def add_module(self, name: str, module: "Module | None") -> None:
        """Attach ``module`` as a child called ``name`` (kept in insertion order)."""
        if not isinstance(name, str) or not name or "." in name:
            raise EngineError(f"{self._label()}: a child module name must be a non-empty "
                              f"string without dots, got {name!r}")
        if name in self.__dict__["_param_specs"] or name in self.__dict__["_buffers"]:
            raise EngineError(f"{self._label()}: {name!r} is already a parameter or buffer")
        if module is None:
            self.__dict__["_modules"].pop(name, None)
            object.__setattr__(self, name, None)
            return
        if not isinstance(module, Module):
            raise EngineError(f"{self._label()}: child {name!r} must be a Module, got "
                              f"{type(module).__name__}")
        self.__dict__.pop(name, None)
        self.__dict__["_modules"][name] = module
        object.__setattr__(module, "_parent", weakref.ref(self))
        object.__setattr__(module, "_key", name)

    def register_parameter(self, name: str, shape: tuple[int, ...],
                           init: Callable[[np.random.Generator, tuple[int, ...]], np.ndarray]
                           ) -> None:
        """Declare a parameter of ``shape``; it is created by ``init(rng, shape)`` when read."""
        self.__dict__.pop(name, None)
        self.__dict__["_param_specs"][name] = (tuple(int(v) for v in shape), init)
        self.__dict__["_params"].pop(name, None)

    def register_buffer(self, name: str, value: np.ndarray) -> None:
        """Declare a buffer (state that is not a parameter, e.g. BatchNorm running stats)."""
        self.__dict__.pop(name, None)
        self.__dict__["_buffers"][name] = _to_array(value)

    def _get_param(self, name: str) -> np.ndarray:
        params = self.__dict__["_params"]
        if name not in params:
            self._materialise()
        return params[name]

    def _set_param(self, name: str, value: Any) -> None:
        shape = self.__dict__["_param_specs"][name][0]
        arr = _to_array(value)
        if arr.shape != shape:
            raise WeightsError(f"{self._label()}: parameter {name!r} must have shape "
                               f"{_shape_str(shape)}, got {_shape_str(arr.shape)}")
        self.__dict__["_params"][name] = np.array(arr, dtype=self._dtype, copy=True)

    def _materialise(self) -> None:
        """Create every not-yet-created parameter of this module from its seeded generator."""
        rng = np.random.default_rng(list(self.__dict__["_init_seed"]))
        params = self.__dict__["_params"]
        for name, (shape, init) in self.__dict__["_param_specs"].items():
            value = init(rng, shape)  # always drawn, so the stream does not depend on loads
            if name not in params:
                params[name] = np.asarray(value, dtype=self._dtype)

    # -- copying -----------------------------------------------------------------------------

    def __getstate__(self) -> dict:
        # The parent link is a weak reference (not picklable); each parent restores it.
        state = dict(self.__dict__)
        state["_parent"] = None
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        for child in state["_modules"].values():
            object.__setattr__(child, "_parent", weakref.ref(self))

    # -- naming ------------------------------------------------------------------------------

    @property
    def qualified_name(self) -> str:
        """Dotted path from the outermost parent, e.g. ``layer1.0.conv1`` ('' for a root)."""
        parts = []
        m: Module | None = self
        while m is not None:
            parent = m.__dict__["_parent"]
            p = parent() if parent is not None else None
            if p is None:
                break
            parts.append(m.__dict__["_key"])
            m = p
        return ".".join(reversed(parts))

    def _label(self) -> str:
        q = self.qualified_name
        return f"{q} ({type(self).__name__})" if q else type(self).__name__

    # -- traversal ---------------------------------------------------------------------------

    def named_children(self) -> Iterator[tuple[str, "Module"]]:
        yield from self.__dict__["_modules"].items()

    def children(self) -> Iterator["Module"]:
        for _, m in self.named_children():
            yield m

    def named_modules(self, prefix: str = "") -> Iterator[tuple[str, "Module"]]:
        """This module and every descendant, pre-order, each once (torch's order)."""
        seen: set[int] = set()

        def walk(m: Module, name: str):
            if id(m) in seen:
                return
            seen.add(id(m))
            yield name, m
            for key, child in m.named_children():
                yield from walk(child, f"{name}.{key}" if name else key)

        yield from walk(self, prefix)

    def modules(self) -> Iterator["Module"]:
        for _, m in self.named_modules():
            yield m

    def named_parameters(self) -> Iterator[tuple[str, np.ndarray]]:
        """``(state_dict key, array)`` for every parameter (creating them if needed)."""
        for prefix, m in self.named_modules():
            for name in m.__dict__["_param_specs"]:
                yield (f"{prefix}.{name}" if prefix else name), m._get_param(name)

    def parameters(self) -> list[np.ndarray]:
        return [p for _, p in self.named_parameters()]

    def named_buffers(self) -> Iterator[tuple[str, np.ndarray]]:
        for prefix, m in self.named_modules():
            for name, value in m.__dict__["_buffers"].items():
                yield (f"{prefix}.{name}" if prefix else name), value

    def parameter_shapes(self) -> "OrderedDict[str, tuple[int, ...]]":
        """Parameter key → shape, without creating any parameter."""
        out: OrderedDict[str, tuple[int, ...]] = OrderedDict()
        for prefix, m in self.named_modules():
            for name, (shape, _) in m.__dict__["_param_specs"].items():
                out[f"{prefix}.{name}" if prefix else name] = shape
        return out

    def state_shapes(self) -> "OrderedDict[str, tuple[int, ...]]":
        """state_dict key → shape (parameters and buffers), without creating any parameter."""
        return OrderedDict((k, e[3]) for k, e in self._state_entries().items())

    def num_parameters(self) -> int:
        """Total number of parameter values (weights and biases), without creating them."""
        return sum(math.prod(s) for s in self.parameter_shapes().values())

    def _state_entries(self) -> "OrderedDict[str, tuple[Module, str, str, tuple[int, ...]]]":
        """state_dict key → (module, attribute, 'param'|'buffer', shape), torch's key order."""
        out: OrderedDict[str, tuple[Module, str, str, tuple[int, ...]]] = OrderedDict()
        for prefix, m in self.named_modules():
            for name, (shape, _) in m.__dict__["_param_specs"].items():
                out[f"{prefix}.{name}" if prefix else name] = (m, name, "param", shape)
            for name, value in m.__dict__["_buffers"].items():
                out[f"{prefix}.{name}" if prefix else name] = (m, name, "buffer", value.shape)
        return out

    # -- state -------------------------------------------------------------------------------

    def state_dict(self) -> "OrderedDict[str, np.ndarray]":
        """Copies of every parameter and buffer, keyed and ordered as torch's ``state_dict``."""
        out: OrderedDict[str, np.ndarray] = OrderedDict()
        for key, (m, name, kind, _) in self._state_entries().items():
            value = m._get_param(name) if kind == "param" else m.__dict__["_buffers"][name]
            out[key] = np.array(value, copy=True)
        return out

    def load_state_dict(self, state_dict: Any, strict: bool = True) -> IncompatibleKeys:
        """Copy arrays from ``state_dict`` (a mapping key → array-like) into this module.

        Shapes must match exactly. With ``strict=True`` every key must be present and no other
        key may be; otherwise missing keys keep their current values and unexpected ones are
        ignored. Problems are collected and raised together as one
        :class:`~quizgen.errors.WeightsError` naming each key (and both shapes when they differ).
        Values are converted to the module's dtype (``num_batches_tracked`` stays int64).
        """
        try:
            items = dict(state_dict.items())
        except AttributeError:
            raise WeightsError(f"load_state_dict: expected a mapping of names to arrays, got "
                               f"{type(state_dict).__name__}") from None
        entries = self._state_entries()
        missing = [k for k in entries if k not in items]
        unexpected = [k for k in items if k not in entries]
        problems = []
        arrays = {}
        for key, value in items.items():
            if key not in entries:
                continue
            try:
                arr = _to_array(value)
            except Exception as exc:  # noqa: BLE001 - any conversion failure is a bad file
                problems.append(f"{key!r} is not an array ({exc})")
                continue
            if arr.dtype.kind not in "biuf":
                problems.append(f"{key!r} has non-numeric dtype {arr.dtype}")
                continue
            expected = entries[key][3]
            if arr.shape != expected:
                problems.append(f"size mismatch for {key!r}: weights have shape "
                                f"{_shape_str(arr.shape)}, the model expects "
                                f"{_shape_str(expected)}")
                continue
            arrays[key] = arr
        if strict and missing:
            problems.insert(0, "missing keys: " + ", ".join(repr(k) for k in missing))
        if strict and unexpected:
            problems.insert(1 if strict and missing else 0,
                            "unexpected keys: " + ", ".join(repr(k) for k in unexpected))
        if problems:
            raise WeightsError(f"load_state_dict into {type(self).__name__}: "
                               + "; ".join(problems))
        for key, arr in arrays.items():
            m, name, kind, _ = entries[key]
            if kind == "param":
                m.__dict__["_params"][name] = np.array(arr, dtype=m._dtype, copy=True)
            else:
                old = m.__dict__["_buffers"][name]
                dtype = old.dtype if old.dtype.kind in "iub" else m._dtype
                m.__dict__["_buffers"][name] = np.array(arr, dtype=dtype, copy=True)
        return IncompatibleKeys(missing, unexpected)

    def reset_parameters(self, seed: int = 0) -> "Module":
        """Re-seed every parameter in this subtree; they are recreated on next read.

        The ``i``-th module of ``named_modules()`` draws from ``default_rng((seed, i))``.
        Buffers go back to their initial values (BatchNorm: mean 0, variance 1, count 0).
        """
        seed = _check_int(f"{self._label()}.reset_parameters", "seed", seed, 0)
        for i, (_, m) in enumerate(self.named_modules()):
            object.__setattr__(m, "_init_seed", (seed, i))
            object.__setattr__(m, "_rng", None)
            m.__dict__["_params"].clear()
            m._reset_buffers()
        return self

    def _reset_buffers(self) -> None:
        """Put buffers back to their initial values (overridden by layers that have some)."""

    # -- modes and dtype ---------------------------------------------------------------------

    def train(self, mode: bool = True) -> "Module":
        for m in self.modules():
            object.__setattr__(m, "training", bool(mode))
        return self

    def eval(self) -> "Module":
        return self.train(False)

    @property
    def dtype(self) -> np.dtype:
        """Floating dtype of the parameters (of the first layer that has any)."""
        for m in self.modules():
            if m.__dict__["_param_specs"] or m.__dict__["_buffers"]:
                return m.__dict__["_dtype"]
        return self.__dict__["_dtype"]

    def to(self, dtype: Any) -> "Module":
        """Convert every parameter and floating buffer to ``dtype`` (float32 or float64)."""
        dt = _float_dtype(self._label(), dtype)
        for m in self.modules():
            object.__setattr__(m, "_dtype", dt)
            params = m.__dict__["_params"]
            for k in params:
                params[k] = params[k].astype(dt)
            bufs = m.__dict__["_buffers"]
            for k in bufs:
                if bufs[k].dtype.kind == "f":
                    bufs[k] = bufs[k].astype(dt)
        return self

    def float(self) -> "Module":
        return self.to(np.float32)

    def double(self) -> "Module":
        return self.to(np.float64)

    # -- running -----------------------------------------------------------------------------

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if args and isinstance(args[0], ShapeProbe):
            return self._trace(args[0])
        return self.forward(*args, **kwargs)

    def forward(self, *args: Any, **kwargs: Any) -> Any:
        raise NotImplementedError(f"{type(self).__name__} does not define forward")

    def _trace(self, probe: ShapeProbe) -> ShapeProbe:
        if not self._leaf:
            return self.forward(probe)
        cost = self.cost(probe.shape)
        if probe._records is not None:
            probe._records.append(TraceRecord(self, probe.shape, cost.output_shape, cost))
        return probe._derive(cost.output_shape)

    def output_shape(self, input_shape: tuple[int, ...]) -> tuple[int, ...]:
        """Shape of the output for an input of ``input_shape``, without running anything."""
        shape = _as_shape(self._label(), input_shape)
        if self._leaf:
            return self.cost(shape).output_shape
        out = self(ShapeProbe(shape))
        return out.shape

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        """Output shape, parameters, MACs and pooling ops on ``input_shape`` (batch included).

        For a container this is the sum over its leaf layers (output shape of the whole).
        """
        shape = _as_shape(self._label(), input_shape)
        records = trace_shapes(self, shape)
        return LayerCost(
            output_shape=records[-1].output_shape if records else shape,
            weight_params=_unique_params(records, "weight_params"),
            bias_params=_unique_params(records, "bias_params"),
            macs=sum(r.cost.macs for r in records),
            pool_ops=sum(r.cost.pool_ops for r in records),
        )

    def _input(self, x: Any) -> np.ndarray:
        """``x`` as an array of this module's dtype."""
        arr = _to_array(x)
        if arr.dtype != self._dtype:
            if arr.dtype.kind not in "biuf":
                raise EngineError(f"{self._label()}: input must be numeric, got dtype "
                                  f"{arr.dtype}")
            arr = arr.astype(self._dtype)
        return arr

    # -- display -----------------------------------------------------------------------------

    def extra_repr(self) -> str:
        return ""

    def __repr__(self) -> str:
        lines = []
        for name, child in self.named_children():
            body = repr(child).replace("\n", "\n  ")
            lines.append(f"  ({name}): {body}")
        head = f"{type(self).__name__}({self.extra_repr()}"
        if not lines:
            return head + ")"
        return head + "\n" + "\n".join(lines) + "\n)"


def _unique_params(records: list[TraceRecord], field: str) -> int:
    seen: set[int] = set()
    total = 0
    for r in records:
        if id(r.module) not in seen:
            seen.add(id(r.module))
            total += getattr(r.cost, field)
    return total


def _float_dtype(owner: str, dtype: Any) -> np.dtype:
    try:
        dt = np.dtype(dtype)
    except TypeError:
        raise EngineError(f"{owner}: unknown dtype {dtype!r}") from None
    if dt not in (np.dtype(np.float32), np.dtype(np.float64)):
        raise EngineError(f"{owner}: dtype must be float32 or float64, got {dt}")
    return dt


# --------------------------------------------------------------------------------------------
# leaf layers


class _Leaf(Module):
    _leaf = True

    def _expect_ndim(self, shape: tuple[int, ...], ndims: tuple[int, ...], what: str) -> None:
        if len(shape) not in ndims:
            raise EngineError(f"{self._label()}: expected a {what} input, got shape "
                              f"{_shape_str(shape)} ({len(shape)} dimensions)")


def _conv_padding(owner: str, padding: Any, kernel: tuple[int, int], stride: tuple[int, int],
                  dilation: tuple[int, int]) -> tuple[int, int, int, int]:
    """torch Conv2d padding → (top, bottom, left, right)."""
    if isinstance(padding, str):
        if padding == "valid":
            return 0, 0, 0, 0
        if padding == "same":
            if stride != (1, 1):
                raise EngineError(f"{owner}: padding='same' needs stride 1, got stride {stride}")
            th = dilation[0] * (kernel[0] - 1)
            tw = dilation[1] * (kernel[1] - 1)
            return th // 2, th - th // 2, tw // 2, tw - tw // 2
        raise EngineError(f"{owner}: padding must be an int, a pair, 'valid' or 'same', got "
                          f"{padding!r}")
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        t, b, l, r = (_check_int(owner, "padding", v, 0) for v in padding)
        return t, b, l, r
    ph, pw = _pair(owner, "padding", padding, 0)
    return ph, ph, pw, pw


class Conv2d(_Leaf):
    """2-D convolution (cross-correlation, as torch), weight ``(C_out, C_in/groups, K_h, K_w)``.

    ``padding``: int (per side), pair ``(p_h, p_w)``, ``(top, bottom, left, right)``,
    ``"valid"`` or ``"same"`` (stride 1 only; an odd total puts the extra row bottom/right).
    """

    def __init__(self, in_channels: int, out_channels: int, kernel_size: Any, stride: Any = 1,
                 padding: Any = 0, dilation: Any = 1, groups: int = 1, bias: bool = True,
                 dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        o = "Conv2d"
        self.in_channels = _check_int(o, "in_channels", in_channels, 1)
        self.out_channels = _check_int(o, "out_channels", out_channels, 1)
        self.kernel_size = _pair(o, "kernel_size", kernel_size, 1)
        self.stride = _pair(o, "stride", stride, 1)
        self.dilation = _pair(o, "dilation", dilation, 1)
        self.groups = _check_int(o, "groups", groups, 1)
        if self.in_channels % self.groups or self.out_channels % self.groups:
            raise EngineError(f"{o}: groups={self.groups} must divide in_channels="
                              f"{self.in_channels} and out_channels={self.out_channels}")
        self.padding = padding if isinstance(padding, str) else (
            tuple(padding) if isinstance(padding, (tuple, list)) else padding)
        self._pads = _conv_padding(o, padding, self.kernel_size, self.stride, self.dilation)
        fan_in = (self.in_channels // self.groups) * self.kernel_size[0] * self.kernel_size[1]
        self.register_parameter("weight", (self.out_channels, self.in_channels // self.groups,
                                           *self.kernel_size), _UniformFanIn(fan_in))
        self.has_bias = bool(bias)
        if bias:
            self.register_parameter("bias", (self.out_channels,), _UniformFanIn(fan_in))

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        shape = _as_shape(self._label(), input_shape)
        self._expect_ndim(shape, (3, 4), "3-D (C, H, W) or 4-D (N, C, H, W)")
        lead, (c, h, w) = shape[:-3], shape[-3:]
        n = math.prod(lead)
        wshape = (self.out_channels, self.in_channels // self.groups, *self.kernel_size)
        if c != self.in_channels:
            raise EngineError(f"{self._label()}: input has {c} channels but weight expects "
                              f"{self.in_channels} (input shape {_shape_str(shape)}, weight "
                              f"shape {_shape_str(wshape)})")
        t, b, l, r = self._pads
        try:
            h_out = S.conv_out_asym(h, self.kernel_size[0], self.stride[0], t, b,
                                    self.dilation[0])
            w_out = S.conv_out_asym(w, self.kernel_size[1], self.stride[1], l, r,
                                    self.dilation[1])
        except EngineError:
            raise EngineError(
                f"{self._label()}: kernel {self.kernel_size[0]}×{self.kernel_size[1]}"
                + (f" (dilation {self.dilation[0]}×{self.dilation[1]})"
                   if self.dilation != (1, 1) else "")
                + f" is larger than the padded input {h + t + b}×{w + l + r} (input shape "
                f"{_shape_str(shape)}, padding {self.padding!r}); there is no output position"
            ) from None
        weights, biases = S.conv_param_split(c, self.out_channels, *self.kernel_size,
                                             bias=self.has_bias, groups=self.groups)
        macs = n * S.conv_macs(c, self.out_channels, *self.kernel_size, h_out, w_out,
                               groups=self.groups)
        return LayerCost((*lead, self.out_channels, h_out, w_out), weights, biases, macs, 0)

    def __setattr__(self, name: str, value: Any) -> None:
        self.__dict__.pop("_checked_shape", None)       # a changed setting re-checks the input
        super().__setattr__(name, value)

    def _check_input(self, shape: tuple[int, ...]) -> None:
        """Raise this layer's error for an input shape it cannot take (:meth:`cost`'s checks);
        the last shape that passed is remembered, so a repeated shape costs one comparison."""
        if shape != self.__dict__.get("_checked_shape"):
            self.cost(shape)
            self.__dict__["_checked_shape"] = shape

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        self._check_input(x.shape)
        return _F().conv2d(x, self.weight, self.bias if self.has_bias else None,
                           stride=self.stride, padding=self._pads, dilation=self.dilation,
                           groups=self.groups, name=self._label())

    def _forward_fused(self, x: np.ndarray, bn: "BatchNorm2d | None", relu: bool) -> np.ndarray:
        """``relu(bn(self(x)))`` as one fused convolution (see :func:`conv_bn_relu`).

        ``x`` has this layer's dtype (``conv_bn_relu`` converts it). Once :meth:`cost` has
        accepted the input shape, the product runs without the functional API's re-validation:
        the layer's own parameters have its dtype and shapes by construction.
        """
        F = _F()
        self._check_input(x.shape)
        scale = shift = None
        if bn is not None:
            scale, shift = bn._eval_affine(x.dtype)
        weight = self.weight                           # created on first use
        bias = self.__dict__["_params"].get("bias")
        if x.size == 0:                                # the functional API names the problem
            return F._conv2d_fused(x, weight, bias, self.stride, self._pads, self.dilation,
                                   self.groups, scale, shift, relu, name=self._label())
        x4 = x if x.ndim == 4 else x[None]
        out = F._conv2d_forward(x4, weight, self.stride, self._pads, self.dilation,
                                self.groups, bias=bias, scale=scale, shift=shift, relu=relu)
        return out if x.ndim == 4 else out[0]

    def extra_repr(self) -> str:
        s = (f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
             f"stride={self.stride}")
        if self._pads != (0, 0, 0, 0):
            s += f", padding={self.padding}"
        if self.dilation != (1, 1):
            s += f", dilation={self.dilation}"
        if self.groups != 1:
            s += f", groups={self.groups}"
        if not self.has_bias:
            s += ", bias=False"
        return s


class _Pool(_Leaf):
    def _pool_dims(self, shape: tuple[int, ...]) -> tuple[int, int]:
        self._expect_ndim(shape, (3, 4), "3-D (C, H, W) or 4-D (N, C, H, W)")
        h, w = shape[-2:]
        try:
            h_out = S.pool_out(h, self.kernel_size[0], self.stride[0], self.padding[0],
                               self.dilation[0], self.ceil_mode)
            w_out = S.pool_out(w, self.kernel_size[1], self.stride[1], self.padding[1],
                               self.dilation[1], self.ceil_mode)
        except EngineError as err:
            detail = str(err).split(": ", 1)[-1]
            raise EngineError(f"{self._label()}: input shape {_shape_str(shape)}, kernel "
                              f"{self.kernel_size}, stride {self.stride}, padding "
                              f"{self.padding}: {detail}") from None
        return h_out, w_out

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        shape = _as_shape(self._label(), input_shape)
        h_out, w_out = self._pool_dims(shape)
        lead = shape[:-2]
        ops = math.prod(lead[:-1]) * S.pool_ops(lead[-1], h_out, w_out, self.kernel_size)
        return LayerCost((*lead, h_out, w_out), 0, 0, 0, ops)

    def _init_pool(self, owner: str, kernel_size: Any, stride: Any, padding: Any,
                   dilation: Any, ceil_mode: bool) -> None:
        self.kernel_size = _pair(owner, "kernel_size", kernel_size, 1)
        self.stride = self.kernel_size if stride is None or stride == () else \
            _pair(owner, "stride", stride, 1)
        self.padding = _pair(owner, "padding", padding, 0)
        self.dilation = _pair(owner, "dilation", dilation, 1)
        self.ceil_mode = bool(ceil_mode)
        for k, p in zip(self.kernel_size, self.padding):
            if p > k // 2:
                raise EngineError(f"{owner}: padding {self.padding} must be at most half the "
                                  f"kernel size {self.kernel_size}")

    def extra_repr(self) -> str:
        s = f"kernel_size={self.kernel_size}, stride={self.stride}, padding={self.padding}"
        if self.ceil_mode:
            s += ", ceil_mode=True"
        return s


class MaxPool2d(_Pool):
    """Max pooling; ``stride`` defaults to ``kernel_size``; torch's ``ceil_mode`` rule."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 dilation: Any = 1, ceil_mode: bool = False, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        self._init_pool("MaxPool2d", kernel_size, stride, padding, dilation, ceil_mode)

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        self.cost(x.shape)
        return _F().max_pool2d(x, self.kernel_size, self.stride, self.padding, self.dilation,
                               self.ceil_mode, name=self._label())


class AvgPool2d(_Pool):
    """Average pooling; zero padding counts in the divisor unless ``count_include_pad=False``."""

    def __init__(self, kernel_size: Any, stride: Any = None, padding: Any = 0,
                 ceil_mode: bool = False, count_include_pad: bool = True,
                 divisor_override: int | None = None, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        self._init_pool("AvgPool2d", kernel_size, stride, padding, 1, ceil_mode)
        self.count_include_pad = bool(count_include_pad)
        self.divisor_override = (None if divisor_override is None else
                                 _check_int("AvgPool2d", "divisor_override", divisor_override, 1))

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        self.cost(x.shape)
        return _F().avg_pool2d(x, self.kernel_size, self.stride, self.padding,
                               ceil_mode=self.ceil_mode,
                               count_include_pad=self.count_include_pad,
                               divisor_override=self.divisor_override, name=self._label())


def _adaptive_windows(n: int, out: int) -> list[int]:
    """Window lengths of torch's adaptive pooling: ``[⌊i·n/out⌋, ⌈(i+1)·n/out⌉)``."""
    return [-(-((i + 1) * n) // out) - (i * n) // out for i in range(out)]


class AdaptiveAvgPool2d(_Leaf):
    """Average pooling to a fixed output size (``None`` in a pair keeps that input size).

    Pooling ops are the exact number of window reads, ``C · Σ_i h_i · Σ_j w_j`` with torch's
    windows ``[⌊i·n/out⌋, ⌈(i+1)·n/out⌉)``; for global pooling that is ``C·H·W``.
    """

    def __init__(self, output_size: Any, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        o = "AdaptiveAvgPool2d"
        if isinstance(output_size, (tuple, list)):
            if len(output_size) != 2:
                raise EngineError(f"{o}: output_size must be an int or a pair, got "
                                  f"{output_size!r}")
            self.output_size = tuple(None if v is None else _check_int(o, "output_size", v, 1)
                                     for v in output_size)
        else:
            v = _check_int(o, "output_size", output_size, 1)
            self.output_size = (v, v)

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        shape = _as_shape(self._label(), input_shape)
        self._expect_ndim(shape, (3, 4), "3-D (C, H, W) or 4-D (N, C, H, W)")
        lead, (h, w) = shape[:-2], shape[-2:]
        oh = h if self.output_size[0] is None else self.output_size[0]
        ow = w if self.output_size[1] is None else self.output_size[1]
        ops = math.prod(lead) * sum(_adaptive_windows(h, oh)) * sum(_adaptive_windows(w, ow))
        return LayerCost((*lead, oh, ow), 0, 0, 0, ops)

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        out_shape = self.cost(x.shape).output_shape
        return _F().adaptive_avg_pool2d(x, out_shape[-2:], name=self._label())

    def extra_repr(self) -> str:
        return f"output_size={self.output_size}"


class Linear(_Leaf):
    """``y = x Wᵀ + b`` on the last dimension; weight ``(out_features, in_features)``."""

    def __init__(self, in_features: int, out_features: int, bias: bool = True,
                 dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        self.in_features = _check_int("Linear", "in_features", in_features, 1)
        self.out_features = _check_int("Linear", "out_features", out_features, 1)
        self.has_bias = bool(bias)
        init = _UniformFanIn(self.in_features)
        self.register_parameter("weight", (self.out_features, self.in_features), init)
        if bias:
            self.register_parameter("bias", (self.out_features,), init)

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        shape = _as_shape(self._label(), input_shape)
        if not shape or shape[-1] != self.in_features:
            got = shape[-1] if shape else "no"
            hint = ("; flatten the input first" if len(shape) > 2 else "")
            raise EngineError(f"{self._label()}: input has {got} features in its last "
                              f"dimension but weight expects {self.in_features} (input shape "
                              f"{_shape_str(shape)}, weight shape "
                              f"({self.out_features}, {self.in_features})){hint}")
        rows = math.prod(shape[:-1])
        weights = self.in_features * self.out_features
        return LayerCost((*shape[:-1], self.out_features), weights,
                         self.out_features if self.has_bias else 0,
                         rows * S.linear_macs(self.in_features, self.out_features), 0)

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        self.cost(x.shape)
        return _F().linear(x, self.weight, self.bias if self.has_bias else None,
                           name=self._label())

    def extra_repr(self) -> str:
        return (f"in_features={self.in_features}, out_features={self.out_features}, "
                f"bias={self.has_bias}")


class _Elementwise(_Leaf):
    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        return LayerCost(_as_shape(self._label(), input_shape))


class ReLU(_Elementwise):
    """``max(x, 0)``. ``inplace`` is accepted for torch compatibility; a new array is returned."""

    def __init__(self, inplace: bool = False, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> np.ndarray:
        return _F().relu(self._input(x), name=self._label())


class Sigmoid(_Elementwise):
    """``1 / (1 + e^−x)``."""

    def forward(self, x: Any) -> np.ndarray:
        return _F().sigmoid(self._input(x), name=self._label())


class Tanh(_Elementwise):
    """``tanh(x)``."""

    def forward(self, x: Any) -> np.ndarray:
        return _F().tanh(self._input(x), name=self._label())


class Identity(_Elementwise):
    """Returns its input unchanged (arguments are accepted and ignored, as in torch)."""

    def __init__(self, *args: Any, dtype: Any = np.float64, **kwargs: Any):
        super().__init__(dtype=dtype)

    def forward(self, x: Any) -> Any:
        return x


class Dropout(_Elementwise):
    """Dropout: identity in eval mode (the normal case here).

    In training mode it zeroes each value with probability ``p`` and scales the rest by
    ``1/(1−p)``, drawing from a generator seeded like the parameters (deterministic per seed).
    It exists mainly so torchvision's ``classifier`` indices (and state_dict keys) line up.
    """

    def __init__(self, p: float = 0.5, inplace: bool = False, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        if isinstance(p, bool) or not isinstance(p, numbers.Real) or not 0 <= p <= 1:
            raise EngineError(f"Dropout: p must be a probability in [0, 1], got {p!r}")
        self.p = float(p)
        self.inplace = bool(inplace)

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        if not self.training or self.p == 0:
            return x
        if self.p == 1:
            return np.zeros_like(x)
        if self.__dict__["_rng"] is None:
            object.__setattr__(self, "_rng", np.random.default_rng(
                list(self.__dict__["_init_seed"])))
        keep = self.__dict__["_rng"].random(x.shape) >= self.p
        return np.where(keep, x / (1 - self.p), 0).astype(x.dtype)

    def extra_repr(self) -> str:
        return f"p={self.p}"


class Flatten(_Leaf):
    """Merge dimensions ``start_dim..end_dim`` into one (default: everything but the batch)."""

    def __init__(self, start_dim: int = 1, end_dim: int = -1, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        for name, v in (("start_dim", start_dim), ("end_dim", end_dim)):
            if isinstance(v, bool) or not isinstance(v, numbers.Integral):
                raise EngineError(f"Flatten: {name} must be an integer, got {v!r}")
        self.start_dim, self.end_dim = int(start_dim), int(end_dim)

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        shape = _as_shape(self._label(), input_shape)
        nd = len(shape)
        start = self.start_dim + nd if self.start_dim < 0 else self.start_dim
        end = self.end_dim + nd if self.end_dim < 0 else self.end_dim
        if not (0 <= start < nd and 0 <= end < nd) or start > end:
            raise EngineError(f"{self._label()}: cannot flatten dimensions {self.start_dim}.."
                              f"{self.end_dim} of an input of shape {_shape_str(shape)}")
        out = shape[:start] + (math.prod(shape[start:end + 1]),) + shape[end + 1:]
        return LayerCost(out)

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        self.cost(x.shape)
        return _F().flatten(x, self.start_dim, self.end_dim, name=self._label())

    def extra_repr(self) -> str:
        return f"start_dim={self.start_dim}, end_dim={self.end_dim}"


class BatchNorm2d(_Leaf):
    """Batch normalisation over ``(N, H, W)`` per channel, torch's parameters and buffers.

    state_dict: ``weight``, ``bias`` (if ``affine``), ``running_mean``, ``running_var``,
    ``num_batches_tracked`` (if ``track_running_stats``). In eval mode the running statistics
    are used; in training mode the batch statistics are used and the running ones updated
    (``momentum=None`` means a cumulative average, as torch). Not counted as MACs.
    """

    def __init__(self, num_features: int, eps: float = 1e-5, momentum: float | None = 0.1,
                 affine: bool = True, track_running_stats: bool = True,
                 dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        o = "BatchNorm2d"
        self.num_features = _check_int(o, "num_features", num_features, 1)
        if isinstance(eps, bool) or not isinstance(eps, numbers.Real) or eps < 0:
            raise EngineError(f"{o}: eps must be a non-negative number, got {eps!r}")
        self.eps = float(eps)
        self.momentum = None if momentum is None else float(momentum)
        self.affine = bool(affine)
        self.track_running_stats = bool(track_running_stats)
        if self.affine:
            self.register_parameter("weight", (self.num_features,), _Constant(1.0))
            self.register_parameter("bias", (self.num_features,), _Constant(0.0))
        self._reset_buffers()

    def _reset_buffers(self) -> None:
        if self.track_running_stats:
            self.register_buffer("running_mean", np.zeros(self.num_features, dtype=self._dtype))
            self.register_buffer("running_var", np.ones(self.num_features, dtype=self._dtype))
            self.register_buffer("num_batches_tracked", np.array(0, dtype=np.int64))

    def cost(self, input_shape: tuple[int, ...]) -> LayerCost:
        shape = _as_shape(self._label(), input_shape)
        self._expect_ndim(shape, (4,), "4-D (N, C, H, W)")
        if shape[1] != self.num_features:
            raise EngineError(f"{self._label()}: input has {shape[1]} channels but the layer "
                              f"normalises {self.num_features} (input shape "
                              f"{_shape_str(shape)})")
        n = self.num_features if self.affine else 0
        return LayerCost(shape, n, n, 0, 0)

    def forward(self, x: Any) -> np.ndarray:
        x = self._input(x)
        self.cost(x.shape)
        use_batch = self.training or not self.track_running_stats
        momentum = self.momentum
        if self.training and self.track_running_stats:
            bufs = self.__dict__["_buffers"]
            bufs["num_batches_tracked"] = bufs["num_batches_tracked"] + 1
            if momentum is None:
                momentum = 1.0 / float(bufs["num_batches_tracked"])
        return _F().batch_norm(
            x,
            self.running_mean if self.track_running_stats else None,
            self.running_var if self.track_running_stats else None,
            self.weight if self.affine else None,
            self.bias if self.affine else None,
            training=use_batch, momentum=0.0 if momentum is None else momentum,
            eps=self.eps, name=self._label())

    def _eval_affine(self, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
        """The evaluation-mode ``(scale, shift)`` per channel in ``dtype``
        (:func:`functional.batch_norm_affine`; its checks run unless every array already has
        ``dtype`` and shape ``(num_features,)``)."""
        F = _F()
        bufs, params = self.__dict__["_buffers"], self.__dict__["_params"]
        mean, var = bufs.get("running_mean"), bufs.get("running_var")
        gamma, beta = (params.get("weight"), params.get("bias")) if self.affine else (None, None)
        shape = (self.num_features,)
        used = (mean, var, gamma, beta) if self.affine else (mean, var)
        if all(isinstance(a, np.ndarray) and a.dtype == dtype and a.shape == shape for a in used):
            return F._bn_affine(mean, var, gamma, beta, self.eps, dtype)
        return F.batch_norm_affine(
            self.num_features, self.running_mean, self.running_var,
            self.weight if self.affine else None, self.bias if self.affine else None, self.eps,
            dtype, name=self._label())

    def extra_repr(self) -> str:
        return (f"{self.num_features}, eps={self.eps}, momentum={self.momentum}, "
                f"affine={self.affine}, track_running_stats={self.track_running_stats}")


# --------------------------------------------------------------------------------------------
# conv → batch norm → ReLU as one op


def _fusable(x: Any, conv: Module, bn: Module | None, relu: Module | None) -> bool:
    """Whether ``relu(bn(conv(x)))`` may run as one fused convolution.

    Only for the library's own classes (a subclass or an instance may override ``forward``), an
    evaluation-mode ``BatchNorm2d`` with running statistics over the conv's channels, a 4-D
    input when there is a batch norm (else the layers' own errors must be raised), and one dtype.
    """
    if type(conv) is not Conv2d or not isinstance(x, np.ndarray):
        return False
    if any(m is not None and "forward" in m.__dict__ for m in (conv, bn, relu)):
        return False                                    # a forward patched on the instance
    dtype = conv._dtype
    if bn is not None and not (type(bn) is BatchNorm2d and not bn.training
                               and bn.track_running_stats and x.ndim == 4
                               and bn.num_features == conv.out_channels
                               and bn._dtype == dtype):
        return False
    return relu is None or (type(relu) is ReLU and relu._dtype == dtype)


def conv_bn_relu(x: Any, conv: Module, bn: Module | None = None,
                 relu: Module | None = None) -> Any:
    """``relu(bn(conv(x)))``, with ``bn`` and ``relu`` optional.

    When :func:`_fusable`, the batch norm's per-channel ``y·scale + shift`` and the ReLU are
    applied in place to the convolution's product, so no intermediate array is allocated (the
    same arithmetic in the same order: the result is bit-for-bit that of the three calls);
    otherwise — training mode, other layer types, shape tracing — the modules are called in turn.
    """
    if not isinstance(x, ShapeProbe) and type(conv) is Conv2d:
        x = conv._input(x)
        if _fusable(x, conv, bn, relu):
            return conv._forward_fused(x, bn, relu is not None)
    x = conv(x)
    if bn is not None:
        x = bn(x)
    return relu(x) if relu is not None else x


# --------------------------------------------------------------------------------------------
# containers


class Sequential(Module):
    """Children run in order; named ``"0"``, ``"1"``, … or by an ``OrderedDict``'s keys."""

    def __init__(self, *modules: Any):
        super().__init__()
        if len(modules) == 1 and isinstance(modules[0], (dict, OrderedDict)):
            for name, m in modules[0].items():
                self.add_module(name, m)
        else:
            for i, m in enumerate(modules):
                self.add_module(str(i), m)

    def __len__(self) -> int:
        return len(self.__dict__["_modules"])

    def __iter__(self) -> Iterator[Module]:
        return iter(list(self.__dict__["_modules"].values()))

    def __getitem__(self, idx: int | slice) -> Module:
        mods = list(self.__dict__["_modules"].items())
        if isinstance(idx, slice):
            return Sequential(OrderedDict(mods[idx]))
        if isinstance(idx, bool) or not isinstance(idx, numbers.Integral):
            raise EngineError(f"{self._label()}: index must be an int or a slice, got {idx!r}")
        if not -len(mods) <= idx < len(mods):
            raise EngineError(f"{self._label()}: index {idx} out of range for "
                              f"{len(mods)} modules")
        return mods[idx][1]

    def append(self, module: Module) -> "Sequential":
        self.add_module(str(len(self)), module)
        return self

    def forward(self, x: Any) -> Any:
        mods = list(self.children())
        i = 0
        while i < len(mods):
            m = mods[i]
            if type(m) is Conv2d:
                # conv [→ BatchNorm2d] [→ ReLU] as one fused op when possible (conv_bn_relu)
                j = i + 1
                bn = mods[j] if j < len(mods) and type(mods[j]) is BatchNorm2d else None
                j += bn is not None
                relu = mods[j] if j < len(mods) and type(mods[j]) is ReLU else None
                x = conv_bn_relu(x, m, bn, relu)
                i = j + (relu is not None)
            else:
                x = m(x)
                i += 1
        return x


def conv3x3(in_planes: int, out_planes: int, stride: int = 1, groups: int = 1,
            dilation: int = 1, dtype: Any = np.float64) -> Conv2d:
    """3×3 convolution with padding (torchvision's helper, no bias)."""
    return Conv2d(in_planes, out_planes, 3, stride=stride, padding=dilation, groups=groups,
                  bias=False, dilation=dilation, dtype=dtype)


def conv1x1(in_planes: int, out_planes: int, stride: int = 1, dtype: Any = np.float64) -> Conv2d:
    """1×1 convolution (torchvision's helper, no bias)."""
    return Conv2d(in_planes, out_planes, 1, stride=stride, bias=False, dtype=dtype)


class _Residual(Module):
    def _residual_add(self, out: Any, identity: Any) -> Any:
        a, b = tuple(out.shape), tuple(identity.shape)
        if a != b:
            raise EngineError(f"{self._label()}: the residual branch gives shape "
                              f"{_shape_str(a)} but the shortcut gives {_shape_str(b)}; "
                              "a projection shortcut (downsample) is needed when stride or "
                              "channels change")
        return out + identity

    def _add_relu(self, out: Any, identity: Any, own_out: bool) -> Any:
        """``relu(out + identity)``; in place in ``out`` when it is a fresh array of this block."""
        relu = self.relu
        if not (own_out and type(relu) is ReLU and isinstance(identity, np.ndarray)
                and isinstance(out, np.ndarray) and out.dtype == relu._dtype
                and out.shape == identity.shape and out.flags.writeable):
            return relu(self._residual_add(out, identity))
        return _F()._add_relu_(out, identity)


class BasicBlock(_Residual):
    """torchvision's BasicBlock: 3×3 conv (stride) → BN → ReLU → 3×3 conv → BN, + shortcut, ReLU.

    ``downsample`` (usually ``Sequential(conv1x1(stride), BatchNorm2d)``) projects the shortcut.
    """

    expansion = 1

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        if groups != 1 or base_width != 64:
            raise EngineError("BasicBlock only supports groups=1 and base_width=64")
        if dilation > 1:
            raise EngineError("BasicBlock does not support dilation > 1")
        self.conv1 = conv3x3(inplanes, planes, stride, dtype=dtype)
        self.bn1 = BatchNorm2d(planes, dtype=dtype)
        self.relu = ReLU(inplace=True, dtype=dtype)
        self.conv2 = conv3x3(planes, planes, dtype=dtype)
        self.bn2 = BatchNorm2d(planes, dtype=dtype)
        if downsample is not None:
            self.downsample = downsample
        else:
            object.__setattr__(self, "downsample", None)
        self.stride = stride

    def forward(self, x: Any) -> Any:
        identity = x
        out = conv_bn_relu(x, self.conv1, self.bn1, self.relu)
        own = _fusable(out, self.conv2, self.bn2, None)
        out = conv_bn_relu(out, self.conv2, self.bn2)
        if self.downsample is not None:
            identity = self.downsample(x)
        return self._add_relu(out, identity, own)


class Bottleneck(_Residual):
    """torchvision's Bottleneck (ResNet v1.5): 1×1 → 3×3 (stride here) → 1×1 (×4 channels).

    ``width = planes·base_width/64·groups``; output channels ``planes·4``.
    """

    expansion = 4

    def __init__(self, inplanes: int, planes: int, stride: int = 1,
                 downsample: Module | None = None, groups: int = 1, base_width: int = 64,
                 dilation: int = 1, *, dtype: Any = np.float64):
        super().__init__(dtype=dtype)
        width = int(planes * (base_width / 64.0)) * groups
        self.conv1 = conv1x1(inplanes, width, dtype=dtype)
        self.bn1 = BatchNorm2d(width, dtype=dtype)
        self.conv2 = conv3x3(width, width, stride, groups, dilation, dtype=dtype)
        self.bn2 = BatchNorm2d(width, dtype=dtype)
        self.conv3 = conv1x1(width, planes * self.expansion, dtype=dtype)
        self.bn3 = BatchNorm2d(planes * self.expansion, dtype=dtype)
        self.relu = ReLU(inplace=True, dtype=dtype)
        if downsample is not None:
            self.downsample = downsample
        else:
            object.__setattr__(self, "downsample", None)
        self.stride = stride

    def forward(self, x: Any) -> Any:
        identity = x
        out = conv_bn_relu(x, self.conv1, self.bn1, self.relu)
        out = conv_bn_relu(out, self.conv2, self.bn2, self.relu)
        own = _fusable(out, self.conv3, self.bn3, None)
        out = conv_bn_relu(out, self.conv3, self.bn3)
        if self.downsample is not None:
            identity = self.downsample(x)
        return self._add_relu(out, identity, own)
