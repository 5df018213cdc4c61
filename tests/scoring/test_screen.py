"""Screen: COINr byNA semantics by unit, plus indicator and pillar modes."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import tiny_framework

from innolab.errors import ParameterError
from innolab.scoring.screen import screen

NA = np.nan


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "a": [1.0, NA, 0.0, 3.0],
            "b": [2.0, NA, 0.0, NA],
            "c": [0.0, NA, 0.0, 1.0],
            "d": [1.0, 5.0, 0.0, 2.0],
            "e": [1.0, 1.0, 0.0, 2.0],
            "grp": ["x", "y", "x", "y"],
        },
        index=pd.Index(["AAA", "BBB", "CCC", "DDD"], name="iso3"),
    )


def test_unit_summary_literal(df):
    r = screen(df, min_coverage=0.8)
    d = r.details
    assert list(d.columns) == [
        "N_missing",
        "N_zero",
        "N_miss_or_zero",
        "Dat_Avail",
        "Non_Zero",
        "LowData",
        "LowNonZero",
        "LowDatOrZeroFlag",
        "Included",
    ]
    assert d["N_missing"].tolist() == [0, 3, 0, 1]
    assert d["N_zero"].tolist() == [1, 0, 5, 0]
    assert d["Dat_Avail"].tolist() == [1.0, 0.4, 1.0, 0.8]
    assert d["Non_Zero"].tolist() == [0.8, 1.0, 0.0, 1.0]
    # strict <: DDD at exactly 0.8 stays
    assert d["LowData"].tolist() == [False, True, False, False]
    assert d["LowNonZero"].tolist() == [False, False, True, False]
    assert d["Included"].tolist() == [True, False, True, True]
    assert r.data.index.tolist() == ["AAA", "CCC", "DDD"]
    assert list(r.data.columns) == list(df.columns)  # columns are never removed
    assert r.audit[["iso3", "action", "detail"]].values.tolist() == [
        ["BBB", "unit_removed", "data availability 0.4 < 0.8"]
    ]


@pytest.mark.parametrize(
    ("rule", "kept"),
    [
        ("na", ["AAA", "CCC", "DDD"]),
        ("zeros", ["AAA", "BBB", "DDD"]),
        ("na_or_zeros", ["AAA", "DDD"]),
    ],
)
def test_rules(df, rule, kept):
    assert screen(df, min_coverage=0.8, rule=rule).data.index.tolist() == kept


def test_force(df):
    r = screen(df, min_coverage=0.8, force_include=["BBB"], force_exclude=["AAA"])
    assert r.data.index.tolist() == ["BBB", "CCC", "DDD"]
    with pytest.raises(ParameterError, match="ZZZ"):
        screen(df, min_coverage=0.8, force_include=["ZZZ"])


def test_by_indicator(df):
    r = screen(df, min_coverage=0.75, by="indicator")
    assert r.details.index.tolist() == ["a", "b", "c", "d", "e"]
    assert r.details["Dat_Avail"].tolist() == [0.75, 0.5, 0.75, 1.0, 1.0]
    assert list(r.data.columns) == ["a", "c", "d", "e", "grp"]
    assert r.audit[["code", "action"]].values.tolist() == [["b", "indicator_removed"]]
    assert r.audit["iso3"].isna().all()


def test_by_pillar_blanks_the_pillar():
    fw = tiny_framework()
    df = pd.DataFrame(
        {"a": [1.0, NA], "b": [NA, NA], "c": [3.0, 4.0], "d": [1.0, NA], "e": [2.0, 5.0]},
        index=pd.Index(["X", "Y"], name="iso3"),
    )
    r = screen(df, min_coverage=0.5, by="pillar", framework=fw)
    # X: P 2/3, Q 2/2 kept. Y: P 1/3 < 0.5 -> a, b, c blanked; Q 1/2 kept.
    assert r.data.loc["Y", ["a", "b", "c"]].isna().all()
    assert r.data.loc["Y", "e"] == 5.0 and r.data.loc["X", "a"] == 1.0
    assert r.audit[["iso3", "code", "action"]].values.tolist() == [
        ["Y", "c", "pillar_screened_out"]
    ]
    d = r.details.set_index(["iso3", "pillar"])
    assert d.loc[("Y", "P"), "Dat_Avail"] == pytest.approx(1 / 3)
    assert d.loc[("Y", "P"), "LowData"] and not d.loc[("X", "Q"), "LowData"]


def test_framework_limits_columns(df):
    fw = tiny_framework()
    r = screen(df.assign(Pop=[NA, NA, NA, NA]), min_coverage=0.8, framework=fw)
    assert r.details["N_missing"].tolist() == [0, 3, 0, 1]  # Pop not counted


def test_all_missing_unit():
    df = pd.DataFrame({"a": [NA, 1.0], "b": [NA, 2.0]})
    d = screen(df, min_coverage=0.5).details
    assert np.isnan(d["Non_Zero"].iloc[0]) and d["LowNonZero"].iloc[0]


def test_bad_arguments(df):
    with pytest.raises(ParameterError, match="by"):
        screen(df, min_coverage=0.5, by="country")
    with pytest.raises(ParameterError, match="min_coverage"):
        screen(df, min_coverage=1.5)
    with pytest.raises(ParameterError, match="framework"):
        screen(df, min_coverage=0.5, by="pillar")
