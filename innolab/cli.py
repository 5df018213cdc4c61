"""Command line: parse, make one library call, print a short result.

Errors that innolab raises on purpose are printed in one or two lines (exit code 2); any other
exception is reported as an internal error. ``--debug`` shows the full traceback.
"""

from __future__ import annotations

import sys

import click

from . import __version__
from .errors import InnolabError

__all__ = ["main", "cli"]


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, prog_name="innolab")
@click.option("--debug", is_flag=True, help="Show full tracebacks.")
@click.pass_context
def cli(ctx: click.Context, debug: bool) -> None:
    """innolab: assess national digital-innovation ecosystems."""
    ctx.ensure_object(dict)
    ctx.obj["debug"] = debug


@cli.group()
def data() -> None:
    """Import raw sources and build the processed panel."""


# --- commands are registered below, one section per area -----------------------------------
# Each section only parses options and makes one library call.

# --- data: import (innolab.sources) ----------------------------------------------------------
_IMPORT_FORMATS = [
    "auto",
    "wb-api-json",
    "wdi-bulk",
    "wb-portal-csv",
    "long-csv",
    "table",
    "expert-ratings",
    "canonical",
]


@data.command("import")
@click.argument("paths", nargs=-1, required=True, type=click.Path(dir_okay=False))
@click.option(
    "--format",
    "fmt",
    type=click.Choice(_IMPORT_FORMATS),
    default="auto",
    show_default=True,
    help="Source format; auto detects it per file.",
)
@click.option("--indicator", default=None, help="Indicator code of a long CSV without datapackage.")
@click.option(
    "--mapping",
    default=None,
    help="Column mapping of a table: YAML/JSON file or a shipped name (e.g. gii-panel).",
)
@click.option("--codes", default=None, help="Comma-separated indicator codes to keep.")
@click.option("--year", type=int, default=None, help="Fixed year for files without a year column.")
@click.option(
    "--sheet",
    default=None,
    help="XLSX sheet (name or 0-based index); default: the first sheet holding the data "
    "(the choice is reported).",
)
@click.option(
    "--allow-partial",
    is_flag=True,
    help="Accept API results with missing pages (a warning is recorded).",
)
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Output .csv or .parquet (written atomically, with a provenance sidecar).",
)
def data_import(paths, fmt, indicator, mapping, codes, year, sheet, allow_partial, out) -> None:
    """Import source files into one canonical tidy table (iso3, indicator, year, value, source)."""
    import warnings

    from .sources import SourceWarning, import_files

    code_list = [c.strip() for c in codes.split(",") if c.strip()] if codes else None
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SourceWarning)  # the report lists them
        report = import_files(
            list(paths),
            out=out,
            format=fmt,
            indicator=indicator,
            mapping=mapping,
            codes=code_list,
            year=year,
            allow_partial=allow_partial,
            **({"sheet": sheet} if sheet is not None else {}),
        )
    for line in report.lines():
        click.echo(line)


# --- data: demo, build (innolab.demo, innolab.store) -----------------------------------------
@data.command("demo")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Folder to write (default: data/raw/demo).",
)
@click.option(
    "--seed",
    type=click.IntRange(min=0),
    default=None,
    help="Random seed (default: the seed of the committed demo data).",
)
def data_demo(out: str | None, seed: int | None) -> None:
    """Regenerate the SYNTHETIC demo data set (fictional economies) deterministically."""
    from .demo import DEFAULT_SEED, write_demo

    paths = write_demo(out, seed=DEFAULT_SEED if seed is None else seed)
    click.echo(f"wrote {len(paths)} files to {paths[0].parent} (synthetic demo data)")


@data.command("build")
@click.option(
    "--raw",
    type=click.Path(file_okay=False),
    default=None,
    help="Raw data folder (default: data/raw).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Processed data folder (default: data/processed).",
)
@click.option("--force", is_flag=True, help="Rebuild even if the inputs are unchanged.")
@click.option(
    "--prefer",
    "priority",
    multiple=True,
    metavar="FOLDER",
    help="Source folder that wins when two sources disagree (repeat; first wins).",
)
def data_build(raw: str | None, out: str | None, force: bool, priority: tuple[str, ...]) -> None:
    """Build data/processed/ (Parquet panel + metadata + provenance) from data/raw/."""
    from .store import build

    report = build(raw, out, force=force, priority=priority)
    click.echo(report.summary())
    for line in report.warnings:
        click.echo(f"warning: {line}")


