"""Country reference: ISO3 codes from any spelling, and World Bank / ITU-D groupings by vintage.

Every source innolab reads names economies its own way: the World Bank writes "Korea, Rep.",
"Egypt, Arab Rep." and "Gambia, The"; UN and ISO lists write "Netherlands (the)" and
"Bolivia (Plurinational State of)"; GII and ITU files write "Viet Nam", "Republic of Moldova",
"Hong Kong, China"; the World Bank API uses ISO2 codes (``NA`` is Namibia) and its own codes for
Kosovo (``XKX``/``XK``), the Channel Islands (``CHI``/``JG``) and aggregates (``WLD``/``1W``).
:func:`to_iso3` turns all of them into one code per economy, and never guesses: a name that
could mean two economies ("Congo", "Korea") or that matches nothing is an
:class:`~innolab.errors.UnknownCountryError` listing *every* such value with near matches.

The reference data ship with the package (``innolab/data``; see ``innolab/data/COUNTRIES.md``):

``countries.csv``
    One row per economy that ISO 3166-1 or the World Bank knows (249 ISO codes, the World
    Bank codes ``XKX`` and ``CHI``) plus 57 World Bank aggregates (``is_aggregate``):
    ``iso3, iso2, name, itu_region, wb_region, income_group, is_aggregate, note``. ``name`` is
    the World Bank's short name (ISO's for economies the Bank does not list).
``country_aliases.csv``
    Other spellings (``alias, iso3``); ``iso3`` holds several codes separated by ``|`` for a
    name that is ambiguous on purpose ("Congo" -> ``COG|COD``).
``country_vintages.csv``
    Which vintage the group columns of ``countries.csv`` are (``scheme, vintage, label,
    source``).

Groupings
---------
``itu_region``
    The six ITU-D (BDT) regions ``AFR`` Africa, ``AMS`` Americas, ``ARB`` Arab States, ``ASP``
    Asia & Pacific, ``CIS`` Commonwealth of Independent States, ``EUR`` Europe, for the 193 ITU
    Member States only; territories, Hong Kong/Macao (part of China in ITU), Palau and Kosovo
    (not members) and Palestine (an observer) have none. Source of truth: the BDT list used in
    ITU Facts and Figures and the ITU DataHub 2023-2025: CIS = Armenia, Azerbaijan, Belarus,
    Kazakhstan, Kyrgyzstan, Russian Federation, Tajikistan, Turkmenistan, Uzbekistan; Georgia,
    Moldova and Ukraine are in Europe (older BDT lists, e.g. the 2017 IDI, had them in CIS:
    register such a vintage with :func:`add_classification`); Iran is in Asia & Pacific; Israel,
    Cyprus and Türkiye in Europe; the 21 Arab States are the Arab League members.
``wb_region``
    The seven World Bank regions, FY2026 names (Afghanistan and Pakistan moved from South Asia
    to "Middle East, North Africa, Afghanistan & Pakistan" on 1 July 2025).
``income_group``
    "Low income", "Lower middle income", "Upper middle income", "High income" (FY2026, on 2024
    GNI per capita); Venezuela has been unclassified since FY2022 (missing value).

Vintages
--------
A vintage is the **data year** a classification is used for: vintage ``Y`` is the list the
World Bank applies to data of calendar year ``Y``, i.e. the FY(``Y`` + 2) list released on
1 July of ``Y`` + 1 and computed from GNI per capita of ``Y`` (the World Bank's historical
classification file is indexed the same way). So the shipped FY2026 list is vintage 2024,
a Metadata_Country file of late 2024 (FY2025) is vintage 2023, and a study of 2019 data
asks for ``classification("income_group", vintage=2019)``. Other vintages are registered at run
time from files with :func:`add_classification`; :func:`classification` returns the nearest
vintage at or before the requested one and records which one it used in ``Series.attrs``.

Name matching
-------------
:func:`normalise_name` folds case, strips accents, deletes apostrophes, turns ``&`` into
"and", punctuation into spaces, expands ``St.``/``Rep.``/``Dem.``/``Fed.``/``Sts.`` and drops
"the", "of" and "and". A value is then looked up as (1) a code (ISO3, ISO2, World Bank code,
any case), (2) a normalised name or alias, (3) the same words in any order ("Moldova,
Republic of" = "Republic of Moldova"), (4) the part outside and inside parentheses
("Myanmar (ex-Burma)"), which must agree. Text decoded with the wrong encoding
("CÃ´te d'Ivoire", UTF-8 read as cp1252) is **not** repaired silently: it is reported as
unknown with a hint to re-read the file as UTF-8, because a file with one mis-decoded name
has others in its values too.

Codes read from files
---------------------
:func:`check_codes` is the strict check every loader applies to a column that already holds
codes (World Bank files, canonical tables): only ISO3 and World Bank codes of the reference
table (economies and aggregates) and demo economies pass; former World Bank codes (``KSV``,
``ROM``, ``WBG``, ``ZAR``, ``TMP``, ``ADO``, ``IMY``) are renamed to the current ones; any other
well-formed code is an :class:`~innolab.errors.UnknownCountryError` with near matches (the
economy named on the same row first, then similar codes), never imported as is.

Demo economies
--------------
When ``config.DEMO_DIR / "countries.csv"`` exists (fictional economies with ISO user-assigned
codes such as ``XAA``), :func:`country_table`, :func:`to_iso3` and :func:`classification`
include them (``is_demo``); their groups hold for every vintage.

Tables are read once per process (cached) and never at import time.
"""

from __future__ import annotations

import os
import re
import unicodedata
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from difflib import get_close_matches
from functools import lru_cache
from pathlib import Path

import pandas as pd

from . import config
from .errors import (
    CoverageError,
    DataFileError,
    ParameterError,
    UnknownCountryError,
)

