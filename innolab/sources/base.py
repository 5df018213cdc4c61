"""Shared pieces of every loader: the result type, strict number parsing, duplicate checks.

Every loader turns its file format into the same canonical tidy table

========== ====== ==========================================================
column     dtype  meaning
========== ====== ==========================================================
iso3       str    ISO 3166 alpha-3 code, or a World Bank code (XKX, CHI, WLD)
indicator  str    indicator code (WDI code such as ``IT.NET.USER.ZS``)
year       int64  data year
value      float  the value exactly as written in the file (never rounded)
source     str    where the value comes from (format and file)
========== ====== ==========================================================

and reports problems the same way: a :class:`~innolab.errors.DataFileError` naming the file,
the line (as a text editor shows it) and the column. Values are parsed strictly: ``1,234``,
``n/a``, ``nan`` or ``inf`` are errors unless a format documents them as missing markers.
Missing values are dropped from ``data`` by default (``keep_missing=True`` keeps them as NaN).
"""

from __future__ import annotations

import csv
import io
import math
import re
import warnings
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError, ParameterError, UnknownCountryError

__all__ = [
    "MAX_FILE_BYTES",
    "MAX_LINE_BYTES",
    "check_file_size",
    "CANONICAL_COLUMNS",
    "INDICATOR_COLUMNS",
    "COUNTRY_COLUMNS",
    "LoadResult",
    "SourceWarning",
    "parse_number",
    "read_text",
    "iter_csv_records",
    "sniff_delimiter",
    "canonical_frame",
    "indicator_frame",
    "country_frame",
    "resolve_countries",
    "combine_results",
    "looks_like_code",
    "known_codes",
    "missing_columns_error",
    "warn_all",
]

#: Columns of the canonical tidy table, in order.
CANONICAL_COLUMNS: tuple[str, ...] = ("iso3", "indicator", "year", "value", "source")
#: Columns of the indicator metadata table.
INDICATOR_COLUMNS: tuple[str, ...] = ("indicator", "name", "unit", "source")
#: Columns of the country metadata table (``vintage`` is optional).
COUNTRY_COLUMNS: tuple[str, ...] = ("iso3", "name", "region", "income_group", "is_aggregate")

#: Largest file a loader reads whole into memory: 512 MiB. Bigger files are refused before a
#: byte is read (a clear error instead of swapping or being killed); WDI bulk files, the only
#: format that is legitimately this large, are streamed line by line and exempt.
MAX_FILE_BYTES: int = 512 * 1024**2
#: Longest line a streamed (WDI bulk) file may have: 1 MiB (a real WDI line is under 2 KB), so
#: a damaged file without line breaks cannot exhaust memory either.
MAX_LINE_BYTES: int = 1024**2

_KEYS = ["iso3", "indicator", "year"]
_NUMBER = re.compile(r"[+-]?(?:\d+(?:\.\d*)?|\.\d+)(?:[eE][+-]?\d+)?")
_NUMBER_COMMA = re.compile(r"[+-]?(?:\d+(?:,\d*)?|,\d+)(?:[eE][+-]?\d+)?")
_THOUSANDS_LIKE = re.compile(r"[+-]?\d{1,3}(?:[,.' \u00a0]\d{3})+(?:[.,]\d+)?")
_CODE = re.compile(r"[A-Z0-9]{3}")


class SourceWarning(UserWarning):
    """A loader read the file but something deserves attention (partial data, codes absent)."""


