"""Exam and answer-key PDFs: text content (pdftotext), key letters, glyph coverage,
determinism, escaping, page numbering, questions kept on one page, speed."""
from __future__ import annotations

import hashlib
import re
import shutil
import subprocess
from pathlib import Path

import numpy as np
import pytest

import quizgen
from quizgen import families
from quizgen.exam import Exam, ExamMeta, ExamVersion, QuestionGroup
from quizgen.mathexpr import Add, Call, Div, Floor, Mul, Num, Pow, Sub, Sym, shape
from quizgen.misconceptions import CATALOGUE
from quizgen.model import Choice, Math, Matrix, MatrixRow, Question, Steps, T, Table, Text
from quizgen.render import pdf_fonts
from quizgen.render.pdf import answer_text, write_exam_pdf, write_key_pdf

HOSTILE = "x < y & z > w \"quoted\" 'single' ]]> × ⌊7/2⌋ ⌈7/2⌉ Σ ≤ ≥ √ ² ₕ − ≈ ∗ σ μ γ β ε → ′"

needs_poppler = pytest.mark.skipif(shutil.which("pdftotext") is None,
                                   reason="poppler-utils (pdftotext) is not installed")


# ---- hand-made questions exercising every block type and kind --------------------------------

def _q(kind, stem, choices, answer, solution, *, tolerance=0.0, points=1.0, notes=(), title="T"):
    return Question(family="handmade", seed=0, difficulty="standard", kind=kind, params={},
                    stem=tuple(stem), choices=tuple(choices), answer=answer,
                    solution=tuple(solution), tolerance=tolerance, points=points,
                    title=title, notes=tuple(notes))


def matrix_options_question() -> Question:
    """The seeds' pooling question: a 4×4 input with a highlighted window, 2×2 matrix options."""
    x = [[12, 20, 30, 0], [20, 12, 2, 0], [0, 70, 5, 2], [8, 2, 90, 3]]
    opts = [([[20, 30], [70, 90]], True, None), ([[16, 8], [20, 25]], False, "avg_instead_of_max"),
            ([[12, 2], [70, 5]], False, "misaligned_window"), ([[-1, 8], [20, 25]], False, "near_value")]
    return _q("single",
              [T("Apply 2 × 2 max pooling with stride 2 (no padding) to the feature map below. "
                 "What is the output?"),
               Matrix.of(x, "Input", highlight=((0, 0, 2, 2),))],
              [Choice((Matrix.of(m),), c, k, "" if c else CATALOGUE[k], m) for m, c, k in opts],
              [[20, 30], [70, 90]],
              [T("Each output is the max of its window: ", Call("max", 12, 20, 20, 12), " = 20."),
               Matrix.of([[20, 30], [70, 90]], "Output")])


def every_block_question() -> Question:
    """Text with inline sub/superscripts, Math, MatrixRow, Table, Steps and hostile text."""
    stem = [
        T("Given ", Sym("n", "h"), " = 7 and ", Pow(Sym("k"), 2), " taps, with ", HOSTILE, "."),
        Math(Add(Floor(Div(Sub(Add(7, Mul(2, 1)), 3), 2)), 1)),
        MatrixRow((Matrix.of([[1, 0, 2], [3, 1, 0], [0, 2, 1]], "Input x", ((0, 0, 2, 2),)), "∗",
                   Matrix.of([[1, -1], [0, 2]], "Kernel w"), "=",
                   Matrix.of([[3, -2], [7, 1]], "Output y"))),
        Table(("Layer", "Output shape", "Params", "Memory (KB)"),
              (("conv1 <&>", shape(55, 55, 96), 34944, 1134.375),
               ("pool1", shape(27, 27, 96), 0, 273.375),
               ("fc8", shape(1000), Mul(4096, 1000), Num(3.90625))),
              caption="Layers of a network & its <costs>"),
        T("Convention: FLOPs = 2·MACs; biases count.", style="note"),
    ]
    choices = [Choice((T("(3 × 3 × 3 + 1) × 64 ", Pow(Num(10), 3)),), True),
               Choice((T(Mul(Add(Mul(3, 3, 3)), 64), " <wrong> & \"odd\""),), False,
                      "forgot_bias", CATALOGUE["forgot_bias"]),
               Choice((T("σ(x) ≤ ε → ", Sym("C", "in")),), False, "near_value",
                      "A nearby value."),
               Choice((T("None of these: ", HOSTILE),), False, "same_as_input",
                      "Assumed the size stays the same.")]
    solution = [Steps((T("Pad: ", Sym("n", "h"), " + 2p = 9."), T("Subtract: 9 − 3 = 6; ", Div(6, 2), " = 3."),
                       T("Add one: ", Add(3, 1), " = 4."))),
                T("Strong conclusion ⌊x⌋ ≥ 0.", style="strong")]
    return _q("single", stem, choices, "A", solution, points=2.0,
              notes=("1 option(s) filled with near values: the misconceptions coincided",),
              title="Hostile <title> & friends")


