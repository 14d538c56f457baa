"""receptive_field: sweep, the lectures' examples, bad parameters.

Expected values are recomputed here by walking backwards from one output unit: an interval
[a, b] of a layer's outputs comes from input rows [a·s, b·s + d·(k − 1)]."""
import re

import pytest

from family_sweep import sweep
from quizgen import build_question
from quizgen.errors import ParamError


def parse(stack):
    out = []
    for tok in stack.split(","):
        m = re.fullmatch(r"([cp])(\d+)(?:s(\d+))?(?:d(\d+))?", tok)
        kind, k = m.group(1), int(m.group(2))
        s = int(m.group(3) or (1 if kind == "c" else k))
        out.append((k, s, int(m.group(4) or 1)))
    return out


def backward_rf(layers):
    a = b = 0
    for k, s, d in reversed(layers):
        a, b = a * s, b * s + d * (k - 1)
    return b - a + 1


def expected(q):
    layers = parse(q.params["stack"])
    if q.kind != "multiple":
        return backward_rf(layers)

    def true(choice):
        m = re.fullmatch(r"After layer (\d+) \(.*\): (\d+) × \2", choice.plain())
        return int(m.group(2)) == backward_rf(layers[:int(m.group(1))])
    return true


def test_sweep_every_kind_and_difficulty():
    assert sweep("receptive_field", expected, seeds=500) == 500 * 9


@pytest.mark.parametrize("stack, want", [
    ("c3,c3", 5), ("c3,c3,c3", 7),                 # three 3×3 convs see like one 7×7
    ("c3d1", 3), ("c3d1,c3d2", 7), ("c3d1,c3d2,c3d4", 15),   # Yu & Koltun: 3, 7, 15
    ("c3,p2,c3", 8), ("c5,p2,c5,p2", 16),          # pooling multiplies the jump
    ("c7s2,p3s2", 11),                             # ResNet stem: 7×7/2 conv, 3×3/2 pool
])
def test_lecture_stacks(stack, want):
    q = build_question("receptive_field", seed=0, params=dict(stack=stack))
    assert q.answer == want
    assert f"{want} × {want}" in [c.plain() for c in q.choices if c.correct]


def test_dilated_seed_misconceptions():
    q = build_question("receptive_field", seed=1, params=dict(stack="c3d1,c3d2,c3d4"))
    tags = {c.misconception: c.value for c in q.choices if not c.correct}
    assert tags.get("rf_ignored_dilation", 7) == 7
    assert tags.get("rf_last_layer_only", 9) == 9


def test_multiple_is_per_layer():
    q = build_question("receptive_field", seed=2, kind="multiple",
                       params=dict(stack="c3d1,c3d2,c3d4"))
    assert len(q.choices) >= 4
    for c in q.choices:
        layer = int(c.plain().split()[2])
        value = int(c.plain().rsplit(" ", 1)[1])
        assert c.correct == (value == [3, 7, 15][layer - 1])


@pytest.mark.parametrize("params, bad", [
    (dict(stack="c3x"), "stack"),
    (dict(stack="c0"), "stack"),
    (dict(stack=",".join(["c3"] * 9)), "stack"),
    (dict(stack="c3s9"), "stack"),
    (dict(pattern="spiral", n=3, K=3), "pattern"),
    (dict(n=0, pattern="uniform", K=3), "n"),
])
def test_bad_params_name_the_parameter(params, bad):
    with pytest.raises(ParamError) as err:
        build_question("receptive_field", seed=0, params=params)
    assert err.value.param == bad
