"""The processed store: ``data/raw/`` -> ``data/processed/`` (Parquet panel + metadata).

``innolab data build`` reads every source folder under ``data/raw/`` and writes

============================ ==========================================================
file                         contents
============================ ==========================================================
``panel.parquet``            canonical tidy table ``iso3, indicator, year, value, source``
                             plus ``is_aggregate`` (economies and flagged aggregates)
``indicators.parquet``       ``indicator, name, unit, source``
``countries.parquet``        ``iso3, name, itu_region, wb_region, income_group,
                             is_aggregate, is_demo`` for every code in the panel
``expert_ratings.parquet``   ``iso3, stakeholder, enabler, rating, year, respondents``
                             (only when some source has ratings)
============================ ==========================================================

each with a ``<name>.provenance.json`` sidecar: every input file with its sha256, size,
source folder and retrieval date, the innolab version and a fingerprint of the input set.

Rules
-----
* Raw files are only read, never written, moved or touched.
* A folder holding ``indicators.csv`` with the canonical header (the embedded demo data in
  ``data/raw/demo/``) is read directly with its companions ``indicators_meta.csv``,
  ``countries.csv`` and ``expert_ratings.csv``; every other folder is read with one call of
  :func:`innolab.sources.load` (``format="auto"``) over its data files (so a data file and its
  country list combine), expert-rating files with
  :func:`innolab.sources.read_expert_ratings`. An optional ``source.yaml`` in a folder gives
  loader options (``format``, ``mapping`` -- a shipped mapping name or a file in the folder
  --, ``indicator``, ``codes``, ``year``), e.g. ``mapping: gii`` for a GII score table.
  README, LICENCE, ``.md``/``.txt`` and hidden files are not inputs.
* Two sources with different values for the same (iso3, indicator, year) are an error that
  names both files, unless a source priority says which folder wins. Equal values are kept
  once.
* Outputs are built completely in a hidden staging folder inside the output folder and only
  then moved into place (one atomic rename each), so a failure while reading or writing
  leaves the previous outputs untouched and no partial file behind. Should the process die
  between two of the final renames, the outputs' provenance records disagree and the next
  build redoes the work.
* If the inputs (their sha256), the source priority and the innolab version are unchanged and
  the outputs still match their provenance, the build is skipped (``force=True`` rebuilds).
"""

from __future__ import annotations

import contextlib
import datetime as _dt
import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd

from . import __version__, config
from .ecosystem import ENABLERS, RATING_RANGE, STAKEHOLDERS
from .errors import DataFileError, ParameterError
from .io import (
    provenance_path,
    read_document,
    read_provenance,
    sha256_file,
    write_provenance,
    write_table,
)

__all__ = [
    "OUTPUTS",
    "PANEL_COLUMNS",
    "COUNTRY_COLUMNS",
    "RATING_COLUMNS",
    "BuildReport",
    "build",
    "source_folders",
    "input_files",
    "input_fingerprint",
    "read_canonical_folder",
]

#: Output file names, in the order they are written.
OUTPUTS: tuple[str, ...] = (
    "panel.parquet",
    "indicators.parquet",
    "countries.parquet",
    "expert_ratings.parquet",
)
PANEL_COLUMNS = ("iso3", "indicator", "year", "value", "source", "is_aggregate")
INDICATOR_COLUMNS = ("indicator", "name", "unit", "source")
COUNTRY_COLUMNS = (
    "iso3",
    "name",
    "itu_region",
    "wb_region",
    "income_group",
    "is_aggregate",
    "is_demo",
)
RATING_COLUMNS = ("iso3", "stakeholder", "enabler", "rating", "year", "respondents")
_CANONICAL = ("iso3", "indicator", "year", "value", "source")
_DEMO_COUNTRY = ("iso3", "name", "itu_region", "wb_region", "income_group")
_STORE_FORMAT = 1  # bump when the output layout changes (forces a rebuild)
_IGNORED_SUFFIXES = {".md", ".txt", ".rst"}
_IGNORED_PREFIXES = ("readme", "licence", "license")
_KEYS = ["iso3", "indicator", "year"]
_OPTIONS_FILE = "source.yaml"
_OPTION_KEYS = ("format", "mapping", "indicator", "codes", "year")
_COMPANIONS = {"datapackage.json"}  # read by the loader beside data.csv, never on their own


