"""Helpers for the analysis tests: small hand-made frameworks and the ASEM reference frames."""

from __future__ import annotations

import os
from typing import Any

import pandas as pd
import pytest

from innolab import config
from innolab.framework import Framework, load_framework


def make_framework(nodes: list[dict[str, Any]], code: str = "mini") -> Framework:
    """A validated framework from node rows (code, parent, weight, direction, unit, ...)."""
    return Framework.from_mapping({"code": code, "name": code, "nodes": nodes})


def shared_or_skip(*parts: str):
    """A path under ../shared, or skip (fail on CI) when it is absent."""
    p = config.SHARED_DIR.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared folder, but {p} is missing")
        pytest.skip(f"shared reference data not available: {p}")
    return p


def _frame(path) -> pd.DataFrame:
    return pd.read_csv(path).set_index("uCode").rename_axis("iso3")


def load_asem() -> dict[str, Any]:
    """Framework, COINr default-build stages, scores and ranks at every level."""
    imeta = shared_or_skip("data", "coinr-asem", "ASEM_iMeta.csv")
    ref = shared_or_skip("reference", "coinr-asem", "default")
    idata = pd.read_csv(shared_or_skip("data", "coinr-asem", "ASEM_iData.csv"))
    idata = idata.set_index("uCode").rename_axis("iso3").sort_index()
    return {
        "framework": load_framework(imeta),
        "scores": _frame(ref / "scores_all_levels.csv"),
        "ranks": _frame(ref / "ranks_all_levels.csv"),
        "imputed": _frame(ref / "Imputed.csv"),
        "treated": _frame(ref / "Treated.csv"),
        "idata": idata,
        "analysis": shared_or_skip("reference", "coinr-asem", "analysis"),
    }
