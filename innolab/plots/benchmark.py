"""Benchmark charts over many units: rank intervals, index vs GDP, group distributions, trends.

Inputs are tables with one row per unit (ISO3 code) or per year, as the analysis steps
(uncertainty, links to other measures, peers, trends) produce them.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib.ticker as mticker
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.lines import Line2D

from ..errors import ParameterError, UnknownCountryError, near_matches
from ._common import (
    PALETTE,
    add_note,
    check_frame,
    check_limits,
    check_range,
    display_labels,
    finish,
    fmt_num,
    label_point,
    new_axes,
    styled,
    values,
    wrap_label,
)

__all__ = ["plot_rank_intervals", "plot_index_vs_gdp", "plot_group_distributions", "plot_trends"]

#: above this many units the x axis of a rank chart has no per-unit tick labels
MAX_TICK_LABELS = 40


def _first_upper(text: str) -> str:
    """``text`` with its first letter in upper case and the rest as written ("DII" stays
    "DII", where ``str.capitalize`` would give "Dii")."""
    return text[:1].upper() + text[1:]


def _isna(x: object) -> bool:
    return x is None or x is pd.NA or (isinstance(x, float) and np.isnan(x))


def _check_country(country: str | None, index: pd.Index, name: str = "country") -> None:
    if country is not None and country not in index:
        raise UnknownCountryError(
            {str(country): near_matches(str(country), map(str, index))},
            source=f"parameter {name!r}",
        )


def _unit_name(code: object, t: pd.DataFrame, labels: Mapping[str, str] | None) -> str:
    return display_labels([code], t, labels, width=28, max_lines=1)[0]


# ----------------------------------------------------------------------------- rank intervals
@styled
def plot_rank_intervals(
    ranks: pd.DataFrame,
    *,
    country: str | None = None,
    highlight: Sequence[str] = (),
    labels: Mapping[str, str] | None = None,
    index_name: str = "index",
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Every unit's nominal rank with its 5-95% Monte Carlo rank interval, country highlighted.

    Units are placed left to right by nominal rank (ties by ISO3 code); rank 1 is at the top.
    Wide intervals show where the ranking depends on methodological choices.

    Parameters
    ----------
    ranks : DataFrame
        One row per unit, indexed by ISO3 code: the ``--out`` table of ``innolab uncertainty``.
        Columns ``nominal`` (rank in the nominal build, 1 = best), ``q05`` and ``q95`` (5th and
        95th percentile rank over the replications) are required; ``median`` (optional) is
        drawn as a small tick; ``name`` (optional) labels the highlighted units.
    country : str, optional
        ISO3 code of the studied country: drawn in vermillion and labelled with its rank and
        interval.
    highlight : sequence of str
        Further units (e.g. peers) drawn in orange and labelled.
    labels : mapping, optional
        ISO3 -> display name.
    index_name : str
        Name of the ranked index, for the axis label and default title.
    ax : Axes, optional
    title : str, optional
        Default ``"Rank of <index_name> with 5-95% uncertainty interval"``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections[0]`` holds the interval segments (one per unit with both bounds),
        ``ax.collections[1]`` the nominal-rank points of all units in sorted order (x = position
        1..n, y = nominal rank); a highlighted unit is redrawn on top with its label.

    Raises
    ------
    ParameterError
        Missing column, non-numeric or non-positive ranks, ``q05 > q95``.
    UnknownCountryError
        ``country`` or a ``highlight`` code not in the table.

    Notes
    -----
    Units without a nominal rank (not ranked in the nominal build) are left out and counted in
    a note; a unit without an interval is drawn as a point only.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> r = pd.DataFrame({"nominal": [2, 1, 3], "q05": [1, 1, 2], "q95": [3, 2, 3]},
    ...                  index=["KEN", "RWA", "UGA"])
    >>> ax = plot_rank_intervals(r, country="KEN")
    >>> ax.collections[1].get_offsets().tolist()
    [[1.0, 1.0], [2.0, 2.0], [3.0, 3.0]]
    >>> plt.close(ax.figure)
    """
    t = check_frame(ranks, "ranks", ["nominal", "q05", "q95"], optional=["median", "mean"])
    _check_country(country, t.index)
    for h in highlight:
        _check_country(h, t.index, "highlight")
    codes_all = list(t.index)
    for col in ("nominal", "q05", "q95", "median"):
        if col in t.columns:
            check_range(values(t, col), codes_all, "ranks", col, (1.0, np.inf))
    nom = values(t, "nominal")
    lo_all, hi_all = values(t, "q05"), values(t, "q95")
    inverted = np.flatnonzero(lo_all > hi_all)
    if inverted.size:
        raise ParameterError(
            "ranks", f"q05 > q95 for {', '.join(repr(codes_all[i]) for i in inverted[:5])}"
        )
    keep = np.isfinite(nom)
    n_unranked = int((~keep).sum())
    if not keep.any():
        raise ParameterError("ranks", "no unit has a nominal rank")
    sub = t.loc[keep].copy()
    sub["_nom"] = nom[keep]
    sub["_code"] = [str(c) for c in sub.index]
    sub = sub.sort_values(["_nom", "_code"], kind="stable")
    codes = list(sub.index)
    n = len(codes)
    x = np.arange(1, n + 1, dtype=float)
    ynom = sub["_nom"].to_numpy()
    q05, q95 = values(sub, "q05"), values(sub, "q95")

    ax = new_axes(ax)
    ok = np.isfinite(q05) & np.isfinite(q95)
    lw = 1.6 if n <= 60 else 0.9
    ax.vlines(
        x[ok],
        q05[ok],
        q95[ok],
        color=PALETTE["muted"],
        linewidth=lw,
        zorder=1,
        label="5\u201395% rank interval",
    )
    size = 22 if n <= 60 else 9
    ax.scatter(
        x, ynom, s=size, color=PALETTE["neutral"], zorder=2, linewidths=0, label="Nominal rank"
    )
    if "median" in sub.columns:
        med = values(sub, "median")
        okm = np.isfinite(med)
        ax.scatter(
            x[okm],
            med[okm],
            marker="_",
            s=size * 2,
            color="#555555",
            zorder=2,
            linewidths=1.0,
            label="Median rank",
        )
    marked = [(c, PALETTE["highlight"], 3.0) for c in ([country] if country else [])]
    marked += [(h, PALETTE["peer"], 2.0) for h in highlight if h != country]
    pos = {c: i for i, c in enumerate(codes)}
    for k, (code, colour, lwid) in enumerate(marked):
        if code not in pos:  # present in the table but not ranked
            continue
        i = pos[code]
        if ok[i]:
            ax.vlines([x[i]], [q05[i]], [q95[i]], color=colour, linewidth=lwid, zorder=4)
        ax.scatter(
            [x[i]],
            [ynom[i]],
            s=70 if code == country else 45,
            color=colour,
            edgecolor="white",
            linewidth=1.0,
            zorder=5,
            gid=f"highlight-{code}",
        )
        interval = f" ({q05[i]:.0f}\u2013{q95[i]:.0f})" if ok[i] else ""
        txt = f"{_unit_name(code, t, labels)}: {ynom[i]:.0f}{interval}"
        # the diagonal of points runs from top left to bottom right: put labels in the empty
        # triangle above it (up-right), or below it (down-left) near the right edge
        right = x[i] <= 0.7 * n
        ymax_i = max(float(np.nanmax(ynom)), 1.0)
        dy = 14 + 12 * (k % 3) if ynom[i] > 0.12 * ymax_i else 4
        label_point(
            ax,
            txt,
            (x[i], ynom[i]),
            (12, dy) if right else (-12, -dy),
            ha="left" if right else "right",
            va="bottom" if right else "top",
            line_color=colour,
            line_width=0.8,
            bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
            fontsize=9,
            fontweight="bold" if code == country else "normal",
            color=colour,
            zorder=6,
            gid="unit-label",
        )
    ymax = np.nanmax(np.concatenate([ynom, q95[ok], [1.0]]))
    ax.set_ylim(ymax + max(1.0, 0.03 * ymax), 0.0)
    ax.set_xlim(0.0, n + 1.0)
    if n <= MAX_TICK_LABELS:
        ax.set_xticks(x)
        ax.set_xticklabels([str(c) for c in codes], rotation=90, fontsize=7)
    else:
        ax.xaxis.set_major_locator(mticker.MaxNLocator(nbins=10, integer=True))
    ax.yaxis.set_major_locator(mticker.MaxNLocator(nbins=8, integer=True))
    ax.set_xlabel(f"Units ordered by nominal rank (n = {n})")
    ax.set_ylabel(f"Rank on the {index_name} (1 = best)")
    ax.grid(axis="y", zorder=0)
    ax.legend(loc="lower left", fontsize=8)
    if n_unranked:
        unranked = [str(c) for c, k in zip(codes_all, keep, strict=True) if not k]
        shown = [c for c in unranked if c == country or c in highlight]
        add_note(
            ax,
            f"{n_unranked} unit{'s' if n_unranked > 1 else ''} without a nominal rank "
            "not shown" + (f" (including {', '.join(shown)})" if shown else "") + ".",
        )
    finish(
        ax,
        title
        if title is not None
        else f"Rank on the {index_name} with 5\u201395% uncertainty interval",
    )
    return ax


