"""Exact window arithmetic shared by the value families (conv2d_values, pool_values, forward_pass).

Matrices are lists of rows of ints or Fractions. Output cell (i, j) (0-based) of a window
operation with a K_h×K_w window, stride S and padding P reads rows i·S … i·S + K_h − 1 and columns
j·S … j·S + K_w − 1 of the padded input; the output has ⌊(n + 2P − K)/S⌋ + 1 rows (and columns
likewise). Stems count rows and columns from 1.

Everything here is plain Python integer/Fraction arithmetic: it is the closed form the families
compare with the NumPy engine, and it writes the sums the worked solutions show
("0 × 0 + 1 × 1 + 3 × 2 + 4 × 3").
"""
from __future__ import annotations

from fractions import Fraction

import numpy as np

from quizgen.errors import ParamError
from quizgen.mathexpr import Add, Call, Div, Expr, Mul, Num, Paren, Sub
from quizgen.model import Matrix, T
from quizgen.numbers import fmt, to_exact

PAD = None  # a padded cell that pooling ignores (max pooling pads with −∞)


def rows_of(m) -> list[list]:
    """A matrix as a list of lists of exact numbers."""
    return [[to_exact(v) for v in row] for row in m]


def dims(m) -> tuple[int, int]:
    return len(m), len(m[0])


def pad(x, p: int, fill=0) -> list[list]:
    """``x`` with ``p`` rows/columns of ``fill`` on every side: (H, W) → (H + 2p, W + 2p)."""
    w = len(x[0]) + 2 * p
    edge = [[fill] * w for _ in range(p)]
    return edge + [[fill] * p + list(row) + [fill] * p for row in x] + [list(r) for r in edge]


def out_len(n: int, k: int, s: int, p: int) -> int:
    """⌊(n + 2p − k)/s⌋ + 1 (0 or less: the window does not fit)."""
    return (n + 2 * p - k) // s + 1


def window(xp, i: int, j: int, kh: int, kw: int, s: int) -> list[list]:
    """The kh×kw window of the padded input ``xp`` read by output cell (i, j)."""
    return [row[j * s:j * s + kw] for row in xp[i * s:i * s + kh]]


def flip(k) -> list[list]:
    """The kernel rotated by 180° (flipped on both axes): what a true convolution slides."""
    return [list(row[::-1]) for row in k[::-1]]


def flip_rows(k) -> list[list]:
    """The kernel flipped upside down only (one axis)."""
    return [list(row) for row in k[::-1]]


def transpose(k) -> list[list]:
    return [list(col) for col in zip(*k)]


def correlate(x, k, s: int = 1, p: int = 0, bias=0) -> list[list]:
    """Cross-correlation of one channel: out[i][j] = bias + Σ_{u,v} k[u][v]·x_pad[i·s + u][j·s + v].

    (H, W) ∗ (K_h, K_w) → (⌊(H + 2p − K_h)/s⌋ + 1, ⌊(W + 2p − K_w)/s⌋ + 1); empty if it does not fit.
    """
    xp = pad(x, p) if p else x
    kh, kw = dims(k)
    ho, wo = out_len(len(x), kh, s, p), out_len(len(x[0]), kw, s, p)
    taps = [(u, v, k[u][v]) for u in range(kh) for v in range(kw) if k[u][v]]
    return [[bias + sum(w * xp[i * s + u][j * s + v] for u, v, w in taps) for j in range(wo)]
            for i in range(ho)]


def correlate_channels(xs, ks, s: int = 1, p: int = 0, bias=0) -> list[list]:
    """One filter over C channels: the per-channel cross-correlations summed, plus one bias."""
    outs = [correlate(x, k, s, p) for x, k in zip(xs, ks)]
    return [[sum(o[i][j] for o in outs) + bias for j in range(len(outs[0][0]))]
            for i in range(len(outs[0]))]


def pool(x, k: int, s: int, p: int, op: str) -> list[list]:
    """Pooling of one channel with a k×k window, stride s and p cells of padding per side.

    ``op``: ``max`` and ``min`` ignore padding (torch pads max pooling with −∞); ``avg`` counts
    the zero padding in the divisor k² (torch's ``count_include_pad=True``) and is exact
    (Fractions); ``sum`` is the window sum; ``topleft`` the window's top-left cell (0 if padding).
    """
    x = [[Fraction(str(v)) if isinstance(v, float) else v for v in row] for row in x]  # exact
    xp = pad(x, p, PAD)
    n = out_len(len(x), k, s, p), out_len(len(x[0]), k, s, p)
    return [[pool_cell(window(xp, i, j, k, k, s), op) for j in range(n[1])] for i in range(n[0])]


