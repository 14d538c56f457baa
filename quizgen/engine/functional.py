"""Stateless CNN ops on NumPy arrays with the names, arguments and results of ``torch.nn.functional``.

Layout is NCHW: a batch of ``N`` images with ``C`` channels of ``H`` rows and ``W`` columns. The 2-D
ops also take one unbatched image ``(C, H, W)`` and return an unbatched result, like torch.

Dtypes: integer and bool inputs become float64; float32 inputs stay float32 (float32 on request);
any other float becomes float64. Weights, biases and statistics are cast to the input's float dtype,
and every result keeps it.

Convolution vs cross-correlation: :func:`conv2d` (alias :func:`cross_correlate2d`) is what torch and
every deep-learning library call convolution, the cross-correlation
``out[n, o, i, j] = b[o] + Σ_{c, u, v} w[o, c, u, v] · x[n, c, i·s + u·d − p_top, j·s + v·d − p_left]``.
:func:`true_conv2d` is the mathematical convolution: the same sum with the kernel flipped on both
spatial axes, ``w[o, c, K_h − 1 − u, K_w − 1 − v]``.

Padding of the 2-D ops is given as an int ``p`` (``p`` on every side), a pair ``(p_h, p_w)`` (per
side, rows and columns) or, for :func:`conv2d` and :func:`pad2d`, a 4-tuple
``(top, bottom, left, right)``; the 4-tuple expresses the lectures' "``p_h`` = total padded rows"
convention, e.g. ``p_h = 1`` as ``(0, 1, 0, 1)``. Note the order differs from ``torch.nn.functional.pad``,
whose 4-tuple is ``(left, right, top, bottom)``.

Errors: bad input raises :class:`quizgen.errors.EngineError` with one message naming the op, the
shapes and the offending value. Every function takes a keyword-only ``name``; when given it prefixes
the message (layers pass e.g. ``"features.0 (Conv2d)"``).

Speed: a convolution is one im2col copy and one BLAS matrix product (a batched product over groups),
chunk by chunk in a reused scratch buffer. Two im2col layouts are used, see :func:`_conv2d_forward`;
1×1 convolutions without padding multiply the channel axis directly (strided ones after copying
every s-th row and column). The layers run
conv → evaluation-mode batch norm → ReLU as one op whose per-channel affine map and ReLU are applied
in place to the product (``_conv2d_fused``). Max pooling is separable: K_h strided row slices, then
K_w column slices, combined with ``np.maximum``; average pooling is K_h·K_w shifted slices summed.
"""
from __future__ import annotations

import math
import mmap
import numbers
import threading
from typing import Sequence

import numpy as np
from numpy.lib.stride_tricks import as_strided, sliding_window_view

from quizgen.errors import EngineError

__all__ = [
    "conv2d", "cross_correlate2d", "true_conv2d", "max_pool2d", "avg_pool2d",
    "adaptive_avg_pool2d", "linear", "relu", "sigmoid", "tanh", "batch_norm", "softmax",
    "log_softmax", "cross_entropy", "flatten", "pad2d",
]

# Cost of filling one im2col column, in output channels of GEMM work per column: the "shifted"
# copy moves long contiguous runs, the "windows" copy gathers W_out-long strided runs (measured on
# float32, OpenBLAS; see _conv2d_forward's method choice).
_SHIFTED_COPY_CHANNELS = 13
_WINDOWS_COPY_CHANNELS = 65
# The im2col buffer is filled and multiplied in chunks, in a per-thread scratch kept between
# calls: whole samples grouped up to _COLS_CHUNK_BYTES, or one larger sample cut into runs of up
# to _COLS_RUN_BYTES, never fewer than _COLS_MIN_UNITS columns / rows of output. Wider products
# run nearer BLAS peak: ResNet-18 (float32, batch 1) takes 37.1 ms with 1 MiB runs, 35.8 ms with
# 2 MiB, 35.4 ms with 4 MiB, no less with 8 MiB (an AVX2 machine); LeNet-5 at batch 64 runs as
# fast with its samples grouped in 512 KiB as in 1 MiB (0.93 vs 0.94 ms, AVX-512 machine), so the
# retained scratch stays small there.
_COLS_CHUNK_BYTES = 512 << 10
_COLS_RUN_BYTES = 4 << 20
_COLS_MIN_UNITS = 128
# A per-channel multiply or add (an operand broadcast along each row) runs unbuffered over rows
# of at least _LONG_ROW elements with NumPy's buffer set to _ROW_BUFSIZE elements (see _rowwise).
_LONG_ROW = 512
_ROW_BUFSIZE = 256


# --------------------------------------------------------------------------- argument handling

def _fail(op: str, name: str | None, message: str) -> EngineError:
    text = f"{op}: {message}"
    return EngineError(f"{name}: {text}" if name else text)


def _shape(a: np.ndarray) -> str:
    return str(tuple(int(n) for n in a.shape))


class _ShapesNote:
    """``(input shape …, weight shape …)`` for an error message, formatted only when raised."""

    __slots__ = ("x", "w")

    def __init__(self, x: np.ndarray, w: np.ndarray):
        self.x, self.w = x, w

    def __format__(self, spec: str) -> str:
        return f"(input shape {_shape(self.x)}, weight shape {_shape(self.w)})"


def _float_dtype(dtype: np.dtype) -> np.dtype:
    if dtype == np.float32 or dtype == np.float64:
        return dtype
    return np.dtype(np.float64)


def _as_input(x: object, op: str, name: str | None) -> np.ndarray:
    """``x`` as a float32/float64 array (no copy when it already is one)."""
    arr = np.asarray(x)
    if arr.dtype.kind not in "biuf":
        raise _fail(op, name, f"input must be numeric, got dtype {arr.dtype} "
                              f"(input shape {_shape(arr)})")
    dtype = _float_dtype(arr.dtype)
    return arr if arr.dtype == dtype else arr.astype(dtype)


def _as_param(p: object, dtype: np.dtype, op: str, what: str, name: str | None) -> np.ndarray:
    arr = np.asarray(p)
    if arr.dtype.kind not in "biuf":
        raise _fail(op, name, f"{what} must be numeric, got dtype {arr.dtype} "
                              f"({what} shape {_shape(arr)})")
    return arr if arr.dtype == dtype else arr.astype(dtype)


def _int(op: str, name: str | None, what: str, value: object, minimum: int) -> int:
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise _fail(op, name, f"{what} must be an integer, got {value!r}")
    value = int(value)
    if value < minimum:
        kind = "positive" if minimum == 1 else f">= {minimum}"
        raise _fail(op, name, f"{what} must be {kind}, got {what}={value}")
    return value


def _pair(op: str, name: str | None, what: str, value: object, minimum: int) -> tuple[int, int]:
    """An int or a pair of ints, each >= ``minimum``, as ``(rows, cols)``."""
    if isinstance(value, (tuple, list)):
        if len(value) == 1:
            value = (value[0], value[0])
        if len(value) != 2:
            raise _fail(op, name, f"{what} must be an int or a pair, got {value!r}")
        return (_int(op, name, what, value[0], minimum), _int(op, name, what, value[1], minimum))
    v = _int(op, name, what, value, minimum)
    return v, v


