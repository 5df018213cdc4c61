"""World Development Indicators bulk files: WDICSV.csv / WDIData.csv, WDICountry.csv, WDISeries.csv.

The bulk data file has one row per economy and series: ``Country Name, Country Code,
Indicator Name, Indicator Code`` and one column per year (1960 onwards), sometimes with a
trailing empty column. The full file is about 250 MB (≈1,500 series × 266 economies), so it is
read **selectively and streaming**: the file is scanned line by line as bytes, only the
Indicator Code field of each line is looked at, and only the lines of the requested codes are
split into fields and parsed into numbers. Memory stays proportional to the rows kept.

The same wide layout is used by the data portal's per-indicator downloads
(:mod:`innolab.sources.portal_csv`), which add a four-line preamble and quote every field;
:func:`read_wide_csv` reads both.

Missing markers of these files: an empty cell and ``..``.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from itertools import chain
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc

from ..errors import DataFileError
from . import base as _base
from .base import (
    LoadResult,
    canonical_frame,
    country_frame,
    indicator_frame,
    iter_csv_records,
    known_codes,
    looks_like_code,
    missing_columns_error,
    parse_number,
    read_text,
    warn_all,
)

__all__ = [
    "WIDE_COLUMNS",
    "WDI_MISSING",
    "WideTable",
    "read_wide_csv",
    "wide_to_long",
    "read_wdi_bulk",
    "read_wdi_country",
    "read_wdi_series",
    "wdi_file_kind",
    "unit_from_name",
]

#: The four leading columns of the wide World Bank layout.
WIDE_COLUMNS: tuple[str, ...] = ("Country Name", "Country Code", "Indicator Name", "Indicator Code")
#: Missing-value markers of WDI files.
WDI_MISSING: frozenset[str] = frozenset({"", ".."})

# The first four fields of a line, each either quoted (may hold commas) or plain.
_HEAD = re.compile(
    rb'(?:"[^"]*"|[^,"\r\n]*),(?:"[^"]*"|[^,"\r\n]*),(?:"[^"]*"|[^,"\r\n]*),"?([^,"\r\n]*)'
)
_PREAMBLE_KEYS = (b"Data Source", b'"Data Source"')
_BLOCK_ROWS = 20_000  # rows of text cells parsed into floats at a time


@dataclass
class WideTable:
    """The rows of a wide World Bank file that were kept, before reshaping to long form."""

    path: str
    years: list[int]
    preamble: dict[str, str] = field(default_factory=dict)
    lines: list[int] = field(default_factory=list)
    country_names: list[str] = field(default_factory=list)
    iso3: list[str] = field(default_factory=list)
    indicator_names: list[str] = field(default_factory=list)
    indicators: list[str] = field(default_factory=list)
    values: list[list[str]] = field(default_factory=list)
    blocks: list[np.ndarray] = field(default_factory=list)
    encoding: str = "utf-8"

    def flush(self) -> None:
        """Parse the pending text cells into a float block (bounds memory on big imports)."""
        if self.values:
            first = len(self.lines) - len(self.values)
            self.blocks.append(
                _to_floats(self.values, self.lines[first:], self.years, self.path).reshape(
                    len(self.values), len(self.years)
                )
            )
            self.values = []

    def array(self) -> np.ndarray:
        """All kept rows as a float array (rows × years)."""
        self.flush()
        if not self.blocks:
            return np.empty((0, len(self.years)))
        return self.blocks[0] if len(self.blocks) == 1 else np.vstack(self.blocks)


def unit_from_name(name: str) -> str:
    """The unit World Bank series names carry in their last parentheses.

    >>> unit_from_name("GDP per capita (current US$)")
    'current US$'
    >>> unit_from_name("Population, total")
    ''
    """
    m = re.search(r"\(([^()]*)\)\s*$", name or "")
    return m.group(1).strip() if m else ""


def _decode(raw: bytes, table: WideTable) -> str:
    try:
        return raw.decode(table.encoding)
    except UnicodeDecodeError:
        table.encoding = "cp1252"
        return raw.decode("cp1252", errors="replace")


def _split(line: str) -> list[str]:
    line = line.rstrip("\r\n")
    if '"' not in line:
        return line.split(",")
    return next(csv.reader([line]))


def _check_header(path: Path, fields: list[str], line: int) -> tuple[list[int], int]:
    """Year columns of a wide header and the number of fields a row must have."""
    fields = [f.strip() for f in fields]
    if tuple(fields[:4]) != WIDE_COLUMNS:
        raise missing_columns_error(path, fields, WIDE_COLUMNS, line=line)
    rest = fields[4:]
    if rest and rest[-1] == "":
        rest = rest[:-1]
    years = []
    for name in rest:
        if not re.fullmatch(r"\d{4}", name):
            raise DataFileError(
                path,
                "unexpected column in the year columns",
                line=line,
                column=name,
                expected="four-digit years after Indicator Code (a trailing empty column is allowed)",
            )
        years.append(int(name))
    if not years:
        raise DataFileError(path, "no year columns", line=line, expected="1960, 1961, ...")
    if len(set(years)) != len(years):
        dupe = next(y for y in years if years.count(y) > 1)
        raise DataFileError(path, "duplicate year column", line=line, column=str(dupe))
    return years, len(fields)


def _field_count_error(path: str, line: int, fields: list[str], n: int, years: list[int]):
    found = len(fields)
    column = None
    hint = ""
    if found > n:
        vals = fields[4:]
        for i in range(len(vals) - 1):
            if re.fullmatch(r"[+-]?\d{1,3}", vals[i]) and re.fullmatch(
                r"\d{3}(\.\d*)?", vals[i + 1]
            ):
                column = str(years[i]) if i < len(years) else None
                hint = f": {vals[i]},{vals[i + 1]} looks like a thousands separator ('1,234')"
                break
    elif found < n:
        hint = ": the line is cut short (truncated file?)"
    return DataFileError(
        path,
        f"expected {n} fields, found {found}{hint}",
        line=line,
        column=column,
        expected="one field per header column",
    )


def read_wide_csv(
    path: str | Path,
    *,
    codes: Iterable[str] | None = None,
) -> WideTable:
    """Scan a wide World Bank CSV and keep the rows of the requested indicator codes.

    Parameters
    ----------
    path : path
        A bulk ``WDICSV.csv``/``WDIData.csv`` file or a portal ``API_<code>_DS2_*.csv`` file
        (with or without the four-line preamble, quoted or not, with or without BOM).
    codes : iterable of str, optional
        Indicator codes to keep. Other lines are never split or parsed (only their Indicator
        Code field is located). None keeps every row.

    Returns
    -------
    WideTable
        The kept rows as text cells; numbers are parsed by :func:`wide_to_long`.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "file not found")
    want = None if codes is None else {c.encode() for c in codes}
    table = WideTable(path=str(p), years=[])
    limit = _base.MAX_LINE_BYTES

    def too_long(raw: bytes, lineno: int) -> DataFileError:
        return DataFileError(
            p,
            f"line longer than {limit} bytes without a line break (damaged or not a CSV file)",
            line=lineno,
            expected="a WDI CSV line (under 2 KB)",
        )

    with open(p, "rb") as fh:
        first = fh.readline(limit)
        if len(first) >= limit and not first.endswith(b"\n"):
            raise too_long(first, 1)
        if not first.strip(b"\xef\xbb\xbf \r\n"):
            raise DataFileError(p, "empty file")
        if first.startswith(b"PK\x03\x04"):
            raise DataFileError(p, "this is a ZIP/XLSX file", expected="a CSV file")
        first = first.removeprefix(b"\xef\xbb\xbf")
        lineno = 1
        if first.startswith(_PREAMBLE_KEYS):
            while first and not first.lstrip(b'"').startswith(b"Country Name"):
                text = _decode(first, table).strip()
                if text:
                    kv = _split(text)
                    if len(kv) >= 2 and kv[0]:
                        table.preamble[kv[0]] = kv[1]
                first = fh.readline(limit)
                lineno += 1
                if len(first) >= limit and not first.endswith(b"\n"):
                    raise too_long(first, lineno)
            if not first:
                raise DataFileError(
                    p, "no header line after the preamble", line=lineno, expected="Country Name,..."
                )
        header_line = lineno
        years, nfields = _check_header(p, _split(_decode(first, table)), header_line)
        table.years = years
        ny = len(years)
        raw = first
        match = _HEAD.match
        lines = iter(lambda: fh.readline(limit), b"")
        for lineno, raw in enumerate(lines, header_line + 1):  # noqa: B007
            if len(raw) >= limit and not raw.endswith(b"\n"):
                raise too_long(raw, lineno)
            if want is not None:
                m = match(raw)
                if m is None or m.group(1) not in want:
                    continue
            line = _decode(raw, table)
            if not line.strip():
                continue
            try:
                fields = _split(line)
            except csv.Error as exc:
                raise DataFileError(p, f"malformed CSV line ({exc})", line=lineno) from None
            if len(fields) != nfields and not (len(fields) == nfields + 1 and fields[-1] == ""):
                raise _field_count_error(str(p), lineno, fields, nfields, years)
            if nfields > 4 + ny and fields[4 + ny]:
                raise DataFileError(
                    p, "value in the unnamed last column", line=lineno, found=fields[4 + ny]
                )
            table.lines.append(lineno)
            table.country_names.append(fields[0])
            table.iso3.append(fields[1])
            table.indicator_names.append(fields[2])
            table.indicators.append(fields[3])
            table.values.append(fields[4 : 4 + ny])
            if len(table.values) >= _BLOCK_ROWS:
                table.flush()
        if raw is not first and not raw.endswith(b"\n"):
            fields = _split(_decode(raw, table))
            if len(fields) < nfields and not (len(fields) == nfields - 1 and nfields > 4 + ny):
                raise _field_count_error(str(p), lineno, fields, nfields, years)
    if lineno == header_line:
        raise DataFileError(p, "no data rows after the header", line=header_line)
    return table


