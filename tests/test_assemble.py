"""The assembler: seeded, reproducible versions, Canvas groups and practice questions."""
from __future__ import annotations

import dataclasses
import io
from fractions import Fraction

import pytest

import quizgen
from quizgen.assemble import (CODE_ALPHABET, assemble, build_exam, canonical_order,
                              derive_seed, version_codes)
from quizgen.errors import QuizgenError, SpecError
from quizgen.progress import Progress
from quizgen.render.json import question_dict
from quizgen.spec import parse_spec

SPEC = """\
title: Assembler test
seed: 11
versions: 4
difficulty: paper
slots:
  - family: conv_output_size
    count: 3
  - family: conv_output_size
    kind: numeric
    points: 2
    params: {H: 28, K: 5}
  - family: conv_output_size
    kind: multiple
    difficulty: standard
canvas: {variants: 5, time_limit: 20}
practice: {enabled: true, n: 3}
"""


@pytest.fixture(scope="module")
def spec():
    return parse_spec(SPEC, "test.yaml")


@pytest.fixture(scope="module")
def assembly(spec):
    return assemble(spec)


def dicts(questions):
    return [question_dict(q) for q in questions]


def test_shape_of_the_exam(spec, assembly):
    exam = assembly.exam
    assert [v.number for v in exam.versions] == [1, 2, 3, 4]
    for v, layout in zip(exam.versions, assembly.paper):
        assert len(v.questions) == 5 == len(layout)
        assert sorted((p.slot, p.item) for p in layout) == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]
        for q, place in zip(v.questions, layout):
            slot = spec.slots[place.slot]
            assert (q.family, q.kind, q.points) == (slot.family, slot.kind or "single",
                                                    slot.points)
            assert q.difficulty == slot.difficulty
        assert v.total_points == 3 + 2 + 1
    assert exam.meta.title == "Assembler test" and exam.meta.seed == 11
    assert exam.meta.duration_minutes == 20 and exam.meta.source == "test.yaml"
    assert exam.meta.slug == "assembler-test"


def test_same_spec_same_exam(spec, assembly):
    again = build_exam(spec)
    assert again == assembly.exam
    for a, b in zip(assembly.exam.versions, again.versions):
        assert dicts(a.questions) == dicts(b.questions)


def test_every_version_draws_its_own_variants(assembly):
    exam = assembly.exam
    seeds = [q.seed for v in exam.versions for q in v.questions]
    assert len(set(seeds)) == len(seeds)
    for v in exam.versions:
        stems = [q.stem_plain() for q in v.questions]
        assert len(set(stems)) == len(stems)
    # the sampled slot question (slot 0) differs between every pair of versions
    by_place = {}
    for v, layout in zip(exam.versions, assembly.paper):
        for q, place in zip(v.questions, layout):
            by_place.setdefault((place.slot, place.item), []).append(q.stem_plain())
    for item in range(3):
        stems = by_place[(0, item)]
        assert len(set(stems)) == 4, stems


def test_question_order_shuffled_per_version(assembly):
    orders = {tuple((p.slot, p.item) for p in layout) for layout in assembly.paper}
    assert len(orders) > 1


def test_no_shuffle_keeps_slot_order(spec):
    plain = assemble(dataclasses.replace(spec, shuffle=dataclasses.replace(spec.shuffle,
                                                                           questions=False)))
    for layout in plain.paper:
        assert [(p.slot, p.item) for p in layout] == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]


def test_options_canonical_order(spec):
    fixed = assemble(dataclasses.replace(spec, shuffle=dataclasses.replace(spec.shuffle,
                                                                           options=False)))
    shuffled = assemble(spec)
    for a, b in zip(fixed.exam.versions, shuffled.exam.versions):
        for qa, qb in zip(a.questions, b.questions):
            # the same questions as with shuffled options, only reordered
            assert qa.seed == qb.seed and qa.stem == qb.stem
            assert sorted(c.plain() for c in qa.choices) == sorted(c.plain() for c in qb.choices)
            assert {c.plain() for c in qa.choices if c.correct} == \
                {c.plain() for c in qb.choices if c.correct}
            if qa.kind == "single":
                values = [tuple(c.value) for c in qa.choices]
                assert values == sorted(values)
            else:                                   # statements keep the drawn order
                assert qa.choices == qb.choices


