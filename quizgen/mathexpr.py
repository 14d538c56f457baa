"""A small expression tree for the math quizgen prints.

Options such as the lectures' "(3×3×3+1)×64" must stay unevaluated products, and every output
format prints them its own way. An expression renders to *runs*: a tuple of ``(text, style)``
pairs with style ``""`` (plain), ``"sub"`` or ``"sup"``. Renderers turn runs into reportlab
markup, HTML or plain Unicode; ``latex()`` gives LaTeX and ``to_sympy()`` an unevaluated sympy
expression (used to cross-check ``value()``).

    >>> e = Mul(Paren(Add(Mul(3, 3, 3), 1)), 64)
    >>> e.text(), e.value()
    ('(3 × 3 × 3 + 1) × 64', 1792)
"""
from __future__ import annotations

import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Union

from quizgen.numbers import fmt

Run = tuple[str, str]
Number = Union[int, Fraction, float]

_SUB = str.maketrans("0123456789+-=()aehijklmnoprstuvx",
                     "₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP = str.maketrans("0123456789+-=()n", "⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")
_SUB_CHARS = set("₀₁₂₃₄₅₆₇₈₉₊₋₌₍₎ₐₑₕᵢⱼₖₗₘₙₒₚᵣₛₜᵤᵥₓ")
_SUP_CHARS = set("⁰¹²³⁴⁵⁶⁷⁸⁹⁺⁻⁼⁽⁾ⁿ")


def runs_to_text(runs: tuple[Run, ...]) -> str:
    """Plain Unicode: subscripts and superscripts as Unicode characters where they exist,
    otherwise ``_x`` / ``^x``."""
    out = []
    for text, style in runs:
        if style == "sub":
            t = text.translate(_SUB)
            if all(ch in _SUB_CHARS for ch in t):
                out.append(t)
            else:
                out.append("_" + (text if len(text) == 1 else "{" + text + "}"))
        elif style == "sup":
            t = text.translate(_SUP)
            if not all(ch in _SUP_CHARS for ch in t):
                t = "^" + (text if len(text) == 1 else "(" + text + ")")
            out.append(t)
        else:
            out.append(text)
    return "".join(out)


def _merge(runs) -> tuple[Run, ...]:
    merged: list[Run] = []
    for text, style in runs:
        if not text:
            continue
        if merged and merged[-1][1] == style:
            merged[-1] = (merged[-1][0] + text, style)
        else:
            merged.append((text, style))
    return tuple(merged)


class Expr:
    """Base class. Subclasses implement ``runs()``, ``value()``, ``latex()``, ``to_sympy()``."""

    #: binding strength used to decide parentheses: atoms 9, pow 8, mul/div 6, add/sub 4, eq 1
    prec = 9

    def runs(self) -> tuple[Run, ...]:
        raise NotImplementedError

    def value(self) -> Number:
        raise NotImplementedError

    def latex(self) -> str:
        raise NotImplementedError

    def to_sympy(self):
        raise NotImplementedError

    def text(self) -> str:
        """Plain Unicode rendering."""
        return runs_to_text(self.runs())

    def __str__(self) -> str:
        return self.text()


def E(x) -> Expr:
    """Coerce a number or string into an expression node."""
    if isinstance(x, Expr):
        return x
    if isinstance(x, (int, Fraction, float)) and not isinstance(x, bool):
        return Num(x)
    if isinstance(x, str):
        return Sym(x)
    raise TypeError(f"cannot make an expression of {x!r}")


def _wrap(e: Expr, min_prec: int) -> tuple[Run, ...]:
    if e.prec < min_prec:
        return _merge((("(", ""),) + e.runs() + ((")", ""),))
    return e.runs()


def _wrap_latex(e: Expr, min_prec: int) -> str:
    return f"\\left({e.latex()}\\right)" if e.prec < min_prec else e.latex()


@dataclass(frozen=True)
class Num(Expr):
    """A number, printed with ``numbers.fmt`` (thousands separators only when ``group``)."""

    v: Number
    group: bool = False

    def __post_init__(self):
        if self.v < 0:
            object.__setattr__(self, "prec", 5)

    def runs(self):
        return ((fmt(self.v, group=self.group).replace("-", "−"), ""),)

    def value(self):
        return self.v

    def latex(self):
        return fmt(self.v, group=self.group).replace(",", "{,}")

    def to_sympy(self):
        import sympy
        if isinstance(self.v, float):
            return sympy.Float(self.v)
        return sympy.Rational(self.v) if isinstance(self.v, Fraction) else sympy.Integer(self.v)


@dataclass(frozen=True)
class Sym(Expr):
    """A symbol such as n_h or C_in, with an optional numeric binding for ``value()``."""

    name: str
    sub: str = ""
    sup: str = ""
    bound: Number | None = None

    def runs(self):
        return _merge(((self.name, ""), (self.sub, "sub"), (self.sup, "sup")))

    def value(self):
        if self.bound is None:
            raise ValueError(f"symbol {self.text()} has no value")
        return self.bound

    def latex(self):
        s = self.name if len(self.name) == 1 else f"\\mathrm{{{self.name}}}"
        if self.sub:
            s += f"_{{\\mathrm{{{self.sub}}}}}"
        if self.sup:
            s += f"^{{{self.sup}}}"
        return s

    def to_sympy(self):
        import sympy
        return sympy.Symbol(self.name + (f"_{self.sub}" if self.sub else ""))


class _NAry(Expr):
    op_text = ""
    op_latex = ""

    def __init__(self, *args):
        self.args = tuple(E(a) for a in args)

    def __eq__(self, other):
        return type(self) is type(other) and self.args == other.args

    def __hash__(self):
        return hash((type(self).__name__, self.args))

    def __repr__(self):
        return f"{type(self).__name__}{self.args!r}"


class Mul(_NAry):
    """Unevaluated product printed ``a × b × c``."""

    prec = 6

    def runs(self):
        out: list[Run] = []
        for i, a in enumerate(self.args):
            if i:
                out.append((" × ", ""))
            out.extend(_wrap(a, 6 if i == 0 else 7))
        return _merge(out)

    def value(self):
        v = 1
        for a in self.args:
            v = v * a.value()
        return v

    def latex(self):
        return " \\times ".join(_wrap_latex(a, 6 if i == 0 else 7) for i, a in enumerate(self.args))

    def to_sympy(self):
        import sympy
        return sympy.Mul(*(a.to_sympy() for a in self.args), evaluate=False)


class Add(_NAry):
    """Unevaluated sum ``a + b + c``."""

    prec = 4

    def runs(self):
        out: list[Run] = []
        for i, a in enumerate(self.args):
            if i and isinstance(a, Num) and a.v < 0:
                out.append((" − ", ""))
                out.extend(Num(-a.v, a.group).runs())
                continue
            if i:
                out.append((" + ", ""))
            out.extend(_wrap(a, 4 if i == 0 else 5))
        return _merge(out)

    def value(self):
        return sum((a.value() for a in self.args), 0)

    def latex(self):
        out = ""
        for i, a in enumerate(self.args):
            if i and isinstance(a, Num) and a.v < 0:
                out += " - " + Num(-a.v, a.group).latex()
            else:
                out += (" + " if i else "") + _wrap_latex(a, 4 if i == 0 else 5)
        return out

    def to_sympy(self):
        import sympy
        return sympy.Add(*(a.to_sympy() for a in self.args), evaluate=False)


class Sub(_NAry):
    """``a − b − c`` (left associative)."""

    prec = 4

    def runs(self):
        out: list[Run] = []
        for i, a in enumerate(self.args):
            if i:
                out.append((" − ", ""))
            out.extend(_wrap(a, 4 if i == 0 else 5))
        return _merge(out)

    def value(self):
        v = self.args[0].value()
        for a in self.args[1:]:
            v = v - a.value()
        return v

    def latex(self):
        return " - ".join(_wrap_latex(a, 4 if i == 0 else 5) for i, a in enumerate(self.args))

    def to_sympy(self):
        import sympy
        first, *rest = (a.to_sympy() for a in self.args)
        return sympy.Add(first, *(sympy.Mul(-1, r, evaluate=False) for r in rest), evaluate=False)


class Div(_NAry):
    """Inline division ``a / b``; ``value()`` is exact (a Fraction) for integers."""

    prec = 6

    def __init__(self, a, b):
        super().__init__(a, b)

    def runs(self):
        a, b = self.args
        return _merge(_wrap(a, 6) + ((" / ", ""),) + _wrap(b, 7))

    def value(self):
        a, b = (x.value() for x in self.args)
        if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)):
            return Fraction(a) / Fraction(b)
        return a / b

    def latex(self):
        a, b = self.args
        return f"\\frac{{{a.latex()}}}{{{b.latex()}}}"

    def to_sympy(self):
        import sympy
        a, b = (x.to_sympy() for x in self.args)
        return sympy.Mul(a, sympy.Pow(b, -1, evaluate=False), evaluate=False)


