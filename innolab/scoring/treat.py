"""Treat: tame outliers and skewed distributions before normalisation (Handbook step 3-4).

A few extreme values dominate min-max scaling and hence the index; the OECD/JRC practice (GII,
COINr ``Treat``) is to Winsorise up to a handful of points when a distribution is both skewed and
heavy-tailed, and to log-transform it when that is not enough. Methods (registered in
:data:`~innolab.scoring.registry.TREATMENTS`; each kernel takes one vector and returns the
treated vector and a dict of what it did):

``winsorise`` (COINr ``winsorise`` + ``check_SkewKurt`` + ``log_CT`` fallback, exactly)
    *Statistics* over the non-missing values: adjusted Fisher-Pearson skewness
    :math:`\\mathrm{skew} = \\sqrt{n}\\,S_3/S_2^{3/2}\\cdot\\sqrt{n(n-1)}/(n-2)` and sample
    excess kurtosis :math:`\\mathrm{kurt} = ((n+1)(r-3)+6)(n-1)/((n-2)(n-3))`,
    :math:`r = n S_4/S_2^2` (:math:`S_k = \\sum (x_i-\\bar x)^k`; NaN below 3 / 4 values).
    *Check*: a column passes when ``|skew| < skew`` or ``kurt < kurtosis`` (strict), so it fails
    only when both are at or beyond their thresholds; a NaN statistic passes.
    *Loop* while failing and ``nwin < max_points``: if the current skew is >= 0, every value
    equal to the maximum is set to the largest other value (else the mirror image at the
    minimum); ``nwin`` = size of the latest high set + size of the latest low set (it can
    overshoot ``max_points`` when tied points are replaced together).
    *Fallback*: if the Winsorised column still fails, the Winsorised values are discarded and
    ``fallback`` is applied to the **original** column (``"log"`` = COINr's ``log_CT``; ``None``
    keeps the Winsorised column); its result is kept even if it still fails.
``log_ct``
    :math:`\\ln(x - \\min x + 0.01(\\max x - \\min x))` (COINr ``log_CT``; any sign).
    A range beyond the float limit (``-1e308 .. 1e308``) is shifted on halved values.
``log``, ``log1p``
    Plain :math:`\\ln x` (all values must be > 0) and :math:`\\ln(1+x)` (all values >= 0);
    otherwise a :class:`~innolab.errors.ComputationError` naming the indicator and units.
``boxcox``
    :math:`(x^\\lambda - 1)/\\lambda` (:math:`\\ln x` at :math:`\\lambda = 0`) with
    :math:`\\lambda` fitted by maximum likelihood (``scipy.stats.boxcox``) unless given. Data
    with a value <= 0 are first shifted by :math:`1 - \\min x` (so the minimum becomes 1);
    ``shift`` sets another shift.
``none``
    Unchanged.

Before the method, the framework's per-indicator data rules apply (override with
``overrides``): ``cap`` ``(lower, upper)`` clips values (audit action ``capped``), then
``transform`` (``"log1p"``, ``"log"``) transforms them. NaN is ignored in every statistic and
stays NaN. Panels are treated pooled over years (one distribution per indicator).
"""

from __future__ import annotations

from collections.abc import Mapping
from types import MappingProxyType
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError
from . import _tree
from ._common import (
    SAFE_MAGNITUDE,
    check_frame,
    check_override_codes,
    resolve_method,
    select_numeric,
    text_array,
    to_matrix,
    with_columns,
)
from .registry import TREATMENTS
from .result import AuditBuilder, StageResult

__all__ = [
    "treat",
    "skewness",
    "kurtosis",
    "check_skew_kurt",
    "winsorise",
    "log_ct",
    "log",
    "log1p",
    "boxcox",
    "no_treatment",
    "treatment_points",
]

STAGE = "treat"


