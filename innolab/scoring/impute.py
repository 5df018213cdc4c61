"""Impute: estimate missing indicator values (OECD/JRC Handbook step 3; COINr ``i_*``).

Methods (registered in :data:`~innolab.scoring.registry.IMPUTERS`):

``mean``, ``median``
    Replace each NA by the column's mean / median of the observed values (COINr ``i_mean``,
    ``i_median``).
``group_mean``, ``group_median``
    The same within groups of units (COINr ``i_mean_grp`` / ``i_median_grp``): a group whose
    values are all missing stays missing (no fallback to the overall value), and a unit whose
    group label is NA is left untouched.
``carry_forward``
    Panels (index ``(iso3, year)``): the last observation of the same unit is carried forward
    if it is at most ``max_gap`` years older (default 5).
``regression``
    Iterative regression imputation: start from column means, then repeatedly regress each
    incomplete column on all the other columns (least squares with an intercept over the units
    where it is observed; optional ridge ``alpha`` on standardised predictors; without it the
    minimum-norm least-squares solution is used when predictors are collinear) and replace its missing
    cells by the predictions, until the largest change is below ``tol`` (in units of the
    column's standard deviation).
``em``
    Expectation-maximisation for a multivariate normal model (Dempster, Laird & Rubin 1977;
    Little & Rubin 2002, ch. 11): the E-step fills each unit's missing values with their
    conditional expectation given its observed values, :math:`\\mu_m + \\Sigma_{mo}
    \\Sigma_{oo}^{-1}(x_o - \\mu_o)`, and accumulates the conditional covariance; the M-step
    re-estimates :math:`\\mu` and :math:`\\Sigma`. Iterates until the imputed values change less
    than ``tol`` (standardised units). ``ridge`` adds a small multiple of the diagonal to
    :math:`\\Sigma_{oo}` so that the step is defined when there are about as many indicators as
    units.

Panels: every method except ``carry_forward`` is applied within each year separately.
Observed values are never changed; every imputed cell is written to the audit.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError
from ._common import (
    check_frame,
    check_override_codes,
    resolve_method,
    scale_of,
    select_numeric,
    text_array,
    to_matrix,
    with_columns,
)
from .registry import IMPUTERS
from .result import StageResult, cell_audit, concat_audits

__all__ = [
    "impute",
    "impute_mean",
    "impute_median",
    "impute_group_mean",
    "impute_group_median",
    "carry_forward",
    "impute_regression",
    "impute_em",
]

STAGE = "impute"


# --------------------------------------------------------------------------- column kernels
@IMPUTERS.register("mean", scope="column")
def impute_mean(x: np.ndarray) -> np.ndarray:
    """Replace NaN by the mean of the observed values (an all-NaN vector is returned as is).

    Examples
    --------
    >>> impute_mean(np.array([1.0, np.nan, 5.0])).tolist()
    [1.0, 3.0, 5.0]
    """
    return _fill_with(x, np.mean)


@IMPUTERS.register("median", scope="column")
def impute_median(x: np.ndarray) -> np.ndarray:
    """Replace NaN by the median of the observed values.

    Examples
    --------
    >>> impute_median(np.array([1.0, np.nan, 5.0, 2.0])).tolist()
    [1.0, 2.0, 5.0, 2.0]
    """
    return _fill_with(x, np.median)


def _fill_with(x: np.ndarray, stat: Callable[[np.ndarray], float]) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    y = x.copy()
    na = np.isnan(x)
    if na.any() and not na.all():
        y[na] = stat(x[~na])
    return y


@IMPUTERS.register("group_mean", scope="group")
def impute_group_mean(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Replace NaN by the mean of the observed values of the unit's group (COINr i_mean_grp).

    A group with no observed value stays missing; a unit with an NA group label is untouched.

    Examples
    --------
    >>> x = np.array([1.0, np.nan, 3.0, 10.0, np.nan, np.nan])
    >>> g = np.array(["a", "a", "a", "b", "b", None], dtype=object)
    >>> impute_group_mean(x, g).tolist()
    [1.0, 2.0, 3.0, 10.0, 10.0, nan]
    """
    return _fill_grouped(x, groups, np.mean)


