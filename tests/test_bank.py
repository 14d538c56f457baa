"""quizgen.bank: the static bank format, its validation errors (file, field, value, line)."""
from __future__ import annotations

import textwrap

import pytest

from quizgen.bank import load_bank, parse_bank
from quizgen.errors import SpecError

GOOD = textwrap.dedent("""\
    title: test bank
    questions:
      - id: pool-params
        tags: [pooling]
        kind: single
        source: Lecture 11
        stem: |
          How many parameters does max pooling have?

          (Second paragraph, k < n & "quotes".)
        options:
          - text: "0"
            correct: true
          - text: One per channel
            correct: false
            why: Pooling is a fixed function.
            misconception: counted_pool_params
          - text: None of the above
            correct: false
            why: 0 is listed.
        solution: Pooling has no weights.
      - id: bn-facts
        tags: [batchnorm, parameters]
        kind: multiple
        stem: Which are true?
        options:
          - {text: γ is learned, correct: true}
          - {text: β is learned, correct: true}
          - {text: the running mean is learned, correct: false, why: It is a buffer.}
    """)


def test_good_bank_loads(tmp_path):
    path = tmp_path / "bank.yaml"
    path.write_text(GOOD, encoding="utf-8")
    bank = load_bank(path)
    assert [q.id for q in bank] == ["pool-params", "bn-facts"]
    q = bank[0]
    assert q.kind == "single" and q.tags == ("pooling",) and q.source == "Lecture 11"
    assert q.line == 3 and q.file == str(path)
    assert "k < n & \"quotes\"" in q.stem
    assert [o.text for o in q.correct] == ["0"]
    assert q.options[1].misconception == "counted_pool_params"
    assert q.options[2].pinned_last and not q.options[1].pinned_last
    assert [o.text for o in bank[1].correct] == ["γ is learned", "β is learned"]


def test_bare_list_is_accepted():
    bank = parse_bank(textwrap.dedent("""\
        - id: a
          tags: [x]
          kind: single
          stem: s
          options: [{text: a, correct: true}, {text: b, correct: false, why: w}]
        """))
    assert bank[0].id == "a"


def _question(**changes) -> str:
    fields = {"id": "q1", "tags": "[x]", "kind": "single", "stem": "What?",
              "options": "\n    - {text: a, correct: true}\n    - {text: b, correct: false, "
                         "why: because}"}
    fields.update(changes)
    lines = ["questions:", "  - id: " + fields.pop("id")]
    lines += [f"    {k}: {v}" for k, v in fields.items() if v is not None]
    return "\n".join(lines) + "\n"


@pytest.mark.parametrize("text, field, value, line, message", [
    (_question(stem=None), "stem", None, 2, "has no 'stem'"),
    (_question(tags=None), "tags", None, 2, "has no 'tags'"),
    (_question(kind="essay"), "kind", "essay", 4, "unknown kind"),
    (_question(options="\n    - {text: a, correct: true}\n    - {text: b, correct: true}"),
     "options", 2, 6, "has 2 correct options"),
    (_question(options="\n    - {text: a, correct: false, why: w}\n"
                        "    - {text: b, correct: false, why: w}"),
     "options", 0, 6, "has 0 correct options"),
    (_question(kind="multiple", options="\n    - {text: a, correct: false, why: w}\n"
                                        "    - {text: b, correct: false, why: w}"),
     "options", 0, 6, "has no correct option"),
    (_question(options="\n    - {text: a, correct: true}\n    - {text: ' A ', correct: false, "
                       "why: w}"), "options.text", "A", 8, "duplicate option text"),
    (_question(options="\n    - {text: a, correct: true}\n    - {text: b, correct: false}"),
     "options[1].why", None, 8, "needs a 'why'"),
    (_question(options="\n    - {text: a, correct: true}\n    - {text: b, corect: false}"),
     "corect", "corect", 8, "unknown field"),
    (_question(options="\n    - {text: a, correct: yes please}\n    - {text: b, correct: false, "
                       "why: w}"), "options[0].correct", "yes please", 7, "true or false"),
    (_question(options="\n    - {text: a, correct: true}\n    - {text: b, correct: false, "
                       "why: w, misconception: made_up}"),
     "options[1].misconception", "made_up", 8, "misconception catalogue"),
    (_question(options="\n    - {text: a, correct: true}"), "options", 1, 6, "2 to 8 options"),
    (_question(id="'two words'"), "id", "two words", 2, "an id is"),
    (_question(tags="[]"), "tags", None, 3, "at least one tag"),
    (_question(source="[a, b]"), "source", None, 9, "expected a single value"),
])
def test_rejections_name_file_field_value_line(text, field, value, line, message):
    with pytest.raises(SpecError) as info:
        parse_bank(text, "bank.yaml")
    err = info.value
    assert err.file == "bank.yaml" and err.field == field and err.line == line, \
        (str(err), err.field, err.line)
    assert err.value == value and message in str(err)
    assert str(err).startswith(f"bank.yaml:{line}")


def test_duplicate_ids_point_at_the_second():
    text = _question() + _question().split("\n", 1)[1]
    with pytest.raises(SpecError, match=r"bank.yaml:9, field 'id', value 'q1': duplicate id "
                                        r"\(first defined on line 2\)"):
        parse_bank(text, "bank.yaml")


def test_unknown_top_level_field_and_empty_and_broken_yaml(tmp_path):
    with pytest.raises(SpecError, match="field 'qestions'.*unknown field"):
        parse_bank("qestions: []\n", "b.yaml")
    with pytest.raises(SpecError, match="empty"):
        parse_bank("", "b.yaml")
    with pytest.raises(SpecError, match="no questions"):
        parse_bank("questions: []\n", "b.yaml")
    with pytest.raises(SpecError, match=r"b.yaml:\d+: not valid YAML"):
        parse_bank("questions:\n  - id: [a\n", "b.yaml")
    with pytest.raises(SpecError, match="cannot read the bank"):
        load_bank(tmp_path / "missing.yaml")


def test_the_shipped_bank_is_valid(repo_root):
    bank = load_bank(repo_root / "banks" / "concepts.yaml")
    assert len(bank) >= 30