class Pow(_NAry):
    """``base^exp`` printed with a superscript."""

    prec = 8

    def __init__(self, base, exp):
        super().__init__(base, exp)

    def runs(self):
        base, exp = self.args
        return _merge(_wrap(base, 9) + tuple((t, "sup") for t, _ in exp.runs()))

    def value(self):
        base, exp = (x.value() for x in self.args)
        return base ** exp

    def latex(self):
        base, exp = self.args
        return f"{_wrap_latex(base, 9)}^{{{exp.latex()}}}"

    def to_sympy(self):
        import sympy
        return sympy.Pow(*(a.to_sympy() for a in self.args), evaluate=False)


class Paren(_NAry):
    """Explicit parentheses."""

    def __init__(self, x):
        super().__init__(x)

    def runs(self):
        return _merge((("(", ""),) + self.args[0].runs() + ((")", ""),))

    def value(self):
        return self.args[0].value()

    def latex(self):
        return f"\\left({self.args[0].latex()}\\right)"

    def to_sympy(self):
        return self.args[0].to_sympy()


class Floor(_NAry):
    """``⌊x⌋``."""

    def __init__(self, x):
        super().__init__(x)

    def runs(self):
        return _merge((("⌊", ""),) + self.args[0].runs() + (("⌋", ""),))

    def value(self):
        return math.floor(self.args[0].value())

    def latex(self):
        return f"\\left\\lfloor {self.args[0].latex()} \\right\\rfloor"

    def to_sympy(self):
        import sympy
        return sympy.floor(self.args[0].to_sympy(), evaluate=False)