@IMPUTERS.register("group_median", scope="group")
def impute_group_median(x: np.ndarray, groups: np.ndarray) -> np.ndarray:
    """Replace NaN by the median of the observed values of the unit's group (COINr i_median_grp).

    Examples
    --------
    >>> x = np.array([1.0, np.nan, 3.0, 8.0, 10.0, np.nan])
    >>> g = np.array(["a", "a", "a", "b", "b", "b"], dtype=object)
    >>> impute_group_median(x, g).tolist()
    [1.0, 2.0, 3.0, 8.0, 10.0, 9.0]
    """
    return _fill_grouped(x, groups, np.median)


def _fill_grouped(
    x: np.ndarray, groups: np.ndarray, stat: Callable[[np.ndarray], float]
) -> np.ndarray:
    x = np.asarray(x, dtype=float)
    groups = np.asarray(groups, dtype=object)
    if groups.shape != x.shape:
        raise ParameterError("groups", f"length {groups.shape} does not match data {x.shape}")
    if not np.isnan(x).any():
        return x.copy()
    return _fill_coded(x, pd.factorize(groups)[0], stat)


def _fill_coded(
    x: np.ndarray, codes: np.ndarray, stat: Callable[[np.ndarray], float]
) -> np.ndarray:
    """:func:`_fill_grouped` with the groups as codes 0, 1, ... in order of first appearance
    (-1 = no label), so that a verb factorises the labels once for all its columns."""
    y = x.copy()
    na = np.isnan(x)
    if not na.any():
        return y
    for k in range(codes.max() + 1 if codes.size else 0):
        in_g = codes == k
        obs = x[in_g & ~na]
        if obs.size:
            y[in_g & na] = stat(obs)
    return y


# --------------------------------------------------------------------------- panel kernel
@IMPUTERS.register("carry_forward", scope="panel")
def carry_forward(x: np.ndarray, years: np.ndarray, max_gap: int | None = 5) -> np.ndarray:
    """Last observation carried forward along one unit's series (sorted by year).

    A missing value at year ``t`` takes the latest observed value at ``t' < t`` when
    ``t - t' <= max_gap`` (``None``: no limit). Leading gaps stay missing.

    Examples
    --------
    >>> x = np.array([np.nan, 2.0, np.nan, np.nan, np.nan])
    >>> carry_forward(x, np.array([2015, 2016, 2017, 2018, 2020]), max_gap=2).tolist()
    [nan, 2.0, 2.0, 2.0, nan]
    """
    y, _ = _carry(np.asarray(x, dtype=float)[:, None], np.asarray(years), max_gap)
    return y[:, 0]


def _carry(x: np.ndarray, years: np.ndarray, max_gap: int | None) -> tuple[np.ndarray, np.ndarray]:
    """Carry forward down the rows of ``x`` (one unit, rows sorted by year); also source years."""
    yrs = np.asarray(years, dtype=float)
    if np.any(np.diff(yrs) <= 0):
        raise ParameterError("data", "carry_forward needs strictly increasing years per unit")
    obs_year = np.where(np.isnan(x), np.nan, yrs[:, None])
    src = pd.DataFrame(obs_year).ffill().to_numpy()
    val = pd.DataFrame(x).ffill().to_numpy()
    ok = np.isnan(x) & ~np.isnan(src)
    if max_gap is not None:
        ok &= (yrs[:, None] - src) <= max_gap
    y = np.where(ok, val, x)
    return y, np.where(ok, src, np.nan)