__all__ = [
    "AGGREGATE_CODES",
    "SCHEMES",
    "ITU_REGIONS",
    "INCOME_GROUPS",
    "WB_REGIONS",
    "normalise_name",
    "country_table",
    "to_iso3",
    "country_names",
    "is_aggregate",
    "CodeCheck",
    "check_codes",
    "classification",
    "classification_vintages",
    "classifications",
    "classification_from_table",
    "add_classification",
    "reset_classifications",
]

#: Codes of World Bank aggregates (regions, income and lending groups, World, ...): a frozenset
#: built from ``countries.csv`` on first access (module ``__getattr__``), not at import.
AGGREGATE_CODES: frozenset[str]

#: The classification schemes :func:`classification` knows.
SCHEMES: tuple[str, ...] = ("itu_region", "wb_region", "income_group")

#: ITU-D (BDT) region codes and their names.
ITU_REGIONS: dict[str, str] = {
    "AFR": "Africa",
    "AMS": "Americas",
    "ARB": "Arab States",
    "ASP": "Asia & Pacific",
    "CIS": "Commonwealth of Independent States",
    "EUR": "Europe",
}

#: World Bank income groups, low to high.
INCOME_GROUPS: tuple[str, ...] = (
    "Low income",
    "Lower middle income",
    "Upper middle income",
    "High income",
)

#: The seven World Bank regions, FY2026 names.
WB_REGIONS: tuple[str, ...] = (
    "East Asia & Pacific",
    "Europe & Central Asia",
    "Latin America & Caribbean",
    "Middle East, North Africa, Afghanistan & Pakistan",
    "North America",
    "South Asia",
    "Sub-Saharan Africa",
)

_COUNTRY_COLUMNS = (
    "iso3",
    "iso2",
    "name",
    "itu_region",
    "wb_region",
    "income_group",
    "is_aggregate",
    "note",
)
_DEMO_COLUMNS = ("iso3", "name", "itu_region", "wb_region", "income_group")
_LONG_COLUMNS = ["iso3", "scheme", "vintage", "group", "source"]
# ISO 3166-1 reserves these alpha-3 ranges for user assignment (XKX is the World Bank's Kosovo).
_USER_ASSIGNED = re.compile(r"^(AA[A-Z]|Q[M-Z][A-Z]|X[A-Z]{2}|ZZ[A-Z])$")

# Spellings of group labels seen in World Bank files of several vintages and in the API.
_INCOME_LABELS: dict[str, str] = {
    "low income": "Low income",
    "l": "Low income",
    "lic": "Low income",
    "lower middle income": "Lower middle income",
    "lower-middle income": "Lower middle income",
    "lm": "Lower middle income",
    "lmc": "Lower middle income",
    "upper middle income": "Upper middle income",
    "upper-middle income": "Upper middle income",
    "um": "Upper middle income",
    "umc": "Upper middle income",
    "high income": "High income",
    "high income: oecd": "High income",
    "high income: nonoecd": "High income",
    "high income: non-oecd": "High income",
    "h": "High income",
    "hic": "High income",
    "oec": "High income",
    "noc": "High income",
}
_UNCLASSIFIED = {"", "not classified", "unclassified", "inx", ".."}
_ITU_LABELS: dict[str, str] = {
    **{code.lower(): code for code in ITU_REGIONS},
    "africa": "AFR",
    "americas": "AMS",
    "the americas": "AMS",
    "arab states": "ARB",
    "asia & pacific": "ASP",
    "asia and pacific": "ASP",
    "asia and the pacific": "ASP",
    "asia-pacific": "ASP",
    "commonwealth of independent states": "CIS",
    "europe": "EUR",
}
# Columns that hold the group in files of the World Bank (WDICountry, Metadata_Country, API).
_GROUP_COLUMNS: dict[str, tuple[str, ...]] = {
    "income_group": ("income_group", "Income Group", "IncomeGroup", "incomeLevel"),
    "wb_region": ("wb_region", "region", "Region"),
    "itu_region": ("itu_region",),
}
_CODE_COLUMNS = ("iso3", "Country Code", "country_code", "id")


# --- name normalisation ----------------------------------------------------------------------

_APOSTROPHES = str.maketrans("", "", "'\u2019\u2018`\u00b4\u02bc")
_NON_ALNUM = re.compile(r"[^0-9a-z]+")
_ABBREVIATIONS = {
    "st": "saint",
    "ste": "sainte",
    "sts": "states",
    "fed": "federal",
    "federated": "federal",
    "dem": "democratic",
    "rep": "republic",
}
_STOPWORDS = frozenset({"the", "of", "and"})
_BRACKETED = re.compile(r"[(\[]([^)\]]*)[)\]]")


def normalise_name(name: object) -> str:
    """Fold a country name to the key used for matching.

    Case, accents, apostrophes, punctuation, "&"/"and", the words "the" and "of", and the
    abbreviations St./Rep./Dem./Fed./Sts. of World Bank names do not distinguish economies, so
    they are removed or expanded; the remaining words are kept in order.

    >>> normalise_name("Côte d’Ivoire")
    'cote divoire'
    >>> normalise_name("Gambia, The") == normalise_name("gambia (the)")
    True
    >>> normalise_name("St. Kitts & Nevis")
    'saint kitts nevis'
    """
    s = str(name).translate(_APOSTROPHES)
    s = unicodedata.normalize("NFKD", s)
    s = "".join(c for c in s if not unicodedata.combining(c)).casefold()
    s = _NON_ALNUM.sub(" ", s.replace("&", " and "))
    words = (_ABBREVIATIONS.get(w, w) for w in s.split())
    return " ".join(w for w in words if w not in _STOPWORDS)


def _sorted_key(key: str) -> str:
    return " ".join(sorted(key.split()))


# --- reading the tables ----------------------------------------------------------------------


