"""The canonical tidy table innolab writes (CSV or Parquet), read back with full checks.

Columns ``iso3, indicator, year, value, source`` (see :mod:`innolab.sources.base`). Codes such
as ``NA`` (Namibia's ISO2) stay text; only an empty ``value`` is missing. The indicator
metadata of an import is kept in the provenance sidecar and restored by
:func:`read_canonical_result`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from ..errors import DataFileError
from ..io import read_provenance
from .base import (
    CANONICAL_COLUMNS,
    INDICATOR_COLUMNS,
    LoadResult,
    canonical_frame,
    country_frame,
    indicator_frame,
    known_codes,
    looks_like_code,
    parse_number,
    warn_all,
)

__all__ = ["read_canonical", "read_canonical_result"]


def read_canonical(path: str | Path, *, keep_missing: bool = False) -> pd.DataFrame:
    """Read a canonical tidy table, checking columns, codes, years, numbers and duplicates.

    Parquet files are read column-wise through Arrow with the text columns kept
    dictionary-encoded while they are checked (each distinct code is checked once), so that
    reloading a processed panel of hundreds of thousands of rows takes a fraction of a second.

    >>> import tempfile, pathlib
    >>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
    >>> _ = p.write_text("iso3,indicator,year,value,source\\nNAM,X,2020,1.5,demo\\n")
    >>> read_canonical(p)[["iso3", "value"]].to_dict("records")
    [{'iso3': 'NAM', 'value': 1.5}]
    """
    p = Path(path)
    if not p.exists():
        raise DataFileError(p, "file not found")
    if p.stat().st_size == 0:
        raise DataFileError(p, "empty file")
    suffix = p.suffix.lower()
    if suffix == ".parquet":
        return _read_parquet(p, keep_missing=keep_missing)
    if suffix != ".csv":
        raise DataFileError(p, "unsupported file type", expected="a .csv or .parquet file")
    try:
        df = pd.read_csv(p, dtype=str, keep_default_na=False, na_filter=False, encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError, pd.errors.EmptyDataError) as exc:
        raise DataFileError(p, f"malformed CSV ({exc})") from None
    absent = [c for c in CANONICAL_COLUMNS if c not in df.columns]
    if absent:
        raise DataFileError(
            p,
            f"missing column(s) {', '.join(absent)}",
            line=1,
            found=list(df.columns),
            expected="columns " + ", ".join(CANONICAL_COLUMNS),
        )
    offset = 2  # the header is line 1
    df = df[list(CANONICAL_COLUMNS)].copy()
    for i, code in enumerate(df["iso3"]):
        if not looks_like_code(code):
            raise DataFileError(p, "not a country code", line=i + offset, column="iso3", found=code)
    years = []
    for i, y in enumerate(df["year"]):
        if not (y.isdigit() and len(y) == 4):
            raise DataFileError(p, "not a year", line=i + offset, column="year", found=y)
        years.append(int(y))
    df["year"] = years
    df["value"] = [
        parse_number(v, path=p, line=i + offset, column="value") for i, v in enumerate(df["value"])
    ]
    for i, code in enumerate(df["indicator"]):
        if not code.strip():
            raise DataFileError(p, "empty indicator code", line=i + offset, column="indicator")
    df["_line"] = range(offset, offset + len(df))
    known, notes = known_codes(
        df["iso3"].tolist(), path=p, column="iso3", lines=df["_line"].tolist()
    )
    df["iso3"] = df["iso3"].map(known)
    data, more = canonical_frame(df.assign(_path=str(p)), keep_missing=keep_missing)
    notes += more
    warn_all(notes)
    return data


def _read_parquet(p: Path, *, keep_missing: bool) -> pd.DataFrame:
    import pyarrow as pa
    import pyarrow.compute as pc
    import pyarrow.parquet as pq

    try:
        names = pq.read_schema(p).names
        absent = [c for c in CANONICAL_COLUMNS if c not in names]
        if absent:
            raise DataFileError(
                p,
                f"missing column(s) {', '.join(absent)}",
                found=names,
                expected="columns " + ", ".join(CANONICAL_COLUMNS),
            )
        table = pq.read_table(
            p, columns=list(CANONICAL_COLUMNS), read_dictionary=["iso3", "indicator", "source"]
        )
    except DataFileError:
        raise
    except Exception as exc:  # pyarrow raises several types for damaged files
        raise DataFileError(p, f"cannot read Parquet ({type(exc).__name__}: {exc})") from None
    text: dict[str, tuple[pa.Array, np.ndarray]] = {}
    for name in ("iso3", "indicator", "source"):
        col = table.column(name)
        if not pa.types.is_dictionary(col.type) or not (
            pa.types.is_string(col.type.value_type) or pa.types.is_large_string(col.type.value_type)
        ):
            raise DataFileError(p, "not a text column", column=name, found=str(col.type))
        col = col.unify_dictionaries().combine_chunks() if col.num_chunks > 1 else col.chunk(0)
        if col.null_count:
            row = int(np.flatnonzero(col.is_null().to_numpy(zero_copy_only=False))[0])
            raise DataFileError(p, f"empty {name} in row {row + 1}", column=name)
        values = col.dictionary.to_pylist()
        for v in values:
            if (name == "iso3" and not looks_like_code(v)) or (
                name == "indicator" and not v.strip()
            ):
                raise DataFileError(p, f"not a valid {name}", column=name, found=v)
        if name == "iso3":
            used = pc.unique(col.indices).to_pylist()
            renamed = known_codes([values[i] for i in used], path=p, column="iso3")[0]
            renamed = {a: b for a, b in renamed.items() if a != b}
        # rank of each dictionary entry in sorted order, so integer sorts are lexical sorts
        rank = np.empty(len(values), dtype="int64")
        rank[np.argsort(np.asarray(values, dtype=object), kind="stable")] = np.arange(len(values))
        text[name] = (col, rank[col.indices.to_numpy(zero_copy_only=False)])
    year_col, value_col = table.column("year"), table.column("value")
    if not pa.types.is_integer(year_col.type):
        raise DataFileError(p, "years must be integers", column="year", found=str(year_col.type))
    if not (pa.types.is_floating(value_col.type) or pa.types.is_integer(value_col.type)):
        raise DataFileError(p, "values must be numbers", column="value", found=str(value_col.type))
    if year_col.null_count:
        raise DataFileError(p, "empty year", column="year")
    year = year_col.to_numpy().astype("int64", copy=False)
    value = value_col.cast(pa.float64()).to_numpy(zero_copy_only=False)
    if np.isinf(value).any():
        row = int(np.flatnonzero(np.isinf(value))[0])
        raise DataFileError(p, f"infinite value in row {row + 1}", column="value")
    keep = np.ones(len(value), dtype=bool) if keep_missing else ~np.isnan(value)
    iso_rank, ind_rank = text["iso3"][1], text["indicator"][1]
    # one integer key in (indicator, iso3, year) order: a sorted file needs no sort
    ymin = int(year.min()) if len(year) else 0
    span = int(year.max()) - ymin + 1 if len(year) else 1
    key = (ind_rank * (int(iso_rank.max(initial=0)) + 1) + iso_rank) * span + (year - ymin)
    identity = True
    if len(key) > 1 and not bool((key[1:] >= key[:-1]).all()):
        order = np.argsort(key, kind="stable")
        identity = False
    else:
        order = np.arange(len(key))
    if not keep.all():
        order = order[keep[order]]
        identity = False
    k = key[order]
    same = k[1:] == k[:-1]
    if same.any():
        vals = value[order]
        differ = same & ~((vals[1:] == vals[:-1]) | (np.isnan(vals[1:]) & np.isnan(vals[:-1])))
        if differ.any():
            j = int(np.flatnonzero(differ)[0])
            a, b = int(order[j]), int(order[j + 1])
            iso = text["iso3"][0].dictionary[text["iso3"][0].indices[a].as_py()].as_py()
            ind = text["indicator"][0].dictionary[text["indicator"][0].indices[a].as_py()].as_py()
            raise DataFileError(
                p,
                f"duplicate rows for {iso} {ind} {int(year[a])} with different values: "
                f"{float(value[a])!r} in row {a + 1} and {float(value[b])!r} in row {b + 1}",
                column="value",
            )
        order = order[np.concatenate([[True], ~same])]
        identity = False
        warn_all([f"{p}: {int(same.sum())} duplicate row(s) with identical values dropped"])
    idx = None if identity else pa.array(order)

    def strings(name: str):
        col = text[name][0] if idx is None else text[name][0].take(idx)
        return pd.array(pc.cast(col, pa.large_string()), dtype="str")

    out = pd.DataFrame(
        {
            "iso3": strings("iso3"),
            "indicator": strings("indicator"),
            "year": year if idx is None else year[order],
            "value": value if idx is None else value[order],
            "source": strings("source"),
        }
    )
    if renamed:  # former World Bank codes: rename, then re-check duplicates under new codes
        out["iso3"] = out["iso3"].replace(renamed)
        out, notes = canonical_frame(out.assign(_path=str(p)), keep_missing=keep_missing)
        warn_all(
            [f"{p}: former World Bank code {a} read as {b}" for a, b in sorted(renamed.items())]
            + notes
        )
    return out


def read_canonical_result(path: str | Path, *, keep_missing: bool = False) -> LoadResult:
    """:func:`read_canonical` plus the indicator/country metadata saved in its provenance."""
    data = read_canonical(path, keep_missing=keep_missing)
    prov = read_provenance(path) or {}
    ind_rows = [r for r in prov.get("indicators") or [] if isinstance(r, dict)]
    known = {str(r.get("indicator")) for r in ind_rows}
    ind_rows += [
        {"indicator": c, "name": "", "unit": "", "source": ""}
        for c in data["indicator"].unique()
        if c not in known
    ]
    ind = indicator_frame({k: r.get(k, "") for k in INDICATOR_COLUMNS} for r in ind_rows)
    countries = None
    if prov.get("countries"):
        countries = country_frame(prov["countries"])
    return LoadResult(
        data=data,
        indicators=ind,
        countries=countries,
        format="canonical",
        paths=(str(path),),
    )
