"""Registries (lookup by name, helpful errors) and ranking."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innolab.errors import ParameterError, UnknownMethodError
from innolab.scoring.rank import rank
from innolab.scoring.registry import (
    AGGREGATORS,
    IMPUTERS,
    NORMALISERS,
    REGISTRIES,
    TREATMENTS,
    WEIGHTINGS,
    Registry,
)
from innolab.scoring.result import StageResult


def test_every_registry_lists_its_methods():
    assert IMPUTERS.names() == [
        "carry_forward",
        "em",
        "group_mean",
        "group_median",
        "mean",
        "median",
        "regression",
    ]
    assert TREATMENTS.names() == ["boxcox", "log", "log1p", "log_ct", "none", "winsorise"]
    assert NORMALISERS.names() == [
        "borda",
        "distance_to_max",
        "distance_to_reference",
        "distance_to_target",
        "fraction_of_max",
        "goalposts",
        "minmax",
        "percentile_rank",
        "rank",
        "zscore",
    ]
    assert WEIGHTINGS.names() == ["equal", "explicit", "noisy", "pca"]
    assert AGGREGATORS.names() == ["arithmetic", "copeland", "generalised", "geometric", "harmonic"]
    assert set(REGISTRIES) == {"impute", "treat", "normalise", "weight", "aggregate"}


@pytest.mark.parametrize("reg", [IMPUTERS, TREATMENTS, NORMALISERS, WEIGHTINGS, AGGREGATORS])
def test_unknown_method_lists_valid_names(reg):
    with pytest.raises(UnknownMethodError) as e:
        reg.get("no_such_method")
    for name in reg.names():
        assert name in str(e.value)
    assert e.value.valid == reg.names()


def test_unknown_method_suggests_near_match():
    with pytest.raises(UnknownMethodError, match="did you mean 'minmax'"):
        NORMALISERS.get("minmx")


def test_registry_register_meta_and_duplicates():
    reg = Registry("demo")
    reg.register("f", scope="column")(lambda x: x)
    assert "f" in reg and len(reg) == 1 and reg.meta("f")["scope"] == "column"

    def other(x):
        return x

    with pytest.raises(ValueError, match="already registered"):
        reg.register("f")(other)


def test_stage_result_repr_and_defaults():
    r = StageResult(pd.DataFrame({"a": [1.0]}), pd.DataFrame())
    assert r.details is None and dict(r.extras) == {}
    assert "StageResult(data=(1, 1)" in repr(r)


def test_rank_ties_min_nan_kept_int_dtype():
    s = pd.Series([50.0, 70.0, np.nan, 70.0, 10.0], index=list("ABCDE"), name="Index")
    r = rank(s)
    assert r.dtype == "Int64" and r.name == "Index"
    assert r.tolist() == [3, 1, pd.NA, 1, 4]


def test_rank_frame_every_column():
    df = pd.DataFrame({"x": [1.0, 2.0, 2.0], "y": [3.0, np.nan, -1.0]})
    r = rank(df)
    assert r["x"].tolist() == [3, 1, 1] and r["y"].tolist() == [1, pd.NA, 2]


def test_rank_panel_within_year():
    idx = pd.MultiIndex.from_tuples(
        [("A", 2020), ("B", 2020), ("A", 2021), ("B", 2021)], names=["iso3", "year"]
    )
    r = rank(pd.Series([1.0, 2.0, 5.0, 4.0], index=idx))
    assert r.tolist() == [2, 1, 1, 2]


def test_rank_rejects_text():
    with pytest.raises(ParameterError):
        rank(pd.DataFrame({"g": ["a", "b"]}))
