"""Country, regional and methodology studies: the logic behind the report notebooks.

The notebooks in ``notebooks/templates`` stay thin (STYLE §d): each cell calls one function
here and shows a table, a chart or a paragraph. Everything a report says is computed from the
numbers in this module, so it is tested like any other code and the notebooks cannot drift
from it:

* :func:`load_processed` reads ``data/processed`` (panel, countries, indicator metadata,
  expert ratings and their provenance sidecars);
* :func:`score_processed` selects the reference year and builds the index
  (:func:`innolab.scoring.select` + :func:`innolab.scoring.build`) over the economies;
* :func:`country_study` gathers a Digital Innovation Profile (METHOD §1): key messages,
  headline indicators with data years, three-engines benchmark, pillar scores against peers,
  strengths and weaknesses, gaps, closing-the-gap plan, expert grid and the indicator annex;
* :func:`regional_study` and :func:`methodology_audit` do the same for the other templates;
* :func:`scores_table`, :func:`write_scores` and :func:`make_reports` serve ``innolab reports``.

Rank and score intervals come from a Monte Carlo uncertainty analysis over innolab's default
assumptions (:func:`study_uncertainty`, :data:`INTERVAL_RUNS` runs): ``innolab reports`` runs it
once per framework and year and writes ``intervals_<framework>_<year>.csv`` beside the scores
(:func:`write_intervals`); a study reads that file when it matches its build, else computes.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from . import config
from .errors import CoverageError, DataFileError, ParameterError, UnknownCountryError, near_matches
from .framework import Framework, load_framework

__all__ = [
    "GROUPINGS",
    "STUDY_PRELOAD",
    "INTERVAL_RUNS",
    "INTERVAL_SEED",
    "study_uncertainty",
    "study_intervals",
    "write_intervals",
    "intervals_path",
    "ProcessedData",
    "CountryStudy",
    "RegionalStudy",
    "AuditStudy",
    "load_processed",
    "latest_year",
    "score_processed",
    "present_framework",
    "scores_table",
    "pillar_table",
    "key_messages",
    "methodology_text",
    "country_study",
    "regional_study",
    "methodology_audit",
    "coverage_table",
    "convergence",
    "indicator_trend",
    "show_figure",
    "table_style",
    "figure_alt_text",
    "own_units",
    "write_scores",
    "make_reports",
    "warm_study_cache",
    "study_preload",
]

#: Groupings a regional study can compare.
GROUPINGS = ("itu_region", "wb_region", "income_group")
_GROUP_LABELS = {
    "itu_region": "ITU-D region",
    "wb_region": "World Bank region",
    "income_group": "income group",
}
#: Modules the report kernels' zygote imports once (on top of the batch runner's defaults), so
#: that each forked kernel starts with them imported: importing innolab.analysis (SciPy) alone
#: costs about 2 s per notebook otherwise. Imports only; no state is created.
STUDY_PRELOAD: tuple[str, ...] = (
    "scipy.stats",
    "PIL.Image",
    "innolab.framework",
    "innolab.scoring",
    "innolab.analysis",
    "innolab.plots",
    "innolab.studies",
    "IPython.display",
)
#: Indicator codes read as the external engines of growth (three-engines benchmark).
_ENGINE_CODES = {"GII": ("GII", "GII.SCORE", "GII.INDEX"), "IDI": ("IDI", "IDI.SCORE", "ITU.IDI")}


# --- data ---------------------------------------------------------------------------------
@dataclass(frozen=True)
class ProcessedData:
    """The processed folder, read once.

    Attributes
    ----------
    folder : Path
    panel : DataFrame ``iso3, indicator, year, value, source[, is_aggregate]`` (tidy).
    countries : DataFrame indexed by ``iso3``: ``name, itu_region, wb_region, income_group,
        is_aggregate, is_demo``.
    indicators : DataFrame indexed by ``indicator``: ``name, unit, source``.
    ratings : DataFrame or None; expert ratings ``iso3, stakeholder, enabler, rating, year``.
    provenance : dict of file name to its provenance record.
    """

    folder: Path
    panel: pd.DataFrame
    countries: pd.DataFrame
    indicators: pd.DataFrame
    ratings: pd.DataFrame | None
    provenance: dict[str, Any] = field(default_factory=dict)
    #: (folder, (file name, mtime, size) of every data file) when read from a folder: the key
    #: under which the folder and its builds are memoised (empty: not memoised).
    signature: tuple = field(default=(), compare=False, repr=False)

    @property
    def economies(self) -> list[str]:
        """ISO3 codes of the economies (aggregates excluded), sorted."""
        c = self.countries
        if "is_aggregate" in c.columns:
            c = c[~c["is_aggregate"].fillna(False).astype(bool)]
        return sorted(c.index)

    @property
    def is_synthetic(self) -> bool:
        """True when every economy is a synthetic demo economy."""
        c = self.countries.loc[self.economies]
        return "is_demo" in c.columns and len(c) > 0 and bool(c["is_demo"].fillna(False).all())

    def name(self, iso3: str) -> str:
        """The economy's name (its code when the table has none)."""
        if iso3 in self.countries.index and "name" in self.countries.columns:
            value = self.countries.at[iso3, "name"]
            if isinstance(value, str) and value:
                return value
        return iso3


def _folder(data: str | os.PathLike | None) -> Path:
    return config.PROCESSED_DIR if data in (None, "") else Path(data)


def load_processed(data: str | os.PathLike | None = "") -> ProcessedData:
    """Read the processed folder written by ``innolab data build``.

    Parameters
    ----------
    data : path or "" / None
        The folder (default :data:`innolab.config.PROCESSED_DIR`).

    The folder is read once per process and kept while its files are unchanged (same names,
    modification times and sizes): a country study, the batch's warm-up
    (:func:`warm_study_cache`) and an analyst's notebook share it. Treat the tables as
    read-only.

    Raises
    ------
    DataFileError
        The folder or its panel is missing (run ``innolab data build``).
    """
    folder = _folder(data)
    panel_path = folder / "panel.parquet"
    if not panel_path.is_file():
        raise DataFileError(
            panel_path,
            "the processed panel does not exist",
            expected="the output of `innolab data build`",
        )
    signature = _folder_signature(folder)
    key = ("processed", signature)
    if key in _MEMO:
        return _MEMO[key]
    panel = pd.read_parquet(panel_path)
    countries = pd.read_parquet(folder / "countries.parquet").set_index("iso3")
    ind_path = folder / "indicators.parquet"
    indicators = (
        pd.read_parquet(ind_path).set_index("indicator")
        if ind_path.is_file()
        else pd.DataFrame(columns=["name", "unit", "source"])
    )
    rat_path = folder / "expert_ratings.parquet"
    ratings = pd.read_parquet(rat_path) if rat_path.is_file() else None
    prov = {}
    for p in sorted(folder.glob("*.provenance.json")):
        try:
            prov[p.name.removesuffix(".provenance.json")] = json.loads(p.read_text())
        except (OSError, ValueError):
            continue
    return _remember(
        key, ProcessedData(folder, panel, countries, indicators, ratings, prov, signature)
    )


#: Process-level memo of processed folders and their default builds (see load_processed).
_MEMO: dict[tuple, Any] = {}
_MEMO_SIZE = 8


def _remember(key: tuple, value: Any) -> Any:
    if len(_MEMO) >= _MEMO_SIZE:
        _MEMO.pop(next(iter(_MEMO)))
    _MEMO[key] = value
    return value


def _file_signature(paths: Sequence[Path]) -> tuple:
    out = []
    for p in paths:
        try:
            st = p.stat()
        except OSError:
            continue
        out.append((p.name, st.st_mtime_ns, st.st_size))
    return tuple(out)


def _folder_signature(folder: Path) -> tuple:
    """The folder and the name, modification time and size of each of its data files."""
    files = sorted(folder.glob("*.parquet")) + sorted(folder.glob("*.provenance.json"))
    return (str(folder.resolve()), _file_signature(files))


