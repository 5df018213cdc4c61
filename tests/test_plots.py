"""Tests of innolab.plots: data read back from the artists, missing values, bad shapes, style.

Every test works on small literal tables, so the expected bar widths, point coordinates and
labels are written out by hand. An autouse fixture closes every figure and fails the test if
a figure is left open.
"""

from __future__ import annotations

import importlib

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from matplotlib.colors import to_rgba
from matplotlib.container import BarContainer, ErrorbarContainer

from innolab.ecosystem import ENABLERS, MATURITY_BANDS, STAKEHOLDERS
from innolab.errors import ParameterError, UnknownCountryError
from innolab.plots import (
    OKABE_ITO,
    PALETTE,
    STYLE,
    apply_style,
    plot_gaps,
    plot_group_distributions,
    plot_index_vs_gdp,
    plot_pillar_bars,
    plot_pillar_heatmap,
    plot_pillar_radar,
    plot_rank_intervals,
    plot_rating_grid,
    plot_strengths_weaknesses,
    plot_style,
    plot_trends,
    wrap_label,
)

NAN = np.nan
PILLARS = ["infra", "human", "finance", "market"]


@pytest.fixture(autouse=True)
def _no_open_figures():
    plt.close("all")
    yield
    leaked = plt.get_fignums()
    plt.close("all")
    assert leaked == [], f"test left {len(leaked)} figure(s) open"


def _close(ax):
    plt.close(ax.figure)


def _texts(ax, gid=None):
    return [t.get_text() for t in ax.texts if gid is None or t.get_gid() == gid]


def _all_text(ax):
    return [t.get_text() for t in ax.texts] + [
        c.get_text() for c in ax.get_children() if hasattr(c, "get_text")
    ]


def _labelled(ax, xunit=None, yunit=None):
    assert ax.get_title(loc="left").strip(), "title is empty"
    if xunit is not None:
        assert xunit in ax.get_xlabel(), ax.get_xlabel()
    if yunit is not None:
        assert yunit in ax.get_ylabel(), ax.get_ylabel()


def _bars(container):
    assert isinstance(container, BarContainer)
    return list(container.patches)


# ----------------------------------------------------------------------------- tables
def pillar_table(changes=None):
    t = pd.DataFrame(
        {
            "score": [62.0, 38.5, 71.0, 20.0],
            "peer_median": [50.0, 45.0, 40.0, 52.0],
            "frontier": [85.0, 70.0, 75.0, 80.0],
            "q05": [55.0, 30.0, 66.0, 12.0],
            "q95": [70.0, 44.0, 79.0, 27.0],
            "name": [
                "Infrastructure & connectivity",
                "Human capital & research",
                "Finance & investment",
                "Market & business environment",
            ],
        },
        index=PILLARS,
    )
    for (row, col), v in (changes or {}).items():
        t.loc[row, col] = v
    return t


# ----------------------------------------------------------------------------- radar
def test_radar_draws_country_peer_and_frontier_closed_outlines():
    t = pillar_table()
    ax = plot_pillar_radar(t, country="Kenya")
    _labelled(ax)
    assert ax.name == "polar"
    country, peer, frontier = ax.lines[:3]
    assert country.get_ydata().tolist() == [62.0, 38.5, 71.0, 20.0, 62.0]
    assert peer.get_ydata().tolist() == [50.0, 45.0, 40.0, 52.0, 50.0]
    assert frontier.get_ydata().tolist() == [85.0, 70.0, 75.0, 80.0, 85.0]
    np.testing.assert_allclose(country.get_xdata(), [0, np.pi / 2, np.pi, 3 * np.pi / 2, 0])
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [
        "Kenya",
        "Peer median",
        "Frontier",
    ]
    assert "Score (0\u2013100)" in ax.get_legend().get_title().get_text()
    labels = [t.get_text() for t in ax.get_xticklabels()]
    assert labels[0] == "Infrastructure &\nconnectivity"
    assert ax.get_ylim() == (0.0, 100.0)
    assert len(ax.patches) == 1  # the country polygon is filled
    _close(ax)


def test_radar_long_names_wrap_in_the_legend_and_stay_inside_the_figure():
    """A fixed-aspect polar Axes cannot be narrowed to make room for its legend, so long
    names are wrapped: the chart is drawn once at figure size (no tight-box fallback)."""
    import innolab.plots._common as common
    from innolab.plots import render_png

    t = pillar_table()
    ax = plot_pillar_radar(
        t,
        country="United Republic of Esquarra",
        peer_label="Median, Lower middle income peers",
        title="United Republic of Esquarra: pillar scores, 2023",
    )
    assert [x.get_text() for x in ax.get_legend().get_texts()] == [
        "United Republic of\nEsquarra",
        "Median, Lower middle\nincome peers",
        "Frontier",
    ]
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    assert not common._reaches_outside(fig, renderer, np.asarray(fig.canvas.buffer_rgba()), 1.0)
    assert _png_header(render_png(fig))[:2] == (800, 450)
    _close(ax)


def test_radar_missing_pillar_breaks_the_outline_not_zero():
    t = pillar_table({("finance", "score"): NAN})
    ax = plot_pillar_radar(t.drop(columns="frontier"), country="Kenya")
    y = ax.lines[0].get_ydata()
    assert np.isnan(y[2]) and y[2] != 0
    assert len(ax.lines) == 2
    assert len(ax.patches) == 0  # no filled polygon through a missing spoke
    assert "(no data)" in ax.get_xticklabels()[2].get_text()
    assert any("No data: Finance & investment" in s for s in _texts(ax))
    _close(ax)


