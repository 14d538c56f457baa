"""The QuizgenError hierarchy.

Every error a user can provoke (a bad spec, an unknown family, impossible parameters, a shape
that does not fit, an existing output folder) is one of these. The CLI prints ``str(err)`` on one
line, prefixed with ``quizgen: error:``, and exits with status 2; it never prints a traceback for
them. Messages name the place (file, field, layer, parameter) and the offending value.
"""
from __future__ import annotations


class QuizgenError(Exception):
    """Base class of every error quizgen raises on purpose."""

    exit_code = 2


class SpecError(QuizgenError):
    """A malformed exam spec or bank file: names the file, the field, the value and the line."""

    def __init__(self, message: str, *, file: str | None = None, field: str | None = None,
                 value: object = None, line: int | None = None):
        self.file, self.field, self.value, self.line = file, field, value, line
        where = []
        if file:
            where.append(f"{file}" + (f":{line}" if line else ""))
        if field:
            where.append(f"field '{field}'")
        if value is not None:
            where.append(f"value {value!r}")
        super().__init__((": ".join([", ".join(where), message]) if where else message))


class UnknownFamilyError(QuizgenError):
    """A family name that is not registered."""

    def __init__(self, name: str, known: list[str]):
        self.name = name
        super().__init__(f"unknown family {name!r}; known families: {', '.join(sorted(known))}")


class ParamError(QuizgenError):
    """An unknown, out-of-range or impossible parameter of a family."""

    def __init__(self, message: str, *, family: str | None = None, param: str | None = None,
                 value: object = None):
        self.family, self.param, self.value = family, param, value
        where = []
        if family:
            where.append(f"family '{family}'")
        if param:
            where.append(f"param '{param}'")
        if value is not None:
            where.append(f"value {value!r}")
        super().__init__((", ".join(where) + ": " + message) if where else message)


class EngineError(QuizgenError, ValueError):
    """Bad input to the NumPy engine: names the layer, the shapes and the offending value."""


class WeightsError(EngineError):
    """A weights file or dict with missing, unexpected or misshaped keys."""


class VerificationError(QuizgenError):
    """Two independent computations of an answer (closed form vs engine run) disagree."""


class OutputError(QuizgenError):
    """The output folder exists (without --force) or cannot be written."""