def pool_cell(win, op: str):
    """One window's pooled value (see ``pool``)."""
    if op == "max" or op == "min":
        return (max if op == "max" else min)(v for row in win for v in row if v is not PAD)
    if op == "topleft":
        return 0 if win[0][0] is PAD else win[0][0]
    total = sum(v for row in win for v in row if v is not PAD)
    if op == "sum":
        return total
    if op == "avg":
        n = len(win) * len(win[0])
        return total // n if total % n == 0 else Fraction(total, n)
    raise ValueError(f"unknown pooling op {op!r}")


def at(m, i: int, j: int):
    """m[i][j], or None outside the matrix."""
    if 0 <= i < len(m) and m and 0 <= j < len(m[0]):
        return m[i][j]
    return None


def neighbour(m, i: int, j: int):
    """A value of a neighbouring cell (right, left, below, above: the first that exists)."""
    for di, dj in ((0, 1), (0, -1), (1, 0), (-1, 0)):
        v = at(m, i + di, j + dj)
        if v is not None:
            return v
    return None


# ---- worked-solution expressions ----------------------------------------------------------

def products(win, ker) -> Expr:
    """``a₀₀ × k₀₀ + a₀₁ × k₀₁ + …`` in row-major order, input value first (as the lectures)."""
    terms = [Mul(a, b) for ra, rb in zip(win, ker) for a, b in zip(ra, rb)]
    return terms[0] if len(terms) == 1 else Add(*terms)


def signed(v) -> Expr:
    """A number to place after + or ×: negative values in parentheses, "(−3)"."""
    return Paren(Num(v)) if v < 0 else Num(v)


def total(values) -> Expr:
    """``a + b + (−c) + …`` (the first term bare)."""
    values = list(values)
    return Add(Num(values[0]), *(signed(v) for v in values[1:])) if len(values) > 1 \
        else Num(values[0])


def plus(expr: Expr, b) -> Expr:
    """``expr + b`` (``expr − |b|`` for a negative b, ``expr`` for 0)."""
    if b == 0:
        return expr
    return Add(expr, b) if b > 0 else Sub(expr, -b)


def channel_sum(terms: list[Expr]) -> Expr:
    """``(…) + (…)``: one parenthesised sum per channel."""
    return terms[0] if len(terms) == 1 else Add(*(Paren(t) for t in terms))


def pool_expr(win, op: str) -> Expr:
    """``max(12, 20, 20, 12)`` or ``(12 + 20 + 20 + 12) / 4`` for one window."""
    if op == "max":
        return Call("max", *[v for row in win for v in row if v is not PAD])
    zeros = [0 if v is PAD else v for row in win for v in row]
    return Div(total(zeros), len(zeros))


# ---- the same sums as plain text (fast; for select-all explanations, which are strings) -------

def num_text(v, wrap: bool = False) -> str:
    """A number as ``Num`` prints it ("−3"), in parentheses when ``wrap`` and negative."""
    t = (str(v) if type(v) is int else fmt(v)).replace("-", "−")
    return f"({t})" if wrap and v < 0 else t


def products_text(win, ker) -> str:
    """``products(win, ker).text()`` without building the tree."""
    return " + ".join(f"{num_text(a, True)} × {num_text(b, True)}"
                      for ra, rb in zip(win, ker) for a, b in zip(ra, rb))


def plus_text(text: str, b) -> str:
    """``plus(expr, b).text()`` for an expression printed as ``text``."""
    return text if b == 0 else f"{text} + {num_text(b)}" if b > 0 else f"{text} − {num_text(-b)}"


def channel_sum_text(terms: list[str]) -> str:
    return terms[0] if len(terms) == 1 else " + ".join(f"({t})" for t in terms)


def pool_text(win, op: str) -> str:
    """``pool_expr(win, op).text()`` without building the tree."""
    if op == "max":
        return "max(" + ", ".join(num_text(v) for row in win for v in row if v is not PAD) + ")"
    zeros = [0 if v is PAD else v for row in win for v in row]
    body = " + ".join([num_text(zeros[0])] + [num_text(v, True) for v in zeros[1:]])
    return f"({body}) / {len(zeros)}" if len(zeros) > 1 else f"{body} / 1"


def matrix_option(value) -> tuple:
    """An option that is a whole matrix."""
    return (Matrix.of(value),)


def number_option(value) -> tuple:
    """An option that is one exact number (a true minus sign for negatives)."""
    return (T(Num(to_exact(value))),)