def test_radar_bad_inputs():
    with pytest.raises(ParameterError, match="peer_median"):
        plot_pillar_radar(pillar_table().drop(columns="peer_median"))
    with pytest.raises(ParameterError, match="at least 3 pillars"):
        plot_pillar_radar(pillar_table().iloc[:2])
    with pytest.raises(ParameterError, match=r"'infra'=120"):
        plot_pillar_radar(pillar_table({("infra", "score"): 120.0}))
    with pytest.raises(ParameterError, match="must be numeric"):
        plot_pillar_radar(pillar_table().assign(score=["a", "b", "c", "d"]))
    fig, ax = plt.subplots()
    with pytest.raises(ParameterError, match="polar"):
        plot_pillar_radar(pillar_table(), ax=ax)
    plt.close(fig)


def test_radar_uses_a_given_polar_axes():
    fig = plt.figure()
    ax = fig.add_subplot(projection="polar")
    out = plot_pillar_radar(pillar_table(), ax=ax, title="Custom")
    assert out is ax and ax.get_title(loc="left") == "Custom"
    plt.close(fig)


# ----------------------------------------------------------------------------- bars
def test_bars_widths_intervals_bands_and_peer_markers():
    ax = plot_pillar_bars(pillar_table(), country="Kenya")
    _labelled(ax, xunit="Score (0\u2013100)", yunit="Pillar")
    bars = _bars(ax.containers[0])
    assert [float(b.get_width()) for b in bars] == [62.0, 38.5, 71.0, 20.0]
    assert [round(float(b.get_y() + b.get_height() / 2), 6) for b in bars] == [0, 1, 2, 3]
    err = [c for c in ax.containers if isinstance(c, ErrorbarContainer)][0]
    segs = err.lines[2][0].get_segments()
    assert [(s[0][0], s[1][0]) for s in segs] == [(55, 70), (30, 44), (66, 79), (12, 27)]
    bands = [p for p in ax.patches if str(p.get_gid()).startswith("band-")]
    assert [p.get_gid() for p in bands] == [f"band-{b[0]}" for b in MATURITY_BANDS]
    assert _texts(ax, "band-label") == [b[0] for b in MATURITY_BANDS]
    peer = ax.collections[-1]
    assert peer.get_offsets().tolist() == [[50, 0], [45, 1], [40, 2], [52, 3]]
    assert _texts(ax, "value-label") == ["62.0", "38.5", "71.0", "20.0"]
    assert [t.get_text() for t in ax.get_yticklabels()][1] == "Human capital & research"
    _close(ax)


def test_bars_band_labels_never_overlap_on_a_narrow_chart():
    """Long pillar names and a long country name leave a narrow plot area; the maturity-band
    labels alternate between two rows so that neighbours cannot run into each other, and the
    country's legend entry wraps."""
    long_names = {c: f"A rather long pillar name for {c} here" for c in PILLARS}
    ax = plot_pillar_bars(
        pillar_table(), country="United Republic of Somewhere Else", labels=long_names
    )
    fig = ax.figure
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    boxes = [t.get_window_extent(renderer) for t in ax.texts if t.get_gid() == "band-label"]
    assert len(boxes) == len(MATURITY_BANDS)
    for a, b in zip(boxes, boxes[1:], strict=False):
        assert not a.overlaps(b), (a, b)
    assert boxes[1].y0 > boxes[0].y1 - 1  # the second label sits a row higher
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend[0] == "United Republic of\nSomewhere Else score"
    _close(ax)


def test_bars_missing_score_is_labelled_not_zero_and_gets_no_interval():
    t = pillar_table(
        {
            ("human", "score"): NAN,
            ("human", "q05"): NAN,
            ("human", "q95"): NAN,
            ("market", "q05"): NAN,
        }
    )
    ax = plot_pillar_bars(t[["score", "q05", "q95"]], bands=False)
    assert [float(b.get_width()) for b in ax.containers[0]] == [62.0, 0.0, 71.0, 20.0]
    assert _texts(ax).count("no data") == 1
    err = [c for c in ax.containers if isinstance(c, ErrorbarContainer)][0]
    assert len(err.lines[2][0].get_segments()) == 2  # human and market have no interval
    assert _texts(ax, "value-label") == ["62.0", "71.0", "20.0"]
    assert not [p for p in ax.patches if str(p.get_gid()).startswith("band-")]
    _close(ax)


def test_bars_bad_inputs():
    with pytest.raises(ParameterError, match="'score'"):
        plot_pillar_bars(pillar_table().drop(columns="score"))
    with pytest.raises(ParameterError, match="'q95'"):
        plot_pillar_bars(pillar_table().drop(columns="q95"))
    with pytest.raises(ParameterError, match="q05 > q95 for 'infra'"):
        plot_pillar_bars(pillar_table({("infra", "q05"): 90.0}))
    with pytest.raises(ParameterError, match="expected a pandas DataFrame"):
        plot_pillar_bars([1, 2, 3])
    with pytest.raises(ParameterError, match="Series"):
        plot_pillar_bars(pillar_table()["score"])
    with pytest.raises(ParameterError, match="duplicate"):
        plot_pillar_bars(pillar_table().rename(index={"human": "infra"}))


# ----------------------------------------------------------------------------- strengths
def sw_table():
    return pd.DataFrame(
        {
            "flag": ["weakness", "strength", None, "strength", "weakness"],
            "percentile": [12.5, 92.0, 60.0, 44.0, 30.0],
            "rank": [99, 8, 45, 63, 80],
            "name": [
                "Researchers in R&D (per million people)",
                "Internet users (%)",
                "Trade (% of GDP)",
                "New business density",
                "Patents",
            ],
        },
        index=[
            "SP.POP.SCIE.RD.P6",
            "IT.NET.USER.ZS",
            "NE.TRD.GNFS.ZS",
            "IC.BUS.NDNS.ZS",
            "IP.PAT.RESD",
        ],
    )


