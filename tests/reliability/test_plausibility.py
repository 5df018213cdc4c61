"""Suspicious but legal values warn and are audited instead of failing (issue 6 §1).

Table-driven: unit (and cap / bounds) x value -> flagged or not, with the detail text. Then the
flow: ``select`` puts the rows in ``Selection.audit`` and ``build`` carries them into
``Build.audit``; ``innolab data import`` and ``innolab data build`` print them as warnings and
record them in the provenance, and never change the values or fail.
"""

from __future__ import annotations

import json
import math
import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innolab.cli import main
from innolab.framework import Framework, Node
from innolab.scoring.pipeline import build
from innolab.scoring.plausibility import (
    PlausibilityWarning,
    plausibility_audit,
    plausibility_warnings,
    plausible_range,
    tidy_plausibility,
)
from innolab.scoring.result import AUDIT_COLUMNS
from innolab.scoring.select import select, select_panel

INF = math.inf

# (id, node keyword arguments, expected (lo, hi) or None)
RANGES = [
    ("share-of-population", {"unit": "% of population"}, (0.0, 100.0)),
    ("share-of-exports", {"unit": "% of total goods exports"}, (0.0, 100.0)),
    ("percent-of-labour-force", {"unit": "percent of labour force"}, (0.0, 100.0)),
    ("per-cent-of", {"unit": "per cent of households"}, (0.0, 100.0)),
    ("percent-of-gdp-not-a-share", {"unit": "% of GDP"}, None),
    ("gross-enrolment-not-a-share", {"unit": "% gross"}, None),
    ("growth-not-a-share", {"unit": "annual % growth"}, None),
    ("bare-percent-ambiguous", {"unit": "Percent"}, None),
    ("count-per-100", {"unit": "per 100 people"}, (0.0, INF)),
    ("count-per-million", {"unit": "per million people"}, (0.0, INF)),
    ("count-number", {"unit": "Number of crossings"}, (0.0, INF)),
    ("count-days", {"unit": "days"}, (0.0, INF)),
    ("count-energy", {"unit": "TWh"}, (0.0, INF)),
    ("rating-scale", {"unit": "rating 1-5"}, (1.0, 5.0)),
    ("score-scale", {"unit": "score 0-100"}, (0.0, 100.0)),
    ("score-scale-to", {"unit": "Score (0 to 10)"}, (0.0, 10.0)),
    ("soft-scale-not-checked", {"unit": "estimate (about -2.5 to 2.5)"}, None),
    ("money-not-checked", {"unit": "current US$"}, None),
    ("no-unit", {}, None),
    ("cap-widens-share", {"unit": "% of population", "cap": (None, 120.0)}, (0.0, 120.0)),
    ("cap-allows-negative", {"unit": "per 100 people", "cap": (-5.0, None)}, (-5.0, INF)),
    ("cap-inside-range-no-change", {"unit": "% of population", "cap": (None, 90.0)}, (0.0, 100.0)),
    ("bounds-win", {"unit": "% of GDP", "attrs": {"bounds": [0, 300]}}, (0.0, 300.0)),
    ("bounds-one-sided", {"unit": "current US$", "attrs": {"bounds": [0, None]}}, (0.0, INF)),
    (
        "denominator-sign-only",
        {"unit": "% of population", "denominator": "POP"},
        (0.0, INF),
    ),
    ("denominator-no-sign", {"unit": "% of GDP", "denominator": "GDP"}, None),
]


@pytest.mark.parametrize("case", RANGES, ids=[c[0] for c in RANGES])
def test_plausible_range_from_unit_cap_and_bounds(case):
    _id, kw, expected = case
    rng = plausible_range(Node("X", **kw))
    assert (rng if rng is None else rng[:2]) == expected