def near_numbers(a) -> list:
    """Fill-in candidates around an exact number (negative values allowed)."""
    a = to_exact(a)
    step = 1 if isinstance(a, int) and abs(a) < 20 else max(1, abs(int(a)) // 10)
    return [a + step, a - step, a + 2 * step, a - 2 * step, a + 3 * step, a - 3 * step]


def near_matrices(m) -> list:
    """Fill-in candidates for a matrix answer: its transpose, mirror images, one cell changed."""
    t = transpose(m)
    mirrored = [list(row[::-1]) for row in m]
    upside = [list(row) for row in m[::-1]]
    bumped = [list(row) for row in m]
    bumped[0][0] = bumped[0][0] + 1
    last = [list(row) for row in m]
    last[-1][-1] = last[-1][-1] - 1
    return [t, mirrored, upside, bumped, last]


def as_array(m) -> np.ndarray:
    return np.array([[float(v) for v in row] for row in m], dtype=np.float64)


def cell_statements(answer, wrongs_at, text_at, rng, count: int = 4) -> list:
    """Select-all statements "The output in row r, column c is v." about ``count`` cells.

    ``answer`` is the correct output matrix; ``wrongs_at(i, j)`` gives {misconception: value} for
    cell (i, j) and ``text_at(i, j)`` the sum that computes it, as text. Each statement is true or
    false at random (at least one of each); a false one shows a misconception's value for its
    cell (a near value when every misconception coincides with the answer).
    """
    from quizgen.family import Statement
    from quizgen.misconceptions import CATALOGUE
    cells = [(i, j) for i in range(len(answer)) for j in range(len(answer[0]))]
    picked = [cells[int(k)] for k in rng.permutation(len(cells))[:count]]
    truth = [bool(rng.integers(2)) for _ in picked] if len(picked) > 1 else [True]
    if len(picked) > 1:
        first_true, first_false = (int(k) for k in rng.permutation(len(picked))[:2])
        truth[first_true], truth[first_false] = True, False
    out = []
    for (i, j), true in zip(picked, truth):
        v = answer[i][j]
        why = f"{text_at(i, j)} = {num_text(v)}"
        if true:
            out.append(Statement((T(f"The output in row {i + 1}, column {j + 1} is ", Num(v), "."),),
                                 True, None, f"True: {why}."))
            continue
        wrong = [(k, w) for k, w in sorted(wrongs_at(i, j).items()) if w is not None and w != v]
        key, w = wrong[int(rng.integers(len(wrong)))] if wrong else ("near_value", v + 1)
        out.append(Statement((T(f"The output in row {i + 1}, column {j + 1} is ", Num(w), "."),),
                             False, key, f"{CATALOGUE[key]} The value is {why}."))
    return out


def memo(p, key, fn):
    """``fn()`` computed once per built parameter set ``p``.

    The cache lives in the ``P`` object's attributes (not among its items, so it is no
    parameter); a plain dict (during sampling) is not cached.
    """
    store = getattr(p, "__dict__", None)
    if store is None:
        return fn()
    cache = store.setdefault("_memo", {})
    if key not in cache:
        cache[key] = fn()
    return cache[key]


class GridChecks:
    """What the families whose answer is an output grid (conv and pool values) share: checks,
    the verified solve and the memoised wrong variants.

    The family provides ``name``, ``output(p)`` (the exact output matrix), ``engine_output(p)``
    (the engine's), ``asks_cell(p)``, ``_variants(p)`` and ``verified_what``."""

    verified_what = "output values"

    def solve(self, p):
        out = memo(p, "verified", lambda: self.verify(self.output(p), self.engine_output(p),
                                                      self.verified_what))
        return out[p.row - 1][p.col - 1] if self.asks_cell(p) else out

    def variants(self, p) -> dict:
        """Whole wrong outputs, one per misconception that applies."""
        return memo(p, "variants", lambda: self._variants(p))

    def check_cell(self, p, h: int, w: int, kh: int, kw: int) -> None:
        """The asked ``row``/``col`` (counted from 1) must lie inside the output."""
        for name, v, n in (("row", p.row, out_len(h, kh, p.S, p.P)),
                           ("col", p.col, out_len(w, kw, p.S, p.P))):
            if v > n:
                raise ParamError(f"the output has only {n} {name}s", family=self.name,
                                 param=name, value=v)

    def check_kind(self, p, kind):
        if kind == "multiple" and sum(map(len, self.output(p))) < 3:
            raise ParamError("a select-all question needs an output of at least 3 cells",
                             family=self.name, param="form", value=p.form)
        if kind == "numeric" and p.form == "matrix":
            raise ParamError("form 'matrix' asks for the whole output; a numeric question asks "
                             "one cell (use form=cell)", family=self.name, param="form",
                             value=p.form)