@dataclass(frozen=True)
class LoadResult:
    """What every loader returns: the canonical data plus what the file says about it.

    Attributes
    ----------
    data : DataFrame
        Canonical tidy table ``iso3, indicator, year, value, source`` sorted by indicator,
        iso3 and year.
    indicators : DataFrame
        ``indicator, name, unit, source``: one row per indicator code in ``data``.
    countries : DataFrame or None
        ``iso3, name, region, income_group, is_aggregate`` when the format carries country
        metadata (API country list, WDICountry.csv, Metadata_Country file), else None.
    format : str
        The source format name (``"wb-api-json"``, ``"wdi-bulk"``, ...); ``a+b`` when several.
    paths : tuple of str
        The files read.
    warnings : tuple of str
        Everything the loader noticed but did not refuse (also issued as
        :class:`SourceWarning`).
    """

    data: pd.DataFrame
    indicators: pd.DataFrame
    countries: pd.DataFrame | None
    format: str
    paths: tuple[str, ...]
    warnings: tuple[str, ...] = field(default=())

    def aggregate_codes(self) -> frozenset[str]:
        """Codes in ``data`` that are aggregates (regions, income groups), not economies.

        Uses the country metadata of the source when it lists the code, and
        :func:`innolab.countries.is_aggregate` otherwise.
        """
        codes = sorted(set(self.data["iso3"]))
        flags: dict[str, bool] = {}
        if self.countries is not None and len(self.countries):
            known = self.countries.dropna(subset=["is_aggregate"])
            flags.update(zip(known["iso3"], known["is_aggregate"].astype(bool), strict=True))
        rest = [c for c in codes if c not in flags]
        if rest:
            flags.update(zip(rest, _is_aggregate(rest), strict=True))
        return frozenset(c for c in codes if flags.get(c))

    def economies(self) -> pd.DataFrame:
        """The rows of ``data`` about economies (aggregates removed)."""
        agg = self.aggregate_codes()
        return self.data[~self.data["iso3"].isin(agg)].reset_index(drop=True)

    def aggregates(self) -> pd.DataFrame:
        """The rows of ``data`` about aggregates (regions, income groups, world)."""
        agg = self.aggregate_codes()
        return self.data[self.data["iso3"].isin(agg)].reset_index(drop=True)


def _is_aggregate(codes: list[str]) -> list[bool]:
    try:
        from .. import countries as _countries
    except ImportError as exc:  # pragma: no cover - countries.py ships with innolab
        raise ParameterError(
            "countries",
            "cannot tell aggregates from economies: the source has no country list and "
            f"innolab.countries is not available ({exc})",
        ) from exc
    return [bool(x) for x in _countries.is_aggregate(codes)]


def looks_like_code(value: str) -> bool:
    """True for a three-character upper-case code such as ``FRA``, ``XKX`` or ``WLD``."""
    return bool(_CODE.fullmatch(value))


def known_codes(
    codes: Sequence[str],
    *,
    path: str | Path | None,
    column: str,
    lines: Sequence[int | None] | None = None,
    names: Sequence[str] | None = None,
) -> tuple[dict[str, str], list[str]]:
    """Check well-formed country codes against innolab's reference table (every loader).

    ``codes`` are the codes of each row (``lines`` and ``names`` parallel to them, optional):
    the first line and the country name written beside each code go into the message. A code
    that is neither an ISO3 code, a World Bank economy or aggregate code (``WLD``, ``EAS``,
    ``HIC``, ...) nor a demo economy is an :class:`~innolab.errors.UnknownCountryError` naming
    the file, column, line and near matches; a former World Bank code (``KSV``, ``ROM``) is
    renamed to the current one with a warning.

    Returns ``(code -> code to use, warnings)``.
    """
    from .. import countries as _countries

    first: dict[str, int] = {}
    name_of: dict[str, str] = {}
    seen: set[str] = set()
    for i, code in enumerate(codes):
        if code in seen:
            continue
        seen.add(code)
        if lines is not None and lines[i] is not None:
            first[code] = int(lines[i])
        if names is not None and names[i]:
            name_of[code] = str(names[i])
    check = _countries.check_codes(
        codes,
        source=None if path is None else str(path),
        column=column,
        lines=first,
        names=name_of,
    )
    return check.codes, check.notes(None if path is None else str(path))