def _read_package_csv(name: str, columns: Iterable[str]) -> pd.DataFrame:
    path = config.PACKAGE_DATA_DIR / name
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8")
    except (OSError, ValueError) as exc:
        raise DataFileError(path, f"cannot read the country reference table ({exc})") from None
    missing = [c for c in columns if c not in df.columns]
    if missing:
        raise DataFileError(path, f"missing columns {missing}", expected=", ".join(columns))
    return df


def _blank_to_na(s: pd.Series) -> pd.Series:
    s = s.str.strip()
    return s.where(s != "")


@lru_cache(maxsize=1)
def _reference() -> pd.DataFrame:
    """countries.csv, validated (codes unique, groups from the allowed sets)."""
    df = _read_package_csv("countries.csv", _COUNTRY_COLUMNS)
    path = config.PACKAGE_DATA_DIR / "countries.csv"
    for col in ("iso3", "iso2"):
        dup = df[col][df[col].duplicated() & (df[col] != "")]
        if len(dup):
            raise DataFileError(path, f"duplicate {col} codes {sorted(set(dup))}", column=col)
    flags = df["is_aggregate"].str.lower()
    bad = ~flags.isin(["true", "false"])
    if bad.any():
        i = int(bad.to_numpy().nonzero()[0][0])
        raise DataFileError(
            path,
            "not a boolean",
            line=i + 2,
            column="is_aggregate",
            found=df["is_aggregate"].iat[i],
            expected="true or false",
        )
    out = df.loc[:, list(_COUNTRY_COLUMNS)].copy()
    out["is_aggregate"] = flags.eq("true")
    for col in ("iso2", "itu_region", "wb_region", "income_group", "note"):
        out[col] = _blank_to_na(out[col])
    _check_groups(out, path)
    out["is_demo"] = False
    return out


def _check_groups(df: pd.DataFrame, path: Path) -> None:
    checks = {
        "itu_region": set(ITU_REGIONS),
        "income_group": set(INCOME_GROUPS),
        "wb_region": set(WB_REGIONS),
    }
    for col, allowed in checks.items():
        bad = df[col].notna() & ~df[col].isin(allowed)
        if bad.any():
            i = int(bad.to_numpy().nonzero()[0][0])
            raise DataFileError(
                path,
                f"unknown {col}",
                line=i + 2,
                column=col,
                found=df[col].iat[i],
                expected=", ".join(sorted(allowed)),
            )


@lru_cache(maxsize=1)
def _aliases() -> pd.DataFrame:
    return _read_package_csv("country_aliases.csv", ("alias", "iso3"))


@lru_cache(maxsize=1)
def _shipped_vintages() -> pd.DataFrame:
    df = _read_package_csv("country_vintages.csv", ("scheme", "vintage", "label", "source"))
    df["vintage"] = df["vintage"].astype(int)
    return df


def _demo_path(demo_dir: str | Path | None) -> Path:
    return Path(config.DEMO_DIR if demo_dir is None else demo_dir) / "countries.csv"


def _demo_signature(demo_dir: str | Path | None, include_demo: bool) -> tuple | None:
    """Identity of the demo file (path, mtime, size), so a changed file is read again."""
    if not include_demo:
        return None
    path = _demo_path(demo_dir)
    try:
        st = path.stat()
    except OSError:
        return None
    return (str(path.resolve()), st.st_mtime_ns, st.st_size)


@lru_cache(maxsize=8)
def _demo_table(signature: tuple) -> pd.DataFrame:
    path = Path(signature[0])
    try:
        df = pd.read_csv(path, dtype=str, keep_default_na=False, encoding="utf-8-sig")
    except (OSError, ValueError) as exc:
        raise DataFileError(path, f"cannot read the demo economies ({exc})") from None
    missing = [c for c in _DEMO_COLUMNS if c not in df.columns]
    if missing:
        raise DataFileError(path, f"missing columns {missing}", expected=", ".join(_DEMO_COLUMNS))
    df = df.loc[:, list(_DEMO_COLUMNS)].copy()
    for col in _DEMO_COLUMNS:
        df[col] = df[col].str.strip()
    ref = _reference()
    known = set(ref["iso3"])
    seen: set[str] = set()
    for i, code in enumerate(df["iso3"]):
        line = i + 2
        if not _USER_ASSIGNED.match(code):
            raise DataFileError(
                path,
                "not an ISO 3166 user-assigned code",
                line=line,
                column="iso3",
                found=code,
                expected="XAA...XZZ (not XKX)",
            )
        if code in known:
            raise DataFileError(
                path,
                "code of a real economy",
                line=line,
                column="iso3",
                found=code,
                expected="a code not used by ISO or the World Bank",
            )
        if code in seen:
            raise DataFileError(path, "duplicate code", line=line, column="iso3", found=code)
        seen.add(code)
        if not df["name"].iat[i]:
            raise DataFileError(path, "empty name", line=line, column="name")
    df["income_group"] = [
        _canonical_income(v, path=path, line=i + 2) for i, v in enumerate(df["income_group"])
    ]
    df["itu_region"] = [
        _canonical_itu(v, path=path, line=i + 2) for i, v in enumerate(df["itu_region"])
    ]
    df["wb_region"] = _blank_to_na(df["wb_region"].str.replace(r"\s+", " ", regex=True))
    df["iso2"] = pd.Series(pd.NA, index=df.index, dtype="str")
    df["is_aggregate"] = False
    df["note"] = "fictional demo economy"
    df["is_demo"] = True
    return df.loc[:, list(_COUNTRY_COLUMNS) + ["is_demo"]]


def _canonical_income(value: object, *, path=None, line=None) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    key = re.sub(r"\s+", " ", str(value)).strip().casefold()
    if key in _UNCLASSIFIED:
        return None
    if key in _INCOME_LABELS:
        return _INCOME_LABELS[key]
    raise DataFileError(
        path,
        "unknown income group",
        line=line,
        column="income_group",
        found=value,
        expected=", ".join(INCOME_GROUPS),
    )