# --------------------------------------------------------------------------- matrix methods
@IMPUTERS.register("regression", scope="matrix")
def impute_regression(
    x: np.ndarray, *, alpha: float = 0.0, tol: float = 1e-10, max_iter: int = 500
) -> tuple[np.ndarray, dict[str, Any]]:
    """Iterative regression imputation on the other columns (see the module docstring).

    Returns the filled matrix and ``{"iterations": k, "converged": bool, "max_change": d}``.

    Examples
    --------
    Column 2 is exactly ``2*a - b + 1``; its missing cell is recovered exactly.

    >>> x = np.array([[1, 4, -1], [2, 1, 4], [3, 5, 2], [4, 2, 7], [6, 3, np.nan], [5, 7, 4.]])
    >>> y, info = impute_regression(x)
    >>> round(float(y[4, 2]), 6), info["converged"]
    (10.0, True)
    """
    return _iterate(x, "regression", alpha=alpha, tol=tol, max_iter=max_iter)


@IMPUTERS.register("em", scope="matrix")
def impute_em(
    x: np.ndarray, *, ridge: float = 1e-8, tol: float = 1e-10, max_iter: int = 1000
) -> tuple[np.ndarray, dict[str, Any]]:
    """Multivariate-normal EM imputation (see the module docstring).

    Returns the filled matrix and ``{"iterations": k, "converged": bool, "max_change": d}``.

    Examples
    --------
    >>> x = np.array([[1, 4, -1], [2, 1, 4], [3, 5, 2], [4, 2, 7], [6, 3, np.nan], [5, 7, 4.]])
    >>> y, info = impute_em(x)
    >>> round(float(y[4, 2]), 6), info["converged"]
    (10.0, True)
    """
    return _iterate(x, "em", ridge=ridge, tol=tol, max_iter=max_iter)


def _iterate(x: np.ndarray, kind: str, *, tol: float, max_iter: int, **kw: float):
    x = np.asarray(x, dtype=float)
    if x.ndim != 2:
        raise ParameterError("data", "regression/EM imputation needs a 2-D matrix")
    na = np.isnan(x)
    info: dict[str, Any] = {"iterations": 0, "converged": True, "max_change": 0.0}
    usable = ~na.all(axis=0)
    if not na[:, usable].any() or x.shape[0] < 3:
        return x.copy(), info
    # standardise the usable columns for conditioning (observed mean and sd); a column of
    # extreme magnitude (outside 1e-100..1e100) is first divided by its largest |value|, so
    # that its mean and sd neither overflow nor underflow (z is the same either way)
    xs = x[:, usable]
    scale = np.array([scale_of(c[~np.isnan(c)]) for c in xs.T])
    xs_scaled = xs / scale if np.any(scale != 1.0) else xs
    mu = np.nanmean(xs_scaled, axis=0)
    sd = np.nanstd(xs_scaled, axis=0)
    sd[~(sd > 0)] = 1.0
    z = (xs_scaled - mu) / sd
    zna = np.isnan(z)
    zf = np.where(zna, 0.0, z)  # start from the column means
    step = _em_step if kind == "em" else _regression_step
    state: dict[str, Any] = {}
    change = np.inf
    it = 0
    for it in range(1, max_iter + 1):  # noqa: B007 - reported below
        new = step(z, zna, zf, state, **kw)
        change = float(np.max(np.abs(new - zf))) if zna.any() else 0.0
        zf = new
        if change < tol:
            break
    info.update(iterations=it, converged=bool(change < tol), max_change=change)
    if not info["converged"]:
        warnings.warn(
            f"{kind} imputation did not converge in {max_iter} iterations "
            f"(last change {change:.3g} sd)",
            RuntimeWarning,
            stacklevel=3,
        )
    y = x.copy()
    y[:, usable] = np.where(zna, (zf * sd + mu) * scale, xs)
    return y, info


