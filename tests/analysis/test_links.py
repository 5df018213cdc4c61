"""Links to other measures: GII/IDI scores, correlations, GDP residuals, three engines."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import pytest
from analysis_helpers import shared_or_skip
from scipy import stats

from innolab.analysis import links as li
from innolab.errors import CoverageError, ParameterError


def test_scores_from_tidy_rules():
    t = pd.DataFrame(
        {
            "iso3": ["A", "B", "A", "A"],
            "year": [2017, 2017, 2016, 2017],
            "measure": ["x"] * 4,
            "value": [5.0, 6.0, 4.0, 5.0],
        }
    )
    assert li.scores_from_tidy(t).to_dict() == {"A": 5.0, "B": 6.0}  # identical duplicate
    assert li.scores_from_tidy(t, year=2016).to_dict() == {"A": 4.0}
    with pytest.raises(ParameterError, match=r"conflicting values for \['A'\]"):
        li.scores_from_tidy(t.assign(value=[5.0, 6.0, 4.0, 5.5]))
    with pytest.raises(CoverageError, match="2015"):
        li.scores_from_tidy(t, year=2015)
    with pytest.raises(ParameterError, match="choose one of"):
        li.scores_from_tidy(pd.concat([t, t.assign(measure="y")]))


def test_gii_and_idi_tidy_tables_read_in_place():
    gii = pd.read_csv(shared_or_skip("data", "gii", "tidy", "gii_tidy.csv"))
    idi = pd.read_csv(shared_or_skip("data", "itu", "tidy", "idi2017_tidy.csv"))
    g19 = li.scores_from_tidy(gii, measure="Global Innovation Index", year=2019)
    assert g19["CHE"] == 67.2 and len(g19) == 129  # README spot check; 2019 appears twice
    i17 = li.scores_from_tidy(idi)
    assert i17["ISL"] == 8.98 and len(i17) == 176
    g17 = li.scores_from_tidy(gii, measure="Global Innovation Index", year=2017)
    out = li.index_correlations(i17, {"GII 2017": g17}).iloc[0]
    both = pd.concat([i17, g17], axis=1, join="inner").dropna()
    assert out["n"] == len(both)
    ref = stats.pearsonr(both.iloc[:, 0], both.iloc[:, 1])
    assert out["pearson"] == pytest.approx(ref.statistic, abs=1e-12)
    assert out["spearman"] == pytest.approx(
        stats.spearmanr(both.iloc[:, 0], both.iloc[:, 1]).statistic, abs=1e-12
    )
    assert out["pearson"] > 0.8  # ICT development and innovation go together


def test_index_correlations_hand_values():
    idx = pd.Series({"A": 1.0, "B": 2.0, "C": 3.0, "D": 4.0, "E": 9.0})
    other = pd.Series({"A": 2.0, "B": 4.0, "C": 5.0, "D": 9.0, "Z": 1.0})
    r = li.index_correlations(idx, {"o": other}).iloc[0]
    assert r["n"] == 4 and r["pearson"] == pytest.approx(11 / math.sqrt(130), abs=1e-15)
    assert r["spearman"] == pytest.approx(1.0, abs=1e-15)


def test_gdp_residuals_hand_values():
    s = pd.Series({"A": 10.0, "B": 30.0, "C": 20.0, "D": 45.0, "E": np.nan})
    g = pd.Series({"A": 1.0, "B": np.e, "C": np.e**2, "D": np.e**3, "F": 5.0})
    r = li.gdp_residuals(s, g)
    assert list(r.index) == ["A", "B", "C", "D"]
    assert r.attrs["intercept"] == pytest.approx(12.0, abs=1e-12)
    assert r.attrs["slope"] == pytest.approx(9.5, abs=1e-12)
    assert r["residual"].tolist() == pytest.approx([-2.0, 8.5, -11.0, 4.5], abs=1e-12)
    assert r.attrs["residual_sd"] == pytest.approx(math.sqrt(72.5), abs=1e-12)
    assert r["flag"].tolist() == ["", "", "under", ""]
    assert li.gdp_residuals(s, g, k=0.5)["flag"].tolist() == ["", "over", "under", "over"]
    with pytest.raises(ParameterError, match=r"\['A'\]"):
        li.gdp_residuals(s, g.replace(1.0, -1.0))
    with pytest.raises(CoverageError):
        li.gdp_residuals(s.iloc[:2], g)


def test_three_engines_hand_values():
    measures = {
        "IDI": pd.Series({"KEN": 3.0, "NGA": 2.0, "GHA": 4.0, "FRA": 8.0}),
        "GII": pd.Series({"KEN": 30.0, "NGA": 20.0, "FRA": 50.0}),
    }
    groups = {
        "itu_region": pd.Series({"KEN": "AFR", "NGA": "AFR", "GHA": "AFR", "FRA": "EUR"}),
        "income_group": pd.Series({"KEN": "LMC", "NGA": "LMC", "GHA": "LMC", "FRA": "HIC"}),
    }
    out = li.three_engines("KEN", measures, groups=groups).set_index(["measure", "grouping"])
    idi = out.loc[("IDI", "itu_region")]
    assert (idi["value"], idi["rank"], idi["group_median"], idi["difference"]) == (
        3.0,
        3.0,
        3.0,
        0.0,
    )
    gii = out.loc[("GII", "itu_region")]
    assert (gii["group_median"], gii["n_group"], gii["difference"]) == (25.0, 2, 5.0)
    gha = li.three_engines("GHA", measures, groups=groups).set_index(["measure", "grouping"])
    assert np.isnan(gha.loc[("GII", "itu_region"), "value"])
    xkx = li.three_engines("XKX", measures, groups=groups)
    assert xkx["group"].isna().all() and xkx["value"].isna().all()
