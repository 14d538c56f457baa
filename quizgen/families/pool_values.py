"""Values of max and average pooling on a small integer map (the lectures' Q2/Q3: 2×2, stride 2).

Output cell (i, j) = max or mean of the K×K window at rows i·S … i·S + K − 1, columns j·S … j·S + K − 1
of the padded map; size ⌊(n + 2P − K)/S⌋ + 1. Padding (at most K//2 per side, as torch allows) is
ignored by max pooling (torch pads with −∞) and counts as zeros in the average (torch's
``count_include_pad=True``). Averages are exact Fractions. Forms: ``matrix`` (options are whole
outputs) and ``cell`` (one value). Checked against ``engine.functional.max_pool2d`` /
``avg_pool2d``.
"""
from __future__ import annotations

from fractions import Fraction

from quizgen.errors import EngineError, ParamError
from quizgen.family import Family, P, Param
from quizgen.families import _values as V
from quizgen.mathexpr import Add, Div, Eq, Floor, Mul, Num, Sub
from quizgen.model import Matrix, T
from quizgen.numbers import is_terminating

FORMS = ("matrix", "cell")
OPS = ("max", "avg")
_MAP_RANGE = {"paper": (0, 20), "standard": (0, 50), "challenge": (-20, 50)}
_MAX_SIDE = 3  # largest output shown as an option
_SHOWN_CELLS = 4  # a matrix solution writes out at most this many cells