@dataclass(frozen=True)
class BuildReport:
    """What :func:`build` did: written or skipped, where, from what."""

    out: Path
    skipped: bool
    outputs: tuple[Path, ...]
    inputs: tuple[str, ...]
    fingerprint: str
    n_rows: int = 0
    n_economies: int = 0
    n_aggregates: int = 0
    n_indicators: int = 0
    warnings: tuple[str, ...] = field(default=())

    def summary(self) -> str:
        """One or two lines for the command line (warnings: :attr:`warnings`)."""
        if self.skipped:
            return (
                f"{self.out}: up to date (same {len(self.inputs)} input files, same innolab "
                f"version); nothing to do (use --force to rebuild)"
            )
        names = ", ".join(p.name for p in self.outputs)
        return (
            f"{self.out}: wrote {names} from {len(self.inputs)} input files "
            f"({self.n_rows} values, {self.n_economies} economies, {self.n_aggregates} "
            f"aggregates, {self.n_indicators} indicators)"
        )


# --- discovering inputs -----------------------------------------------------------------------


def _is_data_file(p: Path) -> bool:
    name = p.name.lower()
    return (
        p.is_file()
        and not name.startswith(".")
        and not name.startswith(_IGNORED_PREFIXES)
        and p.suffix.lower() not in _IGNORED_SUFFIXES
        and not name.endswith(".provenance.json")
    )


def _is_canonical_folder(folder: Path) -> bool:
    f = folder / "indicators.csv"
    if not f.is_file():
        return False
    with open(f, encoding="utf-8-sig", newline="") as fh:
        header = fh.readline().strip()
    return tuple(c.strip() for c in header.split(",")) == _CANONICAL


def source_folders(raw: str | Path) -> list[Path]:
    """Source folders under ``raw``: visible subfolders holding at least one data file."""
    raw = Path(raw)
    if not raw.is_dir():
        raise DataFileError(raw, "raw data folder not found", expected="a folder such as data/raw")
    out = []
    for d in sorted(raw.iterdir()):
        if not d.is_dir() or d.name.startswith((".", "_")):
            continue
        if any(_is_data_file(p) for p in d.rglob("*")):
            out.append(d)
    return out


def input_files(folder: str | Path) -> list[Path]:
    """The data files of one source folder (README, notes and hidden files excluded)."""
    folder = Path(folder)
    if _is_canonical_folder(folder):
        names = ["indicators.csv", "indicators_meta.csv", "countries.csv", "expert_ratings.csv"]
        return [folder / n for n in names if (folder / n).is_file()]
    return sorted(p for p in folder.rglob("*") if _is_data_file(p) and not _hidden_below(p, folder))


def _hidden_below(p: Path, folder: Path) -> bool:
    return any(part.startswith(".") for part in p.relative_to(folder).parts)


def input_fingerprint(
    raw: str | Path, files: Sequence[Path], *, priority: Sequence[str] | None = None
) -> tuple[str, dict[Path, str]]:
    """Fingerprint of an input set: sha256 of (relative path, sha256) pairs, priority, version.

    Returns the fingerprint and the sha256 of every file (so they are hashed only once).
    """
    raw = Path(raw)
    digests = {f: sha256_file(f) for f in files}
    payload = {
        "store_format": _STORE_FORMAT,
        "innolab_version": __version__,
        "priority": list(priority or []),
        "inputs": [[f.relative_to(raw).as_posix(), digests[f]] for f in files],
    }
    blob = json.dumps(payload, sort_keys=True).encode("utf-8")
    return hashlib.sha256(blob).hexdigest(), digests


# --- reading the canonical (demo) folder ------------------------------------------------------


def _read_csv_strict(
    path: Path, columns: Sequence[str], *, optional: Sequence[str] = ()
) -> pd.DataFrame:
    """Read a small CSV as text, checking that the required columns are present."""
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[], encoding="utf-8-sig")
    except (pd.errors.ParserError, UnicodeDecodeError) as exc:
        raise DataFileError(path, f"cannot be read as CSV: {exc}") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataFileError(
            path,
            f"missing column(s) {', '.join(missing)}",
            line=1,
            expected=", ".join(columns)
            + (f" (optional: {', '.join(optional)})" if optional else ""),
            found=", ".join(df.columns),
        )
    return df