# --- options shared by the commands that build from files (score, uncertainty) --------------
def _build_input_options(fn):
    """``--data``, ``--framework``, ``--spec`` and ``--year``: how a command gets its build."""
    options = [
        click.option(
            "--data",
            "data_path",
            required=True,
            type=click.Path(dir_okay=False),
            help="Wide CSV (uCode/iso3 + indicator columns) or the canonical tidy table.",
        ),
        click.option(
            "--framework",
            "framework",
            required=True,
            help="Shipped framework name (e.g. digital_innovation) or a YAML / iMeta CSV file.",
        ),
        click.option(
            "--spec",
            "spec_path",
            type=click.Path(dir_okay=False),
            help="Build spec (YAML or JSON); default: innolab's default recipe.",
        ),
        click.option(
            "--year",
            type=int,
            help="Reference year (tidy data: latest value within the "
            "framework's data window; wide panels: the rows of that year).",
        ),
    ]
    for option in reversed(options):
        fn = option(fn)
    return fn


# --- score, list-methods (innolab.scoring) ---------------------------------------------------
@cli.command("score")
@_build_input_options
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Scores: one row per unit, one column per framework node.",
)
@click.option(
    "--ranks", "ranks_path", type=click.Path(dir_okay=False), help="Ranks, same shape as --out."
)
@click.option(
    "--stages",
    "stages_dir",
    type=click.Path(file_okay=False),
    help="Folder for one CSV per stage (denominated.csv ... aggregated.csv).",
)
def score(data_path, framework, spec_path, year, out, ranks_path, stages_dir) -> None:
    """Build a composite index from a data file and write scores (and ranks, stage tables)."""
    from .scoring.pipeline import score_files

    rep = score_files(
        data_path,
        framework,
        spec=spec_path,
        year=year,
        out=out,
        ranks=ranks_path,
        stages=stages_dir,
    )
    b = rep.build
    click.echo(
        f"scored {len(b.scores)} units on {len(b.framework.indicators)} indicators "
        f"({b.framework.code}"
        + (f", reference year {rep.reference_year}" if rep.reference_year else "")
        + ")"
    )
    if rep.screened_out:
        click.echo(f"screened out: {', '.join(rep.screened_out)}")
    if rep.missing:
        click.echo(f"indicators without data: {', '.join(rep.missing)}")
    for p in rep.outputs:
        click.echo(f"wrote {p}")


@cli.command("list-methods")
def list_methods() -> None:
    """List every registered scoring method, by stage, and the shipped frameworks."""
    from .framework import available_frameworks
    from .scoring.registry import REGISTRIES

    for stage, reg in REGISTRIES.items():
        click.echo(f"{stage}: {', '.join(reg.names())}")
    click.echo("screen: by unit, indicator or pillar (min_coverage, nonzero_threshold, rule)")
    click.echo(f"frameworks: {', '.join(available_frameworks())}")


