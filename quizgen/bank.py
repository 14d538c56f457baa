"""Static question banks: hand-written multiple-choice questions in a plain YAML file.

The format is documented in ``banks/README.md``. In short, a bank is a mapping with an optional
``title`` and a ``questions`` list (a bare list of questions is accepted too); each question is::

    - id: pooling-no-params          # unique within the bank: letters, digits, - _ .
      tags: [pooling, parameters]    # at least one
      kind: single                   # single (exactly one correct) | multiple (at least one)
      source: CS540 lecture          # optional: where the question comes from
      stem: |                        # blank lines separate paragraphs
        How many learnable parameters does a max-pooling layer have?
      options:                       # 2 to 8 options, texts distinct
        - text: "0"
          correct: true
        - text: One per channel
          correct: false
          why: Pooling is a fixed function (a max or a mean); it learns nothing.
          misconception: counted_pool_params   # optional catalogue key
      solution: |                    # optional worked explanation
        Pooling computes a fixed function of each window ...

``load_bank(path)`` validates everything and raises :class:`~quizgen.errors.SpecError` naming
the file, the field, the offending value and the line (from YAML's node marks), so a typo in a
hand-edited bank is reported where it is.
"""
from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

import yaml
from yaml.constructor import ConstructorError, SafeConstructor
from yaml.nodes import MappingNode, Node, ScalarNode, SequenceNode

from quizgen.errors import SpecError
from quizgen.misconceptions import CATALOGUE

KINDS = ("single", "multiple")
MAX_OPTIONS = 8  # labels A-H
_ID = re.compile(r"^[A-Za-z0-9][A-Za-z0-9_.-]*$")
#: Options that refer to the others and must stay last when options are shuffled.
PINNED_LAST = re.compile(r"^\s*(all|none|both|neither) of (the )?(above|these|the options)\b",
                         re.IGNORECASE)

_QUESTION_FIELDS = {"id", "tags", "kind", "stem", "options", "solution", "source"}
_REQUIRED = ("id", "tags", "kind", "stem", "options")
_OPTION_FIELDS = {"text", "correct", "why", "misconception"}


@dataclass(frozen=True)
class StaticOption:
    """One option: its text, whether it is correct, why it is wrong (one sentence) and an
    optional catalogue misconception key."""

    text: str
    correct: bool
    why: str = ""
    misconception: str | None = None
    line: int = 0

    @property
    def pinned_last(self) -> bool:
        """"All of the above" and the like stay after the options they refer to."""
        return bool(PINNED_LAST.match(self.text))


@dataclass(frozen=True)
class StaticQuestion:
    """A validated bank entry. ``line`` is the 1-based line of its ``id`` in ``file``."""

    id: str
    tags: tuple[str, ...]
    kind: str
    stem: str
    options: tuple[StaticOption, ...]
    solution: str | None = None
    source: str | None = None
    file: str = ""
    line: int = 0

    @property
    def correct(self) -> tuple[StaticOption, ...]:
        return tuple(o for o in self.options if o.correct)


def _line(node: Node) -> int:
    return node.start_mark.line + 1


class _Reader:
    """Walks the composed YAML tree, turning nodes into values and errors into SpecErrors."""

    def __init__(self, file: str):
        self.file = file
        self.constructor = SafeConstructor()

    def fail(self, message: str, node: Node | None, field: str | None = None, value=None):
        raise SpecError(message, file=self.file, field=field, value=value,
                        line=_line(node) if node is not None else None)

    def scalar(self, node: Node, field: str):
        if not isinstance(node, ScalarNode):
            self.fail("expected a single value, not a list or mapping", node, field)
        try:
            return self.constructor.construct_object(node, deep=True)
        except ConstructorError as err:
            self.fail(f"cannot read the value: {err.problem}", node, field, node.value)

    def text(self, node: Node, field: str, *, allow_empty: bool = False) -> str:
        value = self.scalar(node, field)
        if isinstance(value, bool) or value is None or isinstance(value, (dict, list)):
            self.fail("expected text", node, field, value)
        text = str(value).strip()
        if not text and not allow_empty:
            self.fail("must not be empty", node, field, value)
        return text

    def mapping(self, node: Node, field: str, allowed: set[str]) -> dict[str, tuple[Node, Node]]:
        """``{key: (key_node, value_node)}``; unknown or repeated keys are errors."""
        if not isinstance(node, MappingNode):
            self.fail("expected a mapping of fields", node, field)
        out: dict[str, tuple[Node, Node]] = {}
        for key_node, value_node in node.value:
            key = self.scalar(key_node, field)
            if not isinstance(key, str):
                self.fail("field names must be text", key_node, field, key)
            if key not in allowed:
                self.fail(f"unknown field; allowed: {', '.join(sorted(allowed))}", key_node, key,
                          key)
            if key in out:
                self.fail("field given twice", key_node, key)
            out[key] = (key_node, value_node)
        return out

    def sequence(self, node: Node, field: str) -> list[Node]:
        if not isinstance(node, SequenceNode):
            self.fail("expected a list", node, field)
        return list(node.value)


