"""Forward passes through tiny networks and layers with small numbers, run by the engine.

Forms (each an object in ``_forward_nets`` / ``_forward_probs`` with the same hooks):

- ``conv_relu_pool_fc``: 4×4/5×5 input → 2×2 conv + bias → ReLU → 2×2 max pool → FC; one logit,
  or the predicted class with its score.
- ``residual``: y = ReLU(F(x) + x) with a 3×3 conv branch (one channel) or two 1×1 convs (two
  channels); one output value.
- ``batchnorm``: y_i = γ·(x_i − μ)/√(σ² + ε) + β over a batch of 3–4 values (biased σ²).
- ``softmax``: p_t = e^{s_t} / Σ_j e^{s_j}.
- ``cross_entropy``: L = −ln p_t (the lecture's −log 0.8 ≈ 0.223), from probabilities or scores.

Every answer is computed exactly (or with ``math``) and by an engine run (``build_cnn`` networks
with the question's weights, ``functional.batch_norm/softmax/cross_entropy``), compared by
``verify``.
"""
from __future__ import annotations

from quizgen.errors import ParamError
from quizgen.family import Family, Param
from quizgen.families._forward_nets import ConvReluPoolFC, Residual
from quizgen.families._forward_probs import (CE_FORMULA, SOFTMAX_FORMULA, BatchNorm, CrossEntropy,
                                             Softmax)

FORMS = {"conv_relu_pool_fc": ConvReluPoolFC(), "residual": Residual(), "batchnorm": BatchNorm(),
         "softmax": Softmax(), "cross_entropy": CrossEntropy()}


def _m(name, help_, lo=-99, hi=99):
    return Param(name, help_, type="matrix", lo=lo, hi=hi, sampled=False)


def _i(name, help_, lo=1, hi=64):
    return Param(name, help_, lo=lo, hi=hi, sampled=False)


class ForwardPass(Family):
    name = "forward_pass"
    title = "Forward pass values: conv→ReLU→pool→FC, residual block, batch norm, softmax, " \
            "cross-entropy"
    kinds = ("single", "numeric")
    tags = ("forward-pass", "values")
    params = (
        Param("form", "conv_relu_pool_fc, residual, batchnorm, softmax or cross_entropy",
              type="str", domain=tuple(FORMS), choices=tuple(FORMS)),
        _m("input", "conv_relu_pool_fc: the 4×4/5×5 input; residual (conv3x3): the input map"),
        _m("kernel", "conv_relu_pool_fc: the 2×2 conv kernel; residual (conv3x3): the 3×3 kernel"),
        _i("bias", "conv_relu_pool_fc / residual (conv3x3): the conv bias", -99, 99),
        _i("pool_S", "conv_relu_pool_fc: max-pool stride (1 for a 4×4 input, 2 for 5×5)", 1, 4),
        _m("fc", "conv_relu_pool_fc: FC weights, one row per class, one column per pooled value"),
        _m("fc_bias", "conv_relu_pool_fc: FC biases, one row (one value per class)"),
        Param("ask", "conv_relu_pool_fc: logit (the score of class 'target') or class (the "
              "predicted class)", type="str", choices=("logit", "class"), sampled=False),
        _i("target", "conv_relu_pool_fc / softmax: the class asked; cross_entropy: the true "
           "class (counted from 1)"),
        Param("branch", "residual: conv3x3 (one channel, F = 3×3 conv with padding 1) or conv1x1 "
              "(two channels, F = 1×1 conv → ReLU → 1×1 conv)", type="str",
              choices=("conv3x3", "conv1x1"), sampled=False),
        Param("inputs", "residual (conv1x1): the 2-channel input, matrices separated by '|'",
              type="tensor", lo=-99, hi=99, sampled=False),
        _m("W1", "residual (conv1x1): first 1×1 conv weights, 2×2 (row = output channel)"),
        _m("W2", "residual (conv1x1): second 1×1 conv weights, 2×2"),
        _m("b1", "residual (conv1x1): first biases, one row of 2"),
        _m("b2", "residual (conv1x1): second biases, one row of 2"),
        _i("ch", "residual: output channel asked (counted from 1)", 1, 2),
        _i("row", "residual: output row asked (counted from 1)"),
        _i("col", "residual: output column asked (counted from 1)"),
        _m("values", "batchnorm: the batch of values of one feature, one row (e.g. 1,3,5,7)"),
        Param("gamma", "batchnorm: scale γ", type="float", lo=-10, hi=10, sampled=False),
        Param("beta", "batchnorm: shift β", type="float", lo=-10, hi=10, sampled=False),
        Param("eps", "batchnorm: ε in √(σ² + ε) (0 at paper and standard level)", type="float",
              lo=0, hi=10, sampled=False),
        _i("index", "batchnorm: which value of the batch is asked (counted from 1)"),
        _m("scores", "softmax / cross_entropy: class scores (logits), one row "
           "(e.g. 1.3,5.1,2.2,0.7,1.1)"),
        _m("probs", "cross_entropy: predicted probabilities, one row summing to 1 (e.g. 0.8,0.2)",
           lo=0, hi=1),
    )

    def form(self, p):
        return FORMS[p["form"]]

    def sample(self, rng, difficulty, fixed):
        p = super().sample(rng, difficulty, fixed)
        given = [k for k in fixed if k != "form"]
        if "form" not in fixed and given:  # the form follows from the parameters given
            fits = [f for f, h in FORMS.items() if all(k in h.uses for k in given)]
            if not fits:
                raise ParamError("no form uses all of the given parameters "
                                 f"({', '.join(given)})", family=self.name, param=given[0],
                                 value=fixed[given[0]])
            p["form"] = fits[int(rng.integers(len(fits)))]
        form = self.form(p)
        for name in fixed:
            if name != "form" and name not in form.uses:
                users = [f for f, h in FORMS.items() if name in h.uses]
                raise ParamError(f"is not used by form '{p['form']}' (it belongs to "
                                 f"{', '.join(users)})", family=self.name, param=name,
                                 value=fixed[name])
        p = form.sample(rng, difficulty, fixed, p)
        try:
            form.check(p)
        except ParamError as err:
            if err.param in fixed:  # resampling the others cannot help
                raise
        return p

    def check(self, p):
        self.form(p).check(p)

    def solve(self, p):
        return self.form(p).solve(self, p)

    def misconceptions(self, p, answer):
        return self.form(p).misconceptions(p, answer)

    def near_values(self, p, answer, rng):
        return self.form(p).near(p, answer)

    def option(self, value, p):
        return self.form(p).option(value, p)

    def numeric(self, p, answer):
        return self.form(p).numeric(p, answer)

    def context(self, p, kind):
        return {**self.form(p).context(p, kind), "softmax_formula": SOFTMAX_FORMULA,
                "ce_formula": CE_FORMULA}

    def solution(self, p, answer):
        return self.form(p).solution(p, answer)


FAMILY = ForwardPass()
