"""Country-profile charts: pillar radar, pillar bars with intervals, strengths and weaknesses, gaps.

Each function takes one tidy table that an analysis step produces for one country (rows are
pillar or indicator codes) and returns the Axes it drew on.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence

import matplotlib.transforms as mtransforms
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Patch

from ..ecosystem import MATURITY_BANDS
from ..errors import ParameterError
from ._common import (
    PALETTE,
    add_note,
    check_frame,
    check_limits,
    check_range,
    display_labels,
    finish,
    fmt_num,
    new_axes,
    styled,
    values,
    wrap_label,
)

__all__ = ["plot_pillar_radar", "plot_pillar_bars", "plot_strengths_weaknesses", "plot_gaps"]

#: characters per line of a country's legend entry (radar, bars): longer names wrap, at most
#: 3 lines, so the legend beside the Axes does not squeeze the chart or leave the figure
LEGEND_WIDTH = 24

#: gap reference columns, in drawing order, with their legend labels and hatch patterns
GAP_REFERENCES: dict[str, tuple[str, str]] = {
    "peer_median": ("Peer median", ""),
    "peer_best": ("Peer best", "////"),
    "frontier": ("Regional frontier", "...."),
    "target": ("Target", "xx"),
}


def _score_label(limits: tuple[float, float]) -> str:
    return f"Score ({limits[0]:g}\u2013{limits[1]:g})"


# ----------------------------------------------------------------------------- radar
@styled
def plot_pillar_radar(
    scores: pd.DataFrame,
    *,
    country: str = "Country",
    peer_label: str = "Peer median",
    frontier_label: str = "Frontier",
    labels: Mapping[str, str] | None = None,
    limits: tuple[float, float] = (0.0, 100.0),
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Radar (spider) chart of a country's pillar scores against its peers' median.

    Pillars are spokes (clockwise from the top, in row order); the country is a filled blue
    polygon, the peer median an orange dashed outline and, when the table has it, the frontier
    (best score among peers or in the region) a green dotted outline.

    Parameters
    ----------
    scores : DataFrame
        One row per pillar, indexed by pillar code (row order = spoke order). Columns:

        - ``score`` (required): the country's pillar score on ``limits`` (default 0-100);
        - ``peer_median`` (required): median pillar score of the peer set, same scale;
        - ``frontier`` (optional): frontier score, same scale;
        - ``name`` (optional): pillar display name (else ``labels`` or the code).
    country, peer_label, frontier_label : str
        Legend entries.
    labels : mapping, optional
        Pillar code -> display name (overrides the ``name`` column); long names are wrapped.
    limits : (float, float)
        The score scale; values outside it raise (no silent clipping).
    ax : polar Axes, optional
        Draw here (must have ``projection="polar"``); a new report-size figure otherwise.
    title : str, optional
        Default ``"<country>: pillar scores vs peer median"``.

    Returns
    -------
    matplotlib.axes.Axes
        The polar Axes. The country, peer and frontier outlines are its first lines, each
        closed (the first value repeated at the end), with NaN where a pillar is missing.

    Raises
    ------
    ParameterError
        Missing column, non-numeric or out-of-scale values, fewer than 3 pillars, a
        Cartesian ``ax``.

    Notes
    -----
    A missing pillar score (NaN) is shown as missing: the outline is broken at that spoke, the
    polygon is not filled and the spoke label says "(no data)". It is never drawn at zero.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"score": [60, 40, 75], "peer_median": [50, 50, 50]},
    ...                  index=["infra", "human", "policy"])
    >>> ax = plot_pillar_radar(t, country="Kenya")
    >>> ax.lines[0].get_ydata().tolist()
    [60.0, 40.0, 75.0, 60.0]
    >>> plt.close(ax.figure)
    """
    t = check_frame(scores, "scores", ["score", "peer_median"], optional=["frontier"])
    limits = check_limits(limits)
    if len(t) < 3:
        raise ParameterError("scores", f"a radar needs at least 3 pillars, got {len(t)}")
    codes = list(t.index)
    # the legend sits right of the circle and its right-hand spoke labels; a fixed-aspect polar
    # Axes cannot be narrowed to make room, so long names are wrapped instead of pushing the
    # legend past the figure edge ("Median, Lower middle income peers" did, by 8 px)
    key = functools.partial(wrap_label, width=LEGEND_WIDTH, max_lines=3)
    series = [("score", key(country), PALETTE["country"], "-", "o", 0.22)]
    series.append(("peer_median", key(peer_label), PALETTE["peer"], "--", "s", 0.0))
    if "frontier" in t.columns:
        series.append(("frontier", key(frontier_label), PALETTE["frontier"], ":", "^", 0.0))
    data = {}
    for col, *_ in series:
        data[col] = values(t, col)
        check_range(data[col], codes, "scores", col, limits)

    ax = new_axes(ax, polar=True)
    n = len(codes)
    theta = np.linspace(0.0, 2 * np.pi, n, endpoint=False)
    closed = np.append(theta, theta[0])
    ax.set_theta_offset(np.pi / 2)
    ax.set_theta_direction(-1)
    for col, label, colour, ls, marker, alpha in series:
        v = data[col]
        vc = np.append(v, v[0])
        ax.plot(
            closed,
            vc,
            color=colour,
            linestyle=ls,
            marker=marker,
            markersize=4,
            linewidth=2.0 if col == "score" else 1.5,
            label=label,
            zorder=3 if alpha else 2,
        )
        if alpha and np.isfinite(v).all():
            ax.fill(closed, vc, color=colour, alpha=alpha, zorder=1)
    missing = ~np.isfinite(data["score"])
    names = display_labels(codes, t, labels, width=18, max_lines=2)
    names = [f"{s}\n(no data)" if m else s for s, m in zip(names, missing, strict=True)]
    ax.set_xticks(theta)
    ax.set_xticklabels(names, fontsize=9)
    ax.tick_params(axis="x", pad=10)
    lo, hi = limits
    ax.set_ylim(lo, hi)
    ax.set_yticks(np.linspace(lo, hi, 6)[1:])
    ax.set_yticklabels([f"{x:g}" for x in np.linspace(lo, hi, 6)[1:]], fontsize=7, color="#666666")
    ax.set_rlabel_position(180 / n)
    ax.grid(True, color="#D0D0D0", linewidth=0.6)
    ax.spines["polar"].set_color("#BBBBBB")
    ax.set_xlabel("")
    ax.set_ylabel("")
    ax.legend(
        loc="upper left", bbox_to_anchor=(1.3, 1.02), title=_score_label(limits), title_fontsize=9
    )
    if missing.any():
        plain = display_labels(codes, t, labels, width=60, max_lines=1)
        add_note(ax, "No data: " + ", ".join(p for p, m in zip(plain, missing, strict=True) if m))
    finish(ax, title if title is not None else f"{country}: pillar scores vs {peer_label.lower()}")
    ax.tick_params(axis="x", labelsize=9)
    ax.tick_params(axis="y", labelsize=7)
    return ax