def test_strengths_weaknesses_diverge_from_the_median_in_flag_order():
    ax = plot_strengths_weaknesses(sw_table(), country="Kenya", n_units=113)
    _labelled(ax, xunit="Percentile rank", yunit="Indicator")
    bars = _bars(ax.containers[0])
    assert [(float(b.get_x()), float(b.get_x() + b.get_width())) for b in bars] == [
        (50.0, 92.0),
        (50.0, 44.0),
        (50.0, 30.0),
        (50.0, 12.5),
    ]
    assert [t.get_text() for t in ax.get_yticklabels()] == [
        "Internet users (%)",
        "New business density",
        "Patents",
        "Researchers in R&D (per million\npeople)",
    ]
    colours = [b.get_facecolor() for b in bars]
    assert colours == [to_rgba(PALETTE["strength"])] * 2 + [to_rgba(PALETTE["weakness"])] * 2
    assert _texts(ax, "value-label") == [
        "92 (rank 8/113)",
        "44 (rank 63/113)",
        "30 (rank 80/113)",
        "12 (rank 99/113)",
    ]
    _close(ax)


def test_strengths_weaknesses_from_ranks_and_missing_percentile():
    t = pd.DataFrame(
        {"flag": ["strength", "weakness", "weakness"], "rank": [1, 6, NAN]}, index=["a", "b", "c"]
    )
    ax = plot_strengths_weaknesses(t, n_units=11)
    ends = [float(b.get_x() + b.get_width()) for b in ax.containers[0]]
    assert ends == [100.0, 50.0, 50.0]  # rank 1/11 -> 100, rank 6/11 -> 50, missing -> no bar
    assert float(ax.containers[0][2].get_width()) == 0.0
    assert "no data" in _texts(ax)
    _close(ax)


def test_strengths_weaknesses_bad_inputs():
    with pytest.raises(ParameterError, match="'flag'"):
        plot_strengths_weaknesses(sw_table().drop(columns="flag"))
    with pytest.raises(ParameterError, match="'percentile'"):
        plot_strengths_weaknesses(sw_table().drop(columns=["percentile", "rank"]))
    with pytest.raises(ParameterError, match="n_units"):
        plot_strengths_weaknesses(sw_table().drop(columns="percentile"))
    bad = sw_table()
    bad.loc["IP.PAT.RESD", "flag"] = "Strength!"
    with pytest.raises(ParameterError, match="Strength!"):
        plot_strengths_weaknesses(bad)
    with pytest.raises(ParameterError, match="outside the 0-100"):
        plot_strengths_weaknesses(sw_table().assign(percentile=[1, 2, 3, 4, 101]))
    with pytest.raises(ParameterError, match="no indicator is flagged"):
        plot_strengths_weaknesses(sw_table().assign(flag=None))


# ----------------------------------------------------------------------------- gaps
def gap_table():
    return pd.DataFrame(
        {
            "peer_median": [12.0, -6.5, NAN],
            "peer_best": [-3.0, -20.0, -8.0],
            "frontier": [-22.5, -31.0, -40.0],
        },
        index=["infra", "human", "finance"],
    )


def test_gaps_one_container_per_reference_coloured_by_sign():
    ax = plot_gaps(gap_table(), country="Kenya")
    _labelled(ax, xunit="normalised points")
    assert "Kenya \u2212 reference" in ax.get_xlabel()
    assert len(ax.containers) == 3
    widths = [[float(b.get_width()) for b in c] for c in ax.containers]
    assert widths == [[12.0, -6.5, 0.0], [-3.0, -20.0, -8.0], [-22.5, -31.0, -40.0]]
    first = list(ax.containers[0])
    assert first[0].get_facecolor() == to_rgba(PALETTE["positive"])
    assert first[1].get_facecolor() == to_rgba(PALETTE["negative"])
    assert [b.get_hatch() for b in (ax.containers[1][0], ax.containers[2][0])] == ["////", "...."]
    assert _texts(ax).count("n/a") == 1  # the missing peer-median gap of finance
    assert "12.0" in _texts(ax, "value-label") and "\u22126.5" in _texts(ax, "value-label")
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert legend == ["Ahead", "Behind", "Peer median", "Peer best", "Regional frontier"]
    lo, hi = ax.get_xlim()
    assert lo < -40.0 and hi > 12.0
    _close(ax)


def test_gaps_selected_reference_and_bad_inputs():
    ax = plot_gaps(gap_table(), references=["frontier"], unit="score points")
    assert len(ax.containers) == 1 and "score points" in ax.get_xlabel()
    _close(ax)
    with pytest.raises(ParameterError, match="peer_median"):
        plot_gaps(pd.DataFrame({"gap": [1.0]}, index=["infra"]))
    with pytest.raises(ParameterError, match="unknown"):
        plot_gaps(gap_table(), references=["median"])
    with pytest.raises(ParameterError, match="'peer_best'"):
        plot_gaps(gap_table().drop(columns="peer_best"), references=["peer_best"])


# ----------------------------------------------------------------------------- rank intervals
def rank_table():
    return pd.DataFrame(
        {
            "nominal": [3, 1, 2, NAN, 4],
            "q05": [2, 1, 1, NAN, 2],
            "q95": [4, 2, 4, NAN, NAN],
            "median": [3, 1, 2, NAN, 4],
            "name": ["Kenya", "Rwanda", "Uganda", "Somalia", "Chad"],
        },
        index=["KEN", "RWA", "UGA", "SOM", "TCD"],
    )


