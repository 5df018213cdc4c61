"""Impute: every method on hand-computed cases, audit of every imputed cell, panels, EM."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innolab.errors import ParameterError, UnknownMethodError
from innolab.scoring.impute import (
    carry_forward,
    impute,
    impute_em,
    impute_group_mean,
    impute_group_median,
    impute_mean,
    impute_median,
    impute_regression,
)

NA = np.nan


@pytest.fixture
def df():
    return pd.DataFrame(
        {
            "a": [1.0, NA, 3.0, 10.0, NA, 4.0],
            "b": [NA, NA, 6.0, 8.0, 1.0, NA],
            "g": ["x", "x", "x", "y", "y", None],
        },
        index=pd.Index(["U1", "U2", "U3", "U4", "U5", "U6"], name="iso3"),
    )


def test_kernels_literal():
    x = np.array([1.0, NA, 3.0, 10.0, NA, 4.0])
    g = np.array(["x", "x", "x", "y", "y", None], dtype=object)
    assert impute_mean(x).tolist() == [1.0, 4.5, 3.0, 10.0, 4.5, 4.0]
    assert impute_median(x).tolist() == [1.0, 3.5, 3.0, 10.0, 3.5, 4.0]
    assert impute_group_mean(x, g).tolist() == [1.0, 2.0, 3.0, 10.0, 10.0, 4.0]
    assert impute_group_median(np.array([1.0, NA, 3.0, 8.0]), g[:4]).tolist() == [
        1.0,
        2.0,
        3.0,
        8.0,
    ]
    assert np.isnan(impute_mean(np.array([NA, NA]))).all()


def test_group_mean_whole_group_missing_stays_missing_and_na_label_untouched():
    x = np.array([NA, NA, 5.0, 7.0, NA])
    g = np.array(["x", "x", "y", "y", None], dtype=object)
    y = impute_group_mean(x, g)
    assert np.isnan(y[:2]).all() and y[2:4].tolist() == [5.0, 7.0] and np.isnan(y[4])


def test_verb_group_mean_with_column_audit_and_details(df):
    r = impute(df, "group_mean", groups="g")
    assert r.data["a"].tolist() == [1.0, 2.0, 3.0, 10.0, 10.0, 4.0]
    b = r.data["b"].tolist()
    assert b[:5] == [6.0, 6.0, 6.0, 8.0, 1.0] and np.isnan(b[5])  # U6 has no group
    assert r.data["g"].tolist() == df["g"].tolist()  # group column not imputed
    assert r.audit[["iso3", "code", "before", "after", "detail"]].fillna(-1).values.tolist() == [
        ["U1", "b", -1, 6.0, "group_mean x"],
        ["U2", "a", -1, 2.0, "group_mean x"],
        ["U2", "b", -1, 6.0, "group_mean x"],
        ["U5", "a", -1, 10.0, "group_mean y"],
    ]
    assert set(r.audit["action"]) == {"imputed"} and set(r.audit["stage"]) == {"impute"}
    assert r.details.to_dict("list") == {
        "code": ["a", "b"],
        "method": ["group_mean", "group_mean"],
        "n_missing": [2, 3],
        "n_imputed": [2, 2],
        "n_still_missing": [0, 1],
    }
    assert np.isnan(df.loc["U2", "a"])  # input untouched


def test_groups_as_series(df):
    groups = pd.Series({"U1": "x", "U2": "x", "U3": "x", "U4": "y", "U5": "y", "U6": "y"})
    r = impute(df[["a", "b"]], "group_median", groups=groups)
    assert r.data["a"].tolist() == [1.0, 2.0, 3.0, 10.0, 7.0, 4.0]
    with pytest.raises(ParameterError, match="no group label"):
        impute(df[["a"]], "group_mean", groups=groups.drop("U6"))


def test_overrides_per_indicator(df):
    r = impute(df[["a", "b"]], "mean", overrides={"b": "median"})
    assert r.data["a"].tolist() == [1.0, 4.5, 3.0, 10.0, 4.5, 4.0]
    assert r.data["b"].tolist() == [6.0, 6.0, 6.0, 8.0, 1.0, 6.0]
    assert r.details["method"].tolist() == ["mean", "median"]
    with pytest.raises(ParameterError, match="codes not in the data"):
        impute(df[["a"]], "mean", overrides={"zz": "median"})


def test_errors(df):
    with pytest.raises(UnknownMethodError, match="group_mean"):
        impute(df, "average")
    with pytest.raises(ParameterError, match="needs groups"):
        impute(df[["a"]], "group_mean")
    with pytest.raises(ParameterError, match="panel"):
        impute(df[["a"]], "carry_forward")


def test_carry_forward_kernel_max_gap():
    x = np.array([NA, 2.0, NA, NA, NA, 7.0, NA])
    years = np.array([2014, 2015, 2016, 2017, 2020, 2021, 2022])
    y = carry_forward(x, years, max_gap=2)
    assert np.isnan(y[0]) and y[1:4].tolist() == [2.0, 2.0, 2.0] and np.isnan(y[4])
    assert y[5:].tolist() == [7.0, 7.0]
    assert carry_forward(x, years, max_gap=None)[4] == 2.0


def test_carry_forward_panel_verb_unsorted_rows():
    rows = [
        ("B", 2020, 5.0),
        ("A", 2021, NA),
        ("A", 2019, 1.0),
        ("A", 2023, NA),
        ("B", 2021, NA),
        ("A", 2020, NA),
    ]
    idx = pd.MultiIndex.from_tuples([r[:2] for r in rows], names=["iso3", "year"])
    df = pd.DataFrame({"x": [r[2] for r in rows]}, index=idx)
    r = impute(df, "carry_forward", params={"max_gap": 2})
    assert r.data["x"].fillna(-1).tolist() == [5.0, 1.0, 1.0, -1, 5.0, 1.0]
    aud = r.audit.sort_values(["iso3", "year"])
    assert list(aud.columns) == [
        "stage",
        "iso3",
        "year",
        "code",
        "action",
        "before",
        "after",
        "detail",
    ]
    assert aud[["iso3", "year", "after", "detail"]].values.tolist() == [
        ["A", 2020, 1.0, "carried forward from 2019"],
        ["A", 2021, 1.0, "carried forward from 2019"],
        ["B", 2021, 5.0, "carried forward from 2020"],
    ]


def test_panel_mean_is_within_year():
    idx = pd.MultiIndex.from_product([["A", "B", "C"], [2020, 2021]], names=["iso3", "year"])
    df = pd.DataFrame({"x": [1.0, 10.0, 3.0, 30.0, NA, NA]}, index=idx)
    r = impute(df, "mean")
    assert r.data["x"].tolist() == [1.0, 10.0, 3.0, 30.0, 2.0, 20.0]


def _linear_case():
    # column c = 2a - b + 1 exactly; a and c each have one gap
    a = np.array([1.0, 2, 3, 4, 6, 5, 7, 8])
    b = np.array([4.0, 1, 5, 2, 3, 7, 2, 6])
    c = 2 * a - b + 1
    x = np.column_stack([a, b, c])
    x[4, 2] = NA  # true 10
    x[6, 0] = NA  # true 7
    return x


@pytest.mark.parametrize("fn", [impute_regression, impute_em])
def test_regression_and_em_recover_known_linear_structure(fn):
    x = _linear_case()
    y, info = fn(x)
    assert info["converged"] and info["iterations"] >= 1
    assert y[4, 2] == pytest.approx(10.0, abs=1e-7)
    assert y[6, 0] == pytest.approx(7.0, abs=1e-7)
    obs = ~np.isnan(x)
    assert (y[obs] == x[obs]).all()  # observed values never change


def test_em_matches_conditional_expectation_under_gaussian_model():
    """Large bivariate normal sample, 10% of y missing at random: EM's imputation is the
    regression of y on x fitted by maximum likelihood; with x fully observed it equals the OLS
    prediction from the complete pairs."""
    rng = np.random.default_rng(7)
    n = 400
    xv = rng.normal(size=n)
    yv = 0.5 + 1.5 * xv + rng.normal(scale=0.5, size=n)
    miss = rng.random(n) < 0.1
    data = np.column_stack([xv, np.where(miss, NA, yv)])
    filled, info = impute_em(data)
    beta = np.polyfit(xv[~miss], yv[~miss], 1)
    assert info["converged"]
    assert np.allclose(filled[miss, 1], np.polyval(beta, xv[miss]), atol=1e-6)


def test_em_verb_audits_and_reports_convergence():
    x = _linear_case()
    df = pd.DataFrame(x, columns=["a", "b", "c"])
    r = impute(df, "em")
    assert len(r.audit) == 2 and set(r.audit["detail"]) == {"em"}
    assert r.details["converged"].tolist() == [True, True, True]
    with pytest.warns(RuntimeWarning, match="did not converge"):
        impute(df, "regression", params={"max_iter": 1, "tol": 0.0})
