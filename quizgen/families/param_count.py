"""Learnable parameters of a layer: conv (with/without bias, grouped), FC, pooling, batch norm,
a GoogLeNet inception branch, or a named layer of LeNet-5 / AlexNet / VGG-16 / GoogLeNet stem.

* Conv: ``(K·K·C_in/groups + 1)·C_out`` with biases, ``K·K·C_in/groups·C_out`` without —
  independent of the input size (weights are shared across positions).
* FC: ``in·out + out`` where ``in`` is the flattened ``C·H·W``.
* Pooling: 0. Batch norm: ``2C`` (γ and β; the running mean and variance are buffers).
* Inception branch: 1×1 reduction ``(C_in + 1)·r`` then ``(k·k·r + 1)·o``.

Options are unevaluated products like the lectures' "(3 × 3 × 3 + 1) × 64" (``form=product``)
or numbers with thousands separators; distinctness is by value. Verified against the engine:
the parameter arrays a real ``Conv2d``/``Linear``/``BatchNorm2d``/``Sequential`` registers, and
for named layers ``engine.summary`` of the real model.
"""
from __future__ import annotations

from functools import lru_cache

from quizgen.errors import ParamError
from quizgen.families._counting import (NAMED, Count, count_key, count_option, layer_row,
                                        named_keys, pick)
from quizgen.family import Family, P, Param, Statement
from quizgen.mathexpr import Add, Mul, Num, Paren
from quizgen.model import T
from quizgen.numbers import fmt

LAYERS = ("conv", "fc", "pool", "bn", "inception", "named")

#: GoogLeNet (Szegedy et al. 2015, Table 1): #1×1, #3×3 reduce, #3×3, #5×5 reduce, #5×5,
#: pool proj, and the spatial size; the input channels chain from the previous module.
_INCEPTION = (("3a", 192, 64, 96, 128, 16, 32, 32, 28), ("3b", None, 128, 128, 192, 32, 96, 64, 28),
              ("4a", 480, 192, 96, 208, 16, 48, 64, 14), ("4b", None, 160, 112, 224, 24, 64, 64, 14),
              ("4c", None, 128, 128, 256, 24, 64, 64, 14), ("4d", None, 112, 144, 288, 32, 64, 64, 14),
              ("4e", None, 256, 160, 320, 32, 128, 128, 14),
              ("5a", 832, 256, 160, 320, 32, 128, 128, 7), ("5b", None, 384, 192, 384, 48, 128, 128, 7))


def _inception_table() -> dict:
    out, c_in = {}, None
    for name, given, n1, r3, n3, r5, n5, pp, h in _INCEPTION:
        c_in = given or c_in
        out[name] = dict(c_in=c_in, n1=n1, r3=r3, n3=n3, r5=r5, n5=n5, pp=pp, h=h)
        c_in = n1 + n3 + n5 + pp
    return out


INCEPTION = _inception_table()

_CONV_H = {"paper": (5, 6, 7, 8, 28, 32, 224), "standard": (13, 27, 28, 32, 56, 112, 224, 227),
           "challenge": (14, 28, 56, 112, 224)}