def test_rank_intervals_sorted_with_highlighted_country():
    ax = plot_rank_intervals(rank_table(), country="KEN", highlight=["UGA"])
    _labelled(ax, yunit="1 = best")
    assert "n = 4" in ax.get_xlabel()
    intervals, points = ax.collections[0], ax.collections[1]
    assert [[tuple(p) for p in s] for s in intervals.get_segments()] == [
        [(1, 1), (1, 2)],
        [(2, 1), (2, 4)],
        [(3, 2), (3, 4)],
    ]  # TCD has no interval
    assert points.get_offsets().tolist() == [[1, 1], [2, 2], [3, 3], [4, 4]]
    assert [t.get_text() for t in ax.get_xticklabels()] == ["RWA", "UGA", "KEN", "TCD"]
    hl = [c for c in ax.collections if c.get_gid() == "highlight-KEN"][0]
    assert hl.get_offsets().tolist() == [[3, 3]]
    assert hl.get_facecolor()[0].tolist() == list(to_rgba(PALETTE["highlight"]))
    assert _texts(ax, "unit-label") == ["Kenya: 3 (2\u20134)", "Uganda: 2 (1\u20134)"]
    assert ax.yaxis_inverted()
    assert any("1 unit without a nominal rank" in s for s in _texts(ax))
    _close(ax)


def test_rank_intervals_many_units_have_no_per_unit_ticks_and_bad_inputs():
    n = 60
    r = pd.DataFrame(
        {
            "nominal": np.arange(1, n + 1),
            "q05": np.arange(1, n + 1),
            "q95": np.arange(1, n + 1) + 3,
        },
        index=[f"U{i:02d}" for i in range(n)],
    )
    ax = plot_rank_intervals(r, country="U10")
    assert len(ax.get_xticks()) < 15
    assert len(ax.collections[0].get_segments()) == n
    _close(ax)
    with pytest.raises(ParameterError, match="'q95'"):
        plot_rank_intervals(rank_table().drop(columns="q95"))
    with pytest.raises(UnknownCountryError, match="KEM.*KEN"):
        plot_rank_intervals(rank_table(), country="KEM")
    with pytest.raises(ParameterError, match="q05 > q95 for 'KEN'"):
        plot_rank_intervals(rank_table().assign(q05=[5, 1, 1, NAN, 2]))
    with pytest.raises(ParameterError, match="outside"):
        plot_rank_intervals(rank_table().assign(nominal=[0, 1, 2, 3, 4]))


# ----------------------------------------------------------------------------- index vs GDP
def gdp_table():
    # OLS on log10(GDP) = 3, 4, 5, 4 and score 20, 40, 60, 30: slope 20, intercept -42.5,
    # residuals 2.5, 2.5, 2.5, -7.5; R^2 = 1 - 75/875 = 0.914
    return pd.DataFrame(
        {"score": [20.0, 40.0, 60.0, 30.0, NAN], "gdp_per_capita": [1e3, 1e4, 1e5, 1e4, 5e3]},
        index=["AAA", "BBB", "CCC", "DDD", "EEE"],
    )


def test_index_vs_gdp_fit_labels_and_country():
    ax = plot_index_vs_gdp(gdp_table(), country="BBB", n_label=1)
    _labelled(ax, xunit="log scale", yunit="(0\u2013100)")
    assert ax.get_xscale() == "log" and "GDP per capita" in ax.get_xlabel()
    assert ax.collections[0].get_offsets().tolist() == [
        [1e3, 20.0],
        [1e4, 40.0],
        [1e5, 60.0],
        [1e4, 30.0],
    ]  # EEE (no score) not drawn
    line = ax.lines[0]
    x, y = line.get_xdata(), line.get_ydata()
    np.testing.assert_allclose(y, -42.5 + 20.0 * np.log10(x))
    assert "R\u00b2 = 0.91" in line.get_label()
    # over-performer: largest residual (ties -> last in table order: CCC); under: DDD
    assert _texts(ax, "unit-label") == ["CCC", "DDD", "BBB"]
    hl = [c for c in ax.collections if c.get_gid() == "highlight-BBB"][0]
    assert hl.get_offsets().tolist() == [[1e4, 40.0]]
    assert any("1 unit without score or GDP" in s for s in _texts(ax))
    assert ax.get_ylabel() == "Index score (0\u2013100)"
    _close(ax)
    ax = plot_index_vs_gdp(gdp_table(), index_name="DII")  # an acronym keeps its capitals
    assert ax.get_ylabel() == "DII score (0\u2013100)"
    assert ax.get_title(loc="left") == "DII vs GDP per capita"
    _close(ax)


def test_index_vs_gdp_given_fit_and_bad_inputs():
    ax = plot_index_vs_gdp(gdp_table(), fit=(0.0, 10.0), n_label=0, labels={"AAA": "Alpha"})
    line = ax.lines[0]
    np.testing.assert_allclose(line.get_ydata(), 10.0 * np.log10(line.get_xdata()))
    assert _texts(ax, "unit-label") == []
    _close(ax)
    with pytest.raises(ParameterError, match="gdp_per_capita"):
        plot_index_vs_gdp(gdp_table().drop(columns="gdp_per_capita"))
    with pytest.raises(ParameterError, match="must be > 0.*'AAA'=0"):
        plot_index_vs_gdp(gdp_table().assign(gdp_per_capita=[0.0, 1e4, 1e5, 1e4, 1e3]))
    with pytest.raises(ParameterError, match="at least 3 complete units"):
        plot_index_vs_gdp(gdp_table().iloc[:2])
    with pytest.raises(UnknownCountryError):
        plot_index_vs_gdp(gdp_table(), country="ZZZ")


