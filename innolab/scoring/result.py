"""What every stage verb returns: the new data, a cell-by-cell audit and a stage summary.

The audit is a long table with one row per changed cell (or per removed unit / indicator):
``stage, iso3, [year,] code, action, before, after, detail``. ``year`` is present only for panel
data (index levels ``iso3`` and ``year``). A removed unit has ``code`` missing; a removed
indicator has ``iso3`` missing. The audit answers "what was imputed, winsorised, log-transformed,
capped or screened out" without diffing frames.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from ._common import text_array as _text

__all__ = [
    "StageResult",
    "AUDIT_COLUMNS",
    "AuditBuilder",
    "empty_audit",
    "cell_audit",
    "concat_audits",
]

#: columns of every audit table (``year`` is inserted after ``iso3`` for panels)
AUDIT_COLUMNS = ("stage", "iso3", "code", "action", "before", "after", "detail")


@dataclass(frozen=True)
class StageResult:
    """Result of one stage verb.

    Attributes
    ----------
    data : DataFrame
        The new wide data set (the input is never modified).
    audit : DataFrame
        One row per changed cell: ``stage, iso3, [year,] code, action, before, after, detail``.
    details : DataFrame or None
        A stage summary (screening summary, treatment details, fitted bounds, ...).
    extras : mapping of str to object
        Further stage outputs by name (``treat``: ``"points"``, COINr's treatment points;
        ``normalise``: ``"bounds"``, the fitted :class:`~innolab.scoring.normalise.Bounds`).
    """

    data: pd.DataFrame
    audit: pd.DataFrame
    details: pd.DataFrame | None = None
    extras: Mapping[str, object] = field(default_factory=dict)

    def __repr__(self) -> str:
        d = None if self.details is None else self.details.shape
        return f"StageResult(data={self.data.shape}, audit={len(self.audit)} rows, details={d})"


def _index_levels(index: pd.Index) -> list[str]:
    if isinstance(index, pd.MultiIndex):
        return [str(n) if n is not None else f"level_{i}" for i, n in enumerate(index.names)]
    return ["iso3"]


def empty_audit(index: pd.Index | None = None) -> pd.DataFrame:
    """An audit table with no rows and the right columns (``year`` for a panel index)."""
    cols = tuple(_columns_for(index))
    tpl = _EMPTY.get(cols)
    if tpl is None:
        tpl = pd.DataFrame(
            {c: np.array([], dtype=float if c in ("before", "after") else object) for c in cols}
        )
        _EMPTY[cols] = tpl
    return tpl.copy()


_EMPTY: dict[tuple[str, ...], pd.DataFrame] = {}


def _columns_for(index: pd.Index | None) -> list[str]:
    levels = ["iso3"] if index is None else _index_levels(index)
    if levels[0] != "iso3":
        levels = ["iso3", *levels[1:]]
    return ["stage", *levels, "code", "action", "before", "after", "detail"]


def cell_audit(
    stage: str,
    index: pd.Index,
    columns: pd.Index | list[str],
    mask: np.ndarray,
    before: np.ndarray,
    after: np.ndarray,
    action: str | np.ndarray,
    detail: str | Mapping[str, str] | np.ndarray | None = None,
) -> pd.DataFrame:
    """Audit rows for the cells where ``mask`` is True (row-major order: unit, then column).

    Parameters
    ----------
    stage : str
        Stage name written in every row.
    index, columns
        Row labels (units, or (iso3, year) tuples) and column codes of the 2-D arrays.
    mask : ndarray of bool, shape (n_units, n_columns)
        Cells to record.
    before, after : ndarray, shape (n_units, n_columns)
        Values before and after the stage.
    action : str or ndarray of str (same shape as ``mask``)
    detail : str, mapping column code -> str, ndarray of str (same shape) or None
    """
    r, c = np.nonzero(mask)
    if not r.size:  # the same table as below with no rows, from a cached template
        return empty_audit(index)
    cols = list(columns)
    out: dict[str, object] = {"stage": np.full(len(r), stage, dtype=object)}
    if isinstance(index, pd.MultiIndex):
        names = _columns_for(index)[1:-5]
        for lvl, name in enumerate(names):
            out[name] = np.asarray(index.get_level_values(lvl), dtype=object)[r]
    else:
        out["iso3"] = np.asarray(index, dtype=object)[r]
    out["code"] = np.asarray(cols, dtype=object)[c]
    out["action"] = (
        np.full(len(r), action, dtype=object)
        if isinstance(action, str)
        else np.asarray(action, dtype=object)[r, c]
    )
    out["before"] = np.asarray(before, dtype=float)[r, c]
    out["after"] = np.asarray(after, dtype=float)[r, c]
    if detail is None:
        out["detail"] = np.full(len(r), "", dtype=object)
    elif isinstance(detail, str):
        out["detail"] = np.full(len(r), detail, dtype=object)
    elif isinstance(detail, Mapping):
        per_col = np.asarray([detail.get(k, "") for k in cols], dtype=object)
        out["detail"] = per_col[c]
    else:
        out["detail"] = np.asarray(detail, dtype=object)[r, c]
    return _frame(out, _columns_for(index))


def _frame(cols: dict[str, object], order: list[str]) -> pd.DataFrame:
    """The audit table from its column arrays (text columns converted in one step each)."""
    # (the dict is in column order: passing ``columns=`` too would make pandas reindex it)
    return pd.DataFrame({k: _text(cols[k]) for k in order})


def concat_audits(parts: list[pd.DataFrame], index: pd.Index | None = None) -> pd.DataFrame:
    """Concatenate audit pieces (an empty audit when there are none)."""
    parts = [p for p in parts if len(p)]
    if not parts:
        return empty_audit(index)
    return pd.concat(parts, ignore_index=True)


class AuditBuilder:
    """Collect audit rows column by column and build the table once (fast for many columns).

    ``add(j, mask, before, after, action, detail)`` records the cells of column ``j`` where
    ``mask`` is True; ``build()`` returns the audit sorted by step order of recording.
    """

    def __init__(self, stage: str, index: pd.Index, columns: list[str]):
        self.stage = stage
        self.index = index
        self.columns = list(columns)
        self._parts: list[tuple[np.ndarray, int, str, np.ndarray, np.ndarray, object]] = []

    def add(
        self,
        j: int,
        mask: np.ndarray,
        before: np.ndarray,
        after: np.ndarray,
        action: str,
        detail: str | np.ndarray = "",
    ) -> None:
        rows = np.nonzero(mask)[0]
        if rows.size:
            det = detail[rows] if isinstance(detail, np.ndarray) else detail
            self._parts.append(
                (
                    rows,
                    j,
                    action,
                    np.asarray(before, float)[rows],
                    np.asarray(after, float)[rows],
                    det,
                )
            )

    def build(self) -> pd.DataFrame:
        if not self._parts:
            return empty_audit(self.index)
        rows = np.concatenate([p[0] for p in self._parts])
        n = [p[0].size for p in self._parts]
        cols = np.repeat([p[1] for p in self._parts], n)
        out: dict[str, object] = {"stage": np.full(rows.size, self.stage, dtype=object)}
        if isinstance(self.index, pd.MultiIndex):
            names = _columns_for(self.index)[1:-5]
            for lvl, name in enumerate(names):
                out[name] = np.asarray(self.index.get_level_values(lvl), dtype=object)[rows]
        else:
            out["iso3"] = np.asarray(self.index, dtype=object)[rows]
        out["code"] = np.asarray(self.columns, dtype=object)[cols]
        out["action"] = np.repeat(np.asarray([p[2] for p in self._parts], dtype=object), n)
        out["before"] = np.concatenate([p[3] for p in self._parts])
        out["after"] = np.concatenate([p[4] for p in self._parts])
        dets = []
        for p in self._parts:
            d = p[5]
            dets.append(
                np.asarray(d, dtype=object)
                if isinstance(d, np.ndarray)
                else np.full(p[0].size, d, dtype=object)
            )
        out["detail"] = np.concatenate(dets)
        return _frame(out, _columns_for(self.index))
