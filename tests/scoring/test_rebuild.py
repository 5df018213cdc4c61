"""Rebuilds: reuse of the recorded steps a new recipe shares, and replacement raw data.

Every rebuild is compared with a build from scratch, table by table and cell by cell (exact
equality, dtypes included): reusing a recorded state must never change a result.
"""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from scoring_helpers import asem_example

from innolab.errors import DataFileError, InnolabError, ParameterError
from innolab.framework import Framework
from innolab.scoring import COINR_ASEM_SPEC, build
from innolab.scoring import pipeline as pipeline_module


def assert_builds_equal(got, want) -> None:
    """Every output of two builds is identical (values, labels, dtypes, order)."""
    assert got.spec == want.spec
    for name in ("raw", "audit", "scores", "ranks"):
        pd.testing.assert_frame_equal(getattr(got, name), getattr(want, name), check_exact=True)
    pd.testing.assert_series_equal(got.weights, want.weights, check_exact=True)
    assert list(got.tables) == list(want.tables)
    for name, table in want.tables.items():
        pd.testing.assert_frame_equal(got.tables[name], table, check_exact=True)
    assert list(got.details) == list(want.details)
    for name, table in want.details.items():
        if table is None:
            assert got.details[name] is None
        else:
            pd.testing.assert_frame_equal(got.details[name], table, check_exact=True)
    assert list(got.extras) == list(want.extras)
    for stage, extras in want.extras.items():
        assert list(got.extras[stage]) == list(extras)
        for key, value in extras.items():
            other = got.extras[stage][key]
            if isinstance(value, pd.DataFrame):
                pd.testing.assert_frame_equal(other, value, check_exact=True)
            else:  # normalisation Bounds
                pd.testing.assert_frame_equal(other.table(), value.table(), check_exact=True)


# --- a toy build (hand-checkable, no shared data) ----------------------------------------------
@pytest.fixture
def toy():
    fw = Framework.from_mapping(
        {
            "code": "toy",
            "groups": ["region"],
            "denominators": ["POP"],
            "nodes": [
                {"code": "IDX"},
                {"code": "P1", "parent": "IDX"},
                {"code": "P2", "parent": "IDX", "weight": 3},
                {"code": "a", "parent": "P1", "direction": 1, "denominator": "POP"},
                {"code": "b", "parent": "P1", "direction": -1},
                {"code": "c", "parent": "P2", "direction": 1},
            ],
        }
    )
    data = pd.DataFrame(
        {
            "iso3": ["A", "B", "C", "D", "E"],
            "a": [0.0, 10.0, np.nan, 40.0, 30.0],
            "b": [4.0, 2.0, 0.0, 2.0, 1.0],
            "c": [1.0, 2.0, 3.0, 5.0, 60.0],
            "region": ["x", "x", "y", "y", "y"],
            "POP": [1.0, 2.0, 4.0, 5.0, 10.0],
        }
    )
    spec = {
        "denominate": {},
        "impute": {"method": "group_mean", "group": "region"},
        "treat": {"method": "winsorise", "max_points": 1, "skew": 1.0, "kurtosis": 1.0},
        "normalise": {"method": "minmax", "lower": 0, "upper": 100},
        "aggregate": {"method": "arithmetic"},
    }
    return fw, data, build(data, fw, spec)


def test_toy_values_of_a_cell_replacement(toy):
    fw, data, b = toy
    # a / POP = 0, 5, NaN, 8, 3: C imputed with region y's mean (8 + 3) / 2 = 5.5
    assert b.imputed["a"].tolist() == [0.0, 5.0, 5.5, 8.0, 3.0]
    new = b.rebuild(data=pd.DataFrame({"a": [8.0]}, index=pd.Index(["C"], name="iso3")))
    # the new raw total 8 over POP 4 = 2 (the denominator is the recorded one)
    assert new.denominated.loc["C", "a"] == 2.0
    assert new.raw.loc["C", "a"] == 8.0 and np.isnan(b.raw.loc["C", "a"])  # b unchanged
    assert new.audit.query("stage == 'impute'").empty  # nothing left to impute
    changed = data.copy()
    changed.loc[2, "a"] = 8.0
    assert_builds_equal(new, build(changed, fw, b.spec))


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"treat": {"max_points": 2}},
        {"normalise": {"method": "zscore"}},
        {"aggregate": {"method": "geometric"}, "normalise": {"lower": 1}},
        {"denominate": None},
        {"impute": {"method": "mean"}},
    ],
    ids=["same", "treat", "normalise", "aggregate", "first-step", "impute"],
)
def test_toy_rebuild_equals_build_from_scratch(toy, changes):
    fw, data, b = toy
    r = b.rebuild(**changes)
    assert_builds_equal(r, build(data, fw, r.spec))
    # and once more from the rebuild (chains of rebuilds keep their states)
    r2 = r.rebuild(normalise={"method": "rank"})
    assert_builds_equal(r2, build(data, fw, r2.spec))


