"""innolab.studies: the logic behind the report notebooks, with known answers."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest

from innolab import config, studies
from innolab.errors import CoverageError, ParameterError, UnknownCountryError
from innolab.framework import Framework
from innolab.store import build as store_build


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    """The demo raw data built into a private processed folder, read once."""
    out = tmp_path_factory.mktemp("processed")
    store_build(config.RAW_DIR, out)
    return studies.load_processed(out)


def _tiny_fw() -> Framework:
    return Framework.from_mapping(
        {
            "code": "t",
            "nodes": [
                {"code": "I"},
                {"code": "P1", "parent": "I", "name": "Pillar one"},
                {"code": "P2", "parent": "I", "name": "Pillar two"},
                {"code": "a", "parent": "P1", "direction": 1},
                {"code": "b", "parent": "P2", "direction": 1, "transform": "log1p"},
            ],
        }
    )


# --- small known answers -------------------------------------------------------------------
def test_latest_year_uses_the_window_and_coverage():
    fw = _tiny_fw()
    p = pd.DataFrame(
        {
            "iso3": ["X", "X", "Y", "Y", "X"],
            "indicator": ["a", "b", "a", "b", "a"],
            "year": [2018, 2018, 2018, 2018, 2022],
            "value": 1.0,
        }
    )
    # 2022 alone: a for X only (1 of 2 units) -> 0 of 2 indicators covered at 66%
    assert studies.latest_year(p, fw, window=0) == 2018
    # a 4-year window reaches back to 2018: both indicators, both units
    assert studies.latest_year(p, fw, window=4) == 2022
    with pytest.raises(CoverageError):
        studies.latest_year(p.assign(indicator="zzz"), fw)


def test_coverage_table_is_the_share_of_economies_per_year():
    fw = _tiny_fw()
    p = pd.DataFrame(
        {
            "iso3": ["X", "Y", "Z", "X", "Y"],
            "indicator": ["a", "a", "b", "b", "a"],
            "year": [2020, 2020, 2020, 2021, 2021],
            "value": [1, 2, 3, 4, np.nan],
        }
    )
    cov = studies.coverage_table(p, fw)
    assert cov.to_dict() == {2020: {"a": 66.7, "b": 33.3}, 2021: {"a": 0.0, "b": 100.0}}


def test_convergence_medians_and_spread():
    s = pd.DataFrame({"A": [10.0, 20.0], "B": [30.0, 40.0], "C": [50.0, 40.0]}, index=[2020, 2021])
    conv = studies.convergence(s, pd.Series({"A": "g1", "B": "g1", "C": "g2"}))
    assert conv["g1"].tolist() == [20.0, 30.0]
    assert conv["g2"].tolist() == [50.0, 40.0]
    assert conv["between_group_sd"].round(4).tolist() == [
        round(30 / np.sqrt(2), 4),
        round(10 / np.sqrt(2), 4),
    ]


def test_key_messages_are_generated_from_the_numbers():
    p = pd.DataFrame(
        {"name": ["A", "B", "C"], "score": [50.0, 20.0, np.nan], "peer_median": [40.0, 35.0, 40.0]},
        index=["PA", "PB", "PC"],
    )
    msgs = studies.key_messages("Xland", "DII", 37.44, 12, 50, p, "Low income peers")
    assert msgs == [
        "Xland scores 37.4 on the DII (0–100), rank 12 of 50.",
        "Ahead of Low income peers on A (+10.0 points).",
        "Behind Low income peers on B (−15.0 points).",
        "No score on C (too few indicators with data).",
        "1 of 2 pillars are at the 'developing' maturity level (0–100 bands of 20 points).",
    ]
    assert studies.key_messages("Y", "DII", np.nan, np.nan, 3, p, "x") == [
        "Y has no DII score: too few indicators have data."
    ]


def test_own_units_undoes_the_framework_transform():
    fw = _tiny_fw()
    assert studies.own_units(fw, "a", 3.0) == 3.0
    assert studies.own_units(fw, "b", np.log1p(120.0)) == pytest.approx(120.0)
    assert studies.own_units(fw, "zzz", 2.0) == 2.0


def test_pillar_and_scores_tables_on_a_hand_build():
    from innolab.scoring import build

    fw = _tiny_fw()
    data = pd.DataFrame(
        {"a": [0.0, 1.0, 2.0, 4.0], "b": [8.0, 6.0, 4.0, 0.0]},
        index=pd.Index(["W", "X", "Y", "Z"], name="iso3"),
    )
    spec = {
        "normalise": {"method": "minmax", "lower": 0, "upper": 100},
        "aggregate": {"method": "arithmetic"},
    }
    b = build(data, fw, spec)
    # a -> 0, 25, 50, 100; b -> 100, 75, 50, 0; index = mean of pillars = 50, 50, 50, 50
    t = studies.pillar_table(b, "X", peers=["W", "X", "Y"])
    assert t["score"].tolist() == [25.0, 75.0]
    assert t["peer_median"].tolist() == [25.0, 75.0]
    assert t["frontier"].tolist() == [100.0, 100.0]
    assert t["rank"].tolist() == [3.0, 2.0]
    assert t["name"].tolist() == ["Pillar one", "Pillar two"]
    countries = pd.DataFrame(
        {
            "name": ["Wland", "Xland", "Yland", "Zland", "Vland"],
            "itu_region": ["AFR", "AFR", "EUR", "EUR", "EUR"],
        },
        index=pd.Index(["W", "X", "Y", "Z", "V"], name="iso3"),
    )
    st = studies.scores_table(b, countries)
    assert st["iso3"].tolist() == ["W", "X", "Y", "Z", "V"]  # all tied at rank 1, V unscored
    assert st["rank"].tolist()[:4] == [1, 1, 1, 1] and pd.isna(st["rank"].iloc[4])
    assert st["note"].tolist()[-1] == "not scored (data coverage)"
    iv = pd.DataFrame({"q05": [1, 2, 1, 1], "q95": [3, 4, 2, 4]}, index=["W", "X", "Y", "Z"])
    assert studies.scores_table(b, countries, intervals=iv)["rank_interval"].tolist()[:2] == [
        "1–3",
        "2–4",
    ]


def test_methodology_text_names_spec_sources_and_synthetic_flag():
    from innolab.scoring import build

    fw = _tiny_fw()
    data = pd.DataFrame(
        {"a": [0.0, 1.0, 2.0], "b": [1.0, 2.0, 4.0]}, index=pd.Index(["W", "X", "Y"], name="iso3")
    )
    b = build(data, fw, {"normalise": {"method": "zscore"}})
    prov = {
        "panel": {
            "created": "2026-01-01",
            "innolab_version": "9",
            "sources": [
                {
                    "path": "data/raw/x.csv",
                    "sha256": "abcdef0123456789",
                    "source": "demo",
                    "retrieved": "2026-01-01",
                }
            ],
        }
    }
    text = studies.methodology_text(b, prov, synthetic=True)
    assert "- normalise: method=zscore" in text
    assert "`data/raw/x.csv` — source demo, retrieved 2026-01-01, SHA-256 `abcdef012345…`" in text
    assert "synthetic" in text and "Rank and score intervals: not shown." in text
    text = studies.methodology_text(b, prov, synthetic=True, intervals=True)
    assert "5th–95th percentiles over 1,000 Monte Carlo runs" in text
    assert "aggregate: arithmetic / geometric" in text and "weights (±25% uniform noise)" in text
    assert "synthetic" not in studies.methodology_text(b, None)


# --- the demo data ----------------------------------------------------------------------------
def test_demo_country_study_is_consistent_with_the_build(demo):
    s = studies.country_study("XAF", 2023, "digital_innovation", "income_group", demo)
    b = s.build
    root = b.framework.root
    assert s.score == round(float(b.scores.at["XAF", root]), 1)
    assert s.rank == b.ranks.at["XAF", root] and 1 <= s.rank <= s.n_units
    group = demo.countries.at["XAF", "income_group"]
    peers = [u for u in b.scores.index if demo.countries.at[u, "income_group"] == group]
    assert s.peers == peers
    expected = b.scores.loc[peers, "INFRA"].median()
    assert s.pillars.at["INFRA", "peer_median"] == round(expected, 1)
    assert s.messages[0].startswith(f"{s.name} scores {s.score:.1f} on the DII")
    # every framework indicator is in the annex, with data years inside the window
    assert set(s.annex["code"]) == set(b.framework.indicators)
    yrs = s.annex["data_year"].dropna()
    assert (yrs <= 2023).all() and (yrs >= 2023 - b.framework.data_window).all()
    # headline values are in own units: GDP per capita is not on the log scale
    gdp = s.annex.set_index("code").at["NY.GDP.PCAP.PP.KD", "value"]
    raw = demo.panel.query("iso3 == 'XAF' and indicator == 'NY.GDP.PCAP.PP.KD' and year <= 2023")
    assert gdp == round(raw.sort_values("year")["value"].iloc[-1], 2)
    assert s.synthetic and "Synthetic" in s.banner
    assert "GII and IDI are not loaded" in s.engines_note
    assert s.ratings is not None and set(s.ratings["iso3"]) == {"XAF"}
    assert {"peer_median", "peer_best", "frontier"} <= set(s.pillar_gaps.columns)
    # one headline indicator per pillar, the highest-weight one with data
    assert s.headline["pillar"].tolist() == s.pillars["name"].tolist()
    assert s.ratings_year == 2021 and s.gdp_country == "XAF"
    assert s.gdp_table.at["XAF", "gdp_per_capita"] == pytest.approx(gdp, abs=0.01)
    assert (s.strengths["flag"].isin(["strength", "weakness"])).all()


def test_demo_country_study_errors(demo):
    with pytest.raises(UnknownCountryError, match="XZZ"):
        studies.country_study("XZZ", 2023, data=demo)
    with pytest.raises(CoverageError, match="XAC"):  # screened out: too few indicators
        studies.country_study("XAC", 2023, data=demo)
    with pytest.raises(ParameterError, match="peers"):
        studies.country_study("XAF", 2023, peers="continent", data=demo)
    with pytest.raises(UnknownCountryError, match="QQQ"):
        studies.country_study("XAF", 2023, peers="XAA,QQQ", data=demo)


def test_demo_gap_plan_reaches_the_peer_median(demo):
    s = studies.country_study("XAA", 2023, peers="income_group", data=demo)
    assert len(s.gap_plan) > 0 and "reaches" in s.gap_summary
    assert (s.gap_plan["value_after"] >= s.gap_plan["value_before"]).all()


def test_demo_regional_study(demo):
    r = studies.regional_study("income_group", 2023, data=demo, first_year=2020)
    d = r.distributions
    for group, rows in r.leaders.groupby("group"):
        best = d[d["group"] == group]["score"].sort_values(ascending=False).head(3)
        assert rows["score"].tolist() == best.round(1).tolist()
    assert list(r.convergence.index) == [2020, 2021, 2022, 2023]
    members = d.index[d["group"] == "Low income"]
    assert r.heatmap.at["Low income", "INFRA"] == round(
        studies.score_processed(demo, year=2023).scores.loc[members, "INFRA"].median(), 1
    )
    with pytest.raises(ParameterError, match="grouping"):
        studies.regional_study("continent", 2023, data=demo)


def test_demo_methodology_audit(demo):
    a = studies.methodology_audit("digital_innovation", 2023, demo)
    assert {"INFRA", "POLICY"} <= set(a.cronbach.index)
    assert a.pillar_correlations.loc["DII", "DII"] == 1.0
    iv = a.rank_intervals
    b = studies.score_processed(demo, year=2023)
    assert list(iv.columns) == ["nominal", "median", "q05", "q95"]
    assert iv["nominal"].tolist() == b.ranks.loc[iv.index, "DII"].astype(float).tolist()
    assert (iv["q05"] <= iv["median"]).all() and (iv["median"] <= iv["q95"]).all()
    sens = a.sensitivity
    assert sens["input"].tolist() == ["treat", "impute", "normalise", "weights", "aggregate.method"]
    assert (sens["total"] >= 0).all() and sens["total"].max() > 0
    top = sens.sort_values("total").iloc[-1]["input"]
    assert f"**{top}**" in a.uncertainty_note
    assert a.correlations.at["IT.NET.USER.ZS", "INFRA"] == round(
        a_scores_corr(demo, "IT.NET.USER.ZS", "INFRA"), 2
    )
    assert (a.flags["flag"] != "").all()


def a_scores_corr(demo, x, y):
    s = studies.score_processed(demo, year=2023).scores
    return s[x].corr(s[y])


def test_write_scores_is_atomic_with_provenance(demo, tmp_path):
    b = studies.score_processed(demo, year=2023)
    out = studies.write_scores(
        b, demo.countries, tmp_path, year=2023, provenance_sources=[demo.folder / "panel.parquet"]
    )
    assert out.name == "scores_digital_innovation_2023.csv"
    table = pd.read_csv(out)
    assert len(table) == len(demo.economies)
    assert table["rank"].min() == 1
    assert table["rank"].notna().sum() == len(b.scores)
    assert (tmp_path / "scores_digital_innovation_2023.provenance.json").is_file()
    assert not [p for p in tmp_path.iterdir() if p.name.startswith(".")]  # no temporaries


def test_indicator_trend_country_and_quartiles():
    p = pd.DataFrame(
        {
            "iso3": ["X", "Y", "Z", "W", "X"],
            "indicator": "a",
            "year": [2020, 2020, 2020, 2020, 2021],
            "value": [1.0, 2.0, 3.0, 4.0, 5.0],
        }
    )
    t = studies.indicator_trend(p, "a", "Y")
    assert t.index.tolist() == [2020, 2021]
    assert t.loc[2020].tolist() == [2.0, 2.5, 1.75, 3.25]
    assert pd.isna(t.at[2021, "value"]) and t.at[2021, "group_median"] == 5.0
    with pytest.raises(ParameterError, match="'b' has no data"):
        studies.indicator_trend(p, "b", "Y")


def test_demo_country_study_shows_monte_carlo_intervals(demo):
    s = studies.country_study("XAF", 2023, "digital_innovation", "income_group", demo)
    b = s.build
    iv = s.rank_intervals
    assert iv.loc["XAF", "nominal"] == s.rank
    assert iv.loc["XAF", "q05"] <= s.rank + 5 and iv.loc["XAF", "q95"] >= iv.loc["XAF", "q05"]
    # pillar score intervals (drawn as error bars) and rank intervals (text)
    p = s.pillars
    assert {"q05", "q95", "rank_interval"} <= set(p.columns)
    assert (p["q05"] <= p["q95"]).all()
    assert p["rank_interval"].notna().all()
    # the same numbers as a direct analysis with the studies' settings
    res = studies.study_uncertainty(b).intervals()
    row = res[(res["code"] == "INFRA") & (res["iso3"] == "XAF")].iloc[0]
    assert p.at["INFRA", "q05"] == round(row["score_q05"], 1)
    assert any("90% of the Monte Carlo runs" in m for m in s.messages)
    assert s.annex["rank_interval"].notna().any()
    assert "Monte Carlo runs" in s.methodology


def test_intervals_are_written_once_and_reused_only_while_fresh(demo, tmp_path, monkeypatch):
    import shutil

    folder = tmp_path / "processed"
    shutil.copytree(demo.folder, folder)
    d = studies.load_processed(folder)
    b = studies.score_processed(d, year=2023)
    path = studies.write_intervals(
        b, folder, year=2023, provenance_sources=[folder / "panel.parquet"]
    )
    assert path == folder / "intervals_digital_innovation_2023.csv"
    written = pd.read_csv(path)
    assert set(written["code"]) >= {"DII", "INFRA"}

    calls = []
    real = studies.study_uncertainty

    def counting(*args, **kw):
        calls.append(1)
        return real(*args, **kw)

    monkeypatch.setattr(studies, "study_uncertainty", counting)
    got = studies.study_intervals(b, d, 2023)
    assert calls == [] and len(got) == len(written)
    # another year or a changed input file: recomputed, never a stale file
    studies.study_intervals(b, d, 2022)
    assert len(calls) == 1
    (folder / "panel.parquet").write_bytes((folder / "panel.parquet").read_bytes() + b"\0")
    studies.study_intervals(b, d, 2023)
    assert len(calls) == 2


# --- memo of processed folders and builds (what a report batch's zygote warms) -------------
def _copy_processed(src, dst):
    import shutil

    shutil.copytree(src, dst)
    return dst


def test_processed_folder_and_build_are_memoised_while_files_are_unchanged(demo, tmp_path):
    import os

    folder = _copy_processed(demo.folder, tmp_path / "p")
    first = studies.load_processed(folder)
    assert studies.load_processed(str(folder)) is first  # same folder, same files: memo
    b1 = studies.score_processed(first, year=2023)
    assert studies.score_processed(folder, year=2023) is b1
    assert studies.score_processed(first, year=2022) is not b1  # another year: own build
    spec = {"treat": {"method": "none"}}
    assert studies.score_processed(first, year=2023, spec=spec) is not b1  # not memoised
    # a changed file (new modification time) is read again and scored again
    panel = folder / "panel.parquet"
    st = panel.stat()
    os.utime(panel, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    second = studies.load_processed(folder)
    assert second is not first
    assert second.panel.equals(first.panel)
    b2 = studies.score_processed(second, year=2023)
    assert b2 is not b1
    pd.testing.assert_frame_equal(b2.scores, b1.scores)


def test_a_dataframe_built_in_memory_is_never_memoised(demo):
    d = studies.ProcessedData(
        demo.folder, demo.panel, demo.countries, demo.indicators, demo.ratings
    )
    assert d.signature == ()
    assert studies.score_processed(d, year=2023) is not studies.score_processed(d, year=2023)


def test_warm_study_cache_and_the_zygote_entry_that_calls_it(demo, tmp_path):
    from innolab.report.kernels import DEFAULT_PRELOAD, run_preload_entry

    folder = _copy_processed(demo.folder, tmp_path / "w")
    pre = studies.study_preload(str(folder), "digital_innovation", 2023)
    assert pre[: len(DEFAULT_PRELOAD)] == DEFAULT_PRELOAD
    entry = pre[-1]
    assert entry[0] == "innolab.studies:warm_study_cache"
    assert dict(entry[1]) == {"data": str(folder), "framework": "digital_innovation", "year": 2023}
    run_preload_entry(entry)  # what the zygote does before forking kernels
    key = ("build", studies.load_processed(folder).signature)
    assert any(k[:2] == key and k[3] == 2023 for k in studies._MEMO)
    with pytest.raises(ValueError, match="module:function"):
        run_preload_entry(("innolab.studies", ()))


def test_figure_alt_text_is_the_chart_title():
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert studies.figure_alt_text(fig) == "Chart"
    ax.set_title("Kenya: pillar\nscores, 2023", loc="left")
    fig.suptitle("Profile")
    assert studies.figure_alt_text(fig) == "Profile — Kenya: pillar scores, 2023"
    plt.close(fig)


def test_show_figure_displays_a_png_with_its_title_as_alt_text(monkeypatch):
    import IPython.display
    import matplotlib.pyplot as plt

    shown = []
    monkeypatch.setattr(IPython.display, "display", lambda *objs, **_: shown.extend(objs))
    fig, ax = plt.subplots(figsize=(2, 1), dpi=50)
    ax.set_title("Gaps")
    studies.show_figure(ax)
    assert not plt.fignum_exists(fig.number)  # closed
    data, meta = shown[0]._repr_mimebundle_()
    assert meta == {"image/png": {"alt": "Gaps"}}
    assert data["image/png"]


def test_table_style_aligns_text_left_numbers_right_and_writes_readable_numbers():
    table = pd.DataFrame(
        {
            "name": ["Rule of law", "Patents"],
            "value": [1.23456, np.nan],
            "rank": [3.0, 12.0],  # whole numbers stored as floats (NaN-able ranks)
            "data_year": [2022, 2023],
        },
        index=pd.Index(["RL.EST", "IP.PAT"], name="code"),
    )
    html = studies.table_style(table, precision=2).to_html()
    # the named index (codes) is the first column, headed by its name on the header row
    assert ">Code<" in html and "index_name" not in html and "row_heading" not in html
    for col, align in ((0, "left"), (1, "left"), (2, "right"), (3, "right"), (4, "right")):
        assert f"td.col{col} {{\n  text-align: {align};" in html
        assert f"th.col{col} {{\n  text-align: {align};" in html
    assert ">1.23<" in html and ">\u2013<" in html  # precision and the missing value
    assert ">3<" in html and ">12<" in html and ">3.00<" not in html  # ranks as integers
    assert ">2023<" in html and "2,023" not in html
    assert ">Data year<" in html and ">Name<" in html  # column names as words
    spelled = studies.table_style(pd.DataFrame({"n_units": [1], "q05": [0.5]})).to_html()
    assert ">Units<" in spelled and ">5th percentile<" in spelled
    assert ">RL.EST<" in html  # a named index means something: shown
    plain = studies.table_style(table.reset_index(drop=True)).to_html()
    assert "row_heading" not in plain  # a plain row number: hidden
    assert "row_heading" in studies.table_style(table.reset_index(drop=True), index=True).to_html()
