"""Replay torch's logits in tests/fixtures/models_torch.npz against the NumPy models (no torch).

The file is written by tests/fixtures/make_model_fixtures.py and committed, so a missing file is a
failure, not a skip. Each case rebuilds the seeded model, checks that its weights hash to the
stored checksum (so the comparison really is with the weights torch saw), runs the forward pass
in float64 and compares with torch's output to 1e-10 relative.
"""
from __future__ import annotations

import importlib.util
import json
from pathlib import Path

import numpy as np
import pytest

FIXTURES = Path(__file__).parent / "fixtures"
FIXTURE = FIXTURES / "models_torch.npz"


def _script():
    spec = importlib.util.spec_from_file_location("make_model_fixtures",
                                                  FIXTURES / "make_model_fixtures.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


MF = _script()


@pytest.fixture(scope="module")
def data():
    assert FIXTURE.exists(), f"{FIXTURE} is missing: run tests/fixtures/make_model_fixtures.py"
    with np.load(FIXTURE, allow_pickle=False) as archive:
        yield {k: archive[k] for k in archive.files}


def test_fixture_is_small_and_covers_every_case(data):
    assert FIXTURE.stat().st_size < 300 * 1024
    manifest = json.loads(str(data["manifest"]))
    assert set(manifest["cases"]) == set(MF.CASES)
    for name, (ctor, _, shape, seed) in MF.CASES.items():
        assert manifest["cases"][name]["constructor"] == ctor
        assert tuple(manifest["cases"][name]["input_shape"]) == shape
        assert manifest["cases"][name]["seed"] == seed
        assert f"{name}/logits" in data and f"{name}/checksum" in data


@pytest.mark.parametrize("name", sorted(MF.CASES))
def test_forward_matches_torch(data, name):
    model = MF.build_case(name)
    checksum = str(data[f"{name}/checksum"])
    assert MF.weights_checksum(model) == checksum, (
        f"seeded weights of {name} changed since the fixture was written; if on purpose, rerun "
        "tests/fixtures/make_model_fixtures.py")
    x = data[f"{name}/input"]
    assert x.dtype == np.float32 and x.shape == MF.CASES[name][2]
    assert np.array_equal(x, MF.case_input(name))
    want = data[f"{name}/logits"]
    got = model(x.astype(np.float64))
    assert got.shape == want.shape and got.dtype == np.float64
    scale = np.max(np.abs(want))
    assert scale > 1e-3                       # a meaningful signal, not vanished activations
    assert np.max(np.abs(got - want)) <= 1e-10 * scale


@pytest.mark.parametrize("name", ["lenet5", "resnet18"])
def test_float32_forward_is_close(data, name):
    model = MF.build_case(name, dtype=np.float32)
    got = model(data[f"{name}/input"])
    want = data[f"{name}/logits"]
    assert got.dtype == np.float32
    assert np.max(np.abs(got - want)) <= 1e-4 * np.max(np.abs(want))


def test_checksum_detects_a_changed_weight():
    model = MF.build_case("lenet5")
    before = MF.weights_checksum(model)
    w = model.fc3.weight.copy()
    w[0, 0] = np.nextafter(w[0, 0], 1.0)
    model.fc3.weight = w
    assert MF.weights_checksum(model) != before