def multiple_question() -> Question:
    facts = [("Max pooling has no learnable parameters.", True, None),
             ("Pooling changes the number of channels.", False, "pool_changes_channels"),
             ("A 1 × 1 convolution can change the number of channels.", True, None),
             ("Stride 2 always halves an odd input exactly.", False, "no_floor"),
             ("Batch norm at test time uses running statistics.", True, None)]
    return _q("multiple", [T("Which statements are true?")],
              [Choice((T(s),), c, k, f"Because {s.lower()}", s) for s, c, k in facts],
              tuple(s for s, c, _ in facts if c), [T("Check each statement.")])


def numeric_question() -> Question:
    return _q("numeric", [T("What is log(0.8) to three decimals? (natural log; answer ≈ −0.223)")],
              [], -0.2231, [Math(Call("ln", Num(0.8)))], tolerance=0.001, points=1.5)


def handmade_questions() -> list[Question]:
    return [matrix_options_question(), every_block_question(), multiple_question(),
            numeric_question()]


def built_questions(n: int, *, offset: int = 0, names=None) -> list[Question]:
    """``n`` questions from the registered families (or ``names``), cycling families, kinds and
    seeds. Families still being written elsewhere may fail to build; those are skipped (their
    own tests cover them) — this file tests rendering."""
    out = []
    names = list(names or families.names())
    seed = offset
    while len(out) < n and seed < offset + 50 * n:
        name = names[seed % len(names)]
        fam = families.get(name)
        kinds = getattr(fam, "kinds", ("single",))
        kind = kinds[(seed // len(names)) % len(kinds)]
        try:
            out.append(quizgen.build_question(name, seed=seed, kind=kind))
        except Exception:  # noqa: BLE001 - see docstring
            pass
        seed += 1
    assert len(out) == n, f"only {len(out)} of {n} questions could be built"
    return out


def make_exam(questions_per_version: list[list[Question]], *, title="Midterm <1> & Quiz",
              instructions=("Closed book; one page of notes (both sides) & a calculator.",
                            "Answer on the bubble sheet <not> on this paper.")) -> Exam:
    meta = ExamMeta(title=title, slug="midterm-1", seed=1, course="CS 540 — Intro to AI",
                    date="2025-03-14", instructions=tuple(instructions), duration_minutes=50)
    codes = "ABCDEFGH"
    versions = tuple(ExamVersion(i + 1, f"{codes[i]}{i + 7}", tuple(qs))
                     for i, qs in enumerate(questions_per_version))
    groups = (QuestionGroup("Q1", tuple(v.questions[0] for v in versions)),)
    return Exam(meta, versions, groups)


def standard_exam(n_versions: int = 2, n_built: int = 8) -> Exam:
    per = []
    for v in range(n_versions):
        qs = handmade_questions() + built_questions(n_built, offset=v * 101)
        order = np.random.default_rng(v).permutation(len(qs))
        per.append([qs[int(i)] for i in order])
    return make_exam(per)


# ---- helpers ----------------------------------------------------------------------------------

def pdftotext(path: Path, *, layout: bool = False) -> list[str]:
    """The text of each page (pages split on form feeds)."""
    args = ["pdftotext", "-enc", "UTF-8"] + (["-layout"] if layout else []) + [str(path), "-"]
    out = subprocess.run(args, check=True, capture_output=True, text=True).stdout
    pages = out.split("\f")
    return pages[:-1] if pages and not pages[-1].strip() else pages


def squash(s: str) -> str:
    """Whitespace-free text, so line wrapping does not matter."""
    return re.sub(r"\s+", "", s)


def sha(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def texts_of(blocks) -> list[str]:
    """The strings a reader must find for these blocks: Text/Math as plain text, matrix and
    table numbers one by one (pdftotext prints grids cell by cell)."""
    from quizgen.render.pdf_blocks import cell_plain
    out = []
    for b in blocks:
        if isinstance(b, Matrix):
            out += [b.label] + [cell_plain(v) for row in b.rows for v in row]
        elif isinstance(b, MatrixRow):
            out += texts_of([i for i in b.items if isinstance(i, Matrix)])
            out += [i for i in b.items if isinstance(i, str)]
        elif isinstance(b, Table):
            out += [b.caption, *b.header] + [cell_plain(c) for r in b.rows for c in r]
        elif isinstance(b, Steps):
            out += texts_of(b.items)
        elif isinstance(b, Math):
            out.append(b.expr.text())
        else:
            out.append(b.plain())
    return [t for t in out if t]


def needles(blocks) -> list[str]:
    """Regular expressions a block's text must match in whitespace-free pdftotext output.
    Sub- and superscript runs are optional there: pdftotext sometimes files a raised or
    lowered glyph under a neighbouring line (a heuristic of its reading order)."""
    from quizgen.mathexpr import Expr
    from quizgen.render.pdf_blocks import cell_plain

    def runs_re(runs) -> str:
        return "".join(re.escape(squash(t)) if not style else f"(?:{re.escape(squash(t))})?"
                       for t, style in runs)

    def inline_re(span) -> str:
        return runs_re(span.runs()) if isinstance(span, Expr) else re.escape(squash(span))

    out = []
    for b in blocks:
        if isinstance(b, Text):
            out.append("".join(inline_re(s) for s in b.spans))
        elif isinstance(b, Math):
            out.append(runs_re(b.expr.runs()))
        elif isinstance(b, Steps):
            out += needles(b.items)
        elif isinstance(b, Table):
            out += [inline_re(c if isinstance(c, (str, Expr)) else cell_plain(c))
                    for c in (b.caption, *b.header, *(c for r in b.rows for c in r))]
        else:
            out += [re.escape(squash(t)) for t in texts_of([b])]
    return [n for n in out if n]


# ---- tests ------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def exam() -> Exam:
    return standard_exam()


@pytest.fixture(scope="module")
def rendered(exam, tmp_path_factory) -> dict:
    d = tmp_path_factory.mktemp("pdf")
    out = {}
    for v in exam.versions:
        out[v.code] = (write_exam_pdf(exam, v, d / f"exam-{v.code}.pdf"),
                       write_key_pdf(exam, v, d / f"key-{v.code}.pdf"))
    return out


@needs_poppler
def test_exam_shows_every_stem_and_option(exam, rendered):
    for v in exam.versions:
        exam_pdf, _ = rendered[v.code]
        text = squash("".join(pdftotext(exam_pdf)))
        for q in v.questions:
            for n in needles(q.stem):
                assert re.search(n, text), (q.family, n)
            for c in q.choices:
                for n in needles(c.content):
                    assert re.search(n, text), (q.family, n)
            if q.kind == "multiple":
                assert "(Selectallthatapply.)" in text


@needs_poppler
def test_cover_page(exam, rendered):
    v = exam.versions[0]
    cover = pdftotext(rendered[v.code][0])[0]
    for needle in ("Midterm <1> & Quiz", "CS 540 — Intro to AI", "2025-03-14", v.code, "Name",
                   "Student ID", "Closed book; one page of notes (both sides) & a calculator.",
                   "Answer on the bubble sheet <not> on this paper.",
                   f"{len(v.questions)} questions", f"{fmt_points(v.total_points)} points",
                   "50 minutes", "Fill in one bubble per question unless it says select all that apply."):
        assert squash(needle) in squash(cover), needle


def test_cover_does_not_repeat_the_specs_own_hints(tmp_path):
    if shutil.which("pdftotext") is None:
        pytest.skip("poppler-utils (pdftotext) is not installed")
    exam = make_exam([handmade_questions()], instructions=(
        "Fill in one bubble per question with a No. 2 pencil, unless it says select all that apply.",
        "Copy the version code onto your answer sheet."))
    cover = squash(pdftotext(write_exam_pdf(exam, exam.versions[0], tmp_path / "e.pdf"))[0])
    assert squash("Fill in one bubble per question unless") not in cover
    assert squash("with a No. 2 pencil") in cover
    assert squash("Your version code is A7.") in cover


def fmt_points(p):
    from quizgen.numbers import fmt
    return fmt(p)


def head_pattern(i: int, q: Question) -> str:
    """The start of question ``i``'s first line in ``pdftotext -layout`` output."""
    pts = "1 point" if q.points == 1 else f"{fmt_points(q.points)} points"
    return rf"^\s*{i}\.\s+\({re.escape(pts)}\)"


@needs_poppler
def test_key_letters_match_correct_labels(exam, rendered):
    for v in exam.versions:
        _, key_pdf = rendered[v.code]
        layout = "\n".join(pdftotext(key_pdf, layout=True))
        summary = layout[:layout.index("Worked solutions")]
        for i, q in enumerate(v.questions, 1):
            # the summary table row: number, answer, points
            assert re.search(rf"^\s*{i}\s+{re.escape(answer_text(q))}\s+{re.escape(fmt_points(q.points))}\s",
                             summary, re.M), (i, answer_text(q))
            # the question's own heading
            assert re.search(head_pattern(i, q) + rf"\s+Answer:\s+{re.escape(answer_text(q))}\.",
                             layout, re.M), (i, answer_text(q))
        text = squash("".join(pdftotext(key_pdf)))
        for q in v.questions:
            for c in q.choices:
                if not c.correct and c.explanation:
                    assert squash(f"{c.explanation}[{c.misconception}]") in text
            for note in q.notes:
                assert squash(note) in text
            if q.kind == "numeric" and q.tolerance:
                assert squash(f"± {fmt_points(q.tolerance)}") in text
        if any(q.kind == "numeric" and q.answer == -0.2231 for q in v.questions):
            assert squash("Accept answers within ± 0.001: from −0.2241 to −0.2221.") in text


@needs_poppler
def test_key_marks_the_correct_options(exam, rendered):
    """Each correct option's letter carries a check mark in the key and nowhere in the exam."""
    v = exam.versions[0]
    exam_pdf, key_pdf = rendered[v.code]
    assert "✓" not in "".join(pdftotext(exam_pdf))
    key = "".join(pdftotext(key_pdf))
    assert key.count("✓") == sum(len(q.correct_labels) for q in v.questions)


@needs_poppler
def test_hostile_text_is_escaped_not_interpreted(exam, rendered):
    text = "".join(pdftotext(rendered[exam.versions[0].code][0]))
    for needle in ("x < y & z > w", "<wrong> & \"odd\"", "'single' ]]>", "conv1 <&>",
                   "Layers of a network & its <costs>"):
        assert squash(needle) in squash(text), needle
    key = "".join(pdftotext(rendered[exam.versions[0].code][1]))
    assert "Hostile <title> & friends" in key


@needs_poppler
def test_page_numbers_on_every_page(exam, rendered):
    for v in exam.versions:
        for path in rendered[v.code]:
            pages = pdftotext(path)
            n = len(pages)
            assert n >= 2
            for i, page in enumerate(pages, 1):
                assert f"Page {i} of {n}" in page, (path.name, i)
                assert f"Version {v.code}" in page
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
            assert re.search(rf"^Pages:\s+{n}$", info, re.M)
            assert re.search(r"^Author:\s+quizgen$", info, re.M)


@needs_poppler
def test_no_question_split_across_pages(exam, rendered):
    """A question's number and its last option (or answer box) are on the same page."""
    for v in exam.versions:
        pages = pdftotext(rendered[v.code][0], layout=True)
        for i, q in enumerate(v.questions, 1):
            if q.kind == "numeric":
                last = "Answer:"  # the answer box
            else:
                last = needles(q.choices[-1].content)[-1]
            hits = [(k, m) for k, p in enumerate(pages)
                    for m in [re.search(head_pattern(i, q), p, re.M)] if m]
            assert len(hits) == 1, (i, [k for k, _ in hits])
            k, m = hits[0]
            assert re.search(last, squash(pages[k][m.start():])), (i, last)


def drawn_strings(blocks) -> list[str]:
    """Every string the renderer sets for these blocks: plain text, and the raw text of each
    inline-math run (drawn as ordinary characters in <sub>/<super>)."""
    from quizgen.mathexpr import Expr
    out = texts_of(blocks)
    for b in blocks:
        items = b.items if isinstance(b, Steps) else (b,)
        for t in items:
            spans = t.spans if hasattr(t, "spans") else (t.expr,) if isinstance(t, Math) else ()
            out += [text for s in spans if isinstance(s, Expr) for text, _ in s.runs()]
        if isinstance(b, Table):
            out += [text for r in b.rows for c in r if isinstance(c, Expr) for text, _ in c.runs()]
    return out


def test_glyph_coverage_over_many_questions():
    """Every character we print exists in the embedded faces (no missing-glyph boxes)."""
    from quizgen.render.pdf import BUBBLE_HINT, SELECT_ALL
    qs = handmade_questions() + built_questions(80)
    strings = [HOSTILE, BUBBLE_HINT, SELECT_ALL, "✓ • — · … ± “ ” Page of ANSWER KEY"]
    for q in qs:
        strings += drawn_strings(q.stem) + drawn_strings(q.solution) + list(q.notes)
        strings += [q.title, answer_text(q)]
        for c in q.choices:
            strings += drawn_strings(c.content) + [c.explanation, c.misconception or ""]
    for face in ("regular", "bold", "italic"):
        missing = set()
        for s in strings:
            missing |= pdf_fonts.missing_glyphs(s, face)
        assert not missing, (face, sorted(missing))
    assert not pdf_fonts.missing_glyphs("0123456789ABCDEFGH", "mono")


def test_missing_glyph_check_notices_gaps():
    assert pdf_fonts.missing_glyphs("a\u4e00b") == {"\u4e00"}  # CJK: not in DejaVu Sans
    assert not pdf_fonts.missing_glyphs("×⌊⌋⌈⌉Σ≤≥−≈√∗σμγβε→′⁰¹²³₀₁₂")


@needs_poppler
def test_pdf_text_uses_only_covered_glyphs(exam, rendered):
    """What actually got drawn (as pdftotext reads it back) is in the regular face's cmap."""
    for path in rendered[exam.versions[0].code]:
        text = "".join(pdftotext(path))
        assert not pdf_fonts.missing_glyphs(text.replace("\f", ""), "regular")


@needs_poppler
def test_every_font_is_embedded(exam, rendered):
    for path in rendered[exam.versions[0].code]:
        out = subprocess.run(["pdffonts", str(path)], capture_output=True, text=True).stdout
        rows = out.splitlines()[2:]
        assert rows and all("DejaVuSans" in r for r in rows), out
        assert all(re.search(r"\byes\s+yes\s+yes\b", r) for r in rows), out


def test_deterministic_bytes(exam, tmp_path):
    v = exam.versions[1]
    a = write_exam_pdf(exam, v, tmp_path / "a.pdf")
    b = write_exam_pdf(exam, v, tmp_path / "b.pdf")
    assert sha(a) == sha(b)
    ka = write_key_pdf(exam, v, tmp_path / "ka.pdf")
    kb = write_key_pdf(exam, v, tmp_path / "kb.pdf")
    assert sha(ka) == sha(kb)
    assert b"CreationDate" not in a.read_bytes() or b"D:20000101" in a.read_bytes()


def test_same_bytes_in_another_process(exam, rendered, tmp_path):
    """Byte-identical across processes with different string-hash seeds."""
    import os
    import sys
    script = (
        "import sys; sys.path.insert(0, sys.argv[1]);"
        "from test_render_pdf import standard_exam;"
        "from quizgen.render.pdf import write_exam_pdf, write_key_pdf;"
        "e = standard_exam(); write_exam_pdf(e, e.versions[0], sys.argv[2]);"
        "write_key_pdf(e, e.versions[0], sys.argv[3])")
    tests_dir = str(Path(__file__).parent)
    env = dict(os.environ, PYTHONHASHSEED="12345",
               PYTHONPATH=os.pathsep.join([str(Path(__file__).parent.parent),
                                           os.environ.get("PYTHONPATH", "")]))
    a, b = tmp_path / "a.pdf", tmp_path / "b.pdf"
    subprocess.run([sys.executable, "-c", script, tests_dir, str(a), str(b)], check=True, env=env)
    exam_pdf, key_pdf = rendered[exam.versions[0].code]
    assert sha(a) == sha(exam_pdf)
    assert sha(b) == sha(key_pdf)


@needs_poppler
def test_small_matrix_options_sit_side_by_side(exam, rendered):
    """The pooling question's four 2×2 matrix options share one line of the page."""
    v = exam.versions[0]
    i = next(k for k, q in enumerate(v.questions, 1) if q.stem_plain().startswith("Apply 2 × 2 max"))
    layout = "\n".join(pdftotext(rendered[v.code][0], layout=True))
    tail = layout[re.search(head_pattern(i, v.questions[i - 1]), layout, re.M).start():]
    assert re.search(r"^\s*A\.\s+B\.\s+C\.\s+D\.\s*$", tail, re.M), tail[:800]
    # the grids' rows line up across the options: 20 30 | 16 8 | 12 2 | −1 8
    assert re.search(r"^\s*20\s+30\s+16\s+8\s+12\s+2\s+−1\s+8\s*$", tail, re.M), tail[:800]


@needs_poppler
def test_wide_content_stays_inside_the_margins(tmp_path):
    """A 14-column matrix of 5-digit numbers, a MatrixRow of two of them and a 9-column table
    are scaled or shrunk to the frame: every word pdftotext finds lies within the margins."""
    from quizgen.render.pdf import MARGIN, PAGE
    rng = np.random.default_rng(0)
    wide = Matrix.of(rng.integers(-99999, 99999, (6, 14)), "Wide input", ((1, 1, 3, 3),))
    table = Table(tuple(f"Column {i} header" for i in range(9)),
                  tuple(tuple(int(x) for x in rng.integers(0, 10 ** 6, 9)) for _ in range(70)))
    q = _q("single", [T("Wide things."), wide, MatrixRow((wide, "∗", wide)), table],
           [Choice((T("yes"),), True), Choice((T("no"),), False, "near_value", "x")], "yes",
           [table])
    exam = make_exam([[q]])
    for path in (write_exam_pdf(exam, exam.versions[0], tmp_path / "e.pdf"),
                 write_key_pdf(exam, exam.versions[0], tmp_path / "k.pdf")):
        out = subprocess.run(["pdftotext", "-bbox", str(path), "-"], capture_output=True,
                             text=True, check=True).stdout
        boxes = [(float(a), float(b)) for a, b in
                 re.findall(r'<word xMin="([\d.]+)" yMin="[\d.]+" xMax="([\d.]+)"', out)]
        assert len(boxes) > 500
        assert min(a for a, _ in boxes) >= MARGIN - 1
        assert max(b for _, b in boxes) <= PAGE[0] - MARGIN + 1


@needs_poppler
@pytest.mark.parametrize("name", families.names())
def test_every_family_renders_completely(name, tmp_path):
    """Each registered family (all kinds, three seeds): every stem and option in the exam's
    text, every question whole on one page, the key's letters, only covered glyphs."""
    from render_samples import family_exam
    exam = family_exam(name)
    v = exam.versions[0]
    exam_pdf = write_exam_pdf(exam, v, tmp_path / "exam.pdf")
    key_pdf = write_key_pdf(exam, v, tmp_path / "key.pdf")
    text = squash("".join(pdftotext(exam_pdf)))
    layout = pdftotext(exam_pdf, layout=True)
    key = "\n".join(pdftotext(key_pdf, layout=True))
    for i, q in enumerate(v.questions, 1):
        for n in needles(q.stem) + [n for c in q.choices for n in needles(c.content)]:
            assert re.search(n, text), (i, n)
        pages = [p for p in layout if re.search(head_pattern(i, q), p, re.M)]
        assert len(pages) == 1, i
        if q.choices and len(squash(pages[0])) < 2500:   # fits a page: must not be split
            start = re.search(head_pattern(i, q), pages[0], re.M).start()
            assert re.search(needles(q.choices[-1].content)[-1], squash(pages[0][start:])), i
        assert re.search(head_pattern(i, q) + rf"\s+Answer:\s+{re.escape(answer_text(q))}\.",
                         key, re.M), i
    for path in (exam_pdf, key_pdf):
        assert not pdf_fonts.missing_glyphs("".join(pdftotext(path)).replace("\f", ""))


@needs_poppler
def test_shared_sample_exam_hostile_title(tmp_path):
    from render_samples import HOSTILE_TITLE, sample_exam
    exam = sample_exam()
    for v in exam.versions:
        for path in (write_exam_pdf(exam, v, tmp_path / f"e{v.code}.pdf"),
                     write_key_pdf(exam, v, tmp_path / f"k{v.code}.pdf")):
            pages = pdftotext(path)
            assert squash(HOSTILE_TITLE) in squash(pages[0])
            info = subprocess.run(["pdfinfo", str(path)], capture_output=True, text=True).stdout
            assert HOSTILE_TITLE in info


def test_question_longer_than_a_page_still_renders(tmp_path):
    long_stem = [T(f"Paragraph {i}: " + "a long sentence about convolutions " * 12) for i in range(40)]
    q = _q("single", long_stem, [Choice((T("yes"),), True), Choice((T("no"),), False, "near_value", "x")],
           "yes", [T("Because.")])
    exam = make_exam([[q, numeric_question()]])
    path = write_exam_pdf(exam, exam.versions[0], tmp_path / "long.pdf")
    assert path.stat().st_size > 0
    if shutil.which("pdftotext"):
        text = squash("".join(pdftotext(path)))
        assert "Paragraph39" in text and "yes" in text


def test_unwritable_path_is_an_output_error(exam, tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(quizgen.errors.OutputError):
        write_exam_pdf(exam, exam.versions[0], blocker / "sub" / "exam.pdf")
