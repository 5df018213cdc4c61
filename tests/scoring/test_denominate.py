"""Denominate: x / D * scale, NA policy, zero and missing denominators."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import tiny_framework

from innolab.errors import ComputationError, ParameterError
from innolab.scoring.denominate import denominate


@pytest.fixture
def fw():
    return tiny_framework(a={"denominator": "Pop", "scale": 1000}, b={"denominator": "Pop"})


def frame(**cols):
    return pd.DataFrame(cols, index=pd.Index(["X", "Y", "Z"], name="iso3"))


def test_denominate_hand_case(fw):
    df = frame(a=[10.0, np.nan, 0.0], b=[1.0, 2.0, 3.0], c=[7.0, 8.0, 9.0], Pop=[4.0, 5.0, 8.0])
    r = denominate(df, fw)
    assert r.data["a"].tolist()[0] == 2500.0 and np.isnan(r.data["a"].iloc[1])
    assert r.data["a"].iloc[2] == 0.0
    assert r.data["b"].tolist() == [0.25, 0.4, 0.375]
    assert r.data["c"].tolist() == [7.0, 8.0, 9.0]  # no denominator: unchanged
    assert r.data["Pop"].tolist() == [4.0, 5.0, 8.0]
    assert list(r.data.columns) == list(df.columns)
    assert r.details.to_dict("list") == {
        "code": ["a", "b"],
        "denominator": ["Pop", "Pop"],
        "scale": [1000.0, 1.0],
        "n_values": [2, 3],
        "n_denominator_missing": [0, 0],
    }
    assert r.audit.empty
    assert df["a"].iloc[0] == 10.0  # input untouched


def test_missing_denominator_audited(fw):
    df = frame(a=[10.0, 1.0, 2.0], b=[1.0, 2.0, 3.0], Pop=[4.0, np.nan, 8.0])
    r = denominate(df, fw)
    assert np.isnan(r.data.loc["Y", "a"])
    assert r.audit[["iso3", "code", "action", "before"]].values.tolist() == [
        ["Y", "a", "denominator_missing", 1.0],
        ["Y", "b", "denominator_missing", 2.0],
    ]


def test_zero_denominator_names_unit_and_indicator(fw):
    df = frame(a=[10.0, 1.0, np.nan], b=[1.0, 2.0, 3.0], Pop=[4.0, 0.0, 0.0])
    with pytest.raises(ComputationError, match=r"a / Pop for Y; b / Pop for Y, Z"):
        denominate(df, fw)


def test_denominators_given_separately_and_broadcast_over_panel(fw):
    idx = pd.MultiIndex.from_tuples([("X", 2020), ("X", 2021), ("Y", 2020)], names=["iso3", "year"])
    df = pd.DataFrame({"a": [1.0, 2.0, 3.0], "b": [4.0, 5.0, 6.0]}, index=idx)
    dens = pd.DataFrame({"Pop": [2.0, 4.0]}, index=pd.Index(["X", "Y"], name="iso3"))
    r = denominate(df, fw, denominators=dens)
    assert r.data["a"].tolist() == [500.0, 1000.0, 750.0]
    assert r.data["b"].tolist() == [2.0, 2.5, 1.5]


def test_absent_denominator_column(fw):
    with pytest.raises(ParameterError, match=r"Pop \(needed by a, b\)"):
        denominate(frame(a=[1.0, 2, 3], b=[1.0, 2, 3]), fw)


def test_text_denominator_rejected(fw):
    with pytest.raises(ParameterError, match="not numeric"):
        denominate(frame(a=[1.0, 2, 3], b=[1.0, 2, 3], Pop=["1", "2", "x"]), fw)
