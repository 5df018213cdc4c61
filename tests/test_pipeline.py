"""The pipeline: specs, builds, rebuilds, panels, tidy selection and the ``score`` command."""

from __future__ import annotations

import json

import numpy as np
import pandas as pd
import pytest
import yaml
from conftest import shared_path
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from innolab.cli import main
from innolab.errors import (
    ComputationError,
    DataFileError,
    FrameworkError,
    ParameterError,
    SpecError,
    UnknownMethodError,
)
from innolab.framework import Framework
from innolab.io import read_provenance
from innolab.scoring import (
    Spec,
    aggregate,
    build,
    impute,
    normalise,
    select,
    select_panel,
    treat,
)

MINMAX_AMEAN = {
    "normalise": {"method": "minmax", "lower": 0, "upper": 100},
    "aggregate": {"method": "arithmetic"},
}


@pytest.fixture
def fw():
    return Framework.from_mapping(
        {
            "code": "toy",
            "groups": ["region"],
            "denominators": ["POP"],
            "nodes": [
                {"code": "IDX"},
                {"code": "P1", "parent": "IDX"},
                {"code": "P2", "parent": "IDX", "weight": 3},
                {"code": "a", "parent": "P1", "direction": 1, "target": 30},
                {"code": "b", "parent": "P1", "direction": -1},
                {"code": "c", "parent": "P2", "direction": 1},
            ],
        }
    )


@pytest.fixture
def data():
    return pd.DataFrame(
        {
            "iso3": ["A", "B", "C", "D"],
            "a": [0.0, 10.0, 20.0, 40.0],
            "b": [4.0, 2.0, 0.0, 2.0],
            "c": [1.0, 2.0, 3.0, 5.0],
            "region": ["x", "x", "y", "y"],
        }
    )


# --- hand-computed builds ----------------------------------------------------------------------
def test_hand_computed_build(fw, data):
    b = build(data, fw, MINMAX_AMEAN)
    # a: 0 25 50 100; b (lower is better): 0 50 100 50; c: 0 25 50 100
    assert b.normalised.to_dict("list") == {
        "a": [0.0, 25.0, 50.0, 100.0],
        "b": [0.0, 50.0, 100.0, 50.0],
        "c": [0.0, 25.0, 50.0, 100.0],
    }
    assert b.scores["P1"].tolist() == [0.0, 37.5, 75.0, 75.0]
    assert b.scores["IDX"].tolist() == [0.0, 28.125, 56.25, 93.75]  # (P1 + 3 P2) / 4
    assert b.ranks["IDX"].tolist() == [4, 3, 2, 1]
    assert b.ranks["P1"].tolist() == [4, 3, 1, 1]  # ties take the minimum rank
    assert list(b.scores.index) == ["A", "B", "C", "D"]
    assert b.groups["region"].tolist() == ["x", "x", "y", "y"]
    assert b.index.tolist() == b.scores["IDX"].tolist()


def test_missing_child_is_skipped_with_renormalised_weights(fw, data):
    data.loc[1, "b"] = np.nan
    b = build(data, fw, MINMAX_AMEAN)
    assert b.normalised["b"].tolist()[0::2] == [0.0, 100.0]
    assert b.scores.loc["B", "P1"] == 25.0  # only a
    assert b.scores.loc["B", "IDX"] == (25.0 + 3 * 25.0) / 4


def test_build_equals_manual_chain(fw, data):
    data.loc[2, "a"] = np.nan
    spec = {
        "impute": {"method": "group_mean", "group": "region"},
        "treat": {"method": "winsorise", "max_points": 1},
        "normalise": {"method": "zscore", "mean": 10, "sd": 2},
        "aggregate": {"method": "arithmetic"},
    }
    b = build(data, fw, spec)
    x = data.set_index("iso3").rename_axis("iso3")[["a", "b", "c"]]
    x = impute(x, "group_mean", groups=data.set_index("iso3")["region"]).data
    x = treat(x, "winsorise", params={"max_points": 1}, framework=fw).data
    x = normalise(x, "zscore", directions=fw.directions(), params={"mean": 10, "sd": 2}).data
    x = aggregate(x, fw, "arithmetic").data
    pd.testing.assert_frame_equal(b.scores, x, check_index_type=False, check_column_type=False)
    assert b.imputed.loc["C", "a"] == 40.0  # mean of region y (D only)
    assert set(b.audit["stage"]) >= {"impute"}