# --- numbers ------------------------------------------------------------------------------


def parse_number(
    text: object,
    *,
    path: str | Path | None,
    line: int | None,
    column: str | None,
    missing: Iterable[str] = ("",),
    decimal: str = ".",
    thousands: str | None = None,
) -> float:
    """Parse one cell strictly; NaN for a documented missing marker, else DataFileError.

    Accepted: plain decimal numbers with an optional sign and exponent (``-1.5``, ``2e-3``);
    ``decimal=","`` accepts ``65,2``; ``thousands`` (e.g. ``","``) accepts grouped digits
    such as ``1,234.5`` only when the file is declared to use them. Everything else,
    including ``nan``, ``inf``, ``n/a`` and surrounding spaces, is an error naming the cell.
    Numbers (int/float from XLSX or JSON) pass through unchanged.

    >>> parse_number("65,2", path="f.csv", line=2, column="x", decimal=",")
    65.2
    >>> parse_number("1,234", path="f.csv", line=3, column="2019")
    Traceback (most recent call last):
    ...
    innolab.errors.DataFileError: f.csv, line 3, column '2019': thousands separator in a number (found '1,234'); expected a plain number such as 1234.5 (decimal mark '.')
    """
    if text is None:
        return math.nan
    if isinstance(text, bool):
        raise DataFileError(path, "not a number", line=line, column=column, found=text)
    if isinstance(text, int | float | np.integer | np.floating):
        x = float(text)
        if math.isnan(x):
            return math.nan
        if not math.isfinite(x):
            raise DataFileError(path, "infinite value", line=line, column=column, found=text)
        return x
    s = str(text)
    if s in missing:
        return math.nan
    pattern = _NUMBER_COMMA if decimal == "," else _NUMBER
    t = s
    if thousands and _grouped(s, thousands, decimal):
        t = s.replace(thousands, "")
    if pattern.fullmatch(t):
        return float(t.replace(",", ".") if decimal == "," else t)
    expected = f"a plain number such as 1234{decimal}5 (decimal mark {decimal!r})"
    miss = [m for m in missing if m]
    if miss:
        expected += "; missing values: empty or " + ", ".join(repr(m) for m in miss)
    if _THOUSANDS_LIKE.fullmatch(s) and not thousands:
        problem = "thousands separator in a number"
    elif decimal == "." and _NUMBER_COMMA.fullmatch(s) and "," in s:
        problem = "decimal comma in a file read with decimal mark '.'"
    elif s.strip() != s and s.strip():
        problem = "spaces around a number"
    else:
        problem = "not a number"
    raise DataFileError(path, problem, line=line, column=column, found=s, expected=expected)


def _grouped(s: str, thousands: str, decimal: str) -> bool:
    t = re.escape(thousands)
    d = re.escape(decimal)
    return bool(re.fullmatch(rf"[+-]?\d{{1,3}}(?:{t}\d{{3}})+(?:{d}\d+)?", s))


# --- text and CSV -------------------------------------------------------------------------


def _size_text(n: int) -> str:
    for unit, k in (("GB", 1024**3), ("MB", 1024**2), ("KB", 1024)):
        if n >= k:
            return f"{n / k:.1f} {unit}"
    return f"{n} bytes"


def check_file_size(path: str | Path, *, limit: int | None = None) -> None:
    """Refuse a file too large to read into memory (:data:`MAX_FILE_BYTES`), before reading it.

    Only the size in the directory entry is looked at, so a 2 GB (even sparse) file costs
    nothing to refuse.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "big.csv"
    >>> _ = p.write_bytes(b"x" * 2048)
    >>> check_file_size(p, limit=1024)
    Traceback (most recent call last):
    ...
    innolab.errors.DataFileError: ...big.csv: file of 2.0 KB is too large to read into memory (limit 1.0 KB); expected a smaller file: split it by indicator or year, or use the WDI bulk layout, which is streamed (innolab data import --codes ...)
    """
    limit = MAX_FILE_BYTES if limit is None else limit
    size = Path(path).stat().st_size
    if size > limit:
        raise DataFileError(
            path,
            f"file of {_size_text(size)} is too large to read into memory "
            f"(limit {_size_text(limit)})",
            expected="a smaller file: split it by indicator or year, or use the WDI bulk "
            "layout, which is streamed (innolab data import --codes ...)",
        )