# ----------------------------------------------------------------------------- groups
def group_table():
    return pd.DataFrame(
        {
            "group": ["AFR", "AFR", "AFR", "EUR", "EUR", None, "ASP"],
            "score": [20.0, 30.0, NAN, 70.0, 80.0, 50.0, 45.0],
        },
        index=["KEN", "RWA", "SOM", "FRA", "DEU", "XKX", "IND"],
    )


def test_group_distributions_points_boxes_and_country():
    ax = plot_group_distributions(
        group_table(), country="RWA", group_labels={"AFR": "Africa", "EUR": "Europe"}
    )
    _labelled(ax, xunit="Group", yunit="Score (0\u2013100)")
    pts = ax.collections[0].get_offsets()
    # order by median: EUR (75), ASP (45), AFR (25); SOM (NaN) and XKX (no group) not drawn
    assert pts[:, 1].tolist() == [70.0, 80.0, 45.0, 20.0, 30.0]
    assert np.all(np.abs(pts[:, 0] - np.array([0, 0, 1, 2, 2])) <= 0.18)
    assert [t.get_text() for t in ax.get_xticklabels()] == [
        "Europe\nn = 2",
        "ASP\nn = 1",
        "Africa\nn = 2, 1 missing",
    ]
    hl = [c for c in ax.collections if c.get_gid() == "highlight-RWA"][0]
    assert hl.get_offsets().tolist() == [[2.0, 30.0]]
    assert any("1 unit without a group" in s for s in _texts(ax))
    medians = [ln.get_ydata()[0] for ln in ax.lines if ln.get_color() == PALETTE["country"]]
    assert medians == [75.0, 45.0, 25.0]
    # reproducible jitter
    ax2 = plot_group_distributions(group_table())
    np.testing.assert_array_equal(ax2.collections[0].get_offsets(), pts)
    _close(ax)
    _close(ax2)


def test_group_distributions_order_and_bad_inputs():
    ax = plot_group_distributions(group_table(), order=["AFR", "EUR"])
    assert ax.collections[0].get_offsets()[:, 1].tolist() == [20.0, 30.0, 70.0, 80.0]
    assert any("1 in groups not shown" in s for s in _texts(ax))
    _close(ax)
    with pytest.raises(ParameterError, match="'group'"):
        plot_group_distributions(group_table().drop(columns="group"))
    with pytest.raises(ParameterError, match="'value_x'"):
        plot_group_distributions(group_table(), value="value_x")
    with pytest.raises(ParameterError, match="groups without units"):
        plot_group_distributions(group_table(), order=["AMS"])
    with pytest.raises(UnknownCountryError):
        plot_group_distributions(group_table(), country="FRX")


# ----------------------------------------------------------------------------- heatmap
def test_pillar_heatmap_values_missing_cells_and_labels():
    s = pd.DataFrame(
        {
            "infra": [80.0, 35.0, 5.0],
            "human": [NAN, 52.0, 99.0],
            "name": ["Europe", "Africa", "Asia"],
        },
        index=["EUR", "AFR", "ASP"],
    )
    ax = plot_pillar_heatmap(s, labels={"infra": "Infrastructure & connectivity"})
    _labelled(ax, xunit="0\u2013100")
    img = ax.images[0].get_array()
    assert img.shape == (3, 2)
    assert img.mask.tolist() == [[False, True], [False, False], [False, False]]
    assert img.filled(-1).tolist() == [[80, -1], [35, 52], [5, 99]]
    assert _texts(ax, "cell-value") == ["80", "35", "52", "5", "99"]
    assert len([p for p in ax.patches if p.get_gid() == "cell-missing"]) == 1
    assert [t.get_text() for t in ax.get_yticklabels()] == ["Europe", "Africa", "Asia"]
    assert ax.get_xticklabels()[0].get_text() == "Infrastructure\n& connectivity"
    assert ax.images[0].norm.vmin == 0 and ax.images[0].norm.vmax == 100
    cbar_axes = [a for a in ax.figure.axes if a is not ax]
    assert "Score (0\u2013100)" in cbar_axes[0].get_ylabel()
    # text contrast: dark text on light cells, white on dark cells
    colours = {t.get_text(): t.get_color() for t in ax.texts if t.get_gid() == "cell-value"}
    assert colours["5"] != colours["99"]
    _close(ax)


def test_pillar_heatmap_bad_inputs():
    with pytest.raises(ParameterError, match="outside the 0-100"):
        plot_pillar_heatmap(pd.DataFrame({"infra": [101.0]}, index=["A"]))
    with pytest.raises(ParameterError, match="column 'human' must be numeric"):
        plot_pillar_heatmap(pd.DataFrame({"infra": [1.0], "human": ["x"]}, index=["A"]))
    with pytest.raises(ParameterError, match="no pillar column"):
        plot_pillar_heatmap(pd.DataFrame({"name": ["x"]}, index=["A"]))


# ----------------------------------------------------------------------------- trends
def trend_table():
    return pd.DataFrame(
        {
            "value": [40.0, 41.5, NAN, 44.0],
            "group_median": [38.0, 39.0, 39.5, 40.0],
            "group_q25": [30.0, 31.0, 31.0, 32.0],
            "group_q75": [46.0, 47.0, 47.0, 48.0],
            "data_year": [2018, 2018, NAN, 2021],
        },
        index=[2018, 2019, 2020, 2021],
    )