def test_rebuild_reuses_exactly_the_shared_steps(toy):
    fw, data, b = toy
    r = b.rebuild(normalise={"method": "zscore"})
    for name in ("denominated", "imputed", "treated"):
        assert r.tables[name] is b.tables[name]  # taken over, not recomputed
    assert r.tables["normalised"] is not b.tables["normalised"]
    t = b.rebuild(treat={"max_points": 2})
    assert t.tables["imputed"] is b.tables["imputed"]
    assert t.tables["treated"] is not b.tables["treated"]
    first = b.rebuild(denominate=None)
    assert first.tables["imputed"] is not b.tables["imputed"]


def test_late_rebuild_does_not_run_earlier_stages(toy, monkeypatch):
    fw, data, b = toy
    t = b.rebuild(treat={"max_points": 2})

    def refuse(*args, **kwargs):
        raise AssertionError("an earlier stage ran again")

    for verb in ("denominate", "impute", "treat"):
        monkeypatch.setattr(pipeline_module, verb, refuse)
    n = t.rebuild(normalise={"method": "minmax", "lower": 1, "upper": 10})
    assert n.normalised.min().min() == 1.0 and n.normalised.max().max() == 10.0
    with pytest.raises(AssertionError, match="earlier stage"):
        t.rebuild(treat={"max_points": 3})
    monkeypatch.undo()
    assert_builds_equal(n, build(data, fw, n.spec))


def test_weights_only_framework_change_reuses_up_to_aggregation(toy):
    fw, data, b = toy
    fw2 = fw.with_weights({"P2": 1})
    r = b.rebuild(framework=fw2)
    assert r.tables["normalised"] is b.tables["normalised"]
    assert r.scores.loc["B", "IDX"] == (r.scores.loc["B", "P1"] + r.scores.loc["B", "P2"]) / 2
    assert_builds_equal(r, build(data, fw2, b.spec))
    assert_builds_equal(r.rebuild(framework=fw), b)
    # a framework that differs in more than weights (a direction) starts from scratch
    nodes = [
        {"code": n.code, "parent": n.parent, "direction": -n.direction, "weight": n.weight}
        | ({"denominator": n.denominator} if n.denominator else {})
        for n in fw.nodes
    ]
    flipped = Framework.from_mapping(
        {"code": "toy", "groups": ["region"], "denominators": ["POP"], "nodes": nodes}
    )
    f = b.rebuild(framework=flipped)
    assert f.tables["imputed"] is not b.tables["imputed"]
    assert_builds_equal(f, build(data, flipped, b.spec))


def test_weights_stage_is_not_reused_under_new_weights(toy):
    fw, data, b = toy
    w = b.rebuild(weights={"method": "explicit", "values": {"a": 2}})
    fw2 = fw.with_weights({"P2": 2, "b": 3})
    r = w.rebuild(framework=fw2)
    assert_builds_equal(r, build(data, fw2, w.spec))


# --- replacement data --------------------------------------------------------------------------
def test_full_replacement_with_an_id_column(toy):
    fw, data, b = toy
    new = data[["iso3", "a", "b", "c"]].copy()
    new["c"] = new["c"] * 2
    r = b.rebuild(data=new.iloc[::-1])  # row order does not matter
    full = data.copy()
    full["c"] = full["c"] * 2
    assert_builds_equal(r, build(full, fw, b.spec))
    assert r.raw["c"].tolist() == [2.0, 4.0, 6.0, 10.0, 120.0]


def test_replacement_nan_makes_a_cell_missing_and_spec_changes_combine(toy):
    fw, data, b = toy
    cell = pd.DataFrame({"iso3": ["D"], "b": [np.nan]})
    r = b.rebuild(data=cell, impute={"method": "mean"})
    assert np.isnan(r.raw.loc["D", "b"])
    changed = data.copy()
    changed.loc[3, "b"] = np.nan
    assert_builds_equal(r, build(changed, fw, b.spec.updated(impute={"method": "mean"})))