# --------------------------------------------------------------------------- statistics
def _moments(x: np.ndarray) -> tuple[int, float, float, float]:
    """``n`` and the central sums S2, S3, S4 of the non-missing values.

    The values are summed in sorted order, so that the statistics (and a pass/fail decision
    at a threshold) do not depend on the order of the units. Skewness and kurtosis are
    scale-free, so extreme magnitudes are rescaled where the plain sums would fail: values
    whose largest absolute value exceeds 1e100 (the top of
    :data:`~innolab.scoring._common.SAFE_MAGNITUDE`) are first divided by it (else their sum
    and deviations overflow near 1e308), and deviations whose
    S2 is outside ``1e-100 .. 1e100`` by their largest absolute deviation (else S2**2 and S4
    over- or underflow, and deviations near 1e-300 square to exactly 0). Ordinary columns are
    summed as given, bit for bit.
    """
    v = np.sort(x[~np.isnan(x)])
    n = v.size
    if n == 0:
        return 0, np.nan, np.nan, np.nan
    big = max(-v[0], v[-1])  # max|v| of sorted values
    if SAFE_MAGNITUDE[1] < big < np.inf:
        v = v / big
    d = v - v.sum() / n  # == v.mean(), without its dispatch overhead
    d2 = d * d
    s2 = float(d2.sum())
    if not 1e-100 < s2 < 1e100:
        dmax = np.abs(d).max()
        if 0 < dmax < np.inf:  # not a constant column (nor one with an infinite value)
            d = d / dmax
            d2 = d * d
            s2 = float(d2.sum())
    return n, s2, float((d2 * d).sum()), float((d2 * d2).sum())


def _skew_from(n: int, s2: float, s3: float) -> float:
    if n < 3 or not s2 > 0:
        return np.nan
    g1 = np.sqrt(n) * s3 / s2**1.5
    return float(g1 * np.sqrt(n * (n - 1)) / (n - 2))


def _kurt_from(n: int, s2: float, s4: float) -> float:
    if n < 4 or not s2 > 0:
        return np.nan
    r = n * s4 / s2**2
    return float(((n + 1) * (r - 3) + 6) * (n - 1) / ((n - 2) * (n - 3)))


def skewness(x: np.ndarray) -> float:
    """Adjusted Fisher-Pearson sample skewness (e1071 type 2, Excel SKEW); NaN if n < 3.

    Examples
    --------
    >>> round(skewness(np.array([1.0, 2.0, 3.0, 10.0])), 10)
    1.7636326148
    """
    n, s2, s3, _ = _moments(np.asarray(x, dtype=float))
    return _skew_from(n, s2, s3)


def kurtosis(x: np.ndarray) -> float:
    """Sample excess kurtosis (e1071 type 2, Excel KURT); NaN if n < 4.

    Examples
    --------
    >>> round(kurtosis(np.array([1.0, 2.0, 3.0, 10.0])), 10)
    3.228
    """
    n, s2, _, s4 = _moments(np.asarray(x, dtype=float))
    return _kurt_from(n, s2, s4)


def check_skew_kurt(
    x: np.ndarray, *, skew: float = 2.0, kurtosis_: float = 3.5
) -> tuple[bool, float, float]:
    """``(passes, skew, kurt)``: passes unless ``|skew| >= skew`` and ``kurt >= kurtosis_``.

    Examples
    --------
    >>> check_skew_kurt(np.array([1.0, 2.0, 3.0, 10.0]), skew=1.5, kurtosis_=3.0)[0]
    False
    """
    n, s2, s3, s4 = _moments(np.asarray(x, dtype=float))
    s, k = _skew_from(n, s2, s3), _kurt_from(n, s2, s4)
    if np.isnan(s) or np.isnan(k):
        return True, s, k
    return bool(abs(s) < skew or k < kurtosis_), s, k