def test_trends_lines_and_hollow_markers_for_older_data_years():
    ax = plot_trends(trend_table(), country="Kenya", group_label="Africa median")
    _labelled(ax, xunit="year", yunit="Score (0\u2013100)")
    line = ax.lines[0]
    assert line.get_xdata().tolist() == [2018, 2019, 2020, 2021]
    y = line.get_ydata()
    assert y[:2].tolist() == [40.0, 41.5] and np.isnan(y[2]) and y[3] == 44.0
    assert ax.lines[1].get_ydata().tolist() == [38.0, 39.0, 39.5, 40.0]
    filled, hollow = [
        c
        for c in ax.collections
        if c.get_offsets().shape[1] == 2 and len(c.get_offsets()) and c.get_gid() is None
    ][-2:]
    assert filled.get_offsets().tolist() == [[2018, 40.0], [2021, 44.0]]
    assert hollow.get_offsets().tolist() == [[2019, 41.5]]
    assert tuple(hollow.get_facecolor()[0]) == to_rgba("white")
    assert _texts(ax, "data-year-label") == ["data 2018"]
    assert any("No Kenya value for 2020" in s for s in _texts(ax))
    legend = [t.get_text() for t in ax.get_legend().get_texts()]
    assert "Value from an older data year" in legend and "Africa median" in legend
    _close(ax)


def test_trends_rank_axis_is_inverted_and_bad_inputs():
    r = pd.DataFrame({"value": [80, 75, 70]}, index=[2021, 2023, 2022])
    ax = plot_trends(r, measure="rank")
    assert ax.yaxis_inverted() and "1 = best" in ax.get_ylabel()
    assert ax.lines[0].get_xdata().tolist() == [2021, 2022, 2023]  # sorted by year
    assert ax.lines[0].get_ydata().tolist() == [80, 70, 75]
    _close(ax)
    with pytest.raises(ParameterError, match="'value'"):
        plot_trends(trend_table().drop(columns="value"))
    with pytest.raises(ParameterError, match="after its reference year"):
        plot_trends(trend_table().assign(data_year=[2019, 2019, NAN, 2021]))
    with pytest.raises(ParameterError, match="whole years"):
        plot_trends(trend_table().set_axis([2018.5, 2019, 2020, 2021]))
    with pytest.raises(ParameterError, match="'group_q75'"):
        plot_trends(trend_table().drop(columns="group_q75"))
    with pytest.raises(ParameterError, match="measure"):
        plot_trends(trend_table(), measure="level")


# ----------------------------------------------------------------------------- rating grid
def ratings_long():
    return pd.DataFrame(
        {
            "iso3": ["KEN", "KEN", "KEN", "RWA"],
            "stakeholder": ["academia", "financing", "public_sector", "academia"],
            "enabler": [
                "talent_champions",
                "capital_resources",
                "policy_regulation",
                "vision_strategy",
            ],
            "rating": [4.0, 2.5, 1.0, 3.0],
        }
    )


def test_rating_grid_long_input_full_grid_with_missing_cells():
    ax = plot_rating_grid(ratings_long(), iso3="KEN", country="Kenya")
    _labelled(ax, xunit="rating 1\u20135", yunit="Stakeholder")
    img = ax.images[0].get_array()
    assert img.shape == (len(STAKEHOLDERS), len(ENABLERS)) == (6, 7)
    s, e = list(STAKEHOLDERS), list(ENABLERS)
    assert img[s.index("academia"), e.index("talent_champions")] == 4.0
    assert img[s.index("financing"), e.index("capital_resources")] == 2.5
    assert int(img.mask.sum()) == 42 - 3
    assert _texts(ax, "cell-value") == ["4.0", "2.5", "1.0"]
    assert len([p for p in ax.patches if p.get_gid() == "cell-missing"]) == 39
    assert [t.get_text() for t in ax.get_yticklabels()][2] == (
        "Entrepreneurship\nsupport organisations"
    )
    assert ax.get_xticklabels()[0].get_text() == "Vision &\nStrategy"
    cbar = [a for a in ax.figure.axes if a is not ax][0]
    assert "hatched = no rating (39 of 42 cells)" in cbar.get_xlabel()
    assert ax.images[0].norm.vmin == 1 and ax.images[0].norm.vmax == 5
    _close(ax)


def test_rating_grid_wide_input_matches_long_input():
    wide = pd.DataFrame(
        {"talent_champions": [4.0, NAN], "capital_resources": [NAN, 2.5]},
        index=["academia", "financing"],
    )
    a1 = plot_rating_grid(wide)
    a2 = plot_rating_grid(ratings_long().iloc[:2].drop(columns="iso3"))
    np.testing.assert_array_equal(
        a1.images[0].get_array().filled(np.nan), a2.images[0].get_array().filled(np.nan)
    )
    _close(a1)
    _close(a2)


def test_rating_grid_bad_inputs():
    with pytest.raises(ParameterError, match="several iso3"):
        plot_rating_grid(ratings_long())
    with pytest.raises(ParameterError, match="'rating'"):
        plot_rating_grid(ratings_long().drop(columns="rating"))
    bad = ratings_long().replace({"financing": "finance"})
    with pytest.raises(ParameterError, match="'finance' \\(did you mean financing"):
        plot_rating_grid(bad, iso3="KEN")
    dup = pd.concat([ratings_long(), ratings_long().iloc[:1]])
    with pytest.raises(ParameterError, match="several ratings for the same cell"):
        plot_rating_grid(dup, iso3="KEN")
    with pytest.raises(ParameterError, match="outside the 1-5"):
        plot_rating_grid(ratings_long().assign(rating=[4.0, 6.0, 1.0, 3.0]), iso3="KEN")
    with pytest.raises(ParameterError, match="'XXX' not in the ratings"):
        plot_rating_grid(ratings_long(), iso3="XXX")
    with pytest.raises(ParameterError, match="unknown enabler code"):
        plot_rating_grid(pd.DataFrame({"vision": [3.0]}, index=["academia"]))


