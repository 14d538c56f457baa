"""The Family protocol and ``build``: sample → check → solve (two ways) → options → text.

A family is one small module in ``quizgen/families/`` defining a ``Family`` subclass and a
module-level ``FAMILY = TheFamily()``; the registry discovers it. A family declares its
parameters and implements a few hooks; ``build_question`` does the rest:

1. ``sample(rng, difficulty, fixed)`` draws every parameter not fixed by the caller, then
   ``check(p)`` rejects impossible combinations (``ParamError``); sampling retries, explicit
   overrides that can never pass are reported.
2. ``solve(p)`` returns the correct value, computed two ways where two exist (closed form and an
   engine run) through ``verify``, which raises ``VerificationError`` on disagreement.
3. ``single``: ``misconceptions(p)`` maps catalogue keys to wrong values; ``distractors`` turns
   them into distinct options. ``multiple``: ``statements(p, rng)``. ``numeric``: ``numeric(p,
   answer)`` gives the value and tolerance.
4. ``stem(p, kind)`` renders ``templates/questions/<name>.j2`` into blocks;
   ``solution(p, answer)`` returns the worked solution blocks.

The random generator comes only from the caller: same (family, seed, difficulty, kind, params)
→ same question.
"""
from __future__ import annotations

import json
import math
from dataclasses import dataclass
from fractions import Fraction
from typing import Any, ClassVar

import numpy as np

from quizgen.errors import ParamError, VerificationError
from quizgen.model import DIFFICULTIES, KINDS, Block, Question, T, blocks_plain
from quizgen.numbers import fmt, to_exact

PARAM_TYPES = ("int", "float", "str", "bool", "matrix", "tensor")


class P(dict):
    """Parameters with attribute access (``p.H``). During ``build`` the attributes ``p.kind``
    and ``p.difficulty`` hold the question kind and difficulty being built (they are not
    parameters: they are not among the dict's items)."""

    def __getattr__(self, key):
        try:
            return self[key]
        except KeyError:
            raise AttributeError(key) from None


@dataclass(frozen=True)
class Param:
    """A family parameter.

    ``domain`` gives the values sampled at each difficulty: a dict ``{difficulty: values}`` or
    one tuple for all. ``lo``/``hi`` (inclusive) or ``choices`` bound what an explicit override
    may be. ``type`` is one of ``PARAM_TYPES``; ``matrix`` values are lists of rows (given on the
    command line as ``0,1,2;3,4,5`` or JSON), ``tensor`` values lists of matrices (JSON, or
    matrices separated by ``|``).
    """

    name: str
    help: str
    type: str = "int"
    domain: Any = ()
    lo: float | None = None
    hi: float | None = None
    choices: tuple = ()
    sampled: bool = True  # False: only set by overrides or by the family's own sample()

    def values_for(self, difficulty: str) -> tuple:
        if isinstance(self.domain, dict):
            return tuple(self.domain.get(difficulty) or self.domain.get("standard") or ())
        return tuple(self.domain)

    def sample(self, rng: np.random.Generator, difficulty: str):
        values = self.values_for(difficulty)
        if not values:
            raise ParamError("has no values to sample from", param=self.name)
        return values[int(rng.integers(len(values)))]

    def parse(self, raw, family: str | None = None):
        """Parse a command-line or spec value (a string, or an already typed value)."""
        err = dict(family=family, param=self.name, value=raw)
        try:
            if self.type == "int":
                if isinstance(raw, bool):
                    raise ValueError
                v = int(raw) if not isinstance(raw, float) or float(raw).is_integer() else None
                if v is None:
                    raise ValueError
            elif self.type == "float":
                v = float(raw)
            elif self.type == "bool":
                if isinstance(raw, bool):
                    v = raw
                elif str(raw).lower() in ("1", "true", "yes", "on"):
                    v = True
                elif str(raw).lower() in ("0", "false", "no", "off"):
                    v = False
                else:
                    raise ValueError
            elif self.type == "str":
                v = str(raw)
            elif self.type == "matrix":
                v = _parse_matrix(raw)
            elif self.type == "tensor":
                v = _parse_tensor(raw)
            else:
                raise ParamError(f"unknown parameter type {self.type!r}", **err)
        except (ValueError, TypeError, json.JSONDecodeError):
            raise ParamError(f"expected {self.type} ({self.help})", **err) from None
        self.check(v, family)
        return v

    def check(self, v, family: str | None = None):
        err = dict(family=family, param=self.name, value=v)
        if self.choices and v not in self.choices:
            raise ParamError(f"must be one of {', '.join(map(str, self.choices))}", **err)
        if self.type in ("int", "float"):
            if self.lo is not None and v < self.lo:
                raise ParamError(f"must be ≥ {fmt(self.lo)}", **err)
            if self.hi is not None and v > self.hi:
                raise ParamError(f"must be ≤ {fmt(self.hi)}", **err)
        if self.type in ("matrix", "tensor"):
            mats = [v] if self.type == "matrix" else v
            for m in mats:
                for row in m:
                    for x in row:
                        if self.lo is not None and x < self.lo or self.hi is not None and x > self.hi:
                            raise ParamError(f"entries must lie in [{fmt(self.lo)}, {fmt(self.hi)}]",
                                             **err)

    def describe(self) -> str:
        """One line for ``quizgen list --params``."""
        rng = ""
        if self.choices:
            rng = "one of " + ", ".join(map(str, self.choices))
        elif self.lo is not None or self.hi is not None:
            rng = f"{fmt(self.lo) if self.lo is not None else '−∞'}..{fmt(self.hi) if self.hi is not None else '∞'}"
        return f"{self.name} ({self.type}{', ' + rng if rng else ''}): {self.help}"