def _regression_step(
    z: np.ndarray, zna: np.ndarray, zf: np.ndarray, state: dict, *, alpha: float
) -> np.ndarray:
    out = zf.copy()
    n, p = z.shape
    for j in np.nonzero(zna.any(axis=0))[0]:
        obs = ~zna[:, j]
        others = [k for k in range(p) if k != j]
        a = np.column_stack([np.ones(n), out[:, others]])
        ao, yo = a[obs], z[obs, j]
        if alpha > 0:  # ridge as an augmented least-squares system; intercept not penalised
            pen = np.sqrt(alpha) * np.eye(a.shape[1])[1:]
            ao = np.vstack([ao, pen])
            yo = np.concatenate([yo, np.zeros(len(pen))])
        beta = np.linalg.lstsq(ao, yo, rcond=None)[0]
        out[~obs, j] = a[~obs] @ beta
    return out


def _em_step(
    z: np.ndarray, zna: np.ndarray, zf: np.ndarray, state: dict, *, ridge: float
) -> np.ndarray:
    n, p = z.shape
    mu = zf.mean(axis=0)
    if "cov" in state:
        sigma = state["cov"]
    else:
        d = zf - mu
        sigma = d.T @ d / n
    out = zf.copy()
    corr = np.zeros((p, p))
    patterns: dict[bytes, list[int]] = {}
    for i in range(n):
        if zna[i].any():
            patterns.setdefault(zna[i].tobytes(), []).append(i)
    for rows_list in patterns.values():
        rows = np.asarray(rows_list)
        m = zna[rows[0]]
        o = ~m
        s_mm = sigma[np.ix_(m, m)]
        if not o.any():
            out[np.ix_(rows, m)] = mu[m]
            corr[np.ix_(m, m)] += len(rows) * s_mm
            continue
        s_oo = sigma[np.ix_(o, o)]
        s_om = sigma[np.ix_(o, m)]
        s_oo = s_oo + ridge * np.diag(np.diag(s_oo) + 1.0)
        b = np.linalg.lstsq(s_oo, s_om, rcond=None)[0]
        out[np.ix_(rows, m)] = mu[m] + (z[np.ix_(rows, o)] - mu[o]) @ b
        corr[np.ix_(m, m)] += len(rows) * (s_mm - s_om.T @ b)
    mu_new = out.mean(axis=0)
    d = out - mu_new
    state["cov"] = (d.T @ d + corr) / n
    return out