def _canonical_itu(value: object, *, path=None, line=None) -> str | None:
    if value is None or (not isinstance(value, str) and pd.isna(value)):
        return None
    key = re.sub(r"\s+", " ", str(value)).strip().casefold()
    if key == "":
        return None
    if key in _ITU_LABELS:
        return _ITU_LABELS[key]
    raise DataFileError(
        path,
        "unknown ITU-D region",
        line=line,
        column="itu_region",
        found=value,
        expected=", ".join(ITU_REGIONS),
    )


def country_table(*, include_demo: bool = True, demo_dir: str | Path | None = None) -> pd.DataFrame:
    """The reference table of economies and World Bank aggregates.

    Columns ``iso3, iso2, name, itu_region, wb_region, income_group, is_aggregate, note,
    is_demo``; groups are the latest shipped vintage (see ``attrs["vintages"]``), missing where
    an economy has none (territories without ITU membership, Venezuela's income group, ISO-only
    territories). Demo economies from ``demo_dir / "countries.csv"`` (default
    ``config.DEMO_DIR``) are appended with ``is_demo=True`` when ``include_demo`` and the file
    exists. Returns a copy: callers may modify it.

    >>> t = country_table(include_demo=False)
    >>> t.set_index("iso3").loc["NAM", ["iso2", "itu_region", "income_group"]].tolist()
    ['NA', 'AFR', 'Lower middle income']
    """
    ref = _reference()
    sig = _demo_signature(demo_dir, include_demo)
    out = ref if sig is None else pd.concat([ref, _demo_table(sig)], ignore_index=True)
    out = out.copy()
    v = _shipped_vintages()
    out.attrs["vintages"] = dict(zip(v["scheme"], v["vintage"].astype(int), strict=True))
    return out


# --- matching --------------------------------------------------------------------------------


class _Index:
    """Lookup structures built once per reference (+ demo) table, with a memo of answers."""

    def __init__(self, table: pd.DataFrame, aliases: pd.DataFrame):
        self.names = dict(zip(table["iso3"], table["name"], strict=True))
        self.aggregates = frozenset(table.loc[table["is_aggregate"], "iso3"])
        self.codes: dict[str, str] = {}
        for col in ("iso3", "iso2"):
            for code, iso3 in zip(table[col], table["iso3"], strict=True):
                if isinstance(code, str) and code:
                    self.codes[code.upper()] = iso3
        self.exact: dict[str, set[str]] = {}
        self.unordered: dict[str, set[str]] = {}
        for iso3, name in zip(table["iso3"], table["name"], strict=True):
            self._add(name, {iso3})
        known = set(table["iso3"])
        for alias, codes in zip(aliases["alias"], aliases["iso3"], strict=True):
            targets = set(codes.split("|"))
            unknown = targets - known
            if unknown:
                raise DataFileError(
                    config.PACKAGE_DATA_DIR / "country_aliases.csv",
                    f"alias {alias!r} points to unknown codes {sorted(unknown)}",
                    column="iso3",
                )
            self._add(alias, targets)
        self.memo: dict[object, tuple[str, tuple[str, ...]]] = {}

    def _add(self, name: str, codes: set[str]) -> None:
        key = normalise_name(name)
        self.exact.setdefault(key, set()).update(codes)
        self.unordered.setdefault(_sorted_key(key), set()).update(codes)

    def label(self, code: str) -> str:
        return f"{self.names.get(code, code)} ({code})"

    def _lookup(self, text: str) -> set[str]:
        code = self.codes.get(text.upper())
        if code is not None:
            return {code}
        key = normalise_name(text)
        if key in self.exact:
            return self.exact[key]
        return self.unordered.get(_sorted_key(key), set())

    def resolve(self, value: object) -> tuple[str, tuple[str, ...]]:
        """("ok", (code,)) | ("ambiguous", codes) | ("unknown", hints)."""
        try:
            return self.memo[value]
        except (KeyError, TypeError):
            pass
        result = self._resolve(value)
        try:
            self.memo[value] = result
        except TypeError:
            pass
        return result

    def _resolve(self, value: object) -> tuple[str, tuple[str, ...]]:
        if value is None or (not isinstance(value, str) and pd.isna(value)):
            return ("unknown", ())
        text = str(value).strip()
        if not text:
            return ("unknown", ())
        found = self._lookup(text)
        if not found and _BRACKETED.search(text):
            found = self._bracketed(text)
        if len(found) == 1:
            return ("ok", tuple(found))
        if found:
            return ("ambiguous", tuple(sorted(found)))
        return ("unknown", tuple(self.hints(text)))

    def _bracketed(self, text: str) -> set[str]:
        """Codes from the text outside brackets, else inside: "Myanmar (ex-Burma)" -> MMR.

        The outside part wins when it names one economy ("Puerto Rico (US)" -> PRI); when it is
        ambiguous a bracketed name may pick one of its candidates, else it stays ambiguous; when
        it names nothing, the bracketed names are used ("(Cote d'Ivoire)"). Aggregates are never
        reached this way: a bracketed qualifier changes what an aggregate covers ("East Asia &
        Pacific (IBRD-only countries)" is not EAS).
        """
        outside = self._lookup(_BRACKETED.sub(" ", text)) - self.aggregates
        if len(outside) == 1:
            return outside
        inside: set[str] = set()
        for part in _BRACKETED.findall(text):
            key = normalise_name(part)  # names only: "(US)" qualifies, it is not a code
            inside |= self.exact.get(key, set()) | self.unordered.get(_sorted_key(key), set())
        inside -= self.aggregates
        if outside:
            chosen = outside & inside
            return chosen if len(chosen) == 1 else outside
        return inside

    def hints(self, text: str, n: int = 3) -> list[str]:
        out: list[str] = []
        for enc in ("cp1252", "latin-1"):
            try:
                repaired = text.encode(enc).decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                continue
            if repaired != text:
                codes = self._lookup(repaired)
                if len(codes) == 1:
                    code = next(iter(codes))
                    out.append(
                        f"{self.label(code)} if the file is re-read as UTF-8 "
                        f"(this looks like UTF-8 text decoded as {enc})"
                    )
                    break
        key = normalise_name(text)
        for k in get_close_matches(key, list(self.exact), n=n, cutoff=0.6):
            for code in sorted(self.exact[k]):
                label = self.label(code)
                if label not in out and not any(h.startswith(label) for h in out):
                    out.append(label)
        return out[: n + 1]