# ----------------------------------------------------------------------------- index vs GDP
def _money(x: float, _pos: object = None) -> str:
    if x >= 1e6:
        return f"${x / 1e6:g}M"
    if x >= 1e3:
        return f"${x / 1e3:g}k"
    return f"${x:g}"


def _zoom(v: np.ndarray, limits: tuple[float, float]) -> tuple[float, float]:
    """Y range: the data padded by 10% of the scale, rounded to tenths of it, within limits."""
    lo, hi = limits
    fin = v[np.isfinite(v)]
    if not fin.size:
        return lo, hi
    step = (hi - lo) / 10.0
    a = max(lo, lo + np.floor((fin.min() - step - lo) / step) * step)
    b = min(hi, lo + np.ceil((fin.max() + step - lo) / step) * step)
    return (a, b) if b > a else (lo, hi)


@styled
def plot_index_vs_gdp(
    data: pd.DataFrame,
    *,
    country: str | None = None,
    n_label: int = 3,
    fit: tuple[float, float] | None = None,
    labels: Mapping[str, str] | None = None,
    index_name: str = "index",
    gdp_label: str = "GDP per capita, PPP (constant international $)",
    limits: tuple[float, float] = (0.0, 100.0),
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Scatter of index score against GDP per capita (log scale) with a fitted line.

    Over- and under-performers - the units with the largest positive and negative residuals
    from the fit - are labelled, so the reader sees who does better or worse than income
    alone predicts.

    .. math:: \\text{score}_i = a + b \\log_{10}(\\text{GDP}_i) + e_i

    Parameters
    ----------
    data : DataFrame
        One row per unit, indexed by ISO3 code. Columns ``score`` (index score on ``limits``)
        and ``gdp_per_capita`` (in the unit of ``gdp_label``, > 0) are required; ``name``
        (optional) is used for labels.
    country : str, optional
        ISO3 code drawn as a large vermillion point and labelled.
    n_label : int
        How many over- and how many under-performers to label (0 = none).
    fit : (float, float), optional
        Intercept ``a`` and slope ``b`` of an existing fit (e.g. from the analysis step);
        default: ordinary least squares on the units drawn.
    labels : mapping, optional
        ISO3 -> display name.
    index_name, gdp_label : str
        Axis wording; the x label adds "log scale".
    limits : (float, float)
        Score scale; out-of-scale values raise.
    ax : Axes, optional
    title : str, optional
        Default ``"<index_name> vs GDP per capita"`` (capitalised).

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.collections[0]`` holds all complete units (x = GDP per capita, y = score) in table
        order; ``ax.lines[0]`` the fitted line; labels are annotations with ``gid`` ``"unit-label"``.

    Raises
    ------
    ParameterError
        Missing column, non-numeric values, GDP per capita <= 0, fewer than 3 complete units
        when the line has to be fitted.
    UnknownCountryError
        ``country`` not in the table.

    Notes
    -----
    Units missing either value are not drawn and not used in the fit; a note counts them.
    If the studied country is one of them, the note says so.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> d = pd.DataFrame({"score": [20.0, 40.0, 60.0, 30.0],
    ...                   "gdp_per_capita": [1e3, 1e4, 1e5, 1e4]},
    ...                  index=["AAA", "BBB", "CCC", "DDD"])
    >>> ax = plot_index_vs_gdp(d, country="DDD", n_label=1)
    >>> ax.collections[0].get_offsets()[1].tolist()
    [10000.0, 40.0]
    >>> plt.close(ax.figure)
    """
    t = check_frame(data, "data", ["score", "gdp_per_capita"])
    limits = check_limits(limits)
    _check_country(country, t.index)
    if int(n_label) != n_label or n_label < 0:
        raise ParameterError("n_label", f"must be a non-negative integer, got {n_label!r}")
    codes_all = list(t.index)
    s, g = values(t, "score"), values(t, "gdp_per_capita")
    check_range(s, codes_all, "data", "score", limits)
    nonpos = np.flatnonzero(np.isfinite(g) & (g <= 0)) if np.isfinite(g).any() else []
    if len(nonpos):
        raise ParameterError(
            "data",
            "column 'gdp_per_capita' must be > 0 for a log scale: "
            + ", ".join(f"{codes_all[i]!r}={g[i]:g}" for i in nonpos[:5]),
        )
    if np.isinf(g).any():
        raise ParameterError("data", "column 'gdp_per_capita' has infinite values")
    ok = np.isfinite(s) & np.isfinite(g)
    codes = [c for c, k in zip(codes_all, ok, strict=True) if k]
    s, g = s[ok], g[ok]
    lx = np.log10(g)
    if fit is None:
        if len(codes) < 3 or np.ptp(lx) == 0:
            raise ParameterError(
                "data",
                "need at least 3 complete units with different GDP per "
                f"capita to fit a line, got {len(codes)}",
            )
        b, a = np.polyfit(lx, s, 1)
    else:
        try:
            a, b = (float(v) for v in fit)
        except (TypeError, ValueError):
            raise ParameterError("fit", f"expected (intercept, slope), got {fit!r}") from None
    resid = s - (a + b * lx)
    ss_tot = float(np.sum((s - s.mean()) ** 2)) if len(s) else 0.0
    r2 = 1.0 - float(np.sum(resid**2)) / ss_tot if ss_tot > 0 else np.nan

    ax = new_axes(ax)
    ax.scatter(
        g, s, s=26, color=PALETTE["neutral"], alpha=0.75, linewidths=0, zorder=2, label="Units"
    )
    if len(g):
        xs = np.logspace(lx.min(), lx.max(), 50)
        r2txt = f", R\u00b2 = {r2:.2f}" if np.isfinite(r2) else ""
        ax.plot(
            xs,
            a + b * np.log10(xs),
            color=PALETTE["fit"],
            linewidth=1.4,
            linestyle="--",
            zorder=1,
            label=f"Fit: {fmt_num(a)} + {fmt_num(b)}\u00b7log\u2081\u2080(GDP pc){r2txt}",
        )
    order = np.argsort(resid, kind="stable")
    tol = 1e-9 * (limits[1] - limits[0])  # points on the line are neither over nor under
    over = [i for i in order[::-1][:n_label] if resid[i] > tol]
    under = [i for i in order[:n_label] if resid[i] < -tol]
    pos = {c: i for i, c in enumerate(codes)}
    marked = [(i, PALETTE["frontier"], "over") for i in over]
    marked += [(i, PALETTE["peer"], "under") for i in under]
    if country is not None and country in pos:
        marked = [m for m in marked if codes[m[0]] != country]
        marked.append((pos[country], PALETTE["highlight"], "country"))
    for k, (i, colour, kind) in enumerate(marked):
        is_c = kind == "country"
        ax.scatter(
            [g[i]],
            [s[i]],
            s=80 if is_c else 34,
            color=colour,
            edgecolor="white",
            linewidth=1.0,
            zorder=5 if is_c else 4,
            gid=f"highlight-{codes[i]}",
        )
        near_bottom = s[i] < limits[0] + 0.12 * (limits[1] - limits[0])
        near_top = s[i] > limits[1] - 0.12 * (limits[1] - limits[0])
        dy = 12 if (resid[i] >= 0 or near_bottom) and not near_top else -12
        dx = 8 if k % 2 == 0 else -8
        label_point(
            ax,
            _unit_name(codes[i], t, labels),
            (g[i], s[i]),
            (dx, dy),
            ha="left" if dx > 0 else "right",
            va="bottom" if dy > 0 else "top",
            line_color=colour,
            line_width=0.6,
            fontsize=9 if is_c else 8,
            fontweight="bold" if is_c else "normal",
            color=colour,
            zorder=6,
            gid="unit-label",
        )
    ax.set_xscale("log")
    ax.xaxis.set_major_formatter(mticker.FuncFormatter(_money))
    # unlabelled minor ticks at 2x and 5x each power of ten: enough to read a log scale, and
    # a quarter of the default eight per decade (each tick is several artists to lay out)
    ax.xaxis.set_minor_locator(mticker.LogLocator(base=10.0, subs=(2.0, 5.0)))
    ax.xaxis.set_minor_formatter(mticker.NullFormatter())
    ax.set_ylim(*_zoom(s, limits))
    ax.set_xlabel(f"{gdp_label}, log scale")
    ax.set_ylabel(f"{_first_upper(index_name)} score ({limits[0]:g}\u2013{limits[1]:g})")
    ax.grid(True, which="major", zorder=0)
    handles = [
        Line2D([], [], marker="o", linestyle="", color=PALETTE["frontier"], label="Over-performer"),
        Line2D([], [], marker="o", linestyle="", color=PALETTE["peer"], label="Under-performer"),
    ]
    h0, _ = ax.get_legend_handles_labels()
    ax.legend(handles=h0 + handles, loc="upper left", fontsize=8)
    notes = []
    n_missing = len(codes_all) - len(codes)
    if n_missing:
        notes.append(
            f"{n_missing} unit{'s' if n_missing > 1 else ''} without score or GDP per "
            "capita not shown"
        )
    if country is not None and country not in pos:
        notes.append(f"{country} has no complete data")
    if notes:
        add_note(ax, "; ".join(notes) + ".")
    finish(ax, title if title is not None else f"{_first_upper(index_name)} vs GDP per capita")
    return ax


# ----------------------------------------------------------------------------- groups
@styled
def plot_group_distributions(
    data: pd.DataFrame,
    *,
    value: str = "score",
    group: str = "group",
    country: str | None = None,
    order: Sequence[str] | None = None,
    group_labels: Mapping[str, str] | None = None,
    labels: Mapping[str, str] | None = None,
    ylabel: str = "Score (0\u2013100)",
    limits: tuple[float, float] | None = (0.0, 100.0),
    seed: int = 0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Box plot with every unit as a jittered point, per region or income group.

    Parameters
    ----------
    data : DataFrame
        One row per unit, indexed by ISO3 code, with a ``group`` column (region or income
        group code, e.g. from ``innolab.countries.classification``) and a numeric ``value``
        column (a score on ``limits``, or any measure with ``limits=None``).
    value, group : str
        Column names.
    country : str, optional
        ISO3 code drawn as a large vermillion point in its group and labelled.
    order : sequence of str, optional
        Group order; default by median, highest first. Groups not listed are left out.
    group_labels : mapping, optional
        Group code -> display name (wrapped).
    labels : mapping, optional
        ISO3 -> display name (for the country label).
    ylabel : str
        Y-axis label with units.
    limits : (float, float) or None
        Scale of ``value``; values outside raise. ``None``: free axis, no range check.
    seed : int
        Seed of the horizontal jitter (the figure is reproducible).
    ax : Axes, optional
    title : str, optional
        Default ``"Distribution of <value> by group"``.

    Returns
    -------
    matplotlib.axes.Axes
        One box per group at x = 0, 1, ... (tick labels carry "n ="); ``ax.collections[0]``
        holds every unit with a value (y = value), in group order.

    Raises
    ------
    ParameterError
        Missing column, non-numeric or out-of-scale values, an ``order`` group with no unit.
    UnknownCountryError
        ``country`` not in the table.

    Notes
    -----
    Units with a missing value are not drawn; each tick label counts them ("n = 12, 2
    missing"). Units without a group (territories outside ITU regions) are left out and
    counted in a note.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> d = pd.DataFrame({"group": ["AFR", "AFR", "EUR", "EUR"],
    ...                   "score": [20.0, 30.0, 70.0, None]}, index=["KEN", "RWA", "FRA", "DEU"])
    >>> ax = plot_group_distributions(d, country="KEN")
    >>> sorted(ax.collections[0].get_offsets()[:, 1].tolist())
    [20.0, 30.0, 70.0]
    >>> plt.close(ax.figure)
    """
    t = check_frame(data, "data", [group, value], numeric=[value])
    _check_country(country, t.index)
    v = values(t, value)
    if limits is not None:
        limits = check_limits(limits)
        check_range(v, list(t.index), "data", value, limits)
    elif np.isinf(v).any():
        raise ParameterError("data", f"column {value!r} has infinite values")
    grp = pd.Series(
        [None if _isna(x) or str(x) == "" else str(x) for x in t[group]],
        index=t.index,
        dtype=object,
    )
    present = sorted({g for g in grp if g is not None})
    if not present:
        raise ParameterError("data", f"column {group!r} has no group")
    if order is None:
        med = {
            g: np.nanmedian(v[(grp == g).to_numpy()])
            if np.isfinite(v[(grp == g).to_numpy()]).any()
            else -np.inf
            for g in present
        }
        groups = sorted(present, key=lambda g: (-med[g], g))
    else:
        groups = [str(g) for g in order]
        absent = [g for g in groups if g not in present]
        if absent:
            raise ParameterError("order", f"groups without units: {absent}; present: {present}")
    n_ungrouped = int(sum(g is None for g in grp))
    n_left_out = int(sum(g is not None and g not in groups for g in grp))

    ax = new_axes(ax)
    rng = np.random.default_rng(seed)
    xs, ys, ticklabels = [], [], []
    boxes = []
    for k, gname in enumerate(groups):
        sel = (grp == gname).to_numpy()
        gv = v[sel]
        fin = gv[np.isfinite(gv)]
        boxes.append(fin)
        xs.append(k + rng.uniform(-0.18, 0.18, size=fin.size))
        ys.append(fin)
        nm = int((~np.isfinite(gv)).sum())
        name = group_labels.get(gname, gname) if group_labels else gname
        lab = wrap_label(name, 16, 2) + f"\nn = {fin.size}" + (f", {nm} missing" if nm else "")
        ticklabels.append(lab)
    pos = np.arange(len(groups))
    nonempty = [i for i, b in enumerate(boxes) if b.size]
    if nonempty:
        ax.boxplot(
            [boxes[i] for i in nonempty],
            positions=pos[nonempty],
            widths=0.55,
            showfliers=False,
            patch_artist=True,
            zorder=1,
            boxprops={"facecolor": "#DCE9F5", "edgecolor": "#4D4D4D", "linewidth": 0.9},
            medianprops={"color": PALETTE["country"], "linewidth": 2.0},
            whiskerprops={"color": "#4D4D4D", "linewidth": 0.9},
            capprops={"color": "#4D4D4D", "linewidth": 0.9},
        )
    ax.scatter(
        np.concatenate(xs) if xs else [],
        np.concatenate(ys) if ys else [],
        s=14,
        color=PALETTE["neutral"],
        alpha=0.8,
        linewidths=0,
        zorder=3,
        label="Units",
    )
    if country is not None:
        cg = grp.get(country)
        cv = v[list(t.index).index(country)]
        if cg in groups and np.isfinite(cv):
            cx = groups.index(cg)
            ax.scatter(
                [cx],
                [cv],
                s=80,
                color=PALETTE["highlight"],
                edgecolor="white",
                linewidth=1.0,
                zorder=5,
                gid=f"highlight-{country}",
            )
            label_point(
                ax,
                f"{_unit_name(country, t, labels)}: {fmt_num(cv)}",
                (cx, cv),
                (14, 0),
                ha="left",
                va="center",
                line_color=PALETTE["highlight"],
                line_width=0.8,
                fontsize=9,
                fontweight="bold",
                color=PALETTE["highlight"],
                zorder=6,
                bbox={"boxstyle": "round,pad=0.15", "fc": "white", "ec": "none", "alpha": 0.85},
                gid="unit-label",
            )
        else:
            add_note(ax, f"{country}: no value or no group.")
    ax.set_xticks(pos)
    ax.set_xticklabels(ticklabels, fontsize=8)
    ax.set_xlim(-0.6, len(groups) - 0.4)
    if limits is not None:
        ax.set_ylim(*_zoom(v, limits))
    ax.set_xlabel("Group")
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", zorder=0)
    if n_ungrouped or n_left_out:
        parts = []
        if n_ungrouped:
            parts.append(f"{n_ungrouped} unit{'s' if n_ungrouped > 1 else ''} without a group")
        if n_left_out:
            parts.append(f"{n_left_out} in groups not shown")
        add_note(ax, "; ".join(parts) + ".")
    finish(ax, title if title is not None else f"Distribution of {value} by group")
    return ax


# ----------------------------------------------------------------------------- trends
@styled
def plot_trends(
    trend: pd.DataFrame,
    *,
    measure: str = "score",
    country: str = "Country",
    group_label: str = "Group median",
    ylabel: str | None = None,
    limits: tuple[float, float] | None = None,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """A country's score or rank over the years against its group's median, data-year aware.

    Parameters
    ----------
    trend : DataFrame
        One row per reference year, indexed by the year (integers). Columns:

        - ``value`` (required): the country's score (or rank) for that reference year;
        - ``group_median`` (optional): the median over its group (region, income group, peers);
        - ``group_q25``, ``group_q75`` (optional, together): interquartile band of the group;
        - ``data_year`` (optional): the year the country's value actually comes from (latest
          data within the window). Where it is older than the reference year the marker is
          hollow and labelled with the data year.
    measure : {"score", "rank"}
        ``"rank"`` inverts the y axis (1 = best at the top).
    country, group_label : str
        Legend entries.
    ylabel : str, optional
        Default "Score (0-100)" or "Rank (1 = best)".
    limits : (float, float), optional
        Fixed y range (and range check); default 0-100 for scores, free for ranks.
    ax : Axes, optional
    title : str, optional
        Default ``"<country>: <measure> over time"``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.lines[0]`` is the country's line (x = years, y = values, NaN gaps kept);
        ``ax.lines[1]`` the group median when given. ``ax.collections`` holds the filled
        markers (current data) and then the hollow ones (older data year).

    Raises
    ------
    ParameterError
        Missing ``value``, non-integer or duplicated years, only one of the quartile columns, a
        data year later than its reference year, an unknown ``measure``.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> tr = pd.DataFrame({"value": [40.0, 42.5, 45.0], "group_median": [38.0, 39.0, 41.0],
    ...                    "data_year": [2021, 2021, 2023]}, index=[2021, 2022, 2023])
    >>> ax = plot_trends(tr, country="Kenya")
    >>> ax.lines[0].get_ydata().tolist()
    [40.0, 42.5, 45.0]
    >>> plt.close(ax.figure)
    """
    if measure not in ("score", "rank"):
        raise ParameterError("measure", f"expected 'score' or 'rank', got {measure!r}")
    t = check_frame(
        trend, "trend", ["value"], optional=["group_median", "group_q25", "group_q75", "data_year"]
    )
    q = [c in t.columns for c in ("group_q25", "group_q75")]
    if any(q) and not all(q):
        miss = "group_q75" if q[0] else "group_q25"
        raise ParameterError("trend", f"missing column {miss!r}: the quartiles come together")
    try:
        years = np.asarray(t.index, dtype=float)
    except (TypeError, ValueError):
        raise ParameterError(
            "trend", f"the index must hold years (integers), got {list(t.index)[:3]}"
        ) from None
    if not np.all(np.isfinite(years)) or not np.all(years == np.round(years)):
        raise ParameterError("trend", f"the index must hold whole years, got {list(t.index)[:5]}")
    order = np.argsort(years, kind="stable")
    t = t.iloc[order]
    years = years[order]
    if limits is None and measure == "score":
        limits = (0.0, 100.0)
    if limits is not None:
        limits = check_limits(limits)
    cols = ["value"] + [c for c in ("group_median", "group_q25", "group_q75") if c in t.columns]
    vals = {c: values(t, c) for c in cols}
    for c in cols:
        if limits is not None:
            check_range(vals[c], list(t.index), "trend", c, limits)
        elif measure == "rank":
            check_range(vals[c], list(t.index), "trend", c, (1.0, np.inf))
    v = vals["value"]
    old = np.zeros(len(t), dtype=bool)
    if "data_year" in t.columns:
        dy = values(t, "data_year")
        later = np.flatnonzero(np.isfinite(dy) & (dy > years))
        if later.size:
            i = later[0]
            raise ParameterError(
                "trend", f"data_year {dy[i]:g} is after its reference year {years[i]:g}"
            )
        old = np.isfinite(dy) & (dy < years) & np.isfinite(v)
    else:
        dy = None

    ax = new_axes(ax)
    ax.plot(years, v, color=PALETTE["country"], linewidth=2.0, zorder=3, label=country)
    if "group_median" in t.columns:
        ax.plot(
            years,
            vals["group_median"],
            color=PALETTE["peer"],
            linestyle="--",
            linewidth=1.6,
            marker="s",
            markersize=4,
            zorder=2,
            label=group_label,
        )
    if all(q):
        ax.fill_between(
            years,
            vals["group_q25"],
            vals["group_q75"],
            color=PALETTE["peer"],
            alpha=0.15,
            linewidth=0,
            zorder=1,
            label=f"{group_label}: middle 50%",
        )
    cur = np.isfinite(v) & ~old
    ax.scatter(
        years[cur],
        v[cur],
        s=40,
        color=PALETTE["country"],
        edgecolor="white",
        linewidth=0.8,
        zorder=4,
    )
    if old.any():
        ax.scatter(
            years[old],
            v[old],
            s=44,
            facecolors="white",
            edgecolors=PALETTE["country"],
            linewidths=1.6,
            zorder=5,
            label="Value from an older data year",
        )
        for i in np.flatnonzero(old):
            gm = vals["group_median"][i] if "group_median" in vals else np.nan
            up = np.isfinite(gm) and (v[i] >= gm) != (measure == "rank")
            ax.annotate(
                f"data {dy[i]:.0f}",
                xy=(years[i], v[i]),
                xytext=(0, 9 if up else -9),
                textcoords="offset points",
                ha="center",
                va="bottom" if up else "top",
                fontsize=7,
                color="#555555",
                gid="data-year-label",
            )
    ax.xaxis.set_major_locator(mticker.MaxNLocator(integer=True))
    pad = 0.3
    ax.set_xlim(years.min() - pad, years.max() + pad)
    if limits is not None:
        ax.set_ylim(*limits)
    if measure == "rank":
        ax.yaxis.set_major_locator(mticker.MaxNLocator(integer=True))
        lo, hi = ax.get_ylim()
        if lo < hi:
            ax.set_ylim(hi, lo)
    ax.set_xlabel("Reference year")
    if ylabel is None:
        ylabel = (
            "Rank (1 = best)"
            if measure == "rank"
            else (f"Score ({limits[0]:g}\u2013{limits[1]:g})" if limits else "Score")
        )
    ax.set_ylabel(ylabel)
    ax.grid(axis="y", zorder=0)
    ax.legend(loc="upper left", bbox_to_anchor=(1.01, 1.0))
    n_missing = int((~np.isfinite(v)).sum())
    if n_missing:
        yrs = ", ".join(f"{y:.0f}" for y in years[~np.isfinite(v)])
        add_note(ax, f"No {country} value for {yrs}.")
    finish(ax, title if title is not None else f"{country}: {measure} over time")
    return ax