def test_canonical_order_numbers_and_fallback():
    q = quizgen.build_question("conv_output_size", seed=5, difficulty="paper")
    ordered = canonical_order(q)
    assert [c.value for c in ordered.choices] == sorted(c.value for c in q.choices)
    assert ordered.correct_labels != () and ordered.answer == q.answer
    numeric = quizgen.build_question("conv_output_size", seed=5, kind="numeric")
    assert canonical_order(numeric) is numeric
    # text options keep their order: "All of the above" must stay last
    static = quizgen.build_question("concepts", seed=1, params={"id": "deep-success"})
    assert canonical_order(static) is static
    assert static.choices[-1].plain() == "All of the above"


def test_version_codes():
    codes = version_codes(3, "exam", 1000)
    assert len(set(codes)) == 1000
    assert all(len(c) == 4 and set(c) <= set(CODE_ALPHABET) for c in codes)
    assert version_codes(3, "exam", 10) == codes[:10]
    assert version_codes(4, "exam", 10) != codes[:10]


def test_versions_are_prefix_stable(spec, assembly):
    two = build_exam(spec, versions=2)
    assert two.versions == assembly.exam.versions[:2]
    assert len(two.versions) == 2


def test_seed_override_changes_everything(spec, assembly):
    other = build_exam(spec, seed=12)
    assert other.meta.seed == 12
    assert [q.seed for q in other.versions[0].questions] != \
        [q.seed for q in assembly.exam.versions[0].questions]
    assert build_exam(dataclasses.replace(spec, seed=12)) == other


def test_bad_overrides(spec):
    with pytest.raises(QuizgenError, match="versions 0"):
        build_exam(spec, versions=0)
    with pytest.raises(QuizgenError, match="seed -1"):
        build_exam(spec, seed=-1)


def test_seeds_derive_from_place():
    assert derive_seed(1, 0, 1, 0, 0) == derive_seed(1, 0, 1, 0, 0, 0)
    seen = {derive_seed(7, stream, index, slot, item)
            for stream in range(3) for index in range(4) for slot in range(3) for item in range(3)}
    assert len(seen) == 3 * 4 * 3 * 3


def test_regenerate_from_seed(spec, assembly):
    """Every question is rebuilt from its seed and its slot's params (what the manifest keeps)."""
    exam = assembly.exam
    for v, layout in zip(exam.versions, assembly.paper):
        for q, place in zip(v.questions, layout):
            slot = spec.slots[place.slot]
            again = quizgen.build_question(q.family, seed=q.seed, difficulty=q.difficulty,
                                           kind=q.kind, params=slot.params, points=slot.points)
            assert question_dict(again) == question_dict(q)


def test_canvas_groups(spec, assembly):
    groups = assembly.exam.groups
    assert len(groups) == 5
    assert [(p.slot, p.item) for p in assembly.groups] == [(0, 0), (0, 1), (0, 2), (1, 0), (2, 0)]
    for g, place in zip(groups, assembly.groups):
        assert len(g.variants) == 5 and g.pick == 1
        assert g.points_per_item == spec.slots[place.slot].points
        assert all(q.family == "conv_output_size" for q in g.variants)
    assert groups[0].title.endswith("(1)") and groups[2].title.endswith("(3)")
    slot0 = [q.stem_plain() for g in groups[:3] for q in g.variants]
    assert len(set(slot0)) == 15           # distinct across the slot's three groups
    numeric = [q.stem_plain() for q in groups[3].variants]
    assert len(set(numeric)) == 5
    assert all(q.params["H"] == 28 and q.params["K"] == 5 for q in groups[3].variants)


def test_canvas_too_many_variants_is_a_spec_error():
    # everything fixed: only one distinct stem exists
    spec = parse_spec("""\
title: Fixed
canvas: {variants: 2}
slots:
  - family: conv_output_size
    params: {H: 7, W: 7, C_in: 1, C_out: 4, K: 3, S: 1, P: 0, D: 1, pad_style: per_side}
""", "fixed.yaml")
    with pytest.raises(SpecError) as info:
        build_exam(spec)
    assert info.value.field == "slots[0]" and info.value.line == 4
    assert "only 1 distinct variants" in str(info.value)


def test_fixed_slot_twice_on_one_paper_is_an_error():
    spec = parse_spec("""\
title: Fixed
slots:
  - family: conv_output_size
    count: 2
    params: {H: 7, W: 7, C_in: 1, C_out: 4, K: 3, S: 1, P: 0, D: 1, pad_style: per_side}
""", "fixed.yaml")
    with pytest.raises(SpecError, match="fewer distinct questions"):
        build_exam(spec)