def _to_floats(rows: list[list[str]], lines: list[int], years: list[int], path: str) -> np.ndarray:
    """Text cells of kept rows as float64 (row-major), strictly: empty and ``..`` are NaN.

    Arrow's string-to-double cast is exact (correctly rounded, like ``float()``) and rejects
    spaces, thousands separators and other text; it accepts ``nan``/``inf`` spellings, which
    are refused here. On any refusal the cells are re-checked one by one to name the line and
    year column of the first bad cell.
    """
    flat = pa.array(list(chain.from_iterable(rows)), type=pa.string())
    if len(flat) == 0:
        return np.empty(0, dtype="float64")
    missing = pc.or_(pc.equal(flat, ""), pc.equal(flat, ".."))
    try:
        out = pc.cast(pc.if_else(missing, pa.scalar(None, pa.string()), flat), pa.float64())
        values = out.to_numpy(zero_copy_only=False)
        ok = bool(np.isfinite(values[~missing.to_numpy(zero_copy_only=False)]).all())
    except pa.ArrowInvalid:
        ok = False
    if not ok:
        for i, vals in enumerate(rows):
            for y, v in zip(years, vals, strict=True):
                parse_number(v, path=path, line=lines[i], column=str(y), missing=WDI_MISSING)
        raise DataFileError(path, "unparseable values")  # pragma: no cover - unreachable
    return values.astype("float64", copy=False)


