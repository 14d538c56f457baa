"""Conceptual questions from a static, hand-written bank (``banks/concepts.yaml``).

Each entry (format: ``banks/README.md``, loader: ``quizgen.bank``) is one fixed question; the
seed chooses the entry (among those carrying ``tag``, if given) unless ``id`` names it, and
shuffles its options. The correct option's position is uniform over seeds, except that options
such as "All of the above" stay last, after the options they refer to. The kind comes from the
entry: asking for ``--kind multiple`` draws among the select-all entries. Every wrong option keeps
the bank's own one-sentence ``why`` and its catalogue misconception (``static`` when none is
given).
"""
from __future__ import annotations

import re
from functools import lru_cache
from pathlib import Path

from quizgen.bank import StaticQuestion, bank_index, cached_bank
from quizgen.errors import ParamError
from quizgen.family import Family, P, Param
from quizgen.model import Choice, Steps, T
from quizgen.templating import BANKS

DEFAULT_BANK = "concepts.yaml"
_SELECT_ALL = re.compile(r"\s*\(?select all that apply\.?\)?\s*$", re.IGNORECASE)


class Concepts(Family):
    name = "concepts"
    title = "Conceptual questions from the static bank (banks/concepts.yaml)"
    kinds = ("single", "multiple")
    tags = ("concepts",)
    params = (
        Param("id", "which bank question (its 'id'); drawn by the seed when not given",
              type="str"),
        Param("tag", "draw only among questions carrying this tag (e.g. batchnorm, resnet)",
              type="str", sampled=False),
        Param("bank", "path to a bank file in the banks/README.md format (default: "
              "banks/concepts.yaml; a relative path is looked up in the working directory, "
              "then in banks/)", type="str", sampled=False),
    )

    # ---- the bank ----------------------------------------------------------------------
    def bank_path(self, p) -> str:
        return _resolve(p.get("bank") or DEFAULT_BANK)

    def entries(self, p) -> tuple[StaticQuestion, ...]:
        """The bank's questions, restricted to ``tag`` when given."""
        return _with_tag(self.bank_path(p), p.get("tag"))

    def entry(self, p) -> StaticQuestion:
        path = self.bank_path(p)
        q = bank_index(path).get(p.id)
        tag = p.get("tag")
        if q is not None and (tag is None or tag in q.tags):
            return q
        where = f" with tag '{tag}'" if tag else ""
        ids = [e.id for e in _with_tag(path, tag)]
        shown = ", ".join(ids[:12]) + (", ..." if len(ids) > 12 else "")
        raise ParamError(f"no question with this id{where}; ids: {shown}", family=self.name,
                         param="id", value=p.id)

    # ---- hooks -------------------------------------------------------------------------
    def sample(self, rng, difficulty, fixed):
        p = dict(fixed)
        if "id" not in p:
            pool = self.entries(P(p))
            p["id"] = pool[int(rng.integers(len(pool)))].id
        return p

    def check(self, p):
        self.entry(p)

    def check_kind(self, p, kind):
        q = self.entry(p)
        if q.kind != kind:
            raise ParamError(f"question '{q.id}' is a '{q.kind}' question", family=self.name,
                             param="kind", value=kind)

    def solve(self, p):
        q = self.entry(p)
        texts = [o.text for o in q.correct]
        return texts[0] if q.kind == "single" else texts

    def static_choices(self, p, answer, rng, kind):
        """The entry's options, shuffled by the seed; "All/None of the above" stay last."""
        q = self.entry(p)
        free = [o for o in q.options if not o.pinned_last]
        pinned = [o for o in q.options if o.pinned_last]
        order = [free[int(i)] for i in rng.permutation(len(free))] + pinned
        return tuple(Choice((T(o.text),), o.correct,
                            None if o.correct else (o.misconception or "static"),
                            "" if o.correct else o.why, o.text)
                     for o in order)

    def context(self, p, kind):
        """The entry and its stem; a select-all stem loses a trailing "Select all that apply."
        because every renderer states that for kind ``multiple`` itself."""
        q = self.entry(p)
        stem = _SELECT_ALL.sub("", q.stem) if q.kind == "multiple" else q.stem
        return {"q": q, "stem": stem}

    def solution(self, p, answer):
        q = self.entry(p)
        right = [o.text for o in q.correct]
        if q.kind == "single":
            blocks = [T("Answer: " + right[0] + ("" if right[0].endswith((".", "?", "!")) else "."))]
        else:
            blocks = [T("True statements:"), Steps(tuple(T(t) for t in right))]
        if q.solution:
            blocks += [T(" ".join(par.split())) for par in q.solution.split("\n\n") if par.strip()]
        if q.source:
            blocks.append(T(f"Source: {q.source}.", style="note"))
        return tuple(blocks)


@lru_cache(maxsize=64)
def _resolve(raw: str) -> str:
    """A bank path: as given if it is a file, else under ``banks/``."""
    path = Path(raw)
    if path.is_file():
        return str(path)
    if not path.is_absolute() and (BANKS / path).is_file():
        return str(BANKS / path)
    raise ParamError("no such bank file", family="concepts", param="bank", value=raw)


@lru_cache(maxsize=256)
def _with_tag(path: str, tag: str | None) -> tuple[StaticQuestion, ...]:
    bank = cached_bank(path)
    if tag is None:
        return bank
    chosen = tuple(q for q in bank if tag in q.tags)
    if not chosen:
        known = sorted({t for q in bank for t in q.tags})
        raise ParamError(f"no question carries this tag; tags: {', '.join(known)}",
                         family="concepts", param="tag", value=tag)
    return chosen


FAMILY = Concepts()
