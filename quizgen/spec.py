"""The exam spec: a YAML file → ``ExamSpec`` (frozen dataclasses), validated with line numbers.

``load_spec(path)`` reads the file with a loader that remembers the line of every mapping key and
list item, then checks every field (see ``docs/exam-spec.md`` for the format). Every problem
raises one ``SpecError`` naming the file, the field path (``slots[3].params.H``), the offending
value and the line: a YAML syntax error, an empty or non-mapping document, a missing or unknown
field, a duplicate key, a wrong type, a non-positive count, an unknown family (the message lists
the known ones), difficulty or kind, and a parameter the family does not declare or whose value
lies outside the family's ``Param`` range (checked with ``family.parse_overrides``).

Slot ``params`` keep the values as written in the YAML (already validated), so the assembler can
hand them to ``family.build`` and the manifest can record them for regeneration.
"""
from __future__ import annotations

import datetime as _dt
import re
from dataclasses import dataclass, field
from pathlib import Path

import yaml

from quizgen.errors import ParamError, SpecError, UnknownFamilyError
from quizgen.model import DIFFICULTIES, KINDS

_SLUG = re.compile(r"^[a-z0-9][a-z0-9._-]*$")


@dataclass(frozen=True)
class SlotSpec:
    """One slot: ``count`` questions of ``family`` (each version draws its own variants)."""

    family: str
    count: int = 1
    difficulty: str = "standard"
    kind: str | None = None        # None: the first kind of the family the params allow
    params: dict = field(default_factory=dict)
    points: float = 1
    title: str = ""
    line: int | None = field(default=None, compare=False)   # where the slot starts in the YAML


@dataclass(frozen=True)
class ShuffleSpec:
    """``questions``: shuffle the question order per version; ``options``: keep each question's
    drawn option order (False: numeric single-answer options in ascending order of value)."""

    questions: bool = True
    options: bool = True


@dataclass(frozen=True)
class CanvasSpec:
    """Canvas quiz: ``variants`` distinct variants per slot question (one question group each),
    ``time_limit`` in minutes (None: untimed), Canvas's ``shuffle_answers`` setting."""

    variants: int = 1
    time_limit: int | None = None
    shuffle_answers: bool = True


@dataclass(frozen=True)
class PracticeSpec:
    """Practice page: ``n`` fresh questions per slot when ``enabled``."""

    enabled: bool = False
    n: int = 3


@dataclass(frozen=True)
class ExamSpec:
    title: str
    slug: str
    slots: tuple[SlotSpec, ...]
    course: str = ""
    date: str = ""
    instructions: tuple[str, ...] = ()
    seed: int = 0
    versions: int = 1
    points: float = 1
    difficulty: str = "standard"
    shuffle: ShuffleSpec = ShuffleSpec()
    canvas: CanvasSpec = CanvasSpec()
    practice: PracticeSpec = PracticeSpec()
    source: str = ""          # the spec file, as given

    @property
    def questions_per_version(self) -> int:
        return sum(s.count for s in self.slots)

    def slot_line(self, index: int) -> int | None:
        return self.slots[index].line


def slugify(text: str) -> str:
    """``"CS540 Midterm (Spring 2026)"`` → ``"cs540-midterm-spring-2026"``."""
    import unicodedata
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "exam"


# ----- a YAML loader that remembers lines --------------------------------------------------
class _Map(dict):
    """A mapping that knows its own line and the line of each key's value (1-based)."""

    line: int | None = None
    lines: dict


class _List(list):
    line: int | None = None
    lines: list


class _DuplicateKey(Exception):
    def __init__(self, key, line):
        self.key, self.line = key, line


class _Loader(getattr(yaml, "CSafeLoader", yaml.SafeLoader)):   # libyaml when PyYAML has it
    pass


def _construct_map(loader, node):
    out = _Map()
    out.line, out.lines = node.start_mark.line + 1, {}
    loader.flatten_mapping(node)
    for key_node, value_node in node.value:
        key = loader.construct_object(key_node, deep=True)
        try:
            hash(key)
        except TypeError:
            raise _DuplicateKey(None, key_node.start_mark.line + 1) from None
        if key in out:
            raise _DuplicateKey(key, key_node.start_mark.line + 1)
        out[key] = loader.construct_object(value_node, deep=True)
        out.lines[key] = value_node.start_mark.line + 1
    return out


def _construct_list(loader, node):
    out = _List(loader.construct_object(child, deep=True) for child in node.value)
    out.line, out.lines = node.start_mark.line + 1, [c.start_mark.line + 1 for c in node.value]
    return out


_Loader.add_constructor("tag:yaml.org,2002:map", _construct_map)
_Loader.add_constructor("tag:yaml.org,2002:seq", _construct_list)