def _str_column(
    labels: np.ndarray, repeat: int, mask: np.ndarray | None
) -> pd.api.extensions.ExtensionArray:
    """A pandas ``str`` column: each row label repeated ``repeat`` times, then ``mask`` kept.

    Built from integer codes so that no Python loop touches the long table.
    """
    uniques, codes = np.unique(np.asarray(labels, dtype=object), return_inverse=True)
    codes = np.repeat(codes.astype("int32"), repeat)
    if mask is not None:
        codes = codes[mask]
    col = pc.take(pa.array(uniques.tolist(), type=pa.large_string()), pa.array(codes))
    return pd.array(col, dtype="str")


def wide_to_long(table: WideTable, *, source: str, keep_missing: bool = False):
    """Reshape kept wide rows into the canonical long table (strict numbers, no duplicates).

    Returns ``(data, indicator_rows, notes)``.
    """
    n = len(table.lines)
    ny = len(table.years)
    for i, code in enumerate(table.iso3):
        if not looks_like_code(code):
            raise DataFileError(
                table.path,
                "not a country code",
                line=table.lines[i],
                column="Country Code",
                found=code,
                expected="a three-character ISO3 or World Bank code",
            )
    codes, notes = known_codes(
        table.iso3,
        path=table.path,
        column="Country Code",
        lines=table.lines,
        names=table.country_names or None,
    )
    iso3_rows = [codes[c] for c in table.iso3]
    arr = table.array()
    first: dict[tuple[str, str], int] = {}
    keep = np.ones(n, dtype=bool)
    for i, key in enumerate(zip(iso3_rows, table.indicators, strict=True)):
        j = first.setdefault(key, i)
        if j == i:
            continue
        a, b = arr[j], arr[i]
        if not np.array_equal(a, b, equal_nan=True):
            k = int(np.flatnonzero(~((a == b) | (np.isnan(a) & np.isnan(b))))[0])
            raise DataFileError(
                table.path,
                f"duplicate row for {key[0]} {key[1]} with different values (also on line "
                f"{table.lines[j]}): {a[k]!r} vs {b[k]!r} in {table.years[k]}",
                line=table.lines[i],
                column=str(table.years[k]),
                expected="one row per economy and indicator",
            )
        keep[i] = False
        notes.append(
            f"{table.path}: line {table.lines[i]} repeats line {table.lines[j]} "
            f"({key[0]} {key[1]}) with identical values; dropped"
        )
    idx = np.flatnonzero(keep)
    iso3 = np.asarray(iso3_rows, dtype=object)[idx]
    ind = np.asarray(table.indicators, dtype=object)[idx]
    order = np.lexsort((iso3, ind))
    idx, iso3, ind = idx[order], iso3[order], ind[order]
    vals = arr[idx].ravel()
    years = np.tile(np.asarray(table.years, dtype="int64"), len(idx))
    mask = None if keep_missing else ~np.isnan(vals)
    if mask is not None:
        vals, years = vals[mask], years[mask]
    data = pd.DataFrame(
        {
            "iso3": _str_column(iso3, ny, mask),
            "indicator": _str_column(ind, ny, mask),
            "year": years,
            "value": vals,
            "source": _str_column(np.array([source], dtype=object), len(vals), None),
        }
    )
    ind_rows = []
    for i in idx:
        name = table.indicator_names[i]
        ind_rows.append(
            {"indicator": table.indicators[i], "name": name, "unit": unit_from_name(name)}
        )
    return data, ind_rows, notes


