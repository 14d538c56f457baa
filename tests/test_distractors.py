"""The option builder: distinct options, one correct, catalogue tags, near-value fill."""
from collections import Counter

import numpy as np
import pytest

from quizgen.distractors import build_choices, choices_from_statements
from quizgen.errors import QuizgenError
from quizgen.family import Family, P, Statement
from quizgen.misconceptions import CATALOGUE
from quizgen.model import T


class Toy(Family):
    name = "toy"
    n_options = 4

    def __init__(self, wrong):
        self.wrong = wrong

    def misconceptions(self, p, answer):
        return dict(self.wrong)


def test_distinct_options_one_correct_and_tags():
    fam = Toy({"forgot_bias": 1728, "forgot_plus_one": 1791, "ignored_stride": 1792,
               "forgot_input_channels": 640, "counted_pool_params": None})
    choices, notes = build_choices(fam, P(), 1792, np.random.default_rng(1))
    texts = [c.plain() for c in choices]
    assert len(set(texts)) == 4 == len(texts)
    assert sum(c.correct for c in choices) == 1
    assert "1,792" in texts
    for c in choices:
        if not c.correct:
            assert c.misconception in CATALOGUE and c.explanation == CATALOGUE[c.misconception]
            assert c.misconception != "ignored_stride"  # collided with the answer: dropped
    assert notes == ()


def test_collisions_filled_with_near_values_and_noted():
    fam = Toy({"forgot_bias": 10, "forgot_plus_one": 10})
    choices, notes = build_choices(fam, P(), 12, np.random.default_rng(0))
    assert len({c.plain() for c in choices}) == 4
    assert [c.misconception for c in choices].count("near_value") == 2
    assert notes and "near values" in notes[0]


def test_unknown_misconception_is_refused():
    with pytest.raises(QuizgenError, match="not in the catalogue"):
        build_choices(Toy({"made_up": 3}), P(), 4, np.random.default_rng(0))


def test_correct_position_is_uniform():
    fam = Toy({"forgot_bias": 1, "forgot_plus_one": 2, "ignored_stride": 3})
    pos = Counter()
    for seed in range(2000):
        choices, _ = build_choices(fam, P(), 4, np.random.default_rng(seed))
        pos[[c.correct for c in choices].index(True)] += 1
    assert set(pos) == {0, 1, 2, 3}
    assert min(pos.values()) > 400


def test_statements_shuffled_and_need_a_true_one():
    sts = [Statement((T("a"),), True), Statement((T("b"),), False, "forgot_bias")]
    ch = choices_from_statements(sts, np.random.default_rng(3))
    assert sorted(c.plain() for c in ch) == ["a", "b"]
    wrong = [c for c in ch if not c.correct][0]
    assert wrong.explanation == CATALOGUE["forgot_bias"]
    with pytest.raises(QuizgenError):
        choices_from_statements([Statement((T("x"),), False)], np.random.default_rng(0))
    with pytest.raises(QuizgenError, match="duplicate"):
        choices_from_statements([Statement((T("x"),), True), Statement((T("x"),), False)],
                                np.random.default_rng(0))
