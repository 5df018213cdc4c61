"""Expert ratings from national workshops: stakeholder × enabler scores 1–5 per economy.

ITU ecosystem reviews ask experts of the six stakeholder groups to rate the seven enabler
blocks of the Ecosystem Assessment Canvas (``../shared/METHOD.md`` §1). Two layouts are read
from CSV or XLSX:

* **long**: ``iso3`` (or ``country``), ``stakeholder``, ``enabler``, ``rating``, optional
  ``year`` and ``respondents``;
* **wide**: ``iso3`` (or ``country``), ``stakeholder``, optional ``year``/``respondents``,
  and one column per enabler (codes such as ``vision_strategy`` or labels such as
  ``Vision & Strategy``).

Stakeholders and enablers may be written as codes or labels (case, ``&``/``and``, spaces,
hyphens and underscores do not matter); anything else is an error listing the valid ones.
Ratings must be numbers in [1, 5] (workshop means such as 3.5 are fine); an empty cell means
"not rated". The same (economy, stakeholder, enabler, year) rated twice with different values
is an error naming both lines.
"""

from __future__ import annotations

import re
from pathlib import Path

import pandas as pd

from ..ecosystem import ENABLERS, RATING_RANGE, STAKEHOLDERS
from ..errors import DataFileError
from .base import parse_number, resolve_countries, warn_all
from .table import read_rows

__all__ = ["read_expert_ratings", "ratings_layout", "normalise_label"]

_META = ("iso3", "country", "stakeholder", "enabler", "rating", "year", "respondents")


def normalise_label(text: str) -> str:
    """Comparable form of a code or label: lower case, ``&`` -> ``and``, one separator.

    >>> normalise_label("Vision & Strategy") == normalise_label("vision_and_strategy")
    True
    """
    t = str(text).strip().lower().replace("&", " and ")
    return re.sub(r"[\s_\-/]+", " ", t).strip()


def _lookup(vocab: dict[str, str]) -> dict[str, str]:
    out = {}
    for code, label in vocab.items():
        out[normalise_label(code)] = code
        out[normalise_label(label)] = code
    # codes drop "and": vision_strategy == "Vision & Strategy"
    for code, label in vocab.items():
        out[normalise_label(label).replace(" and ", " ")] = code
    return out


_STAKEHOLDERS = _lookup(STAKEHOLDERS)
_ENABLERS = _lookup(ENABLERS)


def _valid(vocab: dict[str, str]) -> str:
    return ", ".join(f"{c} ({lbl})" for c, lbl in vocab.items())


def ratings_layout(header: list[str]) -> str | None:
    """``"long"``, ``"wide"`` or None (not a ratings table) from a header row."""
    h = {normalise_label(c) for c in header}
    if "stakeholder" not in h or not ({"iso3", "country"} & h):
        return None
    if {"enabler", "rating"} <= h:
        return "long"
    if any(c in _ENABLERS for c in h):
        return "wide"
    return None


