"""Multiplications / MACs / FLOPs of a layer, pooling operations, and the symbolic counts of the
DeepRob VGG and ResNet-block slides.

* Conv: MACs = C_out·H′·W′·(C_in/groups)·K·K (one multiply-add per weight per output value);
  multiplications = MACs; FLOPs (hardware convention) = 2·MACs. Biases are not counted.
* FC: MACs = in·out. Pooling (DeepRob): ops = C·H′·W′·K².
* VGG rule (DeepRob): Conv(3×3, C→C) on C×2H×2W → 36HWC² multiply-adds; Conv(3×3, 2C→2C) on
  2C×H×W → 36HWC² too. Basic block 2·9HWC² = 18HWC²; bottleneck on 4C channels
  4HWC² + 9HWC² + 4HWC² = 17HWC². Symbolic answers are derived with sympy.

Verified against the engine: the MAC count from the output shape of a real ``conv2d`` /
``max_pool2d`` run (output elements × C_in·K·K, the im2col product), ``BasicBlock`` /
``Bottleneck`` accounting at concrete sizes, and ``engine.summary`` for named layers.
"""
from __future__ import annotations

from functools import lru_cache

import numpy as np

from quizgen.errors import EngineError, ParamError
from quizgen.families._counting import (NAMED, Count, count_key, count_option, layer_row,
                                        named_keys, pick)
from quizgen.family import Family, P, Param
from quizgen.mathexpr import Mul, Num, Paren, Pow, Seq, Sub, Sym
from quizgen.model import T
from quizgen.numbers import fmt

LAYERS = ("conv", "fc", "pool", "vgg", "block", "named")
COUNTS = ("mults", "macs", "flops")
#: VGG stages: (spatial factor f, channel factor m): input m·C × f·H × f·W, conv m·C → m·C.
STAGES = {"C_2H": (2, 1), "2C_H": (1, 2), "C_H": (1, 1)}
#: residual blocks as (C_in, C_out, K) in units of C (all stride 1, output H × W)
BLOCKS = {"basic": ((1, 1, 3), (1, 1, 3)), "bottleneck": ((4, 1, 1), (1, 1, 3), (1, 4, 1))}

_CONV_H = {"paper": (5, 6, 7, 8, 28, 32, 224), "standard": (13, 27, 28, 32, 56, 112, 224, 227),
           "challenge": (14, 28, 56, 112, 224)}
DOMAINS = {
    "conv": dict(H=_CONV_H,
                 C_in={"paper": (1, 3, 3), "standard": (3, 16, 32, 64, 128),
                       "challenge": (64, 128, 256)},
                 C_out={"paper": (2, 4, 6, 8, 16, 64), "standard": (16, 32, 64, 96, 128),
                        "challenge": (128, 256, 512)},
                 K={"paper": (1, 2, 3, 5), "standard": (1, 3, 5, 7, 11), "challenge": (1, 3, 5)},
                 S={"paper": (1,), "standard": (1, 2), "challenge": (1, 2)},
                 P={"paper": (0,), "standard": (0, 1), "challenge": (0, 1, 2)},
                 groups={"paper": (1,), "standard": (1,), "challenge": (1, 2, 4, 8)}),
    "fc": dict(H={"paper": (1, 1, 2, 4), "standard": (1, 4, 5, 6, 7), "challenge": (1, 6, 7)},
               C_in={"paper": (4, 8, 10, 16, 84, 120),
                     "standard": (16, 64, 84, 120, 256, 512, 4096),
                     "challenge": (256, 512, 1024, 2048, 4096)},
               C_out={"paper": (2, 3, 5, 10), "standard": (10, 84, 100, 120, 500, 1000),
                      "challenge": (1000, 4096)}),
    "pool": dict(H={"paper": (4, 6, 8, 12, 16, 28), "standard": (13, 27, 28, 55, 56, 112),
                    "challenge": (27, 55, 56, 112, 224)},
                 C_in={"paper": (1, 3, 6, 16), "standard": (64, 96, 192, 256),
                       "challenge": (96, 256, 480, 832)},
                 K=(2, 3), S=(1, 2, 3)),
    "vgg": dict(stage=tuple(STAGES), K={"standard": (3,), "challenge": (3, 5)}),
    "block": dict(block=tuple(BLOCKS)),
    "named": dict(named={"standard": named_keys("conv", "fc", "pool")[:18],
                         "challenge": named_keys("conv", "fc", "pool")}),
}
RELEVANT = {
    "conv": ("H", "C_in", "C_out", "K", "S", "P", "groups", "count", "form"),
    "fc": ("H", "C_in", "C_out", "count", "form"),
    "pool": ("H", "C_in", "K", "S", "form"),
    "vgg": ("stage", "K", "count"),
    "block": ("block", "count"),
    "named": ("named", "count", "form"),
}