DOMAINS = {
    "conv": dict(
        H=_CONV_H,
        C_in={"paper": (1, 3, 3), "standard": (3, 16, 32, 64, 128, 192),
              "challenge": (64, 128, 256, 512)},
        C_out={"paper": (2, 4, 6, 8, 10, 16, 64), "standard": (16, 32, 64, 96, 128, 256),
               "challenge": (128, 256, 384, 512)},
        K={"paper": (1, 2, 3, 5), "standard": (1, 3, 5, 7, 11), "challenge": (1, 3, 5)},
        S={"paper": (1,), "standard": (1, 2), "challenge": (1, 2)},
        P={"paper": (0,), "standard": (0, 1), "challenge": (0, 1, 2)},
        bias=(True, True, False),
        groups={"paper": (1,), "standard": (1,), "challenge": (1, 2, 4, 8)},
    ),
    "fc": dict(
        H={"paper": (1, 1, 2, 4), "standard": (1, 4, 5, 6, 7), "challenge": (1, 6, 7)},
        C_in={"paper": (4, 8, 10, 16, 84, 120), "standard": (16, 64, 84, 120, 256, 512, 4096),
              "challenge": (256, 512, 1024, 2048, 4096)},
        C_out={"paper": (2, 3, 5, 10), "standard": (10, 84, 100, 120, 500, 1000),
               "challenge": (1000, 4096)},
        bias=(True, True, False),
    ),
    "pool": dict(H=_CONV_H, C_in={"paper": (1, 3, 6, 16), "standard": (64, 96, 192, 256),
                                  "challenge": (96, 256, 480, 832)},
                 K=(2, 3), S=(1, 2, 3)),
    "bn": dict(H=(7, 14, 28, 56), C_in={"paper": (4, 6, 8, 16), "standard": (32, 64, 128, 256),
                                        "challenge": (64, 256, 512, 1024)}),
    "inception": dict(module={"standard": ("3a",), "challenge": tuple(INCEPTION)},
                      branch={"standard": ("3x3", "5x5"), "challenge": ("3x3", "5x5", "all")},
                      bias=(True, False)),
    "named": dict(named={"standard": named_keys("conv", "fc")[:18],
                         "challenge": named_keys("conv", "fc")},
                  bias=(True, True, False)),
}
RELEVANT = {
    "conv": ("H", "C_in", "C_out", "K", "S", "P", "bias", "groups"),
    "fc": ("H", "C_in", "C_out", "bias"),
    "pool": ("H", "C_in", "K", "S"),
    "bn": ("H", "C_in"),
    "inception": ("module", "branch", "bias"),
    "named": ("named", "bias"),
}


def _times(x, n):
    """``x × n`` with a product ``x`` flattened (``3 × 3 × 3 × 64``, not ``(3 × 3 × 3) × 64``)."""
    return Mul(*(x.args if isinstance(x, Mul) else (x,)), n)


def _bias(expr_weights, n_filters, bias: bool):
    """``(weights + 1) × filters`` or ``weights × filters`` as a product."""
    if bias:
        return Mul(Paren(Add(expr_weights, 1)), n_filters)
    return _times(expr_weights, n_filters)


@lru_cache(maxsize=4096)
def _engine_count(kind: str, *args) -> int:
    """Parameters registered by a real engine layer (the arrays it would create)."""
    from quizgen.engine import layers as L
    if kind == "conv":
        c_in, c_out, k, bias, groups = args
        mods = [L.Conv2d(c_in, c_out, k, groups=groups, bias=bias)]
    elif kind == "fc":
        n_in, n_out, bias = args
        mods = [L.Linear(n_in, n_out, bias=bias)]
    elif kind == "pool":
        mods = [L.MaxPool2d(args[0], args[1]), L.AvgPool2d(args[0], args[1])]
    elif kind == "bn":
        mods = [L.BatchNorm2d(args[0])]
    else:  # inception: (c_in, n1, r3, n3, r5, n5, pp, bias, branch)
        c_in, n1, r3, n3, r5, n5, pp, bias, branch = args
        b3 = L.Sequential(L.Conv2d(c_in, r3, 1, bias=bias), L.Conv2d(r3, n3, 3, padding=1, bias=bias))
        b5 = L.Sequential(L.Conv2d(c_in, r5, 1, bias=bias), L.Conv2d(r5, n5, 5, padding=2, bias=bias))
        mods = {"3x3": [b3], "5x5": [b5]}.get(branch) or [
            L.Conv2d(c_in, n1, 1, bias=bias), b3, b5,
            L.Sequential(L.MaxPool2d(3, 1, padding=1), L.Conv2d(c_in, pp, 1, bias=bias))]
    return sum(m.num_parameters() for m in mods)