# --------------------------------------------------------------------------- kernels
@TREATMENTS.register("winsorise")
def winsorise(
    x: np.ndarray,
    *,
    max_points: int = 5,
    skew: float = 2.0,
    kurtosis: float = 3.5,
    fallback: str | None = "log",
) -> tuple[np.ndarray, dict[str, Any]]:
    """COINr's Winsorisation with log fallback (see the module docstring for every rule).

    Returns the treated vector and ``info``: ``pass0, skew0, kurt0`` (always), ``nwin,
    pass1, skew1, kurt1`` (when Winsorisation ran), ``pass2, skew2, kurt2`` (when the fallback
    ran), ``treatment`` ("none", "winsorise" or the fallback's name), ``points`` (COINr
    treatment-point labels per cell: "winhi", "winlo", "winhi+log_CT", "+log_CT", "").

    Examples
    --------
    >>> x = np.array([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 50.0])
    >>> y, info = winsorise(x, max_points=5, skew=2.0, kurtosis=3.5)
    >>> y.tolist(), info["nwin"], info["points"].tolist()[-2:]
    ([1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 4.5], 1, ['', 'winhi'])
    """
    _check_params(max_points=max_points, skew=skew, kurtosis=kurtosis)
    x = np.asarray(x, dtype=float)
    points = np.full(x.shape, "", dtype=object)
    ok, s0, k0 = check_skew_kurt(x, skew=skew, kurtosis_=kurtosis)
    info: dict[str, Any] = {"pass0": ok, "skew0": s0, "kurt0": k0, "treatment": "none"}
    if ok:
        info["points"] = points
        return x.copy(), info
    y = x.copy()
    hi = np.zeros(0, dtype=int)
    lo = np.zeros(0, dtype=int)
    nwin = 0
    # (pass, skew, kurt) of the current y: each check's statistics are reused for the next
    # step's direction and for the final check (the same computation on the same values)
    p1, s1, k1 = ok, s0, k0
    while not p1 and nwin < max_points:
        valid = ~np.isnan(y)
        if s1 >= 0:
            ext = y[valid].max()  # == np.nanmax(y): the check passes without values
            hit = valid & (y == ext)
            rest = y[valid & ~hit]
            if rest.size == 0:
                break
            hi = np.nonzero(hit)[0]
            y[hit] = rest.max()
        else:
            ext = y[valid].min()
            hit = valid & (y == ext)
            rest = y[valid & ~hit]
            if rest.size == 0:
                break
            lo = np.nonzero(hit)[0]
            y[hit] = rest.min()
        nwin = hi.size + lo.size
        p1, s1, k1 = check_skew_kurt(y, skew=skew, kurtosis_=kurtosis)
    points[hi] = "winhi"
    points[lo] = "winlo"
    info.update(nwin=nwin, pass1=p1, skew1=s1, kurt1=k1, treatment="winsorise", hi=hi, lo=lo)
    if p1 or fallback is None or fallback == "none":
        info["points"] = points
        return y, info
    fname = "log_ct" if fallback == "log" else fallback
    if fname == "winsorise":
        raise ParameterError("fallback", "cannot be winsorise itself")
    z, finfo = TREATMENTS.get(fname)(x)
    p2, s2, k2 = check_skew_kurt(z, skew=skew, kurtosis_=kurtosis)
    label = "log_CT" if fname == "log_ct" else fname
    info.update(pass2=p2, skew2=s2, kurt2=k2, treatment=fname, fallback_info=finfo)
    info["points"] = np.char.add(points.astype(str), f"+{label}").astype(object)
    return z, info


def _check_params(**kw: Any) -> None:
    for k, v in kw.items():
        if not isinstance(v, int | float) or isinstance(v, bool) or not np.isfinite(v) or v < 0:
            raise ParameterError(k, f"must be a non-negative number, got {v!r}")


