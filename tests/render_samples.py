"""Sample exams for renderer tests: every block type, every kind, hostile text.

``hostile_questions()`` are hand-made Questions whose stems, choices and solutions use Text with
inline Expr (sub/superscripts), Math, Matrix with a highlighted window, MatrixRow, Table and
Steps, and text full of characters that break naive HTML/XML writers. ``family_questions()``
builds real questions from every registered family and kind. ``sample_exam()`` puts both into
question groups and paper versions. Renderer tests that should cover every registered family
build their own exam per family (``family_exam``), so a family still being written fails its
own test case, not every renderer test.
"""
from __future__ import annotations

from fractions import Fraction

import quizgen
from quizgen import families
from quizgen.exam import Exam, ExamMeta, ExamVersion, QuestionGroup
from quizgen.mathexpr import Add, Call, Div, Eq, Floor, Mul, Num, Paren, Pow, Sub, Sym, shape
from quizgen.misconceptions import CATALOGUE
from quizgen.model import Choice, Math, Matrix, MatrixRow, Question, Steps, T, Table

#: Text that must survive every renderer verbatim.
HOSTILE = "a<b && c>d \"dq\" 'sq' ]]> </mattext> ×⌊⌋Σ≤√²ₕ −"
HOSTILE_TITLE = "Exam <1> & \"quotes\" 'single' ]]> — ΣCNN ≤ √x²"


def _stem(tag: str):
    return (
        T(f"[{tag}] Consider ", Sym("n", "h"), " = 5 and ", Pow(Sym("x"), 2), " with ",
          Sym("C", "in"), " channels; note: ", HOSTILE),
        Math(Eq(Sym("n", "h", "′"), Add(Floor(Div(Sub(Add(Sym("n", "h"), Mul(2, Sym("p"))),
                                                    Sym("k")), Sym("s"))), 1))),
        Matrix.of([[1, -2, 3], [4, 5, -6], [7, 8, 9]], label="Input <X> & 'pad'",
                  highlight=((0, 0, 2, 2),)),
        MatrixRow((Matrix.of([[1, 0], [0, 1]], label="K"), "∗",
                   Matrix.of([[Fraction(1, 2), 0.25]], label="W"), "=", "?")),
        Table(("Layer <name>", "Output", "Params"),
              (("conv1 & relu", shape(55, 55, 96), 34944), ("pool \"max\"", shape(27, 27, 96), 0)),
              caption="Table: 'AlexNet' <start>", align="lrr"),
        T("Pick one; ", HOSTILE, style="note"),
    )


def _solution():
    return (
        Steps((T("Compute ", Mul(Paren(Add(Mul(3, 3, 3), 1)), 64), " = 1792."),
               T("Then ", Call("max", 0, 1, 3, 4), " = 4 ", HOSTILE))),
        T("Hence the answer.", style="strong"),
    )


def hostile_questions(points: float = 2.0) -> list[Question]:
    """One question per kind (two numeric ones), all block types, hostile text everywhere."""
    single = Question(
        family="handmade_single", seed=1, difficulty="paper", kind="single",
        params={"note": HOSTILE}, stem=_stem("single"),
        choices=(
            Choice((T(Mul(Paren(Add(Mul(3, 3, 3), 1)), 64)),), False, "forgot_bias",
                   CATALOGUE["forgot_bias"], 1792),
            Choice((T("x < 1 & y > 2 ]]>"),), True, None, "", "ok"),
            Choice((T("“quoted” ", Pow(Num(2), 10), " ≤ √4"),), False, "macs_vs_flops",
                   CATALOGUE["macs_vs_flops"], 1024),
            Choice((Matrix.of([[1, 2], [3, 4]], highlight=((1, 1, 1, 1),)),), False, "near_value",
                   "", 0),
        ),
        answer="ok", solution=_solution(), points=points)
    multiple = Question(
        family="handmade_multiple", seed=2, difficulty="standard", kind="multiple",
        params={}, stem=_stem("multiple"),
        choices=(
            Choice((T("Pooling has no parameters & keeps C."),), True, None, "True: <fact>.", True),
            Choice((T("ReLU ", Sym("x", "i"), " < 0 → 0 'always'"),), True, None, "", True),
            Choice((T("Σ over ]]> channels"),), False, "static", CATALOGUE["static"], False),
            Choice((T("\"FLOPs\" = MACs"),), False, "flops_vs_macs", "", False),
        ),
        answer=True, solution=_solution(), points=points)
    numeric_frac = Question(
        family="handmade_numeric", seed=3, difficulty="challenge", kind="numeric",
        params={"x": "1/3"}, stem=_stem("numeric"), choices=(), answer=Fraction(1, 3),
        solution=_solution(), tolerance=0.005, points=points)
    numeric_float = Question(
        family="handmade_numeric", seed=4, difficulty="challenge", kind="numeric",
        params={"x": 0.1}, stem=(T("Value of 0.1 ± 0.005 & more <"),), choices=(),
        answer=0.1, solution=(T("It is ", Num(0.1), "."),), tolerance=0.005, points=points)
    numeric_int = Question(
        family="handmade_numeric", seed=5, difficulty="paper", kind="numeric",
        params={"x": -7}, stem=(T("A negative integer, exactly: −7"),), choices=(),
        answer=-7, solution=(), tolerance=0.0, points=points)
    return [single, multiple, numeric_frac, numeric_float, numeric_int]


def family_questions(points: float = 2.0, seeds=(0, 1),
                     names=("conv_output_size",)) -> list[Question]:
    """Real questions: each named family (default: the reference family) × its kinds × seeds."""
    out = []
    for name in names:
        for kind in families.get(name).kinds:
            for seed in seeds:
                out.append(quizgen.build_question(name, seed=seed, kind=kind, points=points))
    return out


def family_exam(name: str, points: float = 2.0, seeds=(0, 1, 2)) -> Exam:
    """One group per kind of family ``name`` (its ``seeds`` as variants) and one version."""
    qs = family_questions(points, seeds, names=(name,))
    groups = tuple(QuestionGroup(f"{name} {kind}", tuple({q.uid: q for q in qs
                                                         if q.kind == kind}.values()),
                                 pick=1, points_per_item=points)
                   for kind in families.get(name).kinds)
    meta = ExamMeta(title=f"All of {name}", slug=name, seed=0, duration_minutes=None)
    return Exam(meta, (ExamVersion(1, "A", tuple(qs)),), groups)


def sample_exam(*, duration: int | None = 50, points: float = 2.0) -> Exam:
    """Groups: the hand-made questions (pick 2 of 5) and one group per family question pair;
    two paper versions."""
    hostile = hostile_questions(points)
    real = family_questions(points)
    groups = [QuestionGroup("Hand-made <all blocks> & 'kinds' ]]>", tuple(hostile), pick=2,
                            points_per_item=points)]
    for i in range(0, len(real), 2):
        variants = tuple(real[i:i + 2])
        groups.append(QuestionGroup(f"Slot {len(groups) + 1}: {variants[0].title}", variants,
                                    pick=1, points_per_item=points))
    versions = (ExamVersion(1, "A7", tuple(hostile[:2] + real[:3] + hostile[2:])),
                ExamVersion(2, "B3", tuple(real[3:6] + hostile[::-1])))
    meta = ExamMeta(title=HOSTILE_TITLE, slug="cnn-midterm", seed=2024, course="EECS <498>",
                    instructions=("Calculators allowed; no notes & no phones.", HOSTILE),
                    duration_minutes=duration, shuffle_answers=True)
    return Exam(meta, versions, tuple(groups))
