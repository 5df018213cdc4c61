"""Loaders: every public source format -> the canonical tidy table ``iso3, indicator, year, value, source``.

Formats (the :data:`SOURCES` registry; ``load(path)`` detects which one a file is):

================ ===================================================================
name             files
================ ===================================================================
wb-api-json      World Bank API v2 JSON responses (+ the ``/v2/country`` list)
wdi-bulk         ``WDICSV.csv``/``WDIData.csv`` (+ ``WDICountry.csv``, ``WDISeries.csv``)
wb-portal-csv    ``API_<code>_DS2_*.csv`` (+ ``Metadata_Country_*.csv``)
long-csv         ``Country Name, Country Code, Year, Value`` (+ ``datapackage.json``)
table            any CSV/XLSX described by a mapping (GII, ITU IDI, COINr iData)
expert-ratings   stakeholder × enabler workshop ratings (CSV/XLSX)
canonical        the tidy CSV/Parquet innolab writes
================ ===================================================================

Every loader returns a :class:`LoadResult` and raises typed errors naming the file, line and
column of the first problem. :func:`import_files` is what ``innolab data import`` calls.
"""

from __future__ import annotations

import csv
import json
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataFileError, InnolabError, ParameterError
from ..io import source_record, write_provenance, write_table
from .base import (
    CANONICAL_COLUMNS,
    COUNTRY_COLUMNS,
    INDICATOR_COLUMNS,
    LoadResult,
    SourceWarning,
    canonical_frame,
    check_file_size,
    combine_results,
    indicator_frame,
    sniff_delimiter,
    warn_all,
)
from .canonical import read_canonical, read_canonical_result
from .long_csv import LONG_COLUMNS, read_long_csv
from .portal_csv import read_portal_csv
from .ratings import ratings_layout, read_expert_ratings
from .table import MAPPINGS, TableMapping, read_table_source
from .wdi_bulk import WIDE_COLUMNS, read_wdi_bulk, read_wdi_country, read_wdi_series
from .worldbank_api import WorldBankClient, read_api_json, read_country_list

__all__ = [
    "CANONICAL_COLUMNS",
    "INDICATOR_COLUMNS",
    "COUNTRY_COLUMNS",
    "LoadResult",
    "SourceWarning",
    "Source",
    "SOURCES",
    "MAPPINGS",
    "TableMapping",
    "ImportReport",
    "available_formats",
    "detect_format",
    "load",
    "import_files",
    "read_canonical",
    "read_expert_ratings",
    "read_api_json",
    "read_country_list",
    "read_wdi_bulk",
    "read_wdi_country",
    "read_wdi_series",
    "read_portal_csv",
    "read_long_csv",
    "read_table_source",
    "WorldBankClient",
]


_ABSENT_PREFIX = "codes not in"


@dataclass(frozen=True)
class Source:
    """A registered source format: its name, what it reads and the function that loads it."""

    name: str
    description: str
    loader: Callable[..., LoadResult]


def _filter_codes(result: LoadResult, codes: Sequence[str] | None) -> LoadResult:
    if codes is None:
        return result
    want = list(dict.fromkeys(codes))
    data = result.data[result.data["indicator"].isin(want)].reset_index(drop=True)
    absent = [c for c in want if c not in set(result.data["indicator"].unique())]
    notes = list(result.warnings)
    if absent:
        msg = f"codes not in {', '.join(Path(p).name for p in result.paths)}: {', '.join(absent)}"
        notes.append(msg)
        warn_all([msg])
    ind = result.indicators[result.indicators["indicator"].isin(want)].reset_index(drop=True)
    return LoadResult(data, ind, result.countries, result.format, result.paths, tuple(notes))


def _each(
    paths: Sequence[Path], fn: Callable[[Path], LoadResult], keep_missing: bool
) -> LoadResult:
    return combine_results([fn(p) for p in paths], keep_missing=keep_missing)