# (id, unit, value, flagged, words in the detail)
VALUES = [
    ("share-140", "% of population", 140.0, True, "above 100 for a percentage"),
    ("share-100-ok", "% of population", 100.0, False, ""),
    ("share-0-ok", "% of population", 0.0, False, ""),
    ("share-negative", "% of population", -0.5, True, "negative value"),
    ("negative-count", "number of applications", -3.0, True, "negative value"),
    ("zero-count-ok", "number of applications", 0.0, False, ""),
    ("huge-count-ok", "number of applications", 1e300, False, ""),
    ("rating-7", "rating 1-5", 7.0, True, "above 5"),
    ("rating-0", "rating 1-5", 0.0, True, "below 1"),
    ("rating-5-ok", "rating 1-5", 5.0, False, ""),
    ("gdp-share-150-ok", "% of GDP", 150.0, False, ""),
    ("infinite-count", "number", INF, True, "infinite value"),
    ("infinite-unknown-unit", "current US$", -INF, True, "infinite value"),
    ("missing-never", "% of population", np.nan, False, ""),
]


def _fw(unit: str, **kw) -> Framework:
    return Framework.from_mapping(
        {
            "code": "t",
            "nodes": [
                {"code": "I"},
                {"code": "X", "parent": "I", "unit": unit, **kw},
                {"code": "Y", "parent": "I", "unit": "% of population"},
            ],
        }
    )


@pytest.mark.parametrize("case", VALUES, ids=[c[0] for c in VALUES])
def test_plausibility_audit_rows(case):
    _id, unit, value, flagged, words = case
    wide = pd.DataFrame(
        {"X": [value, 1.0], "Y": [50.0, 60.0], "GRP": ["a", "b"]},
        index=pd.Index(["AAA", "BBB"], name="iso3"),
    )
    before = wide.copy()
    audit = plausibility_audit(wide, _fw(unit))
    pd.testing.assert_frame_equal(wide, before)  # pure
    assert tuple(audit.columns) == AUDIT_COLUMNS
    if not flagged:
        assert audit.empty
        return
    assert len(audit) == 1
    row = audit.iloc[0]
    assert (row["stage"], row["iso3"], row["code"], row["action"]) == (
        "check",
        "AAA",
        "X",
        "suspicious",
    )
    assert row["before"] == value and row["after"] == value
    assert words in row["detail"]


def test_panel_audit_has_year_column():
    idx = pd.MultiIndex.from_tuples([("AAA", 2020), ("AAA", 2021)], names=["iso3", "year"])
    wide = pd.DataFrame({"X": [1.0, -1.0], "Y": [101.0, 2.0]}, index=idx)
    audit = plausibility_audit(wide, _fw("number"))
    assert list(audit.columns) == ["stage", "iso3", "year", *AUDIT_COLUMNS[2:]]
    assert audit[["iso3", "year", "code", "before"]].values.tolist() == [
        ["AAA", 2021, "X", -1.0],
        ["AAA", 2020, "Y", 101.0],
    ]


def test_tidy_plausibility_and_warning_lines():
    tidy = pd.DataFrame(
        {
            "iso3": ["AAA", "BBB", "CCC", "DDD", "EEE"],
            "indicator": ["S", "S", "S", "S", "C"],
            "year": [2020, 2020, 2021, 2021, 2020],
            "value": [140.0, 101.0, 50.0, 103.0, -1.0],
        }
    )
    audit = tidy_plausibility(tidy, {"S": "% of population", "C": "count"})
    assert audit[["iso3", "year", "code"]].values.tolist() == [
        ["EEE", 2020, "C"],
        ["AAA", 2020, "S"],
        ["BBB", 2020, "S"],
        ["DDD", 2021, "S"],
    ]
    lines = plausibility_warnings(audit, examples=2)
    assert lines[0].startswith("C: 1 suspicious value (EEE 2020: -1): negative value")
    assert lines[1].startswith("S: 3 suspicious values (AAA 2020: 140; BBB 2020: 101, +1 more)")


