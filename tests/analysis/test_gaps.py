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


@settings(max_examples=40, deadline=None)
@given(
    cells=st.lists(
        st.one_of(st.none(), st.floats(-1e6, 1e6, allow_nan=False)), min_size=16, max_size=16
    ),
    peer_mask=st.lists(st.booleans(), min_size=4, max_size=4),
)
def test_gaps_agree_with_the_definition_one_node_at_a_time(cells, peer_mask):
    """Column-wise references equal the textbook definition per node, missing values ignored:
    median of the present peer values, best = max (score) or direction-aware max (own units)."""
    vals = np.array([np.nan if c is None else c for c in cells]).reshape(4, 4)
    units = ["A", "B", "C", "D"]
    raw = pd.DataFrame(vals[:, :2], index=units, columns=["up", "down"])
    scores = pd.DataFrame(vals[:, 2:], index=units, columns=["up", "down"])
    scores = scores.assign(P=scores.mean(axis=1), I=scores.mean(axis=1))
    peers = [u for u, keep in zip(units, peer_mask, strict=True) if keep] or ["B"]
    g = gaps("A", scores, raw, FW, peers=peers, region=units).set_index(["code", "reference"])
    for code in ["up", "down", "P", "I"]:
        d = {"up": 1.0, "down": -1.0}.get(code, 1.0)
        for ref, members in (
            ("peer_median", peers),
            ("peer_best", peers),
            ("region_frontier", units),
        ):
            s = scores.loc[members, code].dropna()
            row = g.loc[(code, ref)]
            assert row["n_reference"] == len(s)
            want = (s.median() if ref == "peer_median" else s.max()) if len(s) else np.nan
            assert row["reference_score"] == pytest.approx(want, nan_ok=True, rel=0, abs=0)
            if code in ("up", "down"):
                x = raw.loc[members, code].dropna()
                want_v = np.nan
                if len(x):
                    want_v = x.median() if ref == "peer_median" else d * (d * x).max()
                assert row["reference_value"] == pytest.approx(want_v, nan_ok=True, rel=0, abs=0)