def _load_api(paths, *, codes=None, keep_missing=False, allow_partial=False, **_):
    r = read_api_json(paths, allow_partial=allow_partial, keep_missing=keep_missing)
    return _filter_codes(r, codes)


def _load_bulk(paths, *, codes=None, keep_missing=False, **_):
    return read_wdi_bulk(paths, codes=codes, keep_missing=keep_missing)


def _load_portal(paths, *, codes=None, keep_missing=False, **_):
    return read_portal_csv(paths, codes=codes, keep_missing=keep_missing)


def _load_long(paths, *, indicator=None, codes=None, keep_missing=False, **_):
    r = _each(
        paths,
        lambda p: read_long_csv(p, indicator=indicator, keep_missing=keep_missing),
        keep_missing,
    )
    return _filter_codes(r, codes)


def _load_table(paths, *, mapping=None, year=None, codes=None, keep_missing=False, sheet=None, **_):
    r = _each(
        paths,
        lambda p: read_table_source(p, mapping, year=year, keep_missing=keep_missing, sheet=sheet),
        keep_missing,
    )
    return _filter_codes(r, codes)


def _load_canonical(paths, *, codes=None, keep_missing=False, **_):
    r = _each(paths, lambda p: read_canonical_result(p, keep_missing=keep_missing), keep_missing)
    return _filter_codes(r, codes)


def _ratings_result(path: Path, *, year: int | None, sheet=None) -> LoadResult:
    ratings = read_expert_ratings(path, year=year, sheet=sheet)
    if "year" not in ratings:
        raise ParameterError(
            "year", f"{path} has no year column: give the year of the ratings (year=... )"
        )
    code = "EXPERT." + ratings["stakeholder"] + "." + ratings["enabler"]
    frame = pd.DataFrame(
        {
            "iso3": ratings["iso3"],
            "indicator": code,
            "year": ratings["year"],
            "value": ratings["rating"],
            "source": f"expert ratings {path.name}",
        }
    )
    data, _ = canonical_frame(frame, path=path)
    from ..ecosystem import ENABLERS, STAKEHOLDERS

    ind = indicator_frame(
        {
            "indicator": f"EXPERT.{s}.{e}",
            "name": f"Expert rating: {STAKEHOLDERS[s]} on {ENABLERS[e]}",
            "unit": "rating 1-5",
            "source": "national expert workshop",
        }
        for s, e in sorted(set(zip(ratings["stakeholder"], ratings["enabler"], strict=True)))
    )
    return LoadResult(
        data, ind, None, "expert-ratings", (str(path),), tuple(ratings.attrs.get("warnings", ()))
    )


def _load_ratings(paths, *, year=None, codes=None, keep_missing=False, sheet=None, **_):
    r = _each(paths, lambda p: _ratings_result(p, year=year, sheet=sheet), keep_missing)
    return _filter_codes(r, codes)


#: Registered source formats, by name.
SOURCES: dict[str, Source] = {
    s.name: s
    for s in (
        Source("wb-api-json", "World Bank API v2 JSON responses (+ /v2/country list)", _load_api),
        Source(
            "wdi-bulk", "WDI bulk CSV (WDICSV.csv/WDIData.csv, WDICountry, WDISeries)", _load_bulk
        ),
        Source(
            "wb-portal-csv",
            "World Bank portal API_<code>_DS2_*.csv (+ Metadata_Country)",
            _load_portal,
        ),
        Source(
            "long-csv", "Country Name, Country Code, Year, Value (+ datapackage.json)", _load_long
        ),
        Source(
            "table", "CSV/XLSX table read through a mapping (GII, IDI, COINr iData)", _load_table
        ),
        Source(
            "expert-ratings", "stakeholder x enabler expert ratings 1-5 (CSV/XLSX)", _load_ratings
        ),
        Source("canonical", "the tidy CSV/Parquet innolab writes", _load_canonical),
    )
}