def wdi_file_kind(path: str | Path) -> str:
    """Which WDI bulk file this is, from its header: ``data``, ``country``, ``series`` or ``other``."""
    p = Path(path)
    with open(p, "rb") as fh:
        head = fh.readline(1 << 16).removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace")
    if not head.strip():
        raise DataFileError(p, "empty file" if p.stat().st_size < 4 else "empty first line", line=1)
    if head.startswith(('"Data Source"', "Data Source")):
        return "data"
    fields = [f.strip() for f in next(csv.reader([head.strip()]), [])]
    if tuple(fields[:4]) == WIDE_COLUMNS:
        return "data"
    if (
        "Country Code" in fields
        and "Region" in fields
        and ("Income Group" in fields or "IncomeGroup" in fields)
    ):
        return "country"
    if "Series Code" in fields and "Indicator Name" in fields:
        return "series"
    return "other"


def read_wdi_country(path: str | Path) -> pd.DataFrame:
    """Country metadata from ``WDICountry.csv`` or a portal ``Metadata_Country_*.csv``.

    A blank Region marks an aggregate (regions, income groups, World). Returns the columns
    ``iso3, name, region, income_group, is_aggregate``.
    """
    text, _ = read_text(path)
    records = iter_csv_records(text, path=path)
    _, header = next(records)
    header = [h.strip() for h in header]
    income = "Income Group" if "Income Group" in header else "IncomeGroup"
    required = ["Country Code", "Region", income]
    if any(c not in header for c in required):
        raise missing_columns_error(path, header, required)
    name_col = next((c for c in ("Table Name", "TableName", "Short Name") if c in header), None)
    ix = {c: header.index(c) for c in header}
    rows = []
    seen: dict[str, int] = {}
    for line, rec in records:
        if not any(rec):
            continue
        if len(rec) < len(header) - 1:
            raise DataFileError(path, f"expected {len(header)} fields, found {len(rec)}", line=line)
        code = rec[ix["Country Code"]].strip()
        if not looks_like_code(code):
            raise DataFileError(
                path, "not a country code", line=line, column="Country Code", found=code
            )
        if code in seen:
            raise DataFileError(
                path, f"country {code} listed twice (also on line {seen[code]})", line=line
            )
        seen[code] = line
        region = rec[ix["Region"]].strip()
        rows.append(
            {
                "iso3": code,
                "name": rec[ix[name_col]].strip() if name_col else "",
                "region": region,
                "income_group": rec[ix[income]].strip() if ix[income] < len(rec) else "",
                "is_aggregate": region == "",
            }
        )
    return country_frame(rows)


