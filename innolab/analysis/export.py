"""Export analysis tables: one CSV per table and one Excel workbook with a front sheet.

Every file is written atomically (:mod:`innolab.io`): a reader never sees half a workbook. The
workbook has a front sheet (``About``) listing the tables with their CSV names and row counts,
the units of the columns, and the build spec (flattened to ``key = value`` rows), then one sheet
per table. Excel limits sheet names to 31 characters and forbids ``[]:*?/\\``; longer or clashing
names are shortened and numbered (``~2``), and the front sheet maps each sheet to its table.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import ParameterError
from ..io import atomic_write, safe_name, write_table

__all__ = ["COLUMN_UNITS", "sheet_names", "flatten_spec", "column_units", "export_tables"]

#: Units of the columns the analysis tables share (listed on the workbook's front sheet).
COLUMN_UNITS: Mapping[str, str] = {
    "score": "normalised points (0-100 unless the spec says otherwise)",
    "reference_score": "normalised points",
    "gap_points": "normalised points: reference score - score (positive = behind)",
    "value": "the indicator's own units (see the indicator rows below)",
    "reference_value": "the indicator's own units",
    "gap_value": "own units, direction-aware: d * (reference value - value) (positive = behind)",
    "rank": "rank among the units (1 = best, ties share the best rank)",
    "percentile": "percentile rank (100 = best)",
    "ratio": "percent of the reference group's average score",
    "change": "normalised points",
    "effort": "normalised points moved x cost",
}

_MAX_SHEET = 31
_BAD_SHEET = re.compile(r"[\[\]:*?/\\]")
_FRONT = "About"


def sheet_names(names: list[str], *, reserved: tuple[str, ...] = (_FRONT,)) -> list[str]:
    """Valid, unique Excel sheet names for ``names`` (≤ 31 characters, no ``[]:*?/\\``).

    >>> sheet_names(["a" * 40, "a" * 40, "x/y"])
    ['aaaaaaaaaaaaaaaaaaaaaaaaaaaaaaa', 'aaaaaaaaaaaaaaaaaaaaaaaaaaaaa~2', 'x_y']
    """
    used = {r.lower() for r in reserved}
    out = []
    for name in names:
        base = _BAD_SHEET.sub("_", str(name)).strip("'") or "sheet"
        cand = base[:_MAX_SHEET]
        i = 2
        while cand.lower() in used:
            suffix = f"~{i}"
            cand = base[: _MAX_SHEET - len(suffix)] + suffix
            i += 1
        used.add(cand.lower())
        out.append(cand)
    return out


def flatten_spec(spec: Any, prefix: str = "") -> list[tuple[str, str]]:
    """``[(dotted key, value text), ...]`` of a nested spec (mappings, lists, dataclasses).

    >>> flatten_spec({"normalise": {"method": "minmax", "params": [0, 100]}})
    [('normalise.method', 'minmax'), ('normalise.params', '[0, 100]')]
    """
    if spec is None:
        return []
    if hasattr(spec, "to_mapping") and callable(spec.to_mapping):  # innolab's Spec
        spec = spec.to_mapping()
    elif hasattr(spec, "to_dict") and callable(spec.to_dict):
        spec = spec.to_dict()
    elif hasattr(spec, "__dataclass_fields__"):
        import dataclasses

        spec = dataclasses.asdict(spec)
    if isinstance(spec, Mapping):
        rows = []
        for k, v in spec.items():
            key = f"{prefix}.{k}" if prefix else str(k)
            if isinstance(v, Mapping) and v:
                rows.extend(flatten_spec(v, key))
            else:
                rows.append((key, _text(v)))
        return rows
    return [(prefix or "spec", _text(spec))]


def column_units(tables: Mapping[str, pd.DataFrame], framework: Any = None) -> dict[str, str]:
    """Units for the front sheet: :data:`COLUMN_UNITS` of the columns the tables use, then each
    indicator's unit from ``framework`` (``code -> unit``) where it states one.

    >>> column_units({"g": pd.DataFrame(columns=["code", "gap_points"])})
    {'gap_points': 'normalised points: reference score - score (positive = behind)'}
    """
    cols = {str(c) for df in tables.values() for c in df.columns}
    out = {c: u for c, u in COLUMN_UNITS.items() if c in cols}
    if framework is not None:
        from . import _tree

        for c in _tree.indicator_codes(framework):
            unit = _tree.node_attr(framework, c, "unit")
            if unit:
                out[c] = str(unit)
    return out


def _text(v: Any) -> str:
    if isinstance(v, str):
        return v
    try:
        return json.dumps(v, default=str)
    except (TypeError, ValueError):
        return str(v)


def export_tables(
    tables: Mapping[str, pd.DataFrame],
    out_dir: str | Path,
    *,
    workbook: str | None = "analysis.xlsx",
    units: Mapping[str, str] | None = None,
    spec: Any = None,
    title: str = "innolab analysis",
    index: bool = False,
) -> list[Path]:
    """Write each table to ``out_dir/<name>.csv`` and all of them to one workbook.

    Parameters
    ----------
    tables : ``{name: DataFrame}``; names become file names (checked by
        :func:`innolab.io.safe_name`) and sheet names (:func:`sheet_names`).
    out_dir : folder (created if needed).
    workbook : workbook file name (None: CSV only).
    units : ``{column or code: unit}`` listed on the front sheet.
    spec : the build spec (mapping or dataclass), flattened onto the front sheet.
    index : write the frames' index too.

    Returns
    -------
    The paths written: the CSVs in table order, then the workbook.
    """
    if not tables:
        raise ParameterError("tables", "nothing to export")
    out_dir = Path(out_dir)
    names = [safe_name(str(n), what="table name") for n in tables]
    for n, df in tables.items():
        if not isinstance(df, pd.DataFrame):
            raise ParameterError("tables", f"{n!r} is a {type(df).__name__}, not a DataFrame")
    paths = [
        write_table(df, out_dir / f"{n}.csv", index=index)
        for n, df in zip(names, tables.values(), strict=True)
    ]
    if workbook is None:
        return paths
    if not str(workbook).lower().endswith(".xlsx"):
        raise ParameterError("workbook", f"{workbook!r} must end in .xlsx")
    book = out_dir / safe_name(str(workbook), what="workbook")
    sheets = sheet_names(names)
    front = [("title", "title", title, "")]
    front += [
        ("table", n, s, f"{len(df)} rows; {n}.csv")
        for n, s, df in zip(names, sheets, tables.values(), strict=True)
    ]
    front += [("unit", str(k), str(v), "") for k, v in (units or {}).items()]
    front += [("spec", k, v, "") for k, v in flatten_spec(spec)]
    about = pd.DataFrame(front, columns=["section", "item", "value", "note"])
    with atomic_write(book, "wb", encoding=None) as fh:
        with pd.ExcelWriter(fh, engine="openpyxl") as xw:
            about.to_excel(xw, sheet_name=_FRONT, index=False)
            for s, df in zip(sheets, tables.values(), strict=True):
                df.to_excel(xw, sheet_name=s, index=index)
    paths.append(book)
    return paths
