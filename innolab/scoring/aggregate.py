"""Aggregate: combine children into pillars, sub-indices and the index, level by level.

Handbook step 7; COINr ``Aggregate`` with ``a_amean``, ``a_gmean``, ``a_hmean``, ``a_genmean``
and ``a_copeland``. For level L = 2, 3, ... every aggregate is computed from its children's
scores at level L-1 (the indicators for L = 2, the freshly computed aggregates above that) with
the children's framework weights; the new columns of a level are appended in alphabetical order
of their codes (COINr's order).

Kernels (registered in :data:`~innolab.scoring.registry.AGGREGATORS`) take ``x`` of shape
``(..., units, children)`` and weights broadcastable to ``(..., children)`` and return
``(..., units)``: a leading replication axis lets one call aggregate a whole Monte Carlo batch
with different weights. With :math:`M` the children that are not NaN and weights re-normalised
over :math:`M`:

=================  ==========================================================================
``arithmetic``     :math:`\\sum_M w_i x_i / \\sum_M w_i`
``geometric``      :math:`\\exp(\\sum_M w_i \\ln x_i / \\sum_M w_i)`; needs every :math:`x_i > 0`
``harmonic``       :math:`\\sum_M w_i / \\sum_M (w_i/x_i)`; needs every :math:`x_i > 0`
``generalised(p)`` :math:`(\\sum_M w_i x_i^p / \\sum_M w_i)^{1/p}`; ``p = 0`` is the geometric
                   mean; ``p <= 0`` needs :math:`x_i > 0`; a non-integer ``p`` needs
                   :math:`x_i \\ge 0`; for a positive integer ``p`` the real ``p``-th root is used
``copeland``       COINr ``a_copeland`` (non-compensatory, over all units at once): for each
                   pair of units :math:`i < j` (in unit-code order),
                   :math:`o_{ij} = \\sum_k \\hat w_k [x_{ik} > x_{jk}] + \\tfrac12 \\sum_k
                   \\hat w_k [x_{ik} = x_{jk}]` (comparisons with NaN count nothing,
                   :math:`\\hat w = w/\\sum w`), :math:`o_{ji} = 1 - o_{ij}`; the score is
                   :math:`\\sum_j \\mathrm{sign}(o_{ij} - \\tfrac12)`. The 0.5 test is exact.
=================  ==========================================================================

Missing children are skipped and the weights re-normalised for **every** mean, the generalised
mean included (COINr's ``a_genmean`` returns NA as soon as one child is missing; innolab treats
all means alike). All children missing gives NaN. A Copeland unit with no data at all gets NaN
and is left out of the comparisons (COINr would still rank it). The geometric, harmonic and
generalised means on inputs outside their domain raise a
:class:`~innolab.errors.ComputationError` naming the aggregate, the children and the units
(COINr aborts on the geometric mean but silently accepts negatives in the harmonic and
generalised means). Weights must be finite and >= 0.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError
from . import _tree
from ._common import check_frame
from .registry import AGGREGATORS
from .result import StageResult, empty_audit

__all__ = [
    "aggregate",
    "aggregate_arrays",
    "compile_plan",
    "AggregationPlan",
    "arithmetic_mean",
    "geometric_mean",
    "harmonic_mean",
    "generalised_mean",
    "copeland",
]


class _DomainError(ComputationError):
    """Inputs outside an aggregator's domain; ``mask`` has the shape of ``x``."""

    def __init__(self, message: str, mask: np.ndarray):
        self.mask = mask
        super().__init__(message)


