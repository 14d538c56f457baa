"""Exact number formatting shared by every renderer.

Options must be distinct *after formatting*, so every place that prints a number goes through
``fmt``. Integers print exactly (optionally with thousands separators); Fractions print as exact
decimals when they terminate within ``places`` digits, otherwise rounded to ``places`` digits;
floats print with at most ``places`` significant decimals and never as float noise
(12.499999 → 12.5).
"""
from __future__ import annotations

from decimal import ROUND_HALF_UP, Decimal
from fractions import Fraction
from numbers import Integral

import numpy as np


def to_exact(v):
    """int/Fraction stay; integral floats and numpy scalars become int; other floats stay."""
    if isinstance(v, (bool, np.bool_)):
        return int(v)
    if isinstance(v, Integral) or isinstance(v, np.integer):
        return int(v)
    if isinstance(v, Fraction):
        return v.numerator if v.denominator == 1 else v
    if isinstance(v, (float, np.floating)):
        f = float(v)
        if f.is_integer() and abs(f) < 2 ** 53:
            return int(f)
        return f
    raise TypeError(f"not a number: {v!r}")


def round_half_up(v, places: int = 0):
    """Round like the lecture tables (182.25 → 182, 546.75 → 547), not banker's rounding."""
    q = Decimal(1).scaleb(-places)
    d = Decimal(v.numerator) / Decimal(v.denominator) if isinstance(v, Fraction) else Decimal(str(v))
    r = d.quantize(q, rounding=ROUND_HALF_UP)
    return int(r) if places == 0 else float(r)


def fmt(v, *, group: bool = False, places: int = 4) -> str:
    """Format a number for display. ``group`` adds thousands separators to integers."""
    v = to_exact(v)
    if isinstance(v, int):
        return f"{v:,}" if group else str(v)
    if isinstance(v, Fraction):
        d = Decimal(v.numerator) / Decimal(v.denominator)
        q = d.quantize(Decimal(1).scaleb(-places), rounding=ROUND_HALF_UP)
        s = format(q.normalize(), "f")
        return s if "." not in s else s.rstrip("0").rstrip(".")
    r = round_half_up(v, places)
    s = format(Decimal(str(r)).normalize(), "f")
    if s in ("-0", "-0.0"):
        s = "0"
    if group and "." not in s:
        s = f"{int(s):,}"
    return s


def is_terminating(fr: Fraction, places: int = 4) -> bool:
    """True when ``fr`` has an exact decimal expansion of at most ``places`` digits."""
    return (fr * 10 ** places).denominator == 1
