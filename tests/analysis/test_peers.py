"""Peer sets: groupings (with a classification passed in), explicit lists, nearest by GDP."""

from __future__ import annotations

import pandas as pd
import pytest

from innolab.analysis import peers as pe
from innolab.errors import CoverageError, ParameterError, UnknownCountryError

CLS = pd.Series({"KEN": "AFR", "NGA": "AFR", "GHA": "AFR", "FRA": "EUR", "DEU": "EUR", "XKX": None})


def test_peer_group_includes_self_and_is_sorted():
    assert pe.peer_group("NGA", "itu_region", classification=CLS) == ["GHA", "KEN", "NGA"]
    assert pe.peer_group("NGA", "itu_region", classification=CLS, include_self=False) == [
        "GHA",
        "KEN",
    ]
    assert pe.peer_group("KEN", "itu_region", classification=CLS, units=["KEN", "GHA", "FRA"]) == [
        "GHA",
        "KEN",
    ]


def test_peer_group_errors_name_country_and_grouping():
    with pytest.raises(CoverageError, match="ZZZ has no itu_region group"):
        pe.peer_group("ZZZ", "itu_region", classification=CLS)
    with pytest.raises(CoverageError, match="XKX has no income_group group"):
        pe.peer_group("XKX", "income_group", classification=CLS)
    with pytest.raises(CoverageError, match="no peers of FRA in its itu_region group 'EUR'"):
        pe.peer_group("FRA", "itu_region", classification=CLS, units=["KEN"])
    with pytest.raises(CoverageError, match="no peers of FRA"):
        pe.peer_group("FRA", "itu_region", classification=CLS.drop("DEU"), include_self=False)
    with pytest.raises(ParameterError, match="by"):
        pe.peer_group("FRA", "continent")


def test_nearest_peers_log_distance_and_ties():
    g = pd.Series({"A": 1000.0, "B": 2000.0, "C": 500.0, "D": 1100.0, "E": None})
    # |ln 2| for B and C (tie broken by code), |ln 1.1| for D
    assert pe.nearest_peers("A", g, k=3) == ["D", "B", "C"]
    assert pe.nearest_peers("A", g, k=2, units=["B", "C", "A"]) == ["B", "C"]
    with pytest.raises(CoverageError, match="E has no GDP per capita"):
        pe.nearest_peers("E", g)
    with pytest.raises(ParameterError, match=r"\['B'\]"):
        pe.nearest_peers("A", g.replace(2000.0, 0.0))
    with pytest.raises(ParameterError, match="k"):
        pe.nearest_peers("A", g, k=0)


def test_resolve_peers_dispatch():
    g = pd.Series({"KEN": 2000.0, "NGA": 2100.0, "FRA": 40000.0})
    assert pe.resolve_peers("KEN", "itu_region", classification=CLS) == ["GHA", "KEN", "NGA"]
    assert pe.resolve_peers("KEN", "nearest_gdp", gdp_per_capita=g, k=1) == ["NGA"]
    assert pe.resolve_peers("KEN", ["FRA", "DEU", "FRA"]) == ["FRA", "DEU"]
    with pytest.raises(UnknownCountryError, match="FRX"):
        pe.resolve_peers("KEN", ["FRX"], units=["FRA", "KEN"])
    with pytest.raises(CoverageError, match="empty explicit peer list for KEN"):
        pe.resolve_peers("KEN", [])
    with pytest.raises(ParameterError, match="gdp_per_capita"):
        pe.resolve_peers("KEN", "nearest_gdp")


def test_peer_group_from_innolab_countries():
    countries = pytest.importorskip("innolab.countries")
    try:
        cls = countries.classification("itu_region")
    except Exception as exc:  # noqa: BLE001 - the countries table may not ship yet
        pytest.skip(f"innolab.countries.classification unavailable: {exc}")
    peers = pe.peer_group("FRA", "itu_region")
    assert "FRA" in peers and set(peers) == set(cls.index[cls == cls["FRA"]])


def test_income_group_peers_follow_the_classification_vintage():
    countries = pytest.importorskip("innolab.countries")
    old = pd.DataFrame(
        {
            "iso3": ["ROU", "BGR", "FRA"],
            "income_group": ["Upper middle income", "Upper middle income", "High income"],
        }
    )
    countries.add_classification(old, "income_group", 2018, source="test table (FY2020)")
    units = ["BGR", "DEU", "FRA", "ROU"]  # the units of a build (demo economies aside)
    try:
        # a 2019 study uses the 2018 list (the latest at or before 2019)
        assert pe.peer_group("ROU", "income_group", vintage=2019, units=units) == ["BGR", "ROU"]
        assert pe.resolve_peers("ROU", "income_group", vintage=2018, units=units) == [
            "BGR",
            "ROU",
        ]
        # 2024: Romania and Bulgaria are high income, with France and Germany
        assert pe.peer_group("ROU", "income_group", vintage=2024, units=units) == units
        with pytest.raises(CoverageError, match="2017"):
            pe.peer_group("ROU", "income_group", vintage=2017)
    finally:
        countries.reset_classifications()
