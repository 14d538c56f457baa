"""concepts: the static bank served as a family — seeds, shuffling, pinned options, params.

The expected answers are read from the YAML file directly (yaml.safe_load), not through
quizgen.bank.
"""
from __future__ import annotations

import re
from collections import Counter

import pytest
import yaml

from family_sweep import sweep
from quizgen import build_question
from quizgen.cli import main
from quizgen.errors import ParamError, SpecError
from quizgen.model import LABELS
from quizgen.render.json import question_dict
from quizgen.render.text import question_text
from quizgen.templating import BANKS

RAW = {q["id"]: q for q in yaml.safe_load((BANKS / "concepts.yaml").read_text())["questions"]}


def truth(qid):
    return {o["text"]: o["correct"] for o in RAW[qid]["options"]}


def expected(q):
    table = truth(q.params["id"])
    if q.kind == "single":
        return next(text for text, ok in table.items() if ok)
    return lambda choice: table[choice.plain()]


def test_sweep_all_kinds_and_difficulties():
    assert sweep("concepts", expected, seeds=500) == 500 * 2 * 3


def test_bank_content():
    assert len(RAW) >= 30
    kinds = Counter(q["kind"] for q in RAW.values())
    assert kinds["single"] >= 20 and kinds["multiple"] >= 8
    for q in RAW.values():
        assert q["tags"] and q["stem"].strip() and q.get("source")
        for o in q["options"]:
            assert o["correct"] or len(o["why"].split()) >= 5, (q["id"], o)
    texts = [q["stem"] + " ".join(o["text"] for o in q["options"]) for q in RAW.values()]
    assert any("<" in t for t in texts) and any("&" in t for t in texts)
    assert any('"' in t for t in texts)
    alexnet = RAW["alexnet-facts"]
    assert alexnet["kind"] == "multiple" and all(o["correct"] for o in alexnet["options"])
    assert [o["text"] for o in RAW["deep-success"]["options"] if o["correct"]] == \
        ["All of the above"]


def test_every_entry_builds_and_renders():
    for qid, raw in RAW.items():
        q = build_question("concepts", params={"id": qid}, kind=raw["kind"])
        assert {c.plain() for c in q.choices} == {o["text"] for o in raw["options"]}
        text = question_text(q, key=True)
        assert raw["stem"].split()[0] in text
        for c in q.choices:
            if not c.correct:
                why = next(o["why"] for o in raw["options"] if o["text"] == c.plain())
                assert c.explanation == why
                assert c.misconception == next(o.get("misconception", "static")
                                               for o in raw["options"] if o["text"] == c.plain())


def test_all_of_the_above_stays_last_and_others_shuffle():
    firsts = set()
    for seed in range(40):
        q = build_question("concepts", seed=seed, params={"id": "deep-success"})
        assert q.choices[-1].plain() == "All of the above" and q.correct_labels == ("D",)
        firsts.add(q.choices[0].plain())
    assert len(firsts) == 3


def test_correct_letter_is_uniform_for_shuffled_entries():
    letters = Counter()
    for seed in range(800):
        q = build_question("concepts", seed=seed)
        if not any(re.match(r"(All|None) of the above", c.plain()) for c in q.choices):
            letters[q.correct_labels[0]] += 1
    total = sum(letters.values())
    assert set(letters) == set(LABELS[:4])
    for label in LABELS[:4]:
        assert letters[label] > 0.17 * total, letters


def test_tag_and_kind_select_entries():
    for seed in range(60):
        q = build_question("concepts", seed=seed, kind="multiple", params={"tag": "resnet"})
        raw = RAW[q.params["id"]]
        assert raw["kind"] == "multiple" and "resnet" in raw["tags"]
    ids = {build_question("concepts", seed=s).params["id"] for s in range(300)}
    assert len(ids) == sum(q["kind"] == "single" for q in RAW.values())


def test_same_seed_same_question_and_select_all_stem():
    a = build_question("concepts", seed=11, kind="multiple")
    b = build_question("concepts", seed=11, kind="multiple")
    assert question_dict(a) == question_dict(b)
    assert "Select all that apply" not in a.stem_plain()  # renderers say it themselves


@pytest.mark.parametrize("params, kind, param", [
    ({"id": "no-such-question"}, None, "id"),
    ({"tag": "no-such-tag"}, None, "tag"),
    ({"id": "alexnet-facts"}, "single", "kind"),
    ({"id": "bn-inference", "tag": "vgg"}, None, "id"),
    ({"bank": "no_such_bank.yaml"}, None, "bank"),
    ({"colour": "red"}, None, "colour"),
])
def test_bad_parameters(params, kind, param):
    with pytest.raises(ParamError, match=f"param '{param}'"):
        build_question("concepts", params=params, kind=kind)


def test_cli_names_the_bad_id(capsys):
    assert main(["preview", "concepts", "--param", "id=nope"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "param 'id'" in err[0] and "'nope'" in err[0]


def test_another_bank_file(tmp_path):
    path = tmp_path / "mine.yaml"
    path.write_text("- id: only\n  tags: [x]\n  kind: single\n  stem: Is 1 < 2 & 3 > 2?\n"
                    "  options:\n    - {text: 'Yes', correct: true}\n"
                    "    - {text: 'No', correct: false, why: 1 is smaller than 2.}\n",
                    encoding="utf-8")
    q = build_question("concepts", seed=3, params={"bank": str(path)})
    assert q.params["id"] == "only" and q.stem_plain() == "Is 1 < 2 & 3 > 2?"
    broken = tmp_path / "broken.yaml"
    broken.write_text("- id: x\n  kind: single\n", encoding="utf-8")
    with pytest.raises(SpecError, match="broken.yaml:1, field 'tags'"):
        build_question("concepts", params={"bank": str(broken)})
