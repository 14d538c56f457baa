"""The assembled exam: what the assembler produces and every output renderer consumes.

``Exam.versions`` are the paper versions (each an ordered tuple of Questions with shuffled
options); ``Exam.groups`` are the Canvas question groups (one per slot question: N distinct
variants, each student draws ``pick`` of them); ``Exam.practice`` the questions of the optional
practice page. Renderers never look at family names.
"""
from __future__ import annotations

from dataclasses import dataclass, field

from quizgen.model import Question


@dataclass(frozen=True)
class ExamMeta:
    """Front matter from the spec."""

    title: str
    slug: str
    seed: int
    course: str = ""
    date: str = ""
    instructions: tuple[str, ...] = ()
    duration_minutes: int | None = None     # Canvas time limit; printed on the cover if set
    shuffle_answers: bool = True            # Canvas setting
    source: str = ""                        # the spec file it came from


@dataclass(frozen=True)
class ExamVersion:
    """One paper version: ``number`` 1..K and a short ``code`` printed on every page."""

    number: int
    code: str
    questions: tuple[Question, ...]

    @property
    def total_points(self) -> float:
        return sum(q.points for q in self.questions)


@dataclass(frozen=True)
class QuestionGroup:
    """A Canvas question group: ``variants`` are distinct questions of one slot; each student
    draws ``pick`` of them, each worth ``points_per_item``."""

    title: str
    variants: tuple[Question, ...]
    pick: int = 1
    points_per_item: float = 1.0


@dataclass(frozen=True)
class Exam:
    meta: ExamMeta
    versions: tuple[ExamVersion, ...]
    groups: tuple[QuestionGroup, ...]
    practice: tuple[Question, ...] = field(default=())