def available_formats() -> list[str]:
    """Names of the registered source formats."""
    return list(SOURCES)


def _first_line(p: Path) -> str:
    with open(p, "rb") as fh:
        raw = fh.read(1 << 16)
    if not raw.strip(b"\xef\xbb\xbf \t\r\n"):
        raise DataFileError(p, "empty file")
    if raw.startswith(b"PK\x03\x04"):
        raise DataFileError(p, "a ZIP/XLSX file with a text-file name", expected="a CSV file")
    raw = raw.removeprefix(b"\xef\xbb\xbf")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        if exc.start > len(raw) - 4:  # the 64 KiB chunk cut a character in two
            text = raw[: exc.start].decode("utf-8")
        else:
            text = raw.decode("cp1252", "replace")
    return text.lstrip("\r\n").split("\n", 1)[0].rstrip("\r")


def detect_format(path: str | Path) -> str:
    """The source format of a file, from its name and first line.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "data.csv"
    >>> _ = p.write_text("Country Name,Country Code,Year,Value\\nNamibia,NAM,2020,1.5\\n")
    >>> detect_format(p)
    'long-csv'
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "file not found")
    if p.is_dir():
        raise DataFileError(p, "a folder, not a file", expected="the data files inside it")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return "canonical"
    if suffix == ".json":
        if p.name == "datapackage.json":
            raise DataFileError(
                p, "a datapackage describes the data.csv beside it", expected="import data.csv"
            )
        with open(p, "rb") as fh:
            head = fh.read(4096).removeprefix(b"\xef\xbb\xbf").decode("utf-8", "replace").lstrip()
        if not head:
            raise DataFileError(p, "empty file")
        if head.startswith("[") and ('"page"' in head or '"message"' in head):
            return "wb-api-json"
        raise DataFileError(p, "unrecognised JSON", expected="a World Bank API v2 response")
    if suffix in (".xlsx", ".xlsm"):
        try:
            import openpyxl

            wb = openpyxl.load_workbook(p, read_only=True, data_only=True)
            heads = [next(ws.iter_rows(values_only=True, max_row=1), ()) for ws in wb.worksheets]
        except Exception as exc:  # damaged workbook
            raise DataFileError(p, f"cannot open the workbook ({type(exc).__name__})") from None
        # any sheet laid out as ratings (a cover or notes sheet may come first)
        for first in heads:
            header = ["" if c is None else str(c) for c in first]
            if ratings_layout(header):
                return "expert-ratings"
        return "table"
    line = _first_line(p)
    if line.startswith(('"Data Source"', "Data Source")):
        return "wb-portal-csv"
    fields = [f.strip() for f in next(csv.reader([line], delimiter=sniff_delimiter(line)), [])]
    name = p.name
    if tuple(fields[:4]) == WIDE_COLUMNS:
        return "wb-portal-csv" if name.upper().startswith("API_") else "wdi-bulk"
    if (
        "Country Code" in fields
        and "Region" in fields
        and ("IncomeGroup" in fields or "Income Group" in fields)
    ):
        return "wb-portal-csv" if name.startswith("Metadata_Country") else "wdi-bulk"
    if "Series Code" in fields and "Indicator Name" in fields:
        return "wdi-bulk"
    if all(c in fields for c in LONG_COLUMNS):
        return "long-csv"
    if all(c in fields for c in CANONICAL_COLUMNS):
        return "canonical"
    if ratings_layout(fields):
        return "expert-ratings"
    return "table"


def load(
    path_or_paths: str | Path | Sequence[str | Path],
    *,
    format: str = "auto",  # noqa: A002 - the public name of the option
    indicator: str | None = None,
    mapping: TableMapping | Mapping | str | Path | None = None,
    codes: Iterable[str] | None = None,
    keep_missing: bool = False,
    allow_partial: bool = False,
    year: int | None = None,
    **kw: Any,
) -> LoadResult:
    """Load one or more files into the canonical tidy table.

    Parameters
    ----------
    path_or_paths : path or list of paths
        Files of one or several formats; with ``format="auto"`` each file's format is
        detected (:func:`detect_format`) and files of one format are loaded together (so an
        indicator response and the country list, or WDICSV.csv and WDICountry.csv, combine).
    format : str
        ``"auto"`` or a name in :data:`SOURCES`.
    indicator : str, optional
        Indicator code of a long CSV without datapackage.
    mapping : mapping, optional
        Column mapping for ``table`` files (dict, YAML path or name in :data:`MAPPINGS`).
    codes : iterable of str, optional
        Indicator codes to keep (read selectively from WDI bulk files); codes absent from
        the inputs are reported in ``warnings``.
    keep_missing : bool
        Keep missing cells as NaN rows.
    allow_partial : bool
        Accept API results with missing pages (with a warning).
    year : int, optional
        Fixed year for tables and expert ratings that have no year column.

    Returns
    -------
    LoadResult
    """
    paths = (
        [Path(path_or_paths)]
        if isinstance(path_or_paths, str | Path)
        else [Path(p) for p in path_or_paths]
    )
    if not paths:
        raise ParameterError("paths", "no input files")
    if format != "auto" and format not in SOURCES:
        raise ParameterError(
            "format", f"unknown format {format!r}; valid: auto, {', '.join(SOURCES)}"
        )
    for p in paths:
        if not p.exists():
            raise DataFileError(p, "file not found")
    groups: dict[str, list[Path]] = {}
    for p in paths:
        fmt = detect_format(p) if format == "auto" else format
        if fmt != "wdi-bulk" and not (fmt == "wb-portal-csv" and p.suffix.lower() == ".csv"):
            check_file_size(p)  # whole-file readers: refuse before reading (WDI layouts stream)
        groups.setdefault(fmt, []).append(p)
    codes = None if codes is None else list(codes)
    options = dict(
        indicator=indicator,
        mapping=mapping,
        codes=codes,
        keep_missing=keep_missing,
        allow_partial=allow_partial,
        year=year,
        **kw,
    )
    if len(groups) == 1:
        fmt, ps = next(iter(groups.items()))
        return SOURCES[fmt].loader(ps, **options)
    # several formats: a requested code need only be in one of them
    results = []
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", message=_ABSENT_PREFIX, category=SourceWarning)
        for fmt, ps in groups.items():
            r = SOURCES[fmt].loader(ps, **options)
            kept = tuple(w for w in r.warnings if not w.startswith(_ABSENT_PREFIX))
            results.append(LoadResult(r.data, r.indicators, r.countries, r.format, r.paths, kept))
    combined = combine_results(results, keep_missing=keep_missing)
    if codes is not None:
        found = set(combined.data["indicator"].unique()) | set(combined.indicators["indicator"])
        absent = [c for c in dict.fromkeys(codes) if c not in found]
        if absent:
            msg = f"{_ABSENT_PREFIX} any input: {', '.join(absent)}"
            warn_all([msg])
            combined = LoadResult(
                combined.data,
                combined.indicators,
                combined.countries,
                combined.format,
                combined.paths,
                (*combined.warnings, msg),
            )
    return combined


def _suspicious(result: LoadResult) -> pd.DataFrame:
    """Plausibility audit of loaded data, with the units the source gives its indicators."""
    from ..scoring.plausibility import tidy_plausibility

    units = dict(zip(result.indicators["indicator"], result.indicators["unit"], strict=True))
    return tidy_plausibility(result.data, units)


@dataclass(frozen=True)
class ImportReport:
    """What :func:`import_files` wrote, for the CLI summary and for tests."""

    out: str
    provenance: str
    format: str
    detected: dict[str, str]
    rows: int
    indicators: tuple[str, ...]
    economies: int | None
    aggregates: int | None
    years: tuple[int, int] | None
    warnings: tuple[str, ...]

    def lines(self) -> list[str]:
        """Human-readable summary, one fact per line."""
        out = []
        for path, fmt in self.detected.items():
            out.append(f"format: {fmt} ({Path(path).name})")
        span = f"{self.years[0]}-{self.years[1]}" if self.years else "none"
        split = (
            f"{self.economies} economies, {self.aggregates} aggregates"
            if self.economies is not None
            else "economies/aggregates: unknown (no country list)"
        )
        out.append(
            f"wrote {self.rows} rows ({len(self.indicators)} indicators; {split}; years {span}) "
            f"to {self.out}"
        )
        out.append(f"provenance: {self.provenance}")
        out += [f"warning: {w}" for w in self.warnings]
        return out


def import_files(
    paths: str | Path | Sequence[str | Path],
    *,
    out: str | Path,
    format: str = "auto",  # noqa: A002
    indicator: str | None = None,
    mapping: TableMapping | Mapping | str | Path | None = None,
    codes: Iterable[str] | None = None,
    **kw: Any,
) -> ImportReport:
    """Load files and write the canonical table (``.csv`` or ``.parquet``) atomically.

    A provenance sidecar ``<out>.provenance.json`` records each input (path, sha256, format),
    the options, the indicator and country metadata and any warnings.
    """
    out = Path(out)
    if out.suffix.lower() not in (".csv", ".parquet"):
        raise ParameterError("out", f"{out.name!r}: write a .csv or .parquet file")
    paths = [Path(paths)] if isinstance(paths, str | Path) else [Path(p) for p in paths]
    for p in paths:
        if p.resolve() == out.resolve():
            raise ParameterError("out", f"{out} is also an input; refusing to overwrite it")
    detected = {str(p): (detect_format(p) if format == "auto" else format) for p in paths}
    result = load(paths, format=format, indicator=indicator, mapping=mapping, codes=codes, **kw)
    from ..scoring.plausibility import plausibility_warnings

    suspicious = _suspicious(result)
    if len(suspicious):
        lines = plausibility_warnings(suspicious)
        warn_all(lines)
        result = LoadResult(
            result.data,
            result.indicators,
            result.countries,
            result.format,
            result.paths,
            (*result.warnings, *lines),
        )
    write_table(result.data, out)
    sources = [
        source_record(p, source=detected.get(str(p), result.format))
        for p in dict.fromkeys(Path(x) for x in result.paths)
    ]
    if mapping is not None and isinstance(mapping, str | Path) and Path(mapping).exists():
        sources.append(source_record(mapping, source="table mapping"))
    countries = None
    if result.countries is not None:
        countries = json.loads(result.countries.to_json(orient="records"))
    prov = write_provenance(
        out,
        sources,
        command="innolab data import",
        format=result.format,
        options={
            "format": format,
            "indicator": indicator,
            "codes": None if codes is None else list(codes),
            "mapping": None
            if mapping is None or not isinstance(mapping, str | Path)
            else str(mapping),
        },
        indicators=result.indicators.to_dict("records"),
        countries=countries,
        warnings=list(result.warnings),
        suspicious=json.loads(suspicious.head(1000).to_json(orient="records")),
    )
    try:
        agg = result.aggregate_codes()
        codes_in = set(result.data["iso3"].unique())
        economies, aggregates = len(codes_in - agg), len(codes_in & agg)
    except InnolabError:
        economies = aggregates = None
    years = None
    if len(result.data):
        years = (int(result.data["year"].min()), int(result.data["year"].max()))
    return ImportReport(
        out=str(out),
        provenance=str(prov),
        format=result.format,
        detected=detected,
        rows=len(result.data),
        indicators=tuple(result.indicators["indicator"]),
        economies=economies,
        aggregates=aggregates,
        years=years,
        warnings=result.warnings,
    )
