"""Output size of a max/average pooling layer, and which strides make the window fit exactly.

Per spatial dimension, with P padding rows on each side (PyTorch requires P ≤ K/2):
H′ = ⌊(H + 2P − K)/S⌋ + 1. With ``ceil_mode=True`` the division rounds up, but a last window
that would start inside the right/bottom padding is dropped: if (H′ − 1)·S ≥ H + P then H′ − 1.
Pooling acts per channel: C′ = C. The windows tile the padded input exactly when S divides
H + 2P − K; otherwise the last (H + 2P − K) mod S padded rows are never covered (the lectures'
"7×7 input, 3×3 window, stride 3 does not fit").

Verified against a real engine run (``max_pool2d`` / ``avg_pool2d`` on a one-channel zeros map).
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from quizgen.errors import EngineError, ParamError
from quizgen.family import Family, Param, Statement
from quizgen.mathexpr import Add, Ceil, Div, Floor, Mul, Sub, shape
from quizgen.model import T

# An answer is (H′, W′, C′) or, when the windows skip input rows/columns, (H′, W′, C′, SKIP);
# the "fits anyway" distractor is the same shape tagged EXACT.
SKIP, EXACT = "skip", "exact"


@lru_cache(maxsize=4096)
def _engine_size(h: int, w: int, k: int, s: int, p: int, ceil_mode: bool, mode: str):
    from quizgen.engine import functional as F
    x = np.zeros((1, 1, h, w))
    if mode == "max":
        y = F.max_pool2d(x, k, s, p, ceil_mode=ceil_mode)
    else:
        y = F.avg_pool2d(x, k, s, p, ceil_mode=ceil_mode)
    return tuple(int(v) for v in y.shape[2:])


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'s' if n != 1 else ''}"


class PoolOutputSize(Family):
    name = "pool_output_size"
    title = "Output size of a max/average pooling layer (stride, padding, ceil_mode, fit)"
    kinds = ("single", "numeric", "multiple")
    tags = ("pooling", "output-size")
    params = (
        Param("H", "input height", domain={
            "paper": (4, 5, 6, 7, 8, 9, 10, 11, 12, 14, 16, 28, 32),
            "standard": (7, 13, 14, 15, 27, 28, 32, 55, 56, 64, 112, 224),
            "challenge": (13, 27, 28, 55, 56, 57, 63, 99, 112, 113, 225)}, lo=1, hi=4096),
        Param("W", "input width (defaults to H; sampled rectangular at challenge)", lo=1,
              hi=4096, sampled=False),
        Param("C", "channels of the input feature map", domain={
            "paper": (1, 3, 6, 16), "standard": (16, 32, 64, 96, 128, 192, 256, 512),
            "challenge": (64, 96, 192, 256, 480, 512, 832)}, lo=1, hi=8192),
        Param("K", "pooling window size (K × K)", domain=(2, 3), lo=1, hi=64),
        Param("S", "stride", domain=(1, 2, 3), lo=1, hi=64),
        Param("P", "padding per side (PyTorch allows P ≤ K/2)",
              domain={"paper": (0,), "standard": (0, 0, 1), "challenge": (0, 1)}, lo=0, hi=32),
        Param("mode", "max or avg pooling (the size does not depend on it)", type="str",
              domain=("max", "avg"), choices=("max", "avg")),
        Param("ceil_mode", "PyTorch ceil_mode: round the division up (challenge only by default)",
              type="bool", domain={"paper": (False,), "standard": (False,),
                                   "challenge": (False, True)}),
    )

    def sample(self, rng, difficulty, fixed):
        p = super().sample(rng, difficulty, fixed)
        if "W" not in p:
            p["W"] = p["H"] if difficulty != "challenge" or rng.random() < 0.6 else \
                p["H"] + int(rng.choice([-2, -1, 1, 2, 3]))
        return p

    # ---- arithmetic ----------------------------------------------------------------------
    @staticmethod
    def size(p, n, *, pad_total=None, stride=None, plus_one=True, rounding=None):
        """Output size along one axis (``pad_total`` padded rows, 2P by default);
        ``rounding``: floor | ceil (plain) | torch (ceil_mode's rule)."""
        pad_total = 2 * p.P if pad_total is None else pad_total
        s = p.S if stride is None else stride
        rounding = rounding or ("torch" if p.ceil_mode else "floor")
        span = n + pad_total - p.K
        q = span // s if rounding == "floor" else -(-span // s)
        if not plus_one:
            return q
        out = q + 1
        if rounding == "torch" and (out - 1) * s >= n + pad_total // 2:
            out -= 1
        return out

    @staticmethod
    def skipped(p, n) -> int:
        """Input rows (not padding) never covered by a window, with floor rounding."""
        if p.ceil_mode:
            return 0
        return max(0, (n + 2 * p.P - p.K) % p.S - p.P)

    def check(self, p):
        if p.P > p.K // 2:
            raise ParamError(f"padding must be at most half the window (PyTorch: P ≤ K/2 = "
                             f"{p.K // 2})", family=self.name, param="P", value=p.P)
        for n in (p.H, p.W):
            if p.K > n + 2 * p.P:
                raise ParamError(f"window {p.K} is larger than the padded input {n + 2 * p.P}",
                                 family=self.name, param="K", value=p.K)

    def check_kind(self, p, kind):
        if kind == "multiple":
            spans = (p.H + 2 * p.P - p.K, p.W + 2 * p.P - p.K)
            fit = [self.fits(p, s) for s in range(2, 6)]
            if min(spans) < 1 or all(fit) or not any(fit):
                raise ParamError("a select-all question needs strides 2–5 that fit and strides "
                                 "that do not", family=self.name, param="H", value=p.H)

    def solve(self, p):
        from quizgen.engine import shapes
        closed = (shapes.pool_out(p.H, p.K, p.S, p.P, ceil_mode=p.ceil_mode),
                  shapes.pool_out(p.W, p.K, p.S, p.P, ceil_mode=p.ceil_mode))
        try:
            engine = _engine_size(p.H, p.W, p.K, p.S, p.P, p.ceil_mode, p.mode)
        except EngineError as err:
            raise ParamError(str(err), family=self.name) from None
        self.verify(closed[0], engine[0], "pooling output height")
        self.verify(closed[1], engine[1], "pooling output width")
        if self.skipped(p, p.H) or self.skipped(p, p.W):
            return (closed[0], closed[1], p.C, SKIP)
        return (closed[0], closed[1], p.C)

    def misconceptions(self, p, answer):
        h, w, c = answer[:3]
        both = lambda **kw: (self.size(p, p.H, **kw), self.size(p, p.W, **kw), c)
        ceil_differs = both(rounding="floor") != both(rounding="ceil")
        out = {
            "forgot_padding": both(pad_total=0) if p.P else None,
            "padding_one_side": both(pad_total=p.P) if p.P else None,
            "forgot_plus_one": both(plus_one=False),
            "ignored_stride": both(stride=1) if p.S > 1 else None,
            "no_floor": both(rounding="ceil") if not p.ceil_mode and ceil_differs else None,
            "ignored_ceil_mode": both(rounding="floor") if p.ceil_mode else None,
            "stride_divides_input": (-(-p.H // p.S), -(-p.W // p.S), c) if p.S > 1 else None,
            "pool_changes_channels": (h, w, 1) if c > 1 else (h, w, p.K * p.K),
            "swapped_hw": (w, h, c) if h != w else None,
            "same_as_input": (p.H, p.W, c),
            "fits_anyway": (h, w, c, EXACT) if len(answer) == 4 else None,
        }
        out = {k: v for k, v in out.items() if v is not None and min(v[:3]) >= 1}
        if "fits_anyway" not in out:
            return out
        # The lecture's "does not fit" case: always offer the deliberate pair ("does not fit
        # exactly" vs "covers the input exactly") and the most common slips beside it.
        chosen, seen = {}, {tuple(answer)}
        for key in ("fits_anyway", "no_floor", "ignored_stride", "forgot_plus_one",
                    "stride_divides_input", "pool_changes_channels", *out):
            if key in out and tuple(out[key]) not in seen and len(chosen) < self.n_options - 1:
                chosen[key] = out[key]
                seen.add(tuple(out[key]))
        return chosen

    def near_values(self, p, answer, rng):
        h, w, c = answer[:3]
        return [(h + 1, w + 1, c), (h - 1, w - 1, c), (h + 2, w + 2, c), (2 * h, 2 * w, c),
                (h, w, 2 * c), (h - 2, w - 2, c)]

    def option(self, value, p):
        if min(value[:3]) < 1:
            raise ValueError("no output")
        if len(value) == 4 and value[3] == SKIP:
            return (T(shape(*value[:3]), f" (does not fit exactly: {self.skip_text(p)} never "
                                         f"covered)"),)
        if len(value) == 4 and value[3] == EXACT:
            return (T(shape(*value[:3]), " (the windows cover the input exactly)"),)
        return (T(shape(*value[:3])),)

    def option_key(self, value, p):
        if min(value[:3]) < 1:
            raise ValueError("no output")
        return repr(tuple(value))  # the option text is a function of the value tuple

    def skip_text(self, p) -> str:
        rows, cols = self.skipped(p, p.H), self.skipped(p, p.W)
        last = lambda n, unit: f"the last {unit}" if n == 1 else f"the last {n} {unit}s"
        parts = [last(n, unit) for n, unit in ((rows, "row"), (cols, "column")) if n]
        return " and ".join(parts) + (" are" if rows + cols > 1 else " is")

    def numeric(self, p, answer):
        return float(answer[0]), 0.0

    # ---- select all: which strides fit ---------------------------------------------------
    def fits(self, p, s: int) -> bool:
        return (p.H + 2 * p.P - p.K) % s == 0 and (p.W + 2 * p.P - p.K) % s == 0

    def statements(self, p, rng):
        out = []
        padded = "padded " if p.P else ""
        dims = (("H", p.H, "row"),) if p.H == p.W else (("H", p.H, "row"), ("W", p.W, "column"))
        for s in range(1, 6):
            parts = []
            for label, n, unit in dims:
                span = n + 2 * p.P - p.K
                if span % s:
                    parts.append(f"{label} + 2P − K = {span} = {span // s} × {s} + {span % s}, "
                                 f"so the last {_plural(span % s, unit)} of the {padded}input "
                                 f"{'is' if span % s == 1 else 'are'} never covered")
                else:
                    parts.append(f"{label} + 2P − K = {span} = {span // s} × {s}: {span // s + 1} "
                                 f"windows, the last one ends exactly at the {padded}input's edge")
            fits = self.fits(p, s)
            out.append(Statement((T(f"S = {s}"),), fits, None if fits else "fits_anyway",
                                 f"With S = {s}: " + "; ".join(parts) + "."))
        return out

    # ---- text ----------------------------------------------------------------------------
    def context(self, p, kind):
        if p.P == 0:
            padding = "There is no padding."
        else:
            padding = (f"The input is padded with P = {_plural(p.P, 'pixel')} on each side "
                       f"(padding={p.P} in PyTorch).")
        if p.ceil_mode:
            rounding = ("The layer uses ceil_mode=True (PyTorch): the division in the size "
                        "formula rounds up, but a window must start inside the input or its "
                        "top/left padding.")
        else:
            rounding = (f"A window that would run past the {'padded ' if p.P else ''}input is "
                        f"not computed (PyTorch's default).")
        return {"word": "max" if p.mode == "max" else "average",
                "article": "A" if p.mode == "max" else "An", "padding": padding,
                "rounding": rounding}

    def solution(self, p, answer):
        h, w, c = answer[:3]
        op = Floor if not p.ceil_mode else Ceil
        steps = [T("Pooling uses the output-size formula of a convolution in each dimension: ",
                   Add(op(Div(Sub(Add("H", Mul(2, "P")), "K"), "S")), 1),
                   " (P per side" + (", rounded up because ceil_mode=True" if p.ceil_mode else "")
                   + ").")]
        for label, n, res in (("H′", p.H, h), ("W′", p.W, w)):
            span = n + 2 * p.P - p.K
            q = span // p.S if not p.ceil_mode else -(-span // p.S)
            line = T(f"{label} = " if p.H != p.W else "H′ = W′ = ",
                     Add(op(Div(Sub(Add(n, Mul(2, p.P)), p.K), p.S)), 1), " = ",
                     Add(op(Div(span, p.S)), 1), f" = {q} + 1 = {q + 1}")
            steps.append(line)
            if p.ceil_mode:
                start = q * p.S - p.P
                if q + 1 != res:
                    steps.append(T(f"The last window would start at row {start} ≥ H + P = "
                                   f"{n + p.P}, inside the padding, so PyTorch drops it: "
                                   f"{label} = {res}."))
                else:
                    steps.append(T(f"The last window starts at row {start} < H + P = "
                                   f"{n + p.P}, inside the input, so it is kept."))
            if p.H == p.W:
                break
        span = p.H + 2 * p.P - p.K
        divisors = [d for d in range(1, span + 1) if span % d == 0] if span > 0 else []
        if len(answer) == 4:
            steps.append(T(f"H + 2P − K = {span} is not a multiple of S = {p.S}, so the window "
                           f"does not fit exactly: {self.skip_text(p)} never covered "
                           f"(PyTorch drops the incomplete window)."))
        if divisors and p.H == p.W:
            steps.append(T(f"The windows fit exactly when S divides H + 2P − K = {span}: S = "
                           + ", ".join(map(str, divisors[:12]))
                           + (", …" if len(divisors) > 12 else "") + "."))
        steps.append(T((f"Pooling acts on each of the {p.C} channels separately" if p.C > 1 else
                        "Pooling acts on the single channel") + " and has no parameters, so "
                       f"C′ = C = {c}."))
        steps.append(T("Output: ", shape(h, w, c), "."))
        return tuple(steps)


FAMILY = PoolOutputSize()
