"""forward_pass forms that run a tiny network: ``conv_relu_pool_fc`` and ``residual``.

Each form is an object with the hooks the ``forward_pass`` family dispatches to (``sample``,
``check``, ``solve``, ``misconceptions``, ``near``, ``option``, ``numeric``, ``context``,
``solution``). Closed forms are exact integer arithmetic (``_values``); the engine run is a
``build_cnn`` network with the question's weights loaded.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from quizgen.errors import EngineError, ParamError
from quizgen.families import _values as V
from quizgen.mathexpr import Add, Call, Eq, Mul, Num
from quizgen.model import Matrix, MatrixRow, T

FAMILY = "forward_pass"


def _err(message, param, value=None):
    return ParamError(message, family=FAMILY, param=param, value=value)


def _ints(rng, lo, hi, shape):
    return rng.integers(lo, hi + 1, size=shape).tolist()


def _relu(m):
    return [[max(v, 0) for v in row] for row in m]


def _argmax(values) -> int | None:
    """Index of the unique largest value (None on a tie)."""
    best = max(values)
    return values.index(best) if values.count(best) == 1 else None


@lru_cache(maxsize=32)
def _network(layers: tuple, in_channels: int, size):
    """One engine network per architecture (``layers``: (kind, ((arg, value), …)) pairs)."""
    from quizgen.engine.models import build_cnn
    return build_cnn([(kind, dict(args)) for kind, args in layers], in_channels, input_size=size)


def _load(layers, in_channels, size, weights):
    """The ``build_cnn`` network for ``layers`` with ``weights`` loaded (strictly: every key)."""
    try:
        key = tuple((spec[0], tuple(sorted(spec[1].items())) if len(spec) > 1 else ())
                    for spec in layers)
        net = _network(key, in_channels, size)
        net.load_state_dict({k: np.asarray(v, dtype=np.float64) for k, v in weights.items()})
        return net
    except EngineError as err:
        raise ParamError(str(err), family=FAMILY) from None


class ConvReluPoolFC:
    """input (N×N) → 2×2 conv + bias → ReLU → 2×2 max pool (stride pool_S) → flatten → FC.

    Conv output (N − 1)×(N − 1); pooled ⌊(N − 1 − 2)/pool_S⌋ + 1 per side; FC weights
    (classes × features), logits z = V·h + c. Asks one logit (``ask=logit``, class ``target``)
    or the predicted class with its logit (``ask=class``).
    """

    uses = ("input", "kernel", "bias", "pool_S", "fc", "fc_bias", "ask", "target")
    _IN = {"paper": (0, 3), "standard": (0, 5), "challenge": (-3, 5)}
    _K = {"paper": (-1, 1), "standard": (-2, 2), "challenge": (-2, 3)}
    _B = {"paper": (-2, 1), "standard": (-3, 2), "challenge": (-4, 3)}
    _FC = {"paper": (-1, 2), "standard": (-2, 2), "challenge": (-3, 3)}
    _FCB = {"paper": (0, 2), "standard": (-2, 2), "challenge": (-3, 3)}
    _N = {"paper": (4,), "standard": (4, 5), "challenge": (5,)}
    _CLASSES = {"paper": (2,), "standard": (2, 3), "challenge": (3,)}

    def sample(self, rng, d, fixed, p):
        for _ in range(200):
            q = dict(p)
            n = len(fixed["input"]) if "input" in fixed else \
                self._N[d][int(rng.integers(len(self._N[d])))]
            q.setdefault("input", _ints(rng, *self._IN[d], (n, n)))
            q.setdefault("kernel", _ints(rng, *self._K[d], (2, 2)))
            q.setdefault("bias", int(rng.integers(self._B[d][0], self._B[d][1] + 1)))
            q.setdefault("pool_S", 1 if n == 4 else 2)
            h, w = V.dims(q["input"])
            feats = max(V.out_len(h - 1, 2, q["pool_S"], 0), 1) * \
                max(V.out_len(w - 1, 2, q["pool_S"], 0), 1)
            classes = len(fixed["fc"]) if "fc" in fixed else \
                self._CLASSES[d][int(rng.integers(len(self._CLASSES[d])))]
            q.setdefault("fc", _ints(rng, *self._FC[d], (classes, feats)))
            q.setdefault("fc_bias", [_ints(rng, *self._FCB[d], (classes,))])
            q.setdefault("ask", ("logit", "class")[int(rng.integers(2))])
            q.setdefault("target", 1 + int(rng.integers(classes)))
            try:
                self.check(q)
                trace = self.trace(q)
            except ParamError as err:
                if err.param in fixed:
                    return q  # resampling the others cannot help: build reports it
                continue
            pre = [v for row in trace["conv"] for v in row]
            answer = self.answer_of(q, trace["logits"])
            wrong = {v for v in self.misconceptions(q, answer).values() if v is not None} - {answer}
            lively = min(pre) < 0 < max(pre) and sum(1 for v in trace["h"] if v) >= 2 \
                and len(set(trace["logits"])) == len(trace["logits"]) and len(wrong) >= 3
            if lively or all(k in fixed for k in ("input", "kernel", "bias", "fc", "fc_bias")):
                return q
        return q

    def check(self, p):
        x, k, fc = p["input"], p["kernel"], p["fc"]
        (h, w), (kh, kw) = V.dims(x), V.dims(k)
        if (kh, kw) != (2, 2):
            raise _err(f"the network's convolution is 2×2, got a {kh}×{kw} kernel", "kernel", k)
        if h < 3 or w < 3:
            raise _err(f"a {h}×{w} input leaves no room for the 2×2 conv and the 2×2 pool",
                       "input", x)
        ch, cw = h - kh + 1, w - kw + 1
        if V.out_len(ch, 2, p["pool_S"], 0) < 1 or V.out_len(cw, 2, p["pool_S"], 0) < 1:
            raise _err(f"the {ch}×{cw} convolution output is smaller than the 2×2 pool",
                       "input", x)
        feats = V.out_len(ch, 2, p["pool_S"], 0) * V.out_len(cw, 2, p["pool_S"], 0)
        if len(fc[0]) != feats:
            raise _err(f"the FC layer needs {feats} columns (one per pooled value), got "
                       f"{len(fc[0])}", "fc", fc)
        if len(p["fc_bias"]) != 1 or len(p["fc_bias"][0]) != len(fc):
            raise _err(f"fc_bias needs one row of {len(fc)} values", "fc_bias", p["fc_bias"])
        if p["ask"] not in ("logit", "class"):
            raise _err("must be logit or class", "ask", p["ask"])
        if not 1 <= p["target"] <= len(fc):
            raise _err(f"there are {len(fc)} classes", "target", p["target"])
        if p["ask"] == "class" and _argmax(self.trace(p)["logits"]) is None:
            raise _err("two classes tie for the largest score: the prediction is ambiguous",
                       "fc", fc)

    # ---- arithmetic -------------------------------------------------------------------------
    def trace(self, p, *, kernel=None, relu=True, relu_first=False, pool="max", fc_bias=True):
        """Every intermediate value, exactly; keywords model a misconception."""
        key = ("trace", None if kernel is None else str(kernel), relu, relu_first, pool, fc_bias)
        return V.memo(p, key, lambda: self._trace(p, kernel, relu, relu_first, pool, fc_bias))

    def _trace(self, p, kernel, relu, relu_first, pool, fc_bias):
        k = p["kernel"] if kernel is None else kernel
        conv = V.correlate(p["input"], k, 1, 0, 0 if relu_first else p["bias"])
        act = _relu(conv) if relu else conv
        if relu_first:
            act = [[v + p["bias"] for v in row] for row in act]
        pooled = V.pool(act, 2, p["pool_S"], 0, pool)
        h = [v for row in pooled for v in row]
        cb = p["fc_bias"][0] if fc_bias else [0] * len(p["fc"])
        logits = [sum(a * b for a, b in zip(row, h)) + c for row, c in zip(p["fc"], cb)]
        return dict(conv=conv, act=act, pooled=pooled, h=h, logits=logits)

    def engine(self, p):
        n = V.dims(p["input"])
        net = _load([("conv", dict(out_channels=1, kernel_size=2)), ("relu",),
                     ("maxpool", dict(kernel_size=2, stride=p["pool_S"])), ("flatten",),
                     ("linear", dict(out_features=len(p["fc"])))], 1, n,
                    {"0.weight": [[p["kernel"]]], "0.bias": [p["bias"]], "4.weight": p["fc"],
                     "4.bias": p["fc_bias"][0]})
        return net(V.as_array(p["input"])[None, None])[0]

    def answer_of(self, p, logits):
        if p["ask"] == "logit":
            return logits[p["target"] - 1]
        c = _argmax(logits)
        return None if c is None else (c + 1, logits[c])

    def solve(self, fam, p):
        logits = fam.verify(self.trace(p)["logits"], self.engine(p), "logits")
        return self.answer_of(p, logits)

    def misconceptions(self, p, answer):
        variants = {
            "forgot_relu": dict(relu=False), "relu_before_bias": dict(relu_first=True),
            "forgot_bias_value": dict(fc_bias=False), "avg_instead_of_max": dict(pool="avg"),
            "top_left_only": dict(pool="topleft"), "kernel_flipped": dict(kernel=V.flip(p["kernel"])),
        }
        out = {k: self.answer_of(p, self.trace(p, **kw)["logits"]) for k, kw in variants.items()}
        if p["ask"] == "class":
            logits = self.trace(p)["logits"]
            low = min(range(len(logits)), key=logits.__getitem__)
            out["argmin_instead_of_argmax"] = (low + 1, logits[low])
        return out

    def near(self, p, answer):
        if p["ask"] == "logit":
            return V.near_numbers(answer)
        logits = self.trace(p)["logits"]
        return [(c + 1, z) for c, z in enumerate(logits) if c + 1 != answer[0]] + \
            [(answer[0], z) for z in V.near_numbers(answer[1])]

    def option(self, value, p):
        if p["ask"] == "logit":
            return V.number_option(value)
        return (T(f"class {value[0]} (score ", Num(value[1]), ")"),)

    def numeric(self, p, answer):
        return (float(answer) if p["ask"] == "logit" else float(answer[0])), 0.0

    def context(self, p, kind):
        fc = p["fc"]
        return dict(
            H=len(p["input"]), W=len(p["input"][0]), classes=len(fc), feats=len(fc[0]),
            net=MatrixRow((Matrix.of(p["input"], "Input x"), Matrix.of(p["kernel"], "Kernel W"))),
            head=MatrixRow((Matrix.of(fc, "FC weights V (row k: class k)"),
                            Matrix.of(V.transpose(p["fc_bias"]), "FC bias c"))))

    def solution(self, p, answer):
        t = self.trace(p)
        x, k, b = p["input"], p["kernel"], p["bias"]
        win = V.window(x, 0, 0, 2, 2, 1)
        conv_e = V.plus(V.products(win, k), b)
        steps = [
            T("1. Convolution (cross-correlation, stride 1, no padding) plus the bias; for "
              "example the top-left value is ", Eq(conv_e, Num(t["conv"][0][0])), "."),
            Matrix.of(t["conv"], "Convolution output"),
            T("2. ReLU sets every negative value to 0."),
            Matrix.of(t["act"], "After ReLU", ((0, 0, 2, 2),)),
            T(f"3. 2 × 2 max pooling with stride {p['pool_S']}; the first window gives ",
              Eq(V.pool_expr(V.window(t["act"], 0, 0, 2, 2, p["pool_S"]), "max"),
                 Num(t["pooled"][0][0])), "."),
            Matrix.of(t["pooled"], "After max pooling"),
            T("4. Flattened row by row: h = (" + ", ".join(Num(v).text() for v in t["h"]) + ")."),
        ]
        classes = [p["target"] - 1] if p["ask"] == "logit" else range(len(p["fc"]))
        for c in classes:
            e = V.plus(Add(*(Mul(w, v) for w, v in zip(p["fc"][c], t["h"]))), p["fc_bias"][0][c])
            steps.append(T(f"Score of class {c + 1}: z{c + 1} = ", Eq(e, Num(t["logits"][c]))))
        if p["ask"] == "class":
            steps.append(T(f"The largest score is z{answer[0]} = ", Num(answer[1]),
                           f", so the network predicts class {answer[0]}."))
        return tuple(steps)


class Residual:
    """One residual block y = ReLU(F(x) + x) on a tiny map.

    ``branch=conv3x3``: one channel, F(x) = W ∗ x + b (3×3 kernel, padding 1 keeps the size).
    ``branch=conv1x1``: two channels, F(x) = W2·ReLU(W1·x + b1) + b2 at every pixel (two 1×1
    convolutions, W1 and W2 are 2×2: row = output channel). Asks y at (ch, row, col).
    """

    uses = ("branch", "input", "kernel", "bias", "inputs", "W1", "W2", "b1", "b2", "ch", "row",
            "col")

    def sample(self, rng, d, fixed, p):
        branches = {"paper": ("conv3x3", "conv1x1"), "standard": ("conv3x3", "conv1x1"),
                    "challenge": ("conv3x3", "conv1x1")}[d]
        q = dict(p)
        for _ in range(200):
            q = dict(p)
            if "branch" not in q:
                q["branch"] = "conv1x1" if any(k in fixed for k in ("inputs", "W1", "W2", "b1", "b2")) \
                    else "conv3x3" if any(k in fixed for k in ("input", "kernel", "bias")) \
                    else branches[int(rng.integers(len(branches)))]
            lo, hi = (-2, 3) if d == "paper" else (-3, 4)
            if q["branch"] == "conv3x3":
                n = 3 if d == "paper" else 4
                q.setdefault("input", _ints(rng, lo, hi, (n, n)))
                kr = (-1, 1) if d == "paper" else (-2, 2)
                q.setdefault("kernel", _ints(rng, *kr, (3, 3)))
                q.setdefault("bias", int(rng.integers(-2, 3)))
                q.setdefault("ch", 1)
            else:
                q.setdefault("inputs", _ints(rng, lo, hi, (2, 2, 2)))
                wr = (-1, 2) if d == "paper" else (-2, 2)
                for name in ("W1", "W2"):
                    q.setdefault(name, _ints(rng, *wr, (2, 2)))
                for name in ("b1", "b2"):
                    q.setdefault(name, [_ints(rng, -1 if d == "paper" else -2, 1, (2,))])
                q.setdefault("ch", 1 + int(rng.integers(2)))
            h, w = V.dims(self.x(q)[0])
            q.setdefault("row", 1 + int(rng.integers(h)))
            q.setdefault("col", 1 + int(rng.integers(w)))
            try:
                self.check(q)
            except ParamError as err:
                if err.param in fixed:
                    return q  # resampling the others cannot help: build reports it
                continue
            y = self.closed(q)
            wrong = set(self.misconceptions(q, y).values()) - {y}
            if len(wrong) >= 3:
                return q
        return q

    @staticmethod
    def x(p):
        return [p["input"]] if p["branch"] == "conv3x3" else p["inputs"]

    def check(self, p):
        if p["branch"] not in ("conv3x3", "conv1x1"):
            raise _err("must be conv3x3 or conv1x1", "branch", p["branch"])
        x = self.x(p)
        h, w = V.dims(x[0])
        if p["branch"] == "conv3x3":
            if V.dims(p["kernel"]) != (3, 3):
                raise _err("the conv3x3 branch needs a 3×3 kernel", "kernel", p["kernel"])
        else:
            if len(x) != 2:
                raise _err("the conv1x1 branch takes a 2-channel input", "inputs", p["inputs"])
            for name in ("W1", "W2"):
                if V.dims(p[name]) != (2, 2):
                    raise _err("must be 2×2 (row = output channel)", name, p[name])
            for name in ("b1", "b2"):
                if V.dims(p[name]) != (1, 2):
                    raise _err("needs one row of 2 values", name, p[name])
        for name, v, n in (("ch", p["ch"], len(x)), ("row", p["row"], h), ("col", p["col"], w)):
            if not 1 <= v <= n:
                raise _err(f"must be between 1 and {n}", name, v)

    # ---- arithmetic -------------------------------------------------------------------------
    def branch_out(self, p, *, kernel_fn=None, bias=True):
        """F(x) for every channel, exactly."""
        x = self.x(p)
        if p["branch"] == "conv3x3":
            k = p["kernel"] if kernel_fn is None else kernel_fn(p["kernel"])
            return [V.correlate(x[0], k, 1, 1, p["bias"] if bias else 0)]
        w1 = p["W1"] if kernel_fn is None else kernel_fn(p["W1"])
        w2 = p["W2"] if kernel_fn is None else kernel_fn(p["W2"])
        b1 = p["b1"][0] if bias else [0, 0]
        b2 = p["b2"][0] if bias else [0, 0]
        hidden = [_relu(V.correlate_channels(x, [[[w]] for w in w1[o]], bias=b1[o]))
                  for o in range(2)]
        return [V.correlate_channels(hidden, [[[w]] for w in w2[o]], bias=b2[o]) for o in range(2)]

    def cell(self, p, maps, ch=None, row=None, col=None):
        c = p["ch"] - 1 if ch is None else ch
        return maps[c][(p["row"] - 1) if row is None else row][(p["col"] - 1) if col is None else col]

    def closed(self, p, maps=None, **kw):
        """y at the asked cell; ``maps`` is a precomputed F(x), keywords model a misconception."""
        f = self.cell(p, self.branch_out(p, **kw) if maps is None else maps)
        return max(f + self.cell(p, self.x(p)), 0)

    def engine(self, p):
        from quizgen.engine import functional as F
        x = np.array([[V.as_array(m) for m in self.x(p)]])
        if p["branch"] == "conv3x3":
            net = _load([("conv", dict(out_channels=1, kernel_size=3, padding=1))], 1, None,
                        {"0.weight": [[p["kernel"]]], "0.bias": [p["bias"]]})
        else:
            net = _load([("conv", dict(out_channels=2, kernel_size=1)), ("relu",),
                         ("conv", dict(out_channels=2, kernel_size=1))], 2, None,
                        {"0.weight": np.array(p["W1"])[:, :, None, None], "0.bias": p["b1"][0],
                         "2.weight": np.array(p["W2"])[:, :, None, None], "2.bias": p["b2"][0]})
        y = F.relu(net(x) + x)[0]
        return y[p["ch"] - 1, p["row"] - 1, p["col"] - 1]

    def solve(self, fam, p):
        return fam.verify(self.closed(p), self.engine(p), "residual block output")

    def misconceptions(self, p, answer):
        maps = self.branch_out(p)
        f, x = self.cell(p, maps), self.cell(p, self.x(p))
        out = {
            "forgot_residual": max(f, 0),
            "residual_after_relu": max(f, 0) + x,
            "forgot_relu": f + x,
            "forgot_bias_value": self.closed(p, bias=False),
            ("kernel_flipped" if p["branch"] == "conv3x3" else "kernel_transposed"):
                self.closed(p, kernel_fn=V.flip if p["branch"] == "conv3x3" else V.transpose),
        }
        y = [[[max(a + b, 0) for a, b in zip(ra, rb)] for ra, rb in zip(fm, xm)]
             for fm, xm in zip(maps, self.x(p))]
        out["wrong_cell"] = V.neighbour(y[p["ch"] - 1], p["row"] - 1, p["col"] - 1)
        return out

    def near(self, p, answer):
        return V.near_numbers(answer)

    def option(self, value, p):
        return V.number_option(value)

    def numeric(self, p, answer):
        return float(answer), 0.0

    def context(self, p, kind):
        if p["branch"] == "conv3x3":
            shown = MatrixRow((Matrix.of(p["input"], "Input x"), Matrix.of(p["kernel"], "Kernel W")))
            return dict(shown=[shown], H=len(p["input"]), W=len(p["input"][0]))
        xs = [Matrix.of(m, f"x, channel {c + 1}") for c, m in enumerate(p["inputs"])]
        ws = [Matrix.of(p["W1"], "W1"), Matrix.of(V.transpose(p["b1"]), "b1"),
              Matrix.of(p["W2"], "W2"), Matrix.of(V.transpose(p["b2"]), "b2")]
        return dict(shown=[MatrixRow(tuple(xs)), MatrixRow(tuple(ws))],
                    H=len(p["inputs"][0]), W=len(p["inputs"][0][0]))

    def solution(self, p, answer):
        r, c, ch = p["row"] - 1, p["col"] - 1, p["ch"] - 1
        f = self.cell(p, self.branch_out(p))
        xv = self.cell(p, self.x(p))
        steps = []
        if p["branch"] == "conv3x3":
            padded = V.pad(p["input"], 1)
            steps.append(Matrix.of(padded, "Input padded with zeros (padding 1)", ((r, c, 3, 3),)))
            e = V.plus(V.products(V.window(padded, r, c, 3, 3, 1), p["kernel"]), p["bias"])
            steps.append(T(f"F(x) at row {r + 1}, column {c + 1}: ", Eq(e, Num(f))))
        else:
            px = [m[r][c] for m in p["inputs"]]
            hidden = []
            for o in range(2):
                pre = V.plus(Add(*(Mul(w, v) for w, v in zip(p["W1"][o], px))), p["b1"][0][o])
                hv = max(pre.value(), 0)
                hidden.append(hv)
                steps.append(T(f"Hidden channel {o + 1}: ", Eq(Call("ReLU", pre), Num(hv))))
            e = V.plus(Add(*(Mul(w, v) for w, v in zip(p["W2"][ch], hidden))), p["b2"][0][ch])
            steps.append(T(f"F(x), channel {ch + 1}: ", Eq(e, Num(f))))
        steps.append(T("Add the shortcut, then apply the final ReLU: y = ",
                       Eq(Call("ReLU", V.plus(Num(f), xv)), Num(answer)), "."))
        return tuple(steps)
