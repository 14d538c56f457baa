"""Replay the committed torch outputs in tests/fixtures/functional_torch.npz (no torch needed).

The file is written by tests/fixtures/make_torch_fixtures.py; it is part of the repo, so a missing
file is a failure, not a skip.
"""
from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from quizgen.engine import functional as F

FIXTURE = Path(__file__).parent / "fixtures" / "functional_torch.npz"


def _load():
    if not FIXTURE.exists():
        return None, []
    data = np.load(FIXTURE, allow_pickle=False)
    meta = json.loads(str(data["manifest"]))
    return data, meta["cases"]


DATA, CASES = _load()


def test_fixture_file_is_present_and_covers_every_op():
    assert FIXTURE.exists(), f"{FIXTURE} is missing: run tests/fixtures/make_torch_fixtures.py"
    assert FIXTURE.stat().st_size < 500 * 1024
    ops = {c["op"] for c in CASES}
    assert ops >= {"conv2d", "true_conv2d", "max_pool2d", "avg_pool2d", "adaptive_avg_pool2d",
                   "linear", "relu", "sigmoid", "tanh", "batch_norm", "softmax", "log_softmax",
                   "cross_entropy", "flatten"}
    assert len(CASES) >= 40


@pytest.mark.parametrize("case", CASES, ids=[c["key"] for c in CASES])
def test_replay_torch_fixture(case):
    key = case["key"]
    args = []
    for name in case["args"]:
        stored = f"{key}/in/{name}"
        args.append(DATA[stored].copy() if stored in DATA.files else None)
    result = getattr(F, case["op"])(*args, **case["kwargs"])
    expected = {name: DATA[f"{key}/out/{name}"] for name in case["outputs"]}
    got = {"out": np.asarray(result)}
    if case["op"] == "batch_norm":  # running statistics were updated in place
        got.update(running_mean=args[1], running_var=args[2])
    for name, want in expected.items():
        tol = 1e-10 if want.dtype == np.float64 else 1e-5
        assert got[name].shape == want.shape, name
        assert got[name].dtype == want.dtype, name
        np.testing.assert_allclose(got[name], want, rtol=0, atol=tol, err_msg=f"{key}: {name}")