@TREATMENTS.register("log_ct")
def log_ct(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """COINr's ``log_CT``: :math:`\\ln(x - \\min x + 0.01(\\max x - \\min x))`.

    A constant column has no range and is a ComputationError (COINr would return -inf).

    Examples
    --------
    >>> y, _ = log_ct(np.array([0.0, 1.0, np.nan, 100.0]))
    >>> np.round(y, 6).tolist()
    [0.0, 0.693147, nan, 4.615121]
    """
    x = np.asarray(x, dtype=float)
    if np.isnan(x).all():
        return x.copy(), {"treatment": "log_ct"}
    lo, hi = np.nanmin(x), np.nanmax(x)
    if hi == lo:
        raise ComputationError("log_ct: the column is constant (no range to shift by)")
    if float(hi) - float(lo) == np.inf and np.isfinite(lo) and np.isfinite(hi):
        # a range beyond the float limit (-1e308 .. 1e308): ln(t) = ln(t / 2) + ln 2, with
        # every term of t halved (exact), so that no shifted value overflows to inf
        half = x / 2 - lo / 2 + 0.01 * (hi / 2 - lo / 2)
        return np.log(half) + np.log(2.0), {"treatment": "log_ct"}
    return np.log(x - lo + 0.01 * (hi - lo)), {"treatment": "log_ct"}


@TREATMENTS.register("log")
def log(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Natural logarithm; every non-missing value must be > 0.

    Examples
    --------
    >>> np.round(log(np.array([1.0, np.e, np.nan]))[0], 12).tolist()
    [0.0, 1.0, nan]
    """
    x = np.asarray(x, dtype=float)
    bad = ~np.isnan(x) & (x <= 0)
    if bad.any():
        raise _DomainError("log needs values > 0", bad)
    return np.log(x), {"treatment": "log"}


@TREATMENTS.register("log1p")
def log1p(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """:math:`\\ln(1 + x)` for non-negative data (counts, shares); a negative value is an error.

    Examples
    --------
    >>> np.round(log1p(np.array([0.0, np.e - 1]))[0], 12).tolist()
    [0.0, 1.0]
    """
    x = np.asarray(x, dtype=float)
    bad = ~np.isnan(x) & (x < 0)
    if bad.any():
        raise _DomainError("log1p needs values >= 0", bad)
    return np.log1p(x), {"treatment": "log1p"}


@TREATMENTS.register("boxcox")
def boxcox(
    x: np.ndarray, *, lmbda: float | None = None, shift: float | str = "auto"
) -> tuple[np.ndarray, dict[str, Any]]:
    """Box-Cox power transform with fitted (or given) lambda; see the module docstring.

    Examples
    --------
    >>> y, info = boxcox(np.array([1.0, 4.0, 9.0]), lmbda=0.5)
    >>> y.tolist(), info["shift"]
    ([0.0, 2.0, 4.0], 0.0)
    """
    from scipy import stats

    x = np.asarray(x, dtype=float)
    valid = ~np.isnan(x)
    if not valid.any():
        return x.copy(), {"treatment": "boxcox", "lambda": np.nan, "shift": 0.0}
    if shift == "auto":
        mn = float(np.nanmin(x))
        s = 0.0 if mn > 0 else 1.0 - mn
    elif isinstance(shift, int | float) and not isinstance(shift, bool):
        s = float(shift)
    else:
        raise ParameterError("shift", f"must be 'auto' or a number, got {shift!r}")
    v = x[valid] + s
    if np.any(v <= 0):
        raise _DomainError(f"boxcox needs values > 0 after shift {s:g}", valid & (x + s <= 0))
    y = x.copy()
    if lmbda is None:
        if np.all(v == v[0]):
            raise ComputationError("boxcox: cannot fit lambda on a constant column")
        y[valid], lam = stats.boxcox(v)
    else:
        lam = float(lmbda)
        y[valid] = stats.boxcox(v, lmbda=lam)
    return y, {"treatment": "boxcox", "lambda": float(lam), "shift": s}


@TREATMENTS.register("none")
def no_treatment(x: np.ndarray) -> tuple[np.ndarray, dict[str, Any]]:
    """Return the values unchanged.

    Examples
    --------
    >>> no_treatment(np.array([1.0, 2.0]))[0].tolist()
    [1.0, 2.0]
    """
    return np.asarray(x, dtype=float).copy(), {"treatment": "none"}


class _DomainError(ComputationError):
    """A value outside a transform's domain; ``mask`` marks the offending cells."""

    def __init__(self, message: str, mask: np.ndarray):
        self.mask = mask
        super().__init__(message)


_TRANSFORMS = MappingProxyType({"log1p": log1p, "log": log, "log_ct": log_ct})


# --------------------------------------------------------------------------- the verb
def treat(
    data: pd.DataFrame,
    method: str = "winsorise",
    *,
    params: Mapping[str, Any] | None = None,
    overrides: Mapping[str, Any] | None = None,
    framework: Any = None,
    columns: list[str] | None = None,
) -> StageResult:
    """Treat every indicator column of ``data`` (cap, transform, then ``method``).

    Parameters
    ----------
    data : DataFrame
        Wide data.
    method : str
        One of ``TREATMENTS.names()``: winsorise, log_ct, log, log1p, boxcox, none.
    params : mapping, optional
        Parameters of ``method`` (winsorise: ``max_points``, ``skew``, ``kurtosis``,
        ``fallback``; boxcox: ``lmbda``, ``shift``).
    overrides : mapping, optional
        Per indicator: a method name, or ``{"method": ..., **params, "cap": (lo, hi),
        "transform": "log1p"}``. ``cap``/``transform`` here replace the framework's.
    framework : Framework, optional
        Source of each indicator's ``cap`` and ``transform`` data rules (and of the indicator
        columns, when ``columns`` is not given).
    columns : list of str, optional
        Columns to treat (default the framework's indicators in ``data``, else all numeric).

    Returns
    -------
    StageResult
        ``audit``: every changed cell (``capped``, ``transformed``, ``winsorised_high``,
        ``winsorised_low``, ``log_ct``, ``log``, ``log1p``, ``boxcox``). ``details``: one row per
        indicator: ``code, treatment, pass0, skew0, kurt0, nwin, pass1, skew1, kurt1`` (+
        ``pass2, skew2, kurt2`` when a fallback ran, ``lambda, shift`` for Box-Cox, ``cap,
        transform`` when used). ``extras["points"]``: COINr-style treatment-point labels.

    Examples
    --------
    >>> df = pd.DataFrame({"a": [1.0, 2.0, 2.5, 3.0, 3.5, 4.0, 4.5, 50.0]})
    >>> r = treat(df, "winsorise")
    >>> float(r.data["a"].max()), r.audit["action"].tolist()
    (4.5, ['winsorised_high'])
    """
    check_frame(data)
    if columns is None and framework is not None:
        columns = [c for c in _tree.indicator_codes(framework) if c in data.columns]
    cols = select_numeric(data, columns)
    check_override_codes(overrides, cols)
    TREATMENTS.get(method)
    x = to_matrix(data, cols)
    out = x.copy()
    ab = AuditBuilder(STAGE, data.index, cols)
    rows = []
    points = {}
    for j, code in enumerate(cols):
        ov_raw = overrides.get(code) if overrides else None
        ov: Any = dict(ov_raw) if isinstance(ov_raw, Mapping) else ov_raw
        rules = ov if isinstance(ov, dict) else {}
        cap = (
            rules.pop("cap")
            if "cap" in rules
            else (_tree.node_attr(framework, code, "cap") if framework is not None else None)
        )
        transform = (
            rules.pop("transform")
            if "transform" in rules
            else (_tree.node_attr(framework, code, "transform") if framework is not None else None)
        )
        ov_clean = {code: ov} if ov else None
        name, prm = resolve_method(code, method, params, ov_clean)
        col = x[:, j]
        row: dict[str, Any] = {"code": code}
        # 1. cap
        lo_hi = _cap_bounds(code, cap)
        if lo_hi is not None:
            capped = np.clip(col, *lo_hi) if None not in lo_hi else _clip_partial(col, lo_hi)
            ch = ~np.isnan(col) & (capped != col)
            ab.add(j, ch, col, capped, "capped", f"cap {lo_hi[0]}..{lo_hi[1]}")
            row["cap"] = f"{lo_hi[0]}..{lo_hi[1]}"
            col = capped
        # 2. transform
        if transform is not None and transform != "none":
            if transform not in _TRANSFORMS:
                raise ParameterError(
                    "transform", f"{code}: {transform!r}; valid: {', '.join(_TRANSFORMS)}"
                )
            new = _run(_TRANSFORMS[transform], code, col, {}, data.index)[0]
            ch = ~np.isnan(col)
            ab.add(j, ch, col, new, "transformed", transform)
            row["transform"] = transform
            col = new
        # 3. method
        fn = TREATMENTS.get(name)
        y, info = _run(fn, code, col, prm, data.index)
        treatment = info.get("treatment", name)
        row["treatment"] = treatment
        for k in (
            "pass0",
            "skew0",
            "kurt0",
            "nwin",
            "pass1",
            "skew1",
            "kurt1",
            "pass2",
            "skew2",
            "kurt2",
            "lambda",
            "shift",
        ):
            if k in info:
                row[k] = info[k]
        if name == "winsorise":
            pts = info["points"]
            points[code] = pts
            if treatment == "winsorise":
                for side, action in (("hi", "winsorised_high"), ("lo", "winsorised_low")):
                    m = np.zeros(len(col), dtype=bool)
                    m[info[side]] = True
                    m &= y != col
                    ab.add(j, m, col, y, action, f"nwin {info['nwin']}")
            elif treatment != "none":
                m = ~np.isnan(col)
                why = f"winsorising {info['nwin']} points was not enough"
                ab.add(j, m, col, y, treatment, why)
        elif treatment != "none":
            m = ~np.isnan(col) & ~(y == col)
            ab.add(j, m, col, y, treatment, _describe(info))
        else:
            points.setdefault(code, np.full(len(col), "", dtype=object))
        out[:, j] = y
        rows.append(row)
    details = _details(rows)
    pts_arr = np.full((len(data), len(cols)), "", dtype=object)
    for j, c in enumerate(cols):
        if c in points:
            pts_arr[:, j] = points[c]
    pts = pd.DataFrame(pts_arr, index=data.index.copy(), columns=list(cols), dtype=object)
    return StageResult(with_columns(data, cols, out), ab.build(), details, {"points": pts})


def _details(rows: list[dict[str, Any]]) -> pd.DataFrame:
    order = [
        "code",
        "treatment",
        "cap",
        "transform",
        "pass0",
        "skew0",
        "kurt0",
        "nwin",
        "pass1",
        "skew1",
        "kurt1",
        "pass2",
        "skew2",
        "kurt2",
        "lambda",
        "shift",
    ]
    present = {k for r in rows for k in r}
    cols: dict[str, Any] = {}
    for c in order:
        if c not in present:
            continue
        vals = [r.get(c) for r in rows]
        if c in ("pass0", "pass1", "pass2") or c == "nwin":
            # nullable columns straight from values + mask (pd.array infers element by element)
            mask = np.array([v is None for v in vals], dtype=bool)
            if c == "nwin":
                ints = np.array([0 if v is None else int(v) for v in vals], dtype=np.int64)
                cols[c] = pd.arrays.IntegerArray(ints, mask)
            else:
                flags = np.array([False if v is None else bool(v) for v in vals], dtype=bool)
                cols[c] = pd.arrays.BooleanArray(flags, mask)
        elif c in ("code", "treatment", "cap", "transform"):
            cols[c] = text_array(np.array(vals, dtype=object))
        else:
            cols[c] = np.array([np.nan if v is None else v for v in vals], dtype=float)
    return pd.DataFrame(cols)


def _describe(info: Mapping[str, Any]) -> str:
    if "lambda" in info:
        return f"lambda {info['lambda']:.6g}, shift {info['shift']:.6g}"
    return ""


def _run(fn, code: str, col: np.ndarray, prm: Mapping[str, Any], index: pd.Index):
    try:
        return fn(col, **prm)
    except _DomainError as e:
        units = [str(u) for u in np.asarray(index, dtype=object)[e.mask]][:10]
        raise ComputationError(f"{code}: {e.message} (units {', '.join(units)})") from None
    except ComputationError as e:
        raise ComputationError(f"{code}: {e.message}") from None
    except TypeError as e:
        raise ParameterError("params", f"{code}: {e}") from None


def _cap_bounds(code: str, cap: Any) -> tuple[float | None, float | None] | None:
    if cap is None:
        return None
    if isinstance(cap, Mapping):
        unknown = set(cap) - {"lower", "upper"}
        if unknown:
            raise ParameterError("cap", f"{code}: unknown keys {sorted(unknown)}")
        lo, hi = cap.get("lower"), cap.get("upper")
    else:
        try:
            lo, hi = cap
        except (TypeError, ValueError):
            raise ParameterError("cap", f"{code}: expected (lower, upper), got {cap!r}") from None
    lo = None if lo is None or (isinstance(lo, float) and np.isnan(lo)) else float(lo)
    hi = None if hi is None or (isinstance(hi, float) and np.isnan(hi)) else float(hi)
    if lo is not None and hi is not None and lo > hi:
        raise ParameterError("cap", f"{code}: lower {lo} > upper {hi}")
    if lo is None and hi is None:
        return None
    return lo, hi


def _clip_partial(col: np.ndarray, lo_hi: tuple[float | None, float | None]) -> np.ndarray:
    lo, hi = lo_hi
    out = col.copy()
    if lo is not None:
        out = np.where(out < lo, lo, out)
    if hi is not None:
        out = np.where(out > hi, hi, out)
    return out


def treatment_points(result: StageResult) -> pd.DataFrame:
    """COINr's ``treatment_points`` table of a :func:`treat` result (labels per cell).

    ``"winhi"``/``"winlo"`` mark Winsorised cells; when the log fallback replaced a column every
    cell reads ``"+log_CT"`` (``"winhi+log_CT"`` where Winsorisation had been tried).
    """
    extras = getattr(result, "extras", None) or {}
    if "points" not in extras:
        raise ParameterError("result", "not a treat() result (no treatment points)")
    return extras["points"]