def _padding4(op: str, name: str | None, padding: object) -> tuple[int, int, int, int]:
    """int, (p_h, p_w) or (top, bottom, left, right) -> (top, bottom, left, right)."""
    if isinstance(padding, (tuple, list)) and len(padding) == 4:
        t, b, l, r = (_int(op, name, "padding", p, 0) for p in padding)
        return t, b, l, r
    if isinstance(padding, (tuple, list)) and len(padding) not in (1, 2):
        raise _fail(op, name, "padding must be an int, a pair (p_h, p_w), a 4-tuple "
                              f"(top, bottom, left, right), 'valid' or 'same', got {padding!r}")
    ph, pw = _pair(op, name, "padding", padding, 0)
    return ph, ph, pw, pw


def _batched(x: np.ndarray, op: str, name: str | None, what: str = "input") -> tuple[np.ndarray, bool]:
    """A 4-D view of a (C, H, W) or (N, C, H, W) array and whether it was unbatched."""
    if x.ndim == 4:
        return x, False
    if x.ndim == 3:
        return x[None], True
    raise _fail(op, name, f"{what} must be 3-D (C, H, W) or 4-D (N, C, H, W), got {x.ndim}-D "
                          f"{what} of shape {_shape(x)}")


def _dim(op: str, name: str | None, dim: object, ndim: int, shape: tuple) -> int:
    if isinstance(dim, bool) or not isinstance(dim, numbers.Integral):
        raise _fail(op, name, f"dim must be an integer, got {dim!r}")
    lo, hi = (-ndim, ndim - 1) if ndim else (-1, 0)
    if not lo <= dim <= hi:
        raise _fail(op, name, f"dim={dim} is out of range [{lo}, {hi}] for input of shape "
                              f"{tuple(int(n) for n in shape)}")
    return int(dim) % max(ndim, 1)


# --------------------------------------------------------------------------- convolution

def conv2d(input: object, weight: object, bias: object = None, stride: int | Sequence[int] = 1,
           padding: int | Sequence[int] | str = 0, dilation: int | Sequence[int] = 1,
           groups: int = 1, *, name: str | None = None) -> np.ndarray:
    """2-D cross-correlation, exactly ``torch.nn.functional.conv2d`` (deep-learning "convolution").

    Shapes: ``input (N, C_in, H, W)`` or ``(C_in, H, W)``; ``weight (C_out, C_in/groups, K_h, K_w)``;
    ``bias (C_out,)``; result ``(N, C_out, H_out, W_out)`` (or ``(C_out, H_out, W_out)``) with::

        H_out = floor((H + p_top + p_bottom - dilation_h·(K_h - 1) - 1) / stride_h) + 1
        W_out = floor((W + p_left + p_right - dilation_w·(K_w - 1) - 1) / stride_w) + 1

        out[n, o, i, j] = bias[o] + Σ_{c, u, v} weight[o, c, u, v]
                                     · x_padded[n, g·C_in/groups + c, i·stride_h + u·dilation_h,
                                                                      j·stride_w + v·dilation_w]

    where ``g = o // (C_out/groups)`` is the group of output channel ``o`` and the padding is zeros.

    ``padding``: int, ``(p_h, p_w)`` per side, ``(top, bottom, left, right)``, ``"valid"`` (no
    padding) or ``"same"`` (output size = input size; stride must be 1; total padding
    ``dilation·(K − 1)`` split with the extra row/column on the bottom/right, as torch does).
    ``stride`` and ``dilation``: int or ``(h, w)``. The result may be a view of a slightly wider
    buffer (it is not always C-contiguous).
    """
    op = "conv2d"
    return _conv2d(op, input, weight, bias, stride, padding, dilation, groups, name, flip=False)


cross_correlate2d = conv2d  # the same function: torch's "convolution" is a cross-correlation


def true_conv2d(input: object, weight: object, bias: object = None,
                stride: int | Sequence[int] = 1, padding: int | Sequence[int] | str = 0,
                dilation: int | Sequence[int] = 1, groups: int = 1, *,
                name: str | None = None) -> np.ndarray:
    """Mathematical 2-D convolution: :func:`conv2d` with the kernel flipped on both spatial axes.

    ``out[n, o, i, j] = bias[o] + Σ_{c, u, v} weight[o, c, K_h−1−u, K_w−1−v] · x_padded[n, c,
    i·stride_h + u·dilation_h, j·stride_w + v·dilation_w]``. Same arguments, shapes and output size
    as :func:`conv2d`; for a symmetric kernel the two agree.
    """
    return _conv2d("true_conv2d", input, weight, bias, stride, padding, dilation, groups, name,
                   flip=True)


