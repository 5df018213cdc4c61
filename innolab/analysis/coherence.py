"""Statistical coherence of an index: correlations, Cronbach's alpha, PCA, effective weights.

Step 4 of the OECD/JRC Handbook (multivariate analysis) and the coherence part of every JRC
statistical audit: does each indicator move with the pillar it is meant to measure, does each
pillar move with the index, are two indicators so alike that one double-counts the other, and
how much does each child actually drive its parent compared with its nominal weight?

All functions take ``scores``, a wide frame of units (index ``iso3``) by node codes holding the
normalised indicators and every aggregate's score, plus the framework. Missing values are handled
pairwise (correlations, covariances) or by dropping units (PCA, reported).

References
----------
OECD/JRC (2008), *Handbook on Constructing Composite Indicators*, step 4; Becker W. et al. (2017),
"Weights and importance in composite indicators: closing the gap", *Ecological Indicators* 80;
COINr 1.1.14 ``get_corr``, ``get_cronbach``, ``get_PCA`` (ALGORITHMS.md §8).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd
from scipy import stats

from ..errors import ComputationError, ParameterError
from . import _tree

__all__ = [
    "correlation",
    "corr_matrix",
    "get_corr",
    "correlations",
    "coherence_flags",
    "cronbach_alpha",
    "cronbach_by_aggregate",
    "PCAResult",
    "pca",
    "pca_by_aggregate",
    "correlation_weights",
]

_METHODS = ("pearson", "spearman")


def _check_method(method: str) -> str:
    if method not in _METHODS:
        raise ParameterError("method", f"{method!r} is not one of {', '.join(_METHODS)}")
    return method


def correlation(x: pd.Series, y: pd.Series, *, method: str = "pearson") -> tuple[float, int, float]:
    """Correlation of two series over the units where both are present, with its p-value.

    Pearson's r, or Spearman's rho (Pearson's r of the average ranks). The p-value is the
    two-sided t test used by R's ``cor.test``:

    .. math:: t = r\\sqrt{\\frac{m-2}{1-r^2}},\\quad p = 2\\,P(T_{m-2} > |t|)

    with ``m`` complete pairs (for Spearman this is the t approximation, as in COINr).

    Returns
    -------
    (r, m, p) : r and p are NaN when fewer than 3 complete pairs remain or a series is constant.

    Examples
    --------
    >>> r, m, p = correlation(pd.Series([1.0, 2, 3, 4]), pd.Series([2.0, 4, 5, 9]))
    >>> round(r, 6), m
    (0.964764, 4)
    """
    _check_method(method)
    both = pd.concat([x, y], axis=1, join="inner").dropna()
    m = len(both)
    if m < 3:
        return float("nan"), m, float("nan")
    a = both.iloc[:, 0].to_numpy(dtype=float)
    b = both.iloc[:, 1].to_numpy(dtype=float)
    if method == "spearman":
        a, b = stats.rankdata(a), stats.rankdata(b)
    if np.ptp(a) == 0 or np.ptp(b) == 0:
        return float("nan"), m, float("nan")
    r = float(np.corrcoef(a, b)[0, 1])
    return r, m, _pvalue(r, m)


def _pvalue(r: float, m: int) -> float:
    if not np.isfinite(r) or m < 3:
        return float("nan")
    if abs(r) >= 1.0:
        return 0.0
    t = r * np.sqrt((m - 2) / (1.0 - r * r))
    return float(2.0 * stats.t.sf(abs(t), m - 2))


def corr_matrix(data: pd.DataFrame, *, method: str = "pearson") -> pd.DataFrame:
    """Correlation matrix of the columns of ``data``, pairwise complete.

    Same as :func:`correlation` for every pair of columns (NaN where fewer than 3 pairs).

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [4.0, 3, 2, 1]})
    >>> corr_matrix(d).round(6).to_dict()
    {'a': {'a': 1.0, 'b': -1.0}, 'b': {'a': -1.0, 'b': 1.0}}
    """
    _check_method(method)
    return data.astype(float).corr(method=method, min_periods=3)


def _level_codes(framework: Any, level: int, *, coinr: bool = False) -> list[str]:
    if level == 1:
        return _tree.coinr_order(framework, 1) if coinr else _tree.indicator_codes(framework)
    if level not in _tree.levels(framework):
        raise ParameterError("levels", f"level {level} is not in the framework")
    return _tree.coinr_order(framework, level) if coinr else _tree.aggregates_at(framework, level)


def get_corr(
    scores: pd.DataFrame,
    framework: Any,
    levels: tuple[int, int] = (1, 2),
    *,
    method: str = "pearson",
    pval: float | None = 0.05,
    wide: bool = False,
) -> pd.DataFrame:
    """COINr-compatible correlation table between the codes of two levels.

    Reproduces COINr 1.1.14 ``get_corr`` (ALGORITHMS.md §8): pairwise-complete correlations
    between every code of the lower level and every code of the higher level; correlations
    whose p-value exceeds ``pval`` are blanked (NaN) in ``Correlation`` while
    ``Correlation_unfiltered`` keeps every value (``pval=None`` blanks nothing).

    Parameters
    ----------
    scores : units x node codes.
    framework : the index structure.
    levels : (lower, higher) levels; the higher-level codes become ``Var1``.
    method : "pearson" or "spearman".
    pval : significance level for blanking, or None.
    wide : False gives the long table (rows loop over ``Var2`` in COINr's metadata order, then
        ``Var1``); True gives one column per higher-level code and one row per lower-level code,
        rows sorted alphabetically (index named ``code``).

    Returns
    -------
    DataFrame ``Var1, Var2, Correlation, Correlation_unfiltered, p_value, n`` (long) or the
    wide matrix of the filtered correlations.
    """
    lo, hi = sorted(int(x) for x in levels)
    low_codes = _level_codes(framework, lo, coinr=True)
    high_codes = _level_codes(framework, hi, coinr=True)
    _tree.check_codes(scores, low_codes + high_codes, name="scores")
    rows = []
    for c2 in low_codes:
        for c1 in high_codes:
            r, m, p = correlation(scores[c1], scores[c2], method=method)
            keep = pval is None or (np.isfinite(p) and p <= pval)
            rows.append((c1, c2, r if keep else np.nan, r, p, m))
    long = pd.DataFrame(
        rows, columns=["Var1", "Var2", "Correlation", "Correlation_unfiltered", "p_value", "n"]
    )
    if not wide:
        return long
    mat = long.pivot(index="Var2", columns="Var1", values="Correlation")
    mat = mat.reindex(index=sorted(low_codes), columns=high_codes)
    mat.index.name, mat.columns.name = "code", None
    return mat


def correlations(scores: pd.DataFrame, framework: Any, *, method: str = "pearson") -> pd.DataFrame:
    """Correlation of every node with each of its ancestors (indicator↔pillar↔index).

    Pairwise complete; one row per (code, ancestor) in declared order of the codes.

    Returns
    -------
    DataFrame ``code, level, ancestor, ancestor_level, r, n, p_value``.
    """
    _check_method(method)
    rows = []
    for lvl in _tree.levels(framework):
        for code in _level_codes(framework, lvl):
            for anc in _tree.ancestors(framework, code):
                r, m, p = correlation(scores[code], scores[anc], method=method)
                rows.append((code, lvl, anc, _tree.level_of(framework, anc), r, m, p))
    return pd.DataFrame(
        rows, columns=["code", "level", "ancestor", "ancestor_level", "r", "n", "p_value"]
    )


def coherence_flags(
    scores: pd.DataFrame,
    framework: Any,
    *,
    method: str = "pearson",
    redundant: float = 0.9,
) -> pd.DataFrame:
    """Children that double-count each other or pull against their parent.

    For every aggregate, each child is compared with its parent and with each sibling:

    * ``negative`` - the child correlates negatively with its parent (r < 0), or two siblings
      correlate negatively with each other: the aggregate mixes opposite signals;
    * ``redundant`` - two siblings with \\|r\\| > ``redundant`` (0.9 by default, the usual JRC
      audit threshold): one largely repeats the other and is implicitly double-weighted.

    Returns
    -------
    DataFrame ``parent, code, other, relation ("parent" | "sibling"), r, n, flag`` with every
    child-parent row and every sibling pair (``flag`` is "" when nothing is wrong).
    """
    _check_method(method)
    if not 0 < redundant <= 1:
        raise ParameterError("redundant", f"must be in (0, 1], got {redundant}")
    rows = []
    for parent in _tree.all_aggregates(framework):
        kids = _tree.children(framework, parent)
        for i, c in enumerate(kids):
            r, m, _ = correlation(scores[c], scores[parent], method=method)
            rows.append((parent, c, parent, "parent", r, m, "negative" if r < 0 else ""))
            for o in kids[i + 1 :]:
                r, m, _ = correlation(scores[c], scores[o], method=method)
                flag = "redundant" if abs(r) > redundant else ("negative" if r < 0 else "")
                rows.append((parent, c, o, "sibling", r, m, flag))
    return pd.DataFrame(rows, columns=["parent", "code", "other", "relation", "r", "n", "flag"])


def cronbach_alpha(data: pd.DataFrame) -> float:
    """Cronbach's alpha of the columns of ``data`` (pairwise-complete covariances).

    .. math:: \\alpha = \\frac{k^2\\,\\bar\\sigma}{\\sum_{ij} C_{ij}},\\qquad
              \\bar\\sigma = \\frac{\\sum_{ij} C_{ij} - \\operatorname{tr} C}{k(k-1)}

    with ``C`` the sample covariance matrix (n - 1 denominator) of the ``k`` columns, computed
    pairwise over complete observations, as COINr's ``get_cronbach``. This equals
    ``k/(k-1)·(1 - Σσ_i²/σ_total²)``. It can be negative when the columns are negatively
    correlated. Fewer than two columns, or zero total variance, is a :class:`ComputationError`.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 2, 4, 4], "c": [1.0, 3, 2, 4]})
    >>> round(cronbach_alpha(d), 10)  # 15/17
    0.8823529412
    """
    k = data.shape[1]
    if k < 2:
        raise ComputationError(f"Cronbach's alpha needs at least 2 columns, got {k}")
    cov = data.astype(float).cov().to_numpy()
    total = np.nansum(cov)
    if not np.isfinite(total) or total == 0:
        raise ComputationError(
            f"Cronbach's alpha undefined for {list(data.columns)}: zero or undefined total variance"
        )
    mean_cov = (total - np.trace(cov)) / (k * (k - 1))
    return float(k * k * mean_cov / total)


def cronbach_by_aggregate(
    scores: pd.DataFrame,
    framework: Any,
    *,
    levels: tuple[int, ...] | None = (2,),
    include_all: bool = True,
) -> pd.DataFrame:
    """Cronbach's alpha of the children of each aggregate (and of all indicators).

    Parameters
    ----------
    levels : aggregate levels to report (None = every aggregate level). Level 2 gives one alpha
        per pillar over its normalised indicators, as COINr's
        ``get_cronbach(coin, "Normalised", iCodes = pillar, Level = 1)``.
    include_all : add a row ``ALL_level1`` over all indicators together.

    Returns
    -------
    DataFrame ``group, level, k, cronbach_alpha``; an aggregate with a single child gets NaN.
    """
    rows = []
    if include_all:
        inds = _tree.indicator_codes(framework)
        rows.append(("ALL_level1", 1, len(inds), cronbach_alpha(scores[inds])))
    lvls = levels if levels is not None else [x for x in _tree.levels(framework) if x >= 2]
    for lvl in lvls:
        for agg in _level_codes(framework, int(lvl)):
            kids = _tree.children(framework, agg)
            alpha = cronbach_alpha(scores[kids]) if len(kids) >= 2 else float("nan")
            rows.append((agg, int(lvl), len(kids), alpha))
    return pd.DataFrame(rows, columns=["group", "level", "k", "cronbach_alpha"])


@dataclass(frozen=True)
class PCAResult:
    """Outcome of a correlation-matrix PCA.

    Attributes
    ----------
    variance : DataFrame ``component, sdev, eigenvalue, proportion, cumulative``.
    loadings : DataFrame codes x components (PC1, PC2, ...): unit-length eigenvectors, signs set
        so that the sum of each component's loadings is positive (largest \\|loading\\| positive
        when the sum is zero), so results are reproducible across LAPACK builds.
    n_units : units used.
    dropped_units : units dropped for having a missing value among the columns.
    dropped_codes : constant columns dropped (zero variance cannot be scaled).
    """

    variance: pd.DataFrame
    loadings: pd.DataFrame
    n_units: int
    dropped_units: tuple[str, ...]
    dropped_codes: tuple[str, ...]


def pca(data: pd.DataFrame) -> PCAResult:
    """Principal components of the columns of ``data`` on the correlation matrix.

    As COINr's ``get_PCA``: units with any missing value are dropped (and reported), the
    columns are centred and scaled by their sample sd, and the PCA is the SVD of that matrix:
    ``sdev = s / sqrt(n - 1)``, loadings = right singular vectors. Constant columns are dropped
    and reported. Fewer than 2 usable columns or 3 complete units is a
    :class:`ComputationError`.

    Examples
    --------
    >>> d = pd.DataFrame({"a": [1.0, 2, 3, 4], "b": [2.0, 4, 6, 8.5]})
    >>> res = pca(d)
    >>> res.variance["proportion"].round(4).tolist()
    [0.9992, 0.0008]
    """
    complete = data.astype(float).dropna(how="any")
    dropped_units = tuple(str(u) for u in data.index.difference(complete.index, sort=False))
    sd = complete.std(ddof=1)
    constant = tuple(str(c) for c in complete.columns[~(sd > 0)])
    cols = [c for c in complete.columns if c not in constant]
    n = len(complete)
    if len(cols) < 2 or n < 3:
        raise ComputationError(
            f"PCA needs at least 2 non-constant columns and 3 complete units; got {len(cols)} "
            f"columns and {n} units (dropped for missing values: {list(dropped_units)})"
        )
    z = (complete[cols] - complete[cols].mean()) / sd[cols]
    _, s, vt = np.linalg.svd(z.to_numpy(), full_matrices=False)
    vecs = vt.T
    for j in range(vecs.shape[1]):
        total = vecs[:, j].sum()
        sign = (
            np.sign(total) if abs(total) > 1e-12 else np.sign(vecs[np.argmax(abs(vecs[:, j])), j])
        )
        vecs[:, j] *= sign if sign != 0 else 1.0
    sdev = s / np.sqrt(n - 1)
    eig = sdev**2
    names = [f"PC{i + 1}" for i in range(len(s))]
    variance = pd.DataFrame(
        {
            "component": names,
            "sdev": sdev,
            "eigenvalue": eig,
            "proportion": eig / eig.sum(),
            "cumulative": np.cumsum(eig) / eig.sum(),
        }
    )
    loadings = pd.DataFrame(vecs, index=pd.Index(cols, name="code"), columns=names)
    return PCAResult(variance, loadings, n, dropped_units, constant)


def pca_by_aggregate(
    scores: pd.DataFrame, framework: Any, *, level: int = 2
) -> dict[str, pd.DataFrame]:
    """PCA of the children of each aggregate at ``level`` (one PCA per pillar by default).

    Returns
    -------
    dict of three tidy tables:
    ``variance`` (``group, component, sdev, eigenvalue, proportion, cumulative, n_units``),
    ``loadings`` (``group, code, component, loading``) and ``dropped``
    (``group, kind ("unit" | "constant"), item``). A group whose PCA is impossible (fewer than
    2 usable children) appears in ``dropped`` with kind ``"group"`` and the reason.
    """
    var_rows, load_rows, drop_rows = [], [], []
    for agg in _level_codes(framework, level):
        kids = _tree.children(framework, agg)
        try:
            res = pca(scores[kids])
        except ComputationError as exc:
            drop_rows.append((agg, "group", str(exc)))
            continue
        v = res.variance.assign(group=agg, n_units=res.n_units)
        var_rows.append(v)
        ld = res.loadings.reset_index().melt(
            id_vars="code", var_name="component", value_name="loading"
        )
        load_rows.append(ld.assign(group=agg))
        drop_rows.extend((agg, "unit", u) for u in res.dropped_units)
        drop_rows.extend((agg, "constant", c) for c in res.dropped_codes)
    variance = (
        pd.concat(var_rows, ignore_index=True)
        if var_rows
        else pd.DataFrame(
            columns=["group", "component", "sdev", "eigenvalue", "proportion", "cumulative"]
        )
    )
    variance = (
        variance[
            ["group", "component", "sdev", "eigenvalue", "proportion", "cumulative", "n_units"]
        ]
        if var_rows
        else variance
    )
    loadings = (
        pd.concat(load_rows, ignore_index=True)[["group", "code", "component", "loading"]]
        if load_rows
        else pd.DataFrame(columns=["group", "code", "component", "loading"])
    )
    dropped = pd.DataFrame(drop_rows, columns=["group", "kind", "item"])
    return {"variance": variance, "loadings": loadings, "dropped": dropped}


def correlation_weights(
    scores: pd.DataFrame, framework: Any, *, method: str = "pearson"
) -> pd.DataFrame:
    """Correlation-based effective weights: how much each child drives its parent.

    The importance of child ``i`` in its parent ``P`` is measured by its squared correlation
    with the parent, normalised within the parent (Becker et al. 2017, a first-order
    sensitivity measure for linear aggregates):

    .. math:: w^{\\mathrm{corr}}_i = \\frac{r_{iP}^2}{\\sum_{j \\in P} r_{jP}^2}

    and compared with the nominal weight normalised within the parent. A ratio far from 1 means
    the child matters more (or less) than its weight says.

    Returns
    -------
    DataFrame ``parent, code, nominal_weight, r, r2, corr_weight, ratio``.
    """
    w = _tree.weights(framework)
    rows = []
    for parent in _tree.all_aggregates(framework):
        kids = _tree.children(framework, parent)
        nominal = w.reindex(kids).astype(float)
        nominal = nominal / nominal.sum()
        rs = [correlation(scores[c], scores[parent], method=method)[0] for c in kids]
        r2 = np.array(rs, dtype=float) ** 2
        tot = np.nansum(r2)
        cw = r2 / tot if tot > 0 else np.full(len(kids), np.nan)
        for c, r, sq, cwi in zip(kids, rs, r2, cw, strict=True):
            nom = float(nominal[c])
            rows.append((parent, c, nom, r, sq, cwi, cwi / nom if nom > 0 else np.nan))
    return pd.DataFrame(
        rows, columns=["parent", "code", "nominal_weight", "r", "r2", "corr_weight", "ratio"]
    )