# ----------------------------------------------------------------------------- style
def test_no_global_style_change_on_import_or_plot():
    before = dict(mpl.rcParams)
    import innolab.plots._common as common

    importlib.reload(common)
    assert dict(mpl.rcParams) == before
    ax = plot_pillar_bars(pillar_table())
    assert dict(mpl.rcParams) == before
    # the style was in force while drawing
    assert ax.title.get_fontweight() == "bold" and ax.figure.get_size_inches().tolist() == [
        8.0,
        4.5,
    ]
    assert ax.get_yticklabels()[0].get_fontsize() == STYLE["ytick.labelsize"]
    _close(ax)


def test_apply_style_and_plot_style():
    with mpl.rc_context():
        apply_style(font__size=12)
        assert mpl.rcParams["font.size"] == 12
        assert mpl.rcParams["axes.spines.top"] is False
    with plot_style():
        assert mpl.rcParams["axes.prop_cycle"].by_key()["color"] == list(OKABE_ITO)


def test_palette_is_okabe_ito_or_grey():
    for role in (
        "country",
        "peer",
        "frontier",
        "positive",
        "negative",
        "strength",
        "weakness",
        "highlight",
    ):
        assert PALETTE[role] in OKABE_ITO, role
    assert PALETTE["positive"] != PALETTE["negative"]
    assert len({PALETTE["country"], PALETTE["peer"], PALETTE["frontier"]}) == 3


@pytest.mark.parametrize(
    ("label", "width", "lines", "expected"),
    [
        ("Finance & investment", 30, 2, "Finance & investment"),
        ("Infrastructure & connectivity", 16, 2, "Infrastructure &\nconnectivity"),
        (
            "Account ownership at a financial institution or with a mobile-money-service provider",
            20,
            2,
            "Account ownership at\na financial…",
        ),
        ("X" * 50, 10, 1, "XXXXXXXXX…"),
        ("  spaced   out  ", 20, 1, "spaced out"),
    ],
)
def test_wrap_label(label, width, lines, expected):
    out = wrap_label(label, width, lines)
    assert out == expected
    assert out.count("\n") < lines


# ----------------------------------------------------------------------------- rendering
def _all_figures():
    rng = np.random.default_rng(0)
    yield "radar", plot_pillar_radar(pillar_table({("finance", "score"): NAN}), country="Kenya")
    yield "bars", plot_pillar_bars(pillar_table({("finance", "score"): NAN}), country="Kenya")
    yield "strengths", plot_strengths_weaknesses(sw_table(), n_units=113)
    yield "gaps", plot_gaps(gap_table())
    yield "ranks", plot_rank_intervals(rank_table(), country="KEN")
    yield "gdp", plot_index_vs_gdp(gdp_table(), country="DDD")
    yield "groups", plot_group_distributions(group_table(), country="KEN")
    yield (
        "heatmap",
        plot_pillar_heatmap(
            pd.DataFrame(rng.uniform(0, 100, (5, 4)), columns=PILLARS, index=list("ABCDE"))
        ),
    )
    yield "trends", plot_trends(trend_table())
    yield "grid", plot_rating_grid(ratings_long(), iso3="KEN")


def test_every_figure_renders_to_png(tmp_path):
    names = []
    for name, ax in _all_figures():
        path = tmp_path / f"{name}.png"
        ax.figure.savefig(path, dpi=100)
        img = plt.imread(path)
        assert img.shape[0] >= 300 and img.shape[1] == 800, (name, img.shape)
        assert img[..., :3].std() > 0.05, f"{name} looks blank"
        # nothing drawn outside the figure (labels, legends, notes all inside the canvas)
        tight = ax.figure.get_tightbbox(ax.figure.canvas.get_renderer())
        w, h = ax.figure.get_size_inches()
        assert tight.x0 >= -0.02 and tight.y0 >= -0.02, (name, tight)
        assert tight.x1 <= w + 0.02 and tight.y1 <= h + 0.02, (name, tight)
        names.append(name)
        plt.close(ax.figure)
    assert len(names) == 10


# ----------------------------------------------------------------------------- properties
scores_st = st.lists(st.one_of(st.floats(0, 100), st.just(NAN)), min_size=3, max_size=8)


@settings(max_examples=15, deadline=None)
@given(scores_st)
def test_property_bars_and_radar_show_each_finite_score_and_never_a_missing_one(scores):
    t = pd.DataFrame(
        {"score": scores, "peer_median": [50.0] * len(scores)},
        index=[f"p{i}" for i in range(len(scores))],
    )
    s = np.asarray(scores, dtype=float)
    ax = plot_pillar_bars(t, bands=False)
    widths = np.array([float(b.get_width()) for b in ax.containers[0]])
    np.testing.assert_array_equal(widths[np.isfinite(s)], s[np.isfinite(s)])
    assert _texts(ax).count("no data") == int(np.isnan(s).sum())
    assert len(_texts(ax, "value-label")) == int(np.isfinite(s).sum())
    _close(ax)
    ax = plot_pillar_radar(t)
    y = np.asarray(ax.lines[0].get_ydata(), dtype=float)[:-1]
    np.testing.assert_array_equal(np.isnan(y), np.isnan(s))
    np.testing.assert_array_equal(y[np.isfinite(s)], s[np.isfinite(s)])
    _close(ax)


