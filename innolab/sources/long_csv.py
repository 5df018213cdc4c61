"""Long CSV, one indicator per file: ``Country Name, Country Code, Year, Value``.

This is the layout of the datahub.io mirror of WDI (``indicators/<code>/data.csv``), where a
``datapackage.json`` beside the file names the indicator (``name``, lower case) and its title.
Without a datapackage the indicator code must be given (``indicator=`` / ``--indicator``).
Only an empty cell is a missing value.
"""

from __future__ import annotations

import json
from pathlib import Path

import pandas as pd

from ..errors import DataFileError, ParameterError
from .base import (
    LoadResult,
    canonical_frame,
    indicator_frame,
    iter_csv_records,
    known_codes,
    looks_like_code,
    missing_columns_error,
    parse_number,
    read_text,
    warn_all,
)
from .wdi_bulk import unit_from_name

__all__ = ["LONG_COLUMNS", "read_long_csv", "read_datapackage"]

#: The header of a long CSV file.
LONG_COLUMNS: tuple[str, ...] = ("Country Name", "Country Code", "Year", "Value")


def read_datapackage(path: str | Path) -> dict[str, str]:
    """Indicator code, name and licence from a datahub ``datapackage.json``.

    >>> import json, tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> _ = (d / "datapackage.json").write_text(json.dumps(
    ...     {"name": "ny.gdp.pcap.cd", "title": "GDP per capita (current US$)"}))
    >>> read_datapackage(d / "datapackage.json")["indicator"]
    'NY.GDP.PCAP.CD'
    """
    p = Path(path)
    try:
        meta = json.loads(p.read_text(encoding="utf-8-sig"))
    except json.JSONDecodeError as exc:
        raise DataFileError(p, f"invalid JSON ({exc.msg})", line=exc.lineno) from None
    if not isinstance(meta, dict):
        raise DataFileError(p, "not a datapackage (expected a JSON object)")
    code = (meta.get("worldbank") or {}).get("indicator") or meta.get("name")
    if not code or not isinstance(code, str):
        raise DataFileError(p, "no indicator name in the datapackage", column="name")
    licences = ", ".join(str(x.get("name", "")) for x in meta.get("licenses") or [])
    return {
        "indicator": code.upper(),
        "name": str(meta.get("title") or ""),
        "licence": licences,
    }


def read_long_csv(
    path: str | Path,
    *,
    indicator: str | None = None,
    keep_missing: bool = False,
) -> LoadResult:
    """Load one long CSV (``Country Name, Country Code, Year, Value``).

    Parameters
    ----------
    path : path
        The CSV file; a ``datapackage.json`` in the same folder supplies the indicator code
        and name.
    indicator : str, optional
        The indicator code; required when there is no datapackage. When both exist and
        disagree, the explicit code wins and a warning says so.
    keep_missing : bool
        Keep rows with an empty Value as NaN.
    """
    p = Path(path)
    text, _ = read_text(p)
    notes: list[str] = []
    package = p.with_name("datapackage.json")
    meta = read_datapackage(package) if package.exists() else None
    if indicator is None and meta is None:
        raise ParameterError(
            "indicator",
            f"{p} has no datapackage.json beside it: pass the indicator code "
            "(indicator=... or --indicator CODE)",
        )
    code = indicator or meta["indicator"]
    if meta is not None and indicator is not None and meta["indicator"] != indicator:
        notes.append(f"{p}: datapackage.json says {meta['indicator']}, using {indicator} as given")
    name = meta["name"] if meta is not None and meta["indicator"] == code else ""
    records = iter_csv_records(text, path=p)
    _, header = next(records)
    header = [h.strip() for h in header]
    if any(c not in header for c in LONG_COLUMNS):
        raise missing_columns_error(p, header, LONG_COLUMNS)
    ix = {c: header.index(c) for c in LONG_COLUMNS}
    source = f"{'datahub WDI mirror' if meta else 'long CSV'} {p.parent.name}/{p.name}"
    iso3, years, values, lines, names = [], [], [], [], []
    for line, rec in records:
        if not any(f.strip() for f in rec):
            continue
        if len(rec) != len(header):
            raise DataFileError(
                p,
                f"expected {len(header)} fields, found {len(rec)}"
                + (" (a thousands separator '1,234' or a truncated line?)" if rec else ""),
                line=line,
                expected="Country Name,Country Code,Year,Value",
            )
        cc = rec[ix["Country Code"]].strip()
        if not looks_like_code(cc):
            raise DataFileError(
                p,
                "not a country code",
                line=line,
                column="Country Code",
                found=cc,
                expected="a three-character ISO3 or World Bank code",
            )
        y = rec[ix["Year"]].strip()
        if not y.isdigit() or len(y) != 4:
            raise DataFileError(
                p, "not a year", line=line, column="Year", found=y, expected="a four-digit year"
            )
        iso3.append(cc)
        names.append(rec[ix["Country Name"]].strip())
        years.append(int(y))
        values.append(parse_number(rec[ix["Value"]], path=p, line=line, column="Value"))
        lines.append(line)
    known, renamed = known_codes(iso3, path=p, column="Country Code", lines=lines, names=names)
    notes += renamed
    records_df = pd.DataFrame(
        {
            "iso3": [known[c] for c in iso3],
            "indicator": code,
            "year": years,
            "value": values,
            "source": source,
            "_path": str(p),
            "_line": lines,
        }
    )
    data, n = canonical_frame(records_df, keep_missing=keep_missing)
    notes += n
    warn_all(notes)
    ind = indicator_frame(
        [
            {
                "indicator": code,
                "name": name,
                "unit": unit_from_name(name),
                "source": "World Bank, World Development Indicators" if meta else "",
            }
        ]
    )
    return LoadResult(
        data=data,
        indicators=ind,
        countries=None,
        format="long-csv",
        paths=(str(p),),
        warnings=tuple(notes),
    )