def _conv2d(op, input, weight, bias, stride, padding, dilation, groups, name, flip,
            scale=None, shift=None, relu=False):
    x = _as_input(input, op, name)
    x4, unbatched = _batched(x, op, name)
    w = _as_param(weight, x.dtype, op, "weight", name)
    if w.ndim != 4:
        raise _fail(op, name, f"weight must be 4-D (C_out, C_in/groups, K_h, K_w), got weight "
                              f"shape {_shape(w)} (input shape {_shape(x)})")
    n, c, h, wd = x4.shape
    c_out, c_per_group, kh, kw = w.shape
    groups = _int(op, name, "groups", groups, 1)
    sh, sw = _pair(op, name, "stride", stride, 1)
    dh, dw = _pair(op, name, "dilation", dilation, 1)
    shapes = _ShapesNote(x, w)
    if min(w.shape) < 1 or min(x4.shape) < 1:
        raise _fail(op, name, f"input and weight must have non-zero sizes {shapes}")
    if c_out % groups:
        raise _fail(op, name, f"groups={groups} must divide the {c_out} output channels {shapes}")
    if c % groups:
        raise _fail(op, name, f"groups={groups} must divide the {c} input channels {shapes}")
    if c_per_group * groups != c:
        expects = c_per_group * groups
        raise _fail(op, name, f"input has {c} channels but weight expects {expects}"
                              + (f" ({c_per_group} per group x groups={groups})" if groups > 1
                                 else "") + f" {shapes}")
    if isinstance(padding, str):
        mode = padding.lower()
        if mode == "valid":
            pads = (0, 0, 0, 0)
        elif mode == "same":
            if (sh, sw) != (1, 1):
                raise _fail(op, name, f"padding='same' requires stride 1, got stride ({sh}, {sw}) "
                                      f"{shapes}")
            th, tw = dh * (kh - 1), dw * (kw - 1)
            pads = (th // 2, th - th // 2, tw // 2, tw - tw // 2)
        else:
            raise _fail(op, name, f"padding must be an int, a pair, a 4-tuple, 'valid' or 'same', "
                                  f"got {padding!r}")
    else:
        pads = _padding4(op, name, padding)
    pt, pb, pl, pr = pads
    eh, ew = dh * (kh - 1) + 1, dw * (kw - 1) + 1
    hp, wp = h + pt + pb, wd + pl + pr
    if eh > hp or ew > wp:
        raise _fail(op, name, f"kernel {kh}x{kw} (dilated {eh}x{ew}) is larger than the padded "
                              f"input {hp}x{wp} (input {h}x{wd}, padding {pads}) {shapes}")
    b = None
    if bias is not None:
        b = _as_param(bias, x.dtype, op, "bias", name)
        if b.shape != (c_out,):
            raise _fail(op, name, f"bias must have shape ({c_out},) for {c_out} output channels, "
                                  f"got bias shape {_shape(b)} {shapes}")
    if flip:
        w = w[:, :, ::-1, ::-1]
    out = _conv2d_forward(x4, w, (sh, sw), pads, (dh, dw), groups, bias=b, scale=scale,
                          shift=shift, relu=relu)
    return out[0] if unbatched else out


def _conv2d_fused(input: object, weight: object, bias: object, stride, padding, dilation,
                  groups: int, scale: np.ndarray | None, shift: np.ndarray | None, relu: bool,
                  *, name: str | None = None) -> np.ndarray:
    """``relu(conv2d(x, w, b)·scale + shift)`` per output channel, applied in place to the product.

    The same arithmetic, in the same order, as :func:`conv2d`, then ``y·scale`` and ``+ shift``
    (an evaluation-mode :func:`batch_norm`, see :func:`batch_norm_affine`), then :func:`relu`;
    each step is optional and the result is bit-for-bit that of the separate calls, without
    their intermediate arrays. ``scale`` and ``shift`` are ``(C_out,)`` arrays of the input's
    dtype. Used by the layers to run conv → BN → ReLU as one op.
    """
    return _conv2d("conv2d", input, weight, bias, stride, padding, dilation, groups, name,
                   flip=False, scale=scale, shift=shift, relu=relu)


def _conv2d_forward(x: np.ndarray, w: np.ndarray, stride: tuple[int, int],
                    pads: tuple[int, int, int, int], dilation: tuple[int, int], groups: int,
                    method: str = "auto", *, bias: np.ndarray | None = None,
                    scale: np.ndarray | None = None, shift: np.ndarray | None = None,
                    relu: bool = False) -> np.ndarray:
    """Validated NCHW cross-correlation; ``method`` is "auto", "shifted" or "windows".

    Returns ``(N, C_out, H_out, W_out)`` holding ``relu((conv + bias)·scale + shift)``, each of
    bias, scale/shift and relu applied only when given, per output channel, in place on the
    product (see :class:`_Post`); the array may be a view of a slightly wider buffer.

    Both methods fill an im2col buffer ``cols`` of shape ``(N, groups, C_g·K_h·K_w, L)`` chunk by
    chunk (one copy per chunk, in a reused scratch buffer) and compute
    ``weight (groups, C_out/groups, C_g·K_h·K_w) @ cols`` as one (batched) BLAS product per chunk
    whose result is already NCHW:

    * "windows": ``cols[n, c, u, v, i, j] = x_padded[n, c, i·s_h + u·d_h, j·s_w + v·d_w]``, copied
      from a ``sliding_window_view`` of the padded input; ``L = H_out·W_out``.
    * "shifted": the padded input is split into its ``s_h·s_w`` stride phases
      ``P[r_h, r_w][i, j] = x_padded[i·s_h + r_h, j·s_w + r_w]`` of width ``W_q = W_out + q_w``
      (stride 1: one phase, ``W_q = max(W_out, W + max(p_left, p_right))``, its rows sharing their
      zero columns, see :func:`_shared_pad_rows`).
      Tap ``(u, v)`` reads phase ``(u·d_h mod s_h, v·d_w mod s_w)`` shifted by
      ``(u·d_h div s_h, v·d_w div s_w)``, which on the flattened phase is one contiguous run of
      ``L = (H_out − 1)·W_q + W_out`` elements, so ``cols`` is copied in long contiguous rows. The
      product yields ``W_q`` columns per output row of which the first ``W_out`` are kept (the
      others straddle two rows).

    "auto" weighs the shifted method's extra columns against the windows method's slower copy.
    In the shifted method an ungrouped bias over at least 4 output columns per weight is one more
    row of ones in ``cols`` (its column of ``weight``) instead of an add after the product.
    1×1 convolutions without padding multiply the channel axis of ``x`` directly (of its every
    s-th row and column, copied, when strided).
    """
    n, c, h, wd = x.shape
    c_out, cg, kh, kw = w.shape
    sh, sw = stride
    dh, dw = dilation
    pt, pb, pl, pr = pads
    ho = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    og = c_out // groups
    dtype = x.dtype
    isz = dtype.itemsize
    ck = cg * kh * kw
    rows = c * kh * kw
    w3 = w.reshape(groups, og, ck)
    post = _Post(groups, og, bias, scale, shift, relu)

    if kh == kw == 1 and not any(pads):
        if (sh, sw) != (1, 1):            # a strided 1×1 reads only every s-th row and column
            x = np.ascontiguousarray(x[:, :, :(ho - 1) * sh + 1:sh, :(wo - 1) * sw + 1:sw])
        out = np.matmul(w3, x.reshape(n, groups, cg, ho * wo))
        post.apply(out)
        return out.reshape(n, c_out, ho, wo)

    qh, qw = dh * (kh - 1) // sh, dw * (kw - 1) // sw
    hq, wq = ho + qh, wo + qw
    if (sh, sw) == (1, 1):
        wq = max(wo, wd + max(pl, pr))    # rows share their zero columns (_shared_pad_rows)
    if method == "auto":
        # Per im2col column: "shifted" multiplies (W_q − W_out)/W_out more columns but copies
        # cheaply (_SHIFTED_COPY_CHANNELS output channels' worth of GEMM); "windows" gathers
        # W_out-long strided runs (_WINDOWS_COPY_CHANNELS channels' worth).
        waste = (wq - wo) / wo
        method = "shifted" if (1 + waste) * (og + _SHIFTED_COPY_CHANNELS) \
            <= og + _WINDOWS_COPY_CHANNELS else "windows"

    if method == "windows":
        xp = x
        if any(pads):
            xp = np.zeros((n, c, h + pt + pb, wd + pl + pr), dtype)
            xp[:, :, pt:pt + h, pl:pl + wd] = x
        v = sliding_window_view(xp, (dh * (kh - 1) + 1, dw * (kw - 1) + 1), axis=(2, 3))
        v = v[:, :, :(ho - 1) * sh + 1:sh, :(wo - 1) * sw + 1:sw, ::dh, ::dw]
        v = v.transpose(0, 1, 4, 5, 2, 3)                     # (N, C, K_h, K_w, H_out, W_out)
        out = np.empty((n, groups, og, ho * wo), dtype)
        nb, rb = _chunks(n, ho, rows * wo * isz, -(-_COLS_MIN_UNITS // wo))
        scratch = _scratch(nb * rows * rb * wo, dtype)
        for b0 in range(0, n, nb):
            b1 = min(n, b0 + nb)
            for r0 in range(0, ho, rb):
                r1 = min(ho, r0 + rb)
                cols = scratch[:(b1 - b0) * rows * (r1 - r0) * wo]
                cols = cols.reshape(b1 - b0, c, kh, kw, r1 - r0, wo)
                np.copyto(cols, v[b0:b1, :, :, :, r0:r1])
                np.matmul(w3, cols.reshape(b1 - b0, groups, ck, (r1 - r0) * wo),
                          out=out[b0:b1, :, :, r0 * wo:r1 * wo])
        post.apply(out)
        return out.reshape(n, c_out, ho, wo)

    if (sh, sw) == (1, 1):
        flat = _shared_pad_rows(x, pads, hq, wq)
    else:
        flat = _stride_phases(x, (sh, sw), pads, (hq, wq)).reshape(n, c, sh * sw, hq * wq)
    length = (ho - 1) * wq + wo
    out = np.empty((n, groups, og, ho * wq), dtype)
    # A bias over many output columns (LeNet's convolutions) rides in the product as one more
    # im2col row of ones: cheaper than a broadcast add over the whole output afterwards.
    ones_row = bias is not None and groups == 1 and n * length >= 4 * ck
    if ones_row:
        w3 = np.concatenate([w3, bias.reshape(1, og, 1)], axis=2)
        post = _Post(groups, og, None, scale, shift, relu)
    depth = rows + ones_row
    nb, lc = _chunks(n, length, depth * isz, _COLS_MIN_UNITS)
    scratch = _scratch(nb * depth * lc, dtype)
    # Taps (u, v) reading the same phase form a strided sub-grid of the kernel whose shifts grow
    # by a constant step, so each phase's taps are copied with one strided view (one for stride 1).
    s0, s1, _, s2 = flat.strides
    copies = []
    col_groups = _tap_groups(kw, dw, sw)
    for u0, ustep, ucount, qu, dqu in _tap_groups(kh, dh, sh):
        for v0, vstep, vcount, qv, dqv in col_groups:
            src = flat[:, :, (u0 * dh % sh) * sw + v0 * dw % sw, qu * wq + qv:]
            taps = as_strided(src, (n, c, ucount, vcount, length),
                              (s0, s1, dqu * wq * s2, dqv * s2, s2), writeable=False)
            copies.append((slice(u0, None, ustep), slice(v0, None, vstep), taps))
    for b0 in range(0, n, nb):
        b1 = min(n, b0 + nb)
        for l0 in range(0, length, lc):
            l1 = min(length, l0 + lc)
            block = scratch[:(b1 - b0) * depth * (l1 - l0)].reshape(b1 - b0, depth, l1 - l0)
            cols = block[:, :rows].reshape(b1 - b0, c, kh, kw, l1 - l0)
            if ones_row:
                block[:, rows] = 1
            if len(copies) == 1:
                np.copyto(cols, copies[0][2][b0:b1, ..., l0:l1])
            else:
                for us, vs, taps in copies:
                    np.copyto(cols[:, :, us, vs], taps[b0:b1, ..., l0:l1])
            np.matmul(w3, block.reshape(b1 - b0, groups, depth // groups, l1 - l0),
                      out=out[b0:b1, :, :, l0:l1])
    out[..., length:] = 0                 # never written; zeros keep the hidden columns finite
    post.apply(out[..., :length], out)
    return out.reshape(n, c_out, ho, wq)[..., :wo]


def _tap_groups(k: int, d: int, s: int) -> list[tuple[int, int, int, int, int]]:
    """Kernel taps ``u < k`` grouped by the stride phase ``u·d mod s`` they read.

    Each group is ``(u0, step, count, q0, dq)``: taps ``u0, u0 + step, …`` (``count`` of them,
    ``step = s / gcd(d, s)``) whose shift into the phase, ``u·d div s``, is ``q0, q0 + dq, …``.
    """
    step = s // math.gcd(d, s)
    return [(u0, step, len(range(u0, k, step)), u0 * d // s, d * step // s)
            for u0 in range(min(step, k))]


_SCRATCH = threading.local()


def _scratch(size: int, dtype: np.dtype) -> np.ndarray:
    """A flat work array of ``size`` elements, reused by this thread's later calls.

    Convolutions fill their im2col chunks here instead of in a fresh array per call: a fresh
    buffer of a few hundred KB costs page faults on every call. Grows to the largest size asked.
    """
    nbytes = size * dtype.itemsize
    buf = getattr(_SCRATCH, "buf", None)
    if buf is None or buf.nbytes < nbytes:
        buf = _SCRATCH.buf = np.empty(max(nbytes, 1), np.uint8)
    return buf[:nbytes].view(dtype)


_ZERO_PAGES: np.ndarray = np.zeros(0, np.uint8)


def _zeros(shape: tuple[int, ...], dtype: np.dtype) -> np.ndarray:
    """A read-only C-contiguous array of zeros of ``shape``, without writing any memory.

    Views into one anonymous memory map that is never written, so every page reads the kernel's
    shared zero page: no resident memory and always in cache. ``np.maximum(y, _zeros(...))`` is
    3–4× faster than ``np.maximum(y, 0)``, whose scalar operand takes a slow inner loop.
    """
    global _ZERO_PAGES
    nbytes = math.prod(shape) * dtype.itemsize
    pages = _ZERO_PAGES
    if pages.nbytes < nbytes:
        size = max(1 << 20, 1 << (nbytes - 1).bit_length())
        pages = np.frombuffer(mmap.mmap(-1, size), np.uint8)
        pages.flags.writeable = False
        _ZERO_PAGES = pages
    return pages[:nbytes].view(dtype).reshape(shape)


def _relu_(y: np.ndarray) -> np.ndarray:
    """``y = max(y, 0)`` in place (NaN stays NaN); returns ``y``."""
    return np.maximum(y, _zeros(y.shape, y.dtype), out=y)


def _add_relu_(out: np.ndarray, identity: np.ndarray) -> np.ndarray:
    """``out = max(out + identity, 0)`` in place (a residual block's end); returns ``out``.

    ``out`` must own its buffer (a block's fresh convolution output). When both are row-padded
    views of the same width (see :func:`_row_padded`), as the convolutions' outputs in a residual
    stage are, the whole buffers are added, and the ReLU always runs on ``out``'s whole buffer:
    long contiguous runs instead of one short run per image row. The hidden columns hold finite
    partial sums (or zeros), so they raise no floating-point warnings of their own.
    """
    wide_out, wide_id = _row_padded(out), _row_padded(identity)
    if wide_out is not None and wide_id is not None and wide_out.shape == wide_id.shape \
            and wide_out.dtype == wide_id.dtype:
        np.add(wide_out, wide_id, out=wide_out)
    else:
        np.add(out, identity, out=out)
    _relu_(out if wide_out is None else wide_out)
    return out


def _row_padded(a: np.ndarray) -> np.ndarray | None:
    """The ``(N, C, H, W_b)`` C-contiguous buffer of which ``a (N, C, H, W)`` is the first ``W``
    columns (``a`` itself when C-contiguous), or None when ``a`` is not such a view."""
    if a.ndim != 4:
        return None
    if a.flags.c_contiguous:
        return a
    n, c, h, w = a.shape
    isz = a.itemsize
    sn, sc, sr, sw = a.strides
    base = a.base
    if sw != isz or sr % isz or sr < w * isz or sc != h * sr or sn != c * sc \
            or not isinstance(base, np.ndarray) or not base.flags.c_contiguous \
            or base.dtype != a.dtype or base.nbytes != n * sn \
            or base.__array_interface__["data"][0] != a.__array_interface__["data"][0]:
        return None
    return base.reshape(n, c, h, sr // isz)


class _Post:
    """A convolution's per-output-channel epilogue ``relu((y + bias)·scale + shift)``, in place.

    The operations and their order are those of ``conv2d`` (``+= bias``), an evaluation-mode
    ``batch_norm`` (``·scale``, ``+ shift``) and ``relu`` (``maximum(y, 0)``) called one after
    the other, so the fused result is bit-for-bit the same.
    """

    __slots__ = ("params", "relu")

    def __init__(self, groups: int, og: int, bias, scale, shift, relu: bool):
        self.params = [(op, p.reshape(groups, og, 1)) for op, p in
                       ((np.add, bias), (np.multiply, scale), (np.add, shift)) if p is not None]
        self.relu = relu

    def apply(self, y: np.ndarray, whole: np.ndarray | None = None) -> None:
        """In place on ``y (N, groups, C_out/groups, L)``.

        ``whole``, when given, is the C-contiguous ``(N, groups, C_out/groups, L_b)`` buffer of
        which ``y`` is the first ``L`` columns, its other columns finite and of no use (the
        "shifted" layout's hidden columns); the ReLU, and the per-channel steps on short rows,
        then run over the whole buffer. See :func:`_rowwise` for why.
        """
        if whole is None:
            whole = y
        if self.params:
            with _rowwise(y.shape[-1]) as long_rows:
                target = y if long_rows else whole
                for op, p in self.params:
                    op(target, p, out=target)
        if self.relu:
            _relu_(whole)


class _rowwise:
    """Context for a per-channel operand broadcast along rows of ``row`` elements.

    NumPy (2.x) buffers such an operation in blocks of its buffer size (8,192 elements), copying
    the broadcast operand into each block, whenever a row is shorter than the buffer: 2–4× slower
    than a plain loop over each row. For rows of at least ``_LONG_ROW`` elements the buffer is
    made small inside the context, so each row runs unbuffered; shorter rows keep NumPy's
    buffering, which beats many short row loops, and are best run over a contiguous array.
    Entering yields whether the rows count as long.
    """

    __slots__ = ("long", "saved")

    def __init__(self, row: int):
        self.long = row >= _LONG_ROW

    def __enter__(self) -> bool:
        if self.long:
            self.saved = np.setbufsize(_ROW_BUFSIZE)
        return self.long

    def __exit__(self, *exc) -> None:
        if self.long:
            np.setbufsize(self.saved)


def _chunks(n: int, units: int, unit_bytes: int, min_units: int) -> tuple[int, int]:
    """Samples per chunk and units (output rows or columns) per chunk of the im2col buffer.

    Whole samples are grouped while they fit in ``_COLS_CHUNK_BYTES``; a larger sample is cut
    into runs of up to ``_COLS_RUN_BYTES`` and at least ``min_units`` units so each GEMM stays wide.
    """
    per_sample = units * unit_bytes
    if per_sample <= _COLS_CHUNK_BYTES:
        return max(1, min(n, _COLS_CHUNK_BYTES // per_sample)), units
    return 1, min(units, max(min_units, _COLS_RUN_BYTES // unit_bytes))


def _shared_pad_rows(x: np.ndarray, pads: tuple[int, int, int, int], hq: int,
                     wq: int) -> np.ndarray:
    """``x`` zero-padded for a stride-1 "shifted" convolution, each channel one flat row.

    Shape ``(N, C, 1, H_q·W_q + e)``: image row ``y`` sits at ``(y + top)·W_q + left``, every other
    element is zero, and ``e = max(0, W + left + right − W_q)`` zeros close each channel. With
    ``W_q ≥ W + max(left, right)`` the zeros after one row serve as its right padding and as the
    next row's left padding (a tap reading past a row's end lands in them), so a row needs
    ``max(left, right)`` zero columns instead of ``left + right``: fewer product columns. A view
    of ``x`` when there is no padding.
    """
    n, c, h, wd = x.shape
    pt, _, pl, pr = pads
    extra = max(0, wd + pl + pr - wq)
    if (hq, wq) == (h, wd) and not (pt or pl) and extra == 0 and x.flags.c_contiguous:
        return x.reshape(n, c, 1, h * wd)
    out = np.zeros((n, c, 1, hq * wq + extra), x.dtype)
    out[:, :, 0, :hq * wq].reshape(n, c, hq, wq)[:, :, pt:pt + h, pl:pl + wd] = x
    return out


def _stride_phases(x: np.ndarray, stride: tuple[int, int], pads: tuple[int, int, int, int],
                   size: tuple[int, int]) -> np.ndarray:
    """``P[n, c, r_h, r_w, i, j] = x_padded[n, c, i·s_h + r_h, j·s_w + r_w]`` (zero outside x).

    Shape ``(N, C, s_h, s_w, H_q, W_q)``; for stride 1 without padding it is a view of ``x``.
    """
    n, c, h, wd = x.shape
    sh, sw = stride
    pt, _, pl, _ = pads
    hq, wq = size
    if (sh, sw) == (1, 1) and (pt, pl) == (0, 0) and (hq, wq) == (h, wd) \
            and x.flags.c_contiguous:
        return x.reshape(n, c, 1, 1, h, wd)
    out = np.zeros((n, c, sh, sw, hq, wq), x.dtype)
    for rh in range(sh):
        i0 = max(0, -(-(pt - rh) // sh))
        i1 = min(hq, (h - 1 + pt - rh) // sh + 1)
        if i1 <= i0:
            continue
        for rw in range(sw):
            j0 = max(0, -(-(pl - rw) // sw))
            j1 = min(wq, (wd - 1 + pl - rw) // sw + 1)
            if j1 <= j0:
                continue
            y0, x0 = i0 * sh + rh - pt, j0 * sw + rw - pl
            out[:, :, rh, rw, i0:i1, j0:j1] = x[:, :, y0:y0 + (i1 - i0 - 1) * sh + 1:sh,
                                                 x0:x0 + (j1 - j0 - 1) * sw + 1:sw]
    return out


# --------------------------------------------------------------------------- padding

def pad2d(input: object, padding: int | Sequence[int], value: float = 0.0, *,
          name: str | None = None) -> np.ndarray:
    """Pad the last two axes with a constant: ``(…, H, W) -> (…, H + top + bottom, W + left + right)``.

    ``padding`` is an int (every side), ``(p_h, p_w)`` (per side) or ``(top, bottom, left, right)``
    — note: not torch ``F.pad``'s ``(left, right, top, bottom)`` order. Always returns a new array.
    """
    op = "pad2d"
    x = _as_input(input, op, name)
    if x.ndim < 2:
        raise _fail(op, name, f"input must have at least 2 dimensions, got shape {_shape(x)}")
    pt, pb, pl, pr = _padding4(op, name, padding)
    h, w = x.shape[-2:]
    out = np.full(x.shape[:-2] + (h + pt + pb, w + pl + pr), value, x.dtype)
    out[..., pt:pt + h, pl:pl + w] = x
    return out


# --------------------------------------------------------------------------- pooling

def _pool_size(op: str, name: str | None, x4: np.ndarray, k: tuple[int, int], s: tuple[int, int],
               p: tuple[int, int], d: tuple[int, int], ceil_mode: bool,
               orig: np.ndarray) -> tuple[int, int]:
    """Output (H_out, W_out) of a pooling window with torch's rules."""
    sizes = []
    for axis, n_in, kk, ss, pp, dd in (("H", x4.shape[2], k[0], s[0], p[0], d[0]),
                                        ("W", x4.shape[3], k[1], s[1], p[1], d[1])):
        if pp > kk // 2:
            raise _fail(op, name, f"padding {pp} must be at most half the kernel size {kk} "
                                  f"(kernel_size {k}, padding {p}, input shape {_shape(orig)})")
        span = n_in + 2 * pp - dd * (kk - 1) - 1
        out = (span + (ss - 1 if ceil_mode else 0)) // ss + 1
        if ceil_mode and out > 0 and (out - 1) * ss >= n_in + pp:
            out -= 1
        sizes.append(out)
    if min(sizes) < 1:
        dil = f", dilation {d}" if d != (1, 1) else ""
        raise _fail(op, name, f"no output: {x4.shape[2]}x{x4.shape[3]} input with kernel_size "
                              f"{k}, stride {s}, padding {p}{dil}, ceil_mode={ceil_mode} gives "
                              f"output {sizes[0]}x{sizes[1]} (input shape {_shape(orig)})")
    return sizes[0], sizes[1]


def _pool_args(op, name, input, kernel_size, stride, padding, dilation, ceil_mode):
    x = _as_input(input, op, name)
    x4, unbatched = _batched(x, op, name)
    if min(x4.shape) < 1:
        raise _fail(op, name, f"input must have non-zero sizes (input shape {_shape(x)})")
    k = _pair(op, name, "kernel_size", kernel_size, 1)
    s = k if stride is None or (isinstance(stride, (tuple, list)) and len(stride) == 0) \
        else _pair(op, name, "stride", stride, 1)
    p = _pair(op, name, "padding", padding, 0)
    d = _pair(op, name, "dilation", dilation, 1)
    ho, wo = _pool_size(op, name, x4, k, s, p, d, bool(ceil_mode), x)
    return x, x4, unbatched, k, s, p, d, ho, wo


def _pool_padded(x4: np.ndarray, k, s, p, d, ho, wo, fill: float) -> np.ndarray:
    """x with ``p`` rows/cols of ``fill`` before and enough after for every window."""
    n, c, h, w = x4.shape
    need_h = (ho - 1) * s[0] + d[0] * (k[0] - 1) + 1
    need_w = (wo - 1) * s[1] + d[1] * (k[1] - 1) + 1
    after_h, after_w = max(0, need_h - p[0] - h), max(0, need_w - p[1] - w)
    if not (p[0] or p[1] or after_h or after_w):
        return x4
    xp = np.full((n, c, p[0] + h + after_h, p[1] + w + after_w), fill, x4.dtype)
    xp[:, :, p[0]:p[0] + h, p[1]:p[1] + w] = x4
    return xp


def _window_slices(xp, k, s, d, ho, wo):
    for u in range(k[0]):
        r0 = u * d[0]
        for v in range(k[1]):
            c0 = v * d[1]
            yield xp[:, :, r0:r0 + (ho - 1) * s[0] + 1:s[0], c0:c0 + (wo - 1) * s[1] + 1:s[1]]


def max_pool2d(input: object, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               dilation: int | Sequence[int] = 1, ceil_mode: bool = False, *,
               name: str | None = None) -> np.ndarray:
    """Max pooling, exactly ``torch.nn.functional.max_pool2d``.

    ``input (N, C, H, W)`` or ``(C, H, W)``; ``stride`` defaults to ``kernel_size``; padding is
    ``-inf`` and must be at most ``kernel_size // 2``::

        H_out = floor((H + 2·p_h − dilation_h·(K_h − 1) − 1) / stride_h) + 1     (ceil with ceil_mode)
        out[n, c, i, j] = max_{u, v} x_padded[n, c, i·stride_h + u·dilation_h, j·stride_w + v·dilation_w]

    With ``ceil_mode`` the last window may run past the padded input (the missing cells are
    ignored) but must start inside the input or the top/left padding: it is dropped when
    ``(H_out − 1)·stride_h >= H + p_h``. NaN propagates.
    """
    op = "max_pool2d"
    x, x4, unbatched, k, s, p, d, ho, wo = _pool_args(op, name, input, kernel_size, stride,
                                                      padding, dilation, ceil_mode)
    out = _max_along(x4, 2, k[0], s[0], p[0], d[0], ho)
    out = _max_along(out, 3, k[1], s[1], p[1], d[1], wo)
    return out[0] if unbatched else out


def _max_along(x: np.ndarray, axis: int, k: int, s: int, p: int, d: int, n_out: int) -> np.ndarray:
    """1-D max pooling along ``axis`` without a padded copy: ``out[…, i, …] = max_u x[…, i·s + u·d − p, …]``
    over the taps ``u < k`` that fall inside ``x`` (-inf when none does).

    Max pooling is separable, so :func:`max_pool2d` pools the rows (contiguous slices), then the
    columns of the smaller result. Each tap is one strided slice of ``x``, combined with
    ``np.maximum`` into the outputs ``i0 <= i < i1`` it reaches; a tap reaching every output
    starts the result, merged with the widest other tap in the same pass.
    """
    n_in = x.shape[axis]
    lead = (slice(None),) * axis

    def rows(i0: int, i1: int, off: int) -> tuple:
        return lead + (slice(i0 * s + off, (i1 - 1) * s + off + 1, s),)

    taps = []
    for u in range(k):
        off = u * d - p
        i0, i1 = max(0, -(off // s)), min(n_out, (n_in - 1 - off) // s + 1)
        if i1 > i0:
            taps.append((i0, i1, off))
    taps.sort(key=lambda t: t[0] - t[1])                  # widest first
    shape = x.shape[:axis] + (n_out,) + x.shape[axis + 1:]
    out = np.empty(shape, x.dtype)
    if taps and taps[0][1] - taps[0][0] == n_out:
        whole = taps.pop(0)[2]
        if taps:
            i0, i1, off = taps.pop(0)
            np.maximum(x[rows(i0, i1, whole)], x[rows(i0, i1, off)],
                       out=out[lead + (slice(i0, i1),)])
            for a, b in ((0, i0), (i1, n_out)):
                if b > a:
                    np.copyto(out[lead + (slice(a, b),)], x[rows(a, b, whole)])
        else:
            np.copyto(out, x[rows(0, n_out, whole)])
    else:
        out.fill(-np.inf)
    for i0, i1, off in taps:
        dst = out[lead + (slice(i0, i1),)]
        np.maximum(dst, x[rows(i0, i1, off)], out=dst)
    return out


def _avg_counts(n_in: int, k: int, s: int, p: int, n_out: int) -> tuple[np.ndarray, np.ndarray]:
    """Per-axis window lengths: (counting padding, excluding padding), torch's rule."""
    start = np.arange(n_out) * s - p
    end_pad = np.minimum(start + k, n_in + p)
    with_pad = end_pad - start
    inside = np.minimum(end_pad, n_in) - np.maximum(start, 0)
    return with_pad, inside


def avg_pool2d(input: object, kernel_size: int | Sequence[int],
               stride: int | Sequence[int] | None = None, padding: int | Sequence[int] = 0,
               ceil_mode: bool = False, count_include_pad: bool = True,
               divisor_override: int | None = None, *, name: str | None = None) -> np.ndarray:
    """Average pooling, exactly ``torch.nn.functional.avg_pool2d``.

    ``input (N, C, H, W)`` or ``(C, H, W)``; ``stride`` defaults to ``kernel_size``; zero padding of
    at most ``kernel_size // 2``; output size as in :func:`max_pool2d` (no dilation). Each output is
    the window sum divided by:

    * ``divisor_override`` if given (non-zero);
    * else with ``count_include_pad``: the window size clipped to the padded input
      ``(min(i·s_h − p_h + K_h, H + p_h) − (i·s_h − p_h)) · (… same for columns)`` — padding counts,
      the part of a ceil-mode window beyond the padding does not;
    * else the number of input (non-padding) cells in the window.
    """
    op = "avg_pool2d"
    x, x4, unbatched, k, s, p, d, ho, wo = _pool_args(op, name, input, kernel_size, stride,
                                                      padding, 1, ceil_mode)
    if divisor_override is not None:
        if isinstance(divisor_override, bool) or not isinstance(divisor_override, numbers.Integral) \
                or divisor_override == 0:
            raise _fail(op, name, f"divisor_override must be a non-zero integer, got "
                                  f"{divisor_override!r} (input shape {_shape(x)})")
    xp = _pool_padded(x4, k, s, p, d, ho, wo, 0.0)
    slices = _window_slices(xp, k, s, d, ho, wo)
    out = np.array(next(slices))
    for sl in slices:
        np.add(out, sl, out=out)
    if divisor_override is not None:
        out /= x.dtype.type(divisor_override)
    else:
        hp_, hi_ = _avg_counts(x4.shape[2], k[0], s[0], p[0], ho)
        wp_, wi_ = _avg_counts(x4.shape[3], k[1], s[1], p[1], wo)
        rows, cols = (hp_, wp_) if count_include_pad else (hi_, wi_)
        out /= np.multiply.outer(rows, cols).astype(x.dtype)
    return out[0] if unbatched else out


def _adaptive_matrix(n_in: int, n_out: int, dtype) -> tuple[np.ndarray, np.ndarray]:
    """0/1 matrix (n_out, n_in) selecting torch's adaptive windows, and the window lengths."""
    i = np.arange(n_out)
    start = (i * n_in) // n_out
    end = -((-(i + 1) * n_in) // n_out)
    cells = np.arange(n_in)
    sel = (cells >= start[:, None]) & (cells < end[:, None])
    return sel.astype(dtype), end - start


def adaptive_avg_pool2d(input: object, output_size: int | Sequence[int | None], *,
                        name: str | None = None) -> np.ndarray:
    """Adaptive average pooling, exactly ``torch.nn.functional.adaptive_avg_pool2d``.

    ``input (N, C, H, W)`` or ``(C, H, W)`` -> ``(N, C, H_out, W_out)``; ``output_size`` is an int or
    ``(H_out, W_out)`` where ``None`` keeps the input size. Output row ``i`` averages input rows
    ``floor(i·H / H_out) … ceil((i + 1)·H / H_out) − 1`` (windows may overlap when ``H`` is not a
    multiple of ``H_out``); columns likewise.
    """
    op = "adaptive_avg_pool2d"
    x = _as_input(input, op, name)
    x4, unbatched = _batched(x, op, name)
    n, c, h, w = x4.shape
    if min(x4.shape) < 1:
        raise _fail(op, name, f"input must have non-zero sizes (input shape {_shape(x)})")
    if isinstance(output_size, (tuple, list)):
        if len(output_size) != 2:
            raise _fail(op, name, f"output_size must be an int or a pair, got {output_size!r}")
        ho = h if output_size[0] is None else _int(op, name, "output_size", output_size[0], 1)
        wo = w if output_size[1] is None else _int(op, name, "output_size", output_size[1], 1)
    else:
        ho = wo = _int(op, name, "output_size", output_size, 1)
    if (ho, wo) == (1, 1):
        out = x4.sum(axis=(2, 3), keepdims=True)
        out /= x.dtype.type(h * w)
    elif h % ho == 0 and w % wo == 0:
        out = x4.reshape(n, c, ho, h // ho, wo, w // wo).sum(axis=(3, 5))
        out /= x.dtype.type((h // ho) * (w // wo))
    else:
        sel_h, len_h = _adaptive_matrix(h, ho, x.dtype)
        sel_w, len_w = _adaptive_matrix(w, wo, x.dtype)
        out = np.matmul(sel_h, np.matmul(x4, sel_w.T))
        out /= np.multiply.outer(len_h, len_w).astype(x.dtype)
    return out[0] if unbatched else out


# --------------------------------------------------------------------------- dense and activations

def linear(input: object, weight: object, bias: object = None, *,
           name: str | None = None) -> np.ndarray:
    """Fully connected layer, ``torch.nn.functional.linear``: ``y = x · Wᵀ + b``.

    ``input (*, in_features)``; ``weight (out_features, in_features)``; ``bias (out_features,)``;
    result ``(*, out_features)``.
    """
    op = "linear"
    x = _as_input(input, op, name)
    w = _as_param(weight, x.dtype, op, "weight", name)
    shapes = f"(input shape {_shape(x)}, weight shape {_shape(w)})"
    if w.ndim != 2:
        raise _fail(op, name, f"weight must be 2-D (out_features, in_features) {shapes}")
    if x.ndim < 1:
        raise _fail(op, name, f"input must have at least 1 dimension {shapes}")
    if x.shape[-1] != w.shape[1]:
        raise _fail(op, name, f"input has {x.shape[-1]} features but weight expects "
                              f"{w.shape[1]} {shapes}")
    out = np.matmul(x, w.T)
    if bias is not None:
        b = _as_param(bias, x.dtype, op, "bias", name)
        if b.shape != (w.shape[0],):
            raise _fail(op, name, f"bias must have shape ({w.shape[0]},), got bias shape "
                                  f"{_shape(b)} {shapes}")
        out += b
    return out


def relu(input: object, inplace: bool = False, *, name: str | None = None) -> np.ndarray:
    """``max(x, 0)`` elementwise (NaN stays NaN). ``inplace=True`` overwrites a float input array."""
    x = _as_input(input, "relu", name)
    if inplace and x is input and x.flags.writeable:
        return _relu_(x)
    return np.maximum(x, _zeros(x.shape, x.dtype))


def sigmoid(input: object, *, name: str | None = None) -> np.ndarray:
    """``1 / (1 + exp(−x))`` elementwise, computed without overflow for large ``|x|``."""
    x = _as_input(input, "sigmoid", name)
    e = np.exp(-np.abs(x))
    one = x.dtype.type(1)
    return np.where(x >= 0, one / (one + e), e / (one + e))


def tanh(input: object, *, name: str | None = None) -> np.ndarray:
    """``tanh(x)`` elementwise."""
    return np.tanh(_as_input(input, "tanh", name))


# --------------------------------------------------------------------------- normalisation

def batch_norm(input: object, running_mean: np.ndarray | None, running_var: np.ndarray | None,
               weight: object = None, bias: object = None, training: bool = False,
               momentum: float = 0.1, eps: float = 1e-5, *,
               name: str | None = None) -> np.ndarray:
    """Batch normalisation over channel axis 1, exactly ``torch.nn.functional.batch_norm``.

    ``input (N, C, *)``; ``running_mean``, ``running_var``, ``weight`` (γ), ``bias`` (β): ``(C,)``::

        y = (x − μ_c) / sqrt(σ²_c + eps) · γ_c + β_c

    ``training=False``: μ, σ² are the running statistics (required). ``training=True``: μ, σ² are the
    batch mean and *biased* variance over every axis but 1 (``m = N·∏spatial`` values per channel,
    ``m > 1``); when running statistics are given they are updated **in place** like torch:
    ``running_mean ← (1 − momentum)·running_mean + momentum·μ`` and
    ``running_var ← (1 − momentum)·running_var + momentum·σ²·m/(m − 1)`` (unbiased variance).
    """
    op = "batch_norm"
    x = _as_input(input, op, name)
    if x.ndim < 2:
        raise _fail(op, name, f"input must be at least 2-D (N, C, ...), got input shape "
                              f"{_shape(x)}")
    c = x.shape[1]
    shape_note = f"(input shape {_shape(x)}, {c} channels)"

    def param(p, what):
        if p is None:
            return None
        arr = _as_param(p, x.dtype, op, what, name)
        if arr.shape != (c,):
            raise _fail(op, name, f"{what} must have shape ({c},), got {what} shape "
                                  f"{_shape(arr)} {shape_note}")
        return arr

    gamma, beta = param(weight, "weight"), param(bias, "bias")
    axes = (0,) + tuple(range(2, x.ndim))
    bshape = (c,) + (1,) * (x.ndim - 2)
    if training:
        m = x.size // c
        if m <= 1:
            raise _fail(op, name, f"expected more than 1 value per channel when training, got "
                                  f"{m} {shape_note}")
        momentum = float(momentum)
        if not 0.0 <= momentum <= 1.0:
            raise _fail(op, name, f"momentum must be in [0, 1], got {momentum}")
        mean = x.mean(axis=axes)
        var = x.var(axis=axes)
        for stat, what, new in ((running_mean, "running_mean", mean),
                                (running_var, "running_var", var * (m / (m - 1)))):
            if stat is None:
                continue
            if not isinstance(stat, np.ndarray) or stat.dtype.kind != "f" \
                    or not stat.flags.writeable:
                raise _fail(op, name, f"{what} must be a writeable float numpy array to be "
                                      f"updated in training mode, got {type(stat).__name__}")
            if stat.shape != (c,):
                raise _fail(op, name, f"{what} must have shape ({c},), got {what} shape "
                                      f"{_shape(stat)} {shape_note}")
            stat *= 1.0 - momentum
            stat += momentum * new
    else:
        if running_mean is None or running_var is None:
            missing = "running_mean" if running_mean is None else "running_var"
            raise _fail(op, name, f"{missing} must be given in evaluation mode "
                                  f"(training=False) {shape_note}")
        mean, var = param(running_mean, "running_mean"), param(running_var, "running_var")
    scale, shift = _bn_affine(mean, var, gamma, beta, eps, x.dtype)
    out = np.multiply(x, scale.reshape(bshape))
    out += shift.reshape(bshape)
    return out


def _bn_affine(mean: np.ndarray, var: np.ndarray, gamma: np.ndarray | None,
               beta: np.ndarray | None, eps: float, dtype: np.dtype) -> tuple[np.ndarray, np.ndarray]:
    """Per-channel ``(scale, shift)`` with ``batch_norm(x) = x·scale + shift``:
    ``scale = γ / sqrt(σ² + eps)``, ``shift = β − μ·scale`` (γ = 1, β = 0 when not given)."""
    scale = 1.0 / np.sqrt(var + dtype.type(eps))
    if gamma is not None:
        scale = scale * gamma
    shift = -mean * scale
    if beta is not None:
        shift += beta
    return scale, shift


def batch_norm_affine(num_features: int, running_mean: object, running_var: object,
                      weight: object, bias: object, eps: float, dtype: object, *,
                      name: str | None = None) -> tuple[np.ndarray, np.ndarray]:
    """The ``(scale, shift)`` of an evaluation-mode :func:`batch_norm` on ``num_features`` channels.

    ``batch_norm(x, running_mean, running_var, weight, bias, training=False, eps=eps)`` equals
    ``x·scale + shift`` per channel, computed in ``dtype`` exactly as :func:`batch_norm` does, so a
    convolution can apply it to its own output (see ``_conv2d_fused``).
    """
    op = "batch_norm"
    dt = _float_dtype(np.dtype(dtype))
    arrays = []
    for p, what in ((running_mean, "running_mean"), (running_var, "running_var"),
                    (weight, "weight"), (bias, "bias")):
        if p is None:
            if what.startswith("running"):
                raise _fail(op, name, f"{what} must be given in evaluation mode")
            arrays.append(None)
            continue
        arr = _as_param(p, dt, op, what, name)
        if arr.shape != (num_features,):
            raise _fail(op, name, f"{what} must have shape ({num_features},), got {what} shape "
                                  f"{_shape(arr)} ({num_features} channels)")
        arrays.append(arr)
    return _bn_affine(arrays[0], arrays[1], arrays[2], arrays[3], eps, dt)


# --------------------------------------------------------------------------- softmax and loss

def softmax(input: object, dim: int, *, name: str | None = None) -> np.ndarray:
    """``exp(x_i) / Σ_j exp(x_j)`` along ``dim``, computed as ``exp(x − max)`` to avoid overflow."""
    op = "softmax"
    x = _as_input(input, op, name)
    dim = _dim(op, name, dim, x.ndim, x.shape)
    e = np.exp(x - x.max(axis=dim, keepdims=True))
    e /= e.sum(axis=dim, keepdims=True)
    return e


def log_softmax(input: object, dim: int, *, name: str | None = None) -> np.ndarray:
    """``x_i − log Σ_j exp(x_j)`` along ``dim``, as ``(x − max) − log Σ exp(x − max)``."""
    op = "log_softmax"
    x = _as_input(input, op, name)
    dim = _dim(op, name, dim, x.ndim, x.shape)
    z = x - x.max(axis=dim, keepdims=True)
    z -= np.log(np.exp(z).sum(axis=dim, keepdims=True))
    return z


def cross_entropy(input: object, target: object, reduction: str = "mean", *,
                  name: str | None = None):
    """Softmax cross-entropy of logits, ``torch.nn.functional.cross_entropy``.

    ``input``: logits ``(N, C)``, ``(N, C, d1, …)`` or unbatched ``(C,)``. ``target``: either class
    indices (integers in ``[0, C)``) of shape ``(N,)``, ``(N, d1, …)`` or ``()``, with
    ``loss = −log_softmax(input)[target]``; or class probabilities of the same shape as ``input``,
    with ``loss = −Σ_c target_c · log_softmax(input)_c``. ``reduction``: ``"mean"`` (over every
    loss element), ``"sum"`` or ``"none"`` (shape of the index target). Mean and sum return a NumPy
    scalar.
    """
    op = "cross_entropy"
    x = _as_input(input, op, name)
    t = np.asarray(target)
    shapes = f"(input shape {_shape(x)}, target shape {_shape(t)})"
    if reduction not in ("mean", "sum", "none"):
        raise _fail(op, name, f"reduction must be 'mean', 'sum' or 'none', got {reduction!r}")
    if x.ndim < 1:
        raise _fail(op, name, f"input must have a class dimension {shapes}")
    cdim = 0 if x.ndim == 1 else 1
    n_classes = x.shape[cdim]
    logp = log_softmax(x, cdim)
    if t.dtype.kind == "f":
        if t.shape != x.shape:
            raise _fail(op, name, f"probability targets must have the input's shape {shapes}")
        loss = -(t.astype(x.dtype, copy=False) * logp).sum(axis=cdim)
    elif t.dtype.kind in "iu":
        want = x.shape[:cdim] + x.shape[cdim + 1:]
        if t.shape != want:
            raise _fail(op, name, f"class-index target must have shape {want} {shapes}")
        if t.size and (t.min() < 0 or t.max() >= n_classes):
            bad = int(t.min()) if t.min() < 0 else int(t.max())
            raise _fail(op, name, f"target class {bad} is out of range [0, {n_classes - 1}] "
                                  f"for {n_classes} classes {shapes}")
        loss = -np.take_along_axis(logp, np.expand_dims(t, cdim).astype(np.intp),
                                   axis=cdim).squeeze(cdim)
    else:
        raise _fail(op, name, f"target must hold integer class indices or float probabilities, "
                              f"got dtype {t.dtype} {shapes}")
    if reduction == "mean":
        return loss.mean()
    if reduction == "sum":
        return loss.sum()
    return loss


# --------------------------------------------------------------------------- reshaping

def flatten(input: object, start_dim: int = 1, end_dim: int = -1, *,
            name: str | None = None) -> np.ndarray:
    """Merge axes ``start_dim … end_dim`` into one, ``torch.flatten`` (a view when possible).

    ``(N, C, H, W)`` with the defaults becomes ``(N, C·H·W)``.
    """
    op = "flatten"
    x = _as_input(input, op, name)
    if x.ndim == 0:
        return x.reshape(1)
    start = _dim(op, name, start_dim, x.ndim, x.shape)
    end = _dim(op, name, end_dim, x.ndim, x.shape)
    if start > end:
        raise _fail(op, name, f"start_dim={start_dim} comes after end_dim={end_dim} for input "
                              f"of shape {_shape(x)}")
    merged = int(np.prod(x.shape[start:end + 1], dtype=np.int64))
    return x.reshape(x.shape[:start] + (merged,) + x.shape[end + 1:])
