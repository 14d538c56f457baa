"""forward_pass forms about normalisation and probabilities: ``batchnorm``, ``softmax``,
``cross_entropy``.

Same hooks as ``_forward_nets``. Closed forms use exact Fractions where the value is rational
(batch-norm with a perfect-square variance and ε = 0) and ``math`` otherwise; the engine runs are
``functional.batch_norm(training=True)``, ``functional.softmax`` and ``functional.cross_entropy``.
Options print with a fixed number of decimals (2, or 3 for the loss as in the lecture's
−log 0.8 ≈ 0.223); numeric answers are accepted within ±0.01 ("to two decimal places").
"""
from __future__ import annotations

import itertools
import math
from fractions import Fraction
from functools import lru_cache

import numpy as np

from quizgen.errors import ParamError
from quizgen.families._values import plus, signed, total
from quizgen.mathexpr import Add, Call, Div, Eq, Mul, Neg, Num, Paren, Pow, Seq, Sub, Sym, Word
from quizgen.model import T
from quizgen.numbers import fmt

#: pₖ = exp(sₖ) / Σⱼ exp(sⱼ) and L = −Σᵢ Yᵢ ln pᵢ, with real subscripts in every output format.
SOFTMAX_FORMULA = Seq(Sym("p", "k"), Word(" = exp("), Sym("s", "k"), Word(") / "), Word("Σ", "j"),
                      Word(" exp("), Sym("s", "j"), Word(")"))
CE_FORMULA = Seq(Word("L = −"), Word("Σ", "i"), Word(" "), Sym("Y", "i"), Word(" ln "),
                 Sym("p", "i"))

FAMILY = "forward_pass"
TOLERANCE = 0.01  # numeric answers: two decimal places


def _err(message, param, value=None):
    return ParamError(message, family=FAMILY, param=param, value=value)


def exact(v):
    """An exact value of a parsed number: ints stay, floats become their decimal Fraction."""
    if isinstance(v, float):
        return Fraction(str(v))
    return v


def root(v):
    """√v, exact (a Fraction) when v is a perfect square of a rational, else a float."""
    v = Fraction(v)
    if v >= 0:
        n, d = math.isqrt(v.numerator), math.isqrt(v.denominator)
        if n * n == v.numerator and d * d == v.denominator:
            return Fraction(n, d)
    return math.sqrt(v)


def decimal_option(value, places: int) -> tuple:
    """An option showing ``value`` rounded (half up) to ``places`` decimals."""
    return (T(fmt(value, places=places).replace("-", "−")),)


def row(p, name):
    """The single row of a one-row matrix parameter, as exact numbers."""
    return [exact(v) for v in p[name][0]]


def _tenths(v) -> int | float:
    """An integer count of tenths as a score: 13 → 1.3, 20 → 2."""
    v = int(v)
    return v // 10 if v % 10 == 0 else v / 10


def _pick(rng, seq):
    return seq[int(rng.integers(len(seq)))]