class Ceil(_NAry):
    """``⌈x⌉``."""

    def __init__(self, x):
        super().__init__(x)

    def runs(self):
        return _merge((("⌈", ""),) + self.args[0].runs() + (("⌉", ""),))

    def value(self):
        return math.ceil(self.args[0].value())

    def latex(self):
        return f"\\left\\lceil {self.args[0].latex()} \\right\\rceil"

    def to_sympy(self):
        import sympy
        return sympy.ceiling(self.args[0].to_sympy(), evaluate=False)


_FUNCS = {
    "max": (max, "\\max"), "min": (min, "\\min"),
    "exp": (lambda x: math.exp(x), "\\exp"), "log": (lambda x: math.log(x), "\\log"),
    "ln": (lambda x: math.log(x), "\\ln"), "sqrt": (lambda x: math.sqrt(x), "\\sqrt"),
    "mean": (lambda *xs: Fraction(sum(Fraction(x) for x in xs), len(xs))
             if all(isinstance(x, (int, Fraction)) for x in xs) else sum(xs) / len(xs),
             "\\operatorname{mean}"),
    "ReLU": (lambda x: max(x, 0), "\\operatorname{ReLU}"),
}


class Call(_NAry):
    """A named function: ``max(0, 1, 3, 4)``, ``log(0.8)``, ``exp(2)``, ``sqrt(x)``."""

    def __init__(self, name: str, *args):
        if name not in _FUNCS:
            raise ValueError(f"unknown function {name!r}; known: {', '.join(_FUNCS)}")
        self.name = name
        super().__init__(*args)

    def __eq__(self, other):
        return isinstance(other, Call) and (self.name, self.args) == (other.name, other.args)

    def __hash__(self):
        return hash(("Call", self.name, self.args))

    def runs(self):
        if self.name == "sqrt":
            return _merge((("√(", ""),) + self.args[0].runs() + ((")", ""),))
        out: list[Run] = [(self.name + "(", "")]
        for i, a in enumerate(self.args):
            if i:
                out.append((", ", ""))
            out.extend(a.runs())
        out.append((")", ""))
        return _merge(out)

    def value(self):
        return _FUNCS[self.name][0](*(a.value() for a in self.args))

    def latex(self):
        if self.name == "sqrt":
            return f"\\sqrt{{{self.args[0].latex()}}}"
        return f"{_FUNCS[self.name][1]}\\left({', '.join(a.latex() for a in self.args)}\\right)"

    def to_sympy(self):
        import sympy
        fn = {"max": sympy.Max, "min": sympy.Min, "exp": sympy.exp, "log": sympy.log,
              "ln": sympy.log, "sqrt": sympy.sqrt}.get(self.name)
        args = [a.to_sympy() for a in self.args]
        if fn is None:
            if self.name == "ReLU":
                return sympy.Max(args[0], 0)
            return sympy.Add(*args) / len(args)
        return fn(*args, evaluate=False)


