"""Closed forms for CNN bookkeeping: output sizes, parameter counts, MACs, memory.

Pure integer arithmetic (no numpy), so every answer a question family computes here can be
checked against a real engine run (``functional``/``layers``) and the two must agree.

Conventions (see DESIGN.md, "Counting and rounding conventions"):

* ``p`` is padding **per side** (torch's ``padding=p`` pads ``p`` rows on the top *and* on the
  bottom); ``p_total`` is the total number of padded rows (the lecture's ``p_h``).
* A MAC is one multiply-add; FLOPs in the hardware sense are ``2 * MACs``. The DeepRob table's
  "flop" column and the ResNet paper's "FLOPs" are MACs.
* Biases count as parameters unless ``bias=False``; they are not counted as MACs.
* Memory is ``elements * bytes_per_element`` (4 bytes for float32); KB = bytes / 1024.

Every function raises :class:`quizgen.errors.EngineError` on impossible input, naming the
function, the values and the reason.
"""
from __future__ import annotations

import math
import numbers
from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from typing import Iterable, Sequence

from quizgen.errors import EngineError

__all__ = [
    "conv_out", "conv_out_total", "conv_out_asym", "pool_out", "dilated_kernel",
    "conv_params", "conv_param_split", "linear_params", "conv_macs", "linear_macs", "pool_ops",
    "activation_bytes", "kb", "round_half_up", "receptive_field", "fits",
]


