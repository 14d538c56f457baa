"""The expression tree: rendering per target, exact values, agreement with sympy."""
from fractions import Fraction

import pytest

from hypothesis import given, settings, strategies as st

from quizgen.mathexpr import (Add, Call, Div, Eq, Floor, Mul, Neg, Num, Paren, Pow, Sub, Sym,
                              runs_to_text, shape)


def test_seed_products_stay_unevaluated():
    e = Mul(Paren(Add(Mul(3, 3, 3), 1)), 64)
    assert e.text() == "(3 × 3 × 3 + 1) × 64"
    assert e.value() == 1792
    assert e.latex() == r"\left(3 \times 3 \times 3 + 1\right) \times 64"
    assert Mul(64, 3, 3, 3, 222, 222).text() == "64 × 3 × 3 × 3 × 222 × 222"
    assert Mul(64, 3, 3, 3, 222, 222).value() == 64 * 27 * 222 * 222


def test_parentheses_only_where_needed():
    assert Mul(Add(1, 2), 3).text() == "(1 + 2) × 3"
    assert Add(Mul(1, 2), 3).text() == "1 × 2 + 3"
    assert Sub(5, Sub(3, 1)).text() == "5 − (3 − 1)"
    assert Sub(5, Sub(3, 1)).value() == 3
    assert Div(Add(7, 1), 2).text() == "(7 + 1) / 2"
    assert Div(Add(7, 1), 2).value() == 4


def test_output_size_formula_renders_sub_and_floor():
    f = Add(Floor(Div(Sub(Add(Sym("n", "h"), Sym("p", "h")), Sym("k", "h")), Sym("s", "h"))), 1)
    assert f.text() == "⌊(nₕ + pₕ − kₕ) / sₕ⌋ + 1"
    runs = f.runs()
    assert ("h", "sub") in runs
    assert f.latex().startswith(r"\left\lfloor")


def test_subscripts_without_unicode_fall_back():
    assert Sym("k", "w").text() == "k_w"
    assert Sym("C", "in").text() == "Cᵢₙ"
    assert runs_to_text((("x", ""), ("out", "sub"))) == "xₒᵤₜ"
    assert runs_to_text((("y", ""), ("wd", "sub"))) == "y_{wd}"


def test_powers_and_functions():
    assert Mul(9, Pow("C", 2)).text() == "9 × C²"
    assert Call("max", 0, 1, 3, 4).value() == 4
    assert Call("max", 0, 1, 3, 4).text() == "max(0, 1, 3, 4)"
    assert Call("mean", 12, 20, 20, 12).value() == 16
    assert Neg(Call("log", Num(0.8))).value() == pytest.approx(0.22314355131420976)
    assert Eq(Mul(64, 56, 56), Num(200704, group=True)).text() == "64 × 56 × 56 = 200,704"
    with pytest.raises(ValueError):
        Call("nope", 1)


def test_exact_division():
    assert Div(53, 2).value() == Fraction(53, 2)
    assert Floor(Add(Div(53, 2), 1)).value() == 27


def test_shape_is_not_multiplied():
    s = shape(6, 6, 16)
    assert s.text() == "6 × 6 × 16"
    assert s.value() == (6, 6, 16)


ints = st.integers(min_value=-50, max_value=50)


def _tree(depth):
    if depth == 0:
        return ints.map(Num)
    sub = _tree(depth - 1)
    return st.one_of(
        ints.map(Num),
        st.lists(sub, min_size=2, max_size=3).map(lambda a: Mul(*a)),
        st.lists(sub, min_size=2, max_size=3).map(lambda a: Add(*a)),
        st.lists(sub, min_size=2, max_size=3).map(lambda a: Sub(*a)),
        sub.map(Paren),
        sub.map(Neg),
    )


@settings(max_examples=200, deadline=None)
@given(_tree(3))
def test_value_matches_sympy_and_text_parses_back(e):
    """value() agrees with sympy's evaluation of the unevaluated tree, and the printed text,
    read back as Python, gives the same number (so parentheses are right)."""
    assert e.to_sympy().doit() == e.value()
    src = e.text().replace("×", "*").replace("−", "-")
    assert eval(src) == e.value()  # noqa: S307 - test-only arithmetic on our own output


def test_negative_numbers_print_as_a_reader_writes_them():
    assert Mul(2.5, Num(-0.8165)).text() == "2.5 × (−0.8165)"
    assert Add(1, Num(-3), 2).text() == "1 − 3 + 2"
    assert Add(1, Num(-3), 2).value() == 0
    assert Add(Num(-3), 1).text() == "−3 + 1"