@lru_cache(maxsize=None)
def _bn_patterns(m: int, span: int = 6) -> tuple:
    """Deviations d from the batch mean (Σd = 0, |d| ≤ span) whose variance Σd²/m is the square
    of an integer σ: pairs (d, σ)."""
    out = []
    for ds in itertools.product(range(-span, span + 1), repeat=m - 1):
        d = ds + (-sum(ds),)
        ss = sum(v * v for v in d)
        if abs(d[-1]) > span or ss == 0 or ss % m:
            continue
        r = math.isqrt(ss // m)
        if r * r == ss // m:
            out.append((d, r))
    return tuple(out)


class BatchNorm:
    """y_i = γ·(x_i − μ)/√(σ² + ε) + β over a batch of m values of one feature (σ² biased)."""

    uses = ("values", "gamma", "beta", "eps", "index")
    places = 2

    def sample(self, rng, d, fixed, p):
        q = dict(p)
        for _ in range(200):
            q = dict(p)
            # no batch of 3 has a perfect-square variance, so paper batches have 4 values
            m = len(fixed["values"][0]) if "values" in fixed else \
                4 if d == "paper" else _pick(rng, (3, 4))
            if "values" not in q:
                if d == "paper":
                    dev, _ = _pick(rng, _bn_patterns(m))
                    mu = int(rng.integers(1, 7))
                    q["values"] = [[mu + v for v in dev]]
                else:
                    lo, hi = (0, 10) if d == "standard" else (-5, 10)
                    q["values"] = [rng.integers(lo, hi + 1, size=m).tolist()]
            q.setdefault("gamma", _pick(rng, {"paper": (2, 3, 0.5), "standard": (0.5, 1.5, 2, 3),
                                              "challenge": (0.5, 1.5, 2, 2.5)}[d]))
            q.setdefault("beta", _pick(rng, {"paper": (1, -1, 2, 0.5), "standard": (-1, 0.5, 1, 2),
                                             "challenge": (-1.5, -1, 0.5, 1, 3)}[d]))
            q.setdefault("eps", _pick(rng, {"paper": (0,), "standard": (0,),
                                            "challenge": (0.25, 1)}[d]))
            q.setdefault("index", 1 + int(rng.integers(m)))
            try:
                self.check(q)
            except ParamError as err:
                if err.param in fixed:
                    return q  # resampling the others cannot help: build reports it
                continue
            mu, var = self.stats(q)
            x = row(q, "values")[q["index"] - 1]
            ans = self.closed(q)
            short = isinstance(ans, Fraction) and (ans * 100).denominator == 1
            if x != mu and (d != "paper" or short):
                return q
        return q

    def check(self, p):
        xs = row(p, "values")
        if len(p["values"]) != 1 or len(xs) < 2:
            raise _err("needs one row of at least 2 values (the batch)", "values", p["values"])
        if p["eps"] < 0:
            raise _err("must be ≥ 0", "eps", p["eps"])
        if self.stats(p)[1] + exact(p["eps"]) == 0:
            raise _err("all values are equal and ε = 0: the variance is 0, division by zero",
                       "values", p["values"])
        if not 1 <= p["index"] <= len(xs):
            raise _err(f"must be between 1 and {len(xs)}", "index", p["index"])

    @staticmethod
    def stats(p, unbiased=False):
        xs = row(p, "values")
        mu = Fraction(sum(xs)) / len(xs)
        return mu, sum((x - mu) ** 2 for x in xs) / (len(xs) - 1 if unbiased else len(xs))

    def closed(self, p, *, unbiased=False, divide_by_var=False, eps=True, affine="right"):
        """The asked output; keywords model a misconception."""
        mu, var = self.stats(p, unbiased)
        e = exact(p["eps"]) if eps else 0
        x = row(p, "values")[p["index"] - 1]
        xhat = (x - mu) / (var + e if divide_by_var else root(var + e))
        g, b = exact(p["gamma"]), exact(p["beta"])
        return {"right": g * xhat + b, "none": xhat, "order": g * (xhat + b)}[affine]

    def engine(self, p):
        from quizgen.engine import functional as F
        xs = np.array([float(v) for v in row(p, "values")])[:, None]
        y = F.batch_norm(xs, None, None, weight=[float(p["gamma"])], bias=[float(p["beta"])],
                         training=True, eps=float(p["eps"]))
        return y[p["index"] - 1, 0]

    def solve(self, fam, p):
        return fam.verify(self.closed(p), self.engine(p), "batch-norm output")

    def misconceptions(self, p, answer):
        out = {"bn_unbiased_variance": self.closed(p, unbiased=True),
               "bn_used_std_not_var": self.closed(p, divide_by_var=True),
               "bn_forgot_affine": self.closed(p, affine="none"),
               "bn_affine_order": self.closed(p, affine="order")}
        if p["eps"]:
            out["bn_forgot_eps"] = self.closed(p, eps=False)
        return out

    def near(self, p, answer):
        return [answer + s for s in (Fraction(1, 2), -Fraction(1, 2), 1, -1, Fraction(1, 4))]

    def option(self, value, p):
        return decimal_option(value, self.places)

    def numeric(self, p, answer):
        return float(answer), TOLERANCE

    def context(self, p, kind):
        xs = row(p, "values")
        return dict(batch=", ".join(Num(v).text() for v in xs), m=len(xs),
                    x=Num(xs[p["index"] - 1]), gamma=Num(exact(p["gamma"])),
                    beta=Num(exact(p["beta"])), eps=Num(exact(p["eps"])), places=self.places)

    def solution(self, p, answer):
        xs = row(p, "values")
        m = len(xs)
        mu, var = self.stats(p)
        e = exact(p["eps"])
        x = xs[p["index"] - 1]
        den = root(var + e)
        xhat = (x - mu) / den
        g, b = exact(p["gamma"]), exact(p["beta"])
        sq = Add(*(Pow(Paren(Sub(v, signed(mu))), 2) for v in xs))
        return (
            T("Batch mean: μ = ", Eq(Div(Paren(total(xs)), m), Num(mu)), "."),
            T("Batch variance (divide by m, not m − 1): σ² = ", Eq(Div(Paren(sq), m), Num(var)), "."),
            T(f"Normalise x = {Num(x).text()}: x̂ = ",
              Eq(Div(Paren(Sub(x, signed(mu))), Call("sqrt", Add(var, e))), Num(xhat),
                 approx_last=isinstance(xhat, float)), "."),
            T("Scale and shift: y = γ·x̂ + β = ",
              Eq(plus(Mul(g, signed(xhat)), b), Num(answer), approx_last=isinstance(answer, float)),
              self._rounded(answer)),
        )

    def _rounded(self, v) -> str:
        """" ≈ v" at the options' precision when that differs from the exact value shown."""
        short = fmt(v, places=self.places)
        return "." if short == fmt(v) else f" ≈ {short.replace('-', '−')}."


class Softmax:
    """p_t = e^{s_t} / Σ_j e^{s_j} for scores s and class t (1-based)."""

    uses = ("scores", "target")
    places = 2
    EXP_TABLE = 3  # decimals of the e^k table given at paper level

    def sample(self, rng, d, fixed, p):
        q = dict(p)
        for _ in range(200):
            q = dict(p)
            if "scores" not in q:
                if d == "paper":  # small integers: the stem gives e^0 … e^3
                    q["scores"] = [rng.integers(0, 4, size=int(rng.integers(3, 5))).tolist()]
                else:
                    n = int(rng.integers(3, 6)) if d == "standard" else int(rng.integers(4, 6))
                    lo, hi = (0, 55) if d == "standard" else (-20, 40)
                    q["scores"] = [[_tenths(v) for v in rng.integers(lo, hi + 1, size=n)]]
            q.setdefault("target", 1 + int(rng.integers(len(q["scores"][0]))))
            try:
                self.check(q)
            except ParamError as err:
                if err.param in fixed:
                    return q  # resampling the others cannot help: build reports it
                continue
            if 0.02 <= self.closed(q) <= 0.98 and len(set(q["scores"][0])) > 1:
                return q
        return q

    def check(self, p):
        s = p["scores"]
        if len(s) != 1 or len(s[0]) < 2:
            raise _err("needs one row of at least 2 scores", "scores", s)
        if not 1 <= p["target"] <= len(s[0]):
            raise _err(f"must be between 1 and {len(s[0])}", "target", p["target"])

    @staticmethod
    def probs(p):
        s = [float(v) for v in row(p, "scores")]
        e = [math.exp(v) for v in s]
        return [v / sum(e) for v in e]

    def closed(self, p):
        return self.probs(p)[p["target"] - 1]

    def engine(self, p):
        from quizgen.engine import functional as F
        return F.softmax(np.array([float(v) for v in row(p, "scores")]), dim=0)[p["target"] - 1]

    def solve(self, fam, p):
        return fam.verify(self.closed(p), self.engine(p), "softmax probability")

    def misconceptions(self, p, answer):
        s = row(p, "scores")
        t = p["target"] - 1
        probs = self.probs(p)
        other = max((c for c in range(len(s)) if c != t), key=probs.__getitem__)
        out = {"softmax_wrong_class": probs[other],
               "sigmoid_instead_of_softmax": 1 / (1 + math.exp(-float(s[t])))}
        if min(s) >= 0 and sum(s) > 0:
            out["softmax_no_exp"] = float(s[t] / sum(s))
        return out

    def near(self, p, answer):
        return [v for v in (answer + 0.1, answer - 0.1, answer + 0.05, answer - 0.05,
                            answer + 0.2, answer / 2) if 0 < v < 1]

    def option(self, value, p):
        return decimal_option(value, self.places)

    def numeric(self, p, answer):
        return float(answer), TOLERANCE

    def context(self, p, kind):
        s = row(p, "scores")
        table = None
        if p.difficulty == "paper" and all(isinstance(v, int) for v in s):
            table = ", ".join(f"e{Num(k).text().translate(_SUP)} ≈ {fmt(math.exp(k), places=self.EXP_TABLE)}"
                              if k else "e⁰ = 1" for k in sorted(set(s)))
        return dict(scores=", ".join(Num(v).text() for v in s), n=len(s), table=table,
                    places=self.places)

    def solution(self, p, answer):
        s = row(p, "scores")
        t = p["target"] - 1
        e = [math.exp(float(v)) for v in s]
        shown = [Num(round(v, 3)) for v in e]
        return (
            T("Softmax turns the scores into probabilities: ", SOFTMAX_FORMULA, "."),
            T(f"p{t + 1} = ", Div(Call("exp", s[t]), Paren(Add(*(Call("exp", v) for v in s)))),
              " ≈ ", Div(shown[t], Paren(Add(*shown))), f" ≈ {fmt(e[t], places=3)} / "
              f"{fmt(sum(e), places=3)} ≈ {fmt(answer, places=4)} ≈ {fmt(answer, places=self.places)}."),
        )


_SUP = str.maketrans("0123456789-−", "⁰¹²³⁴⁵⁶⁷⁸⁹⁻⁻")
_NICE = tuple(Fraction(n, 20) for n in (1, 2, 3, 4, 5, 6, 8, 9, 10, 12, 15, 16, 18))


@lru_cache(maxsize=None)
def _paper_probs() -> tuple:
    """Distributions over 2–4 classes whose probabilities are all 2^a·3^b·5^c (0.05, 0.1, 0.15,
    0.2, 0.25, 0.3, 0.4, 0.45, 0.5, 0.6, 0.75, 0.8, 0.9), so ln p follows from ln 2, ln 3, ln 5."""
    return tuple(d for n in (2, 3, 4) for d in itertools.product(_NICE, repeat=n) if sum(d) == 1)


LN_TABLE = {2: 0.693, 3: 1.099, 5: 1.609}  # the paper-level table (3 decimals)


def _factor235(fr: Fraction) -> dict | None:
    """Exponents {2: a, 3: b, 5: c} with fr = 2^a·3^b·5^c, or None."""
    out = {}
    for part, sign in ((fr.numerator, 1), (fr.denominator, -1)):
        for q in (2, 3, 5):
            while part % q == 0:
                part //= q
                out[q] = out.get(q, 0) + sign
        if part != 1:
            return None
    return out


class CrossEntropy:
    """L = −Σ_i Y_i ln p_i = −ln p_t for a one-hot label t; p given (``probs``) or from scores
    by softmax (``scores``: L = ln Σ_j e^{s_j} − s_t)."""

    uses = ("probs", "scores", "target")
    places = 3

    def sample(self, rng, d, fixed, p):
        q = dict(p)
        for _ in range(200):
            q = dict(p)
            if "probs" not in q and "scores" not in q:
                if d == "paper":
                    q["probs"] = [[float(v) for v in _pick(rng, _paper_probs())]]
                elif d == "standard":
                    n = int(rng.integers(3, 5))
                    cuts = sorted(rng.choice(np.arange(1, 20), size=n - 1, replace=False).tolist())
                    parts = [b - a for a, b in zip([0] + cuts, cuts + [20])]
                    q["probs"] = [[v / 20 for v in parts]]
                else:
                    n = int(rng.integers(3, 5))
                    q["scores"] = [[_tenths(v) for v in rng.integers(-20, 41, size=n)]]
            n = len((q.get("probs") or q.get("scores"))[0])
            q.setdefault("target", 1 + int(rng.integers(n)))
            try:
                self.check(q)
            except ParamError as err:
                if err.param in fixed:
                    return q  # resampling the others cannot help: build reports it
                continue
            pt = self.probs(q)[q["target"] - 1]
            if 0.02 <= pt <= 0.98:
                return q
        return q

    def check(self, p):
        if "probs" in p and "scores" in p:
            raise _err("give probs or scores, not both", "scores", p["scores"])
        name = "probs" if "probs" in p else "scores"
        v = p.get(name)
        if not v or len(v) != 1 or len(v[0]) < 2:
            raise _err("needs one row of at least 2 values", name, v)
        if name == "probs":
            pr = row(p, "probs")
            if min(pr) <= 0 or sum(pr) != 1:
                raise _err("probabilities must be positive and sum to 1", "probs", v)
        if not 1 <= p["target"] <= len(v[0]):
            raise _err(f"must be between 1 and {len(v[0])}", "target", p["target"])

    @staticmethod
    def probs(p):
        if "probs" in p:
            return [float(v) for v in row(p, "probs")]
        return Softmax.probs(p)

    def closed(self, p):
        t = p["target"] - 1
        if "probs" in p:
            return -math.log(float(row(p, "probs")[t]))
        s = [float(v) for v in row(p, "scores")]
        top = max(s)
        return top + math.log(sum(math.exp(v - top) for v in s)) - s[t]

    def engine(self, p):
        from quizgen.engine import functional as F
        logits = np.log(self.probs(p)) if "probs" in p else \
            np.array([float(v) for v in row(p, "scores")])
        return F.cross_entropy(logits[None], np.array([p["target"] - 1]))

    def solve(self, fam, p):
        return fam.verify(self.closed(p), self.engine(p), "cross-entropy loss")

    def misconceptions(self, p, answer):
        pr = self.probs(p)
        t = p["target"] - 1
        other = max((c for c in range(len(pr)) if c != t), key=pr.__getitem__)
        return {"ce_log10": -math.log10(pr[t]), "ce_no_negative": math.log(pr[t]),
                "ce_one_minus_p": 1 - pr[t], "ce_log_of_wrong_class": -math.log(pr[other])}

    def near(self, p, answer):
        return [v for v in (answer + 0.1, answer * 2, answer / 2, answer + 0.5, answer - 0.1)
                if v > 0]

    def option(self, value, p):
        return decimal_option(value, self.places)

    def numeric(self, p, answer):
        return float(answer), TOLERANCE

    def context(self, p, kind):
        given = "probs" if "probs" in p else "scores"
        vals = row(p, given)
        table = None
        if p.difficulty == "paper" and given == "probs":
            table = ", ".join(f"ln {k} ≈ {v}" for k, v in LN_TABLE.items())
        return dict(given=given, values=", ".join(Num(v).text() for v in vals), n=len(vals),
                    table=table, places=self.places)

    def solution(self, p, answer):
        t = p["target"] - 1
        steps = [T("Only the true class has Y = 1, so ", CE_FORMULA, f" = −ln p{t + 1}.")]
        if "scores" in p:
            s = row(p, "scores")
            pt = self.probs(p)[t]
            steps.append(T(f"Softmax first: p{t + 1} = ",
                           Div(Call("exp", s[t]), Paren(Add(*(Call("exp", v) for v in s)))),
                           f" ≈ {fmt(pt, places=4)}."))
            steps.append(T("L = ", Eq(Neg(Call("ln", Num(round(pt, 4)))), Num(round(answer, 4)),
                                      approx_last=True),
                           f" ≈ {fmt(answer, places=self.places)} (directly: ln Σ_j e^(s_j) − "
                           f"s{t + 1})."))
            return tuple(steps)
        pt = row(p, "probs")[t]
        steps.append(T("L = ", Eq(Neg(Call("ln", Num(pt))), Num(round(answer, 4)), approx_last=True),
                       f" ≈ {fmt(answer, places=self.places)}."))
        f = _factor235(Fraction(pt))
        if p.difficulty == "paper" and f:
            terms = " ".join(f"{'−' if a < 0 else '+'} {'' if abs(a) == 1 else str(abs(a)) + ' '}ln {q}"
                             for q, a in sorted(f.items()) if a)
            terms = terms[2:] if terms.startswith("+") else "−" + terms[2:]
            approx = sum(a * LN_TABLE[q] for q, a in f.items())
            steps.append(T(f"With the table: ln {Num(pt).text()} = {terms.lstrip('+ ')} ≈ "
                           f"{fmt(approx, places=3).replace('-', '−')}, so L ≈ "
                           f"{fmt(-approx, places=3).replace('-', '−')}."))
        return tuple(steps)