def _framework_signature(framework: Any) -> tuple | None:
    """A memo key for a framework given by name or path (None for a Framework object)."""
    if not isinstance(framework, str | os.PathLike):
        return None
    from .framework import _resolve

    path = _resolve(framework)
    return (str(path.resolve()), _file_signature([path]))


def study_preload(
    data: str | os.PathLike | None = "",
    framework: str = "digital_innovation",
    year: int | None = None,
) -> tuple:
    """What a report batch's kernel zygote does before forking kernels: import the batch
    defaults and the study modules, then :func:`warm_study_cache` for these parameters."""
    from .report.kernels import DEFAULT_PRELOAD

    warm = (
        "innolab.studies:warm_study_cache",
        (("data", str(data or "")), ("framework", str(framework)), ("year", year)),
    )
    return (*DEFAULT_PRELOAD, *STUDY_PRELOAD, warm)


def warm_study_cache(
    data: str | os.PathLike | None = "",
    framework: str = "digital_innovation",
    year: int | None = None,
) -> None:
    """Read the processed folder and score it once, so that the studies that follow (every
    country notebook of a batch, forked from a kernel zygote that called this) start with
    both in memory instead of each reading and scoring the same panel again (and with the
    analysis inputs of the build, :func:`innolab.analysis.builds.build_inputs`, worked out)."""
    from .analysis.builds import build_inputs

    build_inputs(score_processed(load_processed(data), framework=framework, year=year))


def _as_data(data: ProcessedData | str | os.PathLike | None) -> ProcessedData:
    return data if isinstance(data, ProcessedData) else load_processed(data)


def present_framework(build: Any) -> Framework:
    """The build's framework without the indicators that have no score (screened out).

    Analysis functions need every framework code as a column of the scores; indicators that
    the indicator screen dropped are removed here so they can be used on any build.
    """
    fw = build.framework
    gone = [c for c in fw.indicators if c not in build.scores.columns]
    return fw.drop(gone) if gone else fw


def latest_year(
    panel: pd.DataFrame,
    framework: Framework | str = "digital_innovation",
    *,
    min_coverage: float = 0.66,
    window: int | None = None,
) -> int:
    """The latest year with adequate data coverage for ``framework``.

    A reference year ``Y`` qualifies when at least ``min_coverage`` of the framework's
    indicators have a value within the data window (``Y - window .. Y``, default the
    framework's ``data_window``, as :func:`innolab.scoring.select` uses) for at least
    ``min_coverage`` of the economies in the panel. Candidates are the years of the panel.

    Examples
    --------
    >>> import pandas as pd
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "nodes": [{"code": "I"},
    ...     {"code": "a", "parent": "I"}, {"code": "b", "parent": "I"}]})
    >>> p = pd.DataFrame({"iso3": ["X", "X", "X", "Y", "Y"], "indicator": ["a", "b", "a", "a", "b"],
    ...                   "year": [2020, 2020, 2021, 2020, 2020], "value": 1.0})
    >>> latest_year(p, fw, window=0), latest_year(p, fw, window=1)
    (2020, 2021)
    """
    fw = load_framework(framework)
    window = fw.data_window if window is None else int(window)
    p = panel[panel["indicator"].isin(fw.indicators) & panel["value"].notna()]
    if p.empty:
        raise CoverageError("no value of any framework indicator in the panel")
    n_ind = len(fw.indicators)
    n_units = p["iso3"].nunique()
    for year in sorted(p["year"].unique(), reverse=True):
        y = p[(p["year"] <= year) & (p["year"] >= year - window)]
        share = y.groupby("indicator")["iso3"].nunique() / n_units
        if (share >= min_coverage).sum() >= min_coverage * n_ind:
            return int(year)
    raise CoverageError(
        f"no year has {min_coverage:.0%} of the indicators for {min_coverage:.0%} of the economies"
    )


def score_processed(
    data: ProcessedData | str | None = "",
    *,
    framework: Framework | str = "digital_innovation",
    year: int | None = None,
    spec: Any = None,
) -> Any:
    """Build the index for ``year`` over the economies of the processed panel.

    ``year`` defaults to :func:`latest_year`. Returns the :class:`~innolab.scoring.Build`
    (its ``years`` hold the data year of every value). With the default spec, a folder read
    by :func:`load_processed` and a framework given by name or path, the build is memoised
    like the folder (unchanged files, same framework file and year): treat it as read-only.
    """
    d = _as_data(data)
    fw = load_framework(framework)
    year = latest_year(d.panel, fw) if year in (None, "") else int(year)
    fw_key = _framework_signature(framework)
    key = ("build", d.signature, fw_key, year)
    if spec is None and d.signature and fw_key is not None:
        if key not in _MEMO:
            _remember(key, _score_panel(d, fw, year, None))
        return _MEMO[key]
    return _score_panel(d, fw, year, spec)


def _score_panel(d: ProcessedData, fw: Framework, year: int, spec: Any) -> Any:
    from .scoring import build, select

    panel = d.panel
    if "is_aggregate" in panel.columns:
        panel = panel[~panel["is_aggregate"].fillna(False).astype(bool)]
    present = set(panel["iso3"])
    units = [u for u in d.economies if u in present]
    sel = select(panel, fw, year, units=units)
    return build(sel, fw, spec)


# --- tables -------------------------------------------------------------------------------
def _pillars(fw: Framework) -> list[str]:
    return list(fw.children(fw.root))


def _label(fw: Framework, code: str) -> str:
    node = fw.node(code)
    return node.name or code