def _numbers(
    df: pd.DataFrame, column: str, path: Path, *, integer: bool = False, lo=None, hi=None
) -> np.ndarray:
    """Parse a text column strictly; the first bad cell is an error naming line and column."""
    text = df[column].str.strip()
    values = pd.to_numeric(text, errors="coerce").to_numpy(dtype=float)
    bad = ~np.isfinite(values)
    if integer:
        bad |= np.isfinite(values) & (values != np.round(values))
    if lo is not None:
        bad |= values < lo
    if hi is not None:
        bad |= values > hi
    if bad.any():
        i = int(np.flatnonzero(bad)[0])
        what = "an integer" if integer else "a finite number"
        if lo is not None or hi is not None:
            what += f" in [{lo}, {hi}]"
        raise DataFileError(
            path, "bad value", line=i + 2, column=column, expected=what, found=text.iat[i]
        )
    return values


def _codes(df: pd.DataFrame, column: str, path: Path) -> None:
    s = df[column].str.strip()
    bad = ~s.str.fullmatch(r"[A-Z0-9]{3}")
    if bad.any():
        i = int(np.flatnonzero(bad.to_numpy())[0])
        raise DataFileError(
            path,
            "bad country code",
            line=i + 2,
            column=column,
            expected="a 3-letter code",
            found=s.iat[i],
        )


def _read_indicators(path: Path) -> pd.DataFrame:
    df = _read_csv_strict(path, _CANONICAL)
    _codes(df, "iso3", path)
    empty = df["indicator"].str.strip() == ""
    if empty.any():
        i = int(np.flatnonzero(empty.to_numpy())[0])
        raise DataFileError(path, "empty indicator code", line=i + 2, column="indicator")
    out = pd.DataFrame(
        {
            "iso3": df["iso3"].str.strip(),
            "indicator": df["indicator"].str.strip(),
            "year": _numbers(df, "year", path, integer=True, lo=1900, hi=2100).astype("int64"),
            "value": _numbers(df, "value", path),
            "source": df["source"],
        }
    )
    dup = out.duplicated(_KEYS, keep=False)
    if dup.any():
        first, second = np.flatnonzero(dup.to_numpy())[:2]
        r = out.iloc[first]
        raise DataFileError(
            path,
            f"duplicate row for {r['iso3']} {r['indicator']} {r['year']} "
            f"(lines {first + 2} and {second + 2})",
            line=int(second) + 2,
        )
    return out


def _read_ratings(path: Path) -> pd.DataFrame:
    df = _read_csv_strict(path, RATING_COLUMNS[:4], optional=RATING_COLUMNS[4:])
    _codes(df, "iso3", path)
    for col, valid in (("stakeholder", STAKEHOLDERS), ("enabler", ENABLERS)):
        bad = ~df[col].isin(list(valid))
        if bad.any():
            i = int(np.flatnonzero(bad.to_numpy())[0])
            raise DataFileError(
                path,
                f"unknown {col}",
                line=i + 2,
                column=col,
                expected=", ".join(valid),
                found=df[col].iat[i],
            )
    lo, hi = RATING_RANGE
    out = pd.DataFrame(
        {
            "iso3": df["iso3"].str.strip(),
            "stakeholder": df["stakeholder"],
            "enabler": df["enabler"],
            "rating": _numbers(df, "rating", path, lo=lo, hi=hi),
        }
    )
    out["year"] = (
        _numbers(df, "year", path, integer=True, lo=1900, hi=2100).astype("int64")
        if "year" in df
        else pd.array([pd.NA] * len(df), dtype="Int64")
    )
    out["respondents"] = (
        _numbers(df, "respondents", path, integer=True, lo=1).astype("int64")
        if "respondents" in df
        else pd.array([pd.NA] * len(df), dtype="Int64")
    )
    return out


@dataclass(frozen=True)
class _Source:
    """What one raw folder contributed."""

    folder: str
    data: pd.DataFrame  # canonical + is_aggregate + _file
    indicators: pd.DataFrame
    countries: pd.DataFrame  # COUNTRY_COLUMNS
    ratings: pd.DataFrame | None
    warnings: tuple[str, ...] = ()