def _number(s: str):
    s = s.strip()
    try:
        return int(s)
    except ValueError:
        return float(s)


def _parse_matrix(raw):
    if isinstance(raw, str):
        raw = raw.strip()
        if raw.startswith("["):
            raw = json.loads(raw)
        else:
            raw = [[_number(x) for x in row.split(",")] for row in raw.split(";") if row.strip()]
    rows = [[to_exact(x) for x in row] for row in raw]
    if not rows or not rows[0] or any(len(r) != len(rows[0]) for r in rows):
        raise ValueError("ragged or empty matrix")
    return rows


def _parse_tensor(raw):
    if isinstance(raw, str):
        raw = raw.strip()
        if raw.startswith("["):
            raw = json.loads(raw)
        else:
            raw = [_parse_matrix(m) for m in raw.split("|")]
    mats = [_parse_matrix(m) for m in raw]
    if not mats or any(np.shape(m) != np.shape(mats[0]) for m in mats):
        raise ValueError("channels of different shapes")
    return mats


@dataclass(frozen=True)
class Statement:
    """One statement of a select-all-that-apply question."""

    content: tuple[Block, ...]
    true: bool
    misconception: str | None = None
    explanation: str = ""


def close(a, b, rel: float = 1e-9, abs_: float = 1e-9) -> bool:
    """Equality for answers: exact for ints/Fractions, tolerant for floats; arrays elementwise."""
    if isinstance(a, (tuple, list, np.ndarray)) or isinstance(b, (tuple, list, np.ndarray)):
        a, b = np.asarray(a, dtype=float), np.asarray(b, dtype=float)
        return a.shape == b.shape and bool(np.allclose(a, b, rtol=rel, atol=abs_))
    if isinstance(a, (int, Fraction)) and isinstance(b, (int, Fraction)):
        return a == b
    return math.isclose(float(a), float(b), rel_tol=rel, abs_tol=abs_)


class Family:
    """Base class; see the module docstring for the hooks."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    kinds: ClassVar[tuple[str, ...]] = ("single", "numeric")
    params: ClassVar[tuple[Param, ...]] = ()
    n_options: ClassVar[int] = 4
    tags: ClassVar[tuple[str, ...]] = ()
    max_tries: ClassVar[int] = 300

    # ----- hooks -------------------------------------------------------------------------
    def sample(self, rng: np.random.Generator, difficulty: str, fixed: dict) -> dict:
        """Draw every declared, sampled parameter not in ``fixed``."""
        p = dict(fixed)
        for prm in self.params:
            if prm.name not in p and prm.sampled:
                p[prm.name] = prm.sample(rng, difficulty)
        return p

    def check(self, p: P) -> None:
        """Raise ParamError if the combination is impossible."""

    def check_kind(self, p: P, kind: str) -> None:
        """Raise ParamError if ``p`` cannot make a question of ``kind`` (default: any can)."""

    def solve(self, p: P):
        raise NotImplementedError(f"{type(self).__name__}.solve")

    def misconceptions(self, p: P, answer) -> dict[str, Any]:
        """Catalogue key → wrong value (None or an exception skips the entry)."""
        return {}

    def near_values(self, p: P, answer, rng: np.random.Generator) -> list:
        """Fill-in candidates when misconceptions collide; default for integers."""
        a = to_exact(answer)
        if isinstance(a, int):
            step = max(1, abs(a) // 10)
            cands = [a + step, a - step, a + 2 * step, a * 2, a - 2 * step, a + 3 * step,
                     a // 2 if a > 1 else a + 4 * step]
            return [c for c in cands if c >= 0 and c != a]
        if isinstance(a, (float, Fraction)):
            return [a * f for f in (Fraction(11, 10), Fraction(9, 10), Fraction(6, 5),
                                    Fraction(4, 5), Fraction(3, 2))]
        return []

    def option(self, value, p: P) -> tuple[Block, ...]:
        """How one option's value is shown."""
        return (T(fmt(value, group=True)),)

    def option_key(self, value, p: P) -> str:
        """Distinctness key: options must differ after formatting."""
        return blocks_plain(self.option(value, p))

    def context(self, p: P, kind: str) -> dict:
        """Extra variables for the stem template."""
        return {}

    def stem(self, p: P, kind: str) -> tuple[Block, ...]:
        from quizgen.templating import render_blocks
        return render_blocks(f"questions/{self.name}.j2", p=p, kind=kind, **self.context(p, kind))

    def solution(self, p: P, answer) -> tuple[Block, ...]:
        raise NotImplementedError(f"{type(self).__name__}.solution")

    def statements(self, p: P, rng: np.random.Generator) -> list[Statement]:
        raise ParamError("kind 'multiple' is not offered", family=self.name)

    def numeric(self, p: P, answer) -> tuple[float, float]:
        """(value, absolute tolerance) for a numeric question."""
        return float(answer), 0.0

    def static_choices(self, p: P, answer, rng: np.random.Generator, kind: str):
        """Ready-made choices (a static bank's own options and explanations), or ``None`` (the
        default) to use the option builder (``single``) or ``statements`` (``multiple``)."""
        return None

    # ----- helpers -----------------------------------------------------------------------
    def verify(self, closed_form, engine_value, what: str = "answer"):
        """Check two independent computations agree; return the closed form."""
        if not close(closed_form, engine_value):
            raise VerificationError(
                f"family '{self.name}': {what} disagrees: closed form {closed_form!r} vs engine "
                f"{engine_value!r}")
        return closed_form

    def param(self, name: str) -> Param:
        for prm in self.params:
            if prm.name == name:
                return prm
        raise ParamError(f"unknown parameter; known: {', '.join(x.name for x in self.params)}",
                         family=self.name, param=name)


