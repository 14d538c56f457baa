"""Activation memory of a layer's output, in KB, as in the DeepRob table.

elements = C′·H′·W′ (the output activation, batch 1); bytes = elements × bytes per element
(float32: 4, float16: 2, float64: 8); KB = bytes / 1024. The stem says whether to round to a
whole KB (half up, like the table: 182.25 → 182, 546.75 → 547) or to give the exact value.
AlexNet conv1 at 227: 64 × 56 × 56 = 200,704 elements × 4 / 1024 = 784 KB.

Verified against the engine: the byte size (``ndarray.nbytes``) of an array shaped like a real
``conv2d`` / ``max_pool2d`` output, and ``engine.summary`` of the real model for named layers.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

import numpy as np

from quizgen.errors import EngineError, ParamError
from quizgen.families._counting import NAMED, layer_row
from quizgen.family import Family, Param
from quizgen.mathexpr import Div, Mul
from quizgen.model import T
from quizgen.numbers import fmt, is_terminating, round_half_up

LAYERS = ("given", "conv", "pool", "named")
DTYPES = {"float32": 4, "float16": 2, "float64": 8}

_CONV_H = {"paper": (8, 16, 28, 32), "standard": (13, 27, 28, 32, 56, 112, 224, 227),
           "challenge": (14, 27, 56, 112, 224, 227)}
DOMAINS = {
    "given": dict(C_out={"paper": (4, 6, 8, 16, 32, 64), "standard": (64, 96, 128, 192, 256),
                         "challenge": (96, 192, 384, 512)},
                  H={"paper": (8, 14, 16, 28, 32, 56), "standard": (13, 14, 27, 28, 56, 112),
                     "challenge": (7, 13, 27, 55, 56, 112, 224)}),
    "conv": dict(H=_CONV_H,
                 C_in={"paper": (1, 3), "standard": (3, 16, 64, 128), "challenge": (3, 64, 256)},
                 C_out={"paper": (4, 8, 16, 32), "standard": (16, 32, 64, 96, 128, 192),
                        "challenge": (64, 96, 192, 256, 384)},
                 K={"paper": (1, 3, 5), "standard": (1, 3, 5, 7, 11), "challenge": (3, 5, 7, 11)},
                 S={"paper": (1, 2), "standard": (1, 2, 4), "challenge": (1, 2, 4)},
                 P={"paper": (0, 1), "standard": (0, 1, 2), "challenge": (0, 1, 2, 3)}),
    "pool": dict(H={"paper": (8, 16, 28, 32), "standard": (13, 27, 28, 55, 56, 112),
                    "challenge": (27, 55, 56, 112)},
                 C_in={"paper": (4, 8, 16, 32), "standard": (64, 96, 192, 256),
                       "challenge": (96, 192, 256, 512)},
                 K=(2, 3), S=(2, 2, 3)),
    "named": dict(named={"standard": tuple(k for k in NAMED if not k.startswith(("googlenet",
                                                                                  "lenet5.fc"))),
                         "challenge": tuple(k for k in NAMED if not k.startswith("lenet5.fc"))}),
}
RELEVANT = {"given": ("C_out", "H"), "conv": ("H", "C_in", "C_out", "K", "S", "P"),
            "pool": ("H", "C_in", "K", "S"), "named": ("named",)}


@lru_cache(maxsize=4096)
def _engine_bytes(kind: str, c: int, h: int, k: int, s: int, p: int, dtype: str) -> int:
    """nbytes of an array shaped like the real layer output (batch 1) in ``dtype``."""
    from quizgen.engine import functional as F
    if kind == "given":
        shape = (c, h, h)
    else:
        x = np.zeros((1, 1, h, h))
        y = F.conv2d(x, np.zeros((1, 1, k, k)), stride=s, padding=p) if kind == "conv" else \
            F.max_pool2d(x, k, s, p)
        shape = (c, *y.shape[2:])
    return np.empty(shape, dtype=np.dtype(dtype)).nbytes


class Memory(Family):
    name = "memory"
    title = "Activation memory (KB) of a layer's output at float32/16/64"
    kinds = ("single", "numeric")
    tags = ("memory", "counting")
    params = (
        Param("layer", "given (the output shape is stated) | conv | pool | named (a layer of "
              "LeNet-5, AlexNet at 227, VGG-16 or the GoogLeNet stem)", type="str",
              domain={"paper": ("given", "given", "conv", "pool"),
                      "standard": ("given", "conv", "pool", "named", "named"),
                      "challenge": ("conv", "pool", "named", "named")}, choices=LAYERS),
        Param("H", "input height = width (given: the output's height = width)", lo=1, hi=4096,
              sampled=False),
        Param("C_in", "input channels (pool: the channels, kept)", lo=1, hi=100_000,
              sampled=False),
        Param("C_out", "conv filters (given: the output's channels)", lo=1, hi=100_000,
              sampled=False),
        Param("K", "kernel / window size", lo=1, hi=64, sampled=False),
        Param("S", "stride", lo=1, hi=16, sampled=False),
        Param("P", "zero padding per side (conv)", lo=0, hi=32, sampled=False),
        Param("named", "named layer <model>.<layer>", type="str", choices=tuple(NAMED),
              sampled=False),
        Param("dtype", "element type: float32 (4 bytes), float16 (2) or float64 (8)", type="str",
              domain={"paper": ("float32",), "standard": ("float32",),
                      "challenge": ("float32", "float32", "float16", "float64")},
              choices=tuple(DTYPES)),
        Param("rounding", "whole (round to a whole KB, halves up, like the DeepRob table) or "
              "exact (the KB value has at most 4 decimals)", type="str",
              domain={"paper": ("whole",), "standard": ("whole", "exact"),
                      "challenge": ("whole", "exact")}, choices=("whole", "exact")),
    )

    def sample(self, rng, difficulty, fixed):
        p = super().sample(rng, difficulty, fixed)  # layer, dtype, rounding
        layer = p["layer"]
        for key in RELEVANT[layer]:
            if key not in p:
                dom = DOMAINS[layer][key]
                values = (dom.get(difficulty) or dom["standard"]) if isinstance(dom, dict) \
                    else dom
                p[key] = values[int(rng.integers(len(values)))]
        return p

    def check(self, p):
        err = lambda msg, key: ParamError(msg, family=self.name, param=key, value=p.get(key))
        for key in RELEVANT[p.layer]:
            if key not in p:
                raise ParamError(f"needs {key} for layer={p.layer}", family=self.name, param=key)
        if p.layer in ("conv", "pool") and p.K > p.H + 2 * p.get("P", 0):
            raise err(f"kernel {p.K} is larger than the padded input", "K")
        if p.layer == "conv" and p.P and p.P >= p.K:
            raise err("padding must be smaller than the kernel", "P")
        if self.kb(p) < 1:
            key = "named" if p.layer == "named" else "H"
            raise err(f"the output takes {float(self.kb(p)):.3g} KB; ask about a layer of at "
                      f"least 1 KB", key)
        if p.rounding == "exact" and not is_terminating(self.kb(p)):
            raise err(f"{self.elements(p)} × {DTYPES[p.dtype]} / 1024 has more than 4 decimals; "
                      f"use rounding=whole", "rounding")

    # ---- arithmetic ----------------------------------------------------------------------
    def spec(self, p) -> dict:
        """kind, input (c_in, h), output (c, h_out), and parameters of the layer."""
        from quizgen.engine import shapes
        if p.layer == "named":
            n = NAMED[p.named]
            kind, c_in, h, c_out, k, s, pad = n.kind, n.c_in, n.h, n.c_out, n.k, n.s, n.p
        elif p.layer == "given":
            kind, c_in, h, c_out, k, s, pad = "given", None, p.H, p.C_out, 1, 1, 0
        else:
            kind, c_in, h = p.layer, p.C_in, p.H
            c_out = p.C_out if kind == "conv" else p.C_in
            k, s, pad = p.K, p.S, p.get("P", 0)
        if kind == "conv":
            h_out = shapes.conv_out(h, k, s, pad)
            weights = shapes.conv_params(c_in, c_out, k)
        elif kind == "pool":
            h_out, weights = shapes.pool_out(h, k, s, pad), 0
        elif kind == "fc":
            h_out, weights = 1, shapes.linear_params(c_in * h * h, c_out)
        else:
            h_out, weights = h, 0
        shape_out = (c_out,) if kind == "fc" else (c_out, h_out, h_out)
        return dict(kind=kind, c_in=c_in, h=h, c_out=c_out, k=k, s=s, p=pad, h_out=h_out,
                    shape_out=shape_out, weights=weights,
                    named=NAMED[p.named] if p.layer == "named" else None)

    def elements(self, p) -> int:
        out = 1
        for v in self.spec(p)["shape_out"]:
            out *= v
        return out

    def kb(self, p, elements=None, nbytes=None, per_kb=1024) -> Fraction:
        b = DTYPES[p.dtype] if nbytes is None else nbytes
        return Fraction((self.elements(p) if elements is None else elements) * b, per_kb)

    def shown(self, p, v):
        """A KB value as the question wants it: rounded half up, or exact."""
        v = Fraction(v)
        return round_half_up(v) if p.rounding == "whole" else (v.numerator if v.denominator == 1
                                                               else v)

    def solve(self, p):
        from quizgen.engine import shapes
        d = self.spec(p)
        b = DTYPES[p.dtype]
        closed = shapes.activation_bytes(self.elements(p), b)
        if d["named"] is not None:
            row, _ = layer_row(d["named"].key, b)
            self.verify(closed, row.memory_bytes, f"{d['named'].title} memory (engine.summary)")
        else:
            try:
                engine = _engine_bytes(d["kind"], d["c_out"], d["h"], d["k"], d["s"], d["p"],
                                       p.dtype)
            except EngineError as err:
                raise ParamError(str(err), family=self.name) from None
            self.verify(closed, engine, "bytes of the output (closed form vs engine array)")
        return self.shown(p, Fraction(closed, 1024))

    # ---- options -------------------------------------------------------------------------
    def misconceptions(self, p, answer):
        d = self.spec(p)
        b, e = DTYPES[p.dtype], self.elements(p)
        out = {
            "bytes_not_kb": e * b,
            "elements_not_bytes": self.kb(p, nbytes=1),
            "kb_as_1000": self.kb(p, per_kb=1000),
            "float64_bytes": self.kb(p, nbytes=8) if p.dtype == "float32" else None,
            "assumed_float32": self.kb(p, nbytes=4) if p.dtype != "float32" else None,
            "memory_of_input": Fraction(d["c_in"] * d["h"] * d["h"] * b, 1024)
            if d["c_in"] else None,
            "counted_weights_as_memory": Fraction(d["weights"] * b, 1024) if d["weights"]
            else None,
        }
        return {k: self.shown(p, v) for k, v in out.items() if v is not None}

    def near_values(self, p, answer, rng):
        a = Fraction(answer)
        return [self.shown(p, a * f) for f in (2, Fraction(1, 2), 4, Fraction(3, 2),
                                                Fraction(1, 4))]

    def option(self, value, p):
        return (T(f"{fmt(value, group=True)} KB"),)

    def option_key(self, value, p):
        if value <= 0:
            raise ValueError("no memory")
        return fmt(value)

    def numeric(self, p, answer):
        return float(answer), (0.5 if p.rounding == "whole" else 0.0)

    # ---- text ----------------------------------------------------------------------------
    def context(self, p, kind):
        return dict(d=self.spec(p), b=DTYPES[p.dtype], g=lambda v: fmt(v, group=True))

    def solution(self, p, answer):
        d = self.spec(p)
        g = lambda v: fmt(v, group=True)
        b, e = DTYPES[p.dtype], self.elements(p)
        steps = []
        if d["kind"] in ("conv", "pool"):
            what = f"C′ = {d['c_out']} filters" if d["kind"] == "conv" else \
                f"pooling keeps the C = {d['c_out']} channels"
            steps.append(T(f"Output size: H′ = W′ = ⌊({d['h']} + 2 × {d['p']} − {d['k']}) / "
                           f"{d['s']}⌋ + 1 = {d['h_out']}; {what}."))
        elif d["kind"] == "fc":
            steps.append(T(f"A fully connected layer outputs a vector of {g(d['c_out'])} "
                           f"values."))
        dims = d["shape_out"]
        if len(dims) > 1:
            steps.append(T("Number of output elements = ", Mul(*dims), f" = {g(e)}."))
        else:
            steps.append(T(f"Number of output elements = {g(e)}."))
        steps.append(T(f"Bytes = {g(e)} × {b} ({p.dtype}) = {g(e * b)}."))
        kb = Fraction(e * b, 1024)
        tail = ""
        if p.rounding == "whole" and kb.denominator != 1:
            tail = f", rounded half up to {g(answer)} KB"
        steps.append(T("KB = ", Div(e * b, 1024), f" = {fmt(kb, group=True)}{tail}."))
        if d["named"] is not None:
            row, _ = layer_row(d["named"].key, b)
            steps.append(T(f"The engine's {d['named'].model} summary agrees: {row.name} "
                           f"({row.type}) outputs {'×'.join(map(str, row.output_shape))} = "
                           f"{g(row.memory_bytes)} bytes."))
        return tuple(steps)


FAMILY = Memory()