def scores_table(
    build: Any, countries: pd.DataFrame, *, intervals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """One row per economy: name, index score, rank, regions and income group (index page).

    Economies of ``countries`` without a score (screened out for low coverage) are kept with
    missing score and rank and ``note = "not scored (data coverage)"``. ``intervals`` (units x
    ``q05, q95`` of the rank) adds ``rank_interval`` as text ``"q05–q95"``.
    """
    root = build.framework.root
    econ = countries
    if "is_aggregate" in econ.columns:
        econ = econ[~econ["is_aggregate"].fillna(False).astype(bool)]
    out = pd.DataFrame(index=pd.Index(sorted(econ.index), name="iso3"))
    out["name"] = [econ.at[i, "name"] if "name" in econ.columns else i for i in out.index]
    out["score"] = build.scores[root].reindex(out.index).round(1)
    out["rank"] = build.ranks[root].reindex(out.index).astype("Int64")
    if intervals is not None:
        iv = intervals.reindex(out.index)
        out["rank_interval"] = [
            _interval_text(a, b) for a, b in zip(iv["q05"], iv["q95"], strict=True)
        ]
    for g in GROUPINGS:
        if g in econ.columns:
            out[g] = econ[g].reindex(out.index)
    out["note"] = np.where(out["score"].isna(), "not scored (data coverage)", "")
    return (
        out.reset_index()
        .sort_values(["rank", "iso3"], na_position="last", kind="stable")
        .reset_index(drop=True)
    )


def pillar_table(
    build: Any, iso3: str, peers: Sequence[str], *, intervals: pd.DataFrame | None = None
) -> pd.DataFrame:
    """Pillar scores of ``iso3`` with the peers' median, the frontier (best of all units) and
    the rank among all scored units; indexed by pillar code, with ``name``. ``intervals``
    (:func:`study_intervals`) adds the 5-95% score interval ``q05, q95`` and the rank interval
    as text."""
    fw = build.framework
    pillars = [p for p in _pillars(fw) if p in build.scores.columns]
    s = build.scores[pillars]
    peer_rows = s.loc[[p for p in peers if p in s.index]]
    out = pd.DataFrame(
        {
            "name": [_label(fw, p) for p in pillars],
            "score": s.loc[iso3].to_numpy(dtype=float),
            "peer_median": peer_rows.median().to_numpy(dtype=float),
            "frontier": s.max().to_numpy(dtype=float),
            "rank": build.ranks.loc[iso3, pillars].to_numpy(dtype=float),
        },
        index=pd.Index(pillars, name="code"),
    )
    out["n_units"] = s.notna().sum().to_numpy()
    if intervals is not None:
        iv = intervals[intervals["iso3"] == iso3].set_index("code").reindex(pillars)
        out["q05"] = iv["score_q05"].to_numpy(dtype=float)
        out["q95"] = iv["score_q95"].to_numpy(dtype=float)
        out["rank_interval"] = [
            _interval_text(a, b) for a, b in zip(iv["rank_q05"], iv["rank_q95"], strict=True)
        ]
    return out


def _fmt(x: float, digits: int = 1) -> str:
    return "n/a" if x is None or pd.isna(x) else f"{x:.{digits}f}"


def key_messages(
    name: str,
    index_code: str,
    score: float,
    rank: float,
    n_units: int,
    pillars: pd.DataFrame,
    peer_label: str,
    *,
    top: int = 2,
    rank_interval: tuple[float, float] | None = None,
) -> list[str]:
    """Key messages generated from the numbers (no hand-written text).

    Parameters
    ----------
    name : the country's name.
    index_code : the index's label (e.g. ``"DII"``).
    score, rank, n_units : the country's index score, rank and the number of ranked units.
    pillars : :func:`pillar_table` output (``name, score, peer_median``).
    peer_label : how the peers are called (e.g. ``"Low income peers"``).
    top : how many pillars to name as ahead of / behind the peers.
    rank_interval : the 5th and 95th percentile rank over the Monte Carlo runs, if known.

    Examples
    --------
    >>> p = pd.DataFrame({"name": ["A", "B", "C"], "score": [50.0, 20.0, 40.0],
    ...                   "peer_median": [40.0, 30.0, 40.0]}, index=["PA", "PB", "PC"])
    >>> msgs = key_messages("Xland", "DII", 37.4, 12, 50, p, "peers", top=1)
    >>> msgs[0]
    'Xland scores 37.4 on the DII (0–100), rank 12 of 50.'
    >>> msgs[1]
    'Ahead of peers on A (+10.0 points).'
    >>> msgs[2]
    'Behind peers on B (−10.0 points).'
    """
    msgs = []
    if pd.isna(score):
        return [f"{name} has no {index_code} score: too few indicators have data."]
    msgs.append(
        f"{name} scores {score:.1f} on the {index_code} (0–100), "
        f"rank {int(rank)} of {int(n_units)}."
    )
    if rank_interval is not None and _interval_text(*rank_interval) is not None:
        lo, hi = rank_interval
        msgs.append(
            "Under alternative methodological choices the rank stays within "
            f"{_interval_text(lo, hi)} in 90% of the Monte Carlo runs"
            + (
                " (robust)."
                if hi - lo <= max(2.0, 0.1 * n_units)
                else " (sensitive to the method: read the rank with care)."
            )
        )
    diff = (pillars["score"] - pillars["peer_median"]).dropna()
    ahead = diff[diff > 0].sort_values(ascending=False).head(top)
    behind = diff[diff < 0].sort_values().head(top)
    if len(ahead):
        items = ", ".join(f"{pillars.at[c, 'name']} (+{d:.1f} points)" for c, d in ahead.items())
        msgs.append(f"Ahead of {peer_label} on {items}.")
    if len(behind):
        items = ", ".join(f"{pillars.at[c, 'name']} (−{-d:.1f} points)" for c, d in behind.items())
        msgs.append(f"Behind {peer_label} on {items}.")
    if not len(ahead) and not len(behind) and len(diff):
        msgs.append(f"On a par with {peer_label} on every pillar.")
    no_score = pillars.index[pillars["score"].isna()]
    if len(no_score):
        msgs.append(
            "No score on "
            + ", ".join(pillars.loc[no_score, "name"])
            + " (too few indicators with data)."
        )
    from .ecosystem import maturity_band

    band = pillars["score"].dropna().map(maturity_band)
    if len(band):
        counts = band.value_counts(sort=False)
        commonest = counts.idxmax()
        msgs.append(
            f"{int(counts.max())} of {len(band)} pillars are at the "
            f"'{commonest}' maturity level (0–100 bands of 20 points)."
        )
    return msgs


def methodology_text(
    build: Any,
    provenance: Mapping[str, Any] | None = None,
    *,
    synthetic: bool = False,
    intervals: bool = False,
) -> str:
    """Markdown describing how the numbers were made: the spec's steps, the framework, the
    screened indicators and units, and the data sources with their SHA-256 (provenance)."""
    fw = build.framework
    lines = [
        f"**Framework**: `{fw.code}` — {len(_pillars(fw))} pillars, "
        f"{len(fw.indicators)} indicators; index `{fw.root}`.",
        "",
        "**Build steps**:",
        "",
    ]
    for stage, opts in build.spec.to_mapping().items():
        desc = (
            ", ".join(f"{k}={v}" for k, v in opts.items())
            if isinstance(opts, Mapping)
            else str(opts)
        )
        lines.append(f"- {stage}: {desc}")
    dropped = [c for c in fw.indicators if c not in build.scores.columns]
    if dropped or build.missing:
        lines += [
            "",
            "**Indicators not used** (no data or below the coverage threshold): "
            + ", ".join(f"`{c}`" for c in [*build.missing, *dropped])
            + ".",
        ]
    screened = sorted(set(build.raw.index) - set(build.scores.index))
    if screened:
        lines += [
            "",
            "**Economies not scored** (too few indicators): " + ", ".join(map(str, screened)) + ".",
        ]
    lines += [
        "",
        "Rank and score intervals: "
        + (
            f"5th–95th percentiles over {INTERVAL_RUNS:,} Monte Carlo runs (R seed "
            f"{INTERVAL_SEED}) that vary "
            + "; ".join(_vary_text(k, v) for k, v in _default_vary(build).items())
            + "."
            if intervals
            else "not shown."
        ),
    ]
    if provenance:
        recs = {k: v for k, v in provenance.items() if isinstance(v, Mapping)}
        built = sorted(
            {
                f"{v.get('created', '?')} (innolab {v.get('innolab_version', '?')})"
                for v in recs.values()
            }
        )
        lines += [
            "",
            f"**Processed data**: {', '.join(f'`{k}`' for k in recs)}, built "
            + "; ".join(built)
            + ".",
            "",
            "**Data sources**:",
            "",
        ]
        seen = set()
        for rec in recs.values():
            for src in rec.get("sources", []):
                key = (src.get("path"), src.get("sha256"))
                if key in seen:
                    continue
                seen.add(key)
                lines.append(
                    f"- `{src.get('path')}` — source {src.get('source')}, retrieved "
                    f"{src.get('retrieved')}, SHA-256 "
                    f"`{str(src.get('sha256', ''))[:12]}…`"
                )
    if synthetic:
        lines += [
            "",
            "**These data are synthetic** (fictional demo economies): the results "
            "illustrate the method and describe no real country.",
        ]
    return "\n".join(lines)


def _default_vary(build: Any) -> dict[str, Any]:
    from .analysis.uncertainty import default_vary

    return default_vary(build)


def _vary_text(key: str, value: Any) -> str:
    """One varied assumption in words, for the methodology section."""
    if key == "weights" and isinstance(value, Mapping):
        return f"weights (±{100 * float(value.get('noise', 0)):.0f}% uniform noise)"
    alts = []
    for v in value if isinstance(value, list | tuple) else [value]:
        if isinstance(v, Mapping):
            m = dict(v)
            name = str(m.pop("method", ""))
            alts.append(name + (f" ({', '.join(f'{k} {x}' for k, x in m.items())})" if m else ""))
        else:
            alts.append(
                "nominal" if v in ("on", True) else "none" if v in ("off", False) else str(v)
            )
    return f"{key.replace('.method', '')}: " + " / ".join(alts)


# --- intervals -------------------------------------------------------------------------------
#: Monte Carlo runs and R seed of the studies' uncertainty analysis (METHOD.md: N = 1,000).
INTERVAL_RUNS = 1000
INTERVAL_SEED = 1


def study_uncertainty(
    build: Any,
    *,
    n: int = INTERVAL_RUNS,
    seed: int = INTERVAL_SEED,
    vary: Mapping[str, Any] | None = None,
    sensitivity: bool = False,
) -> Any:
    """Monte Carlo uncertainty (or sensitivity) analysis of a study build over innolab's
    default assumptions (:func:`innolab.analysis.uncertainty.default_vary`)."""
    from .analysis.uncertainty import default_vary, uncertainty_analysis

    return uncertainty_analysis(
        build,
        default_vary(build) if vary is None else vary,
        n=n,
        seed=seed,
        sensitivity=sensitivity,
        keep_indicators=not sensitivity,
    )


def intervals_path(folder: str | os.PathLike, framework: str, year: int) -> Path:
    """Where :func:`write_intervals` puts the intervals of ``framework`` for ``year``."""
    return Path(folder) / f"intervals_{framework}_{int(year)}.csv"


def _interval_record(build: Any, n: int, seed: int) -> dict[str, Any]:
    from .analysis.uncertainty import default_vary

    return {
        "framework": build.framework.code,
        "spec": build.spec.to_mapping(),
        "vary": default_vary(build),
        "runs": int(n),
        "seed": int(seed),
    }


def write_intervals(
    build: Any,
    folder: str | os.PathLike,
    *,
    year: int,
    provenance_sources: Sequence[Path] = (),
    n: int = INTERVAL_RUNS,
    seed: int = INTERVAL_SEED,
) -> Path:
    """Run the studies' uncertainty analysis once and write every node's rank and score
    intervals (:meth:`UncertaintyResult.intervals`) to ``intervals_<framework>_<year>.csv``,
    atomically with provenance; country notebooks then read it instead of recomputing."""
    from .io import source_record, write_provenance, write_table

    res = study_uncertainty(build, n=n, seed=seed)
    out = intervals_path(folder, build.framework.code, year)
    write_table(res.intervals(), out)
    write_provenance(
        out,
        [source_record(p) for p in provenance_sources if Path(p).is_file()],
        year=int(year),
        failed_runs=len(res.failed),
        **_interval_record(build, n, seed),
    )
    return out


def study_intervals(
    build: Any, data: ProcessedData | None = None, year: int | None = None
) -> pd.DataFrame:
    """Rank and score intervals of every node (long table: ``code, iso3, rank_nominal,
    rank_median, rank_q05, rank_q95, score_...``): read from the processed folder when
    :func:`write_intervals` wrote them for the same framework, year, spec, assumptions and
    input files, else computed now."""
    from .io import read_provenance, sha256_file

    if data is not None and year is not None:
        path = intervals_path(data.folder, build.framework.code, year)
        if path.is_file():
            try:
                rec = read_provenance(path)
            except (OSError, ValueError, DataFileError):
                rec = None
            want = _interval_record(build, INTERVAL_RUNS, INTERVAL_SEED)
            fresh = (
                rec is not None
                and all(rec.get(k) == v for k, v in want.items())
                and rec.get("year") == int(year)
                and rec.get("sources")
                and all(
                    (data.folder / Path(src.get("path", "")).name).is_file()
                    and sha256_file(data.folder / Path(src["path"]).name) == src.get("sha256")
                    for src in rec["sources"]
                )
            )
            if fresh:
                return pd.read_csv(path, keep_default_na=False, na_values=[""])
    return study_uncertainty(build).intervals()


def _rank_intervals(intervals: pd.DataFrame | None, code: str) -> pd.DataFrame | None:
    """Units x ``nominal, median, q05, q95`` of ``code``'s rank (the ``innolab uncertainty``
    ``--out`` layout, what :func:`innolab.plots.plot_rank_intervals` draws)."""
    if intervals is None:
        return None
    t = intervals[intervals["code"] == code].set_index("iso3")
    out = t[["rank_nominal", "rank_median", "rank_q05", "rank_q95"]]
    out.columns = ["nominal", "median", "q05", "q95"]
    return out.rename_axis("iso3")


def _interval_text(lo: Any, hi: Any) -> str | None:
    if pd.isna(lo) or pd.isna(hi):
        return None
    a, b = int(np.floor(lo)), int(np.ceil(hi))
    return f"{a}" if a == b else f"{a}–{b}"


# --- country study ----------------------------------------------------------------------------
@dataclass
class CountryStudy:
    """Everything a Digital Innovation Profile shows (see :func:`country_study`).

    Tables are rounded for display; ``build`` keeps the full-precision numbers.
    """

    iso3: str
    name: str
    year: int
    framework: str
    index_code: str
    score: float
    rank: float
    n_units: int
    peer_label: str
    peers: list[str]
    messages: list[str]
    headline: pd.DataFrame
    engines: pd.DataFrame
    engines_note: str
    pillars: pd.DataFrame
    strengths: pd.DataFrame
    gaps: pd.DataFrame
    gap_plan: pd.DataFrame
    gap_summary: str
    ratings: pd.DataFrame | None
    annex: pd.DataFrame
    methodology: str
    synthetic: bool
    build: Any = field(repr=False, default=None)
    rank_intervals: pd.DataFrame | None = None

    @property
    def banner(self) -> str:
        """Markdown banner: synthetic-data warning or nothing."""
        if not self.synthetic:
            return ""
        return (
            "> **⚠ Synthetic demo data.** This profile describes a *fictional* economy "
            "generated to demonstrate innolab. None of its numbers describe a real country."
        )

    @property
    def messages_md(self) -> str:
        """The key messages as a Markdown list."""
        return "\n".join(f"- {m}" for m in self.messages)

    @property
    def labels(self) -> dict[str, str]:
        """Code -> name of the pillars (chart labels)."""
        return dict(zip(self.pillars.index, self.pillars["name"], strict=True))

    @property
    def indicator_gaps(self) -> pd.DataFrame:
        """Indicators furthest behind the peers' median: name, own-unit value, peers' median
        value, gap in normalised points (country minus peers), largest shortfall first."""
        g = self.gaps[(self.gaps["level"] == 1) & (self.gaps["reference"] == "peer_median")]
        out = g[["name", "unit", "value", "reference_value", "gap"]].rename(
            columns={"reference_value": "peer_median_value", "gap": "gap_points"}
        )
        return out.sort_values("gap_points").round(2).reset_index(drop=True)

    @property
    def gdp_table(self) -> pd.DataFrame:
        """Units x ``score, gdp_per_capita, name`` (index vs GDP chart); empty without GDP."""
        code = "NY.GDP.PCAP.PP.KD"
        b = self.build
        if b is None or code not in b.raw.columns:
            return pd.DataFrame(columns=["score", "gdp_per_capita"])
        gdp = own_units(b.framework, code, b.raw[code].reindex(b.scores.index))
        out = pd.DataFrame({"score": b.scores[self.index_code], "gdp_per_capita": gdp}).dropna()
        return out

    @property
    def gdp_country(self) -> str | None:
        """The country's code when it is in :attr:`gdp_table` (else None: no highlight)."""
        return self.iso3 if self.iso3 in self.gdp_table.index else None

    @property
    def ratings_year(self) -> int | None:
        """The expert-rating round shown: the latest up to the study year (else the latest)."""
        if self.ratings is None or "year" not in self.ratings.columns:
            return None
        years = sorted(int(y) for y in self.ratings["year"].dropna().unique())
        before = [y for y in years if y <= self.year]
        return (before or years)[-1] if years else None

    @property
    def ratings_title(self) -> str:
        """Title of the expert grid, naming the rating round."""
        when = f", {self.ratings_year}" if self.ratings_year is not None else ""
        return f"{self.name}: expert ratings by stakeholder and enabler{when}"

    @property
    def pillar_gaps(self) -> pd.DataFrame:
        """Pillar gaps (country minus reference, points), wide, for :func:`plot_gaps`."""
        g = self.gaps[self.gaps["code"].isin(self.pillars.index)]
        wide = g.pivot(index="code", columns="reference", values="gap").reindex(self.pillars.index)
        wide["name"] = self.pillars["name"]
        return wide


def _peer_spec(peers: str | Sequence[str]) -> str | list[str]:
    if isinstance(peers, str):
        items = [p.strip() for p in peers.split(",") if p.strip()]
        if len(items) > 1 or (items and items[0].isupper()):
            return items  # ISO3 codes; anything else is a grouping name
        return items[0] if items else "income_group"
    return list(peers)


def _resolve_peers(
    iso3: str, spec: str | list[str], d: ProcessedData, units: list[str]
) -> tuple[list[str], str]:
    if isinstance(spec, list):
        unknown = [c for c in spec if c not in units]
        if unknown:
            raise UnknownCountryError(
                {c: near_matches(c, units) for c in unknown}, source="parameter 'peers'"
            )
        return spec, "selected peers"
    if spec not in GROUPINGS:
        raise ParameterError(
            "peers",
            f"{spec!r}: use one of {', '.join(GROUPINGS)} or a comma-separated list of ISO3 codes",
        )
    group = d.countries.at[iso3, spec] if spec in d.countries.columns else None
    if group is None or pd.isna(group):
        return [], f"{_GROUP_LABELS[spec]} peers"
    members = d.countries.index[d.countries[spec] == group]
    return [u for u in units if u in members], f"{group} peers"


_INVERSE = {"log1p": np.expm1, "log": np.exp, "sqrt": np.square}


def own_units(framework: Framework, code: str, values: Any) -> Any:
    """Undo the framework's ``transform`` of indicator ``code`` (log1p, log, sqrt), so that
    values read off a selection are shown in the indicator's own unit.

    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "nodes": [{"code": "I"},
    ...     {"code": "g", "parent": "I", "transform": "log1p"}]})
    >>> float(round(own_units(fw, "g", np.log1p(999.0)), 6))
    999.0
    """
    how = fw_transform(framework, code)
    return values if how is None else _INVERSE[how](values)


def fw_transform(framework: Framework, code: str) -> str | None:
    """The transform of ``code`` in ``framework`` (None when it has none or is not a node)."""
    if code not in framework:
        return None
    how = getattr(framework.node(code), "transform", None)
    return how if how in _INVERSE else None


def _headline(build: Any, d: ProcessedData, iso3: str) -> pd.DataFrame:
    fw = build.framework
    rows = []
    for p in _pillars(fw):
        for code in fw.children(p):
            if fw.node(code).level != 1:
                continue
            raw = (
                own_units(fw, code, float(build.raw.at[iso3, code]))
                if code in build.raw.columns
                else np.nan
            )
            yr = (
                build.years.at[iso3, code]
                if build.years is not None and code in build.years.columns
                else np.nan
            )
            meta = d.indicators["unit"].get(code) if "unit" in d.indicators.columns else None
            rows.append(
                {
                    "pillar": _label(fw, p),
                    "code": code,
                    "indicator": _label(fw, code),
                    "value": raw,
                    "unit": fw.node(code).unit or meta or "",
                    "data_year": yr,
                }
            )
    return pd.DataFrame(rows)


def _headline_rows(table: pd.DataFrame, fw: Framework) -> pd.DataFrame:
    """The headline indicator of each pillar: its highest-weight indicator (first declared on
    ties) that has a value, else its highest-weight indicator."""
    w = fw.weights()
    rows = []
    for _, grp in table.groupby("pillar", sort=False):
        grp = grp.assign(_w=[float(w.get(c, 1.0)) for c in grp["code"]], _has=grp["value"].notna())
        rows.append(grp.sort_values(["_has", "_w"], ascending=False, kind="stable").index[0])
    return table.loc[rows].reset_index(drop=True)


def _annex(
    build: Any, iso3: str, headline: pd.DataFrame, intervals: pd.DataFrame | None
) -> pd.DataFrame:
    s, r = build.scores, build.ranks
    out = headline.copy()
    out["score"] = [s.at[iso3, c] if c in s.columns else np.nan for c in out["code"]]
    out["rank"] = [r.at[iso3, c] if c in r.columns else np.nan for c in out["code"]]
    out["n_units"] = [int(s[c].notna().sum()) if c in s.columns else 0 for c in out["code"]]
    out["coverage_%"] = (100 * out["n_units"] / len(s)).round(0)
    out["value"] = out["value"].round(2)
    out["score"] = out["score"].round(1)
    out["rank"] = out["rank"].astype("Int64")
    if intervals is not None:
        iv = intervals[intervals["iso3"] == iso3].set_index("code").reindex(out["code"])
        out["rank_interval"] = [
            _interval_text(a, b) for a, b in zip(iv["rank_q05"], iv["rank_q95"], strict=True)
        ]
    out["data_year"] = out["data_year"].astype("Int64")
    return out


def _engines(build: Any, d: ProcessedData, iso3: str, year: int) -> tuple[pd.DataFrame, str]:
    from .analysis import three_engines

    measures = {build.framework.root: build.scores[build.framework.root]}
    missing = []
    for name, codes in _ENGINE_CODES.items():
        p = d.panel[d.panel["indicator"].isin(codes) & (d.panel["year"] <= year)]
        if p.empty:
            missing.append(name)
            continue
        latest = p.sort_values("year").groupby("iso3")["value"].last()
        measures[name] = latest
    groups = {g: d.countries[g] for g in ("itu_region", "income_group") if g in d.countries}
    table = three_engines(iso3, measures, groups=groups)
    note = (
        ""
        if not missing
        else f"{' and '.join(missing)} {'is' if len(missing) == 1 else 'are'} not loaded in "
        "this data set, so the benchmark shows the innolab index only."
    )
    cols = [
        c
        for c in (
            "measure",
            "grouping",
            "group",
            "value",
            "rank",
            "n_units",
            "group_median",
            "difference",
        )
        if c in table.columns
    ]
    return table[cols].round(1), note


def _gaps_long(build: Any, iso3: str, peers: list[str], region: list[str]) -> pd.DataFrame:
    from .analysis import gaps_for

    # own units and screened-out indicators are handled by the analysis layer
    g = gaps_for(build, iso3, peers=peers, region=region or None)
    fw = build.framework
    g = g.assign(
        reference=g["reference"].replace({"region_frontier": "frontier"}),
        gap=g["score"] - g["reference_score"],
    )
    g["name"] = [_label(fw, c) for c in g["code"]]
    return g


def _gap_plan(build: Any, iso3: str, peers: list[str]) -> tuple[pd.DataFrame, str]:
    from .analysis import build_inputs, close_gap_build

    method = build_inputs(build).method
    cols = [
        "step",
        "name",
        "unit",
        "value_before",
        "value_after",
        "points_before",
        "points_after",
        "score_gain",
    ]
    if method is None or len(peers) < 2:
        return pd.DataFrame(columns=cols), "No closing-the-gap plan: too few peers."
    others = [p for p in peers if p != iso3]
    plan = close_gap_build(build, iso3, peers=others)
    if plan.score_before >= plan.target:
        return (
            pd.DataFrame(columns=cols),
            f"Already at or above the peers' median ({plan.target:.1f}); no gap to close.",
        )
    table = plan.plan[[c for c in cols if c in plan.plan.columns]].copy().round(2)
    verdict = "reaches" if plan.reached else "cannot reach"
    text = (
        f"Raising the {len(table)} indicator(s) below, in this order, {verdict} the peers' "
        f"median index score of {plan.target:.1f} (from {plan.score_before:.1f} to "
        f"{plan.score_after:.1f}; rank {int(plan.rank_before)} → {int(plan.rank_after)})."
    )
    return table, text


def country_study(
    iso3: str,
    year: int | str | None = None,
    framework: str = "digital_innovation",
    peers: str | Sequence[str] = "income_group",
    data: ProcessedData | str | os.PathLike | None = "",
    *,
    n_strengths: int = 5,
) -> CountryStudy:
    """Gather a Digital Innovation Profile of ``iso3`` (METHOD §1).

    Parameters
    ----------
    iso3 : the economy (ISO3 code of the processed countries table).
    year : reference year (None/"": :func:`latest_year`).
    framework : shipped framework name or path.
    peers : ``itu_region``, ``wb_region``, ``income_group`` or ISO3 codes (list or "A,B,C").
    data : processed folder or :class:`ProcessedData` ("" = ``data/processed``).
    n_strengths : strengths and weaknesses listed each.

    Raises
    ------
    UnknownCountryError
        ``iso3`` (or a listed peer) is not an economy of the data.
    CoverageError
        The economy has no index score (screened out for low data coverage).
    """
    from .analysis import strengths_for

    d = _as_data(data)
    if iso3 not in d.countries.index:
        raise UnknownCountryError(
            {iso3: near_matches(iso3, d.economies)}, source="parameter 'iso3'"
        )
    b = score_processed(d, framework=framework, year=year)
    year = int(b.years.max().max()) if year in (None, "") else int(year)
    fw = b.framework
    root = fw.root
    units = list(b.scores.index)
    if iso3 not in units or pd.isna(b.scores.at[iso3, root]):
        raise CoverageError(
            f"{iso3} has no {root} score in {year}: too few indicators have "
            "data (see the screening rule in the methodology)"
        )
    peer_list, peer_label = _resolve_peers(iso3, _peer_spec(peers), d, units)
    region_list, _ = (
        _resolve_peers(iso3, "itu_region", d, units)
        if "itu_region" in d.countries.columns
        else ([], "")
    )
    iv = study_intervals(b, d, year)
    rank_iv = _rank_intervals(iv, root)
    pillars = pillar_table(b, iso3, peer_list, intervals=iv)
    sw = strengths_for(b, iso3, n=n_strengths).rename(columns={"kind": "flag"})
    sw = sw.set_index("code")
    full = _headline(b, d, iso3)
    headline = _headline_rows(full, fw)
    engines, note = _engines(b, d, iso3, year)
    gaps_long = _gaps_long(b, iso3, peer_list, region_list)
    plan, plan_text = _gap_plan(b, iso3, peer_list)
    ratings = None
    if d.ratings is not None and iso3 in set(d.ratings["iso3"]):
        ratings = d.ratings[d.ratings["iso3"] == iso3]
    score = float(b.scores.at[iso3, root])
    rank = float(b.ranks.at[iso3, root])
    n_units = int(b.scores[root].notna().sum())
    name = d.name(iso3)
    return CountryStudy(
        iso3=iso3,
        name=name,
        year=year,
        framework=fw.code,
        index_code=root,
        score=round(score, 1),
        rank=rank,
        n_units=n_units,
        peer_label=peer_label,
        peers=peer_list,
        messages=key_messages(
            name,
            root,
            score,
            rank,
            n_units,
            pillars,
            peer_label,
            rank_interval=tuple(rank_iv.loc[iso3, ["q05", "q95"]])
            if iso3 in rank_iv.index
            else None,
        ),
        headline=headline.assign(
            value=headline["value"].round(2), data_year=headline["data_year"].astype("Int64")
        ),
        engines=engines,
        engines_note=note,
        pillars=pillars.round(1),
        strengths=sw.round(1),
        gaps=gaps_long,
        gap_plan=plan,
        gap_summary=plan_text,
        ratings=ratings,
        annex=_annex(b, iso3, full, iv),
        methodology=methodology_text(
            b, d.provenance, synthetic=d.is_synthetic, intervals=rank_iv is not None
        ),
        synthetic=d.is_synthetic,
        build=b,
        rank_intervals=rank_iv,
    )


# --- regional study ---------------------------------------------------------------------------
@dataclass
class RegionalStudy:
    """Group comparison for one grouping (see :func:`regional_study`)."""

    grouping: str
    year: int
    framework: str
    distributions: pd.DataFrame
    leaders: pd.DataFrame
    heatmap: pd.DataFrame
    convergence: pd.DataFrame
    convergence_text: str
    methodology: str
    synthetic: bool

    @property
    def banner(self) -> str:
        """Markdown banner when the data are synthetic."""
        return (
            "> **⚠ Synthetic demo data** (fictional economies): the comparison "
            "illustrates the method only."
            if self.synthetic
            else ""
        )

    @property
    def label(self) -> str:
        """Human label of the grouping."""
        return _GROUP_LABELS[self.grouping]

    @property
    def group_medians(self) -> pd.DataFrame:
        """Years x groups: the median index score (the convergence table without the spread)."""
        return self.convergence.drop(columns="between_group_sd")


def convergence(index_by_year: pd.DataFrame, groups: pd.Series) -> pd.DataFrame:
    """Per year: median index per group and the spread between groups (sigma convergence).

    Parameters
    ----------
    index_by_year : years x units, the index score.
    groups : unit -> group.

    Returns
    -------
    DataFrame indexed by year: one column per group (median score) and ``between_group_sd``
    (standard deviation of the group medians; falling = convergence).

    Examples
    --------
    >>> s = pd.DataFrame({"A": [10.0, 20.0], "B": [30.0, 30.0]}, index=[2020, 2021])
    >>> convergence(s, pd.Series({"A": "g1", "B": "g2"}))["between_group_sd"].round(2).tolist()
    [14.14, 7.07]
    """
    long = index_by_year.T.join(groups.rename("__group__"))
    med = long.groupby("__group__").median().T
    med.columns.name = None
    med.index.name = "year"
    med["between_group_sd"] = med.std(axis=1, ddof=1)
    return med


def regional_study(
    grouping: str = "itu_region",
    year: int | str | None = None,
    framework: str = "digital_innovation",
    data: ProcessedData | str | os.PathLike | None = "",
    *,
    leaders: int = 3,
    first_year: int | None = None,
) -> RegionalStudy:
    """Compare groups of economies: score distributions, leaders per group, pillar medians
    (heatmap) and convergence of the group medians over time (one build per year)."""
    if grouping not in GROUPINGS:
        raise ParameterError("grouping", f"{grouping!r} is not one of {', '.join(GROUPINGS)}")
    d = _as_data(data)
    fw = load_framework(framework)
    year = latest_year(d.panel, fw) if year in (None, "") else int(year)
    b = score_processed(d, framework=fw, year=year)
    root = b.framework.root
    groups = d.countries[grouping].reindex(b.scores.index)
    dist = pd.DataFrame({"group": groups, "score": b.scores[root]}).dropna()
    dist["name"] = [d.name(u) for u in dist.index]
    top = (
        dist.sort_values("score", ascending=False)
        .groupby("group", sort=True)
        .head(leaders)
        .sort_values(["group", "score"], ascending=[True, False])
    )
    top = top.assign(
        rank=b.ranks[root].reindex(top.index).astype("Int64"), score=top["score"].round(1)
    ).reset_index()
    pillars = [p for p in _pillars(b.framework) if p in b.scores.columns]
    heat = b.scores[pillars].groupby(groups).median().round(1)
    heat.index.name = grouping
    years = sorted(int(y) for y in d.panel["year"].unique() if y <= year)
    if first_year is not None:
        years = [y for y in years if y >= first_year]
    series = {}
    for y in years:
        try:
            series[y] = score_processed(d, framework=fw, year=y).scores[root]
        except Exception:  # noqa: BLE001 - a year without enough data is skipped
            continue
    conv = convergence(pd.DataFrame(series).T, d.countries[grouping]).round(1)
    sd = conv["between_group_sd"].dropna()
    text = (
        "Not enough years to assess convergence."
        if len(sd) < 2
        else f"The spread of the group medians went from {sd.iloc[0]:.1f} points in "
        f"{sd.index[0]} to {sd.iloc[-1]:.1f} in {sd.index[-1]}: the groups "
        + ("converged." if sd.iloc[-1] < sd.iloc[0] else "diverged.")
        + " Each year is normalised on its own, so the scores compare economies within a "
        "year, not absolute progress."
    )
    return RegionalStudy(
        grouping,
        year,
        b.framework.code,
        dist,
        top,
        heat,
        conv,
        text,
        methodology_text(b, d.provenance, synthetic=d.is_synthetic),
        d.is_synthetic,
    )


# --- methodology audit ----------------------------------------------------------------------------
@dataclass
class AuditStudy:
    """Statistical audit of a framework on the data (see :func:`methodology_audit`)."""

    year: int
    framework: str
    correlations: pd.DataFrame
    cronbach: pd.DataFrame
    flags: pd.DataFrame
    pillar_correlations: pd.DataFrame
    rank_intervals: pd.DataFrame | None
    uncertainty_note: str
    methodology: str
    synthetic: bool
    sensitivity: pd.DataFrame | None = None

    @property
    def banner(self) -> str:
        """Markdown banner when the data are synthetic."""
        return "> **⚠ Synthetic demo data** (fictional economies)." if self.synthetic else ""


def methodology_audit(
    framework: str = "digital_innovation",
    year: int | str | None = None,
    data: ProcessedData | str | os.PathLike | None = "",
) -> AuditStudy:
    """Coherence tables (indicator x pillar/index correlations, Cronbach's alpha per pillar,
    coherence flags, pillar x pillar correlations), the index's rank intervals and the
    variance-based sensitivity of the ranks to each default assumption (first-order and total
    indices with bootstrap intervals; Saltelli design with ``N =`` :data:`INTERVAL_RUNS`)."""
    from .analysis import coherence_flags, corr_matrix, cronbach_by_aggregate, get_corr

    d = _as_data(data)
    b = score_processed(d, framework=framework, year=year)
    fw = present_framework(b)
    scores = b.scores
    corr = get_corr(scores, fw)
    if {"Var1", "Var2", "Correlation"} <= set(corr.columns):
        corr = corr.pivot_table(index="Var2", columns="Var1", values="Correlation", sort=False)
        corr.index.name, corr.columns.name = "indicator", None
    alpha = cronbach_by_aggregate(scores, fw)
    alpha = (
        alpha.to_frame("cronbach_alpha")
        if isinstance(alpha, pd.Series)
        else alpha.set_index("group")
        if "group" in alpha.columns
        else alpha
    )
    flags = coherence_flags(scores, fw)
    if "flag" in flags.columns:
        flags = flags[flags["flag"].astype(str).str.len() > 0].reset_index(drop=True)
    pillars = [p for p in _pillars(fw) if p in scores.columns] + [fw.root]
    pc = corr_matrix(scores[pillars]).round(2)
    yr = latest_year(d.panel, fw) if year in (None, "") else int(year)
    rank_iv = _rank_intervals(study_intervals(b, d, yr), fw.root)
    sa = study_uncertainty(b, sensitivity=True)
    sens = sa.sensitivity_table().reset_index(drop=True)
    sens["interactions"] = (sens["total"] - sens["first_order"]).clip(lower=0)
    top = sens.sort_values("total", ascending=False).iloc[0]
    note = (
        f"Sensitivity analysis: {sa.n_runs:,} runs (Saltelli design, N = {sa.n:,}, "
        f"{len(sa.inputs)} assumptions); output = mean absolute rank shift of {fw.root}. "
        f"The ranks depend most on **{top['input']}** (total index {top['total']:.2f}); "
        "first-order indices measure an assumption alone, total indices include its "
        "interactions with the others."
        + (f" {len(sa.failed)} runs failed (methods in conflict)." if len(sa.failed) else "")
    )
    return AuditStudy(
        yr,
        fw.code,
        corr.round(2) if hasattr(corr, "round") else corr,
        alpha.round(2),
        flags,
        pc,
        rank_iv,
        note,
        methodology_text(b, d.provenance, synthetic=d.is_synthetic, intervals=rank_iv is not None),
        d.is_synthetic,
        sens.round(3),
    )


# --- data coverage (explore notebook) --------------------------------------------------------
def coverage_table(
    panel: pd.DataFrame, framework: Framework | str = "digital_innovation"
) -> pd.DataFrame:
    """Share of economies (%) with a value, per framework indicator (rows) and year (columns).

    Examples
    --------
    >>> from innolab.framework import Framework
    >>> fw = Framework.from_mapping({"code": "t", "nodes": [{"code": "I"},
    ...     {"code": "a", "parent": "I"}, {"code": "b", "parent": "I"}]})
    >>> p = pd.DataFrame({"iso3": ["X", "Y", "X"], "indicator": ["a", "a", "b"],
    ...                   "year": [2020, 2020, 2020], "value": [1.0, 2.0, 3.0]})
    >>> coverage_table(p, fw).to_dict()
    {2020: {'a': 100.0, 'b': 50.0}}
    """
    fw = load_framework(framework)
    p = panel[panel["value"].notna()]
    units = p.groupby("year")["iso3"].nunique()
    p = p[p["indicator"].isin(fw.indicators)]
    counts = p.groupby(["indicator", "year"])["iso3"].nunique().unstack("year")
    out = counts.div(units, axis=1).reindex(list(fw.indicators)).mul(100).round(1)
    out.columns.name = None
    out.index.name = "indicator"
    return out.fillna(0.0)


def indicator_trend(panel: pd.DataFrame, code: str, iso3: str) -> pd.DataFrame:
    """One indicator over the years: the economy's value and the median and quartiles of all
    economies with data that year (input of :func:`innolab.plots.plot_trends`).

    Examples
    --------
    >>> p = pd.DataFrame({"iso3": ["X", "Y", "Z", "X"], "indicator": "a",
    ...                   "year": [2020, 2020, 2020, 2021], "value": [1.0, 2.0, 4.0, 3.0]})
    >>> indicator_trend(p, "a", "Y").to_dict("list")["group_median"]
    [2.0, 3.0]
    """
    p = panel[(panel["indicator"] == code) & panel["value"].notna()]
    if p.empty:
        raise ParameterError(
            "indicator",
            f"{code!r} has no data; codes with data: "
            + ", ".join(sorted(panel["indicator"].unique())[:40]),
        )
    g = p.groupby("year")["value"]
    out = pd.DataFrame(
        {
            "value": p[p["iso3"] == iso3].set_index("year")["value"],
            "group_median": g.median(),
            "group_q25": g.quantile(0.25),
            "group_q75": g.quantile(0.75),
        }
    )
    out.index = out.index.astype(int)
    out.index.name = "year"
    return out.sort_index()


def show_figure(ax: Any, *, colors: int = 128) -> None:
    """Display a chart in a notebook as a compact PNG and close it.

    The figure is drawn once at its own size and dpi and reduced to a ``colors``-colour
    palette (:func:`innolab.plots.render_png`): charts have few distinct colours, so this
    keeps them visually identical while making the embedded PNG 3-4 times smaller, which
    keeps each published report small (HTML embeds images as base64). Returns None, so that
    a cell ending with this call does not show the image a second time as its result. The
    image's alternative text is the chart's title (:func:`figure_alt_text`).
    """
    import matplotlib.pyplot as plt
    from IPython.display import Image, display

    from .plots import render_png

    fig = ax if hasattr(ax, "savefig") else ax.figure
    try:
        png = render_png(fig, colors=colors)
        alt = figure_alt_text(fig)
    finally:
        plt.close(fig)
    display(Image(data=png, format="png", alt=alt))


def table_style(
    frame: pd.DataFrame,
    *,
    precision: int = 2,
    index: bool | None = None,
    na_rep: str = "\u2013",
) -> Any:
    """A table as the reports show it (a pandas ``Styler``, displayed by a notebook cell).

    Text columns and their headers are left-aligned, number columns right-aligned (the
    style sheet cannot tell them apart); numbers get ``precision`` decimals, except
    columns of whole numbers (ranks, counts, years), which get none; missing values show as
    ``na_rep``; column names are written as words ("data_year" becomes "Data year"). The
    index is shown when it means something (a named index such as indicator codes, shown
    as the first column under its name) and hidden when it only numbers the rows, unless
    ``index`` says otherwise.
    """
    if index is None:
        index = any(name is not None for name in frame.index.names)
    if index and all(name is not None for name in frame.index.names):
        # a named index becomes the first column(s): its name then heads it on the same
        # header row, instead of on a row of its own under the column names
        with contextlib.suppress(ValueError):  # a column of the same name: keep the index
            frame, index = frame.reset_index(), False
    sty = frame.style
    formats: dict[Any, Any] = {}
    styles: dict[Any, list[dict[str, str]]] = {}
    for col in frame.columns:
        s = frame[col]
        if not isinstance(s, pd.Series):  # duplicated column names: leave as is
            formats, styles = {}, {}
            break
        numeric = pd.api.types.is_numeric_dtype(s) and not pd.api.types.is_bool_dtype(s)
        align = "right" if numeric else "left"
        styles[col] = [
            {"selector": "td", "props": f"text-align: {align}"},
            {"selector": "th", "props": f"text-align: {align}"},
        ]
        if numeric and pd.api.types.is_float_dtype(s):
            v = s.to_numpy(dtype=float, na_value=np.nan)
            v = v[np.isfinite(v)]
            whole = bool(len(v)) and bool(np.all(v == np.round(v))) and bool(np.all(abs(v) < 1e15))
            # every float column gets its own formatter: a later format() with a dict of
            # formatters sends the columns it does not name back to pandas' six decimals
            formats[col] = "{:.0f}" if whole else f"{{:.{int(precision)}f}}"
    sty = sty.format(precision=precision, na_rep=na_rep)
    if formats:
        sty = sty.format(formats, na_rep=na_rep)
    if styles:
        sty = sty.set_table_styles(styles, overwrite=False)
    sty = sty.format_index(_column_words, axis="columns")
    if not index:
        sty = sty.hide(axis="index")
    return sty


#: column names of the study tables that read better spelled out
_COLUMN_WORDS = {"n_units": "Units", "q05": "5th percentile", "q95": "95th percentile"}


def _column_words(label: Any) -> str:
    """A column name as words: a known abbreviation spelled out, otherwise underscores
    become spaces and the first letter is upper case."""
    if label in _COLUMN_WORDS:
        return _COLUMN_WORDS[label]
    text = str(label).replace("_", " ")
    return text[:1].upper() + text[1:]


def figure_alt_text(fig: Any) -> str:
    """Alternative text of a chart for its ``<img>`` (screen readers, and what a browser shows
    when the image cannot load): its titles, one line each; "Chart" when it has none."""
    titles = []
    sup = getattr(fig, "_suptitle", None)
    if sup is not None and sup.get_text():
        titles.append(sup.get_text())
    for a in fig.axes:
        for loc in ("left", "center", "right"):
            t = a.get_title(loc=loc)
            if t:
                titles.append(t)
    text = " — ".join(" ".join(t.split()) for t in titles)
    return text or "Chart"


# --- innolab reports ----------------------------------------------------------------------
def write_scores(
    build: Any,
    countries: pd.DataFrame,
    folder: str | os.PathLike,
    *,
    year: int,
    provenance_sources: Sequence[Path] = (),
) -> Path:
    """Write ``scores_<framework>_<year>.csv`` (one row per economy: :func:`scores_table`
    plus every pillar score) atomically with a provenance sidecar; returns the path."""
    from .io import source_record, write_provenance, write_table

    fw = build.framework
    table = scores_table(build, countries)
    pillars = [p for p in _pillars(fw) if p in build.scores.columns]
    table = table.join(build.scores[pillars].round(2), on="iso3")
    out = Path(folder) / f"scores_{fw.code}_{year}.csv"
    write_table(table, out)
    write_provenance(
        out,
        [source_record(p) for p in provenance_sources if Path(p).is_file()],
        framework=fw.code,
        year=int(year),
        spec=build.spec.to_mapping(),
    )
    return out


def make_reports(
    *,
    year: int | None = None,
    framework: str = "digital_innovation",
    countries: str = "all",
    jobs: int = 2,
    resume: bool = False,
    data: str | os.PathLike | None = "",
    out: str | os.PathLike | None = None,
    regional: bool = True,
    progress: bool = True,
    timeout: float = 600,
) -> dict[str, Any]:
    """``innolab reports``: score, run the country (and regional) notebooks, publish.

    Steps: score the processed panel for ``year`` (default :func:`latest_year`) and write
    ``scores_<framework>_<year>.csv``; run ``country_profile`` for every scored economy
    (``countries``: ``all``, ``demo`` or ``ISO3,ISO3``) into ``<out>/countries``; run
    ``regional_comparison`` once per grouping into ``<out>/regions_nb`` (``regional``);
    write ``<out>/index.html`` (country, score, rank, region, group) and one regional page per
    ITU-D region. Returns a summary dict (paths, batch summaries, failures).
    """
    from .report import run_batch
    from .report.publish import publish_reports

    d = load_processed(data)
    fw = load_framework(framework)
    year = latest_year(d.panel, fw) if year is None else int(year)
    b = score_processed(d, framework=fw, year=year)
    root = fw.root
    sources = [d.folder / "panel.parquet", d.folder / "countries.parquet"]
    scores_path = write_scores(b, d.countries, d.folder, year=year, provenance_sources=sources)
    iv_path = write_intervals(b, d.folder, year=year, provenance_sources=sources)
    rank_iv = _rank_intervals(pd.read_csv(iv_path, keep_default_na=False, na_values=[""]), root)
    scored = [u for u in b.scores.index if pd.notna(b.scores.at[u, root])]
    if countries == "all" or countries == "demo":
        chosen = (
            [u for u in scored if countries == "all" or bool(d.countries.at[u, "is_demo"])]
            if "is_demo" in d.countries
            else scored
        )
    else:
        chosen = [c.strip() for c in countries.split(",") if c.strip()]
        bad = [c for c in chosen if c not in scored]
        if bad:
            raise UnknownCountryError(
                {c: near_matches(c, scored) for c in bad}, source="--countries (scored economies)"
            )
    out = Path(out) if out is not None else config.REPORTS_DIR
    data_param = "" if data in (None, "") else str(Path(data).resolve())
    params = [
        {
            "iso3": u,
            "year": year,
            "framework": framework,
            "peers": "income_group",
            "data": data_param,
        }
        for u in chosen
    ]
    data_files = sorted(d.folder.glob("*.parquet"))
    preload = study_preload(data_param, framework, year)
    source_label = "; ".join(sorted(map(str, d.panel["source"].dropna().unique())))
    summary = run_batch(
        config.TEMPLATES_DIR / "country_profile.ipynb",
        params,
        out / "countries",
        jobs=jobs,
        resume=resume,
        timeout=timeout,
        progress=progress,
        data_files=data_files,
        preload=preload,
        context=lambda _params: {"source": source_label or "data/processed"},
    )
    regional_summary = None
    if regional:
        rparams = [
            {"grouping": g, "year": year, "framework": framework, "data": data_param}
            for g in GROUPINGS
        ]
        regional_summary = run_batch(
            config.TEMPLATES_DIR / "regional_comparison.ipynb",
            rparams,
            out / "groupings",
            jobs=jobs,
            resume=resume,
            timeout=timeout,
            progress=progress,
            name="grouping",
            validate=None,
            data_files=data_files,
            preload=preload,
        )
    table = scores_table(b, d.countries, intervals=rank_iv)
    table = table.rename(
        columns={
            "score": f"{root} score",
            "rank_interval": "rank interval (5–95%)",
            "itu_region": "region",
            "income_group": "group",
        }
    )
    cols = ["iso3", "name", f"{root} score", "rank", "rank interval (5–95%)", "region", "group"]
    res = publish_reports(
        out / "countries",
        index=out / "index.html",
        table=table[cols],
        key="iso3",
        columns=cols,
        group_by="region",
    )
    return {
        "year": year,
        "scores": scores_path,
        "intervals": iv_path,
        "batch": summary,
        "regional": regional_summary,
        "published": res,
    }