def read_canonical_folder(folder: str | Path) -> _Source:
    """Read a canonical folder (``indicators.csv`` + companions), e.g. ``data/raw/demo``."""
    folder = Path(folder)
    path = folder / "indicators.csv"
    data = _read_indicators(path)
    meta_path = folder / "indicators_meta.csv"
    if meta_path.is_file():
        meta = _read_csv_strict(meta_path, INDICATOR_COLUMNS)[list(INDICATOR_COLUMNS)]
    else:
        meta = pd.DataFrame(
            {
                "indicator": sorted(data["indicator"].unique()),
                "name": pd.NA,
                "unit": pd.NA,
                "source": pd.NA,
            }
        )
    countries = pd.DataFrame(columns=list(COUNTRY_COLUMNS))
    c_path = folder / "countries.csv"
    if c_path.is_file():
        c = _read_csv_strict(c_path, _DEMO_COUNTRY)
        _codes(c, "iso3", c_path)
        countries = c[list(_DEMO_COUNTRY)].assign(is_aggregate=False, is_demo=folder.name == "demo")
        unknown = sorted(set(data["iso3"]) - set(countries["iso3"]))
        if unknown:
            raise DataFileError(
                path,
                f"codes not listed in {c_path.name}: {', '.join(unknown[:10])}",
                column="iso3",
            )
    r_path = folder / "expert_ratings.csv"
    ratings = _read_ratings(r_path) if r_path.is_file() else None
    data = data.assign(is_aggregate=False, _file=str(path))
    return _Source(folder.name, data, meta, countries, ratings)


# --- reading other folders through innolab.sources --------------------------------------------


def _folder_options(path: Path) -> dict:
    """Options for :func:`innolab.sources.load` from a folder's ``source.yaml``."""
    opts = read_document(path, what="source options") or {}
    if not isinstance(opts, dict):
        raise DataFileError(path, "must be a mapping", expected=", ".join(_OPTION_KEYS))
    unknown = sorted(set(map(str, opts)) - set(_OPTION_KEYS))
    if unknown:
        raise DataFileError(
            path, f"unknown option(s) {', '.join(unknown)}", expected=", ".join(_OPTION_KEYS)
        )
    mapping = opts.get("mapping")
    if isinstance(mapping, str) and (path.parent / mapping).is_file():
        opts["mapping"] = str(path.parent / mapping)
    return opts


def _read_loader_folder(folder: Path, files: list[Path]) -> _Source:
    try:
        from . import sources
    except ImportError as exc:  # pragma: no cover - innolab.sources ships with innolab
        raise DataFileError(
            folder, f"cannot read this source folder: innolab.sources unavailable ({exc})"
        ) from None
    load = getattr(sources, "load", None)
    if load is None:
        raise DataFileError(
            folder, "cannot read this source folder: innolab.sources.load is not available"
        )
    detect = getattr(sources, "detect_format", None)
    read_ratings = getattr(sources, "read_expert_ratings", None)
    options_file = folder / _OPTIONS_FILE
    options = _folder_options(options_file) if options_file.is_file() else {}
    rating_files, data_files = [], []
    for f in files:
        if f.name in _COMPANIONS or f == options_file or str(f) == options.get("mapping"):
            continue  # read by the loader beside its data file, or an option file
        fmt = None
        if detect is not None and read_ratings is not None:
            with contextlib.suppress(Exception):
                fmt = detect(f)
        (rating_files if fmt == "expert-ratings" else data_files).append(f)
    ratings = None
    if rating_files:
        ratings = pd.concat(
            [_ratings_frame(read_ratings(f)) for f in rating_files], ignore_index=True
        )
    empty = pd.DataFrame(columns=[*_CANONICAL, "is_aggregate", "_file"])
    if not data_files:
        return _Source(folder.name, empty, pd.DataFrame(columns=list(INDICATOR_COLUMNS)),
                       pd.DataFrame(columns=list(COUNTRY_COLUMNS)), ratings)  # fmt: skip
    options.setdefault("format", "auto")
    res = load(
        [str(f) for f in data_files] if len(data_files) > 1 else str(data_files[0]), **options
    )
    data = res.data.loc[:, list(_CANONICAL)].copy()
    aggregates = res.aggregate_codes() if hasattr(res, "aggregate_codes") else frozenset()
    data["is_aggregate"] = data["iso3"].isin(aggregates)
    if len(data_files) == 1:
        data["_file"] = str(data_files[0])
    else:  # the loader's source column names the file each value comes from
        data["_file"] = f"{folder}: " + data["source"].astype(str)
    meta = res.indicators.reindex(columns=list(INDICATOR_COLUMNS))
    countries = pd.DataFrame(columns=list(COUNTRY_COLUMNS))
    if res.countries is not None and len(res.countries):
        c = res.countries
        countries = pd.DataFrame(
            {
                "iso3": c["iso3"],
                "name": c.get("name"),
                "itu_region": pd.NA,
                "wb_region": c.get("region"),
                "income_group": c.get("income_group"),
                "is_aggregate": c.get("is_aggregate"),
                "is_demo": False,
            }
        )
        if "vintage" in c:  # keep the latest vintage of each code
            countries = countries.assign(_v=c["vintage"]).sort_values("_v", kind="mergesort")
            countries = countries.drop_duplicates("iso3", keep="last").drop(columns="_v")
    return _Source(folder.name, data, meta, countries, ratings, tuple(getattr(res, "warnings", ())))


