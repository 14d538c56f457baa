"""Tracing a reference network: shapes, flatten size, params/MACs/memory, heaviest layer, depth.

Networks (``model``): LeNet-5 of the slides' PyTorch code (1-6-16, FC 400-120-84-10, at 28×28
with padding 2 or 32×32 without), DeepRob's LeNet (20/50, FC 2450-500-10), AlexNet as in the
DeepRob table (64-192-384-256-256 at 227×227), VGG-16, the GoogLeNet stem, ResNet-18/34/50
(and 101/152 for depth counting). Questions (``what``):

* ``shape``: C×H′×W′ after a named layer (ResNet: after a stage). ``flatten``: the flattened
  size (400, 2450, 9216, 25088, 512/2048).
* ``params`` / ``macs`` / ``memory``: of a named layer. Params = (K·K·C_in + 1)·C_out for a conv,
  in·out + out for a linear layer, 0 for pooling; MACs = (C_out·H′·W′)·(C_in·K·K) or in·out;
  memory = C·H′·W′·4 bytes / 1024, rounded half up (DeepRob).
* ``most``: which layer holds the most parameters, activation memory or compute.
* ``depth``: ResNet weight layers, 1 + (2 or 3)·Σblocks + 1.
* ``total_params`` / ``total_macs``: the whole network; ``total_memory``: the activation values
  of one forward pass, input included, as CS231n's VGG table counts them (15.24M for VGG-16).

Every answer is read from the engine's ``summary`` of the engine's model and checked with
``verify`` against an independent lecture-style description of the same network costed with the
``engine/shapes.py`` closed forms (``families/_archs.py``). Where a lecture slide prints a number
that does not add up (DeepRob's FC6 "37,725,832", the GoogLeNet stem's "MFLOP 418", VGG-16's
"13.6 GFLOP", CS231n's VGG "TOTAL memory: 24M"), that number is offered as a distractor tagged
``slide_slip`` — never as the answer.
"""
from __future__ import annotations

from fractions import Fraction
from functools import lru_cache

from quizgen.errors import ParamError, VerificationError
from quizgen.families._archs import NAMES, Arch, Layer, arch, engine_summary
from quizgen.family import Family, P, Param, Statement
from quizgen.mathexpr import Add, Div, Floor, Mul, Num, Paren, Sub, shape
from quizgen.model import Table, T
from quizgen.numbers import fmt, round_half_up

WHATS = ("shape", "flatten", "params", "macs", "memory", "most", "depth", "total_params",
         "total_macs", "total_memory")
TOTALS = ("total_params", "total_macs", "total_memory")
LAYER_WHATS = ("shape", "params", "macs", "memory")
METRICS = ("params", "memory", "macs")
RESNETS = ("resnet18", "resnet34", "resnet50", "resnet101", "resnet152")
STAGES = ("layer1", "layer2", "layer3", "layer4")
PAPER_STAGE = {"layer1": "conv2_x", "layer2": "conv3_x", "layer3": "conv4_x", "layer4": "conv5_x"}

#: Lecture slips: (model, what, layer) → the slide's number (in the question's own unit).
SLIPS = {
    ("alexnet", "params", "FC6"): 37_725_832,        # DeepRob: 9216·4096 + 4096 "= 37,725,832"
    ("alexnet", "total_params", None): 61_100_840 - 27_000,  # the table summed with that FC6
    ("googlenet_stem", "total_macs", None): 418,     # DeepRob: "MFLOP: 418" (rows sum to 481)
    ("vgg16", "total_macs", None): 13_600,           # DeepRob: "VGG-16 total: 13.6 GFLOP"
    ("vgg16", "total_memory", None): 24,             # CS231n: "TOTAL memory: 24M" (rows: 15.24M)
}

_MODELS = {
    "paper": ("lenet5", "lenet5_32", "lenet_deeprob", "alexnet", "googlenet_stem", "resnet18",
              "resnet34", "resnet50"),
    "standard": ("lenet5", "lenet5_32", "lenet_deeprob", "alexnet", "vgg16", "googlenet_stem",
                 "resnet18", "resnet34", "resnet50"),
    "challenge": NAMES,
}
_WHATS = {
    "paper": ("shape", "flatten", "params", "macs", "most", "depth"),
    "standard": ("shape", "flatten", "params", "macs", "memory", "most", "depth",
                 "total_params", "total_memory"),
    "challenge": WHATS,
}


class Counted(int):
    """An integer that remembers the unevaluated product it was computed from, so an option can
    read "(11 × 11 × 3 + 1) × 64" while the distinctness key is its value."""

    def __new__(cls, expr):
        obj = super().__new__(cls, expr.value())
        obj.expr = expr
        return obj


def _kb(elements: int) -> int:
    """float32 KB as the DeepRob table prints it: elements·4/1024 rounded half up."""
    return round_half_up(Fraction(elements * 4, 1024))


def _conv_params_expr(L: Layer, *, c_in=None, c_out=None, k=None, bias=None):
    c_in = L.c_in if c_in is None else c_in
    c_out = L.c_out if c_out is None else c_out
    k = L.k if k is None else k
    bias = L.bias if bias is None else bias
    kernel = Mul(k, k, c_in) if c_in > 1 else Mul(k, k)
    return Mul(Paren(Add(kernel, 1)), c_out) if bias else Mul(kernel, c_out)


def _fc_params_expr(n_in: int, n_out: int, bias: bool = True):
    return Add(Mul(n_in, n_out), n_out) if bias else Mul(n_in, n_out)


def _conv_macs_expr(L: Layer, *, c_in=None, h=None, w=None, c_out=None):
    c_in = L.c_in if c_in is None else c_in
    c_out = L.c_out if c_out is None else c_out
    h = L.h_out if h is None else h
    w = L.w_out if w is None else w
    return Mul(c_out, h, w, c_in, L.k, L.k)


@lru_cache(maxsize=None)
def _summary_rows(key: str) -> dict:
    """Engine summary rows of network ``key`` by module name."""
    return {r.name: r for r in engine_summary(key).rows}


