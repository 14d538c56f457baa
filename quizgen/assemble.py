"""Spec → Exam: paper versions, Canvas question groups and the practice set.

Every question is built by its family from one integer seed derived from the exam seed and the
question's place, ``derive_seed(exam_seed, stream, index, slot, item, attempt)`` (a NumPy
``SeedSequence`` over a fixed-length key, so no two places share a seed by accident), where
``stream`` says what the question is for (paper, Canvas, practice, order, code). Nothing else is
random, so the same spec and seed give the same exam, and each question's seed (kept on the
``Question``) regenerates it with ``build_question(family, seed=…, difficulty=…, kind=…,
params=<the slot's params>)``.

- Paper: version v (1..K) draws its own variant of every slot question. Within a version no two
  questions have the same stem (a retry with the next ``attempt`` seed; ``SpecError`` if the
  family cannot give enough). Across versions the same slot question is retried up to
  ``SOFT_RETRIES`` times to get a stem no earlier version used; when a slot's family runs out of
  fresh variants (all soft retries collide once) later versions take what they draw. Versions
  are built in order, so the first k versions of a K-version exam equal a k-version exam.
  The question order is permuted per version when ``shuffle.questions``; with
  ``shuffle.options: false`` numeric options are put in ascending order (``canonical_order``).
  Each version gets a distinct four-character ``code`` (alphabet without 0/O/1/I).
- Canvas: one ``QuestionGroup`` per slot question with ``canvas.variants`` variants whose stems
  differ from each other and from the other groups of the same slot (``SpecError`` if the family
  cannot give that many).
- Practice (``practice.enabled``): up to ``practice.n`` distinct questions per slot.
"""
from __future__ import annotations

import dataclasses
import zlib
from dataclasses import dataclass
from typing import Callable

import numpy as np

from quizgen.errors import ParamError, QuizgenError, SpecError
from quizgen.exam import Exam, ExamMeta, ExamVersion, QuestionGroup
from quizgen.model import Question
from quizgen.spec import ExamSpec

STREAM_PAPER, STREAM_CANVAS, STREAM_PRACTICE, STREAM_ORDER, STREAM_CODE = range(5)
HARD_ATTEMPTS = 40     # seeds tried for a distinct stem where one is required (+8 per stem held)
SOFT_RETRIES = 3       # extra seeds tried to keep a slot question different across versions
CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 4

Progress = Callable[[int, int, str], None]   # (done, total, what)


def derive_seed(exam_seed: int, stream: int, index: int, slot: int, item: int,
                attempt: int = 0) -> int:
    """A 32-bit question seed from its place; the key always has six entries."""
    key = [int(exam_seed), stream, index, slot, item, attempt]
    return int(np.random.SeedSequence(key).generate_state(1)[0])


@dataclass(frozen=True)
class Placement:
    """Where a question came from: slot index and item (0..count-1) within the slot."""

    slot: int
    item: int


@dataclass(frozen=True)
class Assembly:
    """The exam plus where each question came from (for the manifest).

    ``paper[v][n]`` is the placement of question n (0-based) of version v (0-based);
    ``groups[g]`` of Canvas group g; ``practice[i]`` of practice question i.
    """

    exam: Exam
    spec: ExamSpec
    paper: tuple[tuple[Placement, ...], ...]
    groups: tuple[Placement, ...]
    practice: tuple[Placement, ...]


def build_exam(spec: ExamSpec, *, seed: int | None = None, versions: int | None = None,
               progress: Progress | None = None) -> Exam:
    """Build the exam of ``spec`` (``seed``/``versions`` override the spec's)."""
    return assemble(spec, seed=seed, versions=versions, progress=progress).exam


def assemble(spec: ExamSpec, *, seed: int | None = None, versions: int | None = None,
             progress: Progress | None = None) -> Assembly:
    """``build_exam`` keeping each question's placement (see ``Assembly``)."""
    if seed is not None:
        if isinstance(seed, bool) or not isinstance(seed, (int, np.integer)) or seed < 0:
            raise QuizgenError(f"seed {seed!r}: must be a non-negative integer")
        spec = dataclasses.replace(spec, seed=int(seed))
    if versions is not None:
        if isinstance(versions, bool) or not isinstance(versions, (int, np.integer)) or versions < 1:
            raise QuizgenError(f"versions {versions!r}: must be a positive integer")
        spec = dataclasses.replace(spec, versions=int(versions))
    return _Assembler(spec, progress).run()