def read_text(path: str | Path, *, encoding: str | None = None) -> tuple[str, str]:
    """The whole text of a small file and the encoding used.

    With ``encoding=None`` the file is read as UTF-8 (a BOM is removed) and, when that fails,
    as cp1252 (Windows Western European), the usual encoding of CSV files saved by Excel.
    An empty file, a binary file (XLSX/ZIP, NUL bytes) or undecodable bytes are errors.
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "file not found")
    check_file_size(p)
    raw = p.read_bytes()
    if raw.startswith(b"PK\x03\x04"):
        raise DataFileError(p, "this is a ZIP/XLSX file, not a text file", expected="a CSV file")
    if b"\x00" in raw[:4096]:
        raise DataFileError(p, "binary content (NUL bytes)", expected="a text (CSV) file")
    candidates = [encoding] if encoding else ["utf-8-sig", "cp1252"]
    for enc in candidates:
        try:
            text = raw.decode(enc)
        except UnicodeDecodeError as exc:
            last = exc
            continue
        except LookupError as exc:
            raise ParameterError("encoding", f"unknown encoding {enc!r}") from exc
        if enc == "utf-8-sig" or enc.lower().replace("_", "-") in ("utf-8", "utf8"):
            text = text.removeprefix("\ufeff")
            enc = "utf-8"
        if not text.strip():
            raise DataFileError(p, "empty file")
        return text, enc
    line = raw[: last.start].count(b"\n") + 1
    raise DataFileError(
        p,
        f"cannot decode the file as {' or '.join(candidates)}",
        line=line,
        found=raw[last.start : last.start + 4],
        expected="a UTF-8 or cp1252 text file (pass the encoding)",
    )


def sniff_delimiter(header: str) -> str:
    """The delimiter of a CSV header line: the most frequent of ``, ; TAB |`` outside quotes.

    >>> sniff_delimiter("Country;Score;Institutions")
    ';'
    >>> sniff_delimiter('"Korea, Rep.",KOR')
    ','
    """
    unquoted = re.sub(r'"[^"]*"', "", header)
    counts = {d: unquoted.count(d) for d in (",", ";", "\t", "|")}
    best = max(counts, key=lambda d: counts[d])
    return best if counts[best] else ","


def iter_csv_records(
    text: str, *, path: str | Path, delimiter: str = ",", start_line: int = 1
) -> Iterator[tuple[int, list[str]]]:
    """Yield ``(line, fields)`` for every record, ``line`` being where the record starts.

    Quoted fields may span lines; line numbers stay those a text editor shows. A quote left
    open at the end of the file (a truncated file) is a DataFileError.
    """
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter, strict=True)
    prev = 0
    while True:
        try:
            row = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            raise DataFileError(
                path, f"malformed CSV ({exc})", line=start_line + reader.line_num - 1
            ) from None
        yield start_line + prev, row
        prev = reader.line_num


def missing_columns_error(
    path: str | Path, header: Sequence[str], required: Sequence[str], *, line: int = 1
) -> DataFileError:
    """The error for a header that lacks required columns, with a delimiter hint."""
    absent = [c for c in required if c not in header]
    joined = ",".join(header)
    hint = ""
    if len(header) == 1:
        alt = sniff_delimiter(header[0])
        if alt != ",":
            hint = f" (the header looks {alt!r}-delimited: wrong delimiter?)"
    return DataFileError(
        path,
        f"missing column{'s' if len(absent) > 1 else ''} {', '.join(absent)}{hint}",
        line=line,
        found=joined[:200],
        expected="columns " + ", ".join(required),
    )


# --- frames -------------------------------------------------------------------------------


def canonical_frame(
    records: pd.DataFrame,
    *,
    path: str | Path | None = None,
    keep_missing: bool = False,
) -> tuple[pd.DataFrame, list[str]]:
    """Check and tidy a loader's records into the canonical table.

    ``records`` has the canonical columns plus optional ``_path`` and ``_line`` (where each
    row was read) used in messages. Duplicate (iso3, indicator, year) rows with different
    values are a DataFileError naming both lines; identical duplicates are dropped with a
    warning. Missing values are dropped unless ``keep_missing``.

    Returns the table (sorted by indicator, iso3, year) and the warnings.
    """
    notes: list[str] = []
    df = records.copy()
    if "_path" not in df:
        df["_path"] = str(path) if path is not None else None
    if "_line" not in df:
        df["_line"] = pd.NA
    if not keep_missing:
        df = df[df["value"].notna()]
    dup = df.duplicated(_KEYS, keep=False)
    if dup.any():
        d = df[dup]
        for key, grp in d.groupby(_KEYS, sort=False):
            vals = grp["value"].to_numpy(dtype=float)
            same = np.all((vals == vals[0]) | (np.isnan(vals) & np.isnan(vals[0])))
            if not same:
                a, b = grp.iloc[0], grp.iloc[np.flatnonzero(vals != vals[0])[0]]
                where_b = _where(b["_path"], b["_line"], same_as=a["_path"])
                raise DataFileError(
                    a["_path"],
                    f"duplicate rows for {key[0]} {key[1]} {key[2]} with different values: "
                    f"{float(vals[0])!r} here and {float(b['value'])!r} on {where_b}",
                    line=None if pd.isna(a["_line"]) else int(a["_line"]),
                    column="value",
                    expected="one value per economy, indicator and year",
                )
        n = int(df.duplicated(_KEYS).sum())
        notes.append(f"{n} duplicate row(s) with identical values dropped")
        df = df[~df.duplicated(_KEYS)]
    out = pd.DataFrame(
        {
            "iso3": df["iso3"].astype(str).to_numpy(),
            "indicator": df["indicator"].astype(str).to_numpy(),
            "year": df["year"].astype("int64").to_numpy(),
            "value": df["value"].astype("float64").to_numpy(),
            "source": df["source"].astype(str).to_numpy(),
        }
    )
    out = out.sort_values(["indicator", "iso3", "year"], kind="stable").reset_index(drop=True)
    for c in ("iso3", "indicator", "source"):
        out[c] = out[c].astype(str)
    return out, notes


def _where(path: object, line: object, *, same_as: object = None) -> str:
    ln = "" if line is None or pd.isna(line) else f"line {int(line)}"
    if path is not None and path != same_as:
        return f"{path} {ln}".strip()
    return ln or "another row"


def indicator_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Indicator metadata ``indicator, name, unit, source`` (first mention of a code wins)."""
    seen: dict[str, dict[str, object]] = {}
    for r in rows:
        code = str(r["indicator"])
        if code not in seen:
            seen[code] = {c: ("" if r.get(c) is None else str(r.get(c))) for c in INDICATOR_COLUMNS}
            seen[code]["indicator"] = code
    df = pd.DataFrame(list(seen.values()), columns=list(INDICATOR_COLUMNS))
    return df.sort_values("indicator", kind="stable").reset_index(drop=True).astype(str)


