"""Helpers for the scoring tests: a tiny hand-computable framework and COINr's ASEM example.

Plain functions (imported by module name, like tests/analysis/analysis_helpers.py) rather than a
conftest, so that this folder adds no second ``conftest`` module to the suite.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import pandas as pd
import pytest

from innolab import config
from innolab.framework import Framework

__all__ = ["tiny_framework", "tiny_data", "asem_example", "Asem"]


def tiny_framework(**extra_fields) -> Framework:
    """Index I <- pillars P (a, b, c) and Q (d, e); weights 1 except c = 2; d is 'lower is
    better'. ``extra_fields`` maps a code to further node fields (denominator, cap, ...)."""
    nodes = [
        {"code": "I", "name": "Index"},
        {"code": "P", "name": "P", "parent": "I"},
        {"code": "Q", "name": "Q", "parent": "I"},
        {"code": "a", "parent": "P", "direction": 1},
        {"code": "b", "parent": "P", "direction": 1},
        {"code": "c", "parent": "P", "direction": 1, "weight": 2},
        {"code": "d", "parent": "Q", "direction": -1, "target": 0},
        {"code": "e", "parent": "Q", "direction": 1, "target": 10},
    ]
    for n in nodes:
        n.update(extra_fields.get(n["code"], {}))
    return Framework.from_mapping({"code": "tiny", "nodes": nodes, "denominators": ["Pop"]})


def tiny_data() -> pd.DataFrame:
    """Five units x five indicators, hand-computable."""
    return pd.DataFrame(
        {
            "a": [1.0, 2.0, 3.0, 4.0, 5.0],
            "b": [10.0, 20.0, 30.0, 40.0, 50.0],
            "c": [0.0, 5.0, 5.0, 10.0, 20.0],
            "d": [4.0, 3.0, 2.0, 1.0, 0.0],
            "e": [2.0, 4.0, 6.0, 8.0, 10.0],
        },
        index=pd.Index(["AAA", "BBB", "CCC", "DDD", "EEE"], name="iso3"),
    )


def shared_path(*parts: str) -> Path:
    """A path under ../shared, or skip (fail on CI) when absent, as tests/conftest.py does."""
    p = config.SHARED_DIR.joinpath(*parts)
    if not p.exists():
        if os.environ.get("CI") == "true":
            pytest.fail(f"CI must have the shared folder, but {p} is missing")
        pytest.skip(f"shared reference data not available: {p}")
    return p


@dataclass(frozen=True)
class Asem:
    """COINr's ASEM example, read losslessly from ../shared (nothing copied)."""

    framework: Framework
    idata: pd.DataFrame  # units sorted by code, as COINr's new_coin does
    ref_dir: Path

    @property
    def indicators(self) -> list[str]:
        return self.framework.indicators

    @property
    def raw(self) -> pd.DataFrame:
        fw = self.framework
        return self.idata[fw.indicators + list(fw.denominators) + ["EurAsia_group"]]

    def ref(self, name: str, *, index: str | None = "uCode") -> pd.DataFrame:
        df = pd.read_csv(self.ref_dir / f"{name}.csv")
        if index:
            df = df.set_index(index)
            df.index.name = "iso3"
        return df


def asem_example() -> Asem:
    """The ASEM inputs and reference folder (skips when ../shared is absent)."""
    data_dir = shared_path("data", "coinr-asem")
    ref_dir = shared_path("reference", "coinr-asem", "default")
    return _load_asem(data_dir, ref_dir)


@cache
def _load_asem(data_dir: Path, ref_dir: Path) -> Asem:
    imeta = pd.read_csv(data_dir / "ASEM_iMeta.csv")
    fw = Framework.from_imeta(imeta, code="asem")
    idata = pd.read_csv(data_dir / "ASEM_iData.csv").set_index("uCode").sort_index()
    idata.index.name = "iso3"
    # the inputs carry 17 significant digits: pandas parses them back exactly
    if idata.loc["GRC", "TolMin"] != 5.1000000000000005:
        raise AssertionError("ASEM_iData.csv was not parsed losslessly")
    return Asem(fw, idata, ref_dir)