class NetworkTrace(Family):
    name = "network_trace"
    title = "Tracing LeNet/AlexNet/VGG/GoogLeNet/ResNet: shapes, params, MACs, memory, depth"
    kinds = ("single", "numeric", "multiple")
    tags = ("architectures", "network-trace")
    params = (
        Param("model", "network: LeNet-5 of the slides' code at 28×28 (lenet5) or 32×32 "
              "(lenet5_32), DeepRob's LeNet, AlexNet at 227×227, VGG-16, the GoogLeNet stem, "
              "ResNet-18/34/50 (101/152: depth and totals only)", type="str", domain=_MODELS,
              choices=NAMES),
        Param("what", "what is asked: shape (after a layer), flatten (size), params / macs / "
              "memory (of a layer), most (which layer leads in `metric`), depth (ResNet weight "
              "layers), total_params, total_macs, total_memory (activation values of one "
              "forward pass, input included, as in CS231n's VGG table)", type="str",
              domain=_WHATS, choices=WHATS),
        Param("layer", "layer name as in the lecture table (Conv2, FC6, conv3_1, fc1, "
              "max_pool_1, layer3.0.conv2; ResNet stage outputs: layer1..layer4); drawn when "
              "not given", type="str", sampled=False),
        Param("metric", "for what=most: params, memory or macs", type="str", choices=METRICS,
              sampled=False),
        Param("style", "count options as unevaluated products like the seeds' "
              "(3×3×3 + 1)×64 ('expression') or as numbers ('number'; slide slips appear only "
              "then)", type="str", choices=("expression", "number"), sampled=False,
              domain={"paper": ("expression",), "standard": ("expression",),
                      "challenge": ("number",)}),
        Param("trace", "leave the earlier layers' outputs blank in the table, so the shapes must "
              "be traced from the input", type="bool", sampled=False,
              domain={"paper": (False,), "standard": (True, False), "challenge": (True,)}),
    )

    # ---- what applies where --------------------------------------------------------------
    @staticmethod
    def whats_for(a: Arch) -> tuple[str, ...]:
        if a.is_resnet:
            big = a.key in ("resnet101", "resnet152")
            return ("depth", "total_params", "total_macs") if big else \
                ("shape", "flatten", "params", "macs", "depth", "total_params", "total_macs")
        out = [w for w in WHATS if w != "depth"]  # total_memory: ResNet's BN rows blur it
        if not any(L.kind == "flatten" for L in a.layers):
            out.remove("flatten")
        return tuple(out)

    @staticmethod
    def layers_for(a: Arch, what: str) -> tuple[str, ...]:
        """Names a ``what`` question may ask about."""
        if a.is_resnet:
            main = [L.name for L in a.layers if L.kind == "conv" and "downsample" not in L.name]
            return {"shape": ("conv1", "maxpool") + STAGES,
                    "params": tuple(main) + ("fc",),
                    "macs": tuple(main) + ("fc",)}.get(what, ())
        kinds = {"shape": ("conv", "pool"), "params": ("conv", "pool", "fc"),
                 "macs": ("conv", "fc"), "memory": ("conv", "pool", "fc")}.get(what, ())
        return tuple(L.name for L in a.layers if L.kind in kinds)

    def sample(self, rng, difficulty, fixed):
        p = dict(fixed)
        pick = lambda seq: seq[int(rng.integers(len(seq)))]
        whats = self.param("what").values_for(difficulty)
        if "model" not in p:
            models = [m for m in self.param("model").values_for(difficulty)
                      if self._fits(arch(m), p)] or list(self.param("model").values_for(difficulty))
            p["model"] = pick(models)
        a = arch(p["model"])
        if "what" not in p:
            options = [w for w in whats if w in self.whats_for(a)
                       and ("layer" not in p or p["layer"] in self.layers_for(a, w))
                       and ("metric" not in p or w == "most")] or list(whats)
            p["what"] = pick(options)
        if p["what"] in LAYER_WHATS and "layer" not in p and self.layers_for(a, p["what"]):
            p["layer"] = pick(self.layers_for(a, p["what"]))
        if p["what"] == "most" and "metric" not in p:
            p["metric"] = pick(METRICS)
        for prm in (self.param("style"), self.param("trace")):
            if prm.name not in p:
                p[prm.name] = prm.sample(rng, difficulty)
        return p

    def _fits(self, a: Arch, p: dict) -> bool:
        what = p.get("what")
        if what is not None and what not in self.whats_for(a):
            return False
        if "layer" in p:
            return any(p["layer"] in self.layers_for(a, w) for w in
                       ([what] if what else LAYER_WHATS))
        return True

    def check(self, p):
        a = arch(p.model)
        if p.what not in self.whats_for(a):
            raise ParamError(f"not asked about {p.model}; for it choose one of "
                             f"{', '.join(self.whats_for(a))}", family=self.name, param="what",
                             value=p.what)
        if p.what in LAYER_WHATS:
            names = self.layers_for(a, p.what)
            if "layer" not in p:
                raise ParamError(f"what={p.what} needs a layer", family=self.name, param="layer")
            if p.layer not in names:
                shown = ", ".join(names[:16]) + (", ..." if len(names) > 16 else "")
                raise ParamError(f"{p.model} has no layer of that name for what={p.what}; "
                                 f"layers: {shown}", family=self.name, param="layer",
                                 value=p.layer)
        elif p.get("layer") is not None:
            raise ParamError(f"not used when what={p.what}", family=self.name, param="layer",
                             value=p.layer)
        if p.what == "most":
            if p.get("metric") is None:
                raise ParamError("what=most needs a metric", family=self.name, param="metric")
        elif p.get("metric") is not None:
            raise ParamError(f"only used with what=most, not what={p.what}", family=self.name,
                             param="metric", value=p.metric)

    def check_kind(self, p, kind):
        if kind == "numeric" and p.what == "most":
            raise ParamError("what=most names a layer; it has no numeric answer",
                             family=self.name, param="kind", value=kind)
        if kind == "multiple" and p.what in TOTALS:
            raise ParamError(f"what={p.what} has one number; it makes no select-all question",
                             family=self.name, param="kind", value=kind)

    # ---- answers, read from the engine summary and checked against the closed forms -------
    @staticmethod
    def _rows(key: str) -> dict:
        return _summary_rows(key)

    def macs_unit(self, a: Arch) -> int:
        """Totals of 10 million MACs and more are asked in millions (M)."""
        return 10 ** 6 if a.total_macs >= 10 ** 7 else 1

    @staticmethod
    def activations(a: Arch) -> int:
        """Values stored by one forward pass as CS231n's VGG table counts them: the input and
        every conv, pool and FC output (ReLUs in place, flatten a view)."""
        return a.input[0] * a.input[1] * a.input[2] + \
            sum(L.elements for L in a.layers if L.kind != "flatten")

    def memory_unit(self, a: Arch) -> int:
        """A million values and more are asked in millions, to two decimals."""
        return 10 ** 6 if self.activations(a) >= 10 ** 6 else 1

    def in_memory_unit(self, a: Arch, values: int):
        unit = self.memory_unit(a)
        return values if unit == 1 else round_half_up(Fraction(values, unit), 2)

    def value(self, a: Arch, what: str, name: str | None = None, metric: str | None = None):
        """The correct value of a question about ``a``: read from the engine summary and
        verified against the closed form (once per configuration and process; the result is
        immutable, so it is cached)."""
        return self._value(a.key, what, name, metric)

    def wrong_values(self, a: Arch, what: str, name, metric, answer) -> dict:
        """Catalogue key → the value that misconception gives (invalid ones left out)."""
        return dict(self._wrong(a.key, what, name, metric, answer))

    @lru_cache(maxsize=None)
    def _value(self, key: str, what: str, name, metric):
        a = arch(key)
        rows = self._rows(a.key)
        s = engine_summary(a.key)
        if what == "shape":
            if name in STAGES:
                last = [r for r in s.rows if r.name.startswith(name + ".")][-1]
                return tuple(self.verify(a.stage_output(name), tuple(last.output_shape),
                                         f"{a.key} {name} output"))
            L = a.layer(name)
            return tuple(self.verify(L.shape, tuple(rows[L.row].output_shape),
                                     f"{a.key} {name} output"))
        if what == "flatten":
            L = next(L for L in a.layers if L.kind == "flatten")
            return self.verify(L.c_in * L.h_in * L.w_in, rows[L.row].output_shape[0],
                               f"{a.key} flatten size")
        if what == "params":
            L = a.layer(name)
            self.verify(L.params, rows[L.row].params, f"{a.key} {name} params")
            if L.kind == "conv":
                return Counted(_conv_params_expr(L))
            if L.kind == "fc":
                return Counted(_fc_params_expr(L.c_in, L.c_out))
            return Counted(Num(0))
        if what == "macs":
            L = a.layer(name)
            self.verify(L.macs, rows[L.row].macs, f"{a.key} {name} MACs")
            return Counted(_conv_macs_expr(L) if L.kind == "conv" else Mul(L.c_in, L.c_out))
        if what == "memory":
            L = a.layer(name)
            return self.verify(_kb(L.elements), rows[L.row].memory_kb_rounded,
                               f"{a.key} {name} memory")
        if what == "most":
            closed = self.leader(a, metric)
            by_row = {L.row: L.name for L in a.layers}
            engine = max((r for r in s.rows if r.type != "Flatten"),
                         key=lambda r: {"params": r.params, "memory": r.memory_bytes,
                                        "macs": r.macs}[metric])
            if by_row[engine.name] != closed:
                raise VerificationError(f"family '{self.name}': {a.key} most {metric}: closed "
                                        f"form {closed!r} vs engine {by_row[engine.name]!r}")
            return closed
        if what == "depth":
            counted = sum(1 for r in s.rows if (r.type == "Conv2d" and "downsample" not in r.name)
                          or r.type == "Linear")
            return self.verify(a.depth, counted, f"{a.key} depth")
        if what == "total_params":
            return self.verify(a.total_params, s.totals.params, f"{a.key} total params")
        if what == "total_macs":
            total = self.verify(a.total_macs, s.totals.macs, f"{a.key} total MACs")
            unit = self.macs_unit(a)
            return total if unit == 1 else round_half_up(Fraction(total, unit))
        if what == "total_memory":
            engine = s.input_elements + sum(r.output_elements for r in s.rows
                                            if r.type != "Flatten")
            return self.in_memory_unit(a, self.verify(self.activations(a), engine,
                                                      f"{a.key} activation values"))
        raise ParamError("unknown question", family=self.name, param="what", value=what)

    @staticmethod
    def metric_of(L: Layer, metric: str) -> int:
        return {"params": L.params, "memory": L.elements, "macs": L.macs}[metric]

    def leader(self, a: Arch, metric: str) -> str:
        """The first layer with the largest ``metric`` (flatten rows excluded)."""
        cands = [L for L in a.layers if L.kind != "flatten"]
        best = max(self.metric_of(L, metric) for L in cands)
        return next(L.name for L in cands if self.metric_of(L, metric) == best)

    def solve(self, p):
        return self.value(arch(p.model), p.what, p.get("layer"), p.get("metric"))

    # ---- distractors ------------------------------------------------------------------------
    def misconceptions(self, p, answer):
        a = arch(p.model)
        out = self.wrong_values(a, p.what, p.get("layer"), p.get("metric"), answer)
        if p.style == "number" or p.what in TOTALS:  # totals are always written as numbers
            slip = SLIPS.get((p.model, p.what, p.get("layer")))
            if slip is not None:
                out["slide_slip"] = slip
        return out

    @lru_cache(maxsize=None)
    def _wrong(self, key: str, what: str, name, metric, answer) -> tuple:
        return tuple(self._compute_wrong(arch(key), what, name, metric, answer).items())

    def _compute_wrong(self, a: Arch, what: str, name, metric, answer) -> dict:
        if what == "shape":
            out = self._wrong_stage(a, name) if name in STAGES else self._wrong_shape(a, name)
            return {k: v for k, v in out.items() if v and min(v) >= 1 and v != answer}
        if what == "flatten":
            return self._wrong_flatten(a)
        if what == "params":
            return self._wrong_params(a, a.layer(name))
        if what == "macs":
            return self._wrong_macs(a, a.layer(name))
        if what == "memory":
            return self._wrong_memory(a, a.layer(name))
        if what == "most":
            return self._wrong_most(a, metric)
        if what == "depth":
            b, per = sum(a.blocks), (2 if a.block == "basic" else 3)
            out = {"depth_counted_blocks": 1 + b + 1, "depth_forgot_stem_fc": per * b,
                   "depth_counted_pooling": 1 + per * b + 1 + 2}
            if a.block == "basic":
                out["depth_basic_as_bottleneck"] = 1 + 3 * b + 1
            else:
                out["bottleneck_as_basic"] = 1 + 2 * b + 1
            return out
        if what == "total_params":
            return self._wrong_total_params(a)
        if what == "total_macs":
            return self._wrong_total_macs(a)
        if what == "total_memory":
            values, image = self.activations(a), a.input[0] * a.input[1] * a.input[2]
            out = {"memory_of_input": self.in_memory_unit(a, image),
                   "memory_forgot_input": self.in_memory_unit(a, values - image),
                   "counted_weights_as_memory": self.in_memory_unit(a, a.total_params)}
            return {k: v for k, v in out.items() if v and v != answer}
        return {}

    def _neighbour(self, a: Arch, name: str, kinds, key) -> Layer | None:
        """The nearest earlier (else later) layer of ``kinds`` with a different ``key`` value."""
        i = a.index(name)
        here = key(a.layers[i])
        for j in list(range(i - 1, -1, -1)) + list(range(i + 1, len(a.layers))):
            L = a.layers[j]
            if L.kind in kinds and key(L) != here:
                return L
        return None

    def _wrong_shape(self, a: Arch, name: str) -> dict:
        L = a.layer(name)
        n, k, s, pad = L.h_in, L.k, L.s, L.p
        size = lambda num, floor=True, plus=True: \
            (num // s if floor else -(-num // s)) + (1 if plus else 0)
        c = L.c_out
        out = {
            "forgot_plus_one": (c, size(n + 2 * pad - k, plus=False),
                                size(L.w_in + 2 * pad - k, plus=False)),
            "wrong_layer": (L.c_in, L.h_in, L.w_in),
        }
        if pad:
            out["forgot_padding"] = (c, size(n - k), size(L.w_in - k))
            out["padding_one_side"] = (c, size(n + pad - k), size(L.w_in + pad - k))
        if s > 1:
            out["ignored_stride"] = (c, n + 2 * pad - k + 1, L.w_in + 2 * pad - k + 1)
            out["no_floor"] = (c, size(n + 2 * pad - k, floor=False),
                               size(L.w_in + 2 * pad - k, floor=False))
            out["stride_divides_input"] = (c, -(-n // s), -(-L.w_in // s))
        if L.kind == "conv" and L.c_in != L.c_out:
            out["channels_from_input"] = (L.c_in, L.h_out, L.w_out)
        if L.kind == "conv":
            out["same_as_input"] = (c, L.h_in, L.w_in)
        return out

    def _wrong_stage(self, a: Arch, stage: str) -> dict:
        c, h, w = a.stage_output(stage)
        i = STAGES.index(stage)
        prev = a.stage_output(STAGES[i - 1]) if i else a.layer("maxpool").shape
        out = {"wrong_layer": prev, "forgot_channel_growth": (prev[0], h, w),
               "ignored_stride": (c, prev[1], prev[2]) if i else (c, h * 2, w * 2)}
        if a.block == "basic":
            out["basic_as_bottleneck"] = (c * 4, h, w)
        else:
            out["bottleneck_as_basic"] = (c // 4, h, w)
        return out

    def _wrong_flatten(self, a: Arch) -> dict:
        i = next(i for i, L in enumerate(a.layers) if L.kind == "flatten")
        F, last = a.layers[i], a.layers[i - 1]
        out = {"flatten_forgot_channels": F.h_in * F.w_in, "fc_forgot_flatten": F.c_in,
               "wrong_layer": last.in_elements}
        if last.kind == "pool":
            num = last.h_in + 2 * last.p - last.k
            out["forgot_plus_one"] = last.c_out * (num // last.s) ** 2
            if num % last.s:
                out["no_floor"] = last.c_out * (-(-num // last.s) + 1) ** 2
        answer = F.c_in * F.h_in * F.w_in
        return {k: v for k, v in out.items() if v >= 2 and v != answer}

    def _wrong_params(self, a: Arch, L: Layer) -> dict:
        out: dict = {}
        prev = self._neighbour(a, L.name, ("conv", "fc"), lambda x: x.params)
        if prev is not None:
            out["wrong_layer"] = self.value(a, "params", prev.name)
        if L.kind == "pool":
            out["counted_pool_params"] = Counted(Mul(L.k, L.k, L.c_in))
            return out
        if L.kind == "fc":
            if L.bias:
                out["forgot_bias"] = Counted(Mul(L.c_in, L.c_out))
                out["bias_per_input_channel"] = Counted(Add(Mul(L.c_in, L.c_out), L.c_in))
            out["forgot_output_channels"] = Counted(Add(L.c_in, 1))
            i = a.index(L.name)
            if i and a.layers[i - 1].kind == "flatten" and a.layers[i - 1].h_in > 1:
                F = a.layers[i - 1]
                out["fc_forgot_flatten"] = Counted(_fc_params_expr(F.c_in, L.c_out))
            return out
        if L.bias:
            out["forgot_bias"] = Counted(_conv_params_expr(L, bias=False))
            if L.c_in != L.c_out:
                out["bias_per_input_channel"] = Counted(Add(_conv_params_expr(L, bias=False),
                                                            L.c_in))
            out["bias_per_position"] = Counted(Add(_conv_params_expr(L, bias=False),
                                                   Mul(L.c_out, L.h_out, L.w_out)))
        if L.c_in > 1:
            out["forgot_input_channels"] = Counted(_conv_params_expr(L, c_in=1))
        out["counted_output_positions"] = Counted(Mul(*_conv_params_expr(L).args, L.h_out,
                                                      L.w_out))
        one_filter = Mul(L.k, L.k, L.c_in)
        out["forgot_output_channels"] = Counted(Add(one_filter, 1) if L.bias else one_filter)
        return out

    def _wrong_macs(self, a: Arch, L: Layer) -> dict:
        out: dict = {}
        other = self._neighbour(a, L.name, ("conv", "fc"), lambda x: x.macs)
        if other is not None:
            out["wrong_layer"] = self.value(a, "macs", other.name)
        if L.kind == "fc":
            out["macs_vs_flops"] = Counted(Mul(2, L.c_in, L.c_out))
            out["counted_additions_only"] = Counted(Mul(Paren(Sub(L.c_in, 1)), L.c_out))
            i = a.index(L.name)
            if i and a.layers[i - 1].kind == "flatten" and a.layers[i - 1].h_in > 1:
                out["fc_forgot_flatten"] = Counted(Mul(a.layers[i - 1].c_in, L.c_out))
            return out
        out["macs_vs_flops"] = Counted(Mul(2, *_conv_macs_expr(L).args))
        out["forgot_output_size"] = Counted(Mul(L.c_out, L.c_in, L.k, L.k))
        out["one_output_row"] = Counted(Mul(L.c_out, L.h_out, L.c_in, L.k, L.k))
        out["forgot_output_channels"] = Counted(Mul(L.h_out, L.w_out, L.c_in, L.k, L.k))
        if L.c_in > 1:
            out["forgot_input_channels"] = Counted(Mul(L.c_out, L.h_out, L.w_out, L.k, L.k))
        if (L.h_in, L.w_in) != (L.h_out, L.w_out):
            out["used_input_size"] = Counted(_conv_macs_expr(L, h=L.h_in, w=L.w_in))
        out["counted_additions_only"] = Counted(
            Mul(L.c_out, L.h_out, L.w_out, Paren(Sub(Mul(L.c_in, L.k, L.k), 1))))
        return out

    def _wrong_memory(self, a: Arch, L: Layer) -> dict:
        e = L.elements
        out = {"bytes_not_kb": e * 4, "elements_not_bytes": round_half_up(Fraction(e, 1024)),
               "kb_as_1000": round_half_up(Fraction(e * 4, 1000)),
               "float64_bytes": _kb(2 * e), "memory_of_input": _kb(L.in_elements)}
        if L.params:
            out["counted_weights_as_memory"] = _kb(L.params)
        nxt = self._neighbour(a, L.name, ("conv", "pool", "fc"), lambda x: x.elements)
        if nxt is not None:
            out["wrong_layer"] = _kb(nxt.elements)
        answer = _kb(e)
        return {k: v for k, v in out.items() if v >= 1 and v != answer}

    def _wrong_most(self, a: Arch, metric: str) -> dict:
        answer = self.leader(a, metric)
        top = self.metric_of(a.layer(answer), metric)
        below = [L for L in a.layers if L.kind != "flatten" and self.metric_of(L, metric) < top]
        names = {L.name for L in below}
        first = lambda kinds: next((L.name for L in below if L.kind in kinds), None)
        out: dict = {}
        if metric == "params":
            out["most_params_early"] = first(("conv",))
            out["counted_output_positions"] = self.leader(a, "memory")
            out["counted_pool_params"] = first(("pool",))
        elif metric == "memory":
            out["counted_weights_as_memory"] = self.leader(a, "params")
            late = [L.name for L in below if L.kind in ("conv", "pool")]
            out["most_memory_late"] = late[-1] if late else None
        else:
            fcs = [L for L in below if L.kind == "fc"]
            out["most_compute_fc"] = max(fcs, key=lambda L: L.params).name if fcs else None
            out["most_compute_largest_output"] = self.leader(a, "memory")
        kinds = ("conv", "pool", "fc") if metric == "memory" else ("conv", "fc")
        near = self._neighbour(a, answer, kinds, lambda L: self.metric_of(L, metric))
        out["wrong_layer"] = near.name if near is not None else None
        return {k: v for k, v in out.items() if v in names}

    def _wrong_total_params(self, a: Arch) -> dict:
        total = a.total_params
        out = {}
        biases = total - a.total_weights
        if biases:
            out["forgot_bias"] = a.total_weights
        bn = sum(L.params for L in a.layers if L.kind == "bn")
        if bn:
            out["counted_bn_running_stats"] = total + bn
        out["forgot_input_channels"] = total - sum(
            L.weights - L.k * L.k * L.c_out for L in a.layers if L.kind == "conv")
        fc_i = next((i for i, L in enumerate(a.layers) if L.kind == "fc"), None)
        if fc_i and a.layers[fc_i - 1].kind == "flatten" and a.layers[fc_i - 1].h_in > 1:
            F, L = a.layers[fc_i - 1], a.layers[fc_i]
            out["fc_forgot_flatten"] = total - (F.c_out - F.c_in) * L.c_out
        return {k: v for k, v in out.items() if v > 0 and v != total}

    def _wrong_total_macs(self, a: Arch) -> dict:
        unit = self.macs_unit(a)
        scale = (lambda v: v) if unit == 1 else (lambda v: round_half_up(Fraction(v, unit)))
        convs = [L for L in a.layers if L.kind == "conv"]
        out = {
            "macs_vs_flops": scale(2 * a.total_macs),
            "forgot_input_channels": scale(a.total_macs - sum(L.macs - L.macs // L.c_in
                                                              for L in convs)),
            "used_input_size": scale(a.total_macs + sum(L.macs // (L.h_out * L.w_out)
                                                        * (L.h_in * L.w_in) - L.macs
                                                        for L in convs)),
            "forgot_output_size": scale(sum(L.macs // (L.h_out * L.w_out) for L in convs)
                                        + sum(L.macs for L in a.layers if L.kind == "fc")),
        }
        answer = scale(a.total_macs)
        return {k: v for k, v in out.items() if v != answer and v > 0}

    def near_values(self, p, answer, rng):
        a = arch(p.model)
        if p.what == "most":
            top = self.metric_of(a.layer(answer), p.metric)
            below = [L for L in a.layers if L.kind != "flatten"
                     and self.metric_of(L, p.metric) < top]
            return [L.name for L in sorted(below, key=lambda L: -self.metric_of(L, p.metric))]
        if p.what == "shape":
            c, h, w = answer
            return [(c, h + 1, w + 1), (c, h - 1, w - 1), (2 * c, h, w), (c, 2 * h, 2 * w),
                    (c, h + 2, w + 2), (max(1, c // 2), h, w)]
        if isinstance(answer, Counted) and p.what in ("params", "macs"):
            L = a.layer(p.layer)
            if L.kind == "conv":
                make = _conv_params_expr if p.what == "params" else _conv_macs_expr
                return [Counted(make(L, c_out=2 * L.c_out)), Counted(make(L, c_in=2 * L.c_in)),
                        Counted(make(L, c_out=max(1, L.c_out // 2)))]
            if L.kind == "fc" and p.what == "params":
                return [Counted(_fc_params_expr(2 * L.c_in, L.c_out)),
                        Counted(_fc_params_expr(L.c_in, 2 * L.c_out)),
                        Counted(Mul(L.c_in, L.c_out, 2))]
            if L.kind == "fc":
                return [Counted(Mul(2 * L.c_in, L.c_out)), Counted(Mul(L.c_in, 2 * L.c_out)),
                        Counted(Mul(L.c_in + L.c_out, 2))]
            return [Counted(Mul(L.k, L.k)), Counted(Add(Mul(L.k, L.k, L.c_in), L.c_in)),
                    Counted(Num(L.c_in))]
        return super().near_values(p, answer, rng)

    # ---- how values look ---------------------------------------------------------------------
    def show(self, value, p):
        """The inline content of one value (option text, statement, solution)."""
        if p.what == "most":
            return (value,)
        if isinstance(value, tuple):
            if min(value) < 1:
                raise ValueError("no output")
            return (shape(*value),)
        if p.what in ("params", "macs"):
            if p.style == "expression" and isinstance(value, Counted):
                return (value.expr,)
            return (fmt(int(value), group=True),)
        if p.what == "memory":
            return (f"{fmt(value, group=True)} KB",)
        if p.what == "total_macs" and self.macs_unit(arch(p.model)) > 1:
            return (f"{fmt(value, group=True)} M MACs",)
        if p.what == "total_memory":
            m = self.memory_unit(arch(p.model)) > 1
            return (f"{fmt(value, group=True)}{' M' if m else ''} values",)
        return (fmt(value, group=True),)

    def option(self, value, p):
        return (T(*self.show(value, p)),)

    def option_key(self, value, p):
        if isinstance(value, tuple) or p.what == "most":
            return str(value)
        return fmt(value)

    def numeric(self, p, answer):
        if p.what == "shape":
            return float(answer[1]), 0.0
        a = arch(p.model)
        if p.what == "total_memory":
            return float(answer), (0.005 if self.memory_unit(a) > 1 else 0.0)
        half = p.what == "memory" or (p.what == "total_macs" and self.macs_unit(a) > 1)
        return float(int(answer)), (0.5 if half else 0.0)

    # ---- select all that apply -------------------------------------------------------------
    def statements(self, p, rng):
        a = arch(p.model)
        if p.what == "most":
            out = self._most_statements(a, rng)
        elif p.what == "depth":
            out = self._depth_statements(a, rng)
        else:
            q = P(p, what="shape" if p.what == "flatten" else p.what)
            out = [self._layer_statement(a, q, name, rng) for name in self.window(a, p)]
        if not any(st.true for st in out):
            i = int(rng.integers(len(out)))
            out[i] = self._make_true(a, p, out[i])
        return out

    def window(self, a: Arch, p, size: int = 5) -> list[str]:
        """The layers a select-all question is about: up to ``size`` consecutive candidates
        around ``layer`` (the flatten layer for what=flatten), in network order."""
        what = "shape" if p.what == "flatten" else p.what
        names = list(self.layers_for(a, what))
        if what == "shape" and not a.is_resnet:
            flat = [L.name for L in a.layers if L.kind == "flatten"]
            names = sorted(names + flat, key=a.index)
        if p.what != "flatten":
            centre = names.index(p.layer)
        else:  # a ResNet's flatten follows layer4 and the global average pool
            centre = len(names) - 1 if a.is_resnet else \
                names.index(next(L.name for L in a.layers if L.kind == "flatten"))
        start = max(0, min(centre - size // 2, len(names) - size))
        return names[start:start + size]

    def _layer_statement(self, a: Arch, p, name: str, rng) -> Statement:
        L = None if name in STAGES else a.layer(name)
        is_flat = L is not None and L.kind == "flatten"
        q = P(p, what="flatten") if is_flat else p
        right = self.value(a, q.what, None if is_flat else name)
        wrong = self.wrong_values(a, q.what, None if is_flat else name, None, right)
        wrong = {k: v for k, v in wrong.items()
                 if self.option_key(v, q) != self.option_key(right, q)}
        noun = {"shape": "outputs", "flatten": "outputs a vector of length", "params": "has",
                "macs": "performs", "memory": "stores an output of"}[q.what]
        unit = {"params": " parameters", "macs": " MACs"}.get(q.what, "")
        label = f"{name} (stage {PAPER_STAGE[name]})" if name in STAGES else name
        say = lambda v: T(f"{label} {noun} ", *self.show(v, q), f"{unit}.")
        if not wrong or rng.random() < 0.5:
            return Statement((say(right),), True, None, "",)
        key = sorted(wrong)[int(rng.integers(len(wrong)))]
        shown = T(*self.show(right, q)).plain()
        return Statement((say(wrong[key]),), False, key,
                         f"{label} {noun} {shown}{unit}. {self._catalogue(key)}")

    def _most_statements(self, a: Arch, rng) -> list[Statement]:
        out = []
        words = {"params": "the most parameters", "memory": "the largest output (activation "
                 "memory)", "macs": "the most multiply-adds (compute)"}
        for metric in METRICS:
            right = self.leader(a, metric)
            wrong = self._wrong_most(a, metric)
            if wrong and rng.random() < 0.5:
                key = sorted(wrong)[int(rng.integers(len(wrong)))]
                out.append(Statement((T(f"Of all layers, {wrong[key]} has {words[metric]}."),),
                                     False, key, f"Of all layers, {right} has {words[metric]}. "
                                     f"{self._catalogue(key)}"))
            else:
                out.append(Statement((T(f"Of all layers, {right} has {words[metric]}."),), True))
        pool = next((L for L in a.layers if L.kind == "pool"), None)
        if pool is not None:
            if rng.random() < 0.5:
                out.append(Statement((T(f"{pool.name} has no learnable parameters."),), True))
            else:
                out.append(Statement((T(f"{pool.name} has ", Mul(pool.k, pool.k, pool.c_in),
                                        " learnable parameters."),), False,
                                     "counted_pool_params",
                                     f"{pool.name} has no learnable parameters. "
                                     f"{self._catalogue('counted_pool_params')}"))
        return out

    def _depth_statements(self, a: Arch, rng) -> list[Statement]:
        per = 2 if a.block == "basic" else 3
        b = sum(a.blocks)
        facts = [
            (f"It stacks {b} residual blocks ({' + '.join(map(str, a.blocks))}).",
             f"It stacks {b + a.blocks[0]} residual blocks.", "near_value"),
            (f"Each {a.block} block has {per} convolution layers on its main path.",
             f"Each {a.block} block has {5 - per} convolution layers on its main path.",
             "basic_as_bottleneck" if per == 2 else "bottleneck_as_basic"),
            ("Its depth counts the stem convolution and the final fully connected layer.",
             "Its depth counts the max-pooling and the average-pooling layers.",
             "depth_counted_pooling"),
            (f"It has {a.depth} weight layers (1 + {per}×{b} + 1).",
             f"It has {1 + b + 1} weight layers (1 + {b} + 1).", "depth_counted_blocks"),
            ("The first block of stages 2, 3 and 4 halves the resolution with stride 2.",
             "Every residual block halves the resolution with stride 2.", "ignored_stride"),
        ]
        out = []
        for true_text, false_text, key in facts:
            if rng.random() < 0.5:
                out.append(Statement((T(true_text),), True))
            else:
                out.append(Statement((T(false_text),), False, key,
                                     f"{true_text} {self._catalogue(key)}"))
        return out

    def _make_true(self, a: Arch, p, st: Statement) -> Statement:
        """Replace a false statement by a true one (a select-all needs one true statement)."""
        first_true = st.explanation.split(". ")[0].rstrip(".") + "."
        return Statement((T(first_true),), True)

    @staticmethod
    def _catalogue(key: str) -> str:
        from quizgen.misconceptions import CATALOGUE
        return CATALOGUE[key]

    # ---- stem --------------------------------------------------------------------------------
    def context(self, p, kind):
        a = arch(p.model)
        title = "A ResNet (torchvision layout, 224×224 input)" if p.what == "depth" else a.title
        ctx = {"a": a, "title": title[0].upper() + title[1:] if a.is_resnet else title,
               "input": shape(*a.input),
               "table": self.table(a, p), "unit": self.macs_unit(a),
               "memory_unit": self.memory_unit(a),
               "slip": SLIPS.get((p.model, p.what, p.get("layer")))}
        if p.get("layer") is not None:
            ctx["label"] = (f"{p.layer} (stage {PAPER_STAGE[p.layer]})" if p.layer in STAGES
                            else p.layer)
            if p.layer not in STAGES:
                L = a.layer(p.layer)
                ctx["L"] = L
                ctx["describe"] = self.describe(L, with_output=not p.trace)
        if p.what == "depth":
            ctx["stage_blocks"] = " + ".join(map(str, a.blocks))
        return ctx

    @staticmethod
    def describe(L: Layer, with_output: bool) -> str:
        """One sentence describing a ResNet layer (no table row to read it from)."""
        if L.kind == "fc":
            return (f"{L.name} is the final linear layer (with bias) from the {L.c_in} globally "
                    f"averaged features to {L.c_out} class scores.")
        text = (f"{L.name} is a {L.k}×{L.k} convolution from {L.c_in} to {L.c_out} channels with "
                f"stride {L.s}, padding {L.p} and no bias; its input is "
                f"{L.c_in} × {L.h_in} × {L.w_in}")
        if with_output:
            text += f" and its output {L.c_out} × {L.h_out} × {L.w_out}"
        return text + "."

    def table(self, a: Arch, p):
        """The layer table shown in the stem (immutable, so cached per configuration)."""
        return self._table(a.key, p.what, p.get("layer"), bool(p.trace))

    @lru_cache(maxsize=4096)
    def _table(self, key: str, what: str, layer, trace: bool):
        a, p = arch(key), P(model=key, what=what, trace=trace)
        if layer is not None:
            p["layer"] = layer
        if a.is_resnet:
            return self._stage_table(a, p)
        asked = p.get("layer") or (next((L.name for L in a.layers if L.kind == "flatten"), None)
                                   if p.what == "flatten" else None)
        stop = a.index(asked) if asked is not None else len(a.layers) - 1
        extra = {"params": "Params", "macs": "MACs", "memory": "Memory (KB)"}.get(p.what)
        header = ["Layer", "Type", "Filters / units", "Kernel", "Stride", "Pad", "Output C×H×W"]
        if extra:
            header.append(extra)
        rows = [["input", "", "", "", "", "", shape(*a.input)] + ([""] if extra else [])]
        types = {"conv": "conv", "pool": "max pool", "flatten": "flatten", "fc": "linear"}
        for i, L in enumerate(a.layers[:stop + 1]):
            spatial = L.kind in ("conv", "pool")
            out_known = not p.trace or p.what in ("most",) + TOTALS
            if i == stop and p.what in ("shape", "flatten"):
                out_cell = "?"
            elif i == stop and p.what == "memory":
                out_cell = shape(*L.shape) if not p.trace else ""
            else:
                out_cell = shape(*L.shape) if out_known else ""
            row = [L.name, types[L.kind], str(L.c_out) if L.kind in ("conv", "fc") else "",
                   f"{L.k}×{L.k}" if spatial else "", L.s if spatial else "",
                   L.p if spatial else "", out_cell]
            if extra:
                row.append("?" if i == stop else "")
            rows.append(row)
        return Table(tuple(header), tuple(tuple(r) for r in rows),
                     caption=a.title[0].upper() + a.title[1:],
                     align="llrrrrrr"[:len(header)])

    def _stage_table(self, a: Arch, p):
        header = ["Stage", "Layers", "Output C×H×W"]
        conv1, pool = a.layer("conv1"), a.layer("maxpool")
        hide = lambda name: p.what == "shape" and (name == p.get("layer") or p.trace)
        cell = lambda name, value: "?" if name == p.get("layer") and p.what == "shape" else \
            ("" if hide(name) or p.what == "depth" else value)
        rows = [("conv1", "7×7, 64, stride 2, pad 3 (+ batch norm, ReLU)",
                 cell("conv1", shape(*conv1.shape))),
                ("maxpool", "3×3 max pool, stride 2, pad 1", cell("maxpool", shape(*pool.shape)))]
        for i, (stage, n) in enumerate(zip(STAGES, a.blocks)):
            width = 64 * 2 ** i
            body = (f"[3×3, {width}; 3×3, {width}]" if a.block == "basic" else
                    f"[1×1, {width}; 3×3, {width}; 1×1, {4 * width}]")
            rows.append((f"{stage} ({PAPER_STAGE[stage]})", f"{body} × {n}",
                         cell(stage, shape(*a.stage_output(stage)))))
        rows.append(("avgpool, fc", "global average pool, 1000-d fc", ""))
        if p.what == "depth":
            header, rows = header[:2], [r[:2] for r in rows]
        caption = "ResNet stages" if p.what == "depth" else a.title
        return Table(tuple(header), tuple(rows), caption=caption, align="lll"[:len(header)])

    # ---- worked solution ---------------------------------------------------------------------
    def solution(self, p, answer):
        a = arch(p.model)
        steps = list(getattr(self, f"_solve_{p.what}")(a, p, answer))
        if p.what in LAYER_WHATS or (p.what == "flatten" and not a.is_resnet):
            steps.append(self._window_table(a, p))
        return tuple(steps)

    def _window_table(self, a: Arch, p) -> Table:
        """The asked layer and its neighbours (the layers a select-all question covers; the
        'neighbouring layer' distractor comes from them)."""
        return self._window_table_cached(a.key, p.what, p.get("layer"), p.style)

    @lru_cache(maxsize=4096)
    def _window_table_cached(self, key, what, layer, style) -> Table:
        a, p = arch(key), P(model=key, what=what, style=style)
        if layer is not None:
            p["layer"] = layer
        rows = []
        for name in self.window(a, p):
            is_flat = name not in STAGES and a.layer(name).kind == "flatten"
            what = "flatten" if is_flat else ("shape" if p.what == "flatten" else p.what)
            value = self.value(a, what, None if is_flat else name)
            q = P(p, what=what)
            if what in ("params", "macs"):
                rows.append((name, value.expr, int(value)))
            else:
                rows.append((name, T(*self.show(value, q)).plain()))
        header = {"shape": ("Layer", "Output C×H×W"), "flatten": ("Layer", "Output C×H×W"),
                  "params": ("Layer", "Formula", "Params"), "macs": ("Layer", "Formula", "MACs"),
                  "memory": ("Layer", "Memory")}[p.what]
        return Table(header, tuple(rows), caption="The layers around " + (
            p.layer if p.what != "flatten" else "the flatten layer"), align="lrr"[:len(header)])

    def _size_step(self, L: Layer):
        """"Conv1: H′ = ⌊(227 + 2×2 − 11)/4⌋ + 1 = 56 → 64 × 56 × 56"."""
        top = Sub(Add(L.h_in, Mul(2, L.p)) if L.p else Num(L.h_in), L.k)
        formula = Add(Floor(Div(top, L.s)) if L.s > 1 else top, 1)
        what = "pooling keeps the channels" if L.kind == "pool" else f"{L.c_out} filters"
        return T(f"{L.name}: H′ = ", formula, f" = {L.h_out}; {what} → ", shape(*L.shape))

    def _solve_shape(self, a, p, answer):
        if a.is_resnet:
            return self._solve_resnet_shape(a, p, answer)
        stop = a.index(p.layer)
        steps = [T("Output size per dimension: H′ = ⌊(H + 2P − K)/S⌋ + 1 (square inputs, so "
                   "W′ = H′); a conv outputs one channel per filter, pooling keeps the "
                   "channels.")]
        first = 0 if p.trace else stop
        steps += [self._size_step(L) for L in a.layers[first:stop + 1]
                  if L.kind in ("conv", "pool")]
        steps.append(T(f"After {p.layer}: ", shape(*answer), "."))
        return steps

    def _solve_resnet_shape(self, a, p, answer):
        if p.layer in ("conv1", "maxpool"):
            layers = [a.layer("conv1")] + ([a.layer("maxpool")] if p.layer == "maxpool" else [])
            return [T("H′ = ⌊(H + 2P − K)/S⌋ + 1.")] + [self._size_step(L) for L in layers] + \
                [T(f"After {p.layer}: ", shape(*answer), ".")]
        steps = [T("conv1 (stride 2) and the max pool (stride 2) take 224 → 112 → 56. layer1 "
                   "keeps 56×56; the first block of each later stage halves H and W (stride 2) "
                   "and doubles the width.")]
        for stage in STAGES[:STAGES.index(p.layer) + 1]:
            c, h, w = a.stage_output(stage)
            note = "" if a.block == "basic" else f" (bottleneck: 4 × {c // 4} output channels)"
            steps.append(T(f"{stage} ({PAPER_STAGE[stage]}): ", shape(c, h, w), note))
        return steps

    def _solve_flatten(self, a, p, answer):
        F = next(L for L in a.layers if L.kind == "flatten")
        steps = []
        if p.trace and not a.is_resnet:
            steps += [self._size_step(L) for L in a.layers if L.kind in ("conv", "pool")]
        steps.append(T("Flatten turns C × H × W into one vector of C·H·W values: ",
                       Mul(F.c_in, F.h_in, F.w_in), f" = {fmt(answer, group=True)}."))
        return steps

    def _solve_params(self, a, p, answer):
        L = a.layer(p.layer)
        if L.kind == "pool":
            return [T(f"{L.name} is a pooling layer: it computes a fixed max over each window "
                      "and has no weights and no bias, so 0 parameters.")]
        if L.kind == "fc":
            steps = [T("A linear layer has C_in × C_out weights and C_out biases: ",
                       _fc_params_expr(L.c_in, L.c_out), f" = {fmt(int(answer), group=True)}.")]
            if L.c_in > 4096:
                steps.insert(0, T(f"Its input is the flattened previous output, {L.c_in} "
                                  "features."))
        else:
            bias = "(K·K·C_in + 1)·C_out (one bias per filter)" if L.bias else \
                "K·K·C_in·C_out (no bias: batch norm follows)"
            steps = [T(f"A conv layer has {bias}; C_in = {L.c_in} channels come in: ",
                       _conv_params_expr(L), f" = {fmt(int(answer), group=True)}.")]
        slip = SLIPS.get((p.model, "params", p.layer))
        if slip is not None:
            steps.append(T(f"The lecture slide prints {fmt(slip, group=True)} here: a slip "
                           f"({L.c_in} × {L.c_out} = {fmt(L.c_in * L.c_out, group=True)}, plus "
                           f"{L.c_out} biases is {fmt(int(answer), group=True)})."))
        return steps

    def _solve_macs(self, a, p, answer):
        L = a.layer(p.layer)
        if L.kind == "fc":
            head = T("A linear layer does one multiply-add per weight: C_in × C_out = ",
                     Mul(L.c_in, L.c_out), f" = {fmt(int(answer), group=True)} MACs.")
        else:
            head = T("MACs = (C_out × H′ × W′ outputs) × (C_in × K × K per output) = ",
                     Mul(Paren(Mul(L.c_out, L.h_out, L.w_out)), Paren(Mul(L.c_in, L.k, L.k))),
                     f" = {fmt(int(answer), group=True)}.")
        steps = [self._size_step(L)] if L.kind == "conv" else []
        return steps + [head, T(f"In the hardware convention that is 2 × MACs = "
                                f"{fmt(2 * int(answer), group=True)} FLOPs.")]

    def _solve_memory(self, a, p, answer):
        L = a.layer(p.layer)
        steps = [self._size_step(L)] if L.kind in ("conv", "pool") else []
        return steps + [T("Output elements = ", Mul(*L.shape) if len(L.shape) > 1 else
                          Num(L.shape[0]), f" = {fmt(L.elements, group=True)}; × 4 bytes / 1024 "
                          f"= {fmt(Fraction(L.elements * 4, 1024))} KB ≈ {fmt(answer)} KB.")]

    def _solve_most(self, a, p, answer):
        label = {"params": "Params", "memory": "Output elements", "macs": "MACs"}[p.metric]
        rows = tuple((L.name, self.metric_of(L, p.metric)) for L in a.layers
                     if L.kind != "flatten")
        return [Table(("Layer", label), rows, align="lr"),
                T(f"{answer} leads with {fmt(self.metric_of(a.layer(answer), p.metric), group=True)}"
                  f". Early convolutions have large outputs but few weights; fully connected "
                  "layers have few outputs but large weight matrices.")]

    def _solve_depth(self, a, p, answer):
        per = 2 if a.block == "basic" else 3
        return [T(f"Each {a.block} block has {per} convolutions; add the stem convolution and "
                  "the final FC layer: ",
                  Add(1, Mul(per, Paren(Add(*a.blocks))), 1), f" = {answer}.")]

    def _grouped(self, a: Arch, key):
        """(label, value) per table row, or per ResNet stage."""
        if not a.is_resnet:
            return [(L.name, key(L)) for L in a.layers if key(L)]
        groups: dict[str, int] = {}
        for L in a.layers:
            g = L.stage or ("stem" if L.name in ("conv1", "bn1", "maxpool") else L.name)
            groups[g] = groups.get(g, 0) + key(L)
        return [(g, v) for g, v in groups.items() if v]

    def _solve_total_params(self, a, p, answer):
        rows = self._grouped(a, lambda L: L.params)
        steps = [Table(("Layer" if not a.is_resnet else "Part", "Params"), tuple(rows),
                       align="lr"),
                 T(f"Sum: {fmt(answer, group=True)} parameters (weights "
                   f"{fmt(a.total_weights, group=True)} + biases"
                   f"{' and batch-norm γ, β' if a.is_resnet else ''} "
                   f"{fmt(answer - a.total_weights, group=True)}).")]
        slip = SLIPS.get((p.model, "total_params", None))
        if slip is not None:
            steps.append(T(f"Summing the slide's FC6 figure (37,725,832) instead would give "
                           f"{fmt(slip, group=True)}, a slip."))
        return steps

    def _solve_total_memory(self, a, p, answer):
        image = a.input[0] * a.input[1] * a.input[2]
        rows = [("input", image)] + [(L.name, L.elements) for L in a.layers if L.kind != "flatten"]
        total = self.activations(a)
        text = f"Sum: {fmt(total, group=True)} values"
        if self.memory_unit(a) > 1:
            text += f" ≈ {fmt(answer)} M"
        steps = [Table(("Layer", "Values stored"), tuple(rows), align="lr"),
                 T(text + f"; in float32 that is {fmt(total * 4, group=True)} bytes "
                   f"≈ {fmt(Fraction(total * 4, 2 ** 20), places=1)} MiB per image (forward "
                   "pass only; about twice that with the backward pass).")]
        slip = SLIPS.get((p.model, "total_memory", None))
        if slip is not None:
            steps.append(T(f"The lecture slide says \"TOTAL memory: {slip}M\" (× 4 bytes ≈ 93MB): "
                           "a slip; its own rows add up to about 15.24M values."))
        return steps

    def _solve_total_macs(self, a, p, answer):
        rows = self._grouped(a, lambda L: L.macs)
        unit = self.macs_unit(a)
        total = a.total_macs
        text = f"Sum: {fmt(total, group=True)} MACs"
        if unit > 1:
            text += f" = {fmt(Fraction(total, unit))} M ≈ {fmt(answer, group=True)} M MACs"
        steps = [Table(("Layer" if not a.is_resnet else "Part", "MACs"), tuple(rows),
                       align="lr"),
                 T(text + f" (hardware FLOPs: 2 × MACs = {fmt(2 * total, group=True)}).")]
        slip = SLIPS.get((p.model, "total_macs", None))
        if slip is not None:
            steps.append(T(f"The lecture slide says {fmt(slip, group=True)} M: a slip; its own "
                           "rows add up to more."))
        return steps


FAMILY = NetworkTrace()
