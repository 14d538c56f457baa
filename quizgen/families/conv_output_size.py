"""Spatial output size (and channels) of a Conv2d layer.

H′ = ⌊(H + 2P − D·(K − 1) − 1)/S⌋ + 1 per dimension (P per side), or with the lectures' total
padding p_h: H′ = ⌊(H − K + p_h + S)/S⌋. Output channels = number of filters. Verified against a
real engine run of ``conv2d`` (one channel in and out: the spatial size does not depend on
channels).
"""
from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from quizgen.errors import EngineError, ParamError
from quizgen.family import Family, Param, Statement
from quizgen.mathexpr import Add, Div, Floor, Mul, Num, Paren, Sub, Sym, shape
from quizgen.model import T

@lru_cache(maxsize=4096)
def _engine_size(h, w, k, s, before, after, d) -> tuple[int, int]:
    """Spatial output size from a real engine run: conv2d of a one-channel zero map."""
    from quizgen.engine import functional as F
    y = F.conv2d(np.zeros((1, 1, h, w)), np.zeros((1, 1, k, k)), stride=s,
                 padding=(before, after, before, after), dilation=d)
    return tuple(y.shape[2:])


_D = {"paper": (1,), "standard": (1,), "challenge": (1, 2)}


class ConvOutputSize(Family):
    name = "conv_output_size"
    title = "Output size H′×W′×C of a convolution layer (stride, padding, dilation)"
    kinds = ("single", "numeric", "multiple")
    tags = ("convolution", "output-size")
    params = (
        Param("H", "input height", domain={"paper": (5, 6, 7, 8, 9, 10, 11, 12, 22, 28, 32),
                                           "standard": (7, 13, 22, 27, 28, 32, 55, 56, 64, 112, 224, 227),
                                           "challenge": (13, 27, 31, 55, 57, 63, 99, 113, 225, 227)},
              lo=1, hi=4096),
        Param("W", "input width (defaults to H: square input; sampled rectangular at challenge)",
              lo=1, hi=4096, sampled=False),
        Param("C_in", "input channels", domain={"paper": (1, 3), "standard": (1, 3, 16, 32, 64),
                                                "challenge": (3, 64, 96, 128, 256)}, lo=1, hi=4096),
        Param("C_out", "number of filters (output channels)",
              domain={"paper": (4, 6, 8, 10, 16), "standard": (16, 32, 64, 96, 128, 256),
                      "challenge": (64, 96, 192, 256, 384, 512)}, lo=1, hi=4096),
        Param("K", "kernel size (square)", domain={"paper": (1, 2, 3, 5), "standard": (1, 3, 5, 7, 11),
                                                   "challenge": (3, 5, 7, 11)}, lo=1, hi=64),
        Param("S", "stride", domain={"paper": (1, 2, 3), "standard": (1, 2, 4), "challenge": (1, 2, 3, 4)},
              lo=1, hi=16),
        Param("P", "zero padding (per side, or total rows when pad_style=total)",
              domain={"paper": (0, 1, 2), "standard": (0, 1, 2, 3), "challenge": (0, 1, 2, 3, 4, 5)},
              lo=0, hi=64),
        Param("D", "dilation", domain=_D, lo=1, hi=8),
        Param("pad_style", "padding convention stated in the stem: per_side (P on each side) or "
              "total (p_h = total padded rows, the CS540 formula)", type="str",
              domain={"paper": ("per_side",), "standard": ("per_side", "total"),
                      "challenge": ("per_side", "total")}, choices=("per_side", "total")),
    )

    def sample(self, rng, difficulty, fixed):
        p = super().sample(rng, difficulty, fixed)
        if "W" not in p:
            p["W"] = p["H"] if difficulty != "challenge" or rng.random() < 0.5 else \
                p["H"] + int(rng.choice([-4, -2, 2, 4, 6]))
        return p

    # ---- arithmetic ----------------------------------------------------------------------
    @staticmethod
    def pads(p) -> tuple[int, int]:
        """(before, after) padding of one dimension."""
        return (p.P, p.P) if p.pad_style == "per_side" else (p.P // 2, p.P - p.P // 2)

    def size(self, p, n, *, pad=None, stride=None, dil=None, plus_one=True, floor=True):
        before, after = self.pads(p) if pad is None else pad
        s = p.S if stride is None else stride
        d = p.D if dil is None else dil
        num = n + before + after - d * (p.K - 1) - 1
        q = num // s if floor else -(-num // s)
        return q + 1 if plus_one else q

    def check(self, p):
        before, after = self.pads(p)
        eff = p.D * (p.K - 1) + 1
        for dim, n in (("H", p.H), ("W", p.W)):
            if eff > n + before + after:
                raise ParamError(f"kernel {p.K} (effective {eff}) is larger than the padded input "
                                 f"{n + before + after}", family=self.name, param="K", value=p.K)
        if p.pad_style == "per_side" and p.P >= p.K and p.P > 0:
            raise ParamError("padding must be smaller than the kernel", family=self.name,
                             param="P", value=p.P)

    def solve(self, p):
        from quizgen.engine import shapes
        before, after = self.pads(p)
        if p.pad_style == "per_side":
            closed = (shapes.conv_out(p.H, p.K, p.S, p.P, p.D), shapes.conv_out(p.W, p.K, p.S, p.P, p.D))
        elif p.D == 1:
            closed = (shapes.conv_out_total(p.H, p.K, p.S, p.P), shapes.conv_out_total(p.W, p.K, p.S, p.P))
        else:
            closed = (shapes.conv_out_asym(p.H, p.K, p.S, before, after, p.D),
                      shapes.conv_out_asym(p.W, p.K, p.S, before, after, p.D))
        try:
            ran = _engine_size(p.H, p.W, p.K, p.S, before, after, p.D)
        except EngineError as err:
            raise ParamError(str(err), family=self.name) from None
        self.verify(closed, ran, "output size")
        return (closed[0], closed[1], p.C_out)

    def misconceptions(self, p, answer):
        h, w, c = answer
        both = lambda **kw: (self.size(p, p.H, **kw), self.size(p, p.W, **kw), c)
        pb, pa = self.pads(p)
        out = {
            "forgot_padding": both(pad=(0, 0)) if p.P else None,
            "padding_one_side": both(pad=(pb, 0)) if p.pad_style == "per_side" and p.P else None,
            "padding_double_counted": both(pad=(p.P, p.P)) if p.pad_style == "total" and p.P else None,
            "forgot_plus_one": both(plus_one=False),
            "ignored_stride": both(stride=1) if p.S > 1 else None,
            "no_floor": both(floor=False) if p.S > 1 else None,
            "channels_from_input": (h, w, p.C_in) if p.C_in != p.C_out else None,
            "stride_divides_input": (math.ceil(p.H / p.S), math.ceil(p.W / p.S), c) if p.S > 1 else None,
            "forgot_dilation": both(dil=1) if p.D > 1 else None,
            "swapped_hw": (w, h, c) if h != w else None,
            "same_as_input": (p.H, p.W, c),
        }
        return {k: v for k, v in out.items() if v is not None and min(v) >= 1}

    def near_values(self, p, answer, rng):
        h, w, c = answer
        return [(h + 1, w + 1, c), (h - 1, w - 1, c), (h + 2, w + 2, c), (h, w, c * 2),
                (2 * h, 2 * w, c), (h - 2, w - 2, c)]

    def option(self, value, p):
        if min(value) < 1:
            raise ValueError("no output")
        return (T(shape(*value)),)

    def numeric(self, p, answer):
        return float(answer[0]), 0.0

    def statements(self, p, rng):
        """Which paddings (per side) keep the spatial size at stride 1?"""
        eff = p.D * (p.K - 1) + 1
        same = (eff - 1) // 2
        tags = {0: "forgot_padding", eff - 1: "wrong_same_padding"}
        pads = sorted({0, same, same + 1, eff - 1, max(same - 1, 0)})
        out = []
        for pad in pads:
            keeps = pad == same
            size = p.H + 2 * pad - eff + 1
            out.append(Statement((T(f"P = {pad} on each side"),), keeps,
                                 None if keeps else tags.get(pad, "near_value"),
                                 f"With P = {pad}: {p.H} + 2×{pad} − {eff} + 1 = {size}."))
        return out

    def check_kind(self, p, kind):
        if kind == "multiple" and (p.D * (p.K - 1)) % 2:
            raise ParamError("no padding keeps the size for an even effective kernel",
                             family=self.name, param="K", value=p.K)

    @staticmethod
    def _eff_expr(p):
        """The effective kernel size: K, or D·(K − 1) + 1 when dilated."""
        return Num(p.K) if p.D == 1 else Paren(Add(Mul(p.D, Sub(p.K, 1)), 1))

    def context(self, p, kind):
        return {"eff": p.D * (p.K - 1) + 1, "Sym": Sym}

    def solution(self, p, answer):
        if getattr(p, "kind", None) == "multiple":
            eff = p.D * (p.K - 1) + 1
            return (T("With stride 1, ", "H′ = H + 2P − ", self._eff_expr(p), " + 1 = ",
                      f"{p.H} + 2P − {eff - 1}."),
                    T(f"H′ = H exactly when 2P = {eff - 1}, i.e. P = {(eff - 1) // 2} on each side; "
                      "every other padding grows or shrinks the output by 2 per step of P."))
        h, w, c = answer
        before, after = self.pads(p)
        steps = []
        for label, n, res in (("H′", p.H, h), ("W′", p.W, w)):
            eff = p.D * (p.K - 1) + 1
            k_term = self._eff_expr(p)
            pad_term = Mul(2, p.P) if p.pad_style == "per_side" else Num(p.P)
            num = n + before + after - eff
            steps.append(T(f"{label} = ", Add(Floor(Div(Sub(Add(n, pad_term), k_term), p.S)), 1),
                           " = ", Add(Floor(Div(num, p.S)), 1), f" = {num // p.S} + 1 = {res}"))
            if p.H == p.W:
                steps[-1] = T("H′ = W′ = ", *steps[-1].spans[1:])
                break
        steps.append(T(f"Each of the {p.C_out} filter{'s' if p.C_out > 1 else ''} produces one "
                       f"output channel, so C′ = {c}."))
        steps.append(T("Output: ", shape(h, w, c), "."))
        return tuple(steps)


FAMILY = ConvOutputSize()