TIDY_FW = Framework.from_mapping(
    {
        "code": "t",
        "nodes": [
            {"code": "IDX"},
            {"code": "P", "parent": "IDX"},
            {"code": "NET", "parent": "P", "unit": "% of population", "direction": 1},
            {
                "code": "MOB",
                "parent": "P",
                "unit": "per 100 people",
                "direction": 1,
                "cap": {"upper": 120},
            },
        ],
    }
)


def _tidy() -> pd.DataFrame:
    rows = [
        ("AAA", "NET", 2020, 140.0),  # suspicious: a share above 100
        ("BBB", "NET", 2020, 40.0),
        ("CCC", "NET", 2020, 60.0),
        ("DDD", "NET", 2020, 80.0),
        ("AAA", "MOB", 2020, 130.0),  # legal: capped at 120 by select, not suspicious
        ("BBB", "MOB", 2020, -2.0),  # suspicious: a negative rate of a count
        ("CCC", "MOB", 2020, 90.0),
        ("DDD", "MOB", 2020, 100.0),
    ]
    return pd.DataFrame(rows, columns=["iso3", "indicator", "year", "value"])


def test_select_records_and_warns_without_changing_values():
    with pytest.warns(PlausibilityWarning, match="NET: 1 suspicious value") as rec:
        sel = select(_tidy(), TIDY_FW, 2020)
    assert len(rec) == 2
    check = sel.audit[sel.audit["stage"] == "check"]
    assert check[["iso3", "code", "before", "after"]].values.tolist() == [
        ["AAA", "NET", 140.0, 140.0],
        ["BBB", "MOB", -2.0, -2.0],
    ]
    assert sel.data.loc["AAA", "NET"] == 140.0  # left as it is
    assert sel.data.loc["AAA", "MOB"] == 120.0  # the cap still applies
    capped = sel.audit[sel.audit["action"] == "capped"]
    assert capped[["iso3", "code"]].values.tolist() == [["AAA", "MOB"]]


def test_select_panel_check_rows_carry_the_year():
    tidy = _tidy()
    tidy2 = tidy.assign(year=2021, value=tidy["value"].abs().clip(upper=99))
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        sel = select_panel(pd.concat([tidy, tidy2]), TIDY_FW, [2020, 2021], window=0)
    check = sel.audit[sel.audit["stage"] == "check"]
    assert check[["iso3", "year", "code"]].values.tolist() == [
        ["AAA", 2020, "NET"],
        ["BBB", 2020, "MOB"],
    ]


def test_build_from_a_selection_carries_the_check_rows():
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        sel = select(_tidy(), TIDY_FW, 2020)
    b = build(sel, TIDY_FW)
    check = b.audit[b.audit["stage"] == "check"]
    assert check[["iso3", "code", "action", "before"]].values.tolist() == [
        ["AAA", "NET", "suspicious", 140.0],
        ["BBB", "MOB", "suspicious", -2.0],
    ]
    assert np.isfinite(b.scores["IDX"]).all()


# --- data import / data build ------------------------------------------------------------------

LONG_HEAD = "Country Name,Country Code,Year,Value\n"


def _datahub(tmp: Path, rows: str) -> Path:
    d = tmp / "it.net.user.zs"
    d.mkdir()
    (d / "datapackage.json").write_text(
        json.dumps(
            {"name": "it.net.user.zs", "title": "Individuals using the Internet (% of population)"}
        )
    )
    p = d / "data.csv"
    p.write_text(LONG_HEAD + rows)
    return p