@lru_cache(maxsize=8)
def _index(signature: tuple | None) -> _Index:
    table = (
        _reference()
        if signature is None
        else pd.concat([_reference(), _demo_table(signature)], ignore_index=True)
    )
    index = _Index(table, _aliases())
    if signature is not None:
        _check_demo_names(index, _demo_table(signature), Path(signature[0]))
    return index


def _check_demo_names(index: _Index, demo: pd.DataFrame, path: Path) -> None:
    for i, (code, name) in enumerate(zip(demo["iso3"], demo["name"], strict=True)):
        codes = index.exact.get(normalise_name(name), set())
        if codes != {code}:
            others = sorted(codes - {code})
            raise DataFileError(
                path,
                f"demo name also names {', '.join(others)}",
                line=i + 2,
                column="name",
                found=name,
                expected="a name of its own",
            )


def _as_list(values: object) -> list:
    if isinstance(values, str) or not isinstance(values, Iterable):
        return [values]
    if isinstance(values, pd.Series | pd.Index):
        return values.tolist()
    return list(values)


def _raise_unmatched(
    index: _Index, problems: dict[str, tuple[str, tuple[str, ...]]], source: str | None
) -> None:
    unknown: dict[str, list[str]] = {}
    lines = []
    for name, (status, info) in problems.items():
        if status == "ambiguous":
            labels = [index.label(c) for c in info]
            unknown[name] = labels
            lines.append(
                f"{name!r} is ambiguous: {' or '.join(labels)}; pass "
                f"aliases={{{name!r}: '<ISO3>'}} to choose"
            )
        elif status == "aggregate":
            unknown[name] = [index.label(info[0])]
            lines.append(
                f"{name!r} is the World Bank aggregate {index.label(info[0])}, "
                "not an economy (allow_aggregates=False)"
            )
        else:
            unknown[name] = list(info)
            hint = f" (did you mean {'; '.join(info)}?)" if info else ""
            missing = not name.strip() or name in ("None", "nan", "<NA>")
            what = "empty or missing value" if missing else "unknown"
            lines.append(f"{name!r}: {what}{hint}")
    err = UnknownCountryError(unknown, source=source)
    where = f"{source}: " if source else ""
    noun = "value" if len(lines) == 1 else "values"
    head = f"{where}{len(lines)} country {noun} cannot be matched"
    err.message = head + ":\n" + "\n".join(f"  - {line}" for line in lines)
    err.args = (err.message,)
    raise err


def to_iso3(
    values: object,
    *,
    source: str | None = None,
    allow_aggregates: bool = True,
    aliases: Mapping[str, str] | None = None,
    include_demo: bool = True,
    demo_dir: str | Path | None = None,
) -> list[str]:
    """ISO3 (or World Bank) codes of country names and codes, one per input value, in order.

    Accepts names in any of the spellings of the World Bank, UN/ISO, GII and ITU files
    (case, accents, punctuation and word order do not matter), ISO3 and ISO2 codes, the World
    Bank's own codes (``XKX``/``XK`` Kosovo, ``CHI``/``JG`` Channel Islands) and aggregate
    codes (``WLD``/``1W``, ``EAS``, ``HIC``/``XD``), and demo economies. Only distinct values
    are matched, so long columns cost little.

    Parameters
    ----------
    values : a string or an iterable of strings (list, Series, Index, array).
    source : where the values come from (a file name); used in the error message.
    allow_aggregates : if False, an aggregate (region, income group, World) is an error.
    aliases : extra ``spelling -> code`` pairs that win over the reference tables, e.g.
        ``{"Congo": "COG"}`` for a source known to mean the Republic of the Congo.
    include_demo, demo_dir : whether and from where demo economies are included.

    Raises
    ------
    UnknownCountryError
        Listing every value that matches nothing (with near matches), matches several
        economies ("Congo", "Korea", "Virgin Islands"), or is an aggregate when
        ``allow_aggregates=False``. Nothing is dropped silently; missing and empty values are
        errors too.

    >>> to_iso3(["Korea, Rep.", "Côte d'Ivoire", "Netherlands (the)", "NA", "XKX", "1W"])
    ['KOR', 'CIV', 'NLD', 'NAM', 'XKX', 'WLD']
    """
    index = _index(_demo_signature(demo_dir, include_demo))
    items = _as_list(values)
    extra: dict[str, str] = {}
    if aliases:
        for name, code in aliases.items():
            status, info = index.resolve(code)
            if status != "ok":
                raise ParameterError(
                    "aliases",
                    f"{name!r} -> {code!r}: {code!r} is not a code of a known economy or aggregate",
                )
            extra[str(name).strip()] = info[0]
            extra[normalise_name(name)] = info[0]
    answers: dict[object, str] = {}
    problems: dict[str, tuple[str, tuple[str, ...]]] = {}
    for value in dict.fromkeys(items):
        if extra:
            text = str(value).strip()
            code = extra.get(text) or extra.get(normalise_name(text))
            if code is not None:
                answers[value] = code
                continue
        status, info = index.resolve(value)
        if status == "ok":
            code = info[0]
            if not allow_aggregates and code in index.aggregates:
                problems[str(value)] = ("aggregate", info)
            answers[value] = code
        else:
            problems[str(value)] = (status, info)
    if problems:
        _raise_unmatched(index, problems, source)
    return [answers[v] for v in items]


