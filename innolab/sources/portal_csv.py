"""World Bank data portal per-indicator downloads: ``API_<code>_DS2_*.csv`` + ``Metadata_Country_*``.

data.worldbank.org serves each indicator as a ZIP with three CSV files. The data file has a
UTF-8 BOM, a four-line preamble (``"Data Source","World Development Indicators",`` / blank /
``"Last Updated Date","2026-07-13",`` / blank), then the wide WDI layout with every field
quoted and a trailing comma. Files re-saved by spreadsheet tools lose the preamble, the quotes
and the trailing comma; both variants are read. ``Metadata_Country_*.csv`` gives region and
income group (blank region = aggregate). Missing markers: empty and ``..``.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from pathlib import Path

import pandas as pd

from ..errors import DataFileError
from .base import LoadResult, canonical_frame, indicator_frame, warn_all
from .wdi_bulk import read_wdi_country, read_wide_csv, wdi_file_kind, wide_to_long

__all__ = ["read_portal_csv", "portal_metadata_for"]

_API_NAME = re.compile(r"API_(?P<code>.+?)_DS2_.*\.csv", re.IGNORECASE)


def portal_metadata_for(path: str | Path) -> Path | None:
    """The ``Metadata_Country_<same name>.csv`` beside a portal data file, if present."""
    p = Path(path)
    candidate = p.with_name(f"Metadata_Country_{p.name}")
    return candidate if candidate.exists() else None


def read_portal_csv(
    paths: str | Path | Sequence[str | Path],
    *,
    codes: Iterable[str] | None = None,
    keep_missing: bool = False,
) -> LoadResult:
    """Load portal per-indicator CSV files and their country metadata.

    Parameters
    ----------
    paths : path or list of paths
        ``API_<code>_DS2_*.csv`` files (original or re-saved) and optionally
        ``Metadata_Country_*.csv`` files. A metadata file lying beside a data file with the
        matching name is picked up automatically.
    codes : iterable of str, optional
        Keep only these indicator codes.
    keep_missing : bool
        Keep empty and ``..`` cells as NaN rows.

    Returns
    -------
    LoadResult
        ``format="wb-portal-csv"``; the ``source`` column carries the file name and the
        "Last Updated Date" of the preamble when there is one.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = [Path(p) for p in paths]
    data_files, meta_files = [], []
    for p in paths:
        if not p.exists():
            raise DataFileError(p, "file not found")
        kind = wdi_file_kind(p)
        if kind == "data":
            data_files.append(p)
        elif kind == "country":
            meta_files.append(p)
        else:
            raise DataFileError(
                p,
                "not a World Bank portal file",
                line=1,
                expected="API_<code>_DS2_*.csv (Country Name, Country Code, Indicator Name, "
                "Indicator Code, years) or Metadata_Country_*.csv",
            )
    for p in data_files:
        m = portal_metadata_for(p)
        if m is not None and m not in meta_files:
            meta_files.append(m)
    if not data_files:
        raise DataFileError(paths[0], "no portal data file among the inputs")
    frames, ind_rows, notes = [], [], []
    codes = None if codes is None else list(codes)
    for p in data_files:
        table = read_wide_csv(p, codes=codes)
        updated = table.preamble.get("Last Updated Date")
        source = f"World Bank data portal {p.name}" + (
            f" (last updated {updated})" if updated else ""
        )
        data, rows, n = wide_to_long(table, source=source, keep_missing=keep_missing)
        named = _API_NAME.fullmatch(p.name)
        if named and codes is None:
            found = set(table.indicators)
            if found and found != {named.group("code")}:
                notes.append(
                    f"{p}: the file name says {named.group('code')} but the rows hold "
                    f"{', '.join(sorted(found))}"
                )
        for r in rows:
            r["source"] = table.preamble.get("Data Source") or "World Development Indicators"
        data["_path"] = str(p)
        frames.append(data)
        ind_rows += rows
        notes += n
    data, n = canonical_frame(pd.concat(frames, ignore_index=True), keep_missing=keep_missing)
    notes += n
    if codes is not None:
        absent = [c for c in codes if c not in set(data["indicator"].unique())]
        if absent:
            notes.append(f"codes not in the portal files: {', '.join(absent)}")
    countries = None
    if meta_files:
        countries = pd.concat([read_wdi_country(m) for m in meta_files], ignore_index=True)
        countries = countries.drop_duplicates("iso3").reset_index(drop=True)
    warn_all(notes)
    return LoadResult(
        data=data,
        indicators=indicator_frame(ind_rows),
        countries=countries,
        format="wb-portal-csv",
        paths=tuple(str(p) for p in [*data_files, *meta_files]),
        warnings=tuple(notes),
    )
