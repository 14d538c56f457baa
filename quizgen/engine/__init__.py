"""Reference NumPy CNN engine: torch-compatible API, NCHW layout, float64 by default.

The engine knows nothing of questions. ``functional`` holds the stateless ops, ``layers`` the
modules, ``models`` the reference networks, ``shapes`` the closed forms and ``summary`` the
per-layer accounting table.

The submodules are re-exported, so ``from quizgen.engine import functional as F, models`` works;
the table function itself is ``summary.summary`` (also importable as
``from quizgen.engine.summary import summary``).
"""
from quizgen.engine import functional, layers, models, shapes, summary

__all__ = ["functional", "layers", "models", "shapes", "summary"]