class ParamCount(Family):
    name = "param_count"
    title = "Learnable parameters of a conv, FC, pooling, batch-norm, inception or named layer"
    kinds = ("single", "numeric", "multiple")
    tags = ("parameters", "counting")
    params = (
        Param("layer", "what to count: conv | fc | pool | bn | inception (a GoogLeNet branch) | "
              "named (a layer of LeNet-5, AlexNet, VGG-16 or the GoogLeNet stem)", type="str",
              domain={"paper": ("conv", "conv", "conv", "fc", "pool", "bn"),
                      "standard": ("conv", "conv", "fc", "pool", "bn", "inception", "named",
                                   "named"),
                      "challenge": ("conv", "conv", "fc", "bn", "inception", "named")},
              choices=LAYERS),
        Param("H", "input height = width (fc: side of the map that is flattened; 1 = a vector)",
              lo=1, hi=4096, sampled=False),
        Param("C_in", "input channels (fc: channels of the flattened map, or the vector length)",
              lo=1, hi=100_000, sampled=False),
        Param("C_out", "number of filters (fc: output features)", lo=1, hi=100_000,
              sampled=False),
        Param("K", "kernel (pool: window) size K × K", lo=1, hi=64, sampled=False),
        Param("S", "stride", lo=1, hi=16, sampled=False),
        Param("P", "zero padding per side", lo=0, hi=32, sampled=False),
        Param("groups", "conv groups: each filter sees C_in/groups channels", lo=1, hi=4096,
              sampled=False),
        Param("bias", "whether the layer has biases (they count as parameters)", type="bool",
              sampled=False),
        Param("module", "GoogLeNet inception module", type="str", choices=tuple(INCEPTION),
              sampled=False),
        Param("branch", "inception branch: 3x3 or 5x5 (1×1 reduction then k×k) or all (the "
              "whole module)", type="str", choices=("3x3", "5x5", "all"), sampled=False),
        Param("named", "named layer <model>.<layer>", type="str",
              choices=named_keys("conv", "fc"), sampled=False),
        Param("form", "options as unevaluated products like the lectures (product) or as "
              "numbers", type="str", domain={"paper": ("product",), "standard": ("number",),
                                            "challenge": ("number",)},
              choices=("product", "number")),
    )

    def sample(self, rng, difficulty, fixed):
        p = super().sample(rng, difficulty, fixed)  # layer and form
        doms = DOMAINS[p["layer"]]
        for key in RELEVANT[p["layer"]]:
            if key in p:
                continue
            if key == "groups" and difficulty == "challenge":
                ok = [g for g in (1, 2, 4, 8) if p["C_in"] % g == 0 and p["C_out"] % g == 0]
                p[key] = ok[int(rng.integers(len(ok)))]
                continue
            dom = doms[key]
            values = dom.get(difficulty) or dom["standard"] if isinstance(dom, dict) else dom
            p[key] = values[int(rng.integers(len(values)))]
        return p

    # ---- validation ----------------------------------------------------------------------
    def check(self, p):
        err = lambda msg, key: ParamError(msg, family=self.name, param=key, value=p[key])
        for key in RELEVANT[p.layer]:
            if key not in p:
                raise ParamError(f"needs {key} for layer={p.layer}", family=self.name, param=key)
        if p.layer in ("conv", "pool"):
            if p.K > p.H + 2 * p.get("P", 0):
                raise err(f"kernel {p.K} is larger than the padded input", "K")
        if p.layer == "conv":
            if p.P and p.P >= p.K:
                raise err("padding must be smaller than the kernel", "P")
            if p.C_in % p.groups or p.C_out % p.groups:
                raise err(f"groups must divide C_in = {p.C_in} and C_out = {p.C_out}", "groups")

    def check_kind(self, p, kind):
        if kind == "multiple" and p.layer != "conv":
            raise ParamError("the select-all question is about a conv layer", family=self.name,
                             param="layer", value=p.layer)

    # ---- the layer as numbers ------------------------------------------------------------
    def spec(self, p) -> dict:
        """Conv/FC hyperparameters of the question (generic or named)."""
        if p.layer == "named":
            n = NAMED[p.named]
            return dict(kind=n.kind, H=n.h, C_in=n.c_in, C_out=n.c_out, K=n.k, S=n.s, P=n.p,
                        groups=1, bias=p.bias, named=n)
        return dict(kind=p.layer, H=p.get("H"), C_in=p.get("C_in"), C_out=p.get("C_out"),
                    K=p.get("K"), S=p.get("S", 1), P=p.get("P", 0), groups=p.get("groups", 1),
                    bias=p.get("bias", True), named=None)

    def solve(self, p):
        from quizgen.engine import shapes
        d = self.spec(p)
        if d["kind"] == "conv":
            closed = shapes.conv_params(d["C_in"], d["C_out"], d["K"], bias=d["bias"],
                                        groups=d["groups"])
            engine = _engine_count("conv", d["C_in"], d["C_out"], d["K"], d["bias"], d["groups"])
            answer = self.values(p)["answer"]
        elif d["kind"] == "fc":
            n_in = d["C_in"] * d["H"] * d["H"]
            closed = shapes.linear_params(n_in, d["C_out"], bias=d["bias"])
            engine = _engine_count("fc", n_in, d["C_out"], d["bias"])
            answer = self.values(p)["answer"]
        elif p.layer == "pool":
            closed, engine = 0, _engine_count("pool", p.K, p.S)
            answer = Count(Num(0))
        elif p.layer == "bn":
            closed, engine = 2 * p.C_in, _engine_count("bn", p.C_in)
            answer = Count(Mul(2, p.C_in))
        else:
            m = INCEPTION[p.module]
            closed = self.inception_closed(m, p.branch, p.bias)
            engine = _engine_count("inception", m["c_in"], m["n1"], m["r3"], m["n3"], m["r5"],
                                   m["n5"], m["pp"], p.bias, p.branch)
            answer = self.values(p)["answer"]
        self.verify(closed, engine, "parameter count")
        if d["named"] is not None:
            row, registered = layer_row(d["named"].key)
            real = row.params if d["bias"] else row.weight_params
            self.verify(closed, real, f"parameters of {d['named'].title} (engine.summary)")
            if d["bias"]:
                self.verify(closed, registered, f"registered parameters of {d['named'].title}")
        return self.verify(answer, closed, "the option's product")

    @staticmethod
    def inception_closed(m, branch, bias):
        b = 1 if bias else 0
        one = lambda c_in, c_out: (c_in + b) * c_out
        conv = lambda k, c_in, c_out: (k * k * c_in + b) * c_out
        br3 = one(m["c_in"], m["r3"]) + conv(3, m["r3"], m["n3"])
        br5 = one(m["c_in"], m["r5"]) + conv(5, m["r5"], m["n5"])
        if branch == "3x3":
            return br3
        if branch == "5x5":
            return br5
        return one(m["c_in"], m["n1"]) + br3 + br5 + one(m["c_in"], m["pp"])

    # ---- values: answer and misconceptions as products ----------------------------------
    def conv_values(self, d) -> dict:
        from quizgen.engine import shapes
        K, C_out, bias = d["K"], d["C_out"], d["bias"]
        cg = d["C_in"] // d["groups"]
        h = shapes.conv_out(d["H"], K, d["S"], d["P"])
        w = Mul(K, K, cg)
        v = {
            "answer": _bias(w, C_out, bias),
            "counted_output_positions": Mul(C_out, h, h),
            "counted_output_row": Mul(C_out, K, K, h),
            "forgot_bias": Mul(K, K, cg, C_out) if bias else None,
            "counted_absent_bias": _bias(w, C_out, True) if not bias else None,
            "forgot_input_channels": _bias(Mul(K, K), C_out, bias) if cg > 1 else None,
            "forgot_output_channels": (Add(w, 1) if bias else w) if C_out > 1 else None,
            "bias_per_position": Add(Mul(K, K, cg, C_out), Mul(C_out, h, h))
            if bias and h > 1 else None,
            "bias_per_input_channel": Add(Mul(K, K, cg, C_out), d["C_in"])
            if bias and d["C_in"] != C_out else None,
            "ignored_groups": _bias(Mul(K, K, d["C_in"]), C_out, bias) if d["groups"] > 1
            else None,
            "squared_instead_of_product": _bias(w, cg, bias) if cg != C_out and cg > 1 else None,
        }
        return {k: Count(e) for k, e in v.items() if e is not None}

    def fc_values(self, d) -> dict:
        n_in = d["C_in"] * d["H"] * d["H"]
        x = Mul(d["C_in"], d["H"], d["H"]) if d["H"] > 1 else Num(d["C_in"])
        out, bias = d["C_out"], d["bias"]
        with_b = lambda e, n: Add(_times(e, n), n)
        v = {
            "answer": with_b(x, out) if bias else _times(x, out),
            "forgot_bias": _times(x, out) if bias else None,
            "counted_absent_bias": with_b(x, out) if not bias else None,
            "fc_forgot_flatten": (with_b(Num(d["C_in"]), out) if bias else Mul(d["C_in"], out))
            if d["H"] > 1 else None,
            "bias_per_input_channel": Add(_times(x, out), n_in) if bias and n_in != out else None,
            "forgot_output_channels": Add(x, 1) if bias else x,
            "squared_instead_of_product": Mul(d["C_in"], d["C_in"]) if d["H"] == 1 and
            d["C_in"] != out else None,
        }
        if d["named"] is not None and d["named"].slip_params and bias:
            v["slide_slip"] = Num(d["named"].slip_params)
        return {k: Count(e) for k, e in v.items() if e is not None}

    def inception_values(self, p) -> dict:
        m, bias, k = INCEPTION[p.module], p.bias, 3 if p.branch == "3x3" else 5
        one = lambda c_in, c_out, b=bias: _bias(Mul(1, 1, c_in), c_out, b)
        conv = lambda kk, c_in, c_out, b=bias: _bias(Mul(kk, kk, c_in), c_out, b)
        if p.branch == "all":
            parts = lambda b: (
                one(m["c_in"], m["n1"], b), one(m["c_in"], m["r3"], b),
                conv(3, m["r3"], m["n3"], b), one(m["c_in"], m["r5"], b),
                conv(5, m["r5"], m["n5"], b), one(m["c_in"], m["pp"], b))
            v = {"answer": Add(*parts(bias)),
                 "forgot_bias": Add(*parts(False)) if bias else None,
                 "counted_absent_bias": Add(*parts(True)) if not bias else None,
                 "inception_naive": Add(one(m["c_in"], m["n1"]), conv(3, m["c_in"], m["n3"]),
                                        conv(5, m["c_in"], m["n5"]), one(m["c_in"], m["pp"])),
                 "counted_pool_params": Add(*parts(bias), Mul(3, 3, m["c_in"])),
                 "forgot_input_channels": Add(_bias(Mul(1, 1), m["n1"] + m["r3"] + m["r5"] +
                                                    m["pp"], bias),
                                              _bias(Mul(3, 3), m["n3"], bias),
                                              _bias(Mul(5, 5), m["n5"], bias))}
        else:
            r, o = (m["r3"], m["n3"]) if k == 3 else (m["r5"], m["n5"])
            v = {"answer": Add(one(m["c_in"], r), conv(k, r, o)),
                 "forgot_bias": Add(one(m["c_in"], r, False), conv(k, r, o, False))
                 if bias else None,
                 "counted_absent_bias": Add(one(m["c_in"], r, True), conv(k, r, o, True))
                 if not bias else None,
                 "inception_naive": conv(k, m["c_in"], o),
                 "forgot_input_channels": Add(_bias(Mul(1, 1), r, bias), _bias(Mul(k, k), o, bias)),
                 "counted_output_positions": Mul(Paren(Add(r, o)), m["h"], m["h"])}
        return {key: Count(e) for key, e in v.items() if e is not None}

    def values(self, p) -> dict:
        """Catalogue key → value (and ``answer``), as ``Count`` products; cached per parameters."""
        return dict(self._values(tuple(sorted(p.items()))))

    @lru_cache(maxsize=4096)
    def _values(self, items) -> tuple:
        return tuple(self._compute_values(P(items)).items())

    def _compute_values(self, p) -> dict:
        d = self.spec(p)
        if d["kind"] == "conv":
            return self.conv_values(d)
        if d["kind"] == "fc":
            return self.fc_values(d)
        if p.layer == "inception":
            return self.inception_values(p)
        if p.layer == "pool":
            return {"answer": Count(Num(0)),
                    "counted_pool_params": Count(Mul(p.K, p.K, p.C_in))}
        return {"answer": Count(Mul(2, p.C_in)),
                "counted_bn_running_stats": Count(Mul(4, p.C_in)),
                "counted_output_positions": Count(Mul(2, p.C_in, p.H, p.H)),
                "bn_forgot_affine": Count(Num(0))}

    def misconceptions(self, p, answer):
        v = self.values(p)
        v.pop("answer")
        if p.form == "product" and p.layer in ("conv", "named") and self.spec(p)["kind"] == "conv":
            # the lectures' option set: A C_out×H′×W′, B C_out×K×K×H′, C without bias
            first = ("counted_output_positions", "counted_output_row", "forgot_bias",
                     "counted_absent_bias")
            primary = {k: v[k] for k in first if k in v}
            return pick(primary, {k: x for k, x in v.items() if k not in primary}, answer,
                        self.n_options - 1)
        return v

    def near_values(self, p, answer, rng):
        a = int(answer)
        if p.layer == "pool":
            h = (p.H - p.K) // p.S + 1
            return [Count(Mul(Paren(Add(Mul(p.K, p.K), 1)), p.C_in)), Count(Mul(p.K, p.K)),
                    Count(Mul(p.C_in, h, h)), Count(Num(p.C_in))]
        if p.layer == "bn":
            return [Count(Num(p.C_in)), Count(Mul(3, p.C_in)), Count(Num(2))]
        expr = answer.expr if isinstance(answer, Count) else Num(a)
        return [Count(Add(expr, 1)) if p.form == "product" else a + 1,
                Count(Mul(2, Paren(expr))) if p.form == "product" else 2 * a,
                a + max(1, a // 10), a - max(1, a // 10)]

    def option(self, value, p):
        return count_option(value, p.form)

    def option_key(self, value, p):
        return count_key(value)

    def numeric(self, p, answer):
        return float(int(answer)), 0.0

    # ---- select all about one conv layer -------------------------------------------------
    def statements(self, p, rng):
        from quizgen.engine import shapes
        K, cin, cout, H = p.K, p.C_in // p.groups, p.C_out, p.H
        h = shapes.conv_out(H, K, p.S, p.P)
        total = int(self.solve(p))
        per = K * K * cin
        pool_k = 2 if K != 2 else 3
        true = [
            Statement((T(f"Each filter has {K} × {K} × {cin} = {fmt(per, group=True)} weights."),),
                      True, explanation=f"A filter spans all {cin} input channels it sees."),
            Statement((T(f"The layer has {fmt(total, group=True)} learnable parameters."),), True,
                      explanation=f"{'(' if p.bias else ''}{K} × {K} × {cin}"
                                  f"{' + 1)' if p.bias else ''} × {cout} = {fmt(total, group=True)}."),
            Statement((T(f"The count stays the same for a {2 * H} × {2 * H} input."),), True,
                      explanation="Weights are shared across positions; the input size only "
                                  "changes the output size."),
            Statement((T(f"A BatchNorm2d on its output adds {2 * cout} learnable parameters."),),
                      True, explanation=f"γ and β per channel: 2 × {cout} = {2 * cout}."),
            Statement((T(f"A {pool_k} × {pool_k} max-pooling layer after it adds no "
                         f"parameters."),), True, explanation="Pooling has no parameters."),
        ]
        false = [
            Statement((T(f"Each filter has {K} × {K} = {K * K} weights."),), False,
                      "forgot_input_channels") if cin > 1 else None,
            Statement((T(f"The layer has {cout} × {h} × {h} = {fmt(cout * h * h, group=True)} "
                         f"learnable parameters."),), False, "counted_output_positions")
            if cout * h * h != total else None,
            Statement((T(f"The count grows 4-fold for a {2 * H} × {2 * H} input."),), False,
                      "counted_output_positions"),
            Statement((T(f"A BatchNorm2d on its output adds {4 * cout} learnable parameters."),),
                      False, "counted_bn_running_stats"),
            Statement((T(f"A {pool_k} × {pool_k} max-pooling layer after it adds "
                         f"{pool_k} × {pool_k} × {cout} = {pool_k * pool_k * cout} "
                         f"parameters."),), False, "counted_pool_params"),
            Statement((T(f"The biases add {cout} × {h} × {h} = {fmt(cout * h * h, group=True)} "
                         f"parameters."),), False, "bias_per_position")
            if p.bias and h > 1 else None,
        ]
        false = [s for s in false if s is not None]
        n_true = 2 + int(rng.integers(2))
        t_idx = rng.permutation(len(true))[:n_true]
        f_idx = rng.permutation(len(false))[:5 - n_true]
        return [true[int(i)] for i in t_idx] + [false[int(i)] for i in f_idx]

    # ---- text ----------------------------------------------------------------------------
    def context(self, p, kind):
        d = self.spec(p)
        ctx = dict(d=d, g=lambda v: fmt(v, group=True))
        if p.layer == "inception":
            m = INCEPTION[p.module]
            ctx.update(m=m, k=3 if p.branch == "3x3" else 5)
        if d["kind"] == "conv":
            from quizgen.engine import shapes
            ctx["h_out"] = shapes.conv_out(d["H"], d["K"], d["S"], d["P"])
        return ctx

    def solution(self, p, answer):
        d = self.spec(p)
        g = lambda v: fmt(v, group=True)
        steps = []
        if d["kind"] == "conv":
            K, cg, cout = d["K"], d["C_in"] // d["groups"], d["C_out"]
            per = K * K * cg
            if d["groups"] > 1:
                steps.append(T(f"With groups = {d['groups']}, each filter sees C_in / groups = "
                               f"{d['C_in']} / {d['groups']} = {cg} channels."))
            sees = f"all C_in = {cg} input channels" if d["groups"] == 1 else \
                f"the {cg} channels of its group"
            steps.append(T(f"Each filter spans {sees}: K × K × {'C_in' if d['groups'] == 1 else '(C_in / groups)'} = ",
                           Mul(K, K, cg), f" = {g(per)} weights"
                           + (", plus 1 bias." if d["bias"] else " (no bias).")))
            unit = per + 1 if d["bias"] else per
            steps.append(T(f"There are C_out = {cout} filters: ", answer.expr,
                           f" = {g(unit)} × {cout} = {g(int(answer))}."))
            steps.append(T("The weights are shared across all output positions, so the input "
                           "size does not change the count."))
        elif d["kind"] == "fc":
            n_in = d["C_in"] * d["H"] * d["H"]
            if d["H"] > 1:
                steps.append(T(f"The {d['C_in']} × {d['H']} × {d['H']} input is flattened: ",
                               Mul(d["C_in"], d["H"], d["H"]), f" = {g(n_in)} features."))
            steps.append(T(f"Each of the {g(d['C_out'])} outputs has {g(n_in)} weights"
                           + (" and 1 bias: " if d["bias"] else " (no bias): "), answer.expr,
                           f" = {g(int(answer))}."))
        elif p.layer == "pool":
            steps.append(T("Pooling computes a fixed function (the maximum or the average) of "
                           "each window: it has no learnable parameters, so the count is 0."))
        elif p.layer == "bn":
            steps.append(T("Batch norm learns one scale γ and one shift β per channel: ",
                           Mul(2, p.C_in), f" = {2 * p.C_in}."))
            steps.append(T(f"The running mean and variance ({2 * p.C_in} numbers) are buffers "
                           f"updated by averaging, not learned by gradient descent."))
        else:
            m = INCEPTION[p.module]
            b = " + 1" if p.bias else ""
            if p.branch == "all":
                steps.append(T(f"Inception {p.module} has four branches on its {m['c_in']} "
                               f"input channels; the 3 × 3 max pool has no parameters:"))
            for name, k, r, o in (("3×3", 3, m["r3"], m["n3"]), ("5×5", 5, m["r5"], m["n5"])):
                if p.branch not in (name.replace("×", "x"), "all"):
                    continue
                a = (m["c_in"] + (1 if p.bias else 0)) * r
                c = (k * k * r + (1 if p.bias else 0)) * o
                steps.append(T(f"{name} branch: 1 × 1 reduction {m['c_in']} → {r}: "
                               f"(1 × 1 × {m['c_in']}{b}) × {r} = {g(a)}; then {k} × {k} conv "
                               f"on the {r} reduced channels: ({k} × {k} × {r}{b}) × {o} = "
                               f"{g(c)}; together {g(a + c)}."))
            if p.branch == "all":
                for name, o in (("1×1", m["n1"]), ("pool projection 1×1", m["pp"])):
                    steps.append(T(f"{name} branch: (1 × 1 × {m['c_in']}{b}) × {o} = "
                                   f"{g((m['c_in'] + (1 if p.bias else 0)) * o)}."))
            steps.append(T(f"Total: {g(int(answer))}."))
        if d["named"] is not None:
            row, _ = layer_row(d["named"].key)
            steps.append(T(f"The engine's {d['named'].model} summary agrees: {row.name} "
                           f"({row.type}) has {g(row.weight_params)} weights + "
                           f"{g(row.bias_params)} biases."))
            if d["named"].slip_params and d["bias"]:
                steps.append(T(f"(A lecture slide prints {g(d['named'].slip_params)} for this "
                               f"layer; the sum is {g(int(answer))}.)"))
        return tuple(steps)


FAMILY = ParamCount()