def read_expert_ratings(
    path: str | Path, *, sheet: str | int | None = None, year: int | None = None
) -> pd.DataFrame:
    """Read and validate expert ratings (long or wide layout, CSV or XLSX).

    Parameters
    ----------
    path : path
        The ratings file.
    sheet : str or int, optional
        XLSX sheet (name or 0-based index); default the first, or the only other sheet
        laid out as ratings when the first is not (a note in ``attrs["warnings"]`` says so).
    year : int, optional
        Year to give ratings when the file has no year column.

    Returns
    -------
    DataFrame
        ``iso3, stakeholder, enabler, rating`` (+ ``year``, ``respondents`` when known),
        stakeholder and enabler as codes of :data:`innolab.ecosystem.STAKEHOLDERS` /
        :data:`~innolab.ecosystem.ENABLERS`, sorted by economy then vocabulary order.
    """
    notes: list[str] = []
    where, header_line, header, records, delimiter = read_rows(
        path, notes, sheet=sheet, accept=lambda h: ratings_layout(h) is not None
    )
    norm = [normalise_label(h) for h in header]
    layout = ratings_layout(header)
    if layout is None:
        raise DataFileError(
            where,
            "not an expert-ratings table",
            line=header_line,
            found=[h for h in header if h][:12],
            expected="columns iso3 (or country), stakeholder and either enabler + rating "
            "(long) or one column per enabler (wide): " + ", ".join(ENABLERS),
        )
    col = {n: i for i, n in enumerate(norm)}
    by_codes = "iso3" in col
    ccol = col["iso3"] if by_codes else col["country"]
    enabler_cols: list[tuple[int, str]] = []
    if layout == "wide":
        for i, n in enumerate(norm):
            if n in _ENABLERS:
                enabler_cols.append((i, _ENABLERS[n]))
            elif n and n not in _META:
                raise DataFileError(
                    where,
                    "unknown enabler column",
                    line=header_line,
                    column=header[i],
                    expected="one of " + _valid(ENABLERS),
                )
    rows = []
    for line, rec in records:
        cells = list(rec) + [None] * (len(header) - len(rec))
        if not any(c is not None and str(c).strip() for c in cells):
            continue
        if delimiter is not None and len(rec) != len(header):
            raise DataFileError(
                where, f"expected {len(header)} fields, found {len(rec)}", line=line
            )

        def cell(name: str, cells=cells):
            return cells[col[name]] if name in col else None

        sh_raw = str(cell("stakeholder") or "").strip()
        sh = _STAKEHOLDERS.get(normalise_label(sh_raw))
        if sh is None:
            raise DataFileError(
                where,
                "unknown stakeholder",
                line=line,
                column=header[col["stakeholder"]],
                found=sh_raw,
                expected="one of " + _valid(STAKEHOLDERS),
            )
        yv = cell("year")
        y = year
        if yv is not None and str(yv).strip():
            ytext = str(int(yv)) if isinstance(yv, float) and yv.is_integer() else str(yv).strip()
            if not re.fullmatch(r"\d{4}", ytext):
                raise DataFileError(
                    where, "not a year", line=line, column=header[col["year"]], found=yv
                )
            y = int(ytext)
        rv = cell("respondents")
        resp = None
        if rv is not None and str(rv).strip():
            r = parse_number(rv, path=where, line=line, column=header[col["respondents"]])
            if not (r >= 1 and float(r).is_integer()):
                raise DataFileError(
                    where,
                    "respondents must be a whole number >= 1",
                    line=line,
                    column=header[col["respondents"]],
                    found=rv,
                )
            resp = int(r)
        if layout == "long":
            en_raw = str(cell("enabler") or "").strip()
            en = _ENABLERS.get(normalise_label(en_raw))
            if en is None:
                raise DataFileError(
                    where,
                    "unknown enabler",
                    line=line,
                    column=header[col["enabler"]],
                    found=en_raw,
                    expected="one of " + _valid(ENABLERS),
                )
            items = [(en, cell("rating"), header[col["rating"]])]
        else:
            items = [(en, cells[i], header[i]) for i, en in enabler_cols]
        country = str(cells[ccol] or "").strip()
        if not country:
            raise DataFileError(where, "row without a country", line=line, column=header[ccol])
        for en, raw, colname in items:
            rating = parse_number(raw, path=where, line=line, column=colname)
            if rating != rating:  # empty: not rated
                continue
            lo, hi = RATING_RANGE
            if not lo <= rating <= hi:
                raise DataFileError(
                    where,
                    "rating outside the scale",
                    line=line,
                    column=colname,
                    found=raw,
                    expected=f"a number from {lo:g} to {hi:g}",
                )
            rows.append((line, country, sh, en, rating, y, resp))
    if not rows:
        raise DataFileError(where, "no ratings in the file", line=header_line)
    first_line: dict[str, int] = {}
    for r in rows:
        first_line.setdefault(r[1], r[0])
    iso = resolve_countries(
        list(first_line), path=where, column=header[ccol], lines=first_line, codes=by_codes
    )
    df = pd.DataFrame(
        rows,
        columns=["_line", "country", "stakeholder", "enabler", "rating", "year", "respondents"],
    )
    df.insert(0, "iso3", df["country"].map(iso))
    keys = ["iso3", "stakeholder", "enabler", "year"]
    dup = df.duplicated(keys, keep=False)
    if dup.any():
        for _key, grp in df[dup].groupby(keys, dropna=False, sort=False):
            if grp["rating"].nunique() > 1:
                a, b = grp.iloc[0], grp[grp["rating"] != grp["rating"].iloc[0]].iloc[0]
                raise DataFileError(
                    where,
                    f"{a['iso3']} {a['stakeholder']} × {a['enabler']} rated twice: "
                    f"{a['rating']:g} here and {b['rating']:g} on line {b['_line']}",
                    line=int(a["_line"]),
                    expected="one rating per economy, stakeholder, enabler and year",
                )
        notes.append(
            f"{where}: {int(df.duplicated(keys).sum())} repeated identical rating(s) dropped"
        )
        df = df[~df.duplicated(keys)]
    sh_order = {c: i for i, c in enumerate(STAKEHOLDERS)}
    en_order = {c: i for i, c in enumerate(ENABLERS)}
    df = df.assign(_s=df["stakeholder"].map(sh_order), _e=df["enabler"].map(en_order))
    df = df.sort_values(["iso3", "year", "_s", "_e"], kind="stable", na_position="first")
    cols = ["iso3", "stakeholder", "enabler", "rating"]
    if df["year"].notna().any():
        if df["year"].isna().any():
            bad = df[df["year"].isna()].iloc[0]
            raise DataFileError(
                where,
                "some rows have a year and others none",
                line=int(bad["_line"]),
                column="year",
            )
        df["year"] = df["year"].astype("int64")
        cols.append("year")
    if df["respondents"].notna().any():
        df["respondents"] = df["respondents"].astype("Int64")
        cols.append("respondents")
    out = df[cols].reset_index(drop=True)
    for c in ("iso3", "stakeholder", "enabler"):
        out[c] = out[c].astype(str)
    out["rating"] = out["rating"].astype("float64")
    out.attrs["warnings"] = tuple(notes)
    warn_all(notes)
    return out