def country_frame(rows: Iterable[Mapping[str, object]]) -> pd.DataFrame:
    """Country metadata ``iso3, name, region, income_group, is_aggregate`` (+ ``vintage``)."""
    rows = list(rows)
    cols = list(COUNTRY_COLUMNS)
    if any("vintage" in r for r in rows):
        cols.append("vintage")
    df = pd.DataFrame(rows, columns=cols)
    df["is_aggregate"] = df["is_aggregate"].astype("boolean")
    for c in ("iso3", "name", "region", "income_group"):
        df[c] = df[c].astype("str")
    return df.reset_index(drop=True)


def resolve_countries(
    values: Sequence[str],
    *,
    path: str | Path,
    column: str,
    lines: Mapping[str, int] | None = None,
    codes: bool = False,
    overrides: Mapping[str, str] | None = None,
) -> dict[str, str]:
    """Map the distinct country names or codes of a column to ISO3 (or World Bank) codes.

    ``codes=True`` means the column already holds three-character codes (checked, not
    looked up). Otherwise :func:`innolab.countries.to_iso3` matches names, ISO2 and ISO3
    codes; ``overrides`` (name -> code) wins over it. Unknown values raise
    UnknownCountryError naming the file, column and the line of each unknown value.
    """
    overrides = dict(overrides or {})
    distinct = list(dict.fromkeys(v for v in values))
    out: dict[str, str] = {}
    todo: list[str] = []
    for v in distinct:
        if v in overrides:
            out[v] = overrides[v]
        elif codes:
            if not looks_like_code(v):
                raise DataFileError(
                    path,
                    "not a country code",
                    line=(lines or {}).get(v),
                    column=column,
                    found=v,
                    expected="a three-letter ISO3 or World Bank code",
                )
            out[v] = v
        else:
            todo.append(v)
    if codes and out:
        checked = [v for v in distinct if v not in overrides]
        mapping, _ = known_codes(
            checked,
            path=path,
            column=column,
            lines=[(lines or {}).get(v) for v in checked],
        )
        out.update(mapping)
    if todo:
        try:
            from .. import countries as _countries
        except ImportError as exc:  # pragma: no cover - countries.py ships with innolab
            raise ParameterError(
                "countries", f"matching country names needs innolab.countries ({exc})"
            ) from exc
        try:
            codes_found = _countries.to_iso3(todo, source=str(path))
        except UnknownCountryError as exc:
            where = f"{path}, column {column!r}"
            if lines:
                where += (
                    " ("
                    + "; ".join(
                        f"{name!r} on line {lines[name]}" for name in exc.unknown if name in lines
                    )
                    + ")"
                )
            raise UnknownCountryError(exc.unknown, source=where) from None
        out.update(zip(todo, codes_found, strict=True))
    return out


