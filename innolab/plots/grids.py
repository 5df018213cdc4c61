"""Annotated grids: pillar-score heatmap (units or groups x pillars) and the expert rating grid.

Both draw a colour-mapped matrix on a fixed scale (0-100 scores, 1-5 ratings) so that colours
mean the same thing in every report, write the value in each cell and mark missing cells with
grey hatching instead of a colour (a missing value is never shown as the bottom of the scale).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import matplotlib as mpl
import numpy as np
import pandas as pd
from matplotlib.axes import Axes
from matplotlib.patches import Rectangle

from ..ecosystem import ENABLERS, RATING_RANGE, STAKEHOLDERS
from ..errors import ParameterError, near_matches
from ._common import (
    SCORE_CMAP,
    check_frame,
    check_limits,
    check_range,
    display_labels,
    finish,
    luminance,
    new_axes,
    styled,
    values,
    wrap_label,
)

__all__ = ["plot_pillar_heatmap", "plot_rating_grid"]

#: cells above which values are not written into a heatmap by default
MAX_ANNOTATED_CELLS = 160


def _draw_grid(
    ax: Axes,
    mat: np.ndarray,
    row_labels: Sequence[str],
    col_labels: Sequence[str],
    *,
    limits: tuple[float, float],
    digits: int,
    annotate: bool,
    cbar_label: str,
    cbar_ticks: Sequence[float] | None = None,
    col_fontsize: float = 8,
    cbar_ticklabels: Sequence[str] | None = None,
    cbar_location: str = "right",
) -> mpl.image.AxesImage:
    nr, nc = mat.shape
    cmap = mpl.colormaps[SCORE_CMAP].with_extremes(bad="white")
    norm = mpl.colors.Normalize(vmin=limits[0], vmax=limits[1])
    im = ax.imshow(
        np.ma.masked_invalid(mat), cmap=cmap, norm=norm, aspect="auto", interpolation="nearest"
    )
    fontsize = 9 if nr * nc <= 60 else (8 if nr * nc <= 120 else 7)
    for i in range(nr):
        for j in range(nc):
            x = mat[i, j]
            if not np.isfinite(x):
                ax.add_patch(
                    Rectangle(
                        (j - 0.5, i - 0.5),
                        1,
                        1,
                        facecolor="#F4F4F4",
                        edgecolor="#A8A8A8",
                        hatch="///",
                        linewidth=0.0,
                        zorder=2,
                        gid="cell-missing",
                    )
                )
                if annotate:
                    ax.text(
                        j,
                        i,
                        "n/a",
                        ha="center",
                        va="center",
                        fontsize=fontsize - 1,
                        color="#555555",
                        style="italic",
                        zorder=3,
                        gid="cell-missing-label",
                    )
            elif annotate:
                colour = "white" if luminance(cmap(norm(x))) < 0.36 else "#1A1A1A"
                ax.text(
                    j,
                    i,
                    f"{x:.{digits}f}",
                    ha="center",
                    va="center",
                    fontsize=fontsize,
                    color=colour,
                    zorder=3,
                    gid="cell-value",
                )
    # white separators between cells: two line collections (minor-tick grid lines would be
    # one Tick, with its lines and labels to lay out, per separator)
    sep = {"colors": "white", "linewidth": 1.5, "zorder": 2.5, "gid": "cell-separators"}
    ax.vlines(np.arange(0.5, nc - 1, 1.0), -0.5, nr - 0.5, **sep)
    ax.hlines(np.arange(0.5, nr - 1, 1.0), -0.5, nc - 0.5, **sep)
    ax.grid(which="major", visible=False)
    ax.tick_params(which="major", length=0)
    for side in ("top", "right", "bottom", "left"):
        ax.spines[side].set_visible(False)
    ax.set_xticks(np.arange(nc))
    ax.set_xticklabels(col_labels, fontsize=col_fontsize)
    ax.set_yticks(np.arange(nr))
    ax.set_yticklabels(row_labels, fontsize=8 if nr > 12 else 9)
    ax.set_xlim(-0.5, nc - 0.5)
    ax.set_ylim(nr - 0.5, -0.5)
    if cbar_location == "bottom":
        cb = ax.figure.colorbar(
            im, ax=ax, location="bottom", fraction=0.05, pad=0.03, aspect=45, shrink=0.7
        )
    else:
        cb = ax.figure.colorbar(im, ax=ax, fraction=0.05, pad=0.02, aspect=25)
    cb.set_label(cbar_label, fontsize=9)
    cb.ax.tick_params(labelsize=8)
    cb.outline.set_visible(False)
    if cbar_ticks is not None:
        cb.set_ticks(list(cbar_ticks))
    if cbar_ticklabels is not None:
        cb.set_ticklabels(list(cbar_ticklabels))
    return im


@styled
def plot_pillar_heatmap(
    scores: pd.DataFrame,
    *,
    labels: Mapping[str, str] | None = None,
    row_labels: Mapping[str, str] | None = None,
    limits: tuple[float, float] = (0.0, 100.0),
    annotate: bool | None = None,
    digits: int = 0,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """Heatmap of pillar scores, one row per unit or group, one column per pillar.

    Parameters
    ----------
    scores : DataFrame
        Wide table: index = unit ISO3 codes or group codes (e.g. the median per region from
        ``scores.groupby(region).median()``), columns = pillar codes in display order, values
        = scores on ``limits`` (default 0-100). An optional ``name`` column labels the rows and
        is not drawn. Every other column must be numeric.
    labels : mapping, optional
        Pillar code -> display name (column labels, wrapped).
    row_labels : mapping, optional
        Row code -> display name.
    limits : (float, float)
        Fixed colour scale (the same colours mean the same score in every report);
        out-of-scale values raise.
    annotate : bool, optional
        Write the value in each cell; default when there are at most 160 cells.
    digits : int
        Decimals of the cell values.
    ax : Axes, optional
    title : str, optional
        Default ``"Pillar scores"``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.images[0]`` holds the matrix (NaN masked); value texts have ``gid`` ``"cell-value"``
        and missing cells are hatched patches with ``gid`` ``"cell-missing"``. A colour bar is
        added next to the Axes.

    Raises
    ------
    ParameterError
        No pillar column, a non-numeric pillar column, out-of-scale values.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> s = pd.DataFrame({"infra": [80.0, 35.0], "human": [None, 52.0]}, index=["EUR", "AFR"])
    >>> ax = plot_pillar_heatmap(s)
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "cell-value"]
    ['80', '35', '52']
    >>> plt.close(ax.figure)
    """
    if not isinstance(scores, pd.DataFrame):
        check_frame(scores, "scores")
    pillars = [c for c in scores.columns if c != "name"]
    if not pillars:
        raise ParameterError("scores", "missing columns: no pillar column (only 'name')")
    t = check_frame(scores, "scores", pillars)
    limits = check_limits(limits)
    mat = np.column_stack([values(t, c) for c in pillars])
    for j, c in enumerate(pillars):
        check_range(mat[:, j], list(t.index), "scores", str(c), limits)
    if int(digits) != digits or digits < 0:
        raise ParameterError("digits", f"must be a non-negative integer, got {digits!r}")
    annotate = mat.size <= MAX_ANNOTATED_CELLS if annotate is None else annotate
    nr = len(t)

    ax = new_axes(ax, figsize=(8.0, max(3.0, min(10.0, 1.6 + 0.32 * nr))))
    cols = display_labels(pillars, None, labels, width=14, max_lines=3)
    rows = display_labels(t.index, t, row_labels, width=26, max_lines=1)
    _draw_grid(
        ax,
        mat,
        rows,
        cols,
        limits=limits,
        digits=int(digits),
        annotate=annotate,
        cbar_label=f"Score ({limits[0]:g}\u2013{limits[1]:g})",
    )
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(
        "Pillar (score 0\u2013100)"
        if limits == (0.0, 100.0)
        else f"Pillar (score {limits[0]:g}\u2013{limits[1]:g})"
    )
    ax.set_ylabel("")
    n_missing = int((~np.isfinite(mat)).sum())
    finish(ax, title if title is not None else "Pillar scores")
    if n_missing:
        ax.annotate(
            f"Hatched: no score ({n_missing} cell{'s' if n_missing > 1 else ''}).",
            xy=(0.0, 0.0),
            xycoords="axes fraction",
            xytext=(0, -6),
            textcoords="offset points",
            ha="left",
            va="top",
            fontsize=8,
            color="#555555",
            gid="innolab-note",
        )
    return ax


# ----------------------------------------------------------------------------- rating grid
def _check_codes(found: Sequence[str], valid: Mapping[str, str], what: str) -> None:
    unknown = [c for c in found if c not in valid]
    if unknown:
        hints = {u: near_matches(u, valid) for u in unknown}
        shown = "; ".join(
            f"{u!r}" + (f" (did you mean {', '.join(h)}?)" if h else "") for u, h in hints.items()
        )
        raise ParameterError(
            "ratings",
            f"unknown {what} code{'s' if len(unknown) > 1 else ''}: "
            f"{shown}; valid: {', '.join(valid)}",
        )


def _select_one(t: pd.DataFrame, col: str, chosen: object, name: str) -> pd.DataFrame:
    if col not in t.columns:
        if chosen is not None:
            raise ParameterError(name, f"the ratings have no {col!r} column to select from")
        return t
    present = sorted({str(x) if col == "iso3" else x for x in t[col].dropna()})
    if chosen is None:
        if len(present) > 1:
            raise ParameterError(
                name,
                f"the ratings cover several {col} values {present[:8]}; choose one with {name}=",
            )
        return t
    keep = t[col].astype(str) == str(chosen) if col == "iso3" else t[col] == chosen
    if not keep.any():
        raise ParameterError(name, f"{chosen!r} not in the ratings; present: {present[:8]}")
    return t.loc[keep.to_numpy()]


def _rating_matrix(ratings: pd.DataFrame, iso3: str | None, year: int | None) -> pd.DataFrame:
    if not isinstance(ratings, pd.DataFrame):
        check_frame(ratings, "ratings")
    if "rating" in ratings.columns or "stakeholder" in ratings.columns:
        t = check_frame(
            ratings,
            "ratings",
            ["stakeholder", "enabler", "rating"],
            optional=["iso3", "year", "respondents"],
            numeric=["rating"],
            unique_index=False,
        )
        t = _select_one(t, "iso3", iso3, "iso3")
        t = _select_one(t, "year", year, "year")
        st = t["stakeholder"].astype(str).tolist()
        en = t["enabler"].astype(str).tolist()
        _check_codes(sorted(set(st)), STAKEHOLDERS, "stakeholder")
        _check_codes(sorted(set(en)), ENABLERS, "enabler")
        pairs = pd.Series(list(zip(st, en, strict=True)))
        dup = pairs[pairs.duplicated()].unique().tolist()
        if dup:
            raise ParameterError(
                "ratings",
                f"several ratings for the same cell {dup[:3]}; "
                "summarise them (e.g. the workshop mean) first",
            )
        grid = pd.DataFrame(np.nan, index=list(STAKEHOLDERS), columns=list(ENABLERS))
        r = values(t, "rating")
        for s, e, x in zip(st, en, r, strict=True):
            grid.loc[s, e] = x
        return grid
    # wide: stakeholder codes x enabler codes
    if iso3 is not None or year is not None:
        raise ParameterError(
            "iso3" if iso3 is not None else "year",
            "only a long ratings table (iso3, year, stakeholder, enabler, rating) can be filtered",
        )
    t = check_frame(ratings, "ratings", list(ratings.columns))
    if len(t.columns) == 0:
        raise ParameterError(
            "ratings",
            "missing columns: expected 'stakeholder', 'enabler', "
            "'rating' (long) or enabler codes (wide)",
        )
    _check_codes([str(c) for c in t.index], STAKEHOLDERS, "stakeholder")
    _check_codes([str(c) for c in t.columns], ENABLERS, "enabler")
    wide = pd.DataFrame({str(c): values(t, c) for c in t.columns}, index=[str(i) for i in t.index])
    return wide.reindex(index=list(STAKEHOLDERS), columns=list(ENABLERS))


@styled
def plot_rating_grid(
    ratings: pd.DataFrame,
    *,
    iso3: str | None = None,
    year: int | None = None,
    country: str | None = None,
    digits: int = 1,
    ax: Axes | None = None,
    title: str | None = None,
) -> Axes:
    """The stakeholder x enabler grid of national expert ratings (1-5), annotated.

    Rows are the six stakeholder groups and columns the seven canvas enabler blocks of
    :mod:`innolab.ecosystem`, always all of them and in that order, so that grids of different
    countries line up; cells without a rating are hatched and marked "n/a".

    Parameters
    ----------
    ratings : DataFrame
        Either the long table of ``innolab.sources.read_expert_ratings`` - columns
        ``stakeholder``, ``enabler`` (codes of ``STAKEHOLDERS``/``ENABLERS``), ``rating``
        (1-5; one value per cell, e.g. the workshop mean) and optionally ``iso3``, ``year``,
        ``respondents`` - or a wide grid with stakeholder codes as index and enabler codes
        as columns.
    iso3, year : optional
        Select one country / year from a long table that holds several.
    country : str, optional
        Country name for the default title (default ``iso3``).
    digits : int
        Decimals of the cell values (ratings that are means are not integers).
    ax : Axes, optional
    title : str, optional
        Default ``"<country>: expert ratings by stakeholder and enabler"``.

    Returns
    -------
    matplotlib.axes.Axes
        ``ax.images[0]`` holds the 6 x 7 matrix; value texts have ``gid`` ``"cell-value"``,
        missing cells ``"cell-missing"``. The colour bar (1-5) is below the grid.

    Raises
    ------
    ParameterError
        Missing column; unknown stakeholder or enabler codes (with near matches); several
        ratings for one cell; ratings outside 1-5; several countries or years without
        ``iso3``/``year``.

    Examples
    --------
    >>> import pandas as pd, matplotlib.pyplot as plt
    >>> r = pd.DataFrame({"stakeholder": ["academia", "financing"],
    ...                   "enabler": ["talent_champions", "capital_resources"],
    ...                   "rating": [4.0, 2.5]})
    >>> ax = plot_rating_grid(r, country="Kenya")
    >>> [t.get_text() for t in ax.texts if t.get_gid() == "cell-value"]
    ['4.0', '2.5']
    >>> plt.close(ax.figure)
    """
    grid = _rating_matrix(ratings, iso3, year)
    mat = grid.to_numpy(dtype=float)
    for j, c in enumerate(grid.columns):
        check_range(mat[:, j], list(grid.index), "ratings", f"rating ({c})", RATING_RANGE)
    if int(digits) != digits or digits < 0:
        raise ParameterError("digits", f"must be a non-negative integer, got {digits!r}")
    if not np.isfinite(mat).any():
        raise ParameterError("ratings", "no rating to show")

    ax = new_axes(ax)
    cols = [wrap_label(ENABLERS[c], 12, 3) for c in grid.columns]
    rows = [wrap_label(STAKEHOLDERS[s], 22, 2) for s in grid.index]
    lo, hi = RATING_RANGE
    ticks = np.arange(lo, hi + 0.5, 1.0)
    n_missing = int((~np.isfinite(mat)).sum())
    note = f"; hatched = no rating ({n_missing} of {mat.size} cells)" if n_missing else ""
    _draw_grid(
        ax,
        mat,
        rows,
        cols,
        limits=RATING_RANGE,
        digits=int(digits),
        annotate=True,
        cbar_label=f"Expert rating ({lo:g} = nascent \u2026 {hi:g} = mature){note}",
        cbar_ticks=ticks,
        col_fontsize=8,
        cbar_location="bottom",
    )
    ax.xaxis.tick_top()
    ax.xaxis.set_label_position("top")
    ax.set_xlabel(f"Enabler (canvas block); rating {lo:g}\u2013{hi:g}")
    ax.set_ylabel("Stakeholder group")
    who = country or iso3 or "Country"
    finish(ax, title if title is not None else f"{who}: expert ratings by stakeholder and enabler")
    return ax