# ----------------------------------------------------------------------------- maturity bands
#: points by which every other maturity-band label is raised above the Axes (two rows)
BAND_LABEL_STEP = 9.0


def _shade_bands(ax: Axes, limits: tuple[float, float], *, axis: str = "x") -> None:
    """Alternating grey spans for the maturity bands, each labelled at the top of the axes.

    The labels alternate between two rows: a band is a fifth of the Axes, and on a chart
    narrowed by long pillar names "developing" and "established" ran into each other."""
    lo, hi = limits
    span = hi - lo
    for i, (label, a, b) in enumerate(MATURITY_BANDS):
        x0, x1 = lo + a / 100.0 * span, lo + b / 100.0 * span
        colour = PALETTE["band"] if i % 2 == 0 else PALETTE["band_alt"]
        if axis == "x":
            ax.axvspan(x0, x1, color=colour, zorder=0, linewidth=0, gid=f"band-{label}")
            tr = mtransforms.blended_transform_factory(ax.transData, ax.transAxes)
            if i % 2:
                tr = mtransforms.offset_copy(tr, fig=ax.figure, y=BAND_LABEL_STEP, units="points")
            ax.text(
                (x0 + x1) / 2,
                1.0,
                label,
                transform=tr,
                ha="center",
                va="bottom",
                fontsize=8,
                color="#555555",
                style="italic",
                gid="band-label",
            )
        else:
            ax.axhspan(x0, x1, color=colour, zorder=0, linewidth=0, gid=f"band-{label}")
            tr = mtransforms.blended_transform_factory(ax.transAxes, ax.transData)
            ax.text(
                1.0,
                (x0 + x1) / 2,
                f" {label}",
                transform=tr,
                ha="left",
                va="center",
                fontsize=8,
                color="#555555",
                style="italic",
                gid="band-label",
            )


