"""Links to other measures: GII and IDI, GDP per capita, and ITU's three-engines view.

Step 9 of the OECD/JRC Handbook: an index that says something new still relates sensibly to
established measures. This module correlates the index with other scores (the Global Innovation
Index, the ICT Development Index), finds over- and under-performers relative to income (the
residuals of a regression of the score on log GDP per capita) and places a country on ITU's
three engines of growth - ICT (IDI), innovation (GII) and the innolab index - against the
medians of its region and income group.

Other measures enter as Series ``iso3 -> score``; :func:`scores_from_tidy` turns the tidy tables
of ``shared/data/gii`` and ``shared/data/itu`` (or any ``iso3, [year], [measure], value`` table)
into one.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import CoverageError, ParameterError
from .coherence import correlation

__all__ = ["scores_from_tidy", "index_correlations", "gdp_residuals", "three_engines"]

_VALUE_COLUMNS = ("score", "value")
_YEAR_COLUMNS = ("year", "edition")


def _pick(table: pd.DataFrame, options: tuple[str, ...], what: str, required: bool) -> str | None:
    for c in options:
        if c in table.columns:
            return c
    if required:
        raise ParameterError("table", f"no {what} column (expected one of {list(options)})")
    return None


def scores_from_tidy(
    table: pd.DataFrame, *, measure: str | None = None, year: int | None = None
) -> pd.Series:
    """One score per country from a tidy table ``iso3, [year|edition], [measure], score|value``.

    ``measure`` selects a measure (required when the table has several); ``year`` selects a
    year/edition (default: the latest in the table after the measure is selected). Identical
    duplicate rows (the GII 2019 edition appears from two sources) collapse; conflicting
    duplicates are a :class:`ParameterError` naming the countries.

    Examples
    --------
    >>> t = pd.DataFrame({"iso3": ["A", "B", "A"], "year": [2017, 2017, 2016],
    ...                   "value": [5.0, 6.0, 4.0]})
    >>> scores_from_tidy(t).to_dict()
    {'A': 5.0, 'B': 6.0}
    """
    if "iso3" not in table.columns:
        raise ParameterError("table", "no iso3 column")
    vcol = _pick(table, _VALUE_COLUMNS, "score", True)
    ycol = _pick(table, _YEAR_COLUMNS, "year", False)
    t = table
    if "measure" in t.columns:
        measures = sorted(t["measure"].dropna().unique())
        if measure is None:
            if len(measures) != 1:
                raise ParameterError("measure", f"choose one of {measures}")
            measure = measures[0]
        if measure not in measures:
            raise ParameterError("measure", f"{measure!r} is not one of {measures}")
        t = t[t["measure"] == measure]
    elif measure is not None:
        raise ParameterError("measure", "the table has no measure column")
    if ycol is not None:
        years = sorted(int(y) for y in t[ycol].dropna().unique())
        if not years:
            raise CoverageError("no year in the table")
        if year is None:
            year = years[-1]
        if int(year) not in years:
            raise CoverageError(f"no data for {year} (have {years})")
        t = t[t[ycol] == int(year)]
    elif year is not None:
        raise ParameterError("year", "the table has no year or edition column")
    t = t[["iso3", vcol]].dropna().drop_duplicates()
    dup = t["iso3"][t["iso3"].duplicated()].unique().tolist()
    if dup:
        raise ParameterError("table", f"conflicting values for {dup}")
    out = t.set_index("iso3")[vcol].astype(float)
    out.name = measure or vcol
    return out


def index_correlations(index: pd.Series, others: Mapping[str, pd.Series]) -> pd.DataFrame:
    """Pearson and Spearman correlation of the index with each other measure.

    Computed over the countries present in both (pairwise complete); p-values from the t test
    (:func:`innolab.analysis.coherence.correlation`).

    Returns
    -------
    DataFrame ``measure, n, pearson, pearson_p, spearman, spearman_p``.
    """
    rows = []
    for name, s in others.items():
        r, n, p = correlation(index, s, method="pearson")
        rho, _, prho = correlation(index, s, method="spearman")
        rows.append((name, n, r, p, rho, prho))
    return pd.DataFrame(
        rows, columns=["measure", "n", "pearson", "pearson_p", "spearman", "spearman_p"]
    )


def gdp_residuals(score: pd.Series, gdp_per_capita: pd.Series, *, k: float = 1.0) -> pd.DataFrame:
    """Over- and under-performers relative to income: residuals of score on log GDP per capita.

    Ordinary least squares over the countries with both values:

    .. math:: \\text{score}_i = a + b\\,\\ln(\\text{GDPpc}_i) + e_i

    A country is an ``over`` performer when ``e_i > k·sd(e)`` and an ``under`` performer when
    ``e_i < -k·sd(e)`` (``sd`` with n - 1 denominator; ``k = 1`` by default; strict
    inequalities). The fit's ``intercept``, ``slope``, ``r2`` and ``residual_sd`` are in the
    result's ``attrs``. A non-positive GDP per capita is a :class:`ParameterError` naming the
    countries; fewer than 3 countries is a :class:`CoverageError`.

    Returns
    -------
    DataFrame indexed by ``iso3``: ``score, gdp_per_capita, log_gdp_per_capita, fitted,
    residual, flag`` ("over", "under" or "").

    Examples
    --------
    >>> s = pd.Series({"A": 10.0, "B": 30.0, "C": 20.0, "D": 45.0})
    >>> g = pd.Series({"A": 1.0, "B": np.e, "C": np.e**2, "D": np.e**3})
    >>> r = gdp_residuals(s, g)
    >>> r["flag"].tolist(), round(r.attrs["slope"], 6)
    (['', '', 'under', ''], 9.5)
    """
    g = pd.Series(gdp_per_capita, dtype=float)
    both = pd.concat(
        [score.astype(float).rename("score"), g.rename("gdp_per_capita")], axis=1, join="inner"
    ).dropna()
    bad = sorted(str(c) for c in both.index[both["gdp_per_capita"] <= 0])
    if bad:
        raise ParameterError("gdp_per_capita", f"must be positive; not for {bad}")
    if len(both) < 3:
        raise CoverageError(f"need at least 3 countries with a score and GDP, got {len(both)}")
    x = np.log(both["gdp_per_capita"].to_numpy())
    y = both["score"].to_numpy()
    design = np.column_stack([np.ones_like(x), x])
    (a, b), *_ = np.linalg.lstsq(design, y, rcond=None)
    fitted = a + b * x
    resid = y - fitted
    sd = float(np.std(resid, ddof=1))
    flag = np.where(resid > k * sd, "over", np.where(resid < -k * sd, "under", ""))
    out = both.assign(log_gdp_per_capita=x, fitted=fitted, residual=resid, flag=flag)
    out.index.name = "iso3"
    ss_tot = float(((y - y.mean()) ** 2).sum())
    out.attrs.update(
        intercept=float(a),
        slope=float(b),
        residual_sd=sd,
        r2=1.0 - float((resid**2).sum()) / ss_tot if ss_tot > 0 else float("nan"),
    )
    return out


def three_engines(
    iso3: str,
    measures: Mapping[str, pd.Series],
    *,
    groups: Mapping[str, pd.Series] | None = None,
    vintage: int | None = None,
) -> pd.DataFrame:
    """A country on IDI, GII and the innolab index against its region and income group.

    Parameters
    ----------
    iso3 : the country.
    measures : ``{name: Series iso3 -> score}``, e.g. ``{"IDI": idi, "GII": gii, "DII": index}``.
    groups : ``{grouping name: Series iso3 -> group}``; default: ITU-D region and income group
        from :func:`innolab.countries.classification` (``vintage``).

    For each measure and grouping: the country's value and rank among all countries with that
    measure, its group, the group median over the members with data (the country included) and
    ``difference = value - group median``. A country without a value, or without a group, gets
    NaN there rather than an error, so one missing source does not hide the others.

    Returns
    -------
    DataFrame ``measure, value, rank, n_units, grouping, group, group_median, n_group,
    difference``.
    """
    if groups is None:
        from ..countries import classification

        groups = {s: classification(s, vintage=vintage) for s in ("itu_region", "income_group")}
    rows = []
    for name, s in measures.items():
        s = pd.Series(s, dtype=float).dropna()
        value = float(s.get(iso3, np.nan))
        rank = float(s.rank(ascending=False, method="min").get(iso3, np.nan))
        for gname, cls in groups.items():
            grp: Any = cls.get(iso3, None)
            if grp is None or (not isinstance(grp, str) and pd.isna(grp)):
                rows.append((name, value, rank, len(s), gname, None, np.nan, 0, np.nan))
                continue
            members = cls.index[cls == grp]
            vals = s.reindex(members).dropna()
            med = float(vals.median()) if len(vals) else np.nan
            rows.append((name, value, rank, len(s), gname, grp, med, len(vals), value - med))
    return pd.DataFrame(
        rows,
        columns=[
            "measure",
            "value",
            "rank",
            "n_units",
            "grouping",
            "group",
            "group_median",
            "n_group",
            "difference",
        ],
    )