def parse_overrides(family: Family, raw: dict | None) -> dict:
    """Validate and type explicit parameters (unknown names and bad values raise ParamError)."""
    out = {}
    for key, value in (raw or {}).items():
        out[key] = family.param(key).parse(value, family.name)
    return out


def build(family: Family, *, seed: int, difficulty: str = "standard", kind: str | None = None,
          params: dict | None = None, points: float = 1.0) -> Question:
    """Build one question of ``family``. See the module docstring."""
    from quizgen.distractors import build_choices, choices_from_statements

    if difficulty not in DIFFICULTIES:
        raise ParamError(f"unknown difficulty; one of {', '.join(DIFFICULTIES)}",
                         family=family.name, param="difficulty", value=difficulty)
    kind = kind or family.kinds[0]
    if kind not in KINDS or kind not in family.kinds:
        raise ParamError(f"kind not offered; this family offers {', '.join(family.kinds)}",
                         family=family.name, param="kind", value=kind)
    if not isinstance(seed, (int, np.integer)) or seed < 0:
        raise ParamError("seed must be a non-negative integer", family=family.name,
                         param="seed", value=seed)
    fixed = parse_overrides(family, params)
    rng = np.random.default_rng(int(seed))
    last: ParamError | None = None
    blamed_fixed = 0  # failures that name a parameter the caller fixed
    for _ in range(family.max_tries):
        p = P(family.sample(rng, difficulty, fixed))
        p.kind, p.difficulty = kind, difficulty  # attributes, not parameters: not in p.items()
        try:
            family.check(p)
            family.check_kind(p, kind)
            break
        except ParamError as err:
            last = err
            if fixed and _only_fixed_matter(family, fixed):
                raise
            blamed_fixed += err.param in fixed
            if blamed_fixed >= 25:
                raise
    else:
        raise ParamError(f"no valid configuration found: {last}", family=family.name,
                         param=last.param if last else None,
                         value=last.value if last else None)
    answer = family.solve(p)
    notes: tuple[str, ...] = ()
    tolerance = 0.0
    custom = family.static_choices(p, answer, rng, kind) if kind != "numeric" else None
    if custom is not None:
        choices = custom
    elif kind == "single":
        choices, notes = build_choices(family, p, answer, rng)
    elif kind == "multiple":
        choices = choices_from_statements(family.statements(p, rng), rng)
    else:
        answer, tolerance = family.numeric(p, answer)
        choices = ()
    return Question(
        family=family.name, seed=int(seed), difficulty=difficulty, kind=kind,
        params=_jsonable(p), stem=family.stem(p, kind), choices=tuple(choices), answer=answer,
        solution=family.solution(p, answer if kind != "numeric" else family.solve(p)),
        tolerance=tolerance, points=points, tags=family.tags, title=family.title, notes=notes,
    )


def _only_fixed_matter(family: Family, fixed: dict) -> bool:
    """True when every declared parameter is fixed, so resampling cannot help. (Parameters a
    family draws in its own ``sample`` are declared with ``sampled=False`` but still vary.)"""
    return all(prm.name in fixed for prm in family.params)


def _jsonable(p: dict) -> dict:
    def conv(v):
        if isinstance(v, np.ndarray):
            return conv(v.tolist())
        if isinstance(v, (list, tuple)):
            return [conv(x) for x in v]
        if isinstance(v, dict):
            return {k: conv(x) for k, x in v.items()}
        if isinstance(v, (np.integer, np.floating, np.bool_)):
            return v.item()
        if isinstance(v, Fraction):
            return str(v)
        return v
    return {k: conv(v) for k, v in p.items()}
