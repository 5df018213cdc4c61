"""Denominate: divide size-dependent indicators by a size measure (population, GDP, area).

Composite indicators compare countries of very different sizes; totals (trade, patents, border
crossings) are turned into intensities by dividing by the framework's ``denominator`` column and
multiplying by the node's ``scale`` (e.g. per million people). This is COINr's ``Denominate``:

.. math:: y_{ij} = x_{ij} / D_{i,d(j)} \\cdot s_j

where :math:`d(j)` is indicator *j*'s denominator and :math:`s_j` its scale (default 1).

Edge cases (decided once): NA stays NA; a missing denominator turns a value into NA (audited as
``denominator_missing``); a zero denominator for a non-missing value is a
:class:`~innolab.errors.ComputationError` naming the unit(s) and the indicator (division by zero
has no meaningful answer, and COINr would silently produce infinities).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, ParameterError
from . import _tree
from ._common import check_frame, text_array, to_matrix, with_columns
from .result import StageResult, cell_audit, concat_audits

__all__ = ["denominate"]

STAGE = "denominate"


def denominate(
    data: pd.DataFrame,
    framework: Any,
    *,
    denominators: pd.DataFrame | None = None,
) -> StageResult:
    """Divide every indicator that has a denominator in ``framework`` by that column.

    Parameters
    ----------
    data : DataFrame
        Wide data (index ``iso3`` or ``(iso3, year)``; columns indicator codes). Columns without
        a denominator are copied unchanged.
    framework : Framework
        Supplies each indicator's ``denominator`` code and ``scale``.
    denominators : DataFrame, optional
        Denominator columns (codes as in the framework), indexed by unit (or by the same panel
        index as ``data``; a unit-only index is broadcast over years). Default: the denominator
        columns of ``data`` itself (COINr reads them from iData).

    Returns
    -------
    StageResult
        ``data``: the denominated copy; ``audit``: cells turned to NA by a missing denominator;
        ``details``: one row per denominated indicator (``code, denominator, scale, n_values,
        n_denominator_missing``).

    Raises
    ------
    ParameterError
        A denominator column is absent.
    ComputationError
        A denominator is zero where the indicator has a value (names units and indicator).

    Examples
    --------
    >>> import pandas as pd
    >>> from types import SimpleNamespace as NS
    >>> fw = NS(indicators=["A", "B"], node=lambda c: NS(denominator="Pop" if c == "A" else None,
    ...                                                   scale=1000.0))
    >>> df = pd.DataFrame({"A": [10.0, None], "B": [1.0, 2.0], "Pop": [4.0, 5.0]},
    ...                   index=pd.Index(["X", "Y"], name="iso3"))
    >>> denominate(df, fw).data["A"].tolist()
    [2500.0, nan]
    """
    check_frame(data)
    source = data if denominators is None else denominators
    check_frame(source, "denominators")
    inds = [c for c in _tree.indicator_codes(framework) if c in data.columns]
    plan: list[tuple[str, str, float]] = []
    absent: dict[str, list[str]] = {}
    for code in inds:
        den = _tree.node_attr(framework, code, "denominator")
        if den is None or (isinstance(den, float) and np.isnan(den)) or den == "":
            continue
        den = str(den)
        scale = _tree.node_attr(framework, code, "scale", 1.0)
        scale = 1.0 if scale is None else float(scale)
        if den not in source.columns:
            absent.setdefault(den, []).append(code)
            continue
        plan.append((code, den, scale))
    if absent:
        what = "; ".join(f"{d} (needed by {', '.join(c)})" for d, c in absent.items())
        raise ParameterError("denominators", f"denominator columns not found: {what}")

    cols = [p[0] for p in plan]
    x = to_matrix(data, cols)
    dens = np.empty_like(x)
    aligned: dict[str, np.ndarray] = {}  # each denominator column is read once
    for j, (_code, den, _scale) in enumerate(plan):
        if den not in aligned:
            aligned[den] = _aligned(source[den], data.index)
        dens[:, j] = aligned[den]
    scales = np.array([p[2] for p in plan], dtype=float)

    has_x = ~np.isnan(x)
    zero = has_x & (dens == 0)
    if zero.any():
        msgs = []
        for j in np.nonzero(zero.any(axis=0))[0]:
            units = [_label(data.index[i]) for i in np.nonzero(zero[:, j])[0]]
            msgs.append(f"{cols[j]} / {plan[j][1]} for {', '.join(units)}")
        raise ComputationError("denominator is zero: " + "; ".join(msgs))
    with np.errstate(invalid="ignore", divide="ignore"):
        y = x / dens * scales
    lost = has_x & np.isnan(dens)
    audit = cell_audit(
        STAGE,
        data.index,
        cols,
        lost,
        x,
        y,
        "denominator_missing",
        {c: f"denominator {d} is missing" for c, d, _ in plan},
    )
    details = pd.DataFrame(
        {
            "code": text_array(cols),
            "denominator": text_array([p[1] for p in plan]),
            "scale": scales,
            "n_values": has_x.sum(axis=0).astype(int),
            "n_denominator_missing": lost.sum(axis=0).astype(int),
        }
    )
    return StageResult(with_columns(data, cols, y), concat_audits([audit], data.index), details)


def _aligned(col: pd.Series, index: pd.Index) -> np.ndarray:
    """Denominator values in the order of ``index`` (unit-only index broadcast over a panel)."""
    if not pd.api.types.is_numeric_dtype(col.dtype):
        raise ParameterError("denominators", f"column {col.name} is not numeric ({col.dtype})")
    if col.index.equals(index):
        return col.to_numpy(dtype=float, na_value=np.nan)
    if isinstance(index, pd.MultiIndex) and not isinstance(col.index, pd.MultiIndex):
        keys = index.get_level_values(0)
    else:
        keys = index
    return col.reindex(keys).to_numpy(dtype=float, na_value=np.nan)


def _label(key: Any) -> str:
    return "/".join(map(str, key)) if isinstance(key, tuple) else str(key)