def _option(r: _Reader, node: Node, qid: str, index: int) -> StaticOption:
    where = f"options[{index}]"
    fields = r.mapping(node, where, _OPTION_FIELDS)
    for name in ("text", "correct"):
        if name not in fields:
            r.fail(f"question '{qid}': option {index + 1} has no '{name}'", node, f"{where}.{name}")
    text = r.text(fields["text"][1], f"{where}.text")
    correct = r.scalar(fields["correct"][1], f"{where}.correct")
    if not isinstance(correct, bool):
        r.fail("must be true or false", fields["correct"][1], f"{where}.correct", correct)
    why = r.text(fields["why"][1], f"{where}.why") if "why" in fields else ""
    if not correct and not why:
        r.fail(f"question '{qid}': a wrong option needs a 'why' (one sentence saying why it is "
               f"wrong)", node, f"{where}.why")
    key = None
    if "misconception" in fields:
        key = r.text(fields["misconception"][1], f"{where}.misconception")
        if key not in CATALOGUE:
            r.fail("not a key of the misconception catalogue (quizgen/misconceptions.py)",
                   fields["misconception"][1], f"{where}.misconception", key)
        if correct:
            r.fail("a correct option has no misconception", fields["misconception"][1],
                   f"{where}.misconception", key)
    return StaticOption(text, correct, why, key, _line(node))


def _question(r: _Reader, node: Node, seen: dict[str, int]) -> StaticQuestion:
    fields = r.mapping(node, "question", _QUESTION_FIELDS)
    for name in _REQUIRED:
        if name not in fields:
            qid = fields["id"][1].value if "id" in fields else "?"
            r.fail(f"question '{qid}' has no '{name}'", node, name)
    id_node = fields["id"][1]
    qid = r.text(id_node, "id")
    if not _ID.match(qid):
        r.fail("an id is letters, digits, '-', '_' and '.'", id_node, "id", qid)
    if qid in seen:
        r.fail(f"duplicate id (first defined on line {seen[qid]})", id_node, "id", qid)
    seen[qid] = _line(id_node)

    tags_node = fields["tags"][1]
    tags = tuple(r.text(t, "tags") for t in r.sequence(tags_node, "tags"))
    if not tags:
        r.fail(f"question '{qid}' needs at least one tag", tags_node, "tags")
    kind_node = fields["kind"][1]
    kind = r.text(kind_node, "kind")
    if kind not in KINDS:
        r.fail(f"unknown kind; one of {', '.join(KINDS)}", kind_node, "kind", kind)
    stem = r.text(fields["stem"][1], "stem")

    options_key, options_node = fields["options"]
    option_nodes = r.sequence(options_node, "options")
    options = tuple(_option(r, n, qid, i) for i, n in enumerate(option_nodes))
    if not 2 <= len(option_nodes) <= MAX_OPTIONS:
        r.fail(f"question '{qid}' needs 2 to {MAX_OPTIONS} options, has {len(option_nodes)}",
               options_key, "options", len(option_nodes))
    texts: dict[str, int] = {}
    for opt in options:
        key = " ".join(opt.text.split()).casefold()
        if key in texts:
            r.fail(f"question '{qid}': duplicate option text (also on line {texts[key]})",
                   option_nodes[options.index(opt)], "options.text", opt.text)
        texts[key] = opt.line
    n_correct = sum(o.correct for o in options)
    if kind == "single" and n_correct != 1:
        r.fail(f"question '{qid}' is kind 'single' but has {n_correct} correct options "
               f"(exactly one is needed)", options_key, "options", n_correct)
    if kind == "multiple" and n_correct < 1:
        r.fail(f"question '{qid}' is kind 'multiple' but has no correct option", options_key,
               "options", 0)
    solution = r.text(fields["solution"][1], "solution") if "solution" in fields else None
    source = r.text(fields["source"][1], "source") if "source" in fields else None
    return StaticQuestion(qid, tags, kind, stem, options, solution, source, r.file,
                          _line(id_node))


def parse_bank(text: str, file: str = "<bank>") -> list[StaticQuestion]:
    """Validate and read a bank from YAML ``text`` (``file`` names it in errors)."""
    try:
        root = yaml.compose(text, Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))
    except yaml.MarkedYAMLError as err:
        mark = err.problem_mark or err.context_mark
        raise SpecError(f"not valid YAML: {err.problem or err.context}", file=file,
                        line=mark.line + 1 if mark else None) from None
    r = _Reader(file)
    if root is None:
        raise SpecError("the bank is empty; expected a 'questions' list", file=file)
    if isinstance(root, MappingNode):
        fields = r.mapping(root, "bank", {"title", "description", "questions"})
        if "questions" not in fields:
            r.fail("a bank needs a 'questions' list", root, "questions")
        items = r.sequence(fields["questions"][1], "questions")
    else:
        items = r.sequence(root, "questions")
    if not items:
        r.fail("the bank has no questions", root, "questions")
    seen: dict[str, int] = {}
    return [_question(r, node, seen) for node in items]


def load_bank(path) -> list[StaticQuestion]:
    """Read and validate the bank at ``path`` (see the module docstring and banks/README.md)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except OSError as err:
        raise SpecError(f"cannot read the bank: {err.strerror}", file=str(path)) from None
    return parse_bank(text, str(path))


@lru_cache(maxsize=32)
def cached_bank(path: str) -> tuple[StaticQuestion, ...]:
    """``load_bank`` memoised per path for the life of the process (building a thousand
    questions from one bank reads and validates the file once)."""
    return tuple(load_bank(path))


@lru_cache(maxsize=32)
def bank_index(path: str) -> dict[str, StaticQuestion]:
    """The questions of the bank at ``path`` by id (memoised like ``cached_bank``)."""
    return {q.id: q for q in cached_bank(path)}
