"""pool_output_size: sweep, the lectures' examples, bad parameters.

The expected sizes are recomputed here by enumerating window start positions (no formula)."""
import pytest

from family_sweep import sweep
from quizgen import build_question
from quizgen.errors import ParamError
from quizgen.render.text import question_text


def starts(n: int, k: int, s: int, p: int, ceil_mode: bool) -> list[int]:
    """Start rows of the pooling windows over n rows padded with p on each side: every full
    window, and with ceil_mode one more partial window if the full ones stop short of the
    padded end and it starts before the right padding (row < n)."""
    out, i = [], 0
    while i * s - p + k <= n + p:
        out.append(i * s - p)
        i += 1
    if ceil_mode and out[-1] + k < n + p and out[-1] + s < n:
        out.append(out[-1] + s)
    return out


def uncovered(n, k, s, p):
    """Input rows (not padding) after the last window of floor-mode pooling."""
    last = starts(n, k, s, p, False)[-1] + k - 1
    return max(0, n - 1 - last)


def expected(q):
    p = q.params
    if q.kind == "multiple":
        def fits(choice):
            s = int(choice.plain().split("=")[1])
            return all((n + 2 * p["P"] - p["K"]) % s == 0 for n in (p["H"], p["W"]))
        return fits
    h = len(starts(p["H"], p["K"], p["S"], p["P"], p["ceil_mode"]))
    w = len(starts(p["W"], p["K"], p["S"], p["P"], p["ceil_mode"]))
    if q.kind == "numeric":
        return h
    skip = not p["ceil_mode"] and (uncovered(p["H"], p["K"], p["S"], p["P"]) or
                                   uncovered(p["W"], p["K"], p["S"], p["P"]))
    return (h, w, p["C"], "skip") if skip else (h, w, p["C"])


def test_sweep_every_kind_and_difficulty():
    assert sweep("pool_output_size", expected, seeds=500) == 500 * 9


def test_ceil_mode_matches_torch_rule_on_known_cases():
    # torch: 6 rows, k 3, s 2, ceil_mode → 3 (the last window starts at row 4 and is partial)
    assert len(starts(6, 3, 2, 0, True)) == 3
    # 5 rows, k 2, s 2, p 1, ceil_mode: a 4th window would start at 5 = n, in the padding → 3
    assert len(starts(5, 2, 2, 1, True)) == 3


def test_seed_seven_by_seven_stride_three_does_not_fit():
    q = build_question("pool_output_size", seed=0, difficulty="paper",
                       params=dict(H=7, K=3, S=3, P=0, C=1, mode="max"))
    right = [c for c in q.choices if c.correct][0]
    assert right.plain() == "2 × 2 × 1 (does not fit exactly: the last row and the last " \
                            "column are never covered)"
    fits = [c for c in q.choices if c.misconception == "fits_anyway"]
    assert [c.plain() for c in fits] == ["2 × 2 × 1 (the windows cover the input exactly)"]
    assert {c.misconception for c in q.choices} == {None, "fits_anyway", "no_floor",
                                                    "ignored_stride"}


@pytest.mark.parametrize("h, out, fits", [(55, 27, True), (56, 27, False)])
def test_alexnet_pool1_cs231n_and_deeprob(h, out, fits):
    q = build_question("pool_output_size", seed=1,
                       params=dict(H=h, K=3, S=2, P=0, C=64, mode="max", ceil_mode=False))
    assert q.answer[:3] == (out, out, 64) and (len(q.answer) == 3) == fits
    text = question_text(q, key=True)
    assert f"⌊({h} + 2 × 0 − 3) / 2⌋ + 1" in text
    assert "C′ = C = 64" in text


def test_multiple_strides_for_seven_by_seven():
    q = build_question("pool_output_size", seed=3, kind="multiple",
                       params=dict(H=7, K=3, P=0))
    truth = {c.plain(): c.correct for c in q.choices}
    assert truth == {"S = 1": True, "S = 2": True, "S = 3": False, "S = 4": True,
                     "S = 5": False}


def test_channels_unchanged_and_distractor_changes_them():
    q = build_question("pool_output_size", seed=11, params=dict(C=96, H=27, K=3, S=2, P=0))
    assert q.answer == (13, 13, 96)
    for c in q.choices:
        if c.misconception == "pool_changes_channels":
            assert c.value[2] != 96


FULL = dict(H=7, C=1, K=3, S=1, P=0, mode="max", ceil_mode=False)


@pytest.mark.parametrize("params, bad", [
    (dict(K=3, P=2), "P"),            # torch: padding at most K/2
    (dict(H=4, K=9, P=0), "K"),       # window larger than the padded input
    (dict(mode="min"), "mode"),
    (dict(S=0), "S"),
    (dict(ceil_mode="maybe"), "ceil_mode"),
])
def test_bad_params_name_the_parameter(params, bad):
    with pytest.raises(ParamError) as err:
        build_question("pool_output_size", seed=0, params={**FULL, **params})
    assert err.value.param == bad
    # with other parameters left to sampling, the message still names the culprit
    with pytest.raises(ParamError, match=f"param '{bad}'"):
        build_question("pool_output_size", seed=0, params=params)


def test_multiple_without_mixed_strides_is_refused():
    # 63 − 3 = 60 is divisible by 2, 3, 4 and 5: every stride fits, nothing to select against
    with pytest.raises(ParamError) as err:
        build_question("pool_output_size", seed=0, kind="multiple", params={**FULL, "H": 63})
    assert err.value.param == "H"
