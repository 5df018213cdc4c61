"""Screen: drop units (or indicators, or unit pillars) with too little data.

A composite score for a country that reports a handful of its indicators says more about data
gaps than about performance; GII, EIS and COINr therefore screen on data availability before
aggregating. Three modes:

``by="unit"`` (COINr ``Screen(unit_screen = "byNA")``)
    For each unit (row), over the indicator columns:
    ``N_missing`` (NA count), ``N_zero`` (exact zeros among the non-NA), ``N_miss_or_zero``,
    ``Dat_Avail = 1 - N_missing / n_indicators``, ``Non_Zero = 1 - N_zero / (n_indicators -
    N_missing)``, ``LowData = Dat_Avail < min_coverage`` (strict: a unit exactly at the threshold
    stays), ``LowNonZero = Non_Zero < nonzero_threshold``, ``LowDatOrZeroFlag = LowData or
    LowNonZero`` and ``Included``. With ``rule="na"`` (default, COINr ``byNA``) ``Included = not
    LowData``; ``rule="zeros"`` uses ``LowNonZero`` (``byzeros``) and ``rule="na_or_zeros"`` uses
    ``LowDatOrZeroFlag`` (``byNAandZeros``). Units not included are removed; columns never are.
``by="indicator"``
    The same statistics per indicator (column) over the units; columns not included are removed.
``by="pillar"``
    Per unit and pillar (the parent of the indicators): the share of the pillar's indicators
    with data. Where it is below ``min_coverage`` the unit's values in that pillar are set to NA,
    so that the pillar (and what depends on it) is missing for that unit (GII's rule).

Panels (index ``(iso3, year)``): each row (a unit in one year) is screened on its own.
Edge cases: a unit with no data at all has ``Non_Zero`` NaN, which counts as ``LowNonZero``
(there is nothing non-zero); group and denominator columns are never counted (pass
``indicators=`` or a framework to say which columns are indicators).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ParameterError
from . import _tree
from ._common import check_frame, float_values, fmt, select_numeric, to_matrix
from .result import StageResult, cell_audit, concat_audits, empty_audit

__all__ = ["screen", "coverage", "SCREEN_MODES", "SCREEN_RULES"]

STAGE = "screen"
SCREEN_MODES = ("unit", "indicator", "pillar")
SCREEN_RULES = ("na", "zeros", "na_or_zeros")

_SUMMARY_COLUMNS = [
    "N_missing",
    "N_zero",
    "N_miss_or_zero",
    "Dat_Avail",
    "Non_Zero",
    "LowData",
    "LowNonZero",
    "LowDatOrZeroFlag",
    "Included",
]


def coverage(
    x: np.ndarray, axis: int, *, min_coverage: float, nonzero_threshold: float, rule: str
) -> dict[str, np.ndarray]:
    """COINr's availability statistics along ``axis`` of a 2-D array (kernel of :func:`screen`).

    ``axis=1`` gives one value per row (unit screening), ``axis=0`` one per column.

    Examples
    --------
    >>> import numpy as np
    >>> x = np.array([[1.0, 0.0, np.nan, 2.0], [np.nan, np.nan, np.nan, 0.0]])
    >>> s = coverage(x, 1, min_coverage=0.5, nonzero_threshold=0.05, rule="na")
    >>> s["Dat_Avail"].tolist(), s["Non_Zero"].tolist(), s["Included"].tolist()
    ([0.75, 0.25], [0.6666666666666667, 0.0], [True, False])
    """
    na = np.isnan(x)
    n = x.shape[axis]
    n_missing = na.sum(axis=axis)
    n_zero = ((x == 0) & ~na).sum(axis=axis)
    dat_avail = 1 - n_missing / n if n else np.full(n_missing.shape, np.nan)
    with np.errstate(invalid="ignore", divide="ignore"):
        non_zero = 1 - n_zero / (n - n_missing)
    low_data = dat_avail < min_coverage
    low_nonzero = ~(non_zero >= nonzero_threshold)  # NaN (no data) counts as low
    flag = low_data | low_nonzero
    excluded = {"na": low_data, "zeros": low_nonzero, "na_or_zeros": flag}[rule]
    return {
        "N_missing": n_missing.astype(int),
        "N_zero": n_zero.astype(int),
        "N_miss_or_zero": (n_missing + n_zero).astype(int),
        "Dat_Avail": dat_avail,
        "Non_Zero": non_zero,
        "LowData": low_data,
        "LowNonZero": low_nonzero,
        "LowDatOrZeroFlag": flag,
        "Included": ~excluded,
    }


def screen(
    data: pd.DataFrame,
    *,
    min_coverage: float,
    by: str = "unit",
    framework: Any = None,
    nonzero_threshold: float = 0.05,
    rule: str = "na",
    indicators: Iterable[str] | None = None,
    force_include: Iterable[Any] = (),
    force_exclude: Iterable[Any] = (),
) -> StageResult:
    """Screen ``data`` on data availability (see the module docstring for the exact rules).

    Parameters
    ----------
    data : DataFrame
        Wide data; rows units (or (iso3, year)), columns indicator codes (other columns are
        carried along but not counted).
    min_coverage : float
        Threshold in [0, 1] on the share of non-missing values (strict ``<`` excludes).
    by : {"unit", "indicator", "pillar"}
    framework : Framework, optional
        Says which columns are indicators; required for ``by="pillar"``.
    nonzero_threshold : float
        Threshold on the share of non-zero values (COINr default 0.05).
    rule : {"na", "zeros", "na_or_zeros"}
        What excludes a unit/indicator (COINr ``byNA``, ``byzeros``, ``byNAandZeros``).
    indicators : iterable of str, optional
        Indicator columns; default the framework's indicators present in ``data``, else every
        numeric column.
    force_include, force_exclude : iterable
        Units (``by="unit"``) or indicators (``by="indicator"``) kept or removed regardless of
        their coverage (COINr's ``Force``).

    Returns
    -------
    StageResult
        ``details``: the summary table (COINr ``screening_DataSummary`` layout for units; one
        row per indicator, or per unit x pillar for the other modes). ``audit``: one row per
        removed unit (``code`` NA, action ``unit_removed``), removed indicator (``iso3`` NA,
        action ``indicator_removed``) or blanked cell (action ``pillar_screened_out``).

    Examples
    --------
    >>> import numpy as np, pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, np.nan, 3.0], "b": [0.0, np.nan, 1.0], "c": [2.0, 5.0, 1.0]},
    ...                   index=pd.Index(["X", "Y", "Z"], name="iso3"))
    >>> r = screen(df, min_coverage=0.5)
    >>> r.data.index.tolist(), r.details["Dat_Avail"].round(4).tolist()
    (['X', 'Z'], [1.0, 0.3333, 1.0])
    """
    check_frame(data)
    if by not in SCREEN_MODES:
        raise ParameterError("by", f"must be one of {', '.join(SCREEN_MODES)}, got {by!r}")
    if rule not in SCREEN_RULES:
        raise ParameterError("rule", f"must be one of {', '.join(SCREEN_RULES)}, got {rule!r}")
    for name, v in (("min_coverage", min_coverage), ("nonzero_threshold", nonzero_threshold)):
        if not isinstance(v, int | float) or isinstance(v, bool) or not 0 <= v <= 1:
            raise ParameterError(name, f"must be a number in [0, 1], got {v!r}")
    if indicators is None and framework is not None:
        indicators = [c for c in _tree.indicator_codes(framework) if c in data.columns]
    cols = select_numeric(data, indicators)
    if not cols:
        raise ParameterError("data", "no numeric indicator columns to screen")
    x = to_matrix(data, cols)
    kw = {"min_coverage": min_coverage, "nonzero_threshold": nonzero_threshold, "rule": rule}
    if by == "pillar":
        return _screen_pillars(data, cols, x, framework, min_coverage)
    axis = 1 if by == "unit" else 0
    labels = data.index if by == "unit" else pd.Index(cols, name="code")
    stats = coverage(x, axis, **kw)
    summary = pd.DataFrame({k: stats[k] for k in _SUMMARY_COLUMNS}, index=labels)
    if by == "unit" and not isinstance(summary.index, pd.MultiIndex):
        summary.index.name = "iso3"
    _force(summary, force_include, force_exclude, by)
    keep = summary["Included"].to_numpy()
    if by == "unit":
        vals = float_values(data)
        if vals is None:
            out = data.loc[keep].copy()
        else:  # the same table as data.loc[keep].copy(), without label alignment
            out = pd.DataFrame(vals[keep], index=data.index[keep], columns=data.columns.copy())
        gone = summary.loc[~keep]
        audit = _row_audit(gone, data.index, min_coverage, "unit_removed", unit=True)
    else:
        drop = [c for c, k in zip(cols, keep, strict=True) if not k]
        out = data.drop(columns=drop)
        audit = _row_audit(
            summary.loc[~keep], data.index, min_coverage, "indicator_removed", unit=False
        )
    return StageResult(out, audit, summary)


def _force(summary: pd.DataFrame, include: Iterable[Any], exclude: Iterable[Any], by: str) -> None:
    include, exclude = list(include), list(exclude)
    unknown = [u for u in include + exclude if u not in summary.index]
    if unknown:
        raise ParameterError("force_include/force_exclude", f"not {by}s of the data: {unknown}")
    both = set(include) & set(exclude)
    if both:
        raise ParameterError("force_include/force_exclude", f"both included and excluded: {both}")
    if include:
        summary.loc[include, "Included"] = True
    if exclude:
        summary.loc[exclude, "Included"] = False


def _row_audit(
    gone: pd.DataFrame, index: pd.Index, thr: float, action: str, *, unit: bool
) -> pd.DataFrame:
    if gone.empty:
        return empty_audit(index)
    base = empty_audit(index)
    rows = []
    stats = zip(
        gone.index,
        gone["Dat_Avail"].to_numpy(),
        gone["Non_Zero"].to_numpy(),
        gone["LowData"].to_numpy(),
        gone["LowNonZero"].to_numpy(),
        strict=True,
    )
    for key, dat_avail, non_zero, low_data, low_nonzero in stats:
        reason = (
            f"data availability {fmt(dat_avail)} < {fmt(thr)}"
            if low_data
            else (f"non-zero share {fmt(non_zero)}" if low_nonzero else "forced")
        )
        rec = {c: np.nan for c in base.columns}
        rec.update(stage=STAGE, action=action, detail=reason)
        if unit:
            if isinstance(index, pd.MultiIndex):
                for name, v in zip(base.columns[1:-5], key, strict=True):
                    rec[name] = v
            else:
                rec["iso3"] = key
            rec["code"] = pd.NA
        else:
            rec["iso3"] = pd.NA
            rec["code"] = key
        rows.append(rec)
    return pd.DataFrame(rows, columns=base.columns)


def _screen_pillars(
    data: pd.DataFrame, cols: list[str], x: np.ndarray, framework: Any, thr: float
) -> StageResult:
    if framework is None:
        raise ParameterError("framework", 'screen(by="pillar") needs the framework')
    parents: dict[str, list[int]] = {}
    for j, c in enumerate(cols):
        p = _tree.parent_of(framework, c)
        if p is None:
            raise ParameterError("data", f"column {c} has no parent pillar in the framework")
        parents.setdefault(p, []).append(j)
    # a pillar's coverage counts its indicators present in the data (an indicator removed for
    # every unit, e.g. by an earlier indicator screen, does not count against each unit)
    y = x.copy()
    recs = []
    for p, idx in parents.items():
        n_total = len(idx)
        n_avail = (~np.isnan(x[:, idx])).sum(axis=1)
        share = n_avail / n_total
        low = share < thr
        y[np.ix_(low, idx)] = np.nan
        recs.append(
            pd.DataFrame(
                {
                    "pillar": p,
                    "n_indicators": n_total,
                    "n_available": n_avail,
                    "Dat_Avail": share,
                    "LowData": low,
                },
                index=data.index,
            )
        )
    details = pd.concat(recs).reset_index()
    changed = np.isnan(y) & ~np.isnan(x)
    parent_of_col = {cols[j]: p for p, idx in parents.items() for j in idx}
    audit = cell_audit(
        STAGE,
        data.index,
        cols,
        changed,
        x,
        y,
        "pillar_screened_out",
        {c: f"pillar {parent_of_col[c]} coverage < {fmt(thr)}" for c in cols},
    )
    out = data.copy()
    for j, c in enumerate(cols):
        out[c] = y[:, j]
    return StageResult(out, concat_audits([audit], data.index), details)