def canonical_order(q: Question) -> Question:
    """Single-answer options whose values are all numbers (or tuples of numbers, like shapes)
    in ascending order, as printed exams often list them. Text options and select-all
    statements keep the order drawn by the question's seed: only the family knows which text
    options refer to the others ("All of the above" stays last)."""
    if q.kind != "single" or not q.choices:
        return q
    try:
        keys = [_sort_value(c.value) for c in q.choices]
        order = sorted(range(len(keys)), key=lambda i: (keys[i], q.choices[i].plain()))
    except TypeError:
        return q
    return dataclasses.replace(q, choices=tuple(q.choices[i] for i in order))


def _sort_value(v):
    """An exactly comparable key for a number or a tuple of numbers (TypeError otherwise)."""
    from fractions import Fraction
    if isinstance(v, (list, tuple)):
        return tuple(_sort_value(x) for x in v)
    if isinstance(v, (bool, np.bool_)):
        raise TypeError(f"not a number: {v!r}")
    if isinstance(v, (int, np.integer)):
        return Fraction(int(v))
    if isinstance(v, Fraction):
        return v
    if isinstance(v, (float, np.floating)):
        return Fraction(float(v))
    raise TypeError(f"not a number: {v!r}")


def version_codes(exam_seed: int, slug: str, n: int) -> tuple[str, ...]:
    """``n`` distinct short codes, derived from the seed and the exam slug."""
    salt = zlib.crc32(slug.encode())
    codes: list[str] = []
    for v in range(1, n + 1):
        attempt = 0
        while True:
            x = derive_seed(exam_seed, STREAM_CODE, v, salt, 0, attempt)
            code = "".join(CODE_ALPHABET[(x >> (5 * i)) & 31] for i in range(CODE_LENGTH))
            if code not in codes:
                codes.append(code)
                break
            attempt += 1
    return tuple(codes)