def _ratings_frame(df: pd.DataFrame) -> pd.DataFrame:
    return df.reindex(columns=list(RATING_COLUMNS))


# --- combining --------------------------------------------------------------------------------


def _rank(folders: list[str], priority: Sequence[str] | None) -> dict[str, int]:
    """Folder -> rank (0 = most preferred): listed folders first, in the given order."""
    priority = list(priority or [])
    unknown = [p for p in priority if p not in folders]
    if unknown:
        raise ParameterError(
            "priority",
            f"unknown source folder(s) {', '.join(unknown)}; folders: {', '.join(folders)}",
        )
    rest = [f for f in folders if f not in priority]
    return {f: n for n, f in enumerate([*priority, *rest])}


def _combine_data(sources: list[_Source], priority: Sequence[str] | None) -> pd.DataFrame:
    """Stack all sources; resolve duplicates (equal: keep one; different: priority or error)."""
    frames = [s.data.assign(_folder=s.folder) for s in sources if len(s.data)]
    if not frames:
        return pd.DataFrame(columns=list(PANEL_COLUMNS))
    ranks = _rank([s.folder for s in sources], priority)
    listed = set(priority or [])
    allrows = pd.concat(frames, ignore_index=True)
    allrows["_rank"] = allrows["_folder"].map(ranks)
    allrows = allrows.sort_values([*_KEYS, "_rank"], kind="mergesort")
    dup = allrows.duplicated(_KEYS, keep=False)
    if dup.any():
        d = allrows.loc[dup]
        best = d.groupby(_KEYS, sort=False)["value"].transform("first")
        differs = ~np.isclose(d["value"].to_numpy(float), best.to_numpy(float), rtol=1e-9, atol=0.0)
        if differs.any():
            bad = d.loc[differs]
            for _, row in bad.iterrows():
                key = (row["iso3"], row["indicator"], row["year"])
                first = d[
                    (d["iso3"] == key[0]) & (d["indicator"] == key[1]) & (d["year"] == key[2])
                ].iloc[0]
                resolvable = first["_folder"] in listed and first["_folder"] != row["_folder"]
                if not resolvable:
                    n = int(differs.sum())
                    raise DataFileError(
                        row["_file"],
                        f"conflicting values for {key[0]} {key[1]} {key[2]}: {row['value']!r} here "
                        f"and {first['value']!r} in {first['_file']} ({n} conflicting value(s) in "
                        f"all); remove one source or set a source priority (--prefer FOLDER)",
                    )
        allrows = allrows.drop_duplicates(_KEYS, keep="first")
    out = allrows.loc[:, list(PANEL_COLUMNS)].sort_values(_KEYS, kind="mergesort")
    out = out.reset_index(drop=True)
    out["year"] = out["year"].astype("int64")
    out["value"] = out["value"].astype("float64")
    out["is_aggregate"] = out["is_aggregate"].astype(bool)
    return out


def _combine_meta(
    sources: list[_Source], priority: Sequence[str] | None, codes: set[str]
) -> pd.DataFrame:
    ranks = _rank([s.folder for s in sources], priority)
    frames = [s.indicators.assign(_rank=ranks[s.folder]) for s in sources if len(s.indicators)]
    meta = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=[*INDICATOR_COLUMNS, "_rank"])
    )
    meta = meta.sort_values(["_rank"], kind="mergesort").drop_duplicates("indicator", keep="first")
    missing = sorted(codes - set(meta["indicator"]))
    if missing:
        meta = pd.concat([meta, pd.DataFrame({"indicator": missing})], ignore_index=True)
    meta = meta.loc[:, list(INDICATOR_COLUMNS)].sort_values("indicator", kind="mergesort")
    return meta.reset_index(drop=True).astype({c: "object" for c in INDICATOR_COLUMNS})


