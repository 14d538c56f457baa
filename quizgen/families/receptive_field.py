"""Receptive field of a stack of convolutions and poolings (stride, dilation).

Per layer with kernel k, stride s and dilation d: r ← r + d·(k − 1)·j and j ← j·s, starting
from r = j = 1 (j is the distance in input pixels between neighbouring units). Three 3×3
stride-1 convs → 7; 3×3 convs with dilations 1, 2, 4 → 3, 7, 15 (Yu & Koltun, the lecture's
figure); strides and poolings multiply the jump.

A stack is written as comma-separated tokens: ``c3`` (3×3 conv), ``c3s2`` (stride 2), ``c3d2``
(dilation 2), ``p2`` (2×2 max pool, stride 2), ``p3s2`` (3×3 pool, stride 2).

Verified against the engine: a batch of one-hot inputs run through the real stack
(``conv2d`` with all-ones kernels, ``max_pool2d``), counting the input rows that reach the
first output unit.
"""
from __future__ import annotations

import re
from functools import lru_cache

import numpy as np

from quizgen.errors import ParamError
from quizgen.family import Family, Param, Statement
from quizgen.mathexpr import Add, Mul, Sub
from quizgen.model import T, Table

PATTERNS = ("uniform", "dilated", "pooled", "strided", "mixed")
_TOKEN = re.compile(r"^(?:c(\d+)(?:s(\d+))?(?:d(\d+))?|p(\d+)(?:s(\d+))?)$")


def parse_stack(text: str, family: str = "receptive_field") -> tuple:
    """``"c3,c3d2,p2"`` → ``(("conv", 3, 1, 1), ("conv", 3, 1, 2), ("pool", 2, 2, 1))``."""
    layers = []
    tokens = [t.strip().lower() for t in str(text).split(",")]
    for tok in tokens:
        m = _TOKEN.match(tok)
        if not m:
            raise ParamError(f"bad layer {tok!r}: use c<k>[s<s>][d<d>] or p<k>[s<s>], e.g. "
                             f"c3,c3d2,p2", family=family, param="stack", value=text)
        if m.group(1):
            layer = ("conv", int(m.group(1)), int(m.group(2) or 1), int(m.group(3) or 1))
        else:
            k = int(m.group(4))
            layer = ("pool", k, int(m.group(5) or k), 1)
        _, k, s, d = layer
        if not (1 <= k <= 15 and 1 <= s <= 8 and 1 <= d <= 16):
            raise ParamError(f"layer {tok!r}: kernel 1–15, stride 1–8, dilation 1–16",
                             family=family, param="stack", value=text)
        layers.append(layer)
    if not 1 <= len(layers) <= 8:
        raise ParamError("a stack has 1 to 8 layers", family=family, param="stack", value=text)
    return tuple(layers)


def token(layer) -> str:
    kind, k, s, d = layer
    if kind == "pool":
        return f"p{k}" + (f"s{s}" if s != k else "")
    return f"c{k}" + (f"s{s}" if s != 1 else "") + (f"d{d}" if d != 1 else "")


def rf(layers, *, dilation=True, stride=True) -> int:
    """The recurrence, with the misconceptions' switches (dilation or stride ignored)."""
    r, j = 1, 1
    for _, k, s, d in layers:
        r += (d if dilation else 1) * (k - 1) * j
        j *= s if stride else 1
    return r


@lru_cache(maxsize=4096)
def _engine_rf(layers: tuple) -> tuple[int, int]:
    """(extent, count) of the input rows that reach the first output unit of the real engine
    stack (1-D along H). Dilations can leave gaps (gridding), so count ≤ extent."""
    from quizgen.engine import functional as F
    jump, extent = 1, 0
    for _, k, s, d in layers:
        jump *= s
        extent += d * (k - 1) + 1
    n = jump * extent + 1                      # more than any receptive field of this stack
    x = np.eye(n).reshape(n, 1, n, 1)          # sample i: a one at input row i
    for kind, k, s, d in layers:
        if kind == "conv":
            x = F.conv2d(x, np.ones((1, 1, k, 1)), stride=(s, 1), dilation=(d, 1))
        else:
            x = F.max_pool2d(x, (k, 1), (s, 1))
    hit = np.flatnonzero(x[:, 0, 0, 0])
    return int(hit[-1] - hit[0] + 1), int(hit.size)


