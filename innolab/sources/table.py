"""Generic tables (CSV with any delimiter and decimal mark, XLSX) described by a small mapping.

Index publishers ship spreadsheets in many shapes: the GII panel is semicolon-separated with
decimal commas and a BOM, a single GII edition is cp1252 with no year column, the ITU IDI list
has only names and one score, COINr's ``iData`` has ISO3 codes, a ``Time`` column and one
column per indicator. A :class:`TableMapping` says which column holds the country (names or
codes), which holds the year (or a fixed year), and which columns are indicators (optionally
renamed to codes). Everything else about the file (delimiter, decimal mark, encoding) is
detected and can be overridden.

A mapping is a dict, a YAML/JSON file, or the name of a shipped mapping (:data:`MAPPINGS`)::

    country: Economies          # column with country names (or codes: country_codes: true)
    year: Year                  # or a fixed year: year: 2017
    indicators:                 # column -> code (a list keeps the column names as codes)
      Global Innovation Index: GII
      Institutions: GII.INST
    decimal: ","                # optional: "." or ","; detected when absent
    delimiter: ";"              # optional; detected from the header when absent
    encoding: cp1252            # optional; UTF-8 (BOM removed), else cp1252
    sheet: Data                 # XLSX: sheet name or 0-based index (default: the first)
    missing: ["", "-"]          # cells meaning "no value" (default: only empty)
    source: WIPO Global Innovation Index
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field, fields, replace
from pathlib import Path
from typing import Any

import pandas as pd

from ..errors import DataFileError, ParameterError
from ..io import read_document
from .base import (
    LoadResult,
    canonical_frame,
    indicator_frame,
    iter_csv_records,
    parse_number,
    read_text,
    resolve_countries,
    sniff_delimiter,
    warn_all,
)

__all__ = ["TableMapping", "MAPPINGS", "read_table_source", "resolve_mapping", "read_rows"]

_GII_PILLARS = {
    "Global Innovation Index": "GII",
    "Institutions": "GII.INST",
    "Human capital and research": "GII.HCR",
    "Infrastructure": "GII.INFRA",
    "Market sophistication": "GII.MKT",
    "Business sophistication": "GII.BUS",
    "Knowledge and technology outputs": "GII.KTO",
    "Creative outputs": "GII.CRE",
}

#: Shipped mappings for the public files innolab knows (see ``../shared/data`` READMEs).
MAPPINGS: dict[str, dict[str, Any]] = {
    # GII 2011-2022 panel (Mendeley cvkdzr8tv3): Year is the GII edition year.
    "gii-panel": {
        "country": "Economies",
        "year": "Year",
        "indicators": dict(_GII_PILLARS),
        "source": "WIPO Global Innovation Index (edition year)",
        "units": dict.fromkeys(_GII_PILLARS.values(), "score 0-100"),
    },
    # One GII edition without a year column (Country;Score;pillars): pass year=...
    # GII writes the Republic of the Congo as plain "Congo" (ambiguous for name matching).
    "gii-edition": {
        "country": "Country",
        "countries": {"Congo": "COG"},
        "year": None,
        "indicators": {"Score": "GII", **{k: v for k, v in _GII_PILLARS.items() if v != "GII"}},
        "source": "WIPO Global Innovation Index (edition year)",
        "units": dict.fromkeys(_GII_PILLARS.values(), "score 0-100"),
    },
    # ITU ICT Development Index 2017 (Country, ICT Development Index).
    "idi-2017": {
        "country": "Country",
        "year": 2017,
        "indicators": {"ICT Development Index": "IDI"},
        "names": {"IDI": "ICT Development Index"},
        "units": {"IDI": "score 0-10"},
        "source": "ITU Measuring the Information Society Report 2017",
    },
    # COINr iData / iData_p: uCode (ISO3), Time, indicator columns; group columns excluded.
    "coinr-idata": {
        "country": "uCode",
        "country_codes": True,
        "year": "Time",
        "exclude": ["uName", "GDP_group", "GDPpc_group", "Pop_group", "EurAsia_group"],
        "source": "COINr ASEM example data",
    },
}


@dataclass(frozen=True)
class TableMapping:
    """Which columns of a table are country, year and indicators, and how to read it."""

    country: str
    year: str | int | None = None
    indicators: Mapping[str, str] | None = None
    exclude: tuple[str, ...] = ()
    country_codes: bool = False
    countries: Mapping[str, str] = field(default_factory=dict)
    delimiter: str | None = None
    decimal: str | None = None
    thousands: str | None = None
    encoding: str | None = None
    sheet: str | int | None = None
    header_row: int = 1
    missing: tuple[str, ...] = ("",)
    source: str | None = None
    names: Mapping[str, str] = field(default_factory=dict)
    units: Mapping[str, str] = field(default_factory=dict)

    @classmethod
    def from_dict(cls, spec: Mapping[str, Any], *, origin: str = "mapping") -> TableMapping:
        """Build and check a mapping; unknown keys and bad values are ParameterErrors."""
        if not isinstance(spec, Mapping):
            raise ParameterError(origin, "a table mapping must be a dict / YAML mapping")
        valid = {f.name for f in fields(cls)}
        unknown = sorted(set(spec) - valid)
        if unknown:
            raise ParameterError(
                origin, f"unknown key(s) {', '.join(unknown)}; valid: {', '.join(sorted(valid))}"
            )
        if not spec.get("country") or not isinstance(spec["country"], str):
            raise ParameterError(origin, "'country' must name the country column")
        kw = dict(spec)
        ind = kw.get("indicators")
        if isinstance(ind, str):
            ind = [ind]
        if isinstance(ind, Sequence):
            ind = {str(c): str(c) for c in ind}
        if ind is not None:
            if not isinstance(ind, Mapping) or not ind:
                raise ParameterError(origin, "'indicators' must be a list or a column -> code map")
            codes = [str(v) for v in ind.values()]
            dup = sorted({c for c in codes if codes.count(c) > 1})
            if dup:
                raise ParameterError(origin, f"indicator code(s) used twice: {', '.join(dup)}")
            ind = {str(k): str(v) for k, v in ind.items()}
        kw["indicators"] = ind
        year = kw.get("year")
        if year is not None and not isinstance(year, str | int) or isinstance(year, bool):
            raise ParameterError(origin, "'year' must be a column name or a fixed year")
        if kw.get("decimal") not in (None, ".", ","):
            raise ParameterError(origin, "'decimal' must be '.' or ','")
        if kw.get("delimiter") is not None and len(str(kw["delimiter"])) != 1:
            raise ParameterError(origin, "'delimiter' must be one character")
        for key in ("exclude", "missing"):
            if key in kw:
                v = kw[key]
                kw[key] = tuple(str(x) for x in ([v] if isinstance(v, str) else v))
        if "missing" in kw and "" not in kw["missing"]:
            kw["missing"] = ("", *kw["missing"])
        if int(kw.get("header_row", 1)) < 1:
            raise ParameterError(origin, "'header_row' is 1-based")
        for key in ("countries", "names", "units"):
            kw[key] = {str(k): str(v) for k, v in (kw.get(key) or {}).items()}
        return cls(**kw)


def resolve_mapping(
    mapping: TableMapping | Mapping | str | Path | None, **overrides
) -> TableMapping:
    """A :class:`TableMapping` from a mapping object, a dict, a YAML/JSON path or a shipped name.

    ``overrides`` (e.g. ``year=2025``) replace keys of the mapping.

    >>> resolve_mapping("idi-2017").indicators
    {'ICT Development Index': 'IDI'}
    """
    if mapping is None:
        raise ParameterError(
            "mapping",
            "a table needs a mapping (country, year, indicators): a dict, a YAML file or one of "
            + ", ".join(sorted(MAPPINGS)),
        )
    if isinstance(mapping, TableMapping):
        spec = {f.name: getattr(mapping, f.name) for f in fields(TableMapping)}
        origin = "mapping"
    elif isinstance(mapping, Mapping):
        spec, origin = dict(mapping), "mapping"
    elif isinstance(mapping, str) and mapping in MAPPINGS:
        spec, origin = dict(MAPPINGS[mapping]), f"mapping {mapping!r}"
    else:
        p = Path(mapping)
        if not p.exists():
            raise ParameterError(
                "mapping",
                f"{mapping!r} is neither a file nor a shipped mapping ({', '.join(sorted(MAPPINGS))})",
            )
        spec = read_document(p, what="mapping")
        origin = str(p)
    spec.update({k: v for k, v in overrides.items() if v is not None})
    return TableMapping.from_dict(spec, origin=origin)


# --- reading rows ---------------------------------------------------------------------------


def _csv_rows(path: Path, m: _Grid, notes: list[str]):
    text, enc = read_text(path, encoding=m.encoding)
    if enc != "utf-8" and m.encoding is None:
        notes.append(f"{path}: not UTF-8; read as {enc}")
    pos = 0
    for k in range(m.header_row - 1):
        nxt = text.find("\n", pos)
        if nxt < 0:
            raise DataFileError(path, f"no header on line {m.header_row}", line=k + 2)
        pos = nxt + 1
    body = text[pos:]
    if not body.strip():
        raise DataFileError(path, f"no header on line {m.header_row}", line=m.header_row)
    delimiter = m.delimiter or sniff_delimiter(body.split("\n", 1)[0])
    records = iter_csv_records(body, path=path, delimiter=delimiter, start_line=m.header_row)
    header_line, header = next(records)
    return str(path), header_line, [h.strip() for h in header], records, delimiter


def _xlsx_rows(
    path: Path,
    m: _Grid,
    required: Sequence[str],
    notes: list[str] | None = None,
    accept: Callable[[list[str]], bool] | None = None,
):
    try:
        import openpyxl
    except ImportError as exc:  # pragma: no cover - openpyxl is a dependency
        raise ParameterError("path", f"reading {path.name} needs openpyxl ({exc})") from exc
    try:
        wb = openpyxl.load_workbook(path, read_only=True, data_only=True)
    except Exception as exc:  # openpyxl raises many types for damaged files
        raise DataFileError(
            path, f"cannot open the workbook ({type(exc).__name__}: {exc})"
        ) from None
    names = wb.sheetnames
    if isinstance(m.sheet, str) and m.sheet not in names and m.sheet.strip().isdigit():
        m = replace(m, sheet=int(m.sheet))  # "--sheet 1" from the command line
    if m.sheet is None:
        sheet = names[0]
    elif isinstance(m.sheet, int):
        if not 0 <= m.sheet < len(names):
            raise DataFileError(path, f"no sheet {m.sheet} (0-based); sheets: {', '.join(names)}")
        sheet = names[m.sheet]
    elif m.sheet in names:
        sheet = m.sheet
    else:
        raise DataFileError(path, f"no sheet {m.sheet!r}; sheets: {', '.join(names)}")

    def header_of(name: str) -> list[str]:
        for i, row in enumerate(wb[name].iter_rows(values_only=True), 1):
            if i == m.header_row:
                return ["" if c is None else str(c).strip() for c in row]
        return []

    def fits(h: list[str]) -> bool:
        return all(c in h for c in required) and (accept is None or accept(h))

    header = header_of(sheet)
    if m.sheet is None and not fits(header) and (required or accept is not None):
        # auto-detection: the data are on another sheet (a notes or cover sheet comes first)
        others = [s for s in names[1:] if fits(header_of(s))]
        if len(others) > 1:
            raise DataFileError(
                path,
                f"sheet {sheet!r} is not the data and several sheets could be: "
                + ", ".join(repr(o) for o in others),
                expected="the sheet to read (--sheet NAME or sheet: in the mapping)",
            )
        if others:
            if notes is not None:
                notes.append(
                    f"{path}: read sheet {others[0]!r} (sheet {sheet!r}, the first, does not "
                    f"hold the data); choose another with --sheet / sheet:"
                )
            sheet = others[0]
            header = header_of(sheet)
    absent = [c for c in required if c not in header]
    if absent:
        raise DataFileError(
            f"{path}[{sheet}]",
            f"sheet {sheet!r} has no column{'s' if len(absent) > 1 else ''} "
            f"{', '.join(repr(a) for a in absent)}"
            + (f" (sheets: {', '.join(names)})" if len(names) > 1 else ""),
            line=m.header_row,
            found=[h for h in header if h][:12],
            expected=f"columns {', '.join(required)} on line {m.header_row}",
        )

    def records() -> Iterator[tuple[int, list[object]]]:
        for i, row in enumerate(wb[sheet].iter_rows(values_only=True), 1):
            if i > m.header_row:
                yield i, list(row)

    return f"{path}[{sheet}]", m.header_row, header, records(), None


@dataclass(frozen=True)
class _Grid:
    """How to open a table file (the reading half of a mapping)."""

    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | int | None = None
    header_row: int = 1


def read_rows(
    path: str | Path,
    notes: list[str],
    *,
    required: Sequence[str] = (),
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | int | None = None,
    header_row: int = 1,
    accept: Callable[[list[str]], bool] | None = None,
):
    """Open a CSV or XLSX table: ``(where, header_line, header, records, delimiter)``.

    ``where`` names the file (and the sheet for XLSX) for messages; ``records`` yields
    ``(line, cells)`` lazily; ``delimiter`` is None for XLSX. For a workbook without
    ``sheet``, the first sheet is read unless it lacks the ``required`` columns (or its header
    is not ``accept``-ed) while exactly one other sheet has them: that sheet is read and a
    note in ``notes`` says which (several candidates are an error asking for ``sheet``).
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "file not found")
    grid = _Grid(encoding=encoding, delimiter=delimiter, sheet=sheet, header_row=header_row)
    if p.suffix.lower() in (".xlsx", ".xlsm"):
        return _xlsx_rows(p, grid, required, notes, accept)
    if p.suffix.lower() == ".xls":
        raise DataFileError(p, "old .xls workbooks are not supported", expected="save as .xlsx")
    return _csv_rows(p, grid, notes)