def country_names(
    values: object, *, include_demo: bool = True, demo_dir: str | Path | None = None
) -> list[str]:
    """The reference (World Bank short) names of countries given by any name or code.

    >>> country_names(["TUR", "Viet Nam", "korea, rep"])
    ['Türkiye', 'Viet Nam', 'Korea, Rep.']
    """
    codes = to_iso3(values, include_demo=include_demo, demo_dir=demo_dir)
    index = _index(_demo_signature(demo_dir, include_demo))
    return [index.names[c] for c in codes]


def is_aggregate(
    codes: object, *, include_demo: bool = True, demo_dir: str | Path | None = None
) -> list[bool]:
    """Whether each value (code or name) is a World Bank aggregate rather than an economy.

    Unknown values raise UnknownCountryError, as in :func:`to_iso3`.

    >>> is_aggregate(["WLD", "FRA", "High income", "XD", "XKX"])
    [True, False, True, True, False]
    """
    resolved = to_iso3(codes, include_demo=include_demo, demo_dir=demo_dir)
    aggregates = _index(None).aggregates
    return [c in aggregates for c in resolved]


@dataclass(frozen=True)
class CodeCheck:
    """What :func:`check_codes` found: the code to use for each code read, and what was renamed.

    Attributes
    ----------
    codes : dict
        Every distinct code read -> the code innolab uses (itself, or the current code of a
        former World Bank code such as ``KSV`` -> ``XKX``).
    renamed : dict
        The former codes among them -> their current code.
    aggregates : frozenset
        The (current) codes that are World Bank aggregates rather than economies.
    """

    codes: dict[str, str]
    renamed: dict[str, str]
    aggregates: frozenset[str]

    def notes(self, source: str | None = None) -> list[str]:
        """One warning line per renamed code (empty when nothing was renamed)."""
        where = f"{source}: " if source else ""
        index = _index(None)
        return [
            f"{where}former World Bank code {old} read as {new} ({index.names.get(new, new)})"
            for old, new in sorted(self.renamed.items())
        ]


def _former_codes() -> dict[str, str]:
    a = _aliases()
    note = a["note"] if "note" in a else pd.Series("", index=a.index)
    keep = note.fillna("").str.contains("former World Bank code", regex=False)
    return dict(zip(a.loc[keep, "alias"].str.upper(), a.loc[keep, "iso3"], strict=True))


def _code_hints(index: _Index, code: str, name: str | None, n: int = 3) -> list[str]:
    """Near matches of a code that is not known: from the name beside it, then similar codes."""
    out: list[str] = []
    if name:
        status, info = index.resolve(name)
        if status == "ok":
            out.append(f"{index.label(info[0])} from the name {name!r} on the same row")
        elif status == "ambiguous":
            out += [index.label(c) for c in info]
    iso3 = sorted({c for c in index.codes.values() if len(c) == 3})
    close = get_close_matches(code.upper(), iso3, n=len(iso3), cutoff=0.6)
    # equal similarity: codes sharing a longer prefix first (FRN -> FRA, FRO before IRN)
    close.sort(key=lambda c: -len(os.path.commonprefix([c, code.upper()])))
    for c in close[:n]:
        label = index.label(c)
        if not any(h.startswith(label) for h in out):
            out.append(label)
    return out[: n + 1]


def check_codes(
    codes: Iterable[str],
    *,
    source: str | None = None,
    column: str | None = None,
    lines: Mapping[str, int] | None = None,
    names: Mapping[str, str] | None = None,
    include_demo: bool = True,
    demo_dir: str | Path | None = None,
) -> CodeCheck:
    """Check country codes read from a file against the reference table, strictly.

    Unlike :func:`to_iso3` (which also matches names), a code is accepted only when it is an
    ISO3 or World Bank code of an economy or aggregate in ``countries.csv`` (or a demo
    economy), or a former World Bank code (``KSV``, ``ROM``, ``WBG``, ``ZAR``, ``TMP``,
    ``ADO``, ``IMY``), which is renamed to its current code. A well-formed code that is none of
    these (``XYZ``, a typo such as ``FRN``) is never imported as is.

    Parameters
    ----------
    codes : iterable of str
        Codes as read (duplicates allowed).
    source, column : str, optional
        The file and column, for the error message.
    lines : mapping, optional
        Code -> the (first) line it is on, for the error message.
    names : mapping, optional
        Code -> the country name on the same row (World Bank files carry both); a name that
        matches an economy is offered as the first near match.

    Raises
    ------
    UnknownCountryError
        Listing every unknown code with its line and near matches.

    >>> check_codes(["FRA", "WLD", "KSV"]).codes
    {'FRA': 'FRA', 'WLD': 'WLD', 'KSV': 'XKX'}
    """
    index = _index(_demo_signature(demo_dir, include_demo))
    former = _former_codes()
    known = {c.upper(): c for c in index.codes.values() if len(c) == 3}
    out: dict[str, str] = {}
    renamed: dict[str, str] = {}
    unknown: dict[str, list[str]] = {}
    for code in dict.fromkeys(str(c) for c in codes):
        if code in known:
            out[code] = known[code]
        elif code in former:
            out[code] = renamed[code] = former[code]
        else:
            unknown[code] = _code_hints(index, code, (names or {}).get(code))
    if unknown:
        where = source or "<data>"
        if column:
            where += f", column {column!r}"
        err = UnknownCountryError(unknown, source=where)
        parts = []
        for code, hints in unknown.items():
            line = (lines or {}).get(code)
            at = f" on line {line}" if line is not None else ""
            hint = f" (did you mean {'; '.join(hints)}?)" if hints else ""
            parts.append(f"{code!r}{at}{hint}")
        noun = "code" if len(parts) == 1 else "codes"
        err.message = (
            f"{where}: unknown country {noun} "
            + "; ".join(parts)
            + "; expected an ISO3 code or a World Bank economy or aggregate code"
        )
        err.args = (err.message,)
        raise err
    return CodeCheck(
        codes=out,
        renamed=renamed,
        aggregates=frozenset(c for c in out.values() if c in index.aggregates),
    )