# --- uncertainty (innolab.analysis.uncertainty) ----------------------------------------------
@cli.command("uncertainty")
@_build_input_options
@click.option(
    "--vary",
    "vary_path",
    required=True,
    type=click.Path(dir_okay=False),
    help="YAML/JSON: the assumptions to vary and their alternatives.",
)
@click.option(
    "--n",
    "n",
    type=click.IntRange(min=3),
    default=1000,
    show_default=True,
    help="Runs (uncertainty) or base sample size N (sensitivity: N(d+2) runs).",
)
@click.option("--seed", type=int, default=1, show_default=True, help="R set.seed value.")
@click.option(
    "--out",
    required=True,
    type=click.Path(dir_okay=False),
    help="Rank statistics: one row per unit (nominal, mean, median, q05, q95).",
)
@click.option(
    "--sensitivity",
    "sens_path",
    type=click.Path(dir_okay=False),
    help="Run the sensitivity design and write first-order and total indices here.",
)
@click.option(
    "--bootstrap",
    "n_boot",
    type=click.IntRange(min=0),
    default=100,
    show_default=True,
    help="Bootstrap resamples for the indices' intervals.",
)
@click.option("--target", help="Aggregate whose ranks are analysed (default: the index).")
def uncertainty(
    data_path, framework, spec_path, vary_path, n, seed, year, out, sens_path, n_boot, target
) -> None:
    """Monte Carlo uncertainty (and sensitivity) analysis of a build's ranks."""
    from .analysis.uncertainty import uncertainty_files

    rep = uncertainty_files(
        data_path,
        framework,
        vary=vary_path,
        out=out,
        spec=spec_path,
        n=n,
        seed=seed,
        sensitivity=sens_path,
        year=year,
        n_boot=n_boot,
        target=target,
    )
    r = rep.result
    click.echo(
        f"{'sensitivity' if r.kind == 'SA' else 'uncertainty'} analysis of {r.target}: "
        f"{r.n_runs} runs ({r.n_configurations} distinct) over {len(r.inputs)} assumptions, "
        f"{len(r.units)} units, {r.elapsed_s:.2f} s"
    )
    if len(r.failed):
        reasons = r.failed["reason"].value_counts()
        click.echo(
            f"failed runs: {len(r.failed)} ("
            + "; ".join(f"{k} x{v}" for k, v in reasons.items())
            + ")"
        )
    for p in rep.outputs:
        click.echo(f"wrote {p}")


# --- batch, publish (innolab.report) ---------------------------------------------------------
@cli.command("batch")
@click.option(
    "--notebook",
    default="country_profile",
    show_default=True,
    help="Template name (notebooks/templates/NAME.ipynb) or path to an .ipynb file.",
)
@click.option(
    "--countries",
    default="all",
    show_default=True,
    help="all | demo | ISO3,ISO3,... | region:AFR (ITU-D) | income:LIC",
)
@click.option("--year", type=int, help="Passed to every notebook as the 'year' parameter.")
@click.option(
    "-p",
    "--param",
    "params",
    multiple=True,
    metavar="NAME=VALUE",
    help="Extra parameter, passed as the exact string VALUE (repeat).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Worker processes.",
)
@click.option("--resume", is_flag=True, help="Redo only failed or out-of-date countries.")
@click.option(
    "--timeout",
    type=click.FloatRange(min=0, min_open=True),
    default=600,
    show_default=True,
    help="Seconds allowed per cell and per notebook.",
)
@click.option(
    "--executor",
    type=click.Choice(["local", "dask"]),
    default="local",
    show_default=True,
    help="Local process pool or an existing Dask cluster.",
)
@click.option("--scheduler", metavar="ADDRESS", help="Dask scheduler address (--executor dask).")
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Output folder (default: reports/countries).",
)
@click.option(
    "--data",
    "data_files",
    multiple=True,
    type=click.Path(exists=True, dir_okay=False),
    help="Data file the notebooks read; a change redoes every country (repeat).",
)
@click.option("--no-html", is_flag=True, help="Only the executed notebooks, no HTML.")
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Progress bar (terminal) or one line per country (logs).",
)
def batch(
    notebook,
    countries,
    year,
    params,
    jobs,
    resume,
    timeout,
    executor,
    scheduler,
    out,
    data_files,
    no_html,
    progress,
) -> int:
    """Run a notebook per country in parallel and publish each as HTML; exit 1 if any failed."""
    from .config import REPORTS_DIR
    from .errors import ParameterError
    from .report.batch import run_country_batch
    from .report.kernels import block_slow_imports

    block_slow_imports()  # this process never validates IRI formats (JUPYTER-NOTES P12)
    extra = {}
    for item in params:
        name, sep, value = item.partition("=")
        if not sep or not name.strip():
            raise ParameterError("param", f"{item!r} is not NAME=VALUE")
        extra[name.strip()] = value
    summary = run_country_batch(
        notebook,
        countries,
        out or REPORTS_DIR / "countries",
        year=year,
        params=extra,
        jobs=jobs,
        resume=resume,
        timeout=timeout,
        executor=executor,
        scheduler=scheduler,
        data_files=data_files,
        html=not no_html,
        progress=progress,
    )
    click.echo(str(summary), err=not summary.ok)
    return summary.exit_code