def _auto_decimal(where: str, cells: Iterable[tuple[int, str, str]], delimiter: str | None) -> str:
    """Decide the decimal mark from the cells when the mapping does not say."""
    if delimiter == ",":
        return "."
    comma = dot = None
    for line, col, text in cells:
        if comma is None and re.fullmatch(r"[+-]?\d+,\d+", text):
            comma = (line, col, text)
        if dot is None and re.fullmatch(r"[+-]?\d*\.\d+(?:[eE][+-]?\d+)?", text):
            dot = (line, col, text)
        if comma and dot:
            raise DataFileError(
                where,
                f"both decimal marks in one file: {dot[2]!r} (line {dot[0]}) and {comma[2]!r}",
                line=comma[0],
                column=comma[1],
                expected="one decimal mark (set decimal: '.' or ',' in the mapping)",
            )
    return "," if comma else "."


def read_table_source(
    path: str | Path,
    mapping: TableMapping | Mapping | str | Path | None,
    *,
    year: int | None = None,
    keep_missing: bool = False,
    sheet: str | int | None = None,
) -> LoadResult:
    """Load a CSV/XLSX table through a mapping into the canonical tidy table.

    Parameters
    ----------
    path : path
        ``.csv``/``.txt``/``.tsv`` (any delimiter, decimal mark, UTF-8 or cp1252) or ``.xlsx``.
    mapping : TableMapping, dict, path or str
        See the module docstring; a name from :data:`MAPPINGS` uses a shipped mapping.
    year : int, optional
        Fixed data year, overriding the mapping's ``year`` (for files without a year column).
    keep_missing : bool
        Keep missing cells as NaN rows.
    sheet : str or int, optional
        XLSX sheet (name or 0-based index), overriding the mapping's ``sheet``. Without
        either, the first sheet holding the mapped columns is read (see :func:`read_rows`).

    Returns
    -------
    LoadResult
        ``format="table"``; indicator names are the column headers unless the mapping
        names them.
    """
    m = resolve_mapping(mapping, year=year)
    if m.year is None:
        raise ParameterError(
            "year", f"{path}: the mapping has no year column: give a fixed year (year=2025)"
        )
    notes: list[str] = []
    required = [m.country] + ([m.year] if isinstance(m.year, str) else [])
    where, header_line, header, records, delimiter = read_rows(
        path,
        notes,
        required=required,
        encoding=m.encoding,
        delimiter=m.delimiter,
        sheet=m.sheet if sheet is None else sheet,
        header_row=m.header_row,
    )
    if m.indicators is not None:
        required += list(m.indicators)
    absent = [c for c in required if c not in header]
    if absent:
        hint = ""
        if len(header) == 1 and sniff_delimiter(header[0]) != (delimiter or ","):
            hint = f" (the header looks {sniff_delimiter(header[0])!r}-delimited: wrong delimiter?)"
        raise DataFileError(
            where,
            f"missing column{'s' if len(absent) > 1 else ''} {', '.join(repr(a) for a in absent)}"
            + hint,
            line=header_line,
            expected="columns present: " + ", ".join(repr(h) for h in header if h)[:300],
        )
    dupes = sorted({h for h in header if h and header.count(h) > 1})
    if dupes:
        raise DataFileError(where, f"duplicate column name(s) {', '.join(dupes)}", line=header_line)
    if m.indicators is not None:
        ind_map = dict(m.indicators)
    else:
        skip = {m.country, m.year if isinstance(m.year, str) else None, *m.exclude, ""}
        ind_map = {h: h for h in header if h not in skip}
        if not ind_map:
            raise DataFileError(where, "no indicator columns left", line=header_line)
    ix = {h: i for i, h in enumerate(header)}
    raw: list[tuple[int, object, object, list[object]]] = []
    cols = list(ind_map)
    for line, rec in records:
        if not any(c is not None and str(c).strip() for c in rec):
            continue
        if delimiter is not None and len(rec) != len(header):
            raise DataFileError(
                where,
                f"expected {len(header)} fields, found {len(rec)}"
                + (" (an unquoted thousands separator or a truncated line?)" if rec else ""),
                line=line,
                expected=f"{len(header)} {delimiter!r}-separated fields as in the header",
            )
        rec = list(rec) + [None] * (len(header) - len(rec))
        country = rec[ix[m.country]]
        yv = rec[ix[m.year]] if isinstance(m.year, str) else m.year
        raw.append((line, country, yv, [rec[ix[c]] for c in cols]))
    decimal = m.decimal or _auto_decimal(
        where,
        (
            (ln, c, v)
            for ln, _, _, vals in raw
            for c, v in zip(cols, vals, strict=True)
            if isinstance(v, str)
        ),
        delimiter,
    )
    first_line: dict[str, int] = {}
    for line, country, _, vals in raw:
        name = "" if country is None else str(country).strip()
        if not name:
            if any(v is not None and str(v).strip() not in m.missing for v in vals):
                raise DataFileError(
                    where, "row with values but no country", line=line, column=m.country
                )
            continue
        first_line.setdefault(name, line)
    iso = resolve_countries(
        list(first_line),
        path=where,
        column=m.country,
        lines=first_line,
        codes=m.country_codes,
        overrides=m.countries,
    )
    source = m.source or f"table {Path(path).name}"
    out: dict[str, list] = {"iso3": [], "indicator": [], "year": [], "value": [], "_line": []}
    for line, country, yv, vals in raw:
        name = "" if country is None else str(country).strip()
        if not name:
            continue
        y = _year(yv, where=where, line=line, column=m.year if isinstance(m.year, str) else None)
        for col, v in zip(cols, vals, strict=True):
            value = parse_number(
                v.strip() if isinstance(v, str) and v.strip() in m.missing else v,
                path=where,
                line=line,
                column=col,
                missing=m.missing,
                decimal=decimal,
                thousands=m.thousands,
            )
            out["iso3"].append(iso[name])
            out["indicator"].append(ind_map[col])
            out["year"].append(y)
            out["value"].append(value)
            out["_line"].append(line)
    frame = pd.DataFrame(out).assign(source=source, _path=where)
    data, n = canonical_frame(frame, keep_missing=keep_missing)
    notes += n
    indicators = indicator_frame(
        {
            "indicator": code,
            "name": m.names.get(code, col),
            "unit": m.units.get(code, ""),
            "source": m.source or "",
        }
        for col, code in ind_map.items()
    )
    warn_all(notes)
    return LoadResult(
        data=data,
        indicators=indicators,
        countries=None,
        format="table",
        paths=(str(path),),
        warnings=tuple(notes),
    )


def _year(v: object, *, where: str, line: int, column: str | None) -> int:
    if isinstance(v, bool):
        v = str(v)
    if isinstance(v, int):
        y = v
    elif isinstance(v, float) and v.is_integer():
        y = int(v)
    elif isinstance(v, str) and re.fullmatch(r"\d{4}", v.strip()):
        y = int(v.strip())
    else:
        raise DataFileError(
            where, "not a year", line=line, column=column, found=v, expected="a four-digit year"
        )
    if not 1800 <= y <= 2200:
        raise DataFileError(where, "implausible year", line=line, column=column, found=v)
    return y
