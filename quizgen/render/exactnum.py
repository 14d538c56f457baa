"""Numbers for machine-read outputs (QTI answer keys, the scanner CSV).

Display formatting (``numbers.fmt`` with its default 4 places) is for people; a grader needs the
value itself. ``exact`` turns any answer value into a ``Fraction`` without binary noise (a float
is read through its shortest repr, so 0.1 → 1/10, not 3602879701896397/2**55), and
``number_text`` prints it through ``fmt`` with 12 decimal places: exact for every terminating
value quizgen produces, and never in exponent notation (Canvas and spreadsheets both read it).
"""
from __future__ import annotations

from fractions import Fraction

from quizgen.numbers import fmt, to_exact

PLACES = 12


def exact(v) -> Fraction:
    """int, Fraction, float or numpy scalar → Fraction (floats via their shortest repr)."""
    v = to_exact(v)
    if isinstance(v, float):
        return Fraction(repr(v))
    return Fraction(v)


def number_text(v) -> str:
    """Plain decimal text of ``v``: ``113``, ``0.25``, ``-1.5``, ``0.333333333333``."""
    return fmt(exact(v), places=PLACES)