def _prep(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    x = np.asarray(x, dtype=float)
    w = np.asarray(w, dtype=float)
    if x.ndim < 2:
        raise ParameterError("x", "needs shape (..., units, children)")
    wb = np.expand_dims(w, -2)  # (..., 1, children)
    valid = ~np.isnan(x)
    wv = np.where(valid, wb, 0.0)
    return x, valid, wv


def _finish(num: np.ndarray, den: np.ndarray) -> np.ndarray:
    with np.errstate(invalid="ignore", divide="ignore"):
        out = num / den
    return np.where(den > 0, out, np.nan)


@AGGREGATORS.register("arithmetic")
def arithmetic_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted arithmetic mean over the non-missing children (COINr a_amean).

    Examples
    --------
    >>> arithmetic_mean(np.array([[1.0, 3.0], [2.0, np.nan]]), np.array([1.0, 3.0])).tolist()
    [2.5, 2.0]
    """
    x, valid, wv = _prep(x, w)
    xv = np.where(valid, x, 0.0)
    with np.errstate(over="ignore", invalid="ignore"):
        num = np.sum(xv * wv, axis=-1)
    den = wv.sum(axis=-1)
    out = _finish(num, den)
    # a weighted sum beyond the float range (|x| near 1.7e308): rescale those rows by their
    # largest |x|, so the mean of finite values is finite (bit-identical elsewhere)
    over = ~np.isfinite(num) & np.isfinite(xv).all(axis=-1) & (den > 0)
    if over.any():
        scale = np.max(np.abs(xv[over]), axis=-1, keepdims=True)
        out[over] = np.sum(xv[over] / scale * wv[over], axis=-1) / den[over] * scale[..., 0]
    return out


def _positive(x: np.ndarray, valid: np.ndarray, what: str) -> None:
    bad = valid & ~(x > 0)
    if bad.any():
        raise _DomainError(f"{what} needs values > 0", bad)


@AGGREGATORS.register("geometric")
def geometric_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted geometric mean over the non-missing children; every value must be > 0.

    Examples
    --------
    >>> geometric_mean(np.array([[1.0, 4.0]]), np.array([1.0, 1.0])).tolist()
    [2.0]
    """
    x, valid, wv = _prep(x, w)
    _positive(x, valid, "the geometric mean")
    num = np.sum(np.log(np.where(valid, x, 1.0)) * wv, axis=-1)
    den = wv.sum(axis=-1)
    return np.exp(_finish(num, den))


@AGGREGATORS.register("harmonic")
def harmonic_mean(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Weighted harmonic mean over the non-missing children; every value must be > 0.

    Examples
    --------
    >>> harmonic_mean(np.array([[1.0, 4.0]]), np.array([1.0, 1.0])).tolist()
    [1.6]
    """
    x, valid, wv = _prep(x, w)
    _positive(x, valid, "the harmonic mean")
    inv = np.sum(wv / np.where(valid, x, 1.0), axis=-1)
    return _finish(wv.sum(axis=-1), inv)


@AGGREGATORS.register("generalised")
def generalised_mean(x: np.ndarray, w: np.ndarray, *, p: float = 2.0) -> np.ndarray:
    """Weighted power mean of order ``p`` over the non-missing children (see module docstring).

    Examples
    --------
    >>> generalised_mean(np.array([[1.0, 7.0]]), np.array([1.0, 1.0]), p=2).tolist()
    [5.0]
    >>> generalised_mean(np.array([[1.0, 4.0]]), np.array([1.0, 1.0]), p=0).tolist()
    [2.0]
    """
    if isinstance(p, bool) or not isinstance(p, int | float) or not np.isfinite(p):
        raise ParameterError("p", f"must be a finite number, got {p!r}")
    if p == 0:
        return geometric_mean(x, w)
    x, valid, wv = _prep(x, w)
    integer = float(p).is_integer()
    if p < 0:
        _positive(x, valid, f"the generalised mean with p = {p:g}")
    elif not integer:
        bad = valid & (x < 0)
        if bad.any():
            raise _DomainError(
                f"the generalised mean with non-integer p = {p:g} needs values >= 0", bad
            )
    xp = np.power(np.where(valid, x, 1.0), p)
    m = _finish(np.sum(xp * wv, axis=-1), wv.sum(axis=-1))
    with np.errstate(invalid="ignore"):
        return np.sign(m) * np.power(np.abs(m), 1.0 / p)


@AGGREGATORS.register("copeland", by_group=True)
def copeland(x: np.ndarray, w: np.ndarray, *, chunk: int = 256) -> np.ndarray:
    """COINr's Copeland score of every unit (rows of ``x``), exact 0.5 test.

    Examples
    --------
    >>> x = np.array([[3.0, 1.0], [2.0, 2.0], [1.0, 3.0], [0.0, 0.0]])
    >>> copeland(x, np.array([1.0, 1.0])).tolist()
    [1.0, 1.0, 1.0, -3.0]
    """
    x = np.asarray(x, dtype=float)
    w = np.broadcast_to(np.asarray(w, dtype=float), x.shape[:-2] + x.shape[-1:])
    lead = x.shape[:-2]
    u, c = x.shape[-2:]
    xf = x.reshape((-1, u, c))
    wf = w.reshape((-1, c))
    out = np.empty(xf.shape[:2])
    upper = np.triu(np.ones((u, u), dtype=bool), 1)
    for s in range(0, xf.shape[0], chunk):
        xs, ws = xf[s : s + chunk], wf[s : s + chunk]
        xi, xj = xs[:, :, None, :], xs[:, None, :, :]
        wcol = ws[:, None, :, None]  # (r, 1, c, 1): weighted count by a batched matmul
        score_pairs = (2.0 * (xi > xj) + (xi == xj)).astype(float)
        tot = ws.sum(axis=-1)[:, None, None]
        d = (score_pairs @ wcol)[..., 0] - tot
        # exact sign where float rounding could matter: the float sum of at most 2c + 1 terms
        # errs by less than (2c + 2) eps * 4 * total; integer weights make every sum exact
        bound = (2 * c + 2) * np.finfo(float).eps * 4.0 * np.abs(tot)
        inexact = ~np.all(np.mod(ws, 1.0) == 0, axis=-1) | (np.abs(ws).sum(-1) > 2.0**50)
        near = (np.abs(d) <= bound) & inexact[:, None, None] & upper
        for r, i, j in zip(*np.nonzero(near), strict=True):
            d[r, i, j] = _exact_d(xs[r, i], xs[r, j], ws[r])
        sgn = np.sign(d) * upper
        sgn = sgn - np.swapaxes(sgn, 1, 2)
        empty = np.isnan(xs).all(axis=-1)  # (r, u): units with no data
        sgn = np.where(empty[:, :, None] | empty[:, None, :], 0.0, sgn)
        score = sgn.sum(axis=-1)
        out[s : s + chunk] = np.where(empty, np.nan, score)
    return out.reshape(lead + (u,))


def _exact_d(a: np.ndarray, b: np.ndarray, w: np.ndarray) -> float:
    terms = []
    for ak, bk, wk in zip(a, b, w, strict=True):
        if ak > bk:
            terms.append(2.0 * wk)
        elif ak == bk:
            terms.append(wk)
        terms.append(-wk)
    return math.fsum(terms)


# --------------------------------------------------------------------------- plan + arrays
@dataclass(frozen=True)
class AggregationPlan:
    """The aggregation tree compiled to positions, for fast (batched) aggregation.

    Attributes
    ----------
    columns : tuple of str
        Indicator codes (input order) followed by aggregates in output order.
    steps : tuple of (level, code, child positions in ``columns``)
        In computation order (level by level, alphabetical within a level).
    n_inputs : int
        Number of indicator columns.
    """

    columns: tuple[str, ...]
    steps: tuple[tuple[int, str, tuple[int, ...]], ...]
    n_inputs: int

    @property
    def aggregates(self) -> tuple[str, ...]:
        return self.columns[self.n_inputs :]

    def weight_vector(self, weights: Mapping[str, float] | pd.Series) -> np.ndarray:
        """Weights in ``columns`` order (every code must be present)."""
        missing = [c for c in self.columns if c not in weights]
        if missing:
            raise ParameterError("weights", f"no weight for {missing}")
        return np.array([float(weights[c]) for c in self.columns])


def compile_plan(framework: Any, indicators: Sequence[str] | None = None) -> AggregationPlan:
    """Compile ``framework``'s tree into an :class:`AggregationPlan`.

    ``indicators`` gives the input column order (default: the framework's declared order).
    """
    inds = list(indicators) if indicators is not None else _tree.indicator_codes(framework)
    pos = {c: k for k, c in enumerate(inds)}
    cols = list(inds)
    steps = []
    for lvl, codes in _tree.aggregation_order(framework):
        for code in codes:
            kids = _tree.children(framework, code)
            missing = [k for k in kids if k not in pos]
            if missing:
                raise ParameterError(
                    "framework", f"{code}: children {missing} are not computed before it"
                )
            steps.append((lvl, code, tuple(pos[k] for k in kids)))
        for code in codes:
            pos[code] = len(cols)
            cols.append(code)
    return AggregationPlan(tuple(cols), tuple(steps), len(inds))


def aggregate_arrays(
    values: np.ndarray,
    plan: AggregationPlan,
    weights: np.ndarray,
    method: str | Mapping[int, str] | Sequence[str] = "arithmetic",
    *,
    params: Mapping[str, Any] | None = None,
    min_coverage: float | None = None,
    units: Sequence[Any] | None = None,
) -> np.ndarray:
    """Aggregate indicator arrays through the whole tree, optionally for many replications.

    Parameters
    ----------
    values : ndarray, shape (units, n_inputs) or (R, units, n_inputs)
        Normalised indicator values (NaN = missing), columns in ``plan.columns[:n_inputs]``
        order.
    plan : AggregationPlan
    weights : ndarray, shape (len(plan.columns),) or (R, len(plan.columns))
        Weight of every node relative to its siblings, in ``plan.columns`` order.
    method : str, mapping level -> str, or sequence of str (one per replication)
    params : mapping, optional
        Aggregator parameters (``p`` for generalised).
    min_coverage : float, optional
        Minimum share of children with data for a score (default: one child is enough).
    units : sequence, optional
        Unit labels, only to name units in error messages.

    Returns
    -------
    ndarray, shape (..., units, len(plan.columns))
        The indicators followed by every aggregate.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> kids = {"I": ["P1", "P2"], "P1": ["a", "b"], "P2": ["c"]}
    >>> lv = {"I": 3, "P1": 2, "P2": 2}
    >>> fw = NS(indicators=["a", "b", "c"], levels=[1, 2, 3],
    ...         aggregates=lambda L: [k for k in kids if lv[k] == L],
    ...         children=lambda c: kids[c])
    >>> plan = compile_plan(fw)
    >>> x = np.array([[10.0, 30.0, 40.0]])
    >>> w = np.ones((2, 6)); w[1, 0] = 3.0   # replication 2 weighs indicator a three times
    >>> aggregate_arrays(x[None].repeat(2, 0), plan, w)[..., 3:].tolist()
    [[[20.0, 40.0, 30.0]], [[15.0, 40.0, 27.5]]]
    """
    values = np.asarray(values, dtype=float)
    weights = np.asarray(weights, dtype=float)
    if values.shape[-1] != plan.n_inputs:
        raise ParameterError(
            "values", f"expected {plan.n_inputs} indicator columns, got {values.shape[-1]}"
        )
    if weights.shape[-1] != len(plan.columns):
        raise ParameterError(
            "weights", f"expected {len(plan.columns)} weights, got {weights.shape[-1]}"
        )
    _check_weights(weights, plan.columns)
    unknown = set(params or {}) - {"p"}
    if unknown:
        raise ParameterError(
            "params",
            f"unknown aggregation parameters {sorted(unknown)}; "
            "only 'p' (generalised mean) is accepted",
        )
    if isinstance(method, Mapping):
        method = _level_map(method)
    if isinstance(method, str) or isinstance(method, Mapping):
        return _aggregate_one(values, plan, weights, method, params, min_coverage, units)
    # one method per replication: group replications by method
    methods = list(method)
    if values.ndim != 3 and weights.ndim != 2:
        raise ParameterError("method", "a method per replication needs a replication axis")
    n_rep = values.shape[0] if values.ndim == 3 else weights.shape[0]
    if len(methods) != n_rep:
        raise ParameterError("method", f"expected {n_rep} methods, got {len(methods)}")
    vals = np.broadcast_to(values, (n_rep,) + values.shape[-2:])
    wts = np.broadcast_to(weights, (n_rep, len(plan.columns)))
    out = np.empty((n_rep, vals.shape[1], len(plan.columns)))
    for name in dict.fromkeys(methods):
        sel = np.array([m == name for m in methods])
        out[sel] = _aggregate_one(vals[sel], plan, wts[sel], name, params, min_coverage, units)
    return out


def _level_map(method: Mapping[Any, str]) -> dict[int, str]:
    """``{level: method}`` with integer levels (YAML may give them as strings)."""
    out = {}
    for k, v in dict(method).items():
        try:
            out[int(k)] = v
        except (TypeError, ValueError):
            raise ParameterError("method", f"per-level keys must be levels, got {k!r}") from None
    return out


def _check_weights(weights: np.ndarray, codes: Sequence[str]) -> None:
    bad = ~np.isfinite(weights) | (weights < 0)
    if bad.any():
        where = sorted({codes[k] for k in np.nonzero(bad.reshape(-1, len(codes)))[1]})
        raise ParameterError("weights", f"must be finite and >= 0; check {where}")


def _aggregate_one(values, plan, weights, method, params, min_coverage, units) -> np.ndarray:
    lead = np.broadcast_shapes(values.shape[:-2], weights.shape[:-1])
    out = np.empty(lead + (values.shape[-2], len(plan.columns)))
    out[..., : plan.n_inputs] = values
    prm = dict(params or {})
    for k, (lvl, code, kids) in enumerate(plan.steps):
        name = method.get(lvl, "arithmetic") if isinstance(method, Mapping) else method
        fn = AGGREGATORS.get(name)
        kid_idx = list(kids)
        x = out[..., kid_idx]
        w = weights[..., kid_idx]
        try:
            kw = {"p": prm["p"]} if name == "generalised" and "p" in prm else {}
            with np.errstate(invalid="ignore", divide="ignore"):
                score = fn(x, w, **kw)
        except _DomainError as e:
            raise _named_error(e, code, [plan.columns[i] for i in kid_idx], units) from None
        if min_coverage is not None:
            share = (~np.isnan(x)).sum(axis=-1) / max(len(kid_idx), 1)
            score = np.where(share >= min_coverage, score, np.nan)
        out[..., plan.n_inputs + k] = score
    return out


def _named_error(
    e: _DomainError, code: str, kids: list[str], units: Sequence[Any] | None
) -> ComputationError:
    m = e.mask.reshape((-1,) + e.mask.shape[-2:]).any(axis=0)  # (units, children)
    bad_kids = [kids[j] for j in np.nonzero(m.any(axis=0))[0]]
    rows = np.nonzero(m.any(axis=1))[0]
    who = [str(units[i]) if units is not None else f"row {i}" for i in rows]
    more = f" and {len(who) - 10} more" if len(who) > 10 else ""
    return ComputationError(
        f"cannot aggregate {code}: {e.message}, but {', '.join(bad_kids)} has values <= 0 (or "
        f"out of domain) for {', '.join(who[:10])}{more}. Normalise onto a positive range "
        "(e.g. minmax 1-100) or use the arithmetic mean"
    )


# --------------------------------------------------------------------------- the verb
def aggregate(
    data: pd.DataFrame,
    framework: Any,
    method: str | Mapping[int, str] = "arithmetic",
    *,
    weights: Mapping[str, float] | pd.Series | None = None,
    params: Mapping[str, Any] | None = None,
    min_coverage: float | None = None,
) -> StageResult:
    """Append every aggregate column to ``data``, level by level (COINr column order).

    Parameters
    ----------
    data : DataFrame
        Normalised indicators (other columns are carried along). Indicators of the framework
        that are absent from ``data`` (e.g. screened out) count as missing.
    framework : Framework
    method : str or mapping level -> str
        Aggregator for every level, or per level (unlisted levels: arithmetic).
    weights : mapping or Series, optional
        Weights replacing the framework's for the codes given.
    params : mapping, optional
        ``p`` for the generalised mean.
    min_coverage : float, optional
        Minimum share of a parent's children with data for it to get a score.

    Returns
    -------
    StageResult
        ``data``: input columns + aggregates; ``details``: one row per aggregate (``code,
        level, method, n_children, n_scored``); ``audit``: empty.

    Examples
    --------
    >>> from types import SimpleNamespace as NS
    >>> fw = NS(indicators=["a", "b"], levels=[1, 2], aggregates=lambda L: ["P"] if L == 2
    ...         else [], children=lambda c: ["a", "b"],
    ...         weights=lambda: pd.Series({"a": 1.0, "b": 3.0, "P": 1.0}))
    >>> df = pd.DataFrame({"a": [0.0, 50.0], "b": [100.0, None]}, index=["X", "Y"])
    >>> aggregate(df, fw).data["P"].tolist()
    [75.0, 50.0]
    """
    check_frame(data)
    if not isinstance(method, str):
        method = _level_map(method)
    for name in [method] if isinstance(method, str) else list(method.values()):
        AGGREGATORS.get(name)
    if min_coverage is not None and not 0 <= min_coverage <= 1:
        raise ParameterError("min_coverage", f"must be in [0, 1], got {min_coverage!r}")
    inds = _tree.indicator_codes(framework)
    plan = compile_plan(framework, inds)
    clash = [c for c in plan.aggregates if c in data.columns]
    if clash:
        raise ParameterError("data", f"already has aggregate columns {clash}")
    w = _tree.weights(framework)
    if weights is not None:
        extra = pd.Series(weights, dtype=float)
        unknown = [c for c in extra.index if c not in plan.columns]
        if unknown:
            raise ParameterError("weights", f"codes not in the framework: {unknown}")
        w = w.copy()
        w.loc[extra.index] = extra
    wvec = plan.weight_vector(w)
    # indicators absent from the data (e.g. screened out) become NaN columns, which the means
    # skip
    x = data.reindex(columns=inds).to_numpy(dtype=float, na_value=np.nan)
    uses_copeland = "copeland" in (
        [method] if isinstance(method, str) else list(dict(method).values())
    )
    if uses_copeland:
        res = _by_blocks(x, data.index, plan, wvec, method, params, min_coverage)
    else:
        res = aggregate_arrays(
            x,
            plan,
            wvec,
            method,
            params=params,
            min_coverage=min_coverage,
            units=list(map(str, data.index)),
        )
    agg = res[:, plan.n_inputs :]
    out = pd.concat(
        [data, pd.DataFrame(agg, index=data.index, columns=list(plan.aggregates))], axis=1
    )
    details = pd.DataFrame(
        {
            "code": [s[1] for s in plan.steps],
            "level": [s[0] for s in plan.steps],
            "method": [
                method if isinstance(method, str) else dict(method).get(s[0], "arithmetic")
                for s in plan.steps
            ],
            "n_children": [len(s[2]) for s in plan.steps],
            "n_scored": (~np.isnan(agg)).sum(axis=0).astype(int),
        }
    )
    return StageResult(out, empty_audit(data.index), details)


def _by_blocks(x, index, plan, wvec, method, params, min_coverage) -> np.ndarray:
    """Copeland compares units: run per year for panels, in unit-code order (COINr's)."""
    res = np.empty((len(index), len(plan.columns)))
    if isinstance(index, pd.MultiIndex) and "year" in index.names:
        years = index.get_level_values("year")
        blocks = [np.nonzero(years == y)[0] for y in pd.unique(years)]
        units = index.get_level_values(0)
    else:
        blocks = [np.arange(len(index))]
        units = index
    for rows in blocks:
        labels = np.asarray(units[rows], dtype=object)
        order = rows[np.argsort(labels.astype(str), kind="stable")]
        res[order] = aggregate_arrays(
            x[order],
            plan,
            wvec,
            method,
            params=params,
            min_coverage=min_coverage,
            units=[str(u) for u in np.asarray(units, dtype=object)[order]],
        )
    return res