def test_unlisted_stages_pass_through(fw, data):
    b = build(data, fw, MINMAX_AMEAN)
    assert set(b.tables) == {"normalised", "aggregated"}
    for name in ("denominated", "imputed", "screened", "treated"):
        assert b.table(name) is b.raw
    with pytest.raises(ParameterError):
        b.table("cooked")


def test_stages_run_in_the_order_written(fw, data):
    data.loc[0, ["a", "b"]] = np.nan  # A has 1 of 3 indicators
    impute_first = {"impute": {"method": "mean"}, "screen": {"min_coverage": 0.5}}
    screen_first = {"screen": {"min_coverage": 0.5}, "impute": {"method": "mean"}}
    b1 = build(data, fw, impute_first)
    b2 = build(data, fw, screen_first)
    assert "A" in b1.screened.index
    assert "A" not in b2.screened.index
    assert b1.spec.stages == ["impute", "screen"] and b2.spec.stages == ["screen", "impute"]
    assert b2.audit.query("action == 'unit_removed'")["iso3"].tolist() == ["A"]


def test_weights_stage_and_option(fw, data):
    eq = build(data, fw, {"weights": {"method": "equal"}, **MINMAX_AMEAN})
    assert eq.scores["IDX"].tolist() == [0.0, (37.5 + 25) / 2, (75 + 50) / 2, (75 + 100) / 2]
    ex = build(data, fw, {"weights": {"values": {"P2": 1, "a": 3}}, **MINMAX_AMEAN})
    assert ex.scores["P1"].tolist() == [0.0, (3 * 25 + 50) / 4, (150 + 100) / 4, (300 + 50) / 4]
    opt = build(data, fw, {**MINMAX_AMEAN, "aggregate": {"weights": {"P2": 1}}})
    assert opt.scores["IDX"].tolist() == eq.scores["IDX"].tolist()
    assert opt.weights["P2"] == 1.0
    pca = build(
        data,
        fw,
        {"normalise": MINMAX_AMEAN["normalise"], "weights": {"method": "pca"}, "aggregate": {}},
    )
    assert pca.details["weights"].loc["c", "weight"] == 1.0  # single child
    with pytest.raises(SpecError):
        build(data, fw, {"weights": {"values": {"zz": 1}}, **MINMAX_AMEAN})


def test_distance_to_target_and_per_indicator_overrides(fw, data):
    spec = {"normalise": {"method": "minmax", "overrides": {"a": "distance_to_target"}}}
    b = build(data, fw, spec)
    assert b.normalised["a"].tolist() == [0.0, 1 / 3, 2 / 3, 4 / 3]  # (x - 0) / (30 - 0)
    assert b.normalised["c"].tolist() == [0.0, 25.0, 50.0, 100.0]
    with pytest.raises(SpecError) as info:
        build(data, fw, {"normalise": {"method": "minmax", "overrides": {"zz": "rank"}}})
    assert info.value.key == "normalise.overrides.zz"


@pytest.mark.parametrize(
    "method, params",
    [("geometric", {}), ("harmonic", {}), ("generalised", {"p": 3}), ("copeland", {})],
)
def test_every_aggregator_through_the_pipeline(fw, data, method, params):
    spec = {
        "normalise": {"method": "minmax", "lower": 1, "upper": 100},
        "aggregate": {"method": method, **params},
    }
    b = build(data, fw, spec)
    assert b.ranks["IDX"].tolist()[-1] == 1  # D is best on every indicator but one
    assert b.scores["IDX"].notna().all()


def test_geometric_on_zero_names_the_indicator(fw, data):
    with pytest.raises(ComputationError, match="a|b|c"):
        build(data, fw, {**MINMAX_AMEAN, "aggregate": {"method": "geometric"}})


def test_per_level_aggregators(fw, data):
    spec = {
        "normalise": {"method": "minmax", "lower": 1, "upper": 100},
        "aggregate": {"method": {2: "arithmetic", 3: "geometric"}},
    }
    b = build(data, fw, spec)
    p1, p2 = b.scores["P1"], b.scores["P2"]
    np.testing.assert_allclose(b.scores["IDX"], np.exp((np.log(p1) + 3 * np.log(p2)) / 4))
    again = Spec.from_mapping(json.loads(b.spec.to_json()))
    assert again == b.spec


