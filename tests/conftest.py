"""Shared test configuration.

CI sets QUIZGEN_REQUIRE_TORCH=1 and QUIZGEN_REQUIRE_BROWSER=1 so that the live PyTorch
cross-check and the headless-Chromium test cannot be skipped silently there: a missing torch or
Chromium fails the run instead.
"""
from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parent.parent
SHARED = REPO.parent / "shared"


def pytest_sessionstart(session):
    if os.environ.get("QUIZGEN_REQUIRE_TORCH") == "1" and importlib.util.find_spec("torch") is None:
        raise pytest.UsageError("QUIZGEN_REQUIRE_TORCH=1 but torch is not installed")
    if os.environ.get("QUIZGEN_REQUIRE_BROWSER") == "1" and not (
            shutil.which("chromium") or shutil.which("chromium-browser")):
        raise pytest.UsageError("QUIZGEN_REQUIRE_BROWSER=1 but chromium is not installed")


@pytest.fixture(scope="session")
def repo_root() -> Path:
    return REPO


@pytest.fixture(scope="session")
def shared_dir() -> Path:
    if not SHARED.is_dir():
        pytest.skip(f"shared/ not found beside the repository at {SHARED}")
    return SHARED
