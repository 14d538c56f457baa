"""Naive nested-loop versions of the 2-D ops, used only as a test oracle for ``functional``.

Every output cell is computed on its own from the definition, reading the unpadded input with
explicit bounds checks (no padded copy, no window views, no BLAS), so these share no code and no
trick with :mod:`quizgen.engine.functional`. They are slow: keep shapes small.

This lives in the package (not under ``tests/``) so the fixture script and the benchmark can import
it regardless of how pytest sets ``sys.path``; nothing in the engine imports it.
"""
from __future__ import annotations

import math

import numpy as np


def _two(v):
    return (v, v) if isinstance(v, int) else (v[0], v[1])


def conv2d(x, w, b=None, stride=1, padding=(0, 0, 0, 0), dilation=1, groups=1, flip=False):
    """Cross-correlation (or true convolution if ``flip``) of ``x (N, C, H, W)`` with
    ``w (O, C/groups, KH, KW)``; ``padding`` is (top, bottom, left, right)."""
    x, w = np.asarray(x, float), np.asarray(w, float)
    n, c, h, wd = x.shape
    o, cg, kh, kw = w.shape
    sh, sw = _two(stride)
    dh, dw = _two(dilation)
    pt, pb, pl, pr = padding
    ho = (h + pt + pb - dh * (kh - 1) - 1) // sh + 1
    wo = (wd + pl + pr - dw * (kw - 1) - 1) // sw + 1
    og = o // groups
    out = np.zeros((n, o, ho, wo))
    for bi in range(n):
        for oc in range(o):
            g = oc // og
            for i in range(ho):
                for j in range(wo):
                    acc = 0.0 if b is None else float(b[oc])
                    for ci in range(cg):
                        for u in range(kh):
                            r = i * sh + u * dh - pt
                            if not 0 <= r < h:
                                continue
                            for v in range(kw):
                                col = j * sw + v * dw - pl
                                if not 0 <= col < wd:
                                    continue
                                wu, wv = (kh - 1 - u, kw - 1 - v) if flip else (u, v)
                                acc += w[oc, ci, wu, wv] * x[bi, g * cg + ci, r, col]
                    out[bi, oc, i, j] = acc
    return out


def pool_out(n, k, s, p, d, ceil_mode):
    """Torch's pooling output size along one axis (written from its C++ shape function)."""
    num = n + 2 * p - d * (k - 1) - 1
    if ceil_mode:
        out = math.ceil(num / s) + 1
        if (out - 1) * s >= n + p:
            out -= 1
    else:
        out = math.floor(num / s) + 1
    return out


def max_pool2d(x, kernel_size, stride=None, padding=0, dilation=1, ceil_mode=False):
    x = np.asarray(x, float)
    n, c, h, w = x.shape
    kh, kw = _two(kernel_size)
    sh, sw = _two(stride) if stride is not None else (kh, kw)
    ph, pw = _two(padding)
    dh, dw = _two(dilation)
    ho, wo = pool_out(h, kh, sh, ph, dh, ceil_mode), pool_out(w, kw, sw, pw, dw, ceil_mode)
    out = np.empty((n, c, ho, wo))
    for bi in range(n):
        for ci in range(c):
            for i in range(ho):
                for j in range(wo):
                    best = -math.inf
                    for u in range(kh):
                        r = i * sh - ph + u * dh
                        for v in range(kw):
                            col = j * sw - pw + v * dw
                            if 0 <= r < h and 0 <= col < w:
                                best = max(best, x[bi, ci, r, col])
                    out[bi, ci, i, j] = best
    return out


def avg_pool2d(x, kernel_size, stride=None, padding=0, ceil_mode=False, count_include_pad=True,
               divisor_override=None):
    """Written from torch's CPU kernel: window clipped to the padded input for the padded count,
    to the input for the sum and the unpadded count."""
    x = np.asarray(x, float)
    n, c, h, w = x.shape
    kh, kw = _two(kernel_size)
    sh, sw = _two(stride) if stride is not None else (kh, kw)
    ph, pw = _two(padding)
    ho, wo = pool_out(h, kh, sh, ph, 1, ceil_mode), pool_out(w, kw, sw, pw, 1, ceil_mode)
    out = np.empty((n, c, ho, wo))
    for bi in range(n):
        for ci in range(c):
            for i in range(ho):
                for j in range(wo):
                    r0, c0 = i * sh - ph, j * sw - pw
                    r1, c1 = min(r0 + kh, h + ph), min(c0 + kw, w + pw)
                    pool_size = (r1 - r0) * (c1 - c0)
                    r0, c0, r1, c1 = max(r0, 0), max(c0, 0), min(r1, h), min(c1, w)
                    total = 0.0
                    for r in range(r0, r1):
                        for col in range(c0, c1):
                            total += x[bi, ci, r, col]
                    if divisor_override is not None:
                        div = divisor_override
                    elif count_include_pad:
                        div = pool_size
                    else:
                        div = (r1 - r0) * (c1 - c0)
                    out[bi, ci, i, j] = total / div
    return out


def adaptive_avg_pool2d(x, output_size):
    x = np.asarray(x, float)
    n, c, h, w = x.shape
    ho, wo = _two(output_size)
    out = np.empty((n, c, ho, wo))
    for i in range(ho):
        r0, r1 = (i * h) // ho, math.ceil((i + 1) * h / ho)
        for j in range(wo):
            c0, c1 = (j * w) // wo, math.ceil((j + 1) * w / wo)
            for bi in range(n):
                for ci in range(c):
                    total = 0.0
                    for r in range(r0, r1):
                        for col in range(c0, c1):
                            total += x[bi, ci, r, col]
                    out[bi, ci, i, j] = total / ((r1 - r0) * (c1 - c0))
    return out