class PoolValues(V.GridChecks, Family):
    verified_what = "pooled values"
    name = "pool_values"
    title = "Output values of max and average pooling"
    kinds = ("single", "numeric", "multiple")
    tags = ("pooling", "values")
    params = (
        Param("form", "matrix: options are whole outputs; cell: one output value", type="str",
              domain=FORMS, choices=FORMS),
        Param("op", "max or avg (average) pooling", type="str", domain=OPS, choices=OPS),
        Param("N", "map height = width when the map is sampled",
              domain={"paper": (4, 6), "standard": (4, 5, 6), "challenge": (5, 6, 7)},
              lo=2, hi=10),
        Param("K", "pooling window size (K×K; 2 when the map is given and K is not)",
              domain={"paper": (2, 3), "standard": (2, 3), "challenge": (2, 3)}, lo=1, hi=5),
        Param("S", "stride (defaults to K when the map is given and S is not)",
              domain={"paper": (2, 3), "standard": (1, 2, 3), "challenge": (1, 2, 3)}, lo=1, hi=5),
        Param("P", "padding on each side, at most K//2 (0 when the map is given and P is not)",
              domain={"paper": (0,), "standard": (0,), "challenge": (0, 1)}, lo=0, hi=2),
        Param("map", "input feature map, rows separated by ';' "
              "(e.g. 12,20,30,0;20,12,2,0;0,70,5,2;8,2,90,3)", type="matrix", lo=-999, hi=999,
              sampled=False),
        Param("row", "output row asked, counted from 1 (cell form, numeric kind)", lo=1, hi=64,
              sampled=False),
        Param("col", "output column asked, counted from 1", lo=1, hi=64, sampled=False),
    )

    # ---- parameters ----------------------------------------------------------------------
    def sample(self, rng, difficulty, fixed):
        given = "map" in fixed
        stuck = False
        for _ in range(300):
            p = super().sample(rng, difficulty, fixed)
            if given:
                if "N" in fixed and fixed["N"] != len(fixed["map"]):
                    raise ParamError(f"conflicts with the given map ({len(fixed['map'])} rows)",
                                     family=self.name, param="N", value=fixed["N"])
                p["N"] = len(fixed["map"])
                p.update({k: v for k, v in (("K", 2), ("P", 0)) if k not in fixed})
                if "S" not in fixed:
                    p["S"] = p["K"]
                break
            side = V.out_len(p["N"], p["K"], p["S"], p["P"])
            if not (p["P"] <= p["K"] // 2 and p["S"] <= p["K"] and side >= 2):
                continue
            if difficulty == "paper" and p["S"] != p["K"]:
                continue  # paper: non-overlapping windows
            if p["op"] == "avg" and p["K"] == 3 and p["S"] != 3:
                continue  # overlapping 3×3 averages would not come out as short decimals
            need = max(fixed.get("row", 1), fixed.get("col", 1))
            if side < need or p["form"] == "matrix" and side > max(_MAX_SIDE, need):
                continue
            break
        else:
            stuck = True  # the fixed parameters rule out every preferred configuration
        if not given:
            lo, hi = _MAP_RANGE[difficulty]
            p["map"] = rng.integers(lo, hi + 1, size=(p["N"], p["N"])).tolist()
            if p["op"] == "avg" and p["S"] >= p["K"]:
                self._round_averages(p, difficulty, hi)
        h, w = V.dims(p["map"])
        for name, n in (("row", h), ("col", w)):
            if name not in p:
                p[name] = 1 + int(rng.integers(max(1, V.out_len(n, p["K"], p["S"], p["P"]))))
        if stuck:
            self.check(P(p))  # raises at once when the fixed parameters are impossible
        return p

    @staticmethod
    def _round_averages(p, difficulty, hi):
        """Nudge one map cell per (non-overlapping) window so its average is short.

        Paper: integers or halves for 2×2 windows, integers for 3×3; otherwise 2×2 averages are
        quarters anyway and 3×3 ones become integers.
        """
        k, s, pd = p["K"], p["S"], p["P"]
        m = p["map"]
        div = {2: 2 if difficulty == "paper" else 1, 3: 9}.get(k, 1)
        for i in range(V.out_len(len(m), k, s, pd)):
            for j in range(V.out_len(len(m[0]), k, s, pd)):
                r0, c0 = i * s - pd, j * s - pd
                cells = [(r, c) for r in range(max(r0, 0), min(r0 + k, len(m)))
                         for c in range(max(c0, 0), min(c0 + k, len(m[0])))]
                if not cells:
                    continue  # a window entirely in the padding: check() refuses this P
                total = sum(m[r][c] for r, c in cells)
                r, c = cells[-1]
                d = (-total) % div
                m[r][c] = m[r][c] + d if m[r][c] + d <= hi else m[r][c] + d - div

    def check(self, p):
        h, w = V.dims(p.map)
        if p.P > p.K // 2:
            raise ParamError(f"pooling padding must be at most half the window (K//2 = {p.K // 2}), "
                             f"as in torch", family=self.name, param="P", value=p.P)
        if p.K > min(h, w) + 2 * p.P:
            raise ParamError(f"window {p.K}×{p.K} is larger than the padded map "
                             f"{h + 2 * p.P}×{w + 2 * p.P}", family=self.name, param="K",
                             value=p.K)
        self.check_cell(p, h, w, p.K, p.K)

    @staticmethod
    def asks_cell(p) -> bool:
        """One output value is asked (a select-all question is about the whole output)."""
        kind = getattr(p, "kind", "single")
        return kind == "numeric" or kind == "single" and p.form == "cell"

    # ---- answer ---------------------------------------------------------------------------
    def output(self, p, op=None, stride=None, pad=None):
        """The exact pooled matrix; arguments model a variant (a misconception)."""
        return V.memo(p, ("output", op, stride, pad), lambda: self._output(p, op, stride, pad))

    def _output(self, p, op, stride, pad):
        s, pd = p.S if stride is None else stride, p.P if pad is None else pad
        if V.out_len(len(p.map), p.K, s, pd) < 1 or V.out_len(len(p.map[0]), p.K, s, pd) < 1:
            return None
        return V.pool(p.map, p.K, s, pd, op or p.op)

    def engine_output(self, p):
        from quizgen.engine import functional as F
        x = V.as_array(p.map)[None, None]
        try:
            if p.op == "max":
                y = F.max_pool2d(x, p.K, p.S, p.P)
            else:
                y = F.avg_pool2d(x, p.K, p.S, p.P, count_include_pad=True)
        except EngineError as err:
            raise ParamError(str(err), family=self.name) from None
        return y[0, 0]

    # ---- options ----------------------------------------------------------------------------
    def _variants(self, p) -> dict:
        v = {"min_instead_of_max": self.output(p, "min")}
        if p.op == "avg":
            v["max_instead_of_avg"] = self.output(p, "max")
            v["sum_instead_of_avg"] = self.output(p, "sum")
        else:
            v["avg_instead_of_max"] = self.output(p, "avg")
        if not (p.op == "max" and p.P):
            v["top_left_only"] = self.output(p, "topleft")
        if p.S > 1:
            v["ignored_stride_values"] = self.output(p, stride=1)
        if p.P:
            v["forgot_zero_padding_values"] = self.output(p, pad=0)
        return {k: m for k, m in v.items() if m}

    def cell_wrongs(self, p, i, j) -> dict:
        out = {k: V.at(m, i, j) for k, m in self.variants(p).items()}
        out["wrong_cell"] = V.neighbour(self.output(p), i, j)
        out["misaligned_window"] = V.at(self.output(p, stride=1), i * p.S + 1, j * p.S + 1)
        return {k: x for k, x in out.items() if x is not None}

    def misconceptions(self, p, answer):
        if self.asks_cell(p):
            return self.cell_wrongs(p, p.row - 1, p.col - 1)
        side = max(_MAX_SIDE + 1, len(answer), len(answer[0]))
        return {k: m for k, m in self.variants(p).items() if max(V.dims(m)) <= side}

    def near_values(self, p, answer, rng):
        return V.near_numbers(answer) if not isinstance(answer, list) else V.near_matrices(answer)

    def option(self, value, p):
        return V.matrix_option(value) if isinstance(value, list) else V.number_option(value)

    def statements(self, p, rng):
        return V.cell_statements(self.output(p), lambda i, j: self.cell_wrongs(p, i, j),
                                 lambda i, j: self.cell_text(p, i, j), rng)

    def numeric(self, p, answer):
        """Exact when the value has at most two decimals, else ±0.005 (the stem asks for two)."""
        return float(answer), 0.0 if is_terminating(Fraction(answer), 2) else 0.005

    # ---- text -------------------------------------------------------------------------------
    def cell_window(self, p, i, j):
        padded = V.memo(p, "padded", lambda: V.pad(p.map, p.P, V.PAD))
        return V.window(padded, i, j, p.K, p.K, p.S)

    def cell_expr(self, p, i, j):
        """``max(…)`` or ``(… + …) / K²`` for output cell (i, j)."""
        return V.pool_expr(self.cell_window(p, i, j), p.op)

    def cell_text(self, p, i, j) -> str:
        """``cell_expr(p, i, j).text()``, faster."""
        return V.pool_text(self.cell_window(p, i, j), p.op)

    def context(self, p, kind):
        h, w = V.dims(p.map)
        first = min(p.K - p.P, h)  # the first window's part inside the map
        return dict(H=h, W=w, cell=kind != "multiple" and self.asks_cell(p),
                    grid=Matrix.of(p.map, "Feature map", ((0, 0, first, first),)),
                    exact=kind == "numeric" and p.op == "avg")

    def solution(self, p, answer):
        h, w = V.dims(p.map)
        out = self.output(p)
        ho, wo = len(out), len(out[0])
        steps = []
        for label, n, res in (("H′", h, ho), ("W′", w, wo)):
            steps.append(T(f"{label} = ", Add(Floor(Div(Sub(Add(n, Mul(2, p.P)), p.K), p.S)), 1),
                           f" = ⌊{n + 2 * p.P - p.K} / {p.S}⌋ + 1 = {res}"))
            if h == w:
                steps[-1] = T("Output size: H′ = W′ = ", *steps[-1].spans[1:],
                              f", so the output is {ho} × {wo}.")
                break
        cells = [(p.row - 1, p.col - 1)] if self.asks_cell(p) else \
            [(i, j) for i in range(ho) for j in range(wo)][:_SHOWN_CELLS]
        i0, j0 = cells[0]
        what = "the maximum" if p.op == "max" else f"the average of the {p.K * p.K} values"
        if p.P and p.op == "avg":
            steps.append(T(f"With padding P = {p.P}: the padded zeros count in the average, "
                           f"which always divides by {p.K * p.K}."))
            steps.append(Matrix.of(V.pad(p.map, p.P), f"Map padded with zeros (P = {p.P})",
                                   ((i0 * p.S, j0 * p.S, p.K, p.K),)))
        elif p.P:
            r0, c0 = i0 * p.S - p.P, j0 * p.S - p.P  # the window in map coordinates
            shade = (max(r0, 0), max(c0, 0), min(r0 + p.K, h) - max(r0, 0),
                     min(c0 + p.K, w) - max(c0, 0))
            steps.append(T(f"With padding P = {p.P}: padded cells are ignored by max pooling "
                           f"(torch pads with −∞), so each maximum is over the window's cells "
                           f"inside the map."))
            steps.append(Matrix.of(p.map, f"Feature map (the part of the window for row {i0 + 1}, "
                                          f"column {j0 + 1} inside the map is shaded)", (shade,)))
        steps.append(T(f"Each output value is {what} in a {p.K} × {p.K} window; the window moves "
                       f"by S = {p.S}. Output row i, column j reads the window whose top-left "
                       f"corner is row (i − 1)·{p.S} + 1, column (j − 1)·{p.S} + 1"
                       f"{' of the padded map' if p.P else ''}."))
        for i, j in cells:
            steps.append(T(f"Row {i + 1}, column {j + 1}: ", Eq(self.cell_expr(p, i, j),
                                                                 Num(out[i][j]))))
        if len(cells) < ho * wo and not self.asks_cell(p):
            steps.append(T("The remaining cells follow the same way."))
        if self.asks_cell(p):
            steps.append(T("Answer: ", Num(out[i0][j0]), "."))
        else:
            steps.append(T("Output:"))
            steps.append(Matrix.of(out))
        return tuple(steps)


FAMILY = PoolValues()