def _reference_countries() -> pd.DataFrame | None:
    """innolab.countries' table of real economies and aggregates, when available."""
    try:
        from . import countries as ref
    except ImportError:
        return None
    table = getattr(ref, "country_table", None)
    if table is None:
        return None
    df = table(include_demo=False)
    return df.reindex(columns=list(COUNTRY_COLUMNS))


def _combine_countries(
    sources: list[_Source], panel: pd.DataFrame, ratings: pd.DataFrame | None
) -> pd.DataFrame:
    codes = set(panel["iso3"])
    if ratings is not None:
        codes |= set(ratings["iso3"])
    frames = [s.countries for s in sources if len(s.countries)]
    ref = _reference_countries()
    if ref is not None:
        frames.insert(0, ref.assign(is_demo=ref["is_demo"].fillna(False)))
    known = (
        pd.concat(frames, ignore_index=True)
        if frames
        else pd.DataFrame(columns=list(COUNTRY_COLUMNS))
    )
    known = known.loc[known["iso3"].isin(codes)]
    # per code: the first non-missing value of every field (reference table first)
    known = known.groupby("iso3", sort=True).first().reset_index()
    missing = sorted(codes - set(known["iso3"]))
    if missing:
        known = pd.concat([known, pd.DataFrame({"iso3": missing})], ignore_index=True)
    agg = panel.groupby("iso3")["is_aggregate"].any() if len(panel) else pd.Series(dtype=bool)
    known = known.set_index("iso3")
    flag = agg.reindex(known.index)
    known["is_aggregate"] = (
        flag.where(flag.notna(), known["is_aggregate"]).fillna(False).astype(bool)
    )
    known["is_demo"] = known["is_demo"].fillna(False).astype(bool)
    out = known.reset_index().loc[:, list(COUNTRY_COLUMNS)].sort_values("iso3", kind="mergesort")
    text = ["iso3", "name", "itu_region", "wb_region", "income_group"]
    return out.reset_index(drop=True).astype({c: "object" for c in text})


def _combine_ratings(sources: list[_Source]) -> pd.DataFrame | None:
    frames = [s.ratings for s in sources if s.ratings is not None and len(s.ratings)]
    if not frames:
        return None
    r = pd.concat(frames, ignore_index=True).loc[:, list(RATING_COLUMNS)]
    keys = ["iso3", "stakeholder", "enabler", "year"]
    dup = r.duplicated(keys, keep=False)
    if dup.any():
        row = r.loc[dup].iloc[0]
        raise DataFileError(
            None,
            f"expert ratings for {row['iso3']} {row['stakeholder']} x {row['enabler']} "
            f"{row['year']} appear in more than one source",
        )
    r = r.sort_values(keys, kind="mergesort").reset_index(drop=True)
    return r.astype({"year": "Int64", "respondents": "Int64", "rating": "float64"})


# --- the build --------------------------------------------------------------------------------


def _display(p: Path) -> str:
    try:
        return p.resolve().relative_to(config.PROJECT_ROOT).as_posix()
    except ValueError:
        return str(p)


def _record(path: Path, folder: str, digest: str) -> dict:
    """Provenance of one input (as :func:`innolab.io.source_record`, without re-hashing)."""
    stat = path.stat()
    retrieved = _dt.datetime.fromtimestamp(stat.st_mtime, tz=_dt.UTC).date().isoformat()
    return {
        "path": _display(path),
        "sha256": digest,
        "bytes": stat.st_size,
        "source": folder,
        "retrieved": retrieved,
    }


def _up_to_date(out: Path, fingerprint: str) -> list[str] | None:
    """The outputs of the last build if they were built from this input set and are intact."""
    panel = read_provenance(out / OUTPUTS[0]) if (out / OUTPUTS[0]).exists() else None
    if not panel or panel.get("input_fingerprint") != fingerprint:
        return None
    names = list(panel.get("outputs") or OUTPUTS[:3])
    for name in names:
        target = out / name
        prov = read_provenance(target) if target.exists() else None
        if not prov or prov.get("input_fingerprint") != fingerprint:
            return None
        if prov.get("sha256") != sha256_file(target):
            return None
    return names