def _int(func: str, name: str, value: object, minimum: int) -> int:
    """``value`` as a Python int >= ``minimum``; bools, floats with fractions, strings refused."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise EngineError(f"{func}: {name} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        what = "positive" if minimum == 1 else f">= {minimum}"
        raise EngineError(f"{func}: {name} must be {what}, got {name}={value}")
    return value


def dilated_kernel(k: int, d: int = 1) -> int:
    """Extent of a kernel of size ``k`` with dilation ``d``: ``d·(k − 1) + 1``."""
    k = _int("dilated_kernel", "k", k, 1)
    d = _int("dilated_kernel", "d", d, 1)
    return d * (k - 1) + 1


def conv_out(n: int, k: int, s: int = 1, p: int = 0, d: int = 1) -> int:
    """Output size of a convolution along one axis, padding ``p`` on each side.

    ``n' = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1`` (with ``d = 1``: ``⌊(n + 2p − k) / s⌋ + 1``).
    The (dilated) kernel must fit inside the padded input: ``d·(k − 1) + 1 <= n + 2p``.
    """
    return conv_out_asym(n, k, s, p, p, d, _func="conv_out")


def conv_out_asym(n: int, k: int, s: int = 1, p_before: int = 0, p_after: int = 0,
                  d: int = 1, *, _func: str = "conv_out_asym") -> int:
    """Output size with different padding before (top/left) and after (bottom/right).

    ``n' = ⌊(n + p_before + p_after − d·(k − 1) − 1) / s⌋ + 1``.
    """
    n = _int(_func, "n", n, 1)
    k = _int(_func, "k", k, 1)
    s = _int(_func, "s", s, 1)
    p_before = _int(_func, "p" if _func == "conv_out" else "p_before", p_before, 0)
    p_after = _int(_func, "p" if _func == "conv_out" else "p_after", p_after, 0)
    d = _int(_func, "d", d, 1)
    extent = d * (k - 1) + 1
    padded = n + p_before + p_after
    if extent > padded:
        kernel = f"kernel k={k}" + (f" (dilated extent {extent} with d={d})" if d > 1 else "")
        if _func == "conv_out":
            pad = f"n + 2p = {n} + 2·{p_before} = {padded}"
        else:
            pad = f"n + p_before + p_after = {n} + {p_before} + {p_after} = {padded}"
        raise EngineError(f"{_func}: {kernel} is larger than the padded input {pad}; "
                          "there is no output position")
    return (padded - extent) // s + 1


def conv_out_total(n: int, k: int, s: int = 1, p_total: int = 0) -> int:
    """Lecture form with ``p_h`` = total padded rows (both sides together).

    ``n' = ⌊(n − k + p_h + s) / s⌋``, which equals ``⌊(n − k + p_h) / s⌋ + 1``.
    """
    f = "conv_out_total"
    n = _int(f, "n", n, 1)
    k = _int(f, "k", k, 1)
    s = _int(f, "s", s, 1)
    p_total = _int(f, "p_total", p_total, 0)
    if k > n + p_total:
        raise EngineError(f"{f}: kernel k={k} is larger than the padded input "
                          f"n + p_total = {n} + {p_total} = {n + p_total}; "
                          "there is no output position")
    return (n - k + p_total + s) // s


def pool_out(n: int, k: int, s: int | None = None, p: int = 0, d: int = 1,
             ceil_mode: bool = False) -> int:
    """Output size of max/avg pooling along one axis, with torch's rules.

    ``s`` defaults to ``k``. ``n' = ⌊(n + 2p − d·(k − 1) − 1) / s⌋ + 1``; with
    ``ceil_mode=True`` the division rounds up, and the last window is dropped if it would start
    inside the right padding (``(n' − 1)·s >= n + p``). In ceil mode a window may hang over the
    end of the input as long as it starts inside it, so even a kernel larger than the padded
    input gives one output (torch: a 1×1 input, kernel 2, stride 2, ceil → 1×1).
    torch also requires ``p <= k // 2``.
    """
    f = "pool_out"
    n = _int(f, "n", n, 1)
    k = _int(f, "k", k, 1)
    s = k if s is None else _int(f, "s", s, 1)
    p = _int(f, "p", p, 0)
    d = _int(f, "d", d, 1)
    if p > k // 2:
        raise EngineError(f"{f}: padding p={p} must be at most half the kernel size "
                          f"(k={k}, k // 2 = {k // 2})")
    extent = d * (k - 1) + 1
    span = n + 2 * p - extent
    if ceil_mode:
        out = -(-span // s) + 1
        if out > 0 and (out - 1) * s >= n + p:
            out -= 1
    else:
        out = span // s + 1
    if out < 1:
        kernel = f"kernel k={k}" + (f" (dilated extent {extent} with d={d})" if d > 1 else "")
        raise EngineError(f"{f}: {kernel} is larger than the padded input "
                          f"n + 2p = {n} + 2·{p} = {n + 2 * p}; there is no output position")
    return out


def conv_params(c_in: int, c_out: int, k_h: int, k_w: int | None = None, bias: bool = True,
                groups: int = 1) -> int:
    """Parameters of a Conv2d: ``C_out·(C_in/groups)·K_h·K_w`` weights ``+ C_out`` biases.

    Returns the total. ``k_w`` defaults to ``k_h`` (square kernel).
    """
    weights, biases = conv_param_split(c_in, c_out, k_h, k_w, bias, groups)
    return weights + biases


def conv_param_split(c_in: int, c_out: int, k_h: int, k_w: int | None = None,
                     bias: bool = True, groups: int = 1) -> tuple[int, int]:
    """``(weights, biases)`` of a Conv2d; see :func:`conv_params`."""
    f = "conv_params"
    c_in = _int(f, "c_in", c_in, 1)
    c_out = _int(f, "c_out", c_out, 1)
    k_h = _int(f, "k_h", k_h, 1)
    k_w = k_h if k_w is None else _int(f, "k_w", k_w, 1)
    groups = _int(f, "groups", groups, 1)
    _check_groups(f, c_in, c_out, groups)
    return c_out * (c_in // groups) * k_h * k_w, (c_out if bias else 0)


def _check_groups(f: str, c_in: int, c_out: int, groups: int) -> None:
    if c_in % groups or c_out % groups:
        raise EngineError(f"{f}: groups={groups} must divide both c_in={c_in} and "
                          f"c_out={c_out}")


def linear_params(in_features: int, out_features: int, bias: bool = True) -> int:
    """Parameters of a Linear layer: ``in·out`` weights ``+ out`` biases."""
    f = "linear_params"
    i = _int(f, "in_features", in_features, 1)
    o = _int(f, "out_features", out_features, 1)
    return i * o + (o if bias else 0)


def conv_macs(c_in: int, c_out: int, k_h: int, k_w: int | None, h_out: int, w_out: int,
              groups: int = 1) -> int:
    """Multiply-adds of a Conv2d: ``C_out·H'·W'·(C_in/groups)·K_h·K_w``.

    (Output elements times the weights each output element uses.) ``k_w=None`` means square.
    Biases are not counted.
    """
    f = "conv_macs"
    c_in = _int(f, "c_in", c_in, 1)
    c_out = _int(f, "c_out", c_out, 1)
    k_h = _int(f, "k_h", k_h, 1)
    k_w = k_h if k_w is None else _int(f, "k_w", k_w, 1)
    h_out = _int(f, "h_out", h_out, 1)
    w_out = _int(f, "w_out", w_out, 1)
    groups = _int(f, "groups", groups, 1)
    _check_groups(f, c_in, c_out, groups)
    return c_out * h_out * w_out * (c_in // groups) * k_h * k_w


def linear_macs(in_features: int, out_features: int) -> int:
    """Multiply-adds of a Linear layer on one sample: ``in·out``."""
    f = "linear_macs"
    return _int(f, "in_features", in_features, 1) * _int(f, "out_features", out_features, 1)


def pool_ops(c: int, h_out: int, w_out: int, k: int | Sequence[int]) -> int:
    """Pooling operations as in the DeepRob table: ``C·H'·W'·K²`` (``K_h·K_w`` if a pair)."""
    f = "pool_ops"
    if isinstance(k, (tuple, list)):
        if len(k) != 2:
            raise EngineError(f"{f}: k must be an int or a (k_h, k_w) pair, got {k!r}")
        k_h, k_w = (_int(f, "k", v, 1) for v in k)
    else:
        k_h = k_w = _int(f, "k", k, 1)
    return _int(f, "c", c, 1) * _int(f, "h_out", h_out, 1) * _int(f, "w_out", w_out, 1) \
        * k_h * k_w


def activation_bytes(elements: int, bytes_per_element: int = 4) -> int:
    """Bytes needed to store ``elements`` values (4 bytes each for float32)."""
    f = "activation_bytes"
    return _int(f, "elements", elements, 0) * _int(f, "bytes_per_element", bytes_per_element, 1)


def kb(nbytes: int) -> float:
    """Kilobytes as the lecture tables use them: ``bytes / 1024`` (exact for integer bytes)."""
    return _int("kb", "bytes", nbytes, 0) / 1024


def round_half_up(x: float | int | Fraction | Decimal, ndigits: int = 0) -> int | Decimal:
    """Round halves away from zero like the lecture tables (182.25 → 182, 546.75 → 547, 0.5 → 1).

    Python's :func:`round` rounds halves to even (``round(126.5) == 126``); slide tables don't.
    A float is read through its shortest repr, so ``round_half_up(2.675, 2)`` gives 2.68.
    Returns an int when ``ndigits == 0``, else a :class:`~decimal.Decimal`.
    """
    if isinstance(x, bool):
        raise EngineError(f"round_half_up: x must be a number, got {x!r}")
    if isinstance(x, Fraction):
        value = Decimal(x.numerator) / Decimal(x.denominator)
    elif isinstance(x, numbers.Integral):
        value = Decimal(int(x))
    elif isinstance(x, (float, numbers.Real)):
        if not math.isfinite(float(x)):
            raise EngineError(f"round_half_up: x must be finite, got {x!r}")
        value = Decimal(repr(float(x)))
    elif isinstance(x, Decimal):
        value = x
    else:
        raise EngineError(f"round_half_up: x must be a number, got {x!r}")
    ndigits = _int("round_half_up", "ndigits", ndigits, 0)
    quantum = Decimal(1).scaleb(-ndigits)
    rounded = value.quantize(quantum, rounding=ROUND_HALF_UP)
    return int(rounded) if ndigits == 0 else rounded


def receptive_field(layers: Iterable[Sequence[int]]) -> int:
    """Receptive field (along one axis) of a stack of layers given as ``(k, s)`` or ``(k, s, d)``.

    ``r_0 = 1, j_0 = 1``; per layer ``r ← r + d·(k − 1)·j`` and ``j ← j·s`` (``j`` is the
    distance in input pixels between neighbouring outputs). Three 3×3 stride-1 convs → 7.
    """
    f = "receptive_field"
    r, jump = 1, 1
    for i, layer in enumerate(layers):
        if isinstance(layer, (int, numbers.Integral)) and not isinstance(layer, bool):
            layer = (layer,)
        try:
            items = tuple(layer)
        except TypeError:
            raise EngineError(f"{f}: layer {i} must be (kernel, stride[, dilation]), "
                              f"got {layer!r}") from None
        if not 1 <= len(items) <= 3:
            raise EngineError(f"{f}: layer {i} must be (kernel, stride[, dilation]), "
                              f"got {layer!r}")
        k = _int(f, f"kernel of layer {i}", items[0], 1)
        s = _int(f, f"stride of layer {i}", items[1], 1) if len(items) > 1 else 1
        d = _int(f, f"dilation of layer {i}", items[2], 1) if len(items) > 2 else 1
        r += d * (k - 1) * jump
        jump *= s
    return r


def fits(n: int, k: int, s: int = 1, p: int = 0) -> bool:
    """Whether the windows tile the padded input exactly: ``(n + 2p − k)`` divisible by ``s``.

    When false, ``conv_out`` floors and the last ``(n + 2p − k) mod s`` rows are never covered.
    """
    f = "fits"
    n = _int(f, "n", n, 1)
    k = _int(f, "k", k, 1)
    s = _int(f, "s", s, 1)
    p = _int(f, "p", p, 0)
    if k > n + 2 * p:
        raise EngineError(f"{f}: kernel k={k} is larger than the padded input "
                          f"n + 2p = {n} + 2·{p} = {n + 2 * p}; there is no output position")
    return (n + 2 * p - k) % s == 0
