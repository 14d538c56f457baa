"""quizgen: randomized, verified exam and practice questions about convolutional neural networks.

Public API::

    from quizgen import build_question
    q = build_question("conv_output_size", seed=7, difficulty="paper", params={"H": 7})

``families`` is the registry (``families.names()``, ``families.get(name)``); ``engine`` the
reference NumPy CNN engine.
"""
from __future__ import annotations

__version__ = "0.1.0"
__all__ = ["build_question", "build_exam", "load_spec", "families", "engine", "__version__"]


def build_question(family: str, *, seed: int = 0, difficulty: str = "standard",
                   kind: str | None = None, params: dict | None = None, points: float = 1.0):
    """Build one ``model.Question`` of the named family (see ``quizgen.family.build``)."""
    from quizgen import families as _families
    from quizgen.family import build
    return build(_families.get(family), seed=seed, difficulty=difficulty, kind=kind,
                 params=params, points=points)


def build_exam(spec, *, seed: int | None = None, versions: int | None = None, progress=None):
    """Assemble an ``exam.Exam`` from an ``ExamSpec`` or a spec path (see ``quizgen.assemble``)."""
    from quizgen.assemble import build_exam as _build_exam
    from quizgen.spec import ExamSpec
    if not isinstance(spec, ExamSpec):
        spec = load_spec(spec)
    return _build_exam(spec, seed=seed, versions=versions, progress=progress)


def load_spec(path):
    """Read and validate an exam spec YAML file (see ``quizgen.spec``)."""
    from quizgen.spec import load_spec as _load_spec
    return _load_spec(path)


def __getattr__(name):
    if name in ("families", "engine"):
        import importlib
        return importlib.import_module(f"quizgen.{name}")
    raise AttributeError(name)