def read_wdi_series(path: str | Path, codes: Iterable[str] | None = None) -> pd.DataFrame:
    """Indicator metadata from ``WDISeries.csv``: ``indicator, name, unit, source``.

    The unit is the ``Unit of measure`` column when filled, else the parenthesised tail of
    the indicator name ("GDP per capita (current US$)" -> "current US$").
    """
    text, _ = read_text(path)
    records = iter_csv_records(text, path=path)
    _, header = next(records)
    header = [h.strip() for h in header]
    required = ["Series Code", "Indicator Name"]
    if any(c not in header for c in required):
        raise missing_columns_error(path, header, required)
    ix = {c: header.index(c) for c in header}
    want = None if codes is None else set(codes)
    rows = []
    for _line, rec in records:
        if not any(rec):
            continue
        code = rec[ix["Series Code"]].strip()
        if want is not None and code not in want:
            continue
        name = rec[ix["Indicator Name"]].strip()
        unit = rec[ix["Unit of measure"]].strip() if "Unit of measure" in ix else ""
        rows.append(
            {
                "indicator": code,
                "name": name,
                "unit": unit or unit_from_name(name),
                "source": rec[ix["Source"]].strip() if "Source" in ix else "",
            }
        )
    return indicator_frame(rows)


def read_wdi_bulk(
    paths: str | Path | Sequence[str | Path],
    *,
    codes: Iterable[str] | None = None,
    keep_missing: bool = False,
) -> LoadResult:
    """Load the WDI bulk download selectively: data file(s) plus optional country/series tables.

    Parameters
    ----------
    paths : path or list of paths
        ``WDICSV.csv``/``WDIData.csv`` (or any file of that layout, such as the per-series
        files of older vintages) and optionally ``WDICountry.csv`` (aggregates, regions and
        income groups) and ``WDISeries.csv`` (names, units, sources). The role of each file is
        read from its header.
    codes : iterable of str, optional
        Series to import; only their lines are parsed. Codes that no data file contains are
        reported in ``warnings`` (never silently dropped). None imports every series.
    keep_missing : bool
        Keep empty and ``..`` cells as NaN rows instead of dropping them.

    Returns
    -------
    LoadResult
        ``format="wdi-bulk"``; ``countries`` from WDICountry.csv when given.
    """
    if isinstance(paths, str | Path):
        paths = [paths]
    paths = [Path(p) for p in paths]
    codes = None if codes is None else list(dict.fromkeys(codes))
    kinds = {p: wdi_file_kind(p) if p.exists() else "missing" for p in paths}
    notes: list[str] = []
    frames, ind_rows = [], []
    country_tables = []
    series = None
    for p, kind in kinds.items():
        if kind == "missing":
            raise DataFileError(p, "file not found")
        if kind == "data":
            table = read_wide_csv(p, codes=codes)
            data, rows, n = wide_to_long(
                table, source=f"World Bank WDI bulk file {p.name}", keep_missing=keep_missing
            )
            data["_path"] = str(p)
            frames.append(data)
            ind_rows += rows
            notes += n
        elif kind == "country":
            country_tables.append(read_wdi_country(p))
        elif kind == "series":
            series = read_wdi_series(p, codes)
        else:
            raise DataFileError(
                p,
                "not a WDI bulk file this loader reads",
                line=1,
                expected="WDICSV.csv/WDIData.csv, WDICountry.csv or WDISeries.csv",
            )
    if not frames:
        raise DataFileError(
            paths[0], "no WDI data file among the inputs", expected="WDICSV.csv or WDIData.csv"
        )
    if len(frames) == 1:  # already checked, de-duplicated and sorted by wide_to_long
        data = frames[0].drop(columns="_path")
    else:
        data, n = canonical_frame(pd.concat(frames, ignore_index=True), keep_missing=keep_missing)
        notes += n
    if codes is not None:
        found = set(data["indicator"].unique()) | {r["indicator"] for r in ind_rows}
        absent = [c for c in codes if c not in found]
        if absent:
            notes.append(f"codes not in {', '.join(p.name for p in paths)}: {', '.join(absent)}")
    for r in ind_rows:
        r["source"] = "World Bank, World Development Indicators"
    indicators = indicator_frame(ind_rows)
    if series is not None and len(series):
        meta = series.set_index("indicator")
        for col in ("name", "unit", "source"):
            filled = indicators["indicator"].map(meta[col]).fillna("")
            indicators[col] = filled.where(filled != "", indicators[col]).astype(str)
    countries = None
    if country_tables:
        countries = pd.concat(country_tables, ignore_index=True).drop_duplicates("iso3")
        countries = countries.reset_index(drop=True)
    warn_all(notes)
    return LoadResult(
        data=data,
        indicators=indicators,
        countries=countries,
        format="wdi-bulk",
        paths=tuple(str(p) for p in paths),
        warnings=tuple(notes),
    )