class ReceptiveField(Family):
    name = "receptive_field"
    title = "Receptive field of stacked convolutions, poolings, strides and dilations"
    kinds = ("single", "numeric", "multiple")
    tags = ("receptive-field",)
    params = (
        Param("stack", "the layers, comma-separated: c3 (3×3 conv), c3s2 (stride 2), c3d2 "
              "(dilation 2), p2 (2×2 pool, stride 2), p3s2; e.g. c3d1,c3d2,c3d4", type="str",
              sampled=False),
        Param("pattern", "how a stack is sampled when not given: uniform | dilated | pooled | "
              "strided | mixed", type="str",
              domain={"paper": ("uniform", "uniform", "dilated"),
                      "standard": ("uniform", "dilated", "pooled", "strided"),
                      "challenge": ("dilated", "pooled", "strided", "mixed")}, choices=PATTERNS),
        Param("n", "number of layers when sampled", domain={"paper": (2, 3, 4),
                                                            "standard": (2, 3, 4, 5),
                                                            "challenge": (3, 4, 5, 6)},
              lo=1, hi=8),
        Param("K", "conv kernel size when sampled", domain={"paper": (3, 3, 5),
                                                            "standard": (3, 5, 7),
                                                            "challenge": (3, 5)}, lo=1, hi=15),
    )

    def sample(self, rng, difficulty, fixed):
        if "stack" in fixed:
            parse_stack(fixed["stack"], self.name)  # a bad stack is reported at once
            return dict(fixed)
        p = super().sample(rng, difficulty, fixed)
        n, k, pattern = p["n"], p["K"], p["pattern"]
        pick = lambda seq: seq[int(rng.integers(len(seq)))]
        if pattern == "uniform":
            layers = [("conv", k, 1, 1)] * n
        elif pattern == "dilated":
            if difficulty == "challenge":
                layers = [("conv", k, 1, pick((1, 2, 3, 4))) for _ in range(n)]
            else:
                layers = [("conv", k, 1, 2 ** i) for i in range(n)]
        elif pattern == "pooled":
            layers = [("conv", k, 1, 1) if i % 2 == 0 else ("pool", 2, 2, 1) for i in range(n)]
        elif pattern == "strided":
            layers = [("conv", k, pick((1, 2)), 1) for _ in range(n)]
        else:  # a conv first, then any mix
            layers = [pick([("conv", 3, 1, 1), ("conv", 5, 1, 1), ("conv", 7, 2, 1)])] + [
                pick([("conv", 3, 1, 1), ("conv", 3, 2, 1), ("conv", 3, 1, 2), ("pool", 2, 2, 1),
                      ("conv", 5, 1, 1), ("pool", 3, 2, 1)]) for _ in range(n - 1)]
        p["stack"] = ",".join(token(layer) for layer in layers)
        return p

    def layers(self, p) -> tuple:
        return parse_stack(p.stack, self.name)

    def check(self, p):
        self.layers(p)

    def check_kind(self, p, kind):
        if kind == "multiple" and len(self.layers(p)) < 2:
            raise ParamError("the select-all question needs at least 2 layers",
                             family=self.name, param="stack", value=p.stack)

    def solve(self, p):
        from quizgen.engine import shapes
        layers = self.layers(p)
        closed = shapes.receptive_field([(k, s, d) for _, k, s, d in layers])
        self.verify(closed, rf(layers), "receptive field recurrence")
        return self.verify(closed, _engine_rf(layers)[0], "receptive field (engine impulses)")

    # ---- options -------------------------------------------------------------------------
    def wrong(self, layers) -> dict:
        """Catalogue key → wrong receptive field of ``layers``."""
        out = {"rf_sum_kernels": sum(k for _, k, _, _ in layers)}
        if any(d > 1 for *_, d in layers):
            out["rf_ignored_dilation"] = rf(layers, dilation=False)
        if any(s > 1 for _, _, s, _ in layers[:-1]):
            out["rf_ignored_stride"] = rf(layers, stride=False)
        if len(layers) > 1:
            out["rf_last_layer_only"] = rf(layers[-1:])
        return out

    def misconceptions(self, p, answer):
        return self.wrong(self.layers(p))

    def near_values(self, p, answer, rng):
        return [answer + 2, answer - 2, answer + 4, 2 * answer - 1, answer - 4, answer + 6]

    def option(self, value, p):
        if value < 1:
            raise ValueError("no receptive field")
        return (T(f"{value} × {value}"),)

    def option_key(self, value, p):
        if value < 1:
            raise ValueError("no receptive field")
        return str(int(value))

    def numeric(self, p, answer):
        return float(answer), 0.0

    def statements(self, p, rng):
        """One statement per layer (true, or wrong by a misconception), topped up to four with
        further wrong values for random layers."""
        layers = self.layers(p)
        out, used = [], set()

        def add(i, value, key=None):
            right = rf(layers[:i])
            label = f"After layer {i} ({self.describe(layers[i - 1])}): {value} × {value}"
            used.add((i, value))
            if key is None:
                out.append(Statement((T(label),), True, explanation=f"r = {right}."))
            else:
                out.append(Statement((T(label),), False, key, f"It is {right} × {right}."))

        def wrong_at(i):
            right = rf(layers[:i])
            cands = {k: v for k, v in self.wrong(layers[:i]).items()
                     if v != right and v >= 1 and (i, v) not in used}
            for v in [right + 2, right - 2] + [right + 2 * m for m in range(2, 12)]:
                if v >= 2 and (i, v) not in used and v not in cands.values():
                    cands["near_value"] = v
                    break
            return cands

        n = len(layers)
        false = [rng.random() < 0.5 and bool(wrong_at(i)) for i in range(1, n + 1)]
        if all(false):
            false[int(rng.integers(n))] = False
        for i in range(1, n + 1):
            if false[i - 1]:
                cands = wrong_at(i)
                key = sorted(cands)[int(rng.integers(len(cands)))]
                add(i, cands[key], key)
            else:
                add(i, rf(layers[:i]))
        while len(out) < 4:
            i = 1 + int(rng.integers(len(layers)))
            cands = wrong_at(i)
            key = sorted(cands)[int(rng.integers(len(cands)))]
            add(i, cands[key], key)
        return sorted(out, key=lambda st: st.content[0].plain())

    # ---- text ----------------------------------------------------------------------------
    @staticmethod
    def describe(layer) -> str:
        kind, k, s, d = layer
        what = f"{k} × {k} {'conv' if kind == 'conv' else 'max pool'}"
        extra = ([f"stride {s}"] if s != 1 else []) + ([f"dilation {d}"] if d != 1 else [])
        return what + (", " + ", ".join(extra) if extra else "")

    def context(self, p, kind):
        layers = self.layers(p)
        rows = tuple((str(i), "conv" if kind_ == "conv" else "max pool", f"{k} × {k}", str(s),
                      str(d) if kind_ == "conv" else "–")
                     for i, (kind_, k, s, d) in enumerate(layers, 1))
        table = Table(("Layer", "Type", "Kernel", "Stride", "Dilation"), rows,
                      align="lllrr")
        return {"table": table, "n_layers": len(layers)}

    def solution(self, p, answer):
        layers = self.layers(p)
        steps = [T("Start with r = 1 (one input pixel) and jump j = 1 (input pixels between "
                   "neighbouring units). Each layer adds d × (k − 1) × j to r, then multiplies j "
                   "by its stride.")]
        r, j = 1, 1
        for i, layer in enumerate(layers, 1):
            _, k, s, d = layer
            new_r, new_j = r + d * (k - 1) * j, j * s
            steps.append(T(f"Layer {i} ({self.describe(layer)}): r = ",
                           Add(r, Mul(d, Sub(k, 1), j)), f" = {new_r}"
                           + (f"; j = {j} × {s} = {new_j}." if s != 1 else ".")))
            r, j = new_r, new_j
        extent, count = _engine_rf(layers)
        steps.append(T(f"A run of the engine (all-ones kernels on one-hot inputs) confirms: the "
                       f"input rows that reach one output unit span {extent} rows"
                       + ("." if count == extent else
                          f"; only {count} of them actually reach it, the dilations leave gaps "
                          f"(gridding).")))
        steps.append(T(f"Receptive field: {answer} × {answer}."))
        return tuple(steps)


FAMILY = ReceptiveField()