def test_rank_intervals_notes_an_unranked_country():
    ax = plot_rank_intervals(rank_table(), country="SOM")
    assert any("(including SOM)" in s for s in _texts(ax))
    assert _texts(ax, "unit-label") == []
    _close(ax)


# ----------------------------------------------------------------------------- rendering
def _png_header(png: bytes) -> tuple[int, int, int]:
    """(width, height, PNG colour type) of a PNG file."""
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    return int.from_bytes(png[16:20], "big"), int.from_bytes(png[20:24], "big"), png[25]


def test_render_png_draws_once_at_figure_size_with_a_small_palette():
    from innolab.plots import render_png

    ax = plot_pillar_bars(pillar_table(), country="Kenya")
    fig = ax.figure
    png = render_png(ax)
    assert _png_header(png)[:2] == (800, 450)  # FIGSIZE at 100 dpi, nothing cropped away
    assert _png_header(png)[2] == 3  # palette image (compact)
    assert plt.fignum_exists(fig.number)  # left open: the caller closes it
    rgb = render_png(fig, colors=None)
    assert _png_header(rgb) == (800, 450, 2) and len(rgb) > len(png)
    plt.close(fig)


def test_render_png_never_cuts_off_what_reaches_past_the_figure():
    from innolab.plots import render_png

    fig, ax = plt.subplots(figsize=(3, 2), dpi=50, layout="constrained")
    ax.plot([0, 1], [0, 1])
    ax.text(1.3, 0.5, "far to the right", transform=ax.transAxes)  # outside the canvas
    width, height, _ = _png_header(render_png(fig))
    assert width > 150 and height >= 90  # the tight box grew past 150 x 100 px
    plt.close(fig)


def test_render_png_sees_any_artist_that_crosses_the_edge():
    """Not only texts and legends: a patch drawn past the edge leaves ink in the image frame."""
    from matplotlib.patches import Rectangle

    from innolab.plots import render_png

    fig, ax = plt.subplots(figsize=(3, 2), dpi=100, layout="constrained")
    ax.plot([0, 1], [0, 1])
    width, height, _ = _png_header(render_png(fig))
    assert (width, height) == (300, 200)  # nothing outside: drawn once, at figure size
    bar = Rectangle((0.5, 0.5), 2.0, 0.2, transform=ax.transAxes, clip_on=False)
    ax.add_patch(bar).set_in_layout(False)  # an artist constrained layout makes no room for
    width, height, _ = _png_header(render_png(fig))
    assert (width, height) != (300, 200)  # seen: drawn again into a measured (tight) box
    plt.close(fig)


def test_long_titles_are_wrapped_to_fit_beside_long_tick_labels():
    from innolab.plots import render_png
    from innolab.plots._common import fit_title

    table = pillar_table()
    long = "Republic of Somewhere Quite Long: strengths, weaknesses and everything, 2023"
    ax = plot_pillar_bars(table, country="X", title=long)
    assert ax.get_title(loc="left").replace("\n", " ") == long
    assert "\n" in ax.get_title(loc="left")
    width, height, _ = _png_header(render_png(ax))
    assert (width, height) == (800, 450)  # fits: no tight-box fallback needed
    plt.close(ax.figure)
    ax = plot_pillar_bars(table, country="X", title="Short title")
    assert ax.get_title(loc="left") == "Short title" == fit_title(ax, "Short title")
    plt.close(ax.figure)


# ----------------------------------------------------------------------------- point labels
def test_label_point_leader_runs_from_near_the_point_to_the_text_corner():
    """Hand-computed geometry at 72 dpi (1 point = 1 pixel): point at display (x, y), text
    anchored 30 pt right and 40 pt up (its bottom-left corner there), leader from 2 pt along
    the 3-4-5 direction to that corner."""
    from matplotlib.text import Text

    from innolab.plots._common import label_point

    fig = plt.figure(figsize=(4, 3), dpi=72)
    ax = fig.add_subplot()
    ax.set_xlim(0, 10)
    ax.set_ylim(0, 10)
    ann = label_point(
        ax, "label", (5.0, 5.0), (30, 40), ha="left", va="bottom", line_color="k", line_width=1
    )
    fig.canvas.draw()
    renderer = fig.canvas.get_renderer()
    px, py = ax.transData.transform((5.0, 5.0))
    text_box = Text.get_window_extent(ann, renderer)  # the text alone, not its leader
    np.testing.assert_allclose((text_box.x0, text_box.y0), (px + 30, py + 40), atol=1e-6)
    path = ann.arrow_patch.get_path()  # display coordinates once drawn
    start, end = path.vertices[0], path.vertices[-1]
    np.testing.assert_allclose(start, (px + 30, py + 40), atol=1e-6)  # the text's corner
    np.testing.assert_allclose(end, (px + 2 * 0.6, py + 2 * 0.8), atol=1e-6)  # 2 pt off
    # ha/va right/top put the corner (and the leader's end) at the text's top-right
    ann2 = label_point(
        ax, "other", (2.0, 8.0), (-12, -5), ha="right", va="top", line_color="k", line_width=1
    )
    fig.canvas.draw()
    qx, qy = ax.transData.transform((2.0, 8.0))
    box2 = Text.get_window_extent(ann2, renderer)
    np.testing.assert_allclose((box2.x1, box2.y1), (qx - 12, qy - 5), atol=1e-6)
    np.testing.assert_allclose(
        ann2.arrow_patch.get_path().vertices[0], (qx - 12, qy - 5), atol=1e-6
    )
    plt.close(fig)
