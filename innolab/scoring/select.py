"""Select: turn the tidy indicator table into the wide matrix a build starts from.

The canonical tidy table has one row per observation (``iso3, indicator, year, value, source``).
A composite index needs one value per unit and indicator for a reference year. Following GII
practice, each cell takes the **latest value within the framework's data window**: the most
recent year ``y`` with ``Y - window <= y <= Y`` for reference year ``Y`` (``data_window``
defaults to 5, so a 2019 value still counts for 2024). The data year of every value is kept
(:attr:`Selection.years`) so that profiles can show it.

The framework's data rules are applied here, in this order, and every changed cell is audited
(stage ``select``):

1. **aliases** - rows of an alias code (``GOV_WGI_GE.EST``) count as the node's code
   (``GE.EST``); where both exist for the same unit and year, the node's own code wins;
2. **denominator and scale** - ``value / denominator * scale`` with the denominator of the
   *same unit and year* (e.g. patents per million people with ``SP.POP.TOTL``); a year without
   the denominator gives no value for that year (an older complete year may then be used);
3. **mean_years N** - the mean of the latest N available years in the window (the data year is
   the latest of them);
4. **plausibility** - values that are legal but suspicious for the indicator's unit (a share
   above 100, a negative count, a rating outside its scale) are left as they are and recorded
   with stage ``check``, action ``suspicious`` (:mod:`innolab.scoring.plausibility`), and
   a :class:`~innolab.scoring.plausibility.PlausibilityWarning` is issued;
5. **cap** - values beyond ``(lower, upper)`` are set to the bound;
6. **transform** - ``log1p``, ``log`` or ``sqrt``; a value outside the transform's domain is a
   :class:`~innolab.errors.ComputationError` naming the units.

Indicators of the framework without any value in the window are reported in
:attr:`Selection.missing` and kept as all-missing columns, never silently dropped.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

import numpy as np
import pandas as pd

from ..errors import ComputationError, CoverageError, DataFileError, ParameterError
from ..framework import Framework, load_framework
from .plausibility import plausibility_audit, warn_suspicious
from .result import cell_audit, concat_audits, empty_audit

__all__ = ["Selection", "select", "select_panel", "is_tidy", "TIDY_COLUMNS"]

STAGE = "select"
TIDY_COLUMNS = ("iso3", "indicator", "year", "value")


@dataclass(frozen=True)
class Selection:
    """The wide matrix selected from a tidy table, with the data year of each value.

    Attributes
    ----------
    data : DataFrame
        Units (index ``iso3``, or ``(iso3, year)`` for a panel) x framework indicators
        (declared order), after the framework's data rules.
    years : DataFrame
        Same shape: the data year of each value (NaN where the value is missing).
    audit : DataFrame
        One row per cell changed by a data rule (``denominated``, ``alias``, ``averaged``,
        ``capped``, ``transformed``), and one per suspicious value (stage ``check``, action
        ``suspicious``, value unchanged).
    missing : tuple of str
        Framework indicators with no value at all in the window.
    reference_year : int or tuple of int
    """

    data: pd.DataFrame
    years: pd.DataFrame
    audit: pd.DataFrame
    missing: tuple[str, ...]
    reference_year: Any

    def coverage(self) -> pd.Series:
        """Share of units with a value, per indicator."""
        return self.data.notna().mean()


def is_tidy(table: pd.DataFrame) -> bool:
    """True when ``table`` has the canonical tidy columns (iso3, indicator, year, value)."""
    return all(c in table.columns for c in TIDY_COLUMNS)


def _check_tidy(tidy: pd.DataFrame) -> pd.DataFrame:
    if not isinstance(tidy, pd.DataFrame):
        raise ParameterError("tidy", f"expected a DataFrame, got {type(tidy).__name__}")
    missing = [c for c in TIDY_COLUMNS if c not in tidy.columns]
    if missing:
        raise DataFileError(
            None,
            f"the tidy table lacks column(s) {', '.join(missing)}",
            expected="columns iso3, indicator, year, value[, source]",
        )
    df = tidy[list(TIDY_COLUMNS)]
    year = pd.to_numeric(df["year"], errors="coerce")
    value = pd.to_numeric(df["value"], errors="coerce")
    bad_year = year.isna() | (year % 1 != 0)
    bad_value = value.isna() & df["value"].notna()
    for mask, col in ((bad_year, "year"), (bad_value, "value")):
        if mask.any():
            i = int(np.argmax(mask.to_numpy()))
            raise DataFileError(
                None,
                f"non-numeric {col} in the tidy table",
                line=i + 2,
                column=col,
                found=df[col].iloc[i],
            )
    return pd.DataFrame(
        {
            "iso3": df["iso3"].astype(str).to_numpy(),
            "indicator": df["indicator"].astype(str).to_numpy(),
            "year": year.astype(int).to_numpy(),
            "value": value.to_numpy(dtype=float),
        }
    )


def _aliases(fw: Framework) -> dict[str, str]:
    """Alias code -> node code for every indicator."""
    return {a: n.code for n in fw.nodes if n.kind == "indicator" for a in n.aliases}


def _resolve_aliases(df: pd.DataFrame, alias: dict[str, str]) -> pd.DataFrame:
    """Rename alias rows to the node code (columns ``alias``, ``alias_code`` record it); the
    node's own rows win where both exist for a unit and year."""
    is_alias = df["indicator"].isin(alias.keys()).to_numpy()
    df = df.assign(alias=is_alias, alias_code=np.where(is_alias, df["indicator"], ""))
    if not is_alias.any():
        return df
    df.loc[is_alias, "indicator"] = df.loc[is_alias, "indicator"].map(alias)
    df = df.sort_values(["iso3", "indicator", "year", "alias"], kind="stable")
    return df.drop_duplicates(["iso3", "indicator", "year"], keep="first")