# ----- field checking ----------------------------------------------------------------------
class _Checker:
    """Field access on one mapping with errors that carry file, field path, value and line."""

    def __init__(self, file: str, data: _Map, path: str, allowed: tuple[str, ...]):
        self.file, self.data, self.path = file, data, path
        for key in data:
            if key not in allowed:
                hint = _close_match(key, allowed)
                raise SpecError(f"unknown field{hint}; allowed: {', '.join(allowed)}",
                                file=file, field=self.name(key), value=key,
                                line=data.lines.get(key, data.line))

    def name(self, key) -> str:
        return f"{self.path}.{key}" if self.path else str(key)

    def line(self, key) -> int | None:
        return self.data.lines.get(key, self.data.line)

    def error(self, key, message, value=None) -> SpecError:
        return SpecError(message, file=self.file, field=self.name(key), value=value,
                         line=self.line(key))

    def get(self, key, kind: str, default=..., *, minimum=None, choices=None):
        """The value of ``key`` checked against ``kind`` (str, int, number, bool, list, map)."""
        if key not in self.data:
            if default is ...:
                raise SpecError("missing required field", file=self.file, field=self.name(key),
                                line=self.data.line)
            return default
        value = self.data[key]
        if kind == "str":
            if isinstance(value, _dt.date):
                value = value.isoformat()
            ok = isinstance(value, str)
        elif kind == "int":
            ok = isinstance(value, int) and not isinstance(value, bool)
        elif kind == "number":
            ok = isinstance(value, (int, float)) and not isinstance(value, bool)
        elif kind == "bool":
            ok = isinstance(value, bool)
        elif kind == "list":
            ok = isinstance(value, list)
        elif kind == "map":
            ok = isinstance(value, dict)
        else:  # pragma: no cover - programming error
            raise AssertionError(kind)
        if kind == "int" and value is None and default is None:
            return None
        if not ok:
            expected = {"str": "a string", "int": "an integer", "number": "a number",
                        "bool": "true or false", "list": "a list", "map": "a mapping"}[kind]
            raise self.error(key, f"wrong type: expected {expected}, got "
                                  f"{_type_name(value)}", value)
        if minimum is not None and value < minimum:
            raise self.error(key, f"must be ≥ {minimum}" if minimum != 1 or kind != "int"
                             else "must be a positive integer", value)
        if kind == "number" and minimum is None and not 0 < value < float("inf"):
            raise self.error(key, "must be a positive, finite number", value)
        if choices is not None and value not in choices:
            raise self.error(key, f"unknown {key}; one of {', '.join(choices)}", value)
        return value


def _type_name(value) -> str:
    if value is None:
        return "nothing (null)"
    return {bool: "a boolean", int: "an integer", float: "a number", str: "a string",
            _List: "a list", _Map: "a mapping"}.get(type(value), type(value).__name__)


def _close_match(key, allowed) -> str:
    import difflib
    near = difflib.get_close_matches(str(key), allowed, n=1)
    return f" (did you mean '{near[0]}'?)" if near else ""


TOP_FIELDS = ("title", "slug", "course", "date", "instructions", "seed", "versions", "points",
              "difficulty", "slots", "shuffle", "canvas", "practice")
SLOT_FIELDS = ("family", "count", "difficulty", "kind", "params", "points", "title")


def load_spec(path) -> ExamSpec:
    """Read and validate an exam spec (see the module docstring and docs/exam-spec.md)."""
    file = str(path)
    try:
        text = Path(path).read_text(encoding="utf-8")
    except FileNotFoundError:
        raise SpecError("spec file not found", file=file) from None
    except (OSError, UnicodeDecodeError) as err:
        raise SpecError(f"cannot read the spec: {err}", file=file) from None
    return parse_spec(text, file)