# --- rebuild -----------------------------------------------------------------------------------
def test_rebuild_is_exact_and_applies_changes(fw, data):
    b = build(data, fw, {"treat": {"method": "winsorise"}, **MINMAX_AMEAN})
    again = b.rebuild()
    pd.testing.assert_frame_equal(again.scores, b.scores, check_exact=True)
    pd.testing.assert_frame_equal(again.ranks, b.ranks)
    z = b.rebuild(normalise={"method": "zscore"})
    assert z.spec.step("normalise").params == {}  # minmax's bounds do not leak into zscore
    assert z.normalised["a"].mean() == pytest.approx(0.0)
    w = b.rebuild(framework=fw.with_weights({"P2": 1}))
    assert w.scores.loc["B", "IDX"] == (37.5 + 25) / 2
    none = b.rebuild(treat=None)
    assert none.spec.stages == ["normalise", "aggregate"]
    added = b.rebuild(impute={"method": "mean"})
    assert added.spec.stages == ["impute", "treat", "normalise", "aggregate"]


def test_spec_updated_keeps_user_order():
    s = Spec.from_mapping({"screen": {"min_coverage": 0.5}, "impute": {"method": "mean"}})
    assert s.updated(treat={"method": "none"}).stages == ["screen", "impute", "treat"]
    with pytest.raises(SpecError):
        s.updated(cook={})


# --- specs -------------------------------------------------------------------------------------
ISSUE_SPEC = """
denominate: {}
impute: {method: group_mean, group: EurAsia_group}
screen: {min_coverage: 0.9, by: unit}
treat: {method: winsorise, max_points: 5, skew: 2.0, kurtosis: 3.5, fallback: log}
normalise: {method: minmax, lower: 0, upper: 100}
aggregate: {method: arithmetic}
"""


def test_spec_round_trips(tmp_path):
    s = Spec.from_mapping(yaml.safe_load(ISSUE_SPEC))
    assert s.stages == ["denominate", "impute", "screen", "treat", "normalise", "aggregate"]
    assert s.step("impute").options == {"group": "EurAsia_group"}
    assert s.step("treat").params == {
        "max_points": 5,
        "skew": 2.0,
        "kurtosis": 3.5,
        "fallback": "log",
    }
    assert Spec.from_mapping(s.to_mapping()) == s
    p = tmp_path / "spec.yaml"
    p.write_text(ISSUE_SPEC)
    assert Spec.from_file(p) == s
    j = tmp_path / "spec.json"
    j.write_text(json.dumps(s.to_mapping()))
    assert Spec.from_file(j) == s
    assert hash(Spec.from_file(j)) == hash(s)


@pytest.mark.parametrize(
    "mapping, key, needle",
    [
        ({"normalize": {"method": "minmax"}}, "normalize", "did you mean 'normalise'"),
        ({"treat": {"method": "winsorise", "max_point": 3}}, "treat.max_point", "max_points"),
        ({"normalise": {"method": "zscore", "lower": 0}}, "normalise.lower", "mean, sd"),
        ({"screen": {"by": "unit"}}, "screen.min_coverage", "required"),
        ({"screen": {"min_coverage": 1.5}}, "screen.min_coverage", "[0, 1]"),
        ({"screen": {"min_coverage": 0.5, "by": "row"}}, "screen.by", "unit, indicator"),
        ({"denominate": {"scale": 2}}, "denominate.scale", "no options"),
        ({"impute": {}}, "impute.method", "required"),
        ({"impute": {"method": "mean", "group": 3}}, "impute.group", "group column"),
        ({"normalise": {"method": "minmax", "overrides": ["a"]}}, "normalise.overrides", "codes"),
        ({"weights": {"method": "explicit"}}, "weights.values", "values"),
        (
            {"aggregate": {"method": "arithmetic", "overrides": {"a": "x"}}},
            "aggregate.overrides",
            "overrides",
        ),
        ({"aggregate": {"method": {1: "arithmetic"}}}, "aggregate.method", ">= 2"),
    ],
)
def test_spec_errors_name_stage_and_key(mapping, key, needle):
    with pytest.raises(SpecError) as info:
        Spec.from_mapping(mapping)
    assert info.value.key == key
    assert needle in str(info.value) and key.split(".")[0] in str(info.value)