class Mono(tuple):
    """A monomial ``coef · H^h · W^w · C^c`` as ``(coef, h, w, c)`` (JSON: a list)."""

    def __new__(cls, coef, h, w, c):
        return tuple.__new__(cls, (int(coef), int(h), int(w), int(c)))

    def expr(self):
        coef, *exps = self
        parts = [Num(coef)] if coef != 1 or not any(exps) else []
        for name, e in zip("HWC", exps):
            if e:
                parts.append(Sym(name) if e == 1 else Pow(Sym(name), e))
        return Seq(*parts)

    def at(self, h: int, w: int, c: int) -> int:
        return self[0] * h ** self[1] * w ** self[2] * c ** self[3]


@lru_cache(maxsize=None)
def sym_macs(convs: tuple, f: int = 1, factor: int = 1, drop_input_channels: bool = False,
             drop_output_size: bool = False) -> Mono:
    """Derive ``Σ (f·H)(f·W)·(cout·C)·(cin·C)·k²`` (× ``factor``) with sympy as one monomial.

    ``convs``: ``(cin, cout, k)`` in units of C. The flags model misconceptions (the input
    channels or the output positions left out).
    """
    import sympy
    H, W, C = sympy.symbols("H W C", positive=True)
    total = 0
    for cin, cout, k in convs:
        positions = 1 if drop_output_size else (f * H) * (f * W)
        total += positions * (cout * C) * (1 if drop_input_channels else cin * C) * k ** 2
    poly = sympy.Poly(sympy.expand(total * factor), H, W, C)
    (exps, coef), = poly.terms()
    return Mono(int(coef), *exps)


@lru_cache(maxsize=4096)
def _engine_conv_macs(h: int, k: int, s: int, p: int, c_out: int, c_in_per_group: int) -> int:
    """MACs from a real engine run: output elements (from the real output shape) × the weights
    each output element uses."""
    from quizgen.engine import functional as F
    y = F.conv2d(np.zeros((1, 1, h, h)), np.zeros((1, 1, k, k)), stride=s, padding=p)
    return c_out * y.shape[2] * y.shape[3] * c_in_per_group * k * k


@lru_cache(maxsize=4096)
def _engine_pool_ops(h: int, k: int, s: int, c: int) -> int:
    from quizgen.engine import functional as F
    y = F.max_pool2d(np.zeros((1, 1, h, h)), k, s)
    return c * y.shape[2] * y.shape[3] * k * k