class Neg(_NAry):
    """Unary minus ``−x``."""

    prec = 5

    def __init__(self, x):
        super().__init__(x)

    def runs(self):
        return _merge((("−", ""),) + _wrap(self.args[0], 6))

    def value(self):
        return -self.args[0].value()

    def latex(self):
        return "-" + _wrap_latex(self.args[0], 6)

    def to_sympy(self):
        import sympy
        return sympy.Mul(-1, self.args[0].to_sympy(), evaluate=False)


class Eq(_NAry):
    """A chain ``a = b = c`` as written in a worked solution (no value of its own but the last)."""

    prec = 1

    def __init__(self, *args, approx_last: bool = False):
        super().__init__(*args)
        self.approx_last = approx_last

    def runs(self):
        out: list[Run] = []
        for i, a in enumerate(self.args):
            if i:
                last = i == len(self.args) - 1
                out.append((" ≈ " if (last and self.approx_last) else " = ", ""))
            out.extend(a.runs())
        return _merge(out)

    def value(self):
        return self.args[-1].value()

    def latex(self):
        parts = [a.latex() for a in self.args]
        out = parts[0]
        for i, p in enumerate(parts[1:], 1):
            out += (" \\approx " if i == len(parts) - 1 and self.approx_last else " = ") + p
        return out

    def to_sympy(self):
        return self.args[-1].to_sympy()


@dataclass(frozen=True)
class Word(Expr):
    """Upright text inside a formula, e.g. ``Word("KB")`` or ``Word("C", "in")``."""

    word: str
    sub: str = ""

    def runs(self):
        return _merge(((self.word, ""), (self.sub, "sub")))

    def value(self):
        raise ValueError(f"{self.word!r} has no value")

    def latex(self):
        s = f"\\text{{{self.word}}}"
        return s + (f"_{{\\text{{{self.sub}}}}}" if self.sub else "")

    def to_sympy(self):
        import sympy
        return sympy.Symbol(self.word)


class Seq(_NAry):
    """Juxtaposition without an operator, e.g. ``Seq(Num(6), Word(" × 6 × 16"))``; ``value()`` is
    undefined. Use for shapes like ``6 × 6 × 16`` via ``shape()`` instead where possible."""

    def runs(self):
        return _merge([r for a in self.args for r in a.runs()])

    def value(self):
        raise ValueError("a sequence has no single value")

    def latex(self):
        return "".join(a.latex() for a in self.args)

    def to_sympy(self):
        raise ValueError("a sequence has no sympy form")


def shape(*dims: int) -> Expr:
    """A tensor shape such as ``6 × 6 × 16`` (a product that is *not* to be multiplied out;
    ``value()`` is the tuple of dims)."""
    return _Shape(*dims)


class _Shape(_NAry):
    prec = 6

    def runs(self):
        return ((" × ".join(fmt(a.value()) for a in self.args), ""),)

    def value(self):
        return tuple(a.value() for a in self.args)

    def latex(self):
        return " \\times ".join(fmt(a.value()) for a in self.args)

    def to_sympy(self):
        import sympy
        return sympy.Tuple(*(a.to_sympy() for a in self.args))