def combine_results(results: Sequence[LoadResult], *, keep_missing: bool = False) -> LoadResult:
    """Concatenate several results; conflicting values across files are an error."""
    if len(results) == 1:
        return results[0]
    frames = []
    for r in results:
        f = r.data.copy()
        f["_path"] = r.paths[0] if len(r.paths) == 1 else ", ".join(r.paths)
        frames.append(f)
    data, notes = canonical_frame(pd.concat(frames, ignore_index=True), keep_missing=keep_missing)
    ind = pd.concat([r.indicators for r in results], ignore_index=True)
    ind = ind.drop_duplicates("indicator").sort_values("indicator").reset_index(drop=True)
    cts = [r.countries for r in results if r.countries is not None]
    countries = None
    if cts:
        countries = pd.concat(cts, ignore_index=True).drop_duplicates("iso3").reset_index(drop=True)
    fmts = list(dict.fromkeys(r.format for r in results))
    warns = tuple(w for r in results for w in r.warnings) + tuple(notes)
    return LoadResult(
        data=data,
        indicators=ind,
        countries=countries,
        format="+".join(fmts),
        paths=tuple(p for r in results for p in r.paths),
        warnings=warns,
    )


def warn_all(messages: Iterable[str]) -> None:
    """Issue every message as a :class:`SourceWarning` (the caller's line is blamed)."""
    for m in messages:
        warnings.warn(m, SourceWarning, stacklevel=3)