def __getattr__(name: str):
    # AGGREGATE_CODES is computed from the table on first use, not at import.
    if name == "AGGREGATE_CODES":
        return _index(None).aggregates
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")


# --- classifications by vintage --------------------------------------------------------------

_REGISTERED: dict[tuple[str, int], pd.DataFrame] = {}


def _check_scheme(scheme: str) -> None:
    if scheme not in SCHEMES:
        raise ParameterError("scheme", f"{scheme!r} is not one of {', '.join(SCHEMES)}")


def _check_vintage(vintage: object, name: str = "vintage") -> int:
    if isinstance(vintage, bool) or not isinstance(vintage, int) or not 1900 <= vintage <= 2100:
        raise ParameterError(name, f"must be a year such as 2019 (found {vintage!r})")
    return int(vintage)


@lru_cache(maxsize=1)
def _shipped() -> pd.DataFrame:
    ref = _reference()
    ref = ref[~ref["is_aggregate"]]
    frames = []
    for scheme, vintage, source in zip(
        *(_shipped_vintages()[c] for c in ("scheme", "vintage", "source")), strict=True
    ):
        part = ref[["iso3", scheme]].rename(columns={scheme: "group"})
        if scheme == "income_group":  # unclassified World Bank economies (Venezuela) stay
            part = part[part["group"].notna() | ref["wb_region"].notna()]
        else:
            part = part[part["group"].notna()]
        frames.append(part.assign(scheme=scheme, vintage=int(vintage), source=source))
    return pd.concat(frames, ignore_index=True).loc[:, _LONG_COLUMNS]


def _pick_column(df: pd.DataFrame, candidates: Iterable[str], what: str, given: str | None):
    if given is not None:
        if given not in df.columns:
            raise ParameterError("column", f"no column {given!r} (columns: {list(df.columns)})")
        return given
    for c in candidates:
        if c in df.columns:
            return c
    raise ParameterError(
        "df",
        f"no {what} column; expected one of {list(candidates)} "
        f"(columns: {list(df.columns)}); name it with column=",
    )


def classification_from_table(
    df: pd.DataFrame,
    scheme: str,
    vintage: int,
    source: str,
    *,
    column: str | None = None,
) -> pd.DataFrame:
    """Turn a country table read from a file into classification rows for one vintage.

    Parameters
    ----------
    df : DataFrame with a code column (``iso3``, or World Bank ``Country Code``/``id``; names
        and ISO2 codes are matched too) and a group column: ``column``, else ``group``, else the
        usual one for the scheme (``income_group``/``Income Group``/``IncomeGroup``,
        ``wb_region``/``region``/``Region``, ``itu_region``); or a Series ``iso3 -> group``.
    scheme : ``"itu_region"``, ``"wb_region"`` or ``"income_group"``.
    vintage : the data year the groups apply to (see the module notes: the FY2025 list is
        vintage 2023).
    source : where the groups come from (file name and release), kept with each row.

    Returns
    -------
    DataFrame ``iso3, scheme, vintage, group, source``, one row per economy. Aggregates
    (rows flagged by an ``is_aggregate`` column, or aggregate codes) are left out; an economy
    with an empty group (Venezuela's income group since FY2022) keeps a missing group. Income
    groups and ITU regions are written canonically ("LMC" -> "Lower middle income", "Europe" ->
    "EUR"); World Bank region labels keep the wording of their vintage (whitespace trimmed).

    Raises
    ------
    ParameterError for a missing column or a code listed twice with different groups;
    DataFileError for a group label that is not one of the scheme's; UnknownCountryError for
    codes or names that match no economy.

    >>> t = pd.DataFrame({"iso3": ["ROU", "LKA"], "Income Group": ["UMC", "Upper middle income"]})
    >>> classification_from_table(t, "income_group", 2018, "test")["group"].tolist()
    ['Upper middle income', 'Upper middle income']
    """
    _check_scheme(scheme)
    vintage = _check_vintage(vintage)
    if isinstance(df, pd.Series):  # iso3 -> group, e.g. from classification()
        df = df.rename("group").rename_axis("iso3").reset_index()
    if not isinstance(df, pd.DataFrame):
        raise ParameterError(
            "df", "must be a DataFrame with code and group columns, or a Series iso3 -> group"
        )
    frame = df.reset_index() if "iso3" in (df.index.names or []) else df
    code_col = _pick_column(frame, _CODE_COLUMNS, "country code", None)
    group_col = _pick_column(frame, ("group", *_GROUP_COLUMNS[scheme]), f"{scheme} group", column)
    frame = frame.loc[
        :, [c for c in dict.fromkeys([code_col, group_col, "is_aggregate"]) if c in frame.columns]
    ]
    if "is_aggregate" in frame.columns:
        flag = frame["is_aggregate"].map(lambda x: str(x).strip().lower() in ("true", "1", "yes"))
        frame = frame[~flag.to_numpy(dtype=bool)]
    codes = to_iso3(frame[code_col].astype(str).str.strip(), source=source, include_demo=True)
    groups = frame[group_col].tolist()
    if scheme == "income_group":
        canon = [_canonical_income(g, path=source) for g in groups]
    elif scheme == "itu_region":
        canon = [_canonical_itu(g, path=source) for g in groups]
    else:
        canon = [
            None
            if g is None or (not isinstance(g, str) and pd.isna(g)) or not str(g).strip()
            else re.sub(r"\s+", " ", str(g)).strip()
            for g in groups
        ]
    out = pd.DataFrame({"iso3": codes, "group": canon})
    out = out[~out["iso3"].isin(_index(None).aggregates)]
    if scheme != "income_group":
        out = out[out["group"].notna()]
    conflicts = out.groupby("iso3")["group"].nunique(dropna=False)
    conflicts = conflicts[conflicts > 1]
    if len(conflicts):
        raise ParameterError(
            "df",
            f"{source}: economies listed with different {scheme} "
            f"groups: {', '.join(conflicts.index)}",
        )
    out = out.drop_duplicates("iso3").sort_values("iso3", kind="mergesort")
    out = out.assign(scheme=scheme, vintage=vintage, source=str(source))
    return out.loc[:, _LONG_COLUMNS].reset_index(drop=True)


