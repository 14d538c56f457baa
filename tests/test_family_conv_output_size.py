"""conv_output_size: seeds, independent recomputation, overrides and bad parameters."""
import pytest

from quizgen import build_question
from quizgen.cli import main
from quizgen.errors import ParamError
from quizgen.render.json import question_dict
from quizgen.render.text import question_text


def expected(params):
    """Independent recomputation straight from the lecture formula."""
    def one(n):
        if params["pad_style"] == "per_side":
            padded = n + 2 * params["P"]
        else:
            padded = n + params["P"]
        eff = params["D"] * (params["K"] - 1) + 1
        return (padded - eff) // params["S"] + 1
    return (one(params["H"]), one(params["W"]), params["C_out"])


@pytest.mark.parametrize("difficulty", ["paper", "standard", "challenge"])
@pytest.mark.parametrize("kind", ["single", "numeric", "multiple"])
def test_many_seeds(kind, difficulty):
    for seed in range(500):
        q = build_question("conv_output_size", seed=seed, difficulty=difficulty, kind=kind)
        h, w, c = expected(q.params)
        if kind == "single":
            correct = [ch for ch in q.choices if ch.correct]
            assert len(correct) == 1 and correct[0].plain() == f"{h} × {w} × {c}"
            assert len({ch.plain() for ch in q.choices}) == len(q.choices) == 4
        elif kind == "numeric":
            assert q.answer == h and q.tolerance == 0
        else:
            keep = {f"P = {(q.params['D'] * (q.params['K'] - 1)) // 2} on each side"}
            assert {ch.plain() for ch in q.choices if ch.correct} == keep
        assert "None" not in question_text(q, key=True)
        if seed % 50 == 0:
            again = build_question("conv_output_size", seed=seed, difficulty=difficulty, kind=kind)
            assert question_dict(again) == question_dict(q)


def test_seed_questions():
    q = build_question("conv_output_size", params=dict(H=7, K=3, S=2, P=0, C_in=1, C_out=1))
    assert [c.plain() for c in q.choices if c.correct] == ["3 × 3 × 1"]
    q = build_question("conv_output_size", params=dict(H=22, K=11, S=2, P=0, C_in=3, C_out=16))
    assert [c.plain() for c in q.choices if c.correct] == ["6 × 6 × 16"]
    assert "⌊11 / 2⌋ + 1 = 5 + 1 = 6" in question_text(q, key=True)
    q = build_question("conv_output_size", params=dict(H=32, K=5, S=1, P=2, C_in=3, C_out=10,
                                                        pad_style="per_side"))
    assert [c.plain() for c in q.choices if c.correct] == ["32 × 32 × 10"]


def test_bad_parameters(capsys):
    with pytest.raises(ParamError, match="param 'K'.*larger than the padded input"):
        build_question("conv_output_size", params=dict(H=3, K=5, P=0, S=1, D=1, W=3))
    with pytest.raises(ParamError, match="param 'S'.*must be ≥ 1"):
        build_question("conv_output_size", params=dict(S=0))
    with pytest.raises(ParamError, match="unknown parameter"):
        build_question("conv_output_size", params=dict(Q=1))
    assert main(["preview", "conv_output_size", "--param", "H=abc"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and "param 'H'" in err[0] and "'abc'" in err[0]