def build(
    raw: str | Path | None = None,
    out: str | Path | None = None,
    *,
    force: bool = False,
    priority: Sequence[str] | None = None,
) -> BuildReport:
    """Build ``data/processed/`` from ``data/raw/``.

    Parameters
    ----------
    raw, out : path, optional
        Raw and processed folders (default :data:`innolab.config.RAW_DIR` and
        :data:`~innolab.config.PROCESSED_DIR`).
    force : bool
        Rebuild even when the inputs are unchanged.
    priority : sequence of str, optional
        Source folder names, most preferred first: where two sources disagree on a value,
        the better-ranked folder wins instead of the build failing.

    Returns
    -------
    BuildReport
        ``skipped=True`` when nothing had to be done.

    Raises
    ------
    DataFileError
        A raw file cannot be read, or two sources disagree (naming both files).
    """
    raw = Path(raw) if raw is not None else config.RAW_DIR
    out = Path(out) if out is not None else config.PROCESSED_DIR
    priority = [str(p) for p in priority] if priority else []
    folders = source_folders(raw)
    if not folders:
        raise DataFileError(raw, "no source folder with data files", expected="e.g. data/raw/demo/")
    _rank([f.name for f in folders], priority)  # unknown priority names fail early
    per_folder = {f: input_files(f) for f in folders}
    files = [p for f in folders for p in per_folder[f]]
    fingerprint, digests = input_fingerprint(raw, files, priority=priority)
    done = None if force else _up_to_date(out, fingerprint)
    if done is not None:
        return BuildReport(
            out, True, tuple(out / n for n in done), tuple(map(_display, files)), fingerprint
        )

    sources = [
        read_canonical_folder(f)
        if _is_canonical_folder(f)
        else _read_loader_folder(f, per_folder[f])
        for f in folders
    ]
    panel = _combine_data(sources, priority)
    ratings = _combine_ratings(sources)
    indicators = _combine_meta(sources, priority, set(panel["indicator"]))
    countries = _combine_countries(sources, panel, ratings)
    tables = {
        "panel.parquet": panel,
        "indicators.parquet": indicators,
        "countries.parquet": countries,
    }
    if ratings is not None:
        tables["expert_ratings.parquet"] = ratings

    records = [_record(p, f.name, digests[p]) for f in folders for p in per_folder[f]]
    suspicious = _suspicious(panel, indicators)
    extra = {
        "input_fingerprint": fingerprint,
        "priority": priority,
        "raw_dir": _display(raw),
        "warnings": [w for s in sources for w in s.warnings] + _plausibility_lines(suspicious),
        "suspicious": json.loads(suspicious.head(1000).to_json(orient="records")),
        "outputs": list(tables),
    }
    written = _install(out, tables, records, extra)
    econ = panel.loc[~panel["is_aggregate"], "iso3"].nunique()
    return BuildReport(
        out,
        False,
        written,
        tuple(map(_display, files)),
        fingerprint,
        n_rows=len(panel),
        n_economies=int(econ),
        n_aggregates=int(panel.loc[panel["is_aggregate"], "iso3"].nunique()),
        n_indicators=int(panel["indicator"].nunique()),
        warnings=tuple(extra["warnings"]),
    )


def _suspicious(panel: pd.DataFrame, indicators: pd.DataFrame) -> pd.DataFrame:
    """Values that are legal but suspicious for their indicator's unit (audit rows)."""
    from .scoring.plausibility import tidy_plausibility

    units = dict(zip(indicators["indicator"], indicators["unit"].fillna(""), strict=True))
    return tidy_plausibility(panel, units)


def _plausibility_lines(audit: pd.DataFrame) -> list[str]:
    from .scoring.plausibility import plausibility_warnings

    return plausibility_warnings(audit)


def _install(
    out: Path, tables: dict[str, pd.DataFrame], records: list[dict], extra: dict
) -> tuple[Path, ...]:
    """Write every table and sidecar into a staging folder, then move them into ``out``."""
    out.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".build-", dir=out))
    try:
        for name, df in tables.items():
            target = staging / name
            write_table(df, target)
            prov_extra = dict(extra, rows=len(df), columns=list(df.columns))
            write_provenance(target, records, **prov_extra)
        written = []
        for name in tables:
            os.replace(staging / name, out / name)
            os.replace(provenance_path(staging / name), provenance_path(out / name))
            written.append(out / name)
        for name in OUTPUTS:  # outputs of an earlier build that this input set no longer has
            if name not in tables:
                for stale in (out / name, provenance_path(out / name)):
                    with contextlib.suppress(FileNotFoundError):
                        stale.unlink()
        return tuple(written)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