def test_data_import_warns_records_and_keeps_values(tmp_path, capsys):
    src = _datahub(tmp_path, "Kenya,KEN,2020,140\nNamibia,NAM,2020,-1\nFrance,FRA,2020,85\n")
    raw = src.read_bytes()
    out = tmp_path / "tidy.csv"
    rc = main(["data", "import", str(src), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0
    assert (
        "warning: IT.NET.USER.ZS: 1 suspicious value (KEN 2020: 140): above 100 for a "
        "percentage: expected [0, 100] as a share (unit '% of population')"
    ) in text
    assert "warning: IT.NET.USER.ZS: 1 suspicious value (NAM 2020: -1): negative value" in text
    data = pd.read_csv(out)
    assert data.set_index("iso3")["value"].to_dict() == {"FRA": 85.0, "KEN": 140.0, "NAM": -1.0}
    prov = json.loads((tmp_path / "tidy.provenance.json").read_text())
    assert [(r["iso3"], r["before"]) for r in prov["suspicious"]] == [("KEN", 140.0), ("NAM", -1.0)]
    assert sum("suspicious" in w for w in prov["warnings"]) == 2
    assert src.read_bytes() == raw


def test_data_build_warns_and_records(tmp_path, capsys):
    raw = tmp_path / "raw"
    src = raw / "wdi"
    src.mkdir(parents=True)
    _datahub(src, "Kenya,KEN,2020,140\nFrance,FRA,2020,85\n")
    (src / "it.net.user.zs").rename(src / "net")
    out = tmp_path / "processed"
    rc = main(["data", "build", "--raw", str(raw), "--out", str(out)])
    text = capsys.readouterr().out
    assert rc == 0, text
    assert "warning: IT.NET.USER.ZS: 1 suspicious value (KEN 2020: 140)" in text
    panel = pd.read_parquet(out / "panel.parquet")
    assert panel.set_index("iso3")["value"].to_dict() == {"FRA": 85.0, "KEN": 140.0}
    prov = json.loads((out / "panel.provenance.json").read_text())
    assert [(r["iso3"], r["code"]) for r in prov["suspicious"]] == [("KEN", "IT.NET.USER.ZS")]


def test_audit_and_warn_for_wide_builds():
    from innolab.scoring.plausibility import audit_and_warn

    wide = pd.DataFrame(
        {"NET": [101.0, 50.0], "MOB": [5.0, 7.0]}, index=pd.Index(["AAA", "BBB"], name="iso3")
    )
    with pytest.warns(PlausibilityWarning, match=r"NET: 1 suspicious value \(AAA: 101\)"):
        audit = audit_and_warn(wide, TIDY_FW)
    assert audit[["iso3", "code", "before"]].values.tolist() == [["AAA", "NET", 101.0]]
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        assert audit_and_warn(wide.clip(upper=100), TIDY_FW).empty


def test_a_build_from_wide_data_warns_records_and_keeps_values():
    wide = pd.DataFrame(
        {"iso3": ["AAA", "BBB", "CCC"], "NET": [140.0, 50.0, 20.0], "MOB": [5.0, -2.0, 9.0]}
    )
    with pytest.warns(PlausibilityWarning) as caught:
        b = build(wide, TIDY_FW)
    text = " ".join(str(w.message) for w in caught)
    assert "NET: 1 suspicious value (AAA: 140)" in text and "MOB" in text
    check = b.audit[b.audit["stage"] == "check"]
    assert check[["iso3", "code", "action", "before", "after"]].values.tolist() == [
        ["AAA", "NET", "suspicious", 140.0, 140.0],
        ["BBB", "MOB", "suspicious", -2.0, -2.0],
    ]
    assert b.raw.loc["AAA", "NET"] == 140.0 and b.raw.loc["BBB", "MOB"] == -2.0  # kept
    assert list(b.audit.columns) == list(AUDIT_COLUMNS)
    with warnings.catch_warnings():
        warnings.simplefilter("error", PlausibilityWarning)
        clean = build(wide.assign(NET=[90.0, 50.0, 20.0], MOB=[5.0, 2.0, 9.0]), TIDY_FW)
    assert (clean.audit["stage"] != "check").all()


# --- what-if rebuilds with replaced values (Build.rebuild(data=...)) ----------------------------


def _sorted_checks(b) -> list[list]:
    check = b.audit[b.audit["stage"] == "check"]
    return sorted(check[["iso3", "code", "action", "before", "after"]].values.tolist())


def test_a_wide_rebuild_with_new_values_is_checked_as_a_build_of_them():
    """Fixing a suspicious value drops its row; making one suspicious adds a row and warns;
    the audit is that of a build from the changed data, cell for cell."""
    wide = pd.DataFrame(
        {"iso3": ["AAA", "BBB", "CCC"], "NET": [140.0, 50.0, 20.0], "MOB": [5.0, -2.0, 9.0]}
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        b = build(wide, TIDY_FW)
    change = pd.DataFrame(
        {"NET": [90.0, 150.0], "MOB": [5.0, -2.0]}, index=pd.Index(["AAA", "CCC"], name="iso3")
    )
    with pytest.warns(PlausibilityWarning, match=r"NET: 1 suspicious value \(CCC: 150\)") as rec:
        r = b.rebuild(data=change)
    assert len(rec) == 2  # NET for CCC, MOB for CCC's new -2; BBB's -2 was there already
    assert _sorted_checks(r) == [
        ["BBB", "MOB", "suspicious", -2.0, -2.0],  # untouched: kept
        ["CCC", "MOB", "suspicious", -2.0, -2.0],
        ["CCC", "NET", "suspicious", 150.0, 150.0],
    ]  # AAA's 140 became 90: its row is gone
    fresh = wide.assign(NET=[90.0, 50.0, 150.0], MOB=[5.0, -2.0, -2.0])
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        assert _sorted_checks(r) == _sorted_checks(build(fresh, TIDY_FW))
    with warnings.catch_warnings():  # a replacement that changes nothing: no new warning
        warnings.simplefilter("error", PlausibilityWarning)
        same = b.rebuild(data=pd.DataFrame({"NET": [140.0]}, index=pd.Index(["AAA"], name="iso3")))
    assert _sorted_checks(same) == _sorted_checks(b)


def test_a_selection_rebuild_drops_rows_about_the_old_value_of_a_replaced_cell():
    """AAA's MOB of 130 was capped at 120 by select; a what-if value for that cell makes the
    cap row (which what-if gap analysis reads to put capped values back) and, for NET, the
    check row describe nothing any more: both go, the other cells' rows stay."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        sel = select(_tidy(), TIDY_FW, 2020)
    b = build(sel, TIDY_FW)
    rows = b.audit[b.audit["stage"].isin(["select", "check"])]
    before = rows[["stage", "iso3", "code", "action"]].values.tolist()
    assert ["select", "AAA", "MOB", "capped"] in before
    assert ["check", "AAA", "NET", "suspicious"] in before
    r = b.rebuild(
        data=pd.DataFrame({"MOB": [80.0], "NET": [70.0]}, index=pd.Index(["AAA"], name="iso3"))
    )
    rows = r.audit[r.audit["stage"].isin(["select", "check"])]
    after = rows[["stage", "iso3", "code", "action"]].values.tolist()
    assert after == [x for x in before if x[1:3] not in (["AAA", "MOB"], ["AAA", "NET"])]
    assert r.raw.loc["AAA", "MOB"] == 80.0


def test_a_panel_rebuild_matches_audit_rows_by_unit_and_year():
    idx = pd.MultiIndex.from_product([["AAA", "BBB"], [2020, 2021]], names=["iso3", "year"])
    wide = pd.DataFrame({"NET": [140.0, 140.0, 50.0, 60.0], "MOB": [1.0, 2.0, 3.0, 4.0]}, index=idx)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PlausibilityWarning)
        b = build(wide, TIDY_FW)
    check = b.audit[b.audit["stage"] == "check"]
    assert check[["iso3", "year", "code"]].values.tolist() == [
        ["AAA", 2020, "NET"],
        ["AAA", 2021, "NET"],
    ]
    one = pd.DataFrame(
        {"NET": [95.0]}, index=pd.MultiIndex.from_tuples([("AAA", 2021)], names=["iso3", "year"])
    )
    r = b.rebuild(data=one)
    check = r.audit[r.audit["stage"] == "check"]
    assert check[["iso3", "year", "code"]].values.tolist() == [["AAA", 2020, "NET"]]