class _Assembler:
    def __init__(self, spec: ExamSpec, progress: Progress | None):
        from quizgen import families
        self.spec = spec
        self.families = [families.get(s.family) for s in spec.slots]
        self.kinds = [s.kind for s in spec.slots]
        n_paper = spec.versions * spec.questions_per_version
        n_canvas = spec.questions_per_version * spec.canvas.variants
        n_practice = len(spec.slots) * spec.practice.n if spec.practice.enabled else 0
        self.total = n_paper + n_canvas + n_practice
        self.done = 0
        self.progress = progress

    def tick(self, what: str):
        self.done += 1
        if self.progress is not None:
            self.progress(self.done, self.total, what)

    def build(self, i: int, seed: int) -> Question:
        """Question of slot ``i`` from ``seed``. A slot without a kind takes the first of the
        family's kinds its params allow (found on its first build, then kept)."""
        from quizgen.family import build
        slot = self.spec.slots[i]
        kinds = [self.kinds[i]] if self.kinds[i] else list(self.families[i].kinds)
        for n, kind in enumerate(kinds):
            try:
                q = build(self.families[i], seed=seed, difficulty=slot.difficulty, kind=kind,
                          params=slot.params, points=slot.points)
            except ParamError as err:
                if err.param == "kind" and n + 1 < len(kinds):
                    continue
                raise self.slot_error(i, str(err)) from None
            except QuizgenError as err:
                # not the spec's fault (a family that cannot finish a question): say how to
                # reproduce it
                raise QuizgenError(
                    f"{self.spec.source or '<spec>'}, slots[{i}]: building {slot.family} with "
                    f"seed {seed}, difficulty {slot.difficulty}, kind {kind} failed: "
                    f"{err}") from err
            self.kinds[i] = kind
            return q
        raise AssertionError("unreachable: the last kind returns or raises")

    def slot_error(self, i: int, message: str) -> SpecError:
        slot = self.spec.slots[i]   # the message names the family
        return SpecError(message, file=self.spec.source or None, field=f"slots[{i}]",
                         line=slot.line)

    def run(self) -> Assembly:
        spec = self.spec
        paper_versions, paper_layout = self.paper()
        groups, group_layout = self.canvas()
        practice, practice_layout = self.practice() if spec.practice.enabled else ((), ())
        meta = ExamMeta(title=spec.title, slug=spec.slug, seed=spec.seed, course=spec.course,
                        date=spec.date, instructions=spec.instructions,
                        duration_minutes=spec.canvas.time_limit,
                        shuffle_answers=spec.canvas.shuffle_answers, source=spec.source)
        exam = Exam(meta=meta, versions=paper_versions, groups=groups, practice=practice)
        return Assembly(exam, spec, paper_layout, group_layout, practice_layout)

    # ----- paper -----------------------------------------------------------------------
    def paper(self):
        spec = self.spec
        places = [Placement(i, j) for i, s in enumerate(spec.slots) for j in range(s.count)]
        codes = version_codes(spec.seed, spec.slug, spec.versions)
        slot_stems: list[set[str]] = [set() for _ in spec.slots]
        saturated = [False] * len(spec.slots)
        versions, layouts = [], []
        for v in range(1, spec.versions + 1):
            stems: set[str] = set()
            built = []
            for place in places:
                q = self.paper_question(v, place, stems, slot_stems, saturated)
                stems.add(q.stem_plain())
                slot_stems[place.slot].add(q.stem_plain())
                built.append(q)
                self.tick(f"version {v}")
            order = list(range(len(places)))
            if spec.shuffle.questions:
                rng = np.random.default_rng(derive_seed(spec.seed, STREAM_ORDER, v, 0, 0))
                order = [int(k) for k in rng.permutation(len(places))]
            if not spec.shuffle.options:
                built = [canonical_order(q) for q in built]
            versions.append(ExamVersion(v, codes[v - 1], tuple(built[k] for k in order)))
            layouts.append(tuple(places[k] for k in order))
        return tuple(versions), tuple(layouts)

    def paper_question(self, v, place, stems, slot_stems, saturated) -> Question:
        i, j = place.slot, place.item
        fallback = None
        tries = HARD_ATTEMPTS + 8 * len(stems)
        for attempt in range(tries):
            q = self.build(i, derive_seed(self.spec.seed, STREAM_PAPER, v, i, j, attempt))
            stem = q.stem_plain()
            if stem in stems:
                continue                      # never twice on one paper
            if stem not in slot_stems[i] or saturated[i]:
                return q
            fallback = fallback or q          # an earlier version has it: try for a fresh one
            if attempt >= SOFT_RETRIES:
                saturated[i] = True
                return fallback
        if fallback is not None:
            saturated[i] = True
            return fallback
        slot = self.spec.slots[i]
        raise self.slot_error(i, f"family '{slot.family}' gave no question distinct from the "
                                 f"others on version {v} in {tries} tries: it offers "
                                 f"fewer distinct questions with these params than the "
                                 f"{slot.count} this slot asks for (or another slot repeats "
                                 f"them)")

    # ----- canvas ----------------------------------------------------------------------
    def canvas(self):
        spec = self.spec
        n = spec.canvas.variants
        groups, layout = [], []
        for i, slot in enumerate(spec.slots):
            seen: set[str] = set()
            for j in range(slot.count):
                variants = []
                for k in range(n):
                    variants.append(self.distinct(i, STREAM_CANVAS, k, j, seen, "canvas"))
                    self.tick("canvas")
                title = slot.title or self.families[i].title
                if slot.count > 1:
                    title = f"{title} ({j + 1})"
                groups.append(QuestionGroup(title=title, variants=tuple(variants), pick=1,
                                            points_per_item=slot.points))
                layout.append(Placement(i, j))
        return tuple(groups), tuple(layout)

    def distinct(self, i, stream, index, item, seen: set, purpose: str) -> Question | None:
        # finding the last of m distinct stems takes about m draws: scale the tries with m
        for attempt in range(HARD_ATTEMPTS + 8 * len(seen)):
            q = self.build(i, derive_seed(self.spec.seed, stream, index, i, item, attempt))
            if q.stem_plain() not in seen:
                seen.add(q.stem_plain())
                return q
        if purpose == "practice":
            return None
        slot = self.spec.slots[i]
        raise self.slot_error(
            i, f"family '{slot.family}' gave only {len(seen)} distinct variants with these "
               f"params in {HARD_ATTEMPTS + 8 * len(seen)} tries; canvas.variants asks for "
               f"{self.spec.canvas.variants} per question × count {slot.count}")

    # ----- practice --------------------------------------------------------------------
    def practice(self):
        out, layout = [], []
        for i, slot in enumerate(self.spec.slots):
            seen: set[str] = set()
            for k in range(self.spec.practice.n):
                q = self.distinct(i, STREAM_PRACTICE, k, 0, seen, "practice")
                self.tick("practice")
                if q is None:
                    break
                out.append(q)
                layout.append(Placement(i, k))
        return tuple(out), tuple(layout)
