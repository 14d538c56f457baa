"""Values of a 2-D convolution on a small integer grid (the lectures' 3×3 ∗ 2×2 = [[19, 25], [37, 43]]).

Output cell (i, j) = b + Σ_c Σ_{u,v} k_c[u][v] · x_c,pad[i·S + u][j·S + v] (cross-correlation, as
CNN layers compute it), of size ⌊(n + 2P − K)/S⌋ + 1 per dimension; the ``true_conv`` form flips
the kernel first (k[K−1−u][K−1−v]). Forms: ``matrix`` (options are whole outputs), ``cell`` (one
output value), ``multichannel`` (one filter over 2–3 channels, one value: the lectures' 56) and
``true_conv`` (flipped kernel, whole outputs). The exact integer sums of ``_values`` are checked
against ``engine.functional.conv2d`` / ``true_conv2d``.
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from quizgen.errors import EngineError, ParamError
from quizgen.family import Family, P, Param
from quizgen.families import _values as V
from quizgen.mathexpr import Add, Div, Eq, Floor, Mul, Num, Sub
from quizgen.model import Matrix, MatrixRow, T
from quizgen.numbers import to_exact

FORMS = ("matrix", "cell", "multichannel", "true_conv")
_INPUT_RANGE = {"paper": (0, 9), "standard": (0, 9), "challenge": (-4, 9)}
_KERNEL_RANGES = {"paper": ((0, 3), (-1, 2)), "standard": ((-2, 3),), "challenge": ((-3, 3),)}
_MAX_SIDE = {"paper": 3, "standard": 3, "challenge": 4}  # largest output shown as an option
_SHOWN_CELLS = 4  # a matrix solution writes out at most this many cells (the lecture writes 4)


def _identity(k):
    return [list(row) for row in k]


class Conv2dValues(V.GridChecks, Family):
    name = "conv2d_values"
    title = "Output values of a 2-D convolution (cross-correlation, multi-channel, true convolution)"
    kinds = ("single", "numeric", "multiple")
    tags = ("convolution", "values")
    params = (
        Param("form", "matrix: options are whole outputs; cell: one output value; multichannel: "
              "one filter summed over 2-3 channels, one value; true_conv: flipped kernel, whole "
              "outputs", type="str", domain=FORMS, choices=FORMS),
        Param("N", "input height = width when the input is sampled",
              domain={"paper": (3, 4), "standard": (4, 5), "challenge": (5, 6)}, lo=2, hi=8),
        Param("K", "kernel height = width when the kernel is sampled",
              domain={"paper": (2, 2, 3), "standard": (2, 3), "challenge": (2, 3)}, lo=1, hi=5),
        Param("C", "input channels of the multichannel form (when sampled)",
              domain={"paper": (2,), "standard": (2, 3), "challenge": (2, 3)}, lo=2, hi=4),
        Param("S", "stride (1 when input/kernel are given and S is not)",
              domain={"paper": (1,), "standard": (1, 1, 2), "challenge": (1, 2, 3)}, lo=1, hi=4),
        Param("P", "zero padding on each side (0 when input/kernel are given and P is not)",
              domain={"paper": (0,), "standard": (0, 0, 1), "challenge": (0, 1, 2)}, lo=0, hi=3),
        Param("bias", "bias added to every output value (0 when input/kernel are given)",
              domain={"paper": (0, 0, 1), "standard": (0, 1, -1, 2),
                      "challenge": (-3, -2, -1, 0, 1, 2, 3)}, lo=-99, hi=99),
        Param("input", "input matrix, rows separated by ';' (e.g. 0,1,2;3,4,5;6,7,8)",
              type="matrix", lo=-99, hi=99, sampled=False),
        Param("kernel", "kernel matrix (e.g. 0,1;2,3)", type="matrix", lo=-99, hi=99,
              sampled=False),
        Param("inputs", "multichannel input: one matrix per channel separated by '|' "
              "(e.g. 0,1,2;3,4,5;6,7,8|1,2,3;4,5,6;7,8,9)", type="tensor", lo=-99, hi=99,
              sampled=False),
        Param("kernels", "multichannel kernels, one per channel (e.g. 0,1;2,3|1,2;3,4)",
              type="tensor", lo=-99, hi=99, sampled=False),
        Param("row", "output row asked, counted from 1 (cell and multichannel forms, numeric "
              "kind)", lo=1, hi=64, sampled=False),
        Param("col", "output column asked, counted from 1", lo=1, hi=64, sampled=False),
    )

    # ---- parameters ----------------------------------------------------------------------
    def sample(self, rng, difficulty, fixed):
        multi_given = "inputs" in fixed or "kernels" in fixed
        single_given = "input" in fixed or "kernel" in fixed
        if multi_given and single_given:
            raise ParamError("give input/kernel (one channel) or inputs/kernels (multichannel), "
                             "not both", family=self.name, param="inputs")
        stuck = False
        for _ in range(200):
            p = super().sample(rng, difficulty, fixed)
            if "form" not in fixed and (multi_given or single_given):
                p["form"] = "multichannel" if multi_given else \
                    ("matrix", "cell", "true_conv")[int(rng.integers(3))]
            if multi_given or single_given:
                p.update({k: v for k, v in (("S", 1), ("P", 0), ("bias", 0)) if k not in fixed})
            self._reconcile(p, fixed)
            side = V.out_len(p["N"], p["K"], p["S"], p["P"])
            lo = 2 if p["form"] in ("matrix", "true_conv") else 1
            need = max(fixed.get("row", 1), fixed.get("col", 1))  # an asked cell must exist
            if multi_given or single_given or max(lo, need) <= side <= max(_MAX_SIDE[difficulty], need):
                break
        else:
            stuck = True  # the fixed parameters rule out every preferred size
        self._fill(p, rng, difficulty)
        h, w = V.dims(self.tensors(p)[0][0])
        kh, kw = V.dims(self.tensors(p)[1][0])
        for name, n, k in (("row", h, kh), ("col", w, kw)):
            if name not in p:
                p[name] = 1 + int(rng.integers(max(1, V.out_len(n, k, p["S"], p["P"]))))
        if stuck:
            self.check(P(p))  # raises at once when the fixed parameters are impossible
        return p

    def _reconcile(self, p, fixed):
        """Take N, K, C from explicit matrices; a conflicting explicit N, K or C is an error."""
        multi = p["form"] == "multichannel"
        wrong = ("input", "kernel") if multi else ("inputs", "kernels")
        for name in wrong:
            if name in fixed:
                raise ParamError(f"form '{p['form']}' takes "
                                 f"{'inputs/kernels (one matrix per channel)' if multi else 'input/kernel'}",
                                 family=self.name, param=name, value=fixed[name])
        x_name, k_name = ("inputs", "kernels") if multi else ("input", "kernel")
        derived = {}
        if x_name in fixed:
            x = fixed[x_name][0] if multi else fixed[x_name]
            derived["N"] = len(x)
            if multi:
                derived["C"] = len(fixed[x_name])
        if k_name in fixed:
            k = fixed[k_name][0] if multi else fixed[k_name]
            derived["K"] = len(k)
            if multi and "C" in derived and len(fixed[k_name]) != derived["C"]:
                raise ParamError(f"{len(fixed[k_name])} kernels for {derived['C']} input channels",
                                 family=self.name, param="kernels", value=fixed[k_name])
            if multi:
                derived.setdefault("C", len(fixed[k_name]))
        for name, value in derived.items():
            if name in fixed and fixed[name] != value:
                raise ParamError(f"conflicts with the given matrices ({name} = {value})",
                                 family=self.name, param=name, value=fixed[name])
            p[name] = value

    def _fill(self, p, rng, difficulty):
        """Draw the matrices that were not given."""
        lo, hi = _INPUT_RANGE[difficulty]
        ranges = _KERNEL_RANGES[difficulty]
        krange = ranges[int(rng.integers(len(ranges)))]
        channels = p["C"] if p["form"] == "multichannel" else 1

        def kernel():
            for _ in range(50):
                k = rng.integers(krange[0], krange[1] + 1, size=(p["K"], p["K"])).tolist()
                if k != V.flip(k) and k != V.transpose(k) and any(map(any, k)):
                    return k
            return k

        if p["form"] == "multichannel":
            p.pop("input", None), p.pop("kernel", None)
            if "inputs" not in p:
                p["inputs"] = rng.integers(lo, hi + 1, size=(channels, p["N"], p["N"])).tolist()
            if "kernels" not in p:
                p["kernels"] = [kernel() for _ in range(channels)]
        else:
            p.pop("inputs", None), p.pop("kernels", None)
            if "input" not in p:
                p["input"] = rng.integers(lo, hi + 1, size=(p["N"], p["N"])).tolist()
            if "kernel" not in p:
                p["kernel"] = kernel()

    def tensors(self, p):
        """(inputs, kernels): lists of channel matrices (one channel unless multichannel)."""
        if p["form"] == "multichannel":
            return p["inputs"], p["kernels"]
        return [p["input"]], [p["kernel"]]

    def check(self, p):
        xs, ks = self.tensors(p)
        (h, w), (kh, kw) = V.dims(xs[0]), V.dims(ks[0])
        if p.P and p.P >= min(kh, kw):
            raise ParamError(f"padding must be smaller than the {kh}×{kw} kernel",
                             family=self.name, param="P", value=p.P)
        if kh > h + 2 * p.P or kw > w + 2 * p.P:
            raise ParamError(f"kernel {kh}×{kw} is larger than the padded input "
                             f"{h + 2 * p.P}×{w + 2 * p.P}", family=self.name, param="K",
                             value=kh)
        self.check_cell(p, h, w, kh, kw)

    @staticmethod
    def asks_cell(p) -> bool:
        """One output value is asked (a select-all question is about the whole output)."""
        kind = getattr(p, "kind", "single")
        return kind == "numeric" or kind == "single" and p.form in ("cell", "multichannel")

    # ---- answer ---------------------------------------------------------------------------
    def output(self, p, *, kernel_fn=None, stride=None, pad=None, bias=None, channels=None):
        """The exact output matrix; keyword arguments model a variant (a misconception)."""
        key = ("output", kernel_fn, stride, pad, bias, None if channels is None else tuple(channels))
        return V.memo(p, key, lambda: self._output(p, kernel_fn, stride, pad, bias, channels))

    def _output(self, p, kernel_fn, stride, pad, bias, channels):
        xs, ks = self.tensors(p)
        if channels is not None:
            xs, ks = [xs[c] for c in channels], [ks[c] for c in channels]
        fn = kernel_fn or (V.flip if p.form == "true_conv" else _identity)
        s, pd = p.S if stride is None else stride, p.P if pad is None else pad
        (h, w), (kh, kw) = V.dims(xs[0]), V.dims(fn(ks[0]))
        if V.out_len(h, kh, s, pd) < 1 or V.out_len(w, kw, s, pd) < 1:
            return None
        return V.correlate_channels(xs, [fn(k) for k in ks], s, pd,
                                    p.bias if bias is None else bias)

    def engine_output(self, p):
        from quizgen.engine import functional as F
        xs, ks = self.tensors(p)
        op = F.true_conv2d if p.form == "true_conv" else F.conv2d
        try:
            y = op(np.array([[V.as_array(x) for x in xs]]), np.array([[V.as_array(k) for k in ks]]),
                   np.array([float(p.bias)]), stride=p.S, padding=p.P)
        except EngineError as err:
            raise ParamError(str(err), family=self.name) from None
        return y[0, 0]

    # ---- options ----------------------------------------------------------------------------
    def _variants(self, p) -> dict:
        v = {}
        if p.form == "true_conv":
            v["kernel_not_flipped"] = self.output(p, kernel_fn=_identity)
            v["kernel_flipped_one_axis"] = self.output(p, kernel_fn=V.flip_rows)
        else:
            v["kernel_flipped"] = self.output(p, kernel_fn=V.flip)
        v["kernel_transposed"] = self.output(p, kernel_fn=V.transpose)
        if p.S > 1:
            v["ignored_stride_values"] = self.output(p, stride=1)
        if p.P:
            v["forgot_zero_padding_values"] = self.output(p, pad=0)
        if p.bias:
            v["forgot_bias_value"] = self.output(p, bias=0)
        if p.form == "multichannel":
            v["one_channel_only"] = self.output(p, channels=[0])
            c = len(self.tensors(p)[0])
            v["channels_not_summed"] = [[to_exact(Fraction(x - p.bias, c)) + p.bias for x in row]
                                        for row in self.output(p)]
        return {k: m for k, m in v.items() if m}

    def cell_wrongs(self, p, i, j) -> dict:
        """Misconception → wrong value of output cell (i, j) (0-based)."""
        out = {k: V.at(m, i, j) for k, m in self.variants(p).items()}
        if "channels_not_summed" in out and not isinstance(out["channels_not_summed"], int):
            del out["channels_not_summed"]
        out["wrong_cell"] = V.neighbour(self.output(p), i, j)
        stride1 = self.output(p, stride=1)
        out["misaligned_window"] = V.at(stride1, i * p.S + 1, j * p.S + 1)
        return {k: x for k, x in out.items() if x is not None}

    def misconceptions(self, p, answer):
        if self.asks_cell(p):
            return self.cell_wrongs(p, p.row - 1, p.col - 1)
        side = max(_MAX_SIDE["challenge"], len(answer), len(answer[0]))
        out = {k: m for k, m in self.variants(p).items()
               if k != "channels_not_summed" and max(V.dims(m)) <= side}  # no giant grids
        x, k = self.tensors(p)[0][0], self.used_kernels(p)[0]
        win = V.window(V.pad(x, p.P), 0, 0, len(k), len(k[0]), p.S)
        out["elementwise_product"] = [[a * b for a, b in zip(ra, rb)] for ra, rb in zip(win, k)]
        return out

    def near_values(self, p, answer, rng):
        return V.near_numbers(answer) if not isinstance(answer, list) else V.near_matrices(answer)

    def option(self, value, p):
        return V.matrix_option(value) if isinstance(value, list) else V.number_option(value)

    def statements(self, p, rng):
        return V.cell_statements(self.output(p), lambda i, j: self.cell_wrongs(p, i, j),
                                 lambda i, j: self.cell_text(p, i, j), rng)

    # ---- text -------------------------------------------------------------------------------
    def used_kernels(self, p):
        """The kernels as slid over the input (flipped for a true convolution)."""
        fn = V.flip if p.form == "true_conv" else _identity
        return V.memo(p, "used_kernels", lambda: [fn(k) for k in self.tensors(p)[1]])

    def cell_windows(self, p, i, j):
        """(window, kernel) per channel for output cell (i, j)."""
        padded = V.memo(p, "padded", lambda: [V.pad(x, p.P) for x in self.tensors(p)[0]])
        return [(V.window(xp, i, j, len(k), len(k[0]), p.S), k)
                for xp, k in zip(padded, self.used_kernels(p))]

    def cell_expr(self, p, i, j):
        """The written-out sum of output cell (i, j)."""
        terms = [V.products(w, k) for w, k in self.cell_windows(p, i, j)]
        return V.plus(V.channel_sum(terms), p.bias)

    def cell_text(self, p, i, j) -> str:
        """``cell_expr(p, i, j).text()``, faster."""
        terms = [V.products_text(w, k) for w, k in self.cell_windows(p, i, j)]
        return V.plus_text(V.channel_sum_text(terms), p.bias)

    def context(self, p, kind):
        xs, ks = self.tensors(p)
        multi = p.form == "multichannel"
        pairs = [MatrixRow((Matrix.of(x, f"Input, channel {c + 1}" if multi else "Input"), "∗",
                            Matrix.of(k, f"Kernel, channel {c + 1}" if multi else "Kernel")))
                 for c, (x, k) in enumerate(zip(xs, ks))]
        (h, w), (kh, kw) = V.dims(xs[0]), V.dims(ks[0])
        return dict(pairs=pairs, C=len(xs), H=h, W=w, KH=kh, KW=kw,
                    cell=kind != "multiple" and self.asks_cell(p))

    def solution(self, p, answer):
        xs, ks = self.tensors(p)
        kused = self.used_kernels(p)
        (h, w), (kh, kw) = V.dims(xs[0]), V.dims(ks[0])
        out = self.output(p)
        ho, wo = len(out), len(out[0])
        steps = []
        for label, n, k, res in (("H′", h, kh, ho), ("W′", w, kw, wo)):
            steps.append(T(f"{label} = ", Add(Floor(Div(Sub(Add(n, Mul(2, p.P)), k), p.S)), 1),
                           f" = ⌊{n + 2 * p.P - k} / {p.S}⌋ + 1 = {res}"))
            if (h, kh) == (w, kw):
                steps[-1] = T("Output size: H′ = W′ = ", *steps[-1].spans[1:],
                              f", so the output is {ho} × {wo}.")
                break
        cells = [(p.row - 1, p.col - 1)] if self.asks_cell(p) else \
            [(i, j) for i in range(ho) for j in range(wo)][:_SHOWN_CELLS]
        if p.form == "true_conv":
            steps.append(T("True convolution: first flip the kernel in both directions (rotate it "
                           "by 180°), then slide it like a cross-correlation."))
            steps.append(Matrix.of(kused[0], "Flipped kernel"))
        i0, j0 = cells[0]
        if p.P:
            for c, x in enumerate(xs):
                label = f"Input padded with zeros (P = {p.P})" + \
                        (f", channel {c + 1}" if len(xs) > 1 else "")
                steps.append(Matrix.of(V.pad(x, p.P), label, ((i0 * p.S, j0 * p.S, kh, kw),)))
        if self.asks_cell(p):
            steps.append(T(f"Output row {i0 + 1}, column {j0 + 1} reads the window whose top-left "
                           f"corner is row {i0 * p.S + 1}, column {j0 * p.S + 1} of the "
                           f"{'padded ' if p.P else ''}input"
                           f"{'; each channel uses its own kernel and the results are summed' if len(xs) > 1 else ''}"
                           f"{'; then the bias is added' if p.bias else ''}:"))
        for i, j in cells:
            steps.append(T(f"Row {i + 1}, column {j + 1}: ", Eq(self.cell_expr(p, i, j),
                                                                 Num(out[i][j]))))
        if len(cells) < ho * wo and not self.asks_cell(p):
            steps.append(T(f"The remaining cells follow the same way, moving the window by "
                           f"S = {p.S} each time."))
        if self.asks_cell(p):
            steps.append(T("Answer: ", Num(out[i0][j0]), "."))
        else:
            steps.append(T("Output:"))
            steps.append(Matrix.of(out))
        return tuple(steps)


FAMILY = Conv2dValues()