# --------------------------------------------------------------------------- the verb
def impute(
    data: pd.DataFrame,
    method: str,
    *,
    groups: pd.Series | str | None = None,
    params: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    columns: list[str] | None = None,
) -> StageResult:
    """Impute the missing values of ``data`` with ``method`` (per-indicator ``overrides``).

    Parameters
    ----------
    data : DataFrame
        Wide data (index ``iso3``, or ``(iso3, year)`` for panels).
    method : str
        One of ``IMPUTERS.names()``: mean, median, group_mean, group_median, carry_forward,
        regression, em.
    groups : Series or str, optional
        Group label per unit for ``group_*`` methods: a Series indexed by unit (``iso3``; for a
        panel also accepted on the full index) or the name of a column of ``data`` (that column
        is then not imputed).
    params : mapping, optional
        Method parameters (``max_gap`` for carry_forward; ``alpha``/``ridge``, ``tol``,
        ``max_iter`` for regression/em).
    overrides : mapping, optional
        Per indicator, a method name or ``{"method": ..., **params}``.
    columns : list of str, optional
        Columns to impute; default every numeric column (except a ``groups`` column).

    Returns
    -------
    StageResult
        ``audit``: one row per imputed cell (action ``imputed``, detail = method and group or
        source year). ``details``: per indicator ``code, method, n_missing, n_imputed,
        n_still_missing`` (+ ``iterations, converged`` for regression/em).

    Examples
    --------
    >>> import pandas as pd
    >>> df = pd.DataFrame({"a": [1.0, None, 3.0, 7.0], "g": ["x", "x", "x", "y"]},
    ...                   index=pd.Index(list("ABCD"), name="iso3"))
    >>> r = impute(df, "group_mean", groups="g")
    >>> r.data["a"].tolist(), r.audit[["iso3", "code", "after"]].values.tolist()
    ([1.0, 2.0, 3.0, 7.0], [['B', 'a', 2.0]])
    """
    check_frame(data)
    group_col = groups if isinstance(groups, str) else None
    cols = select_numeric(data, columns, exclude=[group_col] if group_col else [])
    check_override_codes(overrides, cols)
    plan: dict[tuple[str, str], list[str]] = {}
    prms: dict[tuple[str, str], dict[str, Any]] = {}
    for c in cols:
        name, prm = resolve_method(c, method, params, overrides)
        IMPUTERS.get(name)
        key = (name, repr(sorted(prm.items())))
        prms[key] = prm
        plan.setdefault(key, []).append(c)
    panel = _is_panel(data.index)
    x = to_matrix(data, cols)
    y = x.copy()
    detail = np.full(x.shape, "", dtype=object)
    info_rows: dict[str, dict[str, Any]] = {}
    pos = {c: j for j, c in enumerate(cols)}
    for key, pcols in plan.items():
        name, prm = key[0], prms[key]
        scope = IMPUTERS.meta(name)["scope"]
        idx = [pos[c] for c in pcols]
        if scope == "panel":
            if not panel:
                raise ParameterError("method", f"{name} needs panel data indexed by (iso3, year)")
            _apply_carry(data.index, x, y, detail, idx, prm)
            continue
        g = _group_labels(data, groups) if scope == "group" else None
        if scope == "group" and g is None:
            raise ParameterError("groups", f"{name} needs groups (a Series or a column name)")
        for rows in _year_blocks(data.index) if panel else [np.arange(len(data))]:
            if scope == "matrix":
                filled, info = _call(IMPUTERS.get(name), name, x[np.ix_(rows, idx)], prm)
                y[np.ix_(rows, idx)] = filled
                for c in pcols:
                    prev = info_rows.get(c, {"iterations": 0, "converged": True})
                    info_rows[c] = {
                        "iterations": max(prev["iterations"], info["iterations"]),
                        "converged": prev["converged"] and info["converged"],
                    }
                    detail[rows, pos[c]] = name
                continue
            if scope == "group":
                # the audit detail of a cell: method and the unit's group (same for every column)
                labels = np.empty(len(rows), dtype=object)
                labels[:] = [f"{name} {lab}" for lab in g[rows]]
            stat = _GROUP_STATS.get(IMPUTERS.get(name)) if scope == "group" and not prm else None
            if stat is not None:  # the group kernels' own computation, labels coded once
                codes = pd.factorize(np.asarray(g[rows], dtype=object))[0]
            for j in idx:
                if stat is not None:
                    y[rows, j] = _fill_coded(x[rows, j], codes, stat)
                    detail[rows, j] = labels
                elif scope == "group":
                    y[rows, j] = _call(IMPUTERS.get(name), name, x[rows, j], prm, g[rows])
                    detail[rows, j] = labels
                else:
                    y[rows, j] = _call(IMPUTERS.get(name), name, x[rows, j], prm)
                    detail[rows, j] = name
    changed = np.isnan(x) & ~np.isnan(y)
    audit = cell_audit(STAGE, data.index, cols, changed, x, y, "imputed", detail)
    method_of = {c: name for (name, _), pc in plan.items() for c in pc}
    details = pd.DataFrame(
        {
            "code": text_array(cols),
            "method": text_array([method_of[c] for c in cols]),
            "n_missing": np.isnan(x).sum(axis=0).astype(int),
            "n_imputed": changed.sum(axis=0).astype(int),
            "n_still_missing": np.isnan(y).sum(axis=0).astype(int),
        }
    )
    if info_rows:
        details["iterations"] = [info_rows.get(c, {}).get("iterations", np.nan) for c in cols]
        details["converged"] = [info_rows.get(c, {}).get("converged", pd.NA) for c in cols]
    return StageResult(with_columns(data, cols, y), concat_audits([audit], data.index), details)