@lru_cache(maxsize=None)
def _engine_symbolic(kind: str, key: str, k: int) -> tuple:
    """(MACs, H, W, C) of a real engine run / block at a concrete size, to check a monomial."""
    from quizgen.engine import functional as F, layers as L
    h, w, c = 3, 5, 2
    if kind == "vgg":
        f, m = STAGES[key]
        y = F.conv2d(np.zeros((1, m * c, f * h, f * w)), np.zeros((m * c, m * c, k, k)),
                     padding=k // 2)
        return y.size * (m * c) * k * k, h, w, c
    block = L.BasicBlock(c, c) if key == "basic" else L.Bottleneck(4 * c, c)
    return block.cost((1, (1 if key == "basic" else 4) * c, h, w)).macs, h, w, c


class MultCount(Family):
    name = "mult_count"
    title = "Multiplications, MACs or FLOPs of a conv/FC layer, pooling ops, VGG and ResNet blocks"
    kinds = ("single", "numeric")
    tags = ("compute", "counting")
    params = (
        Param("layer", "what to count: conv | fc | pool (pooling ops) | vgg (symbolic VGG "
              "rule) | block (ResNet basic/bottleneck, symbolic) | named (a layer of a "
              "reference network)", type="str",
              domain={"paper": ("conv", "conv", "conv", "fc", "pool"),
                      "standard": ("conv", "conv", "fc", "pool", "vgg", "block", "named"),
                      "challenge": ("conv", "fc", "vgg", "block", "named", "named")},
              choices=LAYERS),
        Param("count", "mults (scalar multiplications = MACs), macs (multiply-adds, one each; "
              "DeepRob's and the ResNet paper's 'FLOPs') or flops (hardware: 2 × MACs)",
              type="str", domain={"paper": ("mults",), "standard": ("mults", "macs", "flops"),
                                  "challenge": ("macs", "flops")}, choices=COUNTS,
              sampled=False),
        Param("H", "input height = width (fc: side of the flattened map; 1 = a vector)", lo=1,
              hi=4096, sampled=False),
        Param("C_in", "input channels (fc: channels of the flattened map or vector length)",
              lo=1, hi=100_000, sampled=False),
        Param("C_out", "filters (fc: output features)", lo=1, hi=100_000, sampled=False),
        Param("K", "kernel / window size", lo=1, hi=64, sampled=False),
        Param("S", "stride", lo=1, hi=16, sampled=False),
        Param("P", "zero padding per side", lo=0, hi=32, sampled=False),
        Param("groups", "conv groups", lo=1, hi=4096, sampled=False),
        Param("stage", "VGG rule: C_2H (C×2H×2W input, conv C→C), 2C_H (2C×H×W, conv 2C→2C) "
              "or C_H (C×H×W, conv C→C)", type="str", choices=tuple(STAGES), sampled=False),
        Param("block", "ResNet block: basic (two 3×3 C→C) or bottleneck (1×1 4C→C, 3×3 C→C, "
              "1×1 C→4C)", type="str", choices=tuple(BLOCKS), sampled=False),
        Param("named", "named layer <model>.<layer>", type="str",
              choices=named_keys("conv", "fc", "pool"), sampled=False),
        Param("form", "options as unevaluated products like the lectures (product) or numbers",
              type="str", domain={"paper": ("product",), "standard": ("number",),
                                  "challenge": ("number",)}, choices=("product", "number"),
              sampled=False),
    )

    def sample(self, rng, difficulty, fixed):
        p = super().sample(rng, difficulty, fixed)  # layer
        layer = p["layer"]
        for key in RELEVANT[layer]:
            if key in p:
                continue
            if key in ("count", "form"):
                p[key] = self.param(key).sample(rng, difficulty)
                continue
            if key == "groups" and difficulty == "challenge":
                ok = [g for g in (1, 2, 4, 8) if p["C_in"] % g == 0 and p["C_out"] % g == 0]
                p[key] = ok[int(rng.integers(len(ok)))]
                continue
            dom = DOMAINS[layer][key]
            values = (dom.get(difficulty) or dom["standard"]) if isinstance(dom, dict) else dom
            p[key] = values[int(rng.integers(len(values)))]
        if layer in ("vgg", "block") and p.get("count") == "mults" and "count" not in fixed:
            p["count"] = "macs"
        if layer == "named" and NAMED[p["named"]].kind == "pool" and "count" not in fixed:
            del p["count"]
        return p

    def check(self, p):
        err = lambda msg, key: ParamError(msg, family=self.name, param=key, value=p.get(key))
        for key in RELEVANT[p.layer]:
            if key not in p and not (p.layer == "named" and key == "count"):
                raise ParamError(f"needs {key} for layer={p.layer}", family=self.name, param=key)
        if p.layer in ("conv", "pool") and p.K > p.H + 2 * p.get("P", 0):
            raise err(f"kernel {p.K} is larger than the padded input", "K")
        if p.layer == "conv":
            if p.P and p.P >= p.K:
                raise err("padding must be smaller than the kernel", "P")
            if p.C_in % p.groups or p.C_out % p.groups:
                raise err(f"groups must divide C_in = {p.C_in} and C_out = {p.C_out}", "groups")
        if p.layer == "vgg" and p.K % 2 == 0:
            raise err("the VGG rule needs an odd kernel (padding (K − 1)/2 keeps the size)", "K")

    # ---- what is counted -----------------------------------------------------------------
    def spec(self, p) -> dict:
        if p.layer == "named":
            n = NAMED[p.named]
            return dict(kind=n.kind, H=n.h, C_in=n.c_in, C_out=n.c_out, K=n.k, S=n.s, P=n.p,
                        groups=1, named=n)
        return dict(kind=p.layer, H=p.get("H"), C_in=p.get("C_in"), C_out=p.get("C_out"),
                    K=p.get("K"), S=p.get("S", 1), P=p.get("P", 0), groups=p.get("groups", 1),
                    named=None)

    def counting(self, p) -> str:
        """mults | macs | flops | pool (pooling ops)."""
        return "pool" if self.spec(p)["kind"] == "pool" else p.get("count", "macs")

    def solve(self, p):
        from quizgen.engine import shapes
        d, factor = self.spec(p), 2 if p.get("count") == "flops" else 1
        answer = self.values(p)["answer"]
        if d["kind"] in ("vgg", "block"):
            engine, h, w, c = _engine_symbolic(d["kind"], p.stage if d["kind"] == "vgg"
                                               else p.block, p.get("K", 3))
            self.verify(answer.at(h, w, c), factor * engine,
                        f"symbolic count at H={h}, W={w}, C={c} (sympy vs engine)")
            return answer
        if d["kind"] == "conv":
            h = shapes.conv_out(d["H"], d["K"], d["S"], d["P"])
            cg = d["C_in"] // d["groups"]
            closed = shapes.conv_macs(d["C_in"], d["C_out"], d["K"], d["K"], h, h, d["groups"])
            try:
                engine = _engine_conv_macs(d["H"], d["K"], d["S"], d["P"], d["C_out"], cg)
            except EngineError as err:
                raise ParamError(str(err), family=self.name) from None
        elif d["kind"] == "fc":
            from quizgen.engine import layers as L
            n_in = d["C_in"] * d["H"] * d["H"]
            closed = shapes.linear_macs(n_in, d["C_out"])
            engine = L.Linear(n_in, d["C_out"]).cost((1, n_in)).macs
        else:
            h = shapes.pool_out(d["H"], d["K"], d["S"], d["P"])
            closed = shapes.pool_ops(d["C_in"], h, h, d["K"])
            engine = _engine_pool_ops(d["H"], d["K"], d["S"], d["C_in"]) if not d["P"] else closed
        self.verify(closed, engine, "MAC count (closed form vs engine output shape)")
        if d["named"] is not None:
            row, _ = layer_row(d["named"].key)
            self.verify(closed, row.pool_ops if d["kind"] == "pool" else row.macs,
                        f"{d['named'].title} (engine.summary)")
        if self.counting(p) == "flops":
            closed *= 2
        return self.verify(answer, closed, "the option's product")

    def sym_layers(self, p):
        if p.layer == "vgg":
            f, m = STAGES[p.stage]
            return ((m, m, p.K),), f
        return BLOCKS[p.block], 1

    # ---- values --------------------------------------------------------------------------
    def values(self, p) -> dict:
        return dict(self._values(tuple(sorted(p.items()))))

    @lru_cache(maxsize=4096)
    def _values(self, items) -> tuple:
        p = P(items)
        d = self.spec(p)
        if d["kind"] in ("vgg", "block"):
            return tuple(self.symbolic_values(p).items())
        kind = self.counting(p)
        two = kind == "flops"
        x2 = lambda e: Mul(2, *(e.args if isinstance(e, Mul) else (e,))) if two else e
        if d["kind"] == "conv":
            from quizgen.engine import shapes
            K, co, ci = d["K"], d["C_out"], d["C_in"] // d["groups"]
            h = shapes.conv_out(d["H"], K, d["S"], d["P"])
            v = {
                "answer": x2(Mul(co, ci, K, K, h, h)),
                "forgot_input_channels": x2(Mul(co, K, K, h, h)) if ci > 1 else None,
                "counted_output_row": x2(Mul(co, K, K, h)) if h > 1 else None,
                "forgot_output_channels": x2(Mul(ci, K, K, h, h)) if co > 1 else None,
                "one_output_row": x2(Mul(co, ci, K, K, h)) if h > 1 else None,
                "used_input_size": x2(Mul(co, ci, K, K, d["H"], d["H"])) if d["H"] != h else None,
                "forgot_output_size": x2(Mul(co, ci, K, K)),
                "macs_vs_flops": Mul(2, co, ci, K, K, h, h) if not two else None,
                "flops_vs_macs": Mul(co, ci, K, K, h, h) if two else None,
                "counted_additions_only": Mul(co, h, h, Paren(Sub(Mul(ci, K, K), 1)))
                if not two and ci * K * K > 1 else None,
                "ignored_groups": x2(Mul(co, d["C_in"], K, K, h, h)) if d["groups"] > 1 else None,
            }
        elif d["kind"] == "fc":
            x = (d["C_in"], d["H"], d["H"]) if d["H"] > 1 else (d["C_in"],)
            n_in, out = d["C_in"] * d["H"] ** 2, d["C_out"]
            v = {
                "answer": x2(Mul(*x, out)),
                "macs_vs_flops": Mul(2, *x, out) if not two else None,
                "flops_vs_macs": Mul(*x, out) if two else None,
                "fc_forgot_flatten": x2(Mul(d["C_in"], out)) if d["H"] > 1 else None,
                "counted_additions_only": Mul(Paren(Sub(Mul(*x) if len(x) > 1 else Num(n_in), 1)),
                                              out) if not two else None,
                "forgot_output_channels": x2(Mul(*x) if len(x) > 1 else Num(n_in)),
            }
        else:
            from quizgen.engine import shapes
            K, c = d["K"], d["C_in"]
            h = shapes.pool_out(d["H"], K, d["S"], d["P"])
            v = {
                "answer": Mul(c, h, h, K, K),
                "pool_ops_forgot_kernel": Mul(c, h, h),
                "used_input_size": Mul(c, d["H"], d["H"], K, K) if d["H"] != h else None,
                "forgot_input_channels": Mul(h, h, K, K) if c > 1 else None,
                "counted_pool_params": Mul(K, K, c),
            }
        return tuple((k, Count(e)) for k, e in v.items() if e is not None)

    def symbolic_values(self, p) -> dict:
        convs, f = self.sym_layers(p)
        two = p.count == "flops"
        factor = 2 if two else 1
        v = {
            "answer": sym_macs(convs, f, factor),
            "macs_vs_flops": sym_macs(convs, f, 2) if not two else None,
            "flops_vs_macs": sym_macs(convs, f, 1) if two else None,
            "forgot_input_channels": sym_macs(convs, f, factor, drop_input_channels=True),
            "forgot_output_size": sym_macs(convs, f, factor, drop_output_size=True),
        }
        if p.layer == "vgg":
            fm, m = STAGES[p.stage]
            if fm == 2:
                v["dropped_size_factor"] = sym_macs(convs, 1, factor)
            if m == 2:
                v["forgot_channel_growth"] = sym_macs(((1, 1, p.K),), fm, factor)
        elif p.block == "basic":
            v["basic_as_bottleneck"] = sym_macs(BLOCKS["bottleneck"], 1, factor)
        else:
            v["bottleneck_as_basic"] = sym_macs(((4, 4, 3), (4, 4, 3)), 1, factor)
        return {k: x for k, x in v.items() if x is not None}

    def misconceptions(self, p, answer):
        v = self.values(p)
        v.pop("answer")
        if p.get("form") == "product" and self.spec(p)["kind"] == "conv":
            # the lectures' Q3-1 set: C_out×K×K×H′×W′, C_out×K×K×H′, and one filter's count
            first = ("forgot_input_channels", "counted_output_row", "forgot_output_channels")
            primary = {k: v[k] for k in first if k in v}
            return pick(primary, {k: x for k, x in v.items() if k not in primary}, answer,
                        self.n_options - 1)
        return v

    def near_values(self, p, answer, rng):
        if isinstance(answer, Mono):
            coef, *e = answer
            return [Mono(c, *e) for c in (coef * 2, coef + 9, max(1, coef // 2), coef + 1,
                                          coef * 4) if c != coef]
        a = int(answer)
        expr = answer.expr if isinstance(answer, Count) else Num(a)
        if p.get("form") == "product":
            return [Count(Mul(expr, 3)), Count(Mul(expr, 4)), Count(Mul(Paren(expr), 9))]
        return [a + max(1, a // 10), a - max(1, a // 10), 3 * a, a * 9]

    def option(self, value, p):
        if isinstance(value, Mono):
            return (T(value.expr()),)
        return count_option(value, p.get("form", "number"))

    def option_key(self, value, p):
        if isinstance(value, Mono):
            if value[0] < 1:
                raise ValueError("non-positive coefficient")
            return repr(tuple(value))
        return count_key(value)

    def numeric(self, p, answer):
        return float(answer[0] if isinstance(answer, Mono) else int(answer)), 0.0

    # ---- text ----------------------------------------------------------------------------
    def context(self, p, kind):
        d = self.spec(p)
        ctx = dict(d=d, counting=self.counting(p), g=lambda v: fmt(v, group=True))
        if d["kind"] == "conv":
            from quizgen.engine import shapes
            ctx["h_out"] = shapes.conv_out(d["H"], d["K"], d["S"], d["P"])
        if p.layer == "vgg":
            f, m = STAGES[p.stage]
            ctx.update(f=f, m=m)
        if kind == "numeric" and p.layer in ("vgg", "block"):
            ctx["shape_expr"] = Mono(1, *self.values(p)["answer"][1:]).expr()
        return ctx

    def solution(self, p, answer):
        d = self.spec(p)
        g = lambda v: fmt(v, group=True)
        kind = self.counting(p)
        two = kind == "flops"
        steps = []
        if d["kind"] in ("vgg", "block"):
            convs, f = self.sym_layers(p)
            fsym = "" if f == 1 else f"{f}"
            for cin, cout, k in convs:
                cs = lambda n: "C" if n == 1 else f"{n}C"
                one = sym_macs(((cin, cout, k),), f, 1)
                steps.append(T(f"Conv {k} × {k}, {cs(cin)} → {cs(cout)}: the output has "
                               f"{cs(cout)} × {fsym}H × {fsym}W values, each needs {k} × {k} × "
                               f"{cs(cin)} multiply-adds: ({cs(cout)} × {fsym}H × {fsym}W) × "
                               f"({k} × {k} × {cs(cin)}) = ", Mono(f * f * cout, 1, 1, 1).expr(),
                               " × ", Mono(k * k * cin, 0, 0, 1).expr(), " = ", one.expr(), "."))
            if len(convs) > 1:
                steps.append(T("Sum: ", sym_macs(convs, f, 1).expr(), " multiply-adds."))
            if two:
                steps.append(T("FLOPs = 2 × MACs = ", answer.expr(), "."))
            elif p.layer == "vgg":
                steps.append(T("Answer: ", answer.expr(), "."))
            engine, h, w, c = _engine_symbolic(p.layer, p.stage if p.layer == "vgg" else p.block,
                                               p.get("K", 3))
            steps.append(T(f"Check with a real run at H = {h}, W = {w}, C = {c}: "
                           f"{g(engine)} MACs = ", sym_macs(convs, f, 1).expr(),
                           " with these values."))
            return tuple(steps)
        if d["kind"] == "conv":
            from quizgen.engine import shapes
            K, co, ci = d["K"], d["C_out"], d["C_in"] // d["groups"]
            h = shapes.conv_out(d["H"], K, d["S"], d["P"])
            steps.append(T(f"Output size: H′ = W′ = ⌊({d['H']} + 2 × {d['P']} − {K}) / {d['S']}⌋ "
                           f"+ 1 = {h}, so the output has C_out × H′ × W′ = {co} × {h} × {h} = "
                           f"{g(co * h * h)} values."))
            art = "an" if str(K).startswith("8") or K in (11, 18) else "a"
            steps.append(T(f"Each output value is the dot product of {art} {K} × {K} × {ci} filter "
                           f"with an input window: {K} × {K} × {ci} = {g(K * K * ci)} "
                           f"multiply-adds" + (" (each filter sees C_in / groups channels)"
                                               if d["groups"] > 1 else "") + "."))
            macs = co * h * h * K * K * ci
            steps.append(T(f"MACs = {co} × {h} × {h} × {g(K * K * ci)} = ",
                           Mul(co, ci, K, K, h, h), f" = {g(macs)}."))
        elif d["kind"] == "fc":
            n_in = d["C_in"] * d["H"] ** 2
            if d["H"] > 1:
                steps.append(T(f"The {d['C_in']} × {d['H']} × {d['H']} input is flattened to "
                               f"{g(n_in)} features."))
            macs = n_in * d["C_out"]
            steps.append(T(f"Each of the {g(d['C_out'])} outputs needs {g(n_in)} multiply-adds: "
                           f"{g(n_in)} × {g(d['C_out'])} = {g(macs)}."))
        else:
            from quizgen.engine import shapes
            K, c = d["K"], d["C_in"]
            h = shapes.pool_out(d["H"], K, d["S"], d["P"])
            steps.append(T(f"Output: H′ = W′ = ⌊({d['H']} + 2 × {d['P']} − {K}) / {d['S']}⌋ + 1 = "
                           f"{h}; pooling keeps the {c} channels."))
            steps.append(T(f"(C × H′ × W′) × (K × K) = ({c} × {h} × {h}) × ({K} × {K}) = ",
                           f"{g(c * h * h)} × {K * K} = {g(int(answer))} operations."))
        if kind == "flops":
            steps.append(T(f"FLOPs count the multiplication and the addition: 2 × {g(macs)} = "
                           f"{g(int(answer))}."))
        elif kind == "mults":
            steps.append(T(f"One multiplication per multiply-add: {g(int(answer))} "
                           f"multiplications."))
        if d["named"] is not None:
            row, _ = layer_row(d["named"].key)
            what = f"{g(row.pool_ops)} pooling ops" if d["kind"] == "pool" else \
                f"{g(row.macs)} MACs"
            steps.append(T(f"The engine's {d['named'].model} summary agrees: {row.name} "
                           f"({row.type}) → {what}."))
        return tuple(steps)


FAMILY = MultCount()