def test_family_failure_names_slot_and_seed(monkeypatch):
    from quizgen import families
    from quizgen.errors import VerificationError
    fam = families.get("conv_output_size")

    def broken(p):
        raise VerificationError("closed form 3 vs engine 4")
    monkeypatch.setattr(fam, "solve", broken)
    spec = parse_spec("title: Broken\nslots:\n  - family: concepts\n"
                      "  - family: conv_output_size\n", "broken.yaml")
    with pytest.raises(QuizgenError) as info:
        build_exam(spec)
    seed = derive_seed(0, 0, 1, 1, 0)
    assert str(info.value) == (f"broken.yaml, slots[1]: building conv_output_size with seed "
                               f"{seed}, difficulty standard, kind single failed: closed form 3 "
                               f"vs engine 4")


def test_fixed_slot_may_repeat_across_versions():
    spec = parse_spec("""\
title: Fixed
versions: 3
slots:
  - family: conv_output_size
    params: {H: 7, W: 7, C_in: 1, C_out: 4, K: 3, S: 1, P: 0, D: 1, pad_style: per_side}
""", "fixed.yaml")
    exam = build_exam(spec)
    stems = {v.questions[0].stem_plain() for v in exam.versions}
    assert len(stems) == 1
    assert len({v.questions[0].seed for v in exam.versions}) == 3


def test_kind_follows_the_params_when_not_given():
    spec = parse_spec("""\
title: Concepts
versions: 2
slots:
  - family: concepts
    params: {id: alexnet-facts}
  - family: concepts
    params: {tag: resnet}
    count: 2
  - family: concepts
    kind: multiple
    params: {tag: resnet}
""", "concepts.yaml")
    exam = build_exam(spec)
    for v in exam.versions:
        kinds = sorted(q.kind for q in v.questions)
        assert kinds == ["multiple", "multiple", "single", "single"]
        ids = [q.params["id"] for q in v.questions]
        assert "alexnet-facts" in ids and len(set(ids)) == 4


def test_practice(spec, assembly):
    practice = assembly.exam.practice
    assert len(practice) == 9
    assert [p.slot for p in assembly.practice] == [0, 0, 0, 1, 1, 1, 2, 2, 2]
    paper_seeds = {q.seed for v in assembly.exam.versions for q in v.questions}
    assert not paper_seeds & {q.seed for q in practice}
    for slot in range(3):
        stems = [q.stem_plain() for q, p in zip(practice, assembly.practice) if p.slot == slot]
        assert len(set(stems)) == 3
    off = build_exam(dataclasses.replace(spec, practice=dataclasses.replace(spec.practice,
                                                                            enabled=False)))
    assert off.practice == ()


def test_practice_stops_at_distinct_questions():
    spec = parse_spec("""\
title: Fixed
practice: {enabled: true, n: 4}
slots:
  - family: conv_output_size
    params: {H: 7, W: 7, C_in: 1, C_out: 4, K: 3, S: 1, P: 0, D: 1, pad_style: per_side}
""", "fixed.yaml")
    assert len(build_exam(spec).practice) == 1


def test_progress_reports_every_question(spec):
    calls = []
    build_exam(spec, versions=2, progress=lambda done, total, what: calls.append((done, total)))
    total = 2 * 5 + 5 * 5 + 3 * 3
    assert calls[-1] == (total, total)
    assert [d for d, _ in calls] == list(range(1, total + 1))


def test_progress_bar_drawing():
    stream = io.StringIO()
    bar = Progress("building", stream=stream, enabled=True, width=10, interval=0)
    bar(5, 10, "version 1")
    assert stream.getvalue() == "\rbuilding [#####.....] 5/10 version 1"
    bar(10, 10)
    bar.close()
    assert stream.getvalue().endswith("\r" + " " * len("building [##########] 10/10") + "\r")
    silent = io.StringIO()
    quiet = Progress("x", stream=silent)          # StringIO is not a terminal
    quiet(1, 2, "a")
    quiet.close()
    assert silent.getvalue() == ""


def test_public_api(tmp_path):
    assert "build_exam" in quizgen.__all__
    path = tmp_path / "s.yaml"
    path.write_text(SPEC, encoding="utf-8")
    exam = quizgen.build_exam(str(path), versions=1)
    assert len(exam.versions) == 1 and exam.meta.source == str(path)
    assert isinstance(Fraction(exam.versions[0].total_points), Fraction)