@pytest.mark.parametrize(
    "frame, error, needles",
    [
        (pd.DataFrame({"iso3": ["ZZ"], "a": [1.0]}), ParameterError, ["unknown unit", "'ZZ'"]),
        (pd.DataFrame({"iso3": ["A"], "aa": [1.0]}), ParameterError, ["'aa'", "did you mean 'a'"]),
        (
            pd.DataFrame({"iso3": ["A"], "POP": [1.0]}),
            ParameterError,
            ["POP", "cannot be replaced"],
        ),
        (pd.DataFrame({"iso3": ["A"], "region": ["z"]}), ParameterError, ["region"]),
        (pd.DataFrame({"iso3": ["A"], "a": ["x"]}), DataFileError, ["numeric", "a"]),
        (pd.DataFrame({"a": [1.0]}), ParameterError, ["unit column"]),
    ],
    ids=["unit", "column", "denominator", "group", "text", "no-unit"],
)
def test_replacement_errors_name_the_unit_or_column(toy, frame, error, needles):
    fw, data, b = toy
    with pytest.raises(error) as info:
        b.rebuild(data=frame)
    for needle in needles:
        assert needle in str(info.value)
    with pytest.raises(ParameterError, match="wide DataFrame"):
        b.rebuild(data={"a": 1})
    assert isinstance(info.value, InnolabError)


def test_panel_replacement():
    fw = Framework.from_mapping(
        {
            "code": "pan",
            "nodes": [
                {"code": "IDX"},
                {"code": "x", "parent": "IDX"},
                {"code": "y", "parent": "IDX", "direction": -1},
            ],
        }
    )
    idx = pd.MultiIndex.from_product([["A", "B", "C"], [2020, 2021]], names=["iso3", "year"])
    data = pd.DataFrame({"x": [1.0, 2, 3, 4, 5, 6], "y": [6.0, 5, 4, 3, 2, 1]}, index=idx)
    spec = {"normalise": {"method": "minmax"}, "aggregate": {"method": "arithmetic"}}
    b = build(data, fw, spec)
    cell = pd.DataFrame(
        {"x": [10.0]}, index=pd.MultiIndex.from_tuples([("B", 2021)], names=["iso3", "year"])
    )
    r = b.rebuild(data=cell)
    changed = data.copy()
    changed.loc[("B", 2021), "x"] = 10.0
    assert_builds_equal(r, build(changed, fw, spec))
    assert r.normalised.loc[("B", 2021), "x"] == 100.0
    with pytest.raises(ParameterError, match="year"):
        b.rebuild(data=pd.DataFrame({"x": [1.0]}, index=pd.Index(["A"], name="iso3")))
    with pytest.raises(ParameterError, match="unknown unit"):
        bad = pd.MultiIndex.from_tuples([("B", 2030)], names=["iso3", "year"])
        b.rebuild(data=pd.DataFrame({"x": [1.0]}, index=bad))


# --- COINr's ASEM example -----------------------------------------------------------------------
@pytest.fixture(scope="module")
def asem():
    ex = asem_example()
    data = ex.idata.reset_index()
    return ex.framework, data, build(data, ex.framework, COINR_ASEM_SPEC)


@pytest.mark.parametrize(
    "changes",
    [
        {"treat": {"max_points": 2}},
        {"normalise": {"method": "zscore", "mean": 10, "sd": 2}},
        {"aggregate": {"method": "copeland"}},
        {"impute": {"method": "median"}},
        {"denominate": None},
    ],
    ids=["treat", "normalise", "aggregate", "impute", "first-step"],
)
def test_asem_rebuild_equals_build_from_scratch(asem, changes):
    fw, data, b = asem
    r = b.rebuild(**changes)
    assert_builds_equal(r, build(data, fw, r.spec))


def test_asem_monte_carlo_chain(asem):
    """Treat parameters, then the normaliser, as an uncertainty analysis varies them."""
    fw, data, b = asem
    fw2 = fw.with_weights({"Conn": 2.0})
    for k in (1, 3):
        t = b.rebuild(treat={"max_points": k})
        for norm in ({"method": "minmax", "lower": 1, "upper": 100}, {"method": "rank"}):
            r = t.rebuild(normalise=norm)
            assert r.tables["treated"] is t.tables["treated"]
            assert_builds_equal(r, build(data, fw, r.spec))
        w = t.rebuild(framework=fw2)
        assert_builds_equal(w, build(data, fw2, t.spec))


def test_asem_what_if_cells(asem):
    fw, data, b = asem
    cells = pd.DataFrame({"Goods": [500.0, np.nan], "LPI": [3.9, 2.5]}, index=["AUT", "BEL"])
    cells.index.name = "iso3"
    r = b.rebuild(data=cells)
    full = data.set_index("iso3")
    full.loc[["AUT", "BEL"], ["Goods", "LPI"]] = cells.to_numpy()
    assert_builds_equal(r, build(full.reset_index(), fw, COINR_ASEM_SPEC))
    # Goods is denominated by GDP: the recorded denominator applies to the new total
    assert r.denominated.loc["AUT", "Goods"] == 500.0 / data.set_index("iso3").loc["AUT", "GDP"]