@pytest.mark.parametrize(
    "mapping, key",
    [
        ({"normalise": {"method": "min-max"}}, "normalise.method"),
        ({"aggregate": {"method": "median"}}, "aggregate.method"),
        ({"treat": {"method": "winsorise", "overrides": {"a": "clip"}}}, "treat.overrides.a"),
        ({"aggregate": {"weights": "random"}}, "aggregate.weights"),
    ],
)
def test_unknown_methods_list_valid_names(mapping, key):
    with pytest.raises(UnknownMethodError) as info:
        Spec.from_mapping(mapping)
    assert info.value.key == key and info.value.valid
    assert ", ".join(info.value.valid) in str(info.value)


def test_spec_file_errors(tmp_path):
    p = tmp_path / "bad.yaml"
    p.write_text("treat: {method: winsorise\n")
    with pytest.raises(DataFileError) as info:
        Spec.from_file(p)
    assert info.value.line is not None
    q = tmp_path / "typo.yaml"
    q.write_text("treat: {method: winsorise, skw: 2}\n")
    with pytest.raises(SpecError) as info2:
        Spec.from_file(q)
    assert str(q) in str(info2.value) and "treat.skw" in str(info2.value)


# --- input checks ------------------------------------------------------------------------------
def test_data_checks(fw, data):
    with pytest.raises(FrameworkError) as info:
        build(data.assign(zz=1.0).drop(columns="c"), fw, MINMAX_AMEAN)
    assert "indicator(s) without data: c" in info.value.problems
    assert "data column(s) without node: zz" in info.value.problems
    with pytest.raises(DataFileError, match="'a'"):
        build(data.assign(a=["1", "x", "3", "4"]), fw, MINMAX_AMEAN)
    with pytest.raises(ParameterError, match="unit column"):
        build(data.drop(columns="iso3"), fw, MINMAX_AMEAN)
    with pytest.raises(ParameterError, match="duplicate"):
        build(data.assign(iso3=["A", "A", "C", "D"]), fw, MINMAX_AMEAN)
    with pytest.raises(SpecError) as info2:
        build(data, fw, {"impute": {"method": "group_mean", "group": "continent"}})
    assert info2.value.key == "impute.group" and "region" in str(info2.value)


def test_units_are_sorted(fw, data):
    b = build(data.iloc[::-1], fw, MINMAX_AMEAN)
    assert list(b.scores.index) == ["A", "B", "C", "D"]


# --- properties --------------------------------------------------------------------------------
values = st.lists(st.floats(-1e6, 1e6, allow_nan=False), min_size=5, max_size=5)


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(a=values, b=values, c=values, perm=st.permutations(range(5)))
def test_invariant_to_unit_and_column_order(fw, a, b, c, perm):
    df = pd.DataFrame({"iso3": list("VWXYZ"), "a": a, "b": b, "c": c})
    b1 = build(df, fw, MINMAX_AMEAN)
    shuffled = df.iloc[list(perm)][["c", "iso3", "b", "a"]]
    b2 = build(shuffled, fw, MINMAX_AMEAN)
    pd.testing.assert_frame_equal(b1.scores, b2.scores)
    s = b1.scores.to_numpy()
    assert np.all((s[~np.isnan(s)] >= -1e-9) & (s[~np.isnan(s)] <= 100 + 1e-9))


