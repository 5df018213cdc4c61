"""Shared fixtures: headless plotting, the ../shared reference folder, small frames."""

from __future__ import annotations

import os
from pathlib import Path

import matplotlib
import pytest

matplotlib.use("Agg")

from innolab import config  # noqa: E402

TESTS_DIR = Path(__file__).resolve().parent
TEST_DATA = TESTS_DIR / "data"


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip the test cleanly when it is absent (a user's clone)."""
    p = config.SHARED_DIR.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared folder, but {p} is missing")
        pytest.skip(f"shared reference data not available: {p}")
    return p


@pytest.fixture
def shared():
    """Callable fixture: ``shared('data', 'wdi')`` -> Path or skip."""
    return shared_path


@pytest.fixture
def test_data() -> Path:
    return TEST_DATA


@pytest.fixture(scope="session")
def asem():
    """The ASEM reference (COINr default build) for the analysis tests, loaded once per session."""
    import sys

    sys.path.insert(0, str(TESTS_DIR / "analysis"))
    from analysis_helpers import load_asem

    return load_asem()