_GROUP_STATS: dict[Callable[..., Any], Callable[[np.ndarray], float]] = {
    impute_group_mean: np.mean,
    impute_group_median: np.median,
}


def _call(fn: Callable[..., Any], name: str, x: np.ndarray, prm: dict, *args: Any) -> Any:
    try:
        return fn(x, *args, **prm)
    except TypeError as e:
        raise ParameterError("params", f"{name}: {e}") from None
    except np.linalg.LinAlgError as e:
        raise ComputationError(f"{name} imputation failed: {e}") from None


def _is_panel(index: pd.Index) -> bool:
    return isinstance(index, pd.MultiIndex) and "year" in index.names


def _year_blocks(index: pd.MultiIndex) -> list[np.ndarray]:
    years = index.get_level_values("year")
    codes, uniques = pd.factorize(years)
    return [np.nonzero(codes == k)[0] for k in range(len(uniques))]


def _group_labels(data: pd.DataFrame, groups: pd.Series | str | None) -> np.ndarray | None:
    if groups is None:
        return None
    if isinstance(groups, str):
        if groups not in data.columns:
            raise ParameterError("groups", f"column {groups!r} not in the data")
        return data[groups].to_numpy(dtype=object)
    if isinstance(groups, pd.Series):
        if groups.index.equals(data.index):
            return groups.to_numpy(dtype=object)
        keys = (
            data.index.get_level_values(0)
            if isinstance(data.index, pd.MultiIndex)
            else (data.index)
        )
        if not groups.index.is_unique:
            raise ParameterError("groups", "the group Series has duplicate unit labels")
        missing = sorted(set(keys) - set(groups.index))
        if missing:
            raise ParameterError("groups", f"no group label for units {missing[:10]}")
        return groups.reindex(keys).to_numpy(dtype=object)
    arr = np.asarray(groups, dtype=object)
    if arr.shape != (len(data),):
        raise ParameterError("groups", f"expected {len(data)} labels, got shape {arr.shape}")
    return arr


def _apply_carry(
    index: pd.MultiIndex,
    x: np.ndarray,
    y: np.ndarray,
    detail: np.ndarray,
    idx: list[int],
    prm: dict[str, Any],
) -> None:
    unknown = set(prm) - {"max_gap"}
    if unknown:
        raise ParameterError("params", f"carry_forward: unknown parameters {sorted(unknown)}")
    max_gap = prm.get("max_gap", 5)
    if max_gap is not None and (not isinstance(max_gap, int | float) or max_gap < 0):
        raise ParameterError("max_gap", f"must be a non-negative number or None, got {max_gap!r}")
    units = index.get_level_values(0)
    years = np.asarray(index.get_level_values("year"), dtype=float)
    order = np.lexsort((years, pd.factorize(units)[0]))
    xs = x[np.ix_(order, idx)]
    ys = years[order]
    us = pd.factorize(units[order])[0]
    if np.any((np.diff(us) == 0) & (np.diff(ys) <= 0)):
        raise ParameterError("data", "duplicate (iso3, year) rows")
    # carry within units: forward-fill grouped by unit
    frame = pd.DataFrame(xs)
    obs_year = pd.DataFrame(np.where(np.isnan(xs), np.nan, ys[:, None]))
    val = frame.groupby(us).ffill().to_numpy()
    src = obs_year.groupby(us).ffill().to_numpy()
    ok = np.isnan(xs) & ~np.isnan(src)
    if max_gap is not None:
        ok &= (ys[:, None] - src) <= max_gap
    filled = np.where(ok, val, xs)
    det = np.where(
        ok, np.char.add("carried forward from ", np.where(ok, src, 0).astype(int).astype(str)), ""
    ).astype(object)
    y[np.ix_(order, idx)] = filled
    detail[np.ix_(order, idx)] = det
