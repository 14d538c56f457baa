from fractions import Fraction

import numpy as np

from quizgen.numbers import fmt, is_terminating, round_half_up, to_exact


def test_fmt_exact_and_grouped():
    assert fmt(1814073344, group=True) == "1,814,073,344"
    assert fmt(1792) == "1792"
    assert fmt(Fraction(25, 2)) == "12.5"
    assert fmt(Fraction(1, 3)) == "0.3333"
    assert fmt(12.499999999) == "12.5"
    assert fmt(2.0) == "2"
    assert fmt(np.float64(16.0)) == "16"
    assert fmt(-0.0) == "0"


def test_round_half_up_matches_lecture_tables():
    assert round_half_up(182.25) == 182
    assert round_half_up(546.75) == 547
    assert round_half_up(Fraction(1, 2)) == 1
    assert round_half_up(2.5) == 3  # banker's rounding would give 2


def test_to_exact():
    assert to_exact(np.int64(3)) == 3 and isinstance(to_exact(np.int64(3)), int)
    assert to_exact(Fraction(4, 2)) == 2
    assert to_exact(3.5) == 3.5
    assert is_terminating(Fraction(1, 8)) and not is_terminating(Fraction(1, 3))