def add_classification(
    df: pd.DataFrame,
    scheme: str,
    vintage: int,
    *,
    source: str,
    column: str | None = None,
) -> pd.DataFrame:
    """Register the groups of one vintage read from a file (WDICountry, Metadata_Country, API).

    ``df`` is read by :func:`classification_from_table` (so its output can be passed back).
    Registering a ``(scheme, vintage)`` again replaces the earlier one, including a shipped
    vintage; :func:`reset_classifications` forgets what was registered. Returns the rows kept.

    >>> old = pd.DataFrame({"iso3": ["ROU"], "income_group": ["Upper middle income"]})
    >>> _ = add_classification(old, "income_group", 2018, source="WDICountry.csv (FY2020)")
    >>> s = classification("income_group", vintage=2019)
    >>> s["ROU"], s.attrs["vintage"]
    ('Upper middle income', 2018)
    >>> reset_classifications()
    """
    rows = classification_from_table(df, scheme, vintage, source, column=column)
    _REGISTERED[(scheme, int(vintage))] = rows
    return rows.copy()


def reset_classifications() -> None:
    """Forget every classification registered with :func:`add_classification`."""
    _REGISTERED.clear()


def _all_rows(scheme: str) -> dict[int, pd.DataFrame]:
    shipped = _shipped()
    out = {int(v): g for v, g in shipped[shipped["scheme"] == scheme].groupby("vintage")}
    for (s, v), rows in _REGISTERED.items():
        if s == scheme:
            out[v] = rows
    return out


def classification_vintages(scheme: str) -> list[int]:
    """The vintages available for ``scheme`` (shipped and registered), oldest first."""
    _check_scheme(scheme)
    return sorted(_all_rows(scheme))


def classifications() -> pd.DataFrame:
    """Every classification row available: ``iso3, scheme, vintage, group, source``."""
    frames = [g for s in SCHEMES for g in _all_rows(s).values()]
    out = pd.concat(frames, ignore_index=True)
    return out.sort_values(["scheme", "vintage", "iso3"], kind="mergesort").reset_index(drop=True)


def classification(
    scheme: str,
    *,
    vintage: int | None = None,
    fallback: str = "error",
    include_demo: bool = True,
    demo_dir: str | Path | None = None,
) -> pd.Series:
    """Groups of one scheme for one vintage, as a Series ``iso3 -> group``.

    ``vintage=None`` gives the latest available; a year gives the latest vintage at or before
    it (a study of 2019 data uses the 2019 groups, or the nearest older list registered).
    Which vintage was used is in ``attrs`` (``scheme``, ``vintage``, ``requested_vintage``,
    ``source``). When no vintage at or before the year exists, ``fallback="error"`` (default)
    raises CoverageError naming the vintages available, and ``fallback="earliest"`` uses the
    oldest one (recorded in ``attrs``). Demo economies, when included, keep their single set
    of groups in every vintage. Economies without a group in that vintage are absent, except
    World Bank economies left unclassified by income (missing value).

    >>> s = classification("itu_region")
    >>> s["IRN"], s["GEO"], s["TUR"], s.attrs["vintage"]
    ('ASP', 'EUR', 'EUR', 2024)
    """
    _check_scheme(scheme)
    if fallback not in ("error", "earliest"):
        raise ParameterError("fallback", f"{fallback!r} is not 'error' or 'earliest'")
    rows = _all_rows(scheme)
    available = sorted(rows)
    if vintage is None:
        used = available[-1]
    else:
        vintage = _check_vintage(vintage)
        older = [v for v in available if v <= vintage]
        if older:
            used = older[-1]
        elif fallback == "earliest":
            used = available[0]
        else:
            raise CoverageError(
                f"no {scheme} classification for vintage {vintage} or earlier (available: "
                f"{', '.join(map(str, available))}); register one with add_classification() "
                "or pass fallback='earliest'"
            )
    table = rows[used]
    series = pd.Series(
        table["group"].to_numpy(),
        index=pd.Index(table["iso3"], name="iso3"),
        name=scheme,
        dtype="str",
    )
    sig = _demo_signature(demo_dir, include_demo)
    if sig is not None:
        demo = _demo_table(sig)
        demo = demo[demo[scheme].notna() & ~demo["iso3"].isin(series.index)]
        series = pd.concat(
            [
                series,
                pd.Series(
                    demo[scheme].to_numpy(),
                    name=scheme,
                    dtype="str",
                    index=pd.Index(demo["iso3"], name="iso3"),
                ),
            ]
        )
    sources = table["source"].dropna().unique().tolist()
    series.attrs.update(
        scheme=scheme,
        vintage=used,
        requested_vintage=vintage,
        source=sources[0] if len(sources) == 1 else sources,
    )
    return series