@cli.command("publish")
@click.option(
    "--reports",
    "countries_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Batch output folder (default: reports/countries).",
)
@click.option(
    "--table",
    "table_path",
    type=click.Path(exists=True, dir_okay=False),
    help="CSV/Parquet with one row per country: index columns (score, rank, region...).",
)
@click.option("--key", default="iso3", show_default=True, help="Country column of --table.")
@click.option("--group-by", help="Column of --table: one regional page per value.")
@click.option("--pdf", is_flag=True, help="Also print each report to PDF (headless Chromium).")
def publish(countries_dir, table_path, key, group_by, pdf) -> None:
    """Write reports/index.html (sortable, linking every finished report) and regional pages."""
    from .config import REPORTS_DIR
    from .io import read_table
    from .report.publish import publish_reports

    table = read_table(table_path) if table_path else None
    res = publish_reports(
        countries_dir or REPORTS_DIR / "countries", table=table, key=key, group_by=group_by, pdf=pdf
    )
    click.echo(
        f"{res['reports']} reports; index: {res['index']}; "
        f"{len(res['regions'])} regional pages; {len(res['pdf'])} PDFs"
    )


# --- reports (innolab.studies) ---------------------------------------------------------------
@cli.command("reports")
@click.option(
    "--year",
    type=int,
    help="Reference year (default: the latest year with adequate data coverage).",
)
@click.option(
    "--framework",
    default="digital_innovation",
    show_default=True,
    help="Shipped framework name or YAML file.",
)
@click.option(
    "--countries",
    default="all",
    show_default=True,
    help="all | demo | ISO3,ISO3,... (economies of the processed panel).",
)
@click.option(
    "--jobs",
    "-j",
    type=click.IntRange(min=1),
    default=2,
    show_default=True,
    help="Worker processes.",
)
@click.option("--resume", is_flag=True, help="Redo only failed or out-of-date reports.")
@click.option(
    "--data",
    "data_dir",
    type=click.Path(file_okay=False),
    default=None,
    help="Processed data folder (default: data/processed).",
)
@click.option(
    "--out",
    type=click.Path(file_okay=False),
    default=None,
    help="Reports folder (default: reports/).",
)
@click.option("--no-regional", is_flag=True, help="Skip the regional comparison notebooks.")
@click.option(
    "--progress/--no-progress",
    default=True,
    show_default=True,
    help="Progress bar (terminal) or one line per report (logs).",
)
def reports(year, framework, countries, jobs, resume, data_dir, out, no_regional, progress) -> int:
    """Score the processed panel, run every country study and publish reports/index.html."""
    from .report.kernels import block_slow_imports
    from .studies import make_reports

    block_slow_imports()
    res = make_reports(
        year=year,
        framework=framework,
        countries=countries,
        jobs=jobs,
        resume=resume,
        data=data_dir or "",
        out=out,
        regional=not no_regional,
        progress=progress,
    )
    click.echo(f"reference year {res['year']}; scores: {res['scores']}")
    click.echo(str(res["batch"]), err=not res["batch"].ok)
    if res["regional"] is not None:
        click.echo(str(res["regional"]), err=not res["regional"].ok)
    pub = res["published"]
    click.echo(
        f"{pub['reports']} reports; index: {pub['index']}; {len(pub['regions'])} regional pages"
    )
    failed = not res["batch"].ok or (res["regional"] is not None and not res["regional"].ok)
    return 1 if failed else 0


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``innolab`` console script."""
    args = list(sys.argv[1:] if argv is None else argv)
    debug = "--debug" in args
    try:
        rv = cli.main(args=args, prog_name="innolab", standalone_mode=False)
    except click.exceptions.Abort:
        click.echo("aborted", err=True)
        return 130
    except click.ClickException as exc:
        exc.show()
        return exc.exit_code
    except InnolabError as exc:
        if debug:
            raise
        click.echo(f"error: {exc}", err=True)
        return exc.exit_code
    except KeyboardInterrupt:
        click.echo("interrupted", err=True)
        return 130
    except Exception as exc:  # an innolab bug, not a user error
        if debug:
            raise
        click.echo(
            f"internal error: {type(exc).__name__}: {exc} (rerun with --debug for the traceback)",
            err=True,
        )
        return 3
    return rv if isinstance(rv, int) else 0


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