def _long_select(
    tidy: pd.DataFrame, fw: Framework, lo: int, hi: int, units: Iterable[str] | None
) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Per (iso3, code): the selected value, its data year and notes; plus the denominator table.

    Returns a long frame with columns iso3, code, value, year, first_year, n_years, alias,
    alias_code, raw (the value before the denominator) and den (the denominator used).
    """
    df = _check_tidy(tidy)
    df = df[(df["year"] >= lo) & (df["year"] <= hi)]
    if units is not None:
        df = df[df["iso3"].isin(set(units))]
    df = df[df["value"].notna()]
    df = _resolve_aliases(df, _aliases(fw))
    inds = fw.indicators
    nodes = {c: fw.node(c) for c in inds}
    den_codes = sorted({n.denominator for n in nodes.values() if n.denominator})
    dens = df[df["indicator"].isin(den_codes)]
    df = df[df["indicator"].isin(inds)].copy()
    df["raw"] = df["value"]
    den_of = pd.Series({c: n.denominator for c, n in nodes.items() if n.denominator}, dtype=object)
    if len(den_of):
        need = df["indicator"].map(den_of)
        has = need.notna().to_numpy()
        scale = df["indicator"].map({c: n.scale for c, n in nodes.items()}).to_numpy()
        key = pd.MultiIndex.from_arrays(
            [df["iso3"], np.where(has, need.astype(object), ""), df["year"]]
        )
        dtab = pd.Series(
            dens["value"].to_numpy(),
            index=pd.MultiIndex.from_arrays([dens["iso3"], dens["indicator"], dens["year"]]),
        )
        dtab = dtab[~dtab.index.duplicated()]
        dval = dtab.reindex(key).to_numpy(dtype=float, na_value=np.nan)
        with np.errstate(divide="ignore", invalid="ignore"):
            own = df["value"].to_numpy(dtype=float)
            v = np.where(has, own / dval * scale.astype(float), own)
        zero = has & (dval == 0)
        if zero.any():
            bad = df.loc[zero, ["iso3", "indicator", "year"]].head(5).values.tolist()
            raise ComputationError(f"denominator is zero for {bad}")
        df["value"] = v
        df["den"] = np.where(has, dval, np.nan)
        df = df[~np.isnan(df["value"].to_numpy())]
    else:
        df["den"] = np.nan
    # latest first within (iso3, code)
    df = df.sort_values(["iso3", "indicator", "year"], ascending=[True, True, False], kind="stable")
    df["k"] = df.groupby(["iso3", "indicator"], sort=False).cumcount()
    mean_n = pd.Series({c: n.mean_years for c, n in nodes.items() if n.mean_years}, dtype=float)
    if len(mean_n):
        nmax = df["indicator"].map(mean_n).fillna(1).to_numpy()
        df = df[df["k"].to_numpy() < nmax]
        g = df.groupby(["iso3", "indicator"], sort=False)
        out = pd.DataFrame(
            {
                "value": g["value"].mean(),
                "year": g["year"].max(),
                "first_year": g["year"].min(),
                "n_years": g["year"].size(),
                "alias": g["alias"].any(),
                "alias_code": g["alias_code"].first(),
                "raw": g["raw"].first(),
                "den": g["den"].first(),
            }
        )
    else:
        df = df[df["k"].to_numpy() == 0]
        out = df.set_index(["iso3", "indicator"])[
            ["value", "year", "alias", "alias_code", "raw", "den"]
        ].copy()
        out["first_year"] = out["year"]
        out["n_years"] = 1
    out.index.names = ["iso3", "code"]
    return out.reset_index(), dens


def _to_wide(long: pd.DataFrame, col: str, units: Sequence[str], inds: list[str]) -> np.ndarray:
    if long.empty:
        return np.full((len(units), len(inds)), np.nan)
    w = long.pivot(index="iso3", columns="code", values=col)
    return w.reindex(index=units, columns=inds).to_numpy(dtype=float)


def select(
    tidy: pd.DataFrame,
    framework: Framework | str,
    year: int,
    *,
    window: int | None = None,
    units: Iterable[str] | None = None,
    _allow_empty: bool = False,
) -> Selection:
    """The wide matrix for reference year ``year``: latest value within the window, rules applied.

    Parameters
    ----------
    tidy : DataFrame
        Canonical tidy table: ``iso3, indicator, year, value`` (``source`` and other columns are
        ignored). Denominator series (e.g. ``SP.POP.TOTL``) are read from the same table.
    framework : Framework or str
    year : int
        Reference year ``Y``; values of years ``Y - window .. Y`` are eligible.
    window : int, optional
        Years back from ``Y`` (default ``framework.data_window``).
    units : iterable of str, optional
        Keep only these units (e.g. economies, excluding regional aggregates). The result has
        exactly these rows when given; otherwise every unit with at least one value.

    Returns
    -------
    Selection

    Raises
    ------
    CoverageError
        When no indicator of the framework has a value in the window (a year with no data):
        the message names the window and the years the table has.

    Examples
    --------
    >>> import pandas as pd
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "denominators": ["POP"], "nodes": [
    ...     {"code": "I"}, {"code": "pat", "parent": "I", "direction": 1,
    ...                     "denominator": "POP", "scale": 1e6},
    ...     {"code": "gdp", "parent": "I", "direction": 1, "transform": "log1p"}]})
    >>> tidy = pd.DataFrame({"iso3": ["A", "A", "A", "A", "B"],
    ...     "indicator": ["pat", "POP", "pat", "gdp", "gdp"],
    ...     "year": [2020, 2020, 2021, 2019, 2014],
    ...     "value": [50.0, 2e6, 70.0, 0.0, 9.0]})
    >>> s = select(tidy, fw, 2021)
    >>> s.data.loc["A"].tolist(), s.years.loc["A"].tolist(), s.missing
    ([25.0, 0.0], [2020.0, 2019.0], ())
    """
    fw = load_framework(framework)
    if isinstance(year, bool) or not isinstance(year, int | np.integer):
        raise ParameterError("year", f"must be an integer year, got {year!r}")
    window = fw.data_window if window is None else window
    if isinstance(window, bool) or not isinstance(window, int | np.integer) or window < 0:
        raise ParameterError("window", f"must be a non-negative integer, got {window!r}")
    year = int(year)
    long, _ = _long_select(tidy, fw, year - int(window), year, units)
    inds = fw.indicators
    if not len(long) and not _allow_empty:
        raise CoverageError(_no_data(tidy, fw, year, int(window)))
    if units is not None:
        unit_list = list(dict.fromkeys(str(u) for u in units))
    else:
        unit_list = sorted(long["iso3"].unique().tolist())
    index = pd.Index(sorted(unit_list), name="iso3")
    return _finish(long, fw, index, inds, year)


def _no_data(tidy: pd.DataFrame, fw: Framework, year: int, window: int) -> str:
    df = _check_tidy(tidy)
    ours = df[df["indicator"].isin(set(fw.indicators) | set(_aliases(fw)))]
    span = (
        f"its values of these indicators are for {int(ours['year'].min())}-"
        f"{int(ours['year'].max())}"
        if len(ours)
        else "it has no value of any of them"
    )
    return (
        f"no data for reference year {year}: none of the {len(fw.indicators)} indicators of "
        f"framework {fw.code!r} has a value in {year - window}-{year} (window {window}); "
        f"{span}; expected a reference year with data"
    )


def _finish(
    long: pd.DataFrame, fw: Framework, index: pd.Index, inds: list[str], ref: Any
) -> Selection:
    units = list(index)
    vals = _to_wide(long, "value", units, inds)
    yrs = _to_wide(long, "year", units, inds)
    parts = []
    # audit of the rules, in the order they were applied
    if len(long):
        alias_mask = _to_wide(long.assign(a=long["alias"].astype(float)), "a", units, inds) == 1
        if alias_mask.any():
            codes = (
                long.pivot(index="iso3", columns="code", values="alias_code")
                .reindex(index=units, columns=inds)
                .to_numpy(dtype=object)
            )
            det = np.where(alias_mask, np.char.add("from ", codes.astype(str)), "")
            parts.append(cell_audit(STAGE, index, inds, alias_mask, vals, vals, "alias", det))
        den = _to_wide(long, "den", units, inds)
        raw = _to_wide(long, "raw", units, inds)
        nyears = _to_wide(long, "n_years", units, inds)
        first = _to_wide(long, "first_year", units, inds)
        den_mask = ~np.isnan(den) & (nyears == 1)
        if den_mask.any():
            det = {
                c: f"/ {fw.node(c).denominator} of the same year x {fw.node(c).scale:g}"
                for c in inds
                if fw.node(c).denominator
            }
            parts.append(cell_audit(STAGE, index, inds, den_mask, raw, vals, "denominated", det))
        avg_mask = np.zeros_like(den_mask)
        for j, c in enumerate(inds):
            if fw.node(c).mean_years:
                avg_mask[:, j] = ~np.isnan(vals[:, j])
        if avg_mask.any():
            det = np.full(vals.shape, "", dtype=object)
            r, cidx = np.nonzero(avg_mask)
            det[r, cidx] = [
                f"mean of {int(n)} year(s) {int(a)}-{int(b)}"
                for n, a, b in zip(nyears[r, cidx], first[r, cidx], yrs[r, cidx], strict=True)
            ]
            parts.append(cell_audit(STAGE, index, inds, avg_mask, raw, vals, "averaged", det))
    # suspicious but legal values, in the indicators' units (before caps and transforms)
    check = plausibility_audit(pd.DataFrame(vals, index=index, columns=pd.Index(inds)), fw)
    if len(check):
        parts.append(check)
        warn_suspicious(check, stacklevel=4)
    vals = vals.copy()
    for j, c in enumerate(inds):
        node = fw.node(c)
        if node.cap is not None:
            lo, hi = node.cap
            before = vals[:, j].copy()
            vals[:, j] = np.clip(
                before, -np.inf if lo is None else lo, np.inf if hi is None else hi
            )
            mask = np.zeros(vals.shape, dtype=bool)
            mask[:, j] = ~np.isnan(before) & (before != vals[:, j])
            if mask.any():
                b = np.full(vals.shape, np.nan)
                b[:, j] = before
                parts.append(
                    cell_audit(
                        STAGE, index, inds, mask, b, vals, "capped", {c: f"cap {list(node.cap)}"}
                    )
                )
        if node.transform is not None:
            before = vals[:, j].copy()
            vals[:, j] = _transform(before, node.transform, c, index)
            mask = np.zeros(vals.shape, dtype=bool)
            mask[:, j] = ~np.isnan(before)
            if mask.any():
                b = np.full(vals.shape, np.nan)
                b[:, j] = before
                parts.append(
                    cell_audit(
                        STAGE, index, inds, mask, b, vals, "transformed", {c: node.transform}
                    )
                )
    data = pd.DataFrame(vals, index=index, columns=pd.Index(inds))
    years = pd.DataFrame(yrs, index=index, columns=pd.Index(inds))
    missing = tuple(c for c in inds if not data[c].notna().any())
    audit = concat_audits(parts, index) if parts else empty_audit(index)
    return Selection(data, years, audit, missing, ref)


def _transform(x: np.ndarray, how: str, code: str, index: pd.Index) -> np.ndarray:
    if how == "log1p":
        bad = x <= -1
    elif how == "log":
        bad = x <= 0
    elif how == "sqrt":
        bad = x < 0
    else:
        raise ParameterError("transform", f"{code}: unknown transform {how!r}")
    if np.any(bad):
        units = [str(u) for u in np.asarray(index)[bad][:10]]
        raise ComputationError(f"{code}: {how} is undefined for the values of {units}")
    with np.errstate(invalid="ignore", divide="ignore"):
        return {"log1p": np.log1p, "log": np.log, "sqrt": np.sqrt}[how](x)


def select_panel(
    tidy: pd.DataFrame,
    framework: Framework | str,
    years: Iterable[int],
    *,
    window: int | None = None,
    units: Iterable[str] | None = None,
) -> Selection:
    """Like :func:`select` for several reference years: index ``(iso3, year)``.

    Each reference year is selected on its own (latest value within its window), so a panel
    row for 2022 never uses data after 2022.
    """
    fw = load_framework(framework)
    ys = sorted({int(y) for y in years})
    if not ys:
        raise ParameterError("years", "give at least one reference year")
    window = fw.data_window if window is None else window
    df = _check_tidy(tidy)
    if units is not None:
        unit_list = sorted(dict.fromkeys(str(u) for u in units))
    else:
        unit_list = sorted(df["iso3"].unique().tolist())
    parts = [select(df, fw, y, window=window, units=unit_list, _allow_empty=True) for y in ys]
    if all(p.data.isna().all().all() for p in parts):
        raise CoverageError(
            _no_data(df, fw, ys[-1], int(window)).replace(
                f"reference year {ys[-1]}", f"reference years {ys[0]}-{ys[-1]}"
            )
        )
    index = pd.MultiIndex.from_product([unit_list, ys], names=["iso3", "year"])

    def stack(frames: list[pd.DataFrame]) -> pd.DataFrame:
        out = pd.concat(frames, keys=ys, names=["year", "iso3"]).swaplevel(0, 1)
        return out.reindex(index)

    data = stack([p.data for p in parts])
    yrs = stack([p.years for p in parts])
    audits = []
    for y, p in zip(ys, parts, strict=True):
        if len(p.audit):
            a = p.audit.copy()
            a.insert(2, "year", y)
            audits.append(a)
    audit = concat_audits(audits, index) if audits else empty_audit(index)
    missing = tuple(c for c in fw.indicators if not data[c].notna().any())
    return Selection(data, yrs, audit, missing, tuple(ys))