@settings(
    max_examples=25, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
@given(
    a=values,
    b=values,
    c=values,
    unit=st.integers(0, 4),
    col=st.sampled_from("abc"),
    step=st.floats(0.1, 1e6),
)
def test_monotone_in_each_indicators_direction(fw, a, b, c, unit, col, step):
    df = pd.DataFrame({"iso3": list("VWXYZ"), "a": a, "b": b, "c": c})
    before = build(df, fw, MINMAX_AMEAN).scores["IDX"]
    better = df.copy()
    better.loc[unit, col] += step * fw.node(col).direction  # improve one unit's value
    after = build(better, fw, MINMAX_AMEAN).scores["IDX"]
    u = df.loc[unit, "iso3"]
    if not np.isnan(before[u]) and not np.isnan(after[u]):
        assert after[u] >= before[u] - 1e-9


# --- panel mode --------------------------------------------------------------------------------
def test_panel_bounds_pooled_over_years(fw):
    rng = np.random.default_rng(1)
    idx = pd.MultiIndex.from_product([list("ABCD"), [2020, 2021]], names=["iso3", "year"])
    df = pd.DataFrame(rng.normal(size=(8, 3)), index=idx, columns=["a", "b", "c"])
    df.loc[(slice(None), 2021), :] += 5  # 2021 is better everywhere... for a and c
    b = build(df, fw, MINMAX_AMEAN)
    n = b.normalised
    assert n.min().tolist() == [0.0] * 3 and n.max().tolist() == [100.0] * 3  # pooled
    assert n.xs(2020, level="year")["a"].max() < 100  # not per year
    for y in (2020, 2021):
        want = b.scores.xs(y, level="year")["IDX"].rank(ascending=False, method="min")
        assert b.ranks.xs(y, level="year")["IDX"].tolist() == want.astype(int).tolist()
    pd.testing.assert_frame_equal(b.rebuild().scores, b.scores)


# --- tidy selection ----------------------------------------------------------------------------
@pytest.fixture
def rules_fw():
    return Framework.from_mapping(
        {
            "code": "rules",
            "data_window": 5,
            "denominators": {"POP": {"name": "population"}},
            "nodes": [
                {"code": "I"},
                {"code": "P", "parent": "I"},
                {"code": "pat", "parent": "P", "direction": 1, "denominator": "POP", "scale": 1e6},
                {"code": "fdi", "parent": "P", "direction": 1, "mean_years": 3},
                {"code": "mob", "parent": "P", "direction": 1, "cap": {"upper": 120}},
                {"code": "gdp", "parent": "P", "direction": 1, "transform": "log1p"},
                {"code": "ge", "parent": "P", "direction": 1, "aliases": ["GOV_ge"]},
                {"code": "gone", "parent": "P", "direction": 1},
            ],
        }
    )


def tidy_rows(rows):
    return pd.DataFrame(rows, columns=["iso3", "indicator", "year", "value"]).assign(source="t")


def test_select_rules(rules_fw):
    tidy = tidy_rows(
        [
            ("A", "pat", 2019, 10.0),
            ("A", "POP", 2019, 2e6),
            ("A", "pat", 2020, 99.0),  # no POP
            ("B", "pat", 2020, 5.0),
            ("B", "POP", 2020, 1e6),
            ("A", "fdi", 2016, 100.0),
            ("A", "fdi", 2018, 1.0),
            ("A", "fdi", 2019, 2.0),
            ("A", "fdi", 2020, 6.0),
            ("B", "fdi", 2014, 7.0),  # outside the window (2020 - 5 = 2015)
            ("A", "mob", 2020, 130.0),
            ("B", "mob", 2015, 90.0),
            ("A", "gdp", 2020, np.e - 1),
            ("B", "gdp", 2021, 5.0),  # after the reference year
            ("A", "GOV_ge", 2020, 1.5),
            ("A", "ge", 2020, 0.5),
            ("B", "GOV_ge", 2019, -1.0),
        ]
    )
    s = select(tidy, rules_fw, 2020)
    d, y = s.data, s.years
    assert list(d.columns) == rules_fw.indicators and list(d.index) == ["A", "B"]
    assert d.loc["A", "pat"] == 5.0 and y.loc["A", "pat"] == 2019  # 10 / 2e6 * 1e6
    assert d.loc["B", "pat"] == 5.0 and y.loc["B", "pat"] == 2020
    assert d.loc["A", "fdi"] == 3.0 and y.loc["A", "fdi"] == 2020  # mean of 2018-2020
    assert np.isnan(d.loc["B", "fdi"])
    assert d.loc["A", "mob"] == 120.0 and d.loc["B", "mob"] == 90.0
    assert y.loc["B", "mob"] == 2015  # window boundary included
    assert d.loc["A", "gdp"] == pytest.approx(1.0) and np.isnan(d.loc["B", "gdp"])
    assert d.loc["A", "ge"] == 0.5  # the node's own code wins over the alias
    assert d.loc["B", "ge"] == -1.0
    assert s.missing == ("gone",)
    acts = s.audit.groupby("action")["code"].apply(sorted).to_dict()
    assert acts == {
        "alias": ["ge"],
        "averaged": ["fdi"],
        "capped": ["mob"],
        "denominated": ["pat", "pat"],
        "transformed": ["gdp"],
    }
    assert s.audit.query("action == 'averaged'")["detail"].item() == "mean of 3 year(s) 2018-2020"


def test_select_units_window_and_errors(rules_fw):
    tidy = tidy_rows([("A", "mob", 2020, 1.0), ("WLD", "mob", 2020, 2.0), ("A", "gdp", 2012, 3.0)])
    s = select(tidy, rules_fw, 2020, units=["A", "Z"])
    assert list(s.data.index) == ["A", "Z"] and s.data.loc["Z"].isna().all()
    assert np.isnan(s.data.loc["A", "gdp"])
    assert select(tidy, rules_fw, 2020, window=8).data.loc["A", "gdp"] == pytest.approx(
        np.log1p(3.0)
    )
    with pytest.raises(ComputationError, match="gdp"):
        select(tidy_rows([("A", "gdp", 2020, -5.0)]), rules_fw, 2020)
    with pytest.raises(DataFileError) as info:
        select(tidy_rows([("A", "gdp", "twenty", 1.0)]), rules_fw, 2020)
    assert info.value.line == 2 and info.value.column == "year"
    with pytest.raises(DataFileError, match="indicator"):
        select(pd.DataFrame({"iso3": ["A"], "year": [2020], "value": [1.0]}), rules_fw, 2020)
    with pytest.raises(ParameterError):
        select(tidy, rules_fw, "2020")


def test_select_panel(rules_fw):
    tidy = tidy_rows([("A", "mob", 2018, 1.0), ("A", "mob", 2020, 2.0), ("B", "ge", 2019, 1.0)])
    p = select_panel(tidy, rules_fw, [2019, 2020])
    assert list(p.data.index) == [("A", 2019), ("A", 2020), ("B", 2019), ("B", 2020)]
    assert p.data["mob"].tolist()[:2] == [1.0, 2.0]
    assert p.years["mob"].tolist()[:2] == [2018.0, 2020.0]
    assert p.reference_year == (2019, 2020)


def test_build_from_selection(rules_fw):
    tidy = tidy_rows(
        [
            (u, code, 2020, v)
            for u, v0 in zip("ABC", (1.0, 2.0, 4.0), strict=True)
            for code, v in (
                ("pat", v0),
                ("POP", 1e6),
                ("fdi", v0),
                ("mob", 50 * v0),
                ("gdp", v0),
                ("ge", -v0),
            )
        ]
    )
    s = select(tidy, rules_fw, 2020)
    b = build(s, rules_fw, {"denominate": {}, "treat": {"method": "none"}, **MINMAX_AMEAN})
    assert b.missing == ("gone",) and "gone" not in b.framework
    assert b.years is not None and (b.years.to_numpy() == 2020).all()
    assert b.denominated.equals(b.raw)  # select applied the denominator already
    assert b.treated["gdp"].tolist() == pytest.approx(np.log1p([1.0, 2.0, 4.0]).tolist())
    assert b.scores["I"].notna().all()


# --- CLI ---------------------------------------------------------------------------------------
def test_cli_score_asem_matches_coinr(tmp_path, capsys):
    idata = shared_path("data", "coinr-asem", "ASEM_iData.csv")
    want = pd.read_csv(shared_path("reference", "coinr-asem", "default", "scores_all_levels.csv"))
    want_r = pd.read_csv(shared_path("reference", "coinr-asem", "default", "ranks_all_levels.csv"))
    spec = tmp_path / "coinr.yaml"
    spec.write_text(ISSUE_SPEC)
    out, ranks, stages = tmp_path / "scores.csv", tmp_path / "ranks.csv", tmp_path / "stages"
    rc = main(
        [
            "score",
            "--data",
            str(idata),
            "--framework",
            "asem",
            "--spec",
            str(spec),
            "--out",
            str(out),
            "--ranks",
            str(ranks),
            "--stages",
            str(stages),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    got = pd.read_csv(out)
    assert list(got.columns) == list(want.columns)
    np.testing.assert_allclose(
        got.iloc[:, 1:].to_numpy(), want.iloc[:, 1:].to_numpy(), rtol=1e-12, atol=1e-9
    )
    assert (pd.read_csv(ranks).to_numpy() == want_r.to_numpy()).all()
    names = sorted(p.name for p in stages.glob("*.csv"))
    assert names == sorted(
        f"{n}.csv"
        for n in ("denominated", "imputed", "screened", "treated", "normalised", "aggregated")
    )
    prov = read_provenance(out)
    assert prov["framework"] == "asem" and prov["spec"]["treat"]["max_points"] == 5
    assert read_provenance(stages / "treated.csv")["content"] == "stage treated"
    assert "scored 51 units" in capsys.readouterr().out


def test_cli_score_tidy_with_year(tmp_path, capsys):
    fw_file = tmp_path / "fw.yaml"
    fw_file.write_text(
        yaml.safe_dump(
            {
                "code": "mini",
                "nodes": [
                    {"code": "I"},
                    {"code": "x", "parent": "I", "direction": 1},
                    {"code": "y", "parent": "I", "direction": -1},
                    {"code": "z", "parent": "I", "direction": 1},
                ],
            }
        )
    )
    tidy = tidy_rows(
        [
            ("XAA", "x", 2019, 1.0),
            ("XAB", "x", 2020, 3.0),
            ("XAC", "x", 2021, 9.0),
            ("XAA", "y", 2020, 5.0),
            ("XAB", "y", 2020, 1.0),
            ("XAC", "y", 2016, 3.0),
        ]
    )
    data = tmp_path / "tidy.csv"
    tidy.to_csv(data, index=False)
    out = tmp_path / "s.csv"
    rc = main(
        [
            "score",
            "--data",
            str(data),
            "--framework",
            str(fw_file),
            "--year",
            "2020",
            "--out",
            str(out),
        ]
    )
    assert rc == 0, capsys.readouterr().err
    got = pd.read_csv(out).set_index("iso3")
    assert list(got.columns) == ["x", "y", "z", "I"]
    assert got["z"].isna().all()
    # CCC's x is from 2021 (after the reference year): with 1 of 2 indicators it is screened
    # out by the default spec (66%); x: AAA 1 -> 0, BBB 3 -> 100; y (lower is better) likewise
    assert list(got.index) == ["XAA", "XAB"]
    assert got["x"].tolist() == [0.0, 100.0] and got["y"].tolist() == [0.0, 100.0]
    assert got["I"].tolist() == [0.0, 100.0]
    text = capsys.readouterr().out
    assert "indicators without data: z" in text and "reference year 2020" in text
    assert "screened out: XAC" in text
    spec = tmp_path / "noscreen.yaml"
    spec.write_text("normalise: {method: minmax}\naggregate: {}\n")
    assert (
        main(
            [
                "score",
                "--data",
                str(data),
                "--framework",
                str(fw_file),
                "--year",
                "2020",
                "--spec",
                str(spec),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    got = pd.read_csv(out).set_index("iso3")
    assert got["y"].tolist() == [0.0, 100.0, 50.0] and got.loc["XAC", "I"] == 50.0


def test_cli_list_methods(capsys):
    assert main(["list-methods"]) == 0
    text = capsys.readouterr().out
    for line in ("impute: ", "treat: ", "normalise: ", "weight: ", "aggregate: ", "frameworks: "):
        assert line in text
    assert "copeland" in text and "group_mean" in text and "distance_to_target" in text


def test_cli_errors_are_short(tmp_path, capsys):
    data = tmp_path / "d.csv"
    pd.DataFrame({"uCode": ["A", "B"], "x": [1, 2]}).to_csv(data, index=False)
    rc = main(
        [
            "score",
            "--data",
            str(data),
            "--framework",
            "no_such_fw",
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "no_such_fw" in err and "Traceback" not in err
    bad = tmp_path / "bad.yaml"
    bad.write_text("normalise: {method: minmaxx}\n")
    rc = main(
        [
            "score",
            "--data",
            str(data),
            "--framework",
            "asem",
            "--spec",
            str(bad),
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "minmax" in err
    assert not (tmp_path / "o.csv").exists()


def test_cli_score_wide_panel(tmp_path, capsys):
    panel = shared_path("data", "coinr-asem", "ASEM_iData_p.csv")
    spec = tmp_path / "coinr.yaml"
    spec.write_text(ISSUE_SPEC)
    out = tmp_path / "panel.csv"
    assert (
        main(
            [
                "score",
                "--data",
                str(panel),
                "--framework",
                "asem",
                "--spec",
                str(spec),
                "--out",
                str(out),
                "--ranks",
                str(tmp_path / "r.csv"),
            ]
        )
        == 0
    )
    got = pd.read_csv(out)
    assert list(got.columns[:2]) == ["iso3", "year"] and len(got) == 255
    n = got.set_index(["iso3", "year"])
    assert n["LPI"].min() == 0 and n["LPI"].max() == 100  # pooled over the five years
    r = pd.read_csv(tmp_path / "r.csv").set_index(["iso3", "year"])
    assert sorted(r.xs(2020, level="year")["Index"]) == list(range(1, 52))
    one = tmp_path / "2020.csv"
    assert (
        main(
            [
                "score",
                "--data",
                str(panel),
                "--framework",
                "asem",
                "--spec",
                str(spec),
                "--year",
                "2020",
                "--out",
                str(one),
            ]
        )
        == 0
    )
    got1 = pd.read_csv(one)
    assert list(got1.columns[:2]) == ["uCode", "LPI"] and len(got1) == 51
    capsys.readouterr()


def test_screen_indicator_unit_and_pillar_rules(fw, data):
    data.loc[0, "b"] = np.nan
    data.loc[0:2, "c"] = np.nan  # c: 1 of 4 units
    spec = {
        "screen": {"indicator_coverage": 0.5, "min_coverage": 0.5, "pillar_coverage": 0.6},
        **MINMAX_AMEAN,
    }
    b = build(data, fw, spec)
    assert "c" not in b.screened.columns  # 25% < 50%
    assert list(b.screened.index) == ["A", "B", "C", "D"]  # A has 1 of 2 = 0.5, not < 0.5
    assert b.screened.loc["A"].isna().all()  # A's P1 coverage 0.5 < 0.6: pillar blanked
    assert np.isnan(b.scores.loc["A", "IDX"])
    assert b.scores.loc["B", "IDX"] == b.scores.loc["B", "P1"]  # P2 has no data left
    acts = b.audit.groupby("action").size().to_dict()
    assert acts == {"indicator_removed": 1, "pillar_screened_out": 1}
    assert {"screen", "screen_indicator", "screen_pillar"} <= set(b.details)
    assert b.details["screen"]["Dat_Avail"].tolist() == [0.5, 1.0, 1.0, 1.0]


def test_cli_bad_cell_names_line_and_column(tmp_path, capsys):
    fw_file = tmp_path / "fw.yaml"
    fw_file.write_text(
        yaml.safe_dump(
            {"code": "mini", "nodes": [{"code": "I"}, {"code": "x", "parent": "I", "direction": 1}]}
        )
    )
    data = tmp_path / "d.csv"
    data.write_text("iso3,x\nAAA,1\nBBB,abc\nNA,3\n")
    rc = main(
        [
            "score",
            "--data",
            str(data),
            "--framework",
            str(fw_file),
            "--out",
            str(tmp_path / "o.csv"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2 and "line 3" in err and "'x'" in err and "'abc'" in err
    data.write_text("iso3,x\nAAA,1\nBBB,2\nNA,3\n")  # Namibia's code stays a code
    assert (
        main(
            [
                "score",
                "--data",
                str(data),
                "--framework",
                str(fw_file),
                "--spec",
                str(_write(tmp_path / "s.yaml", "normalise: {method: rank}\naggregate: {}\n")),
                "--out",
                str(tmp_path / "o.csv"),
            ]
        )
        == 0
    )
    assert pd.read_csv(tmp_path / "o.csv", keep_default_na=False)["iso3"].tolist() == [
        "AAA",
        "BBB",
        "NA",
    ]


def _write(path, text):
    path.write_text(text)
    return path
