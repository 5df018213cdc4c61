"""The array shortcuts of the stage verbs give exactly what the pandas operations they replace
give: ranks (scipy's ``rankdata``), column reads and writes, and audit tables (pandas'
own inference of text columns)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st
from scipy.stats import rankdata

from innolab.scoring import rank
from innolab.scoring._common import float_values, to_matrix, with_columns
from innolab.scoring.rank import min_rank
from innolab.scoring.result import AuditBuilder, cell_audit

# few distinct values, so that ties are common; NaN for missing scores
_VALUES = st.sampled_from([0.0, -0.0, 1.0, 2.5, -3.0, 1e300, -np.inf, np.inf, np.nan])


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 12), st.integers(1, 4), st.data())
def test_min_rank_equals_scipy_rankdata(n, k, data):
    x = np.array(data.draw(st.lists(_VALUES, min_size=n * k, max_size=n * k))).reshape(n, k)
    got = min_rank(x).astype(float)
    want = rankdata(x, method="min", axis=0, nan_policy="omit")
    ok = ~np.isnan(x)
    np.testing.assert_array_equal(got[ok], want[ok])


def test_rank_known_answers_and_panel_years():
    s = pd.Series([50.0, 70.0, None, 70.0, 10.0], index=list("ABCDE"), name="s")
    r = rank(s)
    assert r.tolist() == [3, 1, pd.NA, 1, 4] and r.dtype == "Int64" and r.name == "s"
    idx = pd.MultiIndex.from_product([["A", "B"], [2020, 2021]], names=["iso3", "year"])
    panel = pd.DataFrame({"x": [1.0, 5.0, 2.0, 5.0]}, index=idx)
    assert rank(panel)["x"].tolist() == [2, 1, 1, 1]  # within each year


def _mixed() -> pd.DataFrame:
    return pd.DataFrame(
        {
            "a": [1.0, np.nan, 3.0],
            "n": pd.array([1, None, 3], dtype="Int64"),
            "i": [4, 5, 6],
            "g": ["x", "y", "z"],
            "b": [0.5, 0.25, np.nan],
        },
        index=pd.Index(["X", "Y", "Z"], name="iso3"),
    )


def test_column_reads_and_writes_match_pandas():
    mixed = _mixed()
    floats = mixed[["a", "b"]].assign(c=[7.0, 8.0, 9.0])
    assert float_values(mixed) is None and float_values(floats) is not None
    for df, cols in ((mixed, ["b", "n", "i"]), (floats, ["c", "a"]), (floats, ["a", "b", "c"])):
        want = df[cols].to_numpy(dtype=float, na_value=np.nan, copy=True)
        got = to_matrix(df, cols)
        np.testing.assert_array_equal(got, want)
        got[:] = 0.0  # a copy: the frame is untouched
        assert df.loc["X", cols[0]] != 0.0 or df[cols[0]].isna().all()
    vals = np.arange(6.0).reshape(3, 2)
    out = with_columns(floats, ["c", "a"], vals)
    assert list(out.columns) == ["a", "b", "c"]
    assert out["c"].tolist() == [0.0, 2.0, 4.0] and out["a"].tolist() == [1.0, 3.0, 5.0]
    assert out["b"].equals(floats["b"]) and floats.loc["X", "c"] == 7.0
    kept = with_columns(mixed, ["a"], np.array([9.0, 9.0, 9.0]))
    assert kept["g"].tolist() == ["x", "y", "z"] and kept["i"].dtype == np.int64


def test_audit_text_columns_are_what_pandas_infers():
    idx = pd.Index(["X", "Y"], name="iso3")
    mask = np.array([[True, False], [True, True]])
    vals = np.array([[1.0, 2.0], [3.0, 4.0]])
    detail = np.array([["p", "q"], [None, "s"]], dtype=object)
    got = cell_audit("treat", idx, ["a", "b"], mask, vals, vals + 1, "capped", detail)
    r, c = np.nonzero(mask)
    want = pd.DataFrame(
        {
            "stage": np.array(["treat"] * 3, dtype=object),
            "iso3": np.array(["X", "Y", "Y"], dtype=object),
            "code": np.array(["a", "a", "b"], dtype=object),
            "action": np.array(["capped"] * 3, dtype=object),
            "before": vals[r, c],
            "after": vals[r, c] + 1,
            "detail": detail[r, c],
        }
    )
    pd.testing.assert_frame_equal(got, want, check_exact=True)
    assert str(got["detail"].dtype) == "str" and got["detail"].isna().tolist() == [0, 1, 0]
    # numeric unit labels stay as pandas keeps them (objects, not text)
    num = cell_audit("impute", pd.Index([1, 2]), ["a", "b"], mask, vals, vals, "imputed")
    assert num["iso3"].dtype == object and num["iso3"].tolist() == [1, 2, 2]
    raw_bytes = np.array([[b"p", b"q"], [b"r", b"s"]], dtype=object)
    as_bytes = cell_audit("treat", idx, ["a", "b"], mask, vals, vals, "x", raw_bytes)
    assert as_bytes["detail"].dtype == object and as_bytes["detail"].tolist()[0] == b"p"
    # no rows: the empty audit layout
    none = cell_audit("impute", idx, ["a", "b"], ~np.ones_like(mask), vals, vals, "x")
    assert none.empty and list(none.columns) == list(got.columns)
    ab = AuditBuilder("treat", idx, ["a", "b"])
    ab.add(1, np.array([False, True]), vals[:, 1], vals[:, 1] * 2, "log", "why")
    built = ab.build()
    assert built[["iso3", "code", "after"]].values.tolist() == [["Y", "b", 8.0]]
    assert str(built["action"].dtype) == "str"
