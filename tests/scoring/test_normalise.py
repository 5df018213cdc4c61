"""Normalise: every method on a hand-computed column, bounds fitted once, edge-case policies."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import tiny_data, tiny_framework

from innolab.errors import ComputationError, ParameterError, UnknownMethodError
from innolab.scoring.normalise import Bounds, apply_bounds, fit_bounds, normalise

NA = np.nan
DIRS = {"a": 1, "b": 1, "c": 1, "d": -1, "e": 1}


def norm(method, cols=("c", "d"), **kw):
    data = tiny_data()[list(cols)]
    return normalise(data, method, directions=DIRS, **kw).data


# c = 0, 5, 5, 10, 20 (direction +1); d = 4, 3, 2, 1, 0 (direction -1: x' = -d)
@pytest.mark.parametrize(
    ("method", "params", "c", "d"),
    [
        ("minmax", None, [0, 25, 25, 50, 100], [0, 25, 50, 75, 100]),
        ("minmax", {"lower": 1, "upper": 11}, [1, 3.5, 3.5, 6, 11], [1, 3.5, 6, 8.5, 11]),
        ("rank", None, [1, 2, 2, 4, 5], [1, 2, 3, 4, 5]),
        ("borda", None, [0, 1, 1, 3, 4], [0, 1, 2, 3, 4]),
        ("percentile_rank", None, [0, 0.25, 0.25, 0.75, 1], [0, 0.25, 0.5, 0.75, 1]),
        ("distance_to_max", None, [0, 0.25, 0.25, 0.5, 1], [0, 0.25, 0.5, 0.75, 1]),
    ],
)
def test_methods_literal(method, params, c, d):
    out = norm(method, params=params)
    assert out["c"].tolist() == pytest.approx(c, abs=1e-14)
    assert out["d"].tolist() == pytest.approx(d, abs=1e-14)


def test_zscore_sample_sd():
    # a = 1..5: mean 3, sample sd sqrt(2.5)
    out = norm("zscore", cols=("a",), params={"mean": 10, "sd": 2})
    z = (np.arange(1, 6) - 3) / np.sqrt(2.5)
    assert out["a"].tolist() == pytest.approx((10 + 2 * z).tolist(), abs=1e-14)


def test_fraction_of_max_and_its_rejections():
    assert norm("fraction_of_max", cols=("c",))["c"].tolist() == [0, 0.25, 0.25, 0.5, 1]
    with pytest.raises(ComputationError, match="d: fraction_of_max is undefined"):
        norm("fraction_of_max", cols=("c", "d"))
    neg = pd.DataFrame({"x": [-3.0, -1.0]})
    with pytest.raises(ComputationError, match="x: fraction_of_max needs a positive maximum"):
        normalise(neg, "fraction_of_max", directions={"x": 1})


def test_distance_to_reference_unit_or_value_and_cap():
    out = norm("distance_to_reference", cols=("b",), params={"reference": "CCC"})
    assert out["b"].tolist() == pytest.approx([1 / 3, 2 / 3, 1, 4 / 3, 5 / 3])
    out = norm("distance_to_reference", cols=("b",), params={"reference": 20.0, "cap": True})
    assert out["b"].tolist() == [0.5, 1.0, 1.0, 1.0, 1.0]
    with pytest.raises(ParameterError, match="ZZZ"):
        norm("distance_to_reference", cols=("b",), params={"reference": "ZZZ"})
    with pytest.raises(ComputationError, match="d: distance_to_reference is undefined"):
        norm("distance_to_reference", cols=("d",), params={"reference": 2.0})


def test_distance_to_target_from_framework_targets_and_cap():
    fw = tiny_framework()
    out = norm("distance_to_target", cols=("d", "e"), targets=fw.targets())
    # e: (e - 2) / (10 - 2); d (lower is better, target 0): (4 - d) / (4 - 0)
    assert out["e"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    assert out["d"].tolist() == [0, 0.25, 0.5, 0.75, 1]
    out = norm("distance_to_target", cols=("e",), targets={"e": 8}, params={"cap": True})
    assert out["e"].tolist() == pytest.approx([0, 1 / 3, 2 / 3, 1, 1])
    uncapped = norm("distance_to_target", cols=("e",), targets={"e": 8})["e"]
    assert uncapped.iloc[-1] == pytest.approx(4 / 3)  # COINr: no cap by default
    with pytest.raises(ParameterError, match="no target for c"):
        norm("distance_to_target", cols=("c",), targets=fw.targets())


def test_goalposts_clipped_per_indicator():
    out = norm("goalposts", cols=("d", "e"), goalposts={"e": (0, 8), "d": (0, 5)})
    assert out["e"].tolist() == [25, 50, 75, 100, 100]
    assert out["d"].tolist() == pytest.approx([20, 40, 60, 80, 100])  # (5 - d) / 5
    out = norm("goalposts", cols=("e",), params={"goalposts": (4, 8), "scale": 1})
    assert out["e"].tolist() == [0, 0, 0.5, 1, 1]
    with pytest.raises(ParameterError, match="no goalposts for d"):
        norm("goalposts", cols=("d", "e"), goalposts={"e": (0, 8)})


def test_overrides_per_indicator():
    out = norm("minmax", overrides={"d": {"method": "rank"}})
    assert out["c"].tolist() == [0, 25, 25, 50, 100] and out["d"].tolist() == [1, 2, 3, 4, 5]
    out = norm("minmax", overrides={"c": {"upper": 1}})
    assert out["c"].tolist() == [0, 0.25, 0.25, 0.5, 1] and out["d"].iloc[-1] == 100


def test_constant_column_policy():
    df = pd.DataFrame({"k": [3.0, 3.0, NA], "x": [1.0, 2.0, 3.0]})
    for method in ("minmax", "zscore", "distance_to_max", "percentile_rank"):
        out = normalise(df[["k"]].iloc[:1], method, directions={"k": 1}).data
        assert out["k"].isna().all(), method
    out = normalise(df, "minmax", directions={"k": 1, "x": 1}).data
    assert out["k"].isna().all() and out["x"].tolist() == [0, 50, 100]
    with pytest.raises(ComputationError, match="k: minmax is undefined"):
        normalise(df, "minmax", directions={"k": 1, "x": 1}, constant="error")
    with pytest.raises(ParameterError, match="constant"):
        normalise(df, "minmax", directions={"k": 1, "x": 1}, constant="mid")


def test_nan_stays_nan_only_there():
    df = pd.DataFrame({"x": [1.0, NA, 3.0, 5.0]})
    for method in (
        "minmax",
        "zscore",
        "rank",
        "percentile_rank",
        "borda",
        "distance_to_max",
        "fraction_of_max",
    ):
        out = normalise(df, method, directions={"x": 1}).data["x"]
        assert out.isna().tolist() == [False, True, False, False], method


def test_bounds_fitted_on_reference_then_applied():
    data = tiny_data()[["a", "d"]]
    ref = data.loc[["AAA", "BBB", "CCC"]]
    b = fit_bounds(ref, "minmax", directions=DIRS)
    assert isinstance(b, Bounds)
    out = apply_bounds(data, b)
    assert out["a"].tolist() == [0, 50, 100, 150, 200]  # min 1, max 3 from the reference
    assert out["d"].tolist() == [0, 50, 100, 150, 200]  # x' = -d: min -4, max -2
    r = normalise(data, "minmax", directions=DIRS, bounds=b)
    assert r.data.equals(out)
    assert r.details.set_index("code").loc["a", ["min", "max"]].tolist() == [1.0, 3.0]
    assert r.extras["bounds"] is b


def test_rank_bounds_rank_new_values_among_reference():
    b = fit_bounds(pd.DataFrame({"x": [1.0, 3.0, 5.0]}), "rank", directions={"x": 1})
    out = apply_bounds(pd.DataFrame({"x": [0.0, 3.0, 4.0, 6.0, NA]}), b)
    assert out["x"].fillna(-1).tolist() == [1, 2, 3, 4, -1]


def test_panel_bounds_pooled_over_years():
    idx = pd.MultiIndex.from_product([["A", "B"], [2020, 2021]], names=["iso3", "year"])
    df = pd.DataFrame({"x": [0.0, 10.0, 5.0, 20.0]}, index=idx)
    out = normalise(df, "minmax", directions={"x": 1}).data
    assert out["x"].tolist() == [0, 50, 25, 100]


def test_argument_errors():
    data = tiny_data()
    with pytest.raises(UnknownMethodError, match="minmax"):
        normalise(data, "min_max", directions=DIRS)
    with pytest.raises(ParameterError, match="no direction"):
        normalise(data, "minmax", directions={"a": 1}, columns=["a", "b"])
    with pytest.raises(ParameterError, match=r"\+1 or -1"):
        normalise(data, "minmax", directions={**DIRS, "a": 2})
    with pytest.raises(ParameterError, match="upper"):
        normalise(data, "minmax", directions=DIRS, params={"lower": 5, "upper": 5})
    with pytest.raises(ParameterError, match="required"):
        normalise(data, "minmax", directions=None)


def test_columns_without_direction_pass_through_and_input_untouched():
    data = tiny_data().assign(Pop=[1.0, 2, 3, 4, 5])
    before = data.copy()
    out = normalise(data, "minmax", directions=DIRS).data
    assert out["Pop"].tolist() == [1, 2, 3, 4, 5]
    assert data.equals(before)
