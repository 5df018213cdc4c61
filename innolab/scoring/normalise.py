"""Normalise: bring indicators of different units onto a common, comparable scale.

Handbook step 5; COINr ``Normalise`` with its ``n_*`` functions. For every indicator column the
direction is applied first, :math:`x' = d_j x` (so that higher is always better), then the
method (registered in :data:`~innolab.scoring.registry.NORMALISERS`); min, max, mean and sd
skip NaN:

==========================  ===============================================================
``minmax(lower, upper)``    :math:`(x' - \\min x')/(\\max x' - \\min x')\\,(u - l) + l`
``zscore(mean, sd)``        :math:`(x' - \\overline{x'})/s(x')\\cdot sd + mean` (sample sd, n-1)
``rank``                    rank of :math:`x'`, ties take the minimum (1 = worst)
``percentile_rank``         :math:`(\\mathrm{rank} - 1)/(n - 1)`
``borda``                   :math:`\\mathrm{rank} - 1`
``fraction_of_max``         :math:`x'/\\max x'` (only for direction +1 and a positive maximum)
``distance_to_max``         :math:`1 - (\\max x' - x')/(\\max x' - \\min x')`
``distance_to_reference``   :math:`x'/r'` with :math:`r'` the reference unit's (or a given)
                            value; ``cap=True`` caps at 1 (direction +1 only)
``distance_to_target``      :math:`(x' - \\min x')/(t' - \\min x')`, :math:`t' = d\\,T` from the
                            framework's targets (COINr ``n_dist2targ``); ``cap=True`` caps at 1
``goalposts(scale)``        IDI-style fixed bounds ``(lo, hi)`` in raw units: :math:`\\mathrm{clip}
                            ((x' - lo')/(hi' - lo'), 0, 1)\\cdot scale` (default scale 100)
==========================  ===============================================================

**Fit once, apply many.** :func:`fit_bounds` computes each column's parameters (min/max,
mean/sd, the reference distribution of the rank methods, targets, goalposts) and
:func:`apply_bounds` applies them to any data. :func:`normalise` does both on the same data, or
applies given ``bounds``: fit on a reference year or peer set, or on all years of a panel (the
default for panel input, which is simply pooled), then apply. Rank methods applied to new data
rank each value among the fitted reference values (``1 + #{ref < x}``), which equals the
ties-min rank when the data are the reference.

**Edge cases (decided once).** NaN in gives NaN out in that cell only. A *degenerate* column
(constant for minmax / distance_to_max, zero sd for zscore, fewer than two values for
percentile_rank, target equal to the minimum for distance_to_target) gives NaN, as in COINr,
with ``constant="nan"`` (default), or a :class:`~innolab.errors.ComputationError` naming the
indicator with ``constant="error"``. ``fraction_of_max`` and ``distance_to_reference`` on a
"lower is better" indicator (and ``fraction_of_max`` with a maximum <= 0) are rejected with a
ComputationError: COINr silently returns +inf or NaN there (``-x / -0``), or scores in which
the worst unit comes first.

**Extreme magnitudes.** Results do not depend on the unit of a column, even near the float
limits: a column whose largest absolute value is beyond ``1e100`` or below ``1e-100`` is
standardised (zscore) as :math:`x/\\max|x|`, whose squared deviations can neither overflow nor
underflow (``scale``, ``scaled_mean`` and ``scaled_sd`` are then recorded beside ``mean`` and
``sd``); a range wider than the float range (``-1e308 .. 1e308``, minmax, distance_to_max,
distance_to_target, goalposts) is computed on halved values. Ordinary columns take the plain
formulas, bit for bit. ``fraction_of_max`` and ``distance_to_reference`` are plain ratios: a
ratio beyond the float range (``-1e300 / 1e-300``) is inf, as it truly is.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
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
    to_matrix,
)
from ._common import with_columns as _with_columns
from .registry import NORMALISERS
from .result import StageResult, empty_audit

__all__ = [
    "Normaliser",
    "Bounds",
    "normalise",
    "fit_bounds",
    "apply_bounds",
    "minmax",
    "zscore",
    "rank_scores",
    "percentile_rank",
    "borda",
    "fraction_of_max",
    "distance_to_max",
    "distance_to_reference",
    "distance_to_target",
    "goalposts",
    "CONSTANT_POLICIES",
]

CONSTANT_POLICIES = ("nan", "error")


@dataclass(frozen=True)
class Normaliser:
    """A normalisation method split into ``fit`` (parameters from data) and ``apply``.

    ``fit(x, **params) -> dict`` and ``apply(x, stats, **params) -> ndarray`` work on the
    direction-adjusted vector; calling the object does both (the one-vector kernel).
    ``degenerate(stats) -> bool`` says when the fitted parameters cannot scale anything.
    """

    name: str
    fit: Callable[..., dict[str, Any]]
    apply: Callable[..., np.ndarray]
    degenerate: Callable[[Mapping[str, Any]], bool] = lambda stats: False
    needs: tuple[str, ...] = ()

    def __call__(self, x: np.ndarray, **params: Any) -> np.ndarray:
        x = np.asarray(x, dtype=float)
        return self.apply(x, self.fit(x, **params), **params)


def _register(norm: Normaliser) -> Normaliser:
    NORMALISERS.register(norm.name)(norm)
    return norm


def _finite(x: np.ndarray) -> np.ndarray:
    return x[~np.isnan(x)]


def _minmax_stats(x: np.ndarray, **_: Any) -> dict[str, Any]:
    v = _finite(x)
    if v.size == 0:
        return {"min": np.nan, "max": np.nan, "n": 0}
    return {"min": float(v.min()), "max": float(v.max()), "n": int(v.size)}


def _no_range(s: Mapping[str, Any]) -> bool:
    return not (s["max"] > s["min"])


def _quotient(a: Any, b: float, c: float, d: float) -> Any:
    """:math:`(a - b)/(c - d)`, also when a difference exceeds the float range.

    Values near the float limit (``-1e308 .. 1e308``) have a range that overflows to inf,
    which would give 0 and NaN scores, and a value far beyond a target overflows ``a - b``;
    every term is then halved first (exact for such values, so the result is the correctly
    rounded quotient). Ordinary values take the plain formula, bit for bit. Called under
    ``np.errstate(over="ignore")`` (see :func:`apply_bounds`).
    """
    den = c - d
    if den == np.inf or den == -np.inf:
        return (a / 2 - b / 2) / (c / 2 - d / 2)
    q = (a - b) / den
    if np.isinf(q).any():  # a - b overflowed (or an input value is infinite: same result)
        return (a / 2 - b / 2) / (c / 2 - d / 2)
    return q


def _apply_minmax(
    x: np.ndarray, s: Mapping[str, Any], *, lower: float = 0.0, upper: float = 100.0
) -> np.ndarray:
    if _no_range(s):
        return np.full(x.shape, np.nan)
    return _quotient(x, s["min"], s["max"], s["min"]) * (upper - lower) + lower


def _check_minmax(x, *, lower=0.0, upper=100.0, **_):
    if not upper > lower:
        raise ParameterError("upper", f"must exceed lower ({lower}), got {upper}")
    return _minmax_stats(x)


minmax = _register(Normaliser("minmax", _check_minmax, _apply_minmax, _no_range))


def _zscore_fit(x: np.ndarray, *, mean: float = 0.0, sd: float = 1.0) -> dict[str, Any]:
    if not sd > 0:
        raise ParameterError("sd", f"must be > 0, got {sd}")
    v = _finite(x)
    scale = scale_of(v)
    if scale != 1.0:
        v = v / scale  # z-scores are scale-free: standardise x / max|x|
    m = float(v.mean()) if v.size else np.nan
    s = float(v.std(ddof=1)) if v.size > 1 else np.nan
    if scale == 1.0:
        return {"mean": m, "sd": s, "n": int(v.size)}
    # mean and sd in the data's units for the bounds table (an sd beyond the float range reads
    # inf); apply uses the scaled ones
    return {
        "mean": m * scale,
        "sd": s * scale,
        "n": int(v.size),
        "scale": scale,
        "scaled_mean": m,
        "scaled_sd": s,
    }


def _zscore_degenerate(s: Mapping[str, Any]) -> bool:
    return not (s["scaled_sd"] if "scale" in s else s["sd"]) > 0


def _zscore_apply(
    x: np.ndarray, s: Mapping[str, Any], *, mean: float = 0.0, sd: float = 1.0
) -> np.ndarray:
    if _zscore_degenerate(s):
        return np.full(x.shape, np.nan)
    if "scale" in s:
        return (x / s["scale"] - s["scaled_mean"]) / s["scaled_sd"] * sd + mean
    return (x - s["mean"]) / s["sd"] * sd + mean


zscore = _register(Normaliser("zscore", _zscore_fit, _zscore_apply, _zscore_degenerate))


def _ref_fit(x: np.ndarray, **_: Any) -> dict[str, Any]:
    v = np.sort(_finite(x))
    return {"reference": v, "n": int(v.size)}


def _rank_of(x: np.ndarray, ref: np.ndarray) -> np.ndarray:
    r = np.searchsorted(ref, x, side="left").astype(float) + 1.0
    r[np.isnan(x)] = np.nan
    return r


rank_scores = _register(Normaliser("rank", _ref_fit, lambda x, s: _rank_of(x, s["reference"])))
borda = _register(Normaliser("borda", _ref_fit, lambda x, s: _rank_of(x, s["reference"]) - 1.0))


def _prank_apply(x: np.ndarray, s: Mapping[str, Any]) -> np.ndarray:
    if s["n"] < 2:
        return np.full(x.shape, np.nan)
    return (_rank_of(x, s["reference"]) - 1.0) / (s["n"] - 1)


percentile_rank = _register(
    Normaliser("percentile_rank", _ref_fit, _prank_apply, lambda s: s["n"] < 2)
)


def _fracmax_fit(x: np.ndarray, **_: Any) -> dict[str, Any]:
    v = _finite(x)
    mx = float(v.max()) if v.size else np.nan
    if v.size and not mx > 0:
        raise ComputationError(
            f"fraction_of_max needs a positive maximum (got {mx:g}); use minmax or distance_to_max"
        )
    return {"max": mx, "n": int(v.size)}


fraction_of_max = _register(Normaliser("fraction_of_max", _fracmax_fit, lambda x, s: x / s["max"]))


def _d2max_apply(x: np.ndarray, s: Mapping[str, Any]) -> np.ndarray:
    if _no_range(s):
        return np.full(x.shape, np.nan)
    return 1 - _quotient(s["max"], x, s["max"], s["min"])


distance_to_max = _register(Normaliser("distance_to_max", _minmax_stats, _d2max_apply, _no_range))


def _d2ref_fit(x: np.ndarray, *, reference: float, cap: bool = False) -> dict[str, Any]:
    ref = float(reference)
    if not np.isfinite(ref) or ref == 0:
        raise ComputationError(f"distance_to_reference: reference value is {ref:g}")
    return {"reference": ref}


def _d2ref_apply(
    x: np.ndarray, s: Mapping[str, Any], *, reference: float = np.nan, cap: bool = False
) -> np.ndarray:
    y = x / s["reference"]
    return np.where(y > 1, 1.0, y) if cap else y


distance_to_reference = _register(
    Normaliser("distance_to_reference", _d2ref_fit, _d2ref_apply, needs=("reference",))
)


def _d2targ_fit(x: np.ndarray, *, target: float, cap: bool = False) -> dict[str, Any]:
    t = float(target)
    if not np.isfinite(t):
        raise ParameterError("target", f"must be a finite number, got {target!r}")
    v = _finite(x)
    return {"min": float(v.min()) if v.size else np.nan, "target": t, "n": int(v.size)}


def _d2targ_degenerate(s: Mapping[str, Any]) -> bool:
    return not (s["target"] != s["min"])


def _d2targ_apply(
    x: np.ndarray, s: Mapping[str, Any], *, target: float = np.nan, cap: bool = False
) -> np.ndarray:
    if _d2targ_degenerate(s):
        return np.full(x.shape, np.nan)
    y = _quotient(x, s["min"], s["target"], s["min"])
    return np.where(y > 1, 1.0, y) if cap else y


distance_to_target = _register(
    Normaliser(
        "distance_to_target", _d2targ_fit, _d2targ_apply, _d2targ_degenerate, needs=("target",)
    )
)


def _gp_fit(
    x: np.ndarray, *, goalposts: tuple[float, float], scale: float = 100.0
) -> dict[str, Any]:
    try:
        lo, hi = (float(g) for g in goalposts)
    except (TypeError, ValueError):
        raise ParameterError("goalposts", f"expected (lo, hi), got {goalposts!r}") from None
    if not (np.isfinite(lo) and np.isfinite(hi)) or lo == hi:
        raise ParameterError("goalposts", f"need two different finite bounds, got {goalposts!r}")
    return {"lo": min(lo, hi), "hi": max(lo, hi)}


def _gp_apply(
    x: np.ndarray, s: Mapping[str, Any], *, goalposts: Any = None, scale: float = 100.0
) -> np.ndarray:
    y = _quotient(x, s["lo"], s["hi"], s["lo"])
    return np.clip(y, 0.0, 1.0) * scale


goalposts = _register(Normaliser("goalposts", _gp_fit, _gp_apply, needs=("goalposts",)))


# --------------------------------------------------------------------------- bounds
@dataclass(frozen=True)
class Bounds:
    """Fitted normalisation parameters of every column (see :func:`fit_bounds`).

    Attributes
    ----------
    columns : mapping code -> {"method", "direction", "params", "stats"}
        ``params`` are the method parameters (direction-adjusted where they are values, e.g.
        a target ``t' = d*T``), ``stats`` what was fitted.
    """

    columns: Mapping[str, Mapping[str, Any]] = field(default_factory=dict)

    def table(self) -> pd.DataFrame:
        """One row per column: code, method, direction, fitted statistics (not the rank
        reference vectors, summarised by ``n``)."""
        rows = []
        for code, spec in self.columns.items():
            row = {"code": code, "method": spec["method"], "direction": spec["direction"]}
            for k, v in spec["stats"].items():
                if k != "reference" or np.ndim(v) == 0:
                    row[k] = v
            rows.append(row)
        keys = list(rows[0]) if rows else []
        if rows and all(list(r) == keys and all(v is not None for v in r.values()) for r in rows):
            # the usual case (one method): column by column, which pandas builds much faster
            # than from records, with the same dtypes
            return pd.DataFrame({k: [r[k] for r in rows] for k in keys})
        return pd.DataFrame(rows)


def fit_bounds(
    data: pd.DataFrame,
    method: str = "minmax",
    *,
    directions: Mapping[str, int] | pd.Series,
    params: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    targets: Mapping[str, float] | pd.Series | None = None,
    goalposts: Mapping[str, tuple[float, float]] | None = None,
    columns: list[str] | None = None,
) -> Bounds:
    """Fit the normalisation parameters of each column on ``data`` (a reference set).

    Parameters are as for :func:`normalise`. Panels are pooled: every row counts.

    Examples
    --------
    >>> ref = pd.DataFrame({"a": [0.0, 10.0]})
    >>> b = fit_bounds(ref, "minmax", directions={"a": 1})
    >>> apply_bounds(pd.DataFrame({"a": [5.0, 20.0]}), b)["a"].tolist()
    [50.0, 200.0]
    """
    check_frame(data)
    cols = _columns(data, directions, columns)
    check_override_codes(overrides, cols)
    directions = {c: directions[c] for c in cols}
    if targets is not None and not isinstance(targets, dict):
        targets = dict(targets.items()) if hasattr(targets, "items") else dict(targets)
    x = to_matrix(data, cols)
    out: dict[str, Mapping[str, Any]] = {}
    for j, code in enumerate(cols):
        name, prm = resolve_method(code, method, params, overrides)
        norm = NORMALISERS.get(name)
        d = _direction(directions, code)
        prm = _fill_needs(norm, code, d, prm, targets, goalposts, data, j, x)
        if name in ("fraction_of_max", "distance_to_reference") and d == -1:
            raise ComputationError(
                f"{code}: {name} is undefined for a 'lower is better' indicator (a ratio of "
                "x' = -x inverts the order); use minmax, distance_to_max or distance_to_target"
            )
        try:
            stats = norm.fit(d * x[:, j], **prm)
        except TypeError as e:
            raise ParameterError("params", f"{code} ({name}): {e}") from None
        except ComputationError as e:
            raise ComputationError(f"{code}: {e.message}") from None
        out[code] = MappingProxyType(
            {"method": name, "direction": d, "params": MappingProxyType(prm), "stats": stats}
        )
    return Bounds(MappingProxyType(out))


def apply_bounds(data: pd.DataFrame, bounds: Bounds, *, constant: str = "nan") -> pd.DataFrame:
    """Normalise the columns of ``data`` named in ``bounds`` with the fitted parameters.

    Columns of ``data`` not in ``bounds`` are returned unchanged; a column of ``bounds`` that is
    missing from ``data`` is a ParameterError.
    """
    check_frame(data)
    if constant not in CONSTANT_POLICIES:
        raise ParameterError("constant", f"must be one of {CONSTANT_POLICIES}, got {constant!r}")
    cols = list(bounds.columns)
    missing = [c for c in cols if c not in data.columns]
    if missing:
        raise ParameterError("data", f"columns fitted in the bounds are missing: {missing}")
    x = to_matrix(data, cols)
    y = np.empty_like(x)
    for j, code in enumerate(cols):
        spec = bounds.columns[code]
        norm = NORMALISERS.get(spec["method"])
        if norm.degenerate(spec["stats"]) and constant == "error":
            raise ComputationError(
                f"{code}: {spec['method']} is undefined for this column (constant values or no "
                f"range: {_short(spec['stats'])})"
            )
        with np.errstate(invalid="ignore", divide="ignore", over="ignore"):
            y[:, j] = norm.apply(spec["direction"] * x[:, j], spec["stats"], **spec["params"])
    return _with_columns(data, cols, y)


def normalise(
    data: pd.DataFrame,
    method: str = "minmax",
    *,
    directions: Mapping[str, int] | pd.Series,
    params: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    targets: Mapping[str, float] | pd.Series | None = None,
    goalposts: Mapping[str, tuple[float, float]] | None = None,
    bounds: Bounds | None = None,
    constant: str = "nan",
    columns: list[str] | None = None,
) -> StageResult:
    """Normalise every indicator column (direction first, then ``method``).

    Parameters
    ----------
    data : DataFrame
        Wide data (panels: bounds are pooled over all years).
    method : str
        One of ``NORMALISERS.names()``.
    directions : mapping or Series code -> +1 / -1
        Required for every normalised column. Numeric columns without a direction (e.g.
        denominators) are left unchanged unless listed in ``columns``.
    params : mapping, optional
        Global parameters (minmax ``lower``/``upper``; zscore ``mean``/``sd``; goalposts
        ``scale``; distance_to_* ``cap``; distance_to_reference ``reference``: a unit label of
        ``data`` or a raw value).
    overrides : mapping, optional
        Per indicator: a method name or ``{"method": ..., **params}``.
    targets : mapping or Series, optional
        Raw-unit targets for distance_to_target (usually ``framework.targets()``).
    goalposts : mapping code -> (lo, hi), optional
        Raw-unit goalposts (usually ``framework.goalposts()``); ``params["goalposts"]`` applies
        one pair to every column.
    bounds : Bounds, optional
        Pre-fitted parameters (:func:`fit_bounds` on a reference set); then ``method``,
        ``params``, ``overrides``, ``targets`` and ``goalposts`` are taken from them.
    constant : {"nan", "error"}
        Policy for degenerate columns (see the module docstring).
    columns : list of str, optional
        Columns to normalise (default: numeric columns that have a direction).

    Returns
    -------
    StageResult
        ``details``: the fitted bounds table; ``extras["bounds"]``: the :class:`Bounds` (to
        reuse on other data); ``audit``: empty (every value is rescaled; nothing is singled
        out).

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.0, 3.0, 5.0], "b": [10.0, 0.0, 5.0]})
    >>> normalise(df, "minmax", directions={"a": 1, "b": -1}).data.to_dict("list")
    {'a': [0.0, 50.0, 100.0], 'b': [0.0, 100.0, 50.0]}
    """
    if bounds is None:
        bounds = fit_bounds(
            data,
            method,
            directions=directions,
            params=params,
            overrides=overrides,
            targets=targets,
            goalposts=goalposts,
            columns=columns,
        )
    out = apply_bounds(data, bounds, constant=constant)
    return StageResult(out, empty_audit(data.index), bounds.table(), {"bounds": bounds})


# --------------------------------------------------------------------------- helpers
def _columns(data: pd.DataFrame, directions: Any, columns: list[str] | None) -> list[str]:
    if directions is None:
        raise ParameterError(
            "directions", "required (code -> +1 or -1), e.g. framework.directions()"
        )
    if columns is not None:
        cols = select_numeric(data, columns)
    else:
        cols = [c for c in select_numeric(data) if c in directions]
        if not cols:
            raise ParameterError("directions", "no numeric column of the data has a direction")
    missing = [c for c in cols if c not in directions]
    if missing:
        raise ParameterError("directions", f"no direction for {missing}")
    return cols


def _direction(directions: Any, code: str) -> int:
    d = directions[code]
    if d not in (1, -1):
        raise ParameterError("directions", f"{code}: must be +1 or -1, got {d!r}")
    return int(d)


def _fill_needs(
    norm: Normaliser,
    code: str,
    d: int,
    prm: dict[str, Any],
    targets: Any,
    goalposts_: Any,
    data: pd.DataFrame,
    j: int,
    x: np.ndarray,
) -> dict[str, Any]:
    prm = dict(prm)
    if "target" in norm.needs:
        t = prm.get("target")
        if t is None and targets is not None and code in targets:
            t = targets[code]
        if t is None or pd.isna(t):
            raise ParameterError("targets", f"no target for {code} (distance_to_target)")
        prm["target"] = d * float(t)
    if "goalposts" in norm.needs:
        gp = prm.get("goalposts")
        if gp is None and goalposts_ is not None and code in goalposts_:
            gp = goalposts_[code]
        if gp is None:
            raise ParameterError("goalposts", f"no goalposts for {code}")
        prm["goalposts"] = tuple(d * float(g) for g in gp)
    if "reference" in norm.needs:
        ref = prm.get("reference")
        if ref is None:
            raise ParameterError(
                "reference",
                "distance_to_reference needs params['reference'] (a unit label or a value)",
            )
        if isinstance(ref, int | float) and not isinstance(ref, bool):
            prm["reference"] = d * float(ref)
        else:
            if ref not in data.index:
                raise ParameterError("reference", f"unit {ref!r} is not in the data")
            val = x[data.index.get_loc(ref), j]
            if np.isnan(val):
                raise ComputationError(f"{code}: the reference unit {ref!r} has no value")
            prm["reference"] = d * float(val)
    return prm


def _short(stats: Mapping[str, Any]) -> str:
    return ", ".join(f"{k}={v:g}" for k, v in stats.items() if np.ndim(v) == 0)