# ----------------------------------------------------------------------------- pillar bars
@styled
def plot_pillar_bars(
    scores: pd.DataFrame,
    *,
    country: str = "Country",
    labels: Mapping[str, str] | None = None,
    limits: tuple[float, float] = (0.0, 100.0),
    bands: bool = True,
    annotate: bool = True,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Horizontal bars of pillar scores with their 5-95% uncertainty interval and maturity bands.

    Parameters
    ----------
    scores : DataFrame
        One row per pillar, indexed by pillar code (drawn top to bottom in row order). Columns:

        - ``score`` (required): nominal pillar score on ``limits`` (default 0-100);
        - ``q05``, ``q95`` (optional, together): 5th and 95th percentile of the score over the
          Monte Carlo replications (uncertainty analysis), same scale;
        - ``peer_median`` (optional): drawn as an orange diamond per pillar;
        - ``name`` (optional): display name.
    country : str
        Used in the default title.
    labels : mapping, optional
        Pillar code -> display name.
    limits : (float, float)
        Score scale; out-of-scale values raise.
    bands : bool
        Shade the maturity bands of :data:`innolab.ecosystem.MATURITY_BANDS` (nascent ...
        mature; mapped linearly onto ``limits``) behind the bars.
    annotate : bool
        Write each score at the end of its bar.
    ax : Axes, optional
    title : str, optional
        Default ``"<country>: pillar scores with 5-95% intervals"``.

    Returns
    -------
    matplotlib.axes.Axes
        Bars are the Axes' first patches (``ax.containers[0]``), one per pillar in row order;
        bar width = score (0 for a missing pillar, which is labelled "no data" instead).

    Raises
    ------
    ParameterError
        Missing ``score`` column, only one of ``q05``/``q95``, ``q05 > q95``, non-numeric or
        out-of-scale values.

    Notes
    -----
    The nominal score may fall outside its Monte Carlo interval (the interval describes the
    distribution under alternative assumptions); the error bar is then drawn one-sided. A pillar
    with a score but no interval gets no error bar.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"score": [62.0, 35.5], "q05": [55.0, 30.0], "q95": [70.0, 41.0]},
    ...                  index=["infra", "human"])
    >>> ax = plot_pillar_bars(t)
    >>> [float(b.get_width()) for b in ax.containers[0]]
    [62.0, 35.5]
    >>> plt.close(ax.figure)
    """
    t = check_frame(scores, "scores", ["score"], optional=["q05", "q95", "peer_median"])
    limits = check_limits(limits)
    has_q = [c in t.columns for c in ("q05", "q95")]
    if any(has_q) and not all(has_q):
        miss = "q95" if has_q[0] else "q05"
        raise ParameterError("scores", f"missing column {miss!r}: q05 and q95 come together")
    codes = list(t.index)
    s = values(t, "score")
    check_range(s, codes, "scores", "score", limits)
    q05 = q95 = None
    if all(has_q):
        q05, q95 = values(t, "q05"), values(t, "q95")
        check_range(q05, codes, "scores", "q05", limits)
        check_range(q95, codes, "scores", "q95", limits)
        inverted = np.flatnonzero(q05 > q95)
        if inverted.size:
            raise ParameterError(
                "scores", f"q05 > q95 for {', '.join(repr(codes[i]) for i in inverted[:5])}"
            )

    ax = new_axes(ax)
    y = np.arange(len(codes))
    missing = ~np.isfinite(s)
    ax.barh(
        y,
        np.where(missing, 0.0, s),
        height=0.6,
        color=PALETTE["country"],
        edgecolor="white",
        label=wrap_label(f"{country} score", width=LEGEND_WIDTH, max_lines=3),
        zorder=2,
    )
    if q05 is not None:
        ok = np.isfinite(s) & np.isfinite(q05) & np.isfinite(q95)
        lower = np.clip(s - q05, 0.0, None)
        upper = np.clip(q95 - s, 0.0, None)
        ax.errorbar(
            s[ok],
            y[ok],
            xerr=np.vstack([lower[ok], upper[ok]]),
            fmt="none",
            ecolor=PALETTE["text"],
            elinewidth=1.2,
            capsize=4,
            zorder=4,
            label="5\u201395% interval",
        )
    pm = np.full(len(codes), np.nan)
    if "peer_median" in t.columns:
        pm = values(t, "peer_median")
        check_range(pm, codes, "scores", "peer_median", limits)
        okp = np.isfinite(pm)
        ax.scatter(
            pm[okp],
            y[okp],
            marker="D",
            s=36,
            color=PALETTE["peer"],
            edgecolor="white",
            linewidth=0.8,
            zorder=5,
            label="Peer median",
        )
    lo, hi = limits
    for i in np.flatnonzero(missing):
        ax.text(
            lo + 0.01 * (hi - lo),
            y[i],
            "no data",
            va="center",
            ha="left",
            fontsize=9,
            color="#555555",
            style="italic",
            zorder=6,
        )
    if annotate:
        for i in np.flatnonzero(~missing):
            ends = [s[i], pm[i]] + ([q95[i]] if q05 is not None else [])
            x = np.nanmax(ends) + 0.015 * (hi - lo)
            ax.text(
                x,
                y[i] + 0.02,
                fmt_num(s[i]),
                va="center",
                ha="left",
                fontsize=9,
                color=PALETTE["text"],
                zorder=6,
                gid="value-label",
            )
    if bands:
        _shade_bands(ax, limits, axis="x")
    ax.set_xlim(lo, hi)
    ax.set_yticks(y)
    ax.set_yticklabels(display_labels(codes, t, labels, width=26, max_lines=2))
    ax.set_ylim(len(codes) - 0.5, -0.5)
    ax.set_xlabel(_score_label(limits))
    ax.set_ylabel("Pillar")
    ax.grid(axis="x", zorder=0)
    handles, names = ax.get_legend_handles_labels()
    first = [i for i, nm in enumerate(names) if nm.endswith(" score")]
    order = first + [i for i in range(len(names)) if i not in first]
    ax.legend(
        [handles[i] for i in order],
        [names[i] for i in order],
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
    )
    finish(
        ax,
        title if title is not None else f"{country}: pillar scores with 5\u201395% intervals",
        pad=22 + BAND_LABEL_STEP if bands else None,
    )
    return ax


# ----------------------------------------------------------------------------- strengths
@styled
def plot_strengths_weaknesses(
    table: pd.DataFrame,
    *,
    country: str = "Country",
    n_units: int | None = None,
    labels: Mapping[str, str] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Diverging bars of the indicators flagged as strengths or weaknesses, by percentile rank.

    Each flagged indicator is a horizontal bar from the median of the comparison set
    (percentile rank 50) to its percentile rank: right of the centre line it does better than
    half of the units, left of it worse. Colour shows the flag (blue strength, vermillion
    weakness), so a relative strength that is still below the median is visible as such.
    Strengths are listed first (best at the top), then weaknesses (worst at the bottom).

    Parameters
    ----------
    table : DataFrame
        One row per indicator, indexed by indicator code. Columns:

        - ``flag`` (required): ``"strength"`` or ``"weakness"``; rows with a missing flag
          (NaN/None/"") are indicators that are neither and are skipped;
        - ``percentile`` (0-100, 100 = best) and/or ``rank`` (1 = best): one of them is
          required. Without ``percentile`` it is derived from ``rank`` as
          :math:`100 (n - r)/(n - 1)`, which needs ``n_units``;
        - ``name`` (optional): display name.
    country : str
        Used in the default title.
    n_units : int, optional
        Size of the comparison set; with ``rank``, each bar is annotated "r/n".
    labels : mapping, optional
        Indicator code -> display name (long names are wrapped and truncated).
    ax : Axes, optional
    title : str, optional
        Default ``"<country>: strengths and weaknesses"``.

    Returns
    -------
    matplotlib.axes.Axes
        Bars in ``ax.containers[0]`` in display order (top to bottom); each starts at 50 and
        ends at the indicator's percentile rank. An indicator with a flag but no percentile is
        listed with a "no data" mark and no bar.

    Raises
    ------
    ParameterError
        Missing ``flag`` or both ``percentile`` and ``rank``; an unknown flag value; a
        percentile outside 0-100; a rank outside 1..``n_units``; ``rank`` alone without
        ``n_units``.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> t = pd.DataFrame({"flag": ["strength", "weakness"], "percentile": [92.0, 12.5]},
    ...                  index=["IT.NET.USER.ZS", "GB.XPD.RSDV.GD.ZS"])
    >>> ax = plot_strengths_weaknesses(t)
    >>> [(float(b.get_x()), float(b.get_x() + b.get_width())) for b in ax.containers[0]]
    [(50.0, 92.0), (50.0, 12.5)]
    >>> plt.close(ax.figure)
    """
    t = check_frame(
        table, "table", ["flag"], optional=["percentile", "rank"], numeric=["percentile", "rank"]
    )
    if "percentile" not in t.columns and "rank" not in t.columns:
        raise ParameterError(
            "table",
            "missing column 'percentile' (or 'rank' with n_units); "
            f"got {', '.join(map(str, t.columns))}",
        )
    flags = pd.Series(
        [
            None
            if f is None
            or f is pd.NA
            or (isinstance(f, float) and np.isnan(f))
            or str(f).strip() == ""
            else str(f)
            for f in t["flag"]
        ],
        index=t.index,
        dtype=object,
    )
    bad = sorted({f for f in flags if f is not None and f not in ("strength", "weakness")})
    if bad:
        raise ParameterError(
            "table",
            f"column 'flag' has unknown values {bad}; expected 'strength', 'weakness' or missing",
        )
    t = t.loc[flags.notna().to_numpy()]
    flags = flags[flags.notna()]
    if t.empty:
        raise ParameterError("table", "no indicator is flagged as a strength or weakness")
    if n_units is not None and (int(n_units) != n_units or n_units < 2):
        raise ParameterError("n_units", f"must be an integer >= 2, got {n_units!r}")
    codes = list(t.index)
    rank = values(t, "rank") if "rank" in t.columns else None
    if rank is not None and n_units is not None:
        check_range(rank, codes, "table", "rank", (1.0, float(n_units)))
    if "percentile" in t.columns:
        pct = values(t, "percentile")
        check_range(pct, codes, "table", "percentile", (0.0, 100.0))
    else:
        if n_units is None:
            raise ParameterError("n_units", "needed to turn 'rank' into a percentile rank")
        pct = 100.0 * (n_units - rank) / (n_units - 1)
    if rank is not None and n_units is None:
        check_range(rank, codes, "table", "rank", (1.0, np.inf))

    order_key = pd.DataFrame({"flag": flags.to_numpy(), "pct": pct, "pos": range(len(codes))})
    order_key["grp"] = (order_key["flag"] == "weakness").astype(int)
    order_key["sortpct"] = -np.nan_to_num(order_key["pct"].to_numpy(), nan=-1.0)
    order = order_key.sort_values(["grp", "sortpct", "pos"], kind="stable").index.to_numpy()
    codes = [codes[i] for i in order]
    pct, fl = pct[order], order_key["flag"].to_numpy()[order]
    rk = rank[order] if rank is not None else None

    ax = new_axes(ax)
    y = np.arange(len(codes))
    missing = ~np.isfinite(pct)
    colours = [PALETTE["strength"] if f == "strength" else PALETTE["weakness"] for f in fl]
    ax.barh(
        y,
        np.where(missing, 0.0, pct - 50.0),
        left=50.0,
        height=0.65,
        color=colours,
        edgecolor="white",
        zorder=2,
    )
    ax.axvline(50.0, color="#555555", linewidth=1.0, zorder=3)
    n_strength = int(np.sum(fl == "strength"))
    if 0 < n_strength < len(codes):
        ax.axhline(n_strength - 0.5, color="#999999", linewidth=0.8, linestyle=(0, (4, 3)))
    for i in range(len(codes)):
        if missing[i]:
            ax.text(
                51.0,
                y[i],
                "no data",
                va="center",
                ha="left",
                fontsize=8,
                style="italic",
                color="#555555",
            )
            continue
        txt = fmt_num(pct[i], 0)
        if rk is not None and np.isfinite(rk[i]):
            txt += f" (rank {rk[i]:.0f}{f'/{n_units}' if n_units else ''})"
        # text beside the bar end on the right; inside the bar when it would leave the axes;
        # for bars to the left of the median, on the empty right side of the centre line
        room = 1.0 + 1.1 * len(txt)
        if pct[i] < 50.0:
            x, ha, colour = 51.0, "left", PALETTE["text"]
        elif pct[i] + room <= 100.0:
            x, ha, colour = pct[i] + 1.0, "left", PALETTE["text"]
        else:
            x, ha, colour = pct[i] - 1.0, "right", "white"
        ax.text(x, y[i], txt, va="center", ha=ha, fontsize=8, color=colour, gid="value-label")
    ax.set_xlim(0.0, 100.0)
    ax.set_xticks([0, 25, 50, 75, 100])
    ax.set_yticks(y)
    ax.set_yticklabels(display_labels(codes, t, labels, width=38, max_lines=2))
    ax.set_ylim(len(codes) - 0.5, -0.5)
    ax.set_xlabel("Percentile rank among comparison units (0\u2013100; 50 = median, 100 = best)")
    ax.set_ylabel("Indicator")
    ax.grid(axis="x", zorder=0)
    handles = [
        Patch(color=PALETTE["strength"], label="Strength"),
        Patch(color=PALETTE["weakness"], label="Weakness"),
    ]
    ax.legend(handles=handles, loc="upper left", bbox_to_anchor=(1.01, 1.0))
    finish(ax, title if title is not None else f"{country}: strengths and weaknesses")
    return ax


