"""Gaps to peer median, peer best, region frontier and targets (hand values, property)."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import make_framework
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab.analysis.gaps import gaps
from innolab.analysis.whatif import aggregate_scores
from innolab.errors import ParameterError

FW = make_framework(
    [
        {"code": "I"},
        {"code": "P", "parent": "I"},
        {"code": "up", "parent": "P", "direction": 1, "unit": "%", "target": 90},
        {"code": "down", "parent": "P", "direction": -1, "unit": "days"},
    ]
)
RAW = pd.DataFrame(
    {"up": [10.0, 30.0, 50.0, 90.0], "down": [40.0, 10.0, 20.0, 30.0]},
    index=pd.Index(["A", "B", "C", "D"], name="iso3"),
)


def _scores(raw, fw):
    d = fw.directions()
    adj = raw * d
    pts = (adj - adj.min()) / (adj.max() - adj.min()) * 100
    return aggregate_scores(pts, fw)


def test_gaps_hand_values():
    s = _scores(RAW, FW)
    # up points A..D = 0, 25, 50, 100; down points (lower better) = 0, 100, 200/3, 100/3
    g = gaps(
        "A",
        s,
        RAW,
        FW,
        peers=["A", "B", "C"],
        region=["A", "B", "C", "D"],
        targets={"up": 70.0, "I": 80.0},
    )
    g = g.set_index(["code", "reference"])
    assert g.loc[("up", "peer_median"), "gap_points"] == 25.0
    assert g.loc[("up", "peer_median"), "gap_value"] == 20.0  # median 30 - 10
    assert g.loc[("up", "peer_best"), "reference_value"] == 50.0
    assert g.loc[("up", "region_frontier"), "gap_value"] == 80.0
    # lower is better: A's 40 days vs peer median 20 -> 20 days behind, positive
    assert g.loc[("down", "peer_median"), "reference_value"] == 20.0
    assert g.loc[("down", "peer_median"), "gap_value"] == 20.0
    assert g.loc[("down", "peer_best"), "reference_value"] == 10.0
    assert g.loc[("down", "peer_best"), "gap_value"] == 30.0
    assert g.loc[("down", "peer_best"), "gap_points"] == 100.0
    # target 70 % on 'up' maps to 75 points (affine between the observed 50 and 90)
    assert g.loc[("up", "target"), "reference_score"] == pytest.approx(75.0, abs=1e-12)
    assert g.loc[("up", "target"), "gap_value"] == 60.0
    assert g.loc[("I", "target"), "gap_points"] == 80.0
    assert np.isnan(g.loc[("I", "target"), "gap_value"])
    # P: A = 0, B = 62.5, C = 175/3 -> median 175/3
    assert g.loc[("P", "peer_median"), "reference_score"] == pytest.approx(175 / 3, abs=1e-12)
    assert g.loc[("up", "peer_median"), "unit"] == "%"


def test_gaps_framework_targets_and_errors():
    s = _scores(RAW, FW)
    g = gaps("B", s, RAW, FW, peers=["A", "C"], targets="framework")
    t = g[g["reference"] == "target"]
    assert t["code"].tolist() == ["up"] and t["gap_value"].tolist() == [60.0]
    assert t["reference_score"].iloc[0] == pytest.approx(100.0)  # 90 is the best observed
    with pytest.raises(ParameterError, match="ZZ"):
        gaps("A", s, RAW, FW, peers=["ZZ"])
    with pytest.raises(ParameterError, match="targets"):
        gaps("A", s, RAW, FW, peers=["B"], targets={"nope": 1.0})


@settings(max_examples=15, deadline=None)
@given(
    data=st.lists(
        st.tuples(st.floats(0, 100, allow_nan=False), st.floats(1, 50, allow_nan=False)),
        min_size=3,
        max_size=7,
        unique_by=(lambda t: t[0], lambda t: t[1]),
    ),
    which=st.integers(0, 6),
)
def test_gap_is_zero_for_the_frontier_country(data, which):
    raw = pd.DataFrame(data, columns=["up", "down"], index=[f"U{i}" for i in range(len(data))])
    s = _scores(raw, FW)
    region = list(raw.index)
    for code in ["up", "down", "P", "I"]:
        best = s[code].idxmax()
        g = gaps(
            best, s, raw, FW, peers=region[: 1 + which % len(region)], region=region, codes=[code]
        )
        row = g[g["reference"] == "region_frontier"].iloc[0]
        assert row["gap_points"] == 0.0
        if code in ("up", "down"):
            assert row["gap_value"] == 0.0
