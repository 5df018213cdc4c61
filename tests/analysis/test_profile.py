"""Strengths/weaknesses (GII, COINr, peer), performance groups, maturity bands, trends."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import make_framework

from innolab.analysis import profile as pr
from innolab.errors import ComputationError, ParameterError

FW = make_framework(
    [
        {"code": "I"},
        {"code": "P", "parent": "I"},
        {"code": "Q", "parent": "I"},
        {"code": "a", "parent": "P", "unit": "%"},
        {"code": "b", "parent": "P", "direction": -1},
        {"code": "c", "parent": "Q"},
        {"code": "d", "parent": "Q"},
        {"code": "e", "parent": "Q"},
    ]
)
# 6 units; values chosen so every rank is easy to read off
RAW = pd.DataFrame(
    {
        "a": [60.0, 10.0, 20.0, 30.0, 40.0, 50.0],  # U0 is best (rank 1)
        "b": [5.0, 1.0, 2.0, 3.0, 4.0, 6.0],  # lower is better: U0 rank 5 of 6
        "c": [30.0, 10.0, 60.0, 50.0, 40.0, 20.0],  # U0 rank 4
        "d": [1.0, 1.0, 1.0, 1.0, 1.0, 1.0],  # all tied: rank 1, percentile 100
        "e": [np.nan, 1.0, 2.0, 3.0, 4.0, 5.0],  # U0 missing
    },
    index=pd.Index([f"U{i}" for i in range(6)], name="iso3"),
)


def test_rank_and_percentile_rank():
    assert pr.rank_units(RAW)["c"].tolist() == [4.0, 6.0, 1.0, 2.0, 3.0, 5.0]
    p = pr.percentile_ranks(RAW * pd.Series({"a": 1, "b": -1, "c": 1, "d": 1, "e": 1}))
    assert p.loc["U0"].tolist()[:4] == [100.0, 20.0, 40.0, 100.0]
    assert np.isnan(p.loc["U0", "e"])
    assert p.loc["U1", "e"] == 0.0 and p.loc["U5", "e"] == 100.0


def test_strengths_weaknesses_gii_rule():
    sw = pr.strengths_weaknesses("U0", RAW, FW, n=1)
    # top 1 by percentile: a (100, first in declared order before the tied d); d has rank 1,
    # which is always a strength; weakest: b (20)
    assert sw[["kind", "code"]].values.tolist() == [
        ["strength", "a"],
        ["strength", "d"],
        ["weakness", "b"],
    ]
    row = sw.set_index("code").loc["b"]
    assert (row["rank"], row["n_units"], row["percentile"], row["value"]) == (5, 6, 20.0, 5.0)
    assert row["parent"] == "P"
    sw2 = pr.strengths_weaknesses("U0", RAW, FW, n=2, always=0)
    assert sw2[["kind", "code"]].values.tolist() == [
        ["strength", "a"],
        ["strength", "d"],
        ["weakness", "b"],
        ["weakness", "c"],
    ]
    lv2 = pr.strengths_weaknesses(
        "U0",
        pd.DataFrame({"P": [1.0, 2.0], "Q": [3.0, 1.0]}, index=["U0", "U1"]),
        FW,
        n=1,
        level=2,
        always=0,
    )
    assert lv2[["kind", "code"]].values.tolist() == [["strength", "Q"], ["weakness", "P"]]


def test_str_weak_coinr_hand_case():
    # U0's ranks (direction-adjusted): a 1, b 5, c 4, d 1 (tied with all -> also the largest
    # rank, dropped), e missing (dropped)
    sw = pr.str_weak_coinr("U0", RAW, FW, top_n=2, bottom_n=2)
    assert sw[["kind", "code", "rank"]].values.tolist() == [
        ["strength", "a", 1],
        ["strength", "c", 4],
        ["weakness", "c", 4],
        ["weakness", "b", 5],
    ]
    assert sw["pillar"].tolist() == ["P", "Q", "Q", "P"]
    # U5 is the worst on b (rank 6 = largest rank): dropped
    assert "b" not in pr.str_weak_coinr("U5", RAW, FW)["code"].tolist()


def test_str_weak_coinr_matches_algorithm_on_asem(asem):
    fw, raw = asem["framework"], asem["idata"][asem["framework"].indicators]
    aus = pr.str_weak_coinr("AUS", raw, fw)
    assert aus[["kind", "code", "rank", "value"]].values.tolist() == [
        ["strength", "StMob", 3, 268.0],
        ["strength", "Tariff", 5, 1.17],
        ["strength", "Research", 5, 46800.0],
        ["strength", "Lang", 5, 19.0],
        ["strength", "MigStock", 6, 5.67],
        ["weakness", "PrivDebt", 41, 203.0],
        ["weakness", "RTAs", 44, 14.0],
        ["weakness", "GDPGrow", 46, 0.349],
        ["weakness", "CO2", 49, 15.4],
        ["weakness", "CostImpEx", 49, 364.0],
    ]
    assert aus["pillar"].tolist()[:3] == ["P2P", "Instit", "P2P"]
    assert aus["unit"].iloc[0] == "Thousands international students"
    nzl = pr.str_weak_coinr("NZL", raw, fw)
    assert nzl[["code", "rank", "value"]].values.tolist() == [
        ["CPI", 1, 89.0],
        ["Tariff", 6, 1.27],
        ["TolMin", 8, 3.3],
        ["Lang", 9, 16.7],
        ["PubDebt", 9, 29.9],
        ["Embs", 43, 44.0],
        ["GDPGrow", 44, 0.864],
        ["MatCon", 45, 24.9],
        ["RTAs", 46, 13.0],
        ["Gas", 50, 0.0226],
    ]


def test_peer_strengths_weaknesses_mean_sd():
    s = pd.DataFrame(
        {
            "a": [35.0, 10.0, 20.0, 30.0],
            "b": [30.0, 10.0, 20.0, 30.0],
            "c": [5.0, 10.0, 20.0, 30.0],
            "d": [np.nan, 1.0, 2.0, 3.0],
            "e": [1.0, np.nan, np.nan, 3.0],
        },
        index=["X", "P1", "P2", "P3"],
    )
    out = pr.peer_strengths_weaknesses("X", s, FW, peers=["X", "P1", "P2", "P3"]).set_index("code")
    assert out.loc["a", ["peer_mean", "peer_sd", "n_peers", "z"]].tolist() == [20.0, 10.0, 3, 1.5]
    assert out["kind"].tolist() == ["strength", "", "weakness", "", ""]  # b: exactly mean + sd
    assert out.loc["e", "n_peers"] == 1 and np.isnan(out.loc["e", "peer_sd"])


def test_performance_group_boundaries():
    s = pd.Series({"A": 50.0, "B": 50.4, "C": 40.0, "D": 28.0, "E": 27.9, "F": np.nan, "G": 42.0})
    out = pr.performance_groups(s, ["A", "C", "D", "F", "G"])  # mean of 50, 40, 28, 42 = 40
    assert out.loc["A", "reference_mean"] == 40.0 and out.loc["A", "ratio"] == 125.0
    assert out["group"].fillna("-").tolist() == [
        "strong",
        "leader",
        "strong",
        "moderate",
        "emerging",
        "-",
        "strong",
    ]
    with pytest.raises(ComputationError, match="positive"):
        pr.performance_groups(pd.Series({"A": 0.0, "B": 0.0}), ["A", "B"])
    with pytest.raises(ParameterError, match="ZZ"):
        pr.performance_groups(s, ["ZZ"])


def test_maturity_bands():
    s = pd.DataFrame(
        {"P": [0.0, 20.0, 59.99, 100.0], "Q": [80.0, np.nan, 40.0, 79.9]},
        index=["A", "B", "C", "D"],
    )
    mb = pr.maturity_bands(s, FW)
    assert mb["band"].fillna("-").tolist() == [
        "nascent",
        "mature",
        "emerging",
        "-",
        "developing",
        "developing",
        "mature",
        "established",
    ]
    with pytest.raises(ParameterError, match="A P"):
        pr.maturity_bands(s - 10, FW)


def test_trends_scores_ranks_and_stale_flags():
    idx = pd.MultiIndex.from_product([["A", "B"], [2020, 2021]], names=["iso3", "year"])
    sc = pd.DataFrame({c: [10.0, 10.0, 20.0, 5.0] for c in ["a", "b", "c", "d", "e"]}, index=idx)
    sc["P"], sc["Q"], sc["I"] = [10.0, 12.0, 20.0, 5.0], [1.0, 1.0, 1.0, 1.0], [5, 8, 9, 7.0]
    years = pd.DataFrame(
        {c: [2018, 2018, 2018, 2019] for c in ["a", "b", "c", "d", "e"]}, index=idx
    )
    t = pr.trends(sc, FW, start=2020, end=2021, data_years=years).set_index(["iso3", "code"])
    a = t.loc[("A", "a")]
    assert (a["change"], a["rank_start"], a["rank_end"], a["rank_change"]) == (0.0, 2, 1, 1)
    assert t.loc[("A", "P"), "flag"] == "stale"  # moved 2 points with no newer data
    assert t.loc[("A", "P"), "n_updated"] == 0 and t.loc[("A", "P"), "n_indicators"] == 2
    assert t.loc[("B", "P"), "flag"] == "" and t.loc[("B", "P"), "n_updated"] == 2
    assert t.loc[("A", "I"), "flag"] == "stale" and t.loc[("A", "I"), "rank_change"] == 1
    assert t.loc[("A", "Q"), "flag"] == ""  # no change
    plain = pr.trends(
        {2020: sc.xs(2020, level="year"), 2021: sc.xs(2021, level="year")}, FW, start=2020, end=2021
    )
    assert plain["flag"].eq("").all() and plain["n_updated"].isna().all()
