"""Build from files: read a data table, a framework and a spec, and build (``innolab score``,
``innolab uncertainty``).

One place for how the command-line tools turn files into a :class:`~innolab.scoring.pipeline.Build`:
wide tables (unit column ``uCode`` or ``iso3``, optional ``year``/``Time`` for panels) or the
canonical tidy table (``iso3, indicator, year, value``; ``year`` picks the reference year, default
the latest in the table).
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataFileError, ParameterError
from ..framework import Framework, load_framework

__all__ = ["FileBuild", "build_from_files"]


@dataclass(frozen=True, eq=False)
class FileBuild:
    """A build made from files, with what is needed to write its outputs."""

    build: Any
    framework: Framework
    spec: Any
    unit_column: str
    reference_year: int | None
    sources: tuple[dict, ...]


def build_from_files(
    data: str | Path,
    framework: str | Path | Framework,
    *,
    spec: str | Path | Mapping[str, Any] | None = None,
    year: int | None = None,
) -> FileBuild:
    """Read ``data``, ``framework`` and ``spec`` and build (see the module docstring)."""
    from ..io import source_record
    from .pipeline import DEFAULT_SPEC, Spec, _numeric_columns, build, read_data_file
    from .select import is_tidy, select

    data_path = Path(data)
    table = read_data_file(data_path)
    fw = load_framework(framework)
    if spec is None:
        spec_obj = Spec.from_mapping(DEFAULT_SPEC)
    elif isinstance(spec, str | Path):
        spec_obj = Spec.from_file(spec)
    else:
        spec_obj = Spec.from_mapping(spec)
    ref_year = None
    if is_tidy(table):
        unit_col = "iso3"
        if year is None:
            years = pd.to_numeric(table["year"], errors="coerce")
            if years.isna().all():
                raise DataFileError(data_path, "the tidy table has no valid year")
            year = int(years.max())
        ref_year = int(year)
        b = build(select(table, fw, ref_year), fw, spec_obj)
    else:
        unit_col = next((c for c in ("uCode", "iso3") if c in table.columns), None)
        if unit_col is None:
            raise DataFileError(
                data_path,
                "no unit column",
                expected="a column uCode or iso3 "
                "(wide data) or iso3, indicator, year, value (tidy data)",
                found=list(map(str, table.columns[:6])),
            )
        ycol = next((c for c in ("year", "Time") if c in table.columns), None)
        if year is not None:
            if ycol is None:
                raise ParameterError("year", "the wide data have no year/Time column")
            table = table[pd.to_numeric(table[ycol], errors="coerce") == year]
            if table.empty:
                raise DataFileError(data_path, f"no rows for year {year}", column=ycol)
            table = table.drop(columns=[ycol])
            ref_year = int(year)
        elif ycol is not None and not table[unit_col].duplicated().any():
            table = table.drop(columns=[ycol])
        table = _numeric_columns(table, list(fw.indicators) + list(fw.denominators), data_path)
        if ycol is not None and ycol in table.columns:
            table = table.set_index([unit_col, ycol]).rename_axis(["iso3", "year"])
        b = build(table, fw, spec_obj)
    sources = [source_record(data_path)]
    if isinstance(framework, str | Path) and Path(framework).exists():
        sources.append(source_record(framework))
    if isinstance(spec, str | Path):
        sources.append(source_record(spec))
    return FileBuild(b, fw, spec_obj, unit_col, ref_year, tuple(sources))