# ----------------------------------------------------------------------------- gaps
@styled
def plot_gaps(
    gaps: pd.DataFrame,
    *,
    references: Sequence[str] | None = None,
    country: str = "Country",
    unit: str = "normalised points",
    labels: Mapping[str, str] | None = None,
    annotate: bool | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Gap bars of a country to its peers and the frontier, per pillar or indicator.

    A gap is country minus reference, so a bar to the right (blue) means ahead of the
    reference and a bar to the left (vermillion) behind it. With several references each row
    has one bar per reference, told apart by fill pattern (solid = peer median, hatched =
    peer best, dotted = regional frontier, crossed = target).

    Parameters
    ----------
    gaps : DataFrame
        One row per pillar or indicator, indexed by its code (drawn top to bottom). Columns,
        at least one of: ``peer_median``, ``peer_best``, ``frontier``, ``target`` - the gap in
        ``unit`` (normalised points by default, i.e. the difference of 0-100 scores). An
        analysis table in long form pivots to this with
        ``long.pivot(index="code", columns="reference", values="gap")``. Optional ``name``.
    references : sequence of str, optional
        Which reference columns to draw, in order; default every one present.
    country : str
        Used in the default title.
    unit : str
        Unit of the gap values, shown on the x axis.
    labels : mapping, optional
        Code -> display name.
    annotate : bool, optional
        Write each gap at its bar end; default when there are at most 24 bars.
    ax : Axes, optional
    title : str, optional
        Default ``"<country>: gaps to peers and frontier"``.

    Returns
    -------
    matplotlib.axes.Axes
        One bar container per reference in ``ax.containers`` (order of ``references``), each
        with one bar per row whose width is the gap (0 for a missing gap, marked "n/a").

    Raises
    ------
    ParameterError
        No reference column, an unknown or absent reference in ``references``, non-numeric
        values.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> g = pd.DataFrame({"peer_median": [5.0, -12.0], "frontier": [-20.0, -41.5]},
    ...                  index=["infra", "human"])
    >>> ax = plot_gaps(g)
    >>> [float(b.get_width()) for b in ax.containers[0]]
    [5.0, -12.0]
    >>> plt.close(ax.figure)
    """
    if references is None:
        if isinstance(gaps, pd.DataFrame):
            refs = [c for c in GAP_REFERENCES if c in gaps.columns]
        else:
            refs = []
        if not refs and isinstance(gaps, pd.DataFrame):
            raise ParameterError(
                "gaps",
                "missing column: at least one of "
                f"{', '.join(map(repr, GAP_REFERENCES))}; got {', '.join(map(str, gaps.columns))}",
            )
    else:
        refs = [str(r) for r in references]
        unknown = [r for r in refs if r not in GAP_REFERENCES]
        if unknown or not refs:
            raise ParameterError(
                "references", f"unknown {unknown or refs}; valid: {', '.join(GAP_REFERENCES)}"
            )
    t = check_frame(gaps, "gaps", refs)
    codes = list(t.index)
    vals = {r: values(t, r) for r in refs}
    for r in refs:
        if np.isinf(vals[r]).any():
            raise ParameterError("gaps", f"column {r!r} has infinite values")

    ax = new_axes(ax)
    k = len(refs)
    height = 0.8 / k
    y = np.arange(len(codes))
    total = len(codes) * k
    annotate = total <= 24 if annotate is None else annotate
    finite_all = np.concatenate([vals[r][np.isfinite(vals[r])] for r in refs] + [np.zeros(1)])
    span = max(float(np.ptp(finite_all)), 1e-9)
    for j, r in enumerate(refs):
        v = vals[r]
        yy = y - 0.4 + height * (j + 0.5)
        miss = ~np.isfinite(v)
        colours = [PALETTE["positive"] if x >= 0 else PALETTE["negative"] for x in np.nan_to_num(v)]
        ax.barh(
            yy,
            np.where(miss, 0.0, v),
            height=height * 0.92,
            color=colours,
            hatch=GAP_REFERENCES[r][1],
            edgecolor="white",
            linewidth=0.0,
            zorder=2,
            label=GAP_REFERENCES[r][0],
        )
        for i in range(len(codes)):
            if miss[i]:
                ax.text(
                    span * 0.01,
                    yy[i],
                    "n/a",
                    va="center",
                    ha="left",
                    fontsize=7,
                    color="#555555",
                    style="italic",
                )
            elif annotate:
                pos = v[i] >= 0
                ax.text(
                    v[i] + (0.015 if pos else -0.015) * span,
                    yy[i],
                    fmt_num(v[i]),
                    va="center",
                    ha="left" if pos else "right",
                    fontsize=7.5,
                    color=PALETTE["text"],
                    gid="value-label",
                )
    ax.axvline(0.0, color="#444444", linewidth=1.0, zorder=3)
    lo_v, hi_v = min(float(finite_all.min()), 0.0), max(float(finite_all.max()), 0.0)
    rng_v = max(hi_v - lo_v, 1e-9)
    pad = (0.16 if annotate else 0.05) * rng_v
    ax.set_xlim(
        lo_v - max(pad, 0.1 * rng_v if lo_v == 0 else pad),
        hi_v + max(pad, 0.1 * rng_v if hi_v == 0 else pad),
    )
    ax.set_yticks(y)
    ax.set_yticklabels(display_labels(codes, t, labels, width=26, max_lines=2))
    ax.set_ylim(len(codes) - 0.5, -0.5)
    ax.set_xlabel(f"Gap ({unit}; {country} \u2212 reference, positive = ahead)")
    ax.set_ylabel("")
    ax.grid(axis="x", zorder=0)
    handles = [
        Patch(color=PALETTE["positive"], label="Ahead"),
        Patch(color=PALETTE["negative"], label="Behind"),
    ]
    if k > 1:
        handles += [
            Patch(
                facecolor="#8C8C8C",
                hatch=GAP_REFERENCES[r][1],
                edgecolor="white",
                label=GAP_REFERENCES[r][0],
            )
            for r in refs
        ]
    ax.legend(
        handles=handles,
        loc="upper left",
        bbox_to_anchor=(1.01, 1.0),
        title=None if k > 1 else f"vs {GAP_REFERENCES[refs[0]][0].lower()}",
        title_fontsize=9,
    )
    finish(ax, title if title is not None else f"{country}: gaps to peers and frontier")
    return ax