def parse_spec(text: str, file: str = "<spec>") -> ExamSpec:
    """Validate spec text (``file`` names it in errors)."""
    try:
        data = yaml.load(text, Loader=_Loader)
    except _DuplicateKey as dup:
        what = "duplicate field" if dup.key is not None else "a field name must be a plain value"
        raise SpecError(what, file=file, field=None if dup.key is None else str(dup.key),
                        line=dup.line) from None
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        problem = " ".join(x for x in (err.context, err.problem) if x)
        raise SpecError(f"YAML syntax error: {problem}", file=file,
                        line=mark.line + 1 if mark else None) from None
    except yaml.YAMLError as err:
        raise SpecError(f"YAML error: {err}", file=file) from None
    if data is None:
        raise SpecError("the spec is empty; it needs at least 'title' and 'slots'", file=file)
    if not isinstance(data, _Map):
        raise SpecError(f"the spec must be a mapping of fields, not {_type_name(data)}",
                        file=file, line=1)

    top = _Checker(file, data, "", TOP_FIELDS)
    title = top.get("title", "str")
    if not title.strip():
        raise top.error("title", "must not be empty", title)
    slug = top.get("slug", "str", slugify(title))
    if not _SLUG.match(slug):
        raise top.error("slug", "must be lowercase letters, digits, '.', '_' or '-'", slug)
    instructions = top.get("instructions", "list", [])
    for i, line_text in enumerate(instructions):
        if not isinstance(line_text, str):
            raise SpecError(f"wrong type: expected a string, got {_type_name(line_text)}",
                            file=file, field=f"instructions[{i}]", value=line_text,
                            line=instructions.lines[i])
    difficulty = top.get("difficulty", "str", "standard", choices=DIFFICULTIES)
    points = top.get("points", "number", 1)
    slots_raw = top.get("slots", "list")
    if not slots_raw:
        raise top.error("slots", "needs at least one slot", [])
    slots = tuple(_slot(file, slots_raw, i, difficulty, points) for i in range(len(slots_raw)))

    return ExamSpec(
        title=title, slug=slug, slots=slots,
        course=top.get("course", "str", ""),
        date=top.get("date", "str", ""),
        instructions=tuple(instructions),
        seed=top.get("seed", "int", 0, minimum=0),
        versions=top.get("versions", "int", 1, minimum=1),
        points=points, difficulty=difficulty,
        shuffle=_section(file, top, "shuffle", ShuffleSpec, {"questions": "bool", "options": "bool"}),
        canvas=_section(file, top, "canvas", CanvasSpec,
                        {"variants": "int", "time_limit": "int", "shuffle_answers": "bool"}),
        practice=_section(file, top, "practice", PracticeSpec, {"enabled": "bool", "n": "int"}),
        source=file,
    )


def _section(file, top: _Checker, key: str, cls, kinds: dict):
    raw = top.get(key, "map", None)
    if raw is None:
        return cls()
    sub = _Checker(file, raw, key, tuple(kinds))
    defaults = cls()
    values = {}
    for name, kind in kinds.items():
        default = getattr(defaults, name)
        values[name] = sub.get(name, kind, default, minimum=1 if kind == "int" else None)
    return cls(**values)


def _slot(file, slots_raw: _List, i: int, difficulty: str, points) -> SlotSpec:
    from quizgen import families
    from quizgen.family import parse_overrides

    raw = slots_raw[i]
    path = f"slots[{i}]"
    if not isinstance(raw, dict):
        raise SpecError(f"wrong type: expected a mapping with 'family', got {_type_name(raw)}",
                        file=file, field=path, value=raw, line=slots_raw.lines[i])
    slot = _Checker(file, raw, path, SLOT_FIELDS)
    name = slot.get("family", "str")
    try:
        fam = families.get(name)
    except UnknownFamilyError as err:
        raise slot.error("family", f"unknown family; known families: "
                                   f"{', '.join(families.names())}", name) from err
    count = slot.get("count", "int", 1, minimum=1)
    slot_difficulty = slot.get("difficulty", "str", difficulty, choices=DIFFICULTIES)
    kind = slot.get("kind", "str", None, choices=KINDS)
    if kind is not None and kind not in fam.kinds:
        raise slot.error("kind", f"family '{name}' offers only {', '.join(fam.kinds)}", kind)
    params = slot.get("params", "map", _Map())
    if params and not hasattr(params, "lines"):  # pragma: no cover - loader always gives _Map
        params = _Map(params)
    for key, value in params.items():
        try:
            parse_overrides(fam, {key: value})
        except ParamError as err:
            raise SpecError(_param_message(err), file=file, field=f"{path}.params.{key}",
                            value=value, line=params.lines.get(key, params.line)) from None
    return SlotSpec(
        family=name, count=count, difficulty=slot_difficulty, kind=kind,
        params={k: _plain(v) for k, v in params.items()},
        points=slot.get("points", "number", points),
        title=slot.get("title", "str", ""),
        line=raw.line,
    )


def _param_message(err: ParamError) -> str:
    """The ParamError's explanation without its 'family …, param …, value …:' prefix (the
    SpecError names the field and value itself) but with the family."""
    text = str(err)
    where = [f"family '{err.family}'" if err.family else "", f"param '{err.param}'" if err.param
             else "", f"value {err.value!r}" if err.value is not None else ""]
    prefix = ", ".join(w for w in where if w) + ": "
    message = text[len(prefix):] if text.startswith(prefix) else text
    return f"{message} (family '{err.family}')" if err.family else message


def _plain(v):
    """YAML containers back to plain dict/list (the loader's subclasses carry line data)."""
    if isinstance(v, dict):
        return {k: _plain(x) for k, x in v.items()}
    if isinstance(v, list):
        return [_plain(x) for x in v]
    return v
