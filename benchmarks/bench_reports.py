"""Benchmark: real country profiles through ``run_batch`` against a plain Python floor, same run.

Both sides produce, for the demo economies on 2 worker processes, the same figures (PNG) and
tables from the real ``notebooks/templates/country_profile.ipynb`` on the processed demo data
(built into a temporary folder first, as ``make reports`` does):

* **innolab**: :func:`innolab.report.run_batch` with the arguments ``innolab reports`` uses
  (papermill, kernels forked from a pre-imported zygote, in-worker HTML export, atomic writes,
  manifests), wall time from the call to its return, worker start-up included;
* **floor**: a ``ProcessPoolExecutor(jobs)`` whose workers ``exec`` the template's code cells in a
  fresh namespace per country (parameters injected after the parameters cell, as papermill
  does), capture what the cells ``display`` and the value of each cell's last expression (rich
  HTML/PNG/Markdown representations, as a kernel sends them), and write one HTML file per
  country. Libraries (pandas, matplotlib, innolab...) are imported once per worker, the
  processed data read and scored once per worker (``warm_study_cache``, as innolab's kernel
  zygote does), the heap frozen (``gc.freeze``) and BLAS threads pinned to 1, as in innolab's
  kernels: this is the cost of the analysis itself.

Figures (one JSON line each, printed last):

* ``reports_ratio_to_floor``: innolab wall time / floor wall time (goal <= 1.5);
* ``reports_190_minutes``: minutes for 190 country profiles on ``jobs`` workers (goal <= 5).
  With ``--full`` it is **measured**: one extra innolab run over the demo economies repeated
  to 190 notebooks. Otherwise it is **extrapolated** from this run's measured rate
  (190 x wall time / N). The JSON line's ``note`` says which;
* ``report_max_kb``: the largest HTML report written, in KB (goal <= 300).

Each side runs in a fresh Python process (so neither profits from the other's or an earlier
run's warm state), alternately ``--repeat`` times (default 2); the best time of each counts, so
that noise from other processes on the machine affects both alike.

Usage: ``python benchmarks/bench_reports.py [--n N] [--jobs 2] [--repeat 2] [--full]``
(``--n`` defaults to every demo economy; ``--quick`` = ``--n 8 --repeat 1``).
"""

from __future__ import annotations

import argparse
import ast
import base64
import contextlib
import html
import io
import json
import multiprocessing
import os
import shutil
import subprocess
import sys
import tempfile
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
TEMPLATE = ROOT / "notebooks" / "templates" / "country_profile.ipynb"
BLAS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}

__all__ = ["main", "run_floor", "run_innolab", "prepare", "param_sets"]


# --------------------------------------------------------------------------------------------
# the floor: the same cells, executed as plain Python


def _floor_init(warm: dict | None = None) -> None:
    """Prepare a worker as innolab's kernel zygote prepares every kernel, so that the floor
    gets the same head start: import what the template imports, read and score the processed
    data once (:func:`innolab.studies.warm_study_cache`), then freeze the heap out of the
    garbage collector's sight (``gc.freeze``, as the zygote does)."""
    import gc

    os.environ.update(BLAS)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    import innolab.plots  # noqa: F401
    import innolab.studies

    if warm is not None:
        innolab.studies.warm_study_cache(**warm)
    gc.collect()
    gc.freeze()


def _rich(obj) -> str:
    """HTML for one displayed object: PNG, HTML or Markdown representation, else its repr."""
    for meth, fmt in (("_repr_png_", "png"), ("_repr_html_", "html"), ("_repr_markdown_", "md")):
        fn = getattr(obj, meth, None)
        if fn is None:
            continue
        data = fn()
        if isinstance(data, tuple):  # (data, metadata)
            data = data[0]
        if data is None:
            continue
        if fmt == "png":  # IPython's Image gives base64 text already, matplotlib raw bytes
            b64 = data if isinstance(data, str) else base64.b64encode(data).decode()
            return f'<img src="data:image/png;base64,{b64}">'
        if fmt == "html":
            return data
        return f"<pre>{html.escape(data)}</pre>"
    return f"<pre>{html.escape(repr(obj))}</pre>"


def _split(source: str) -> tuple[str, str | None]:
    """A cell as (statements, last expression or None), as IPython runs it."""
    tree = ast.parse(source)
    if tree.body and isinstance(tree.body[-1], ast.Expr):
        last = tree.body.pop()
        return ast.unparse(tree), ast.unparse(last)
    return source, None


def _floor_one(cells: list[tuple[str, str | None]], params: dict, out: str) -> dict:
    """Run the template's code cells for one country; write its figures and tables as HTML."""
    import IPython.display
    import matplotlib.pyplot as plt

    t0 = time.perf_counter()
    parts: list[str] = []

    def display(*objs, **_kw) -> None:  # what the cells call for rich output
        parts.extend(_rich(o) for o in objs)

    IPython.display.display = display  # the template and show_figure import it at call time
    ns: dict = {"__name__": "__main__"}
    for i, (body, last) in enumerate(cells):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(body, f"<cell {i}>", "exec"), ns)
            value = eval(compile(last, f"<cell {i}>", "eval"), ns) if last else None
        if i == 0:
            ns.update(params)  # papermill injects the parameters after the parameters cell
        if buf.getvalue():
            parts.append(f"<pre>{html.escape(buf.getvalue())}</pre>")
        if value is not None:
            display(value)
        plt.close("all")
    page = "<html><body>" + "\n".join(parts) + "</body></html>"
    Path(out).write_text(page, encoding="utf-8")
    return {"seconds": time.perf_counter() - t0, "images": page.count("data:image/png")}


def run_floor(template: Path, params: list[dict], out_dir: Path, jobs: int) -> float:
    """Wall time of the floor over ``params`` (worker start-up included)."""
    import nbformat

    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    cells = [_split(c.source) for c in code[first:]]
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    first = params[0]
    warm = {k: first[k] for k in ("data", "framework", "year")}
    with ProcessPoolExecutor(
        jobs, mp_context=ctx, initializer=_floor_init, initargs=(warm,)
    ) as pool:
        futures = [
            pool.submit(_floor_one, cells, p, str(out_dir / f"{i}.html"))
            for i, p in enumerate(params)
        ]
        results = [f.result() for f in futures]
    wall = time.perf_counter() - t0
    if min(r["images"] for r in results) < 5:
        raise SystemExit(f"floor: too few figures per report: {results}")
    return wall


# --------------------------------------------------------------------------------------------
# innolab


def run_innolab(template: Path, params: list[dict], out_dir: Path, jobs: int, data: Path):
    """Wall time of :func:`innolab.report.run_batch` as ``innolab reports`` calls it."""
    from innolab.report import Task, run_batch
    from innolab.studies import study_preload

    tasks = [Task(p.pop("_name"), p) for p in (dict(q) for q in params)]
    first = tasks[0].params
    t0 = time.perf_counter()
    summary = run_batch(
        template,
        tasks,
        out_dir,
        jobs=jobs,
        progress=False,
        data_files=sorted(data.glob("*.parquet")),
        preload=study_preload(first["data"], first["framework"], first["year"]),
        context=lambda _p: {"source": "innolab synthetic demo"},
    )
    wall = time.perf_counter() - t0
    if summary.failed:
        raise SystemExit(f"benchmark notebooks failed:\n{summary}")
    return wall


def prepare(data: Path) -> tuple[int, list[str]]:
    """What ``innolab reports`` does once before its batch (not timed on either side): score
    the panel and write the scores and the rank/score intervals (Monte Carlo uncertainty
    analysis) that every country notebook then reads. Returns the year and scored economies."""
    from innolab.studies import (
        latest_year,
        load_processed,
        score_processed,
        write_intervals,
        write_scores,
    )

    d = load_processed(data)
    year = latest_year(d.panel)
    b = score_processed(d, year=year)
    sources = [d.folder / "panel.parquet", d.folder / "countries.parquet"]
    write_scores(b, d.countries, d.folder, year=year, provenance_sources=sources)
    write_intervals(b, d.folder, year=year, provenance_sources=sources)
    root = b.framework.root
    return year, [u for u in b.scores.index if b.scores[root].notna()[u]]


def param_sets(data: Path, n: int | None, year: int, scored: list[str]) -> list[dict]:
    """The country_profile parameters of ``innolab reports`` for ``n`` scored demo economies,
    repeated in order when ``n`` exceeds their number (names ``XAA``, ..., ``XAA-2``, ...)."""
    n = len(scored) if n is None else n
    out = []
    for i in range(n):
        rep, u = divmod(i, len(scored))
        out.append(
            {
                "_name": scored[u] if rep == 0 else f"{scored[u]}-{rep + 1}",
                "iso3": scored[u],
                "year": year,
                "framework": "digital_innovation",
                "peers": "income_group",
                "data": str(data),
            }
        )
    return out


def _side(args) -> None:
    """Run one side in this (fresh) process and print its wall time as JSON."""
    from innolab.report.kernels import block_slow_imports

    block_slow_imports()  # as the CLI does (JUPYTER-NOTES P12)
    os.environ.update(BLAS)
    params = json.loads(Path(args.params).read_text())
    out = Path(args.out)
    if args.side == "floor":
        plain = [{k: v for k, v in p.items() if k != "_name"} for p in params]
        wall = run_floor(TEMPLATE, plain, out, args.jobs)
    else:
        wall = run_innolab(TEMPLATE, params, out, args.jobs, Path(args.data))
    print(json.dumps({"side": args.side, "wall": wall, "n": len(params)}))


def _run_side(side: str, args, out: Path, params: Path, data: Path) -> float:
    cmd = [sys.executable, __file__, "--side", side, "--out", str(out), "--params", str(params)]
    cmd += ["--jobs", str(args.jobs), "--data", str(data)]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{side} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["wall"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=None, help="country notebooks (default: all demo)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes on both sides")
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs; best of each")
    ap.add_argument("--full", action="store_true", help="also measure a real 190-notebook run")
    ap.add_argument("--quick", action="store_true", help="--n 8 --repeat 1 (smoke run)")
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--side", choices=["floor", "innolab"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    ap.add_argument("--params", help=argparse.SUPPRESS)
    ap.add_argument("--data", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.side:
        _side(args)
        return 0
    if args.quick:
        args.n, args.repeat = args.n or 8, 1

    from innolab import config
    from innolab.store import build as store_build

    work = Path(tempfile.mkdtemp(prefix="innolab-bench-reports-"))
    try:
        data = work / "processed"
        store_build(config.RAW_DIR, data)  # the demo data, as `make reports` builds it
        year, scored = prepare(data)
        params = param_sets(data, args.n, year, scored)
        n = len(params)
        pfile = work / "params.json"
        pfile.write_text(json.dumps(params))
        floors, walls = [], []
        for r in range(args.repeat):  # alternate fresh processes: noise hits both sides alike
            floors.append(_run_side("floor", args, work / f"floor{r}", pfile, data))
            out = work / f"run{r}" / "countries"
            walls.append(_run_side("innolab", args, out, pfile, data))
        floor, wall = min(floors), min(walls)
        per_nb = wall / n
        sizes = [p.stat().st_size for p in out.glob("*.html")]
        print(
            f"# {n} country profiles, {args.jobs} workers: innolab {wall:.1f} s "
            f"({per_nb:.2f} s/notebook incl. start-up), floor {floor:.1f} s "
            f"({floor / n:.2f} s/notebook); best of {args.repeat} fresh processes each: "
            f"innolab {[round(w, 1) for w in walls]}, floor {[round(f, 1) for f in floors]}",
            file=sys.stderr,
        )
        if args.full:
            full = param_sets(data, 190, year, scored)
            ffile = work / "params190.json"
            ffile.write_text(json.dumps(full))
            w190 = _run_side("innolab", args, work / "run190" / "countries", ffile, data)
            minutes = w190 / 60
            note = f"measured: one run of 190 country profiles ({n} demo economies repeated)"
            print(f"# 190 country profiles: {w190:.1f} s", file=sys.stderr)
        else:
            minutes = 190 * per_nb / 60
            note = f"extrapolated: 190 x {per_nb:.2f} s/notebook measured on {n} (use --full)"
        figures = [
            {
                "figure": "reports_ratio_to_floor",
                "value": round(wall / floor, 3),
                "unit": "x",
                "goal": 1.5,
                "note": f"{n} real country_profile notebooks, {args.jobs} workers, same run",
            },
            {
                "figure": "reports_190_minutes",
                "value": round(minutes, 2),
                "unit": "min",
                "goal": 5,
                "note": note,
            },
            {
                "figure": "report_max_kb",
                "value": round(max(sizes) / 1024, 1),
                "unit": "KB",
                "goal": 300,
            },
        ]
        for fig in figures:
            print(json.dumps(fig))
    finally:
        if args.keep:
            print(f"# outputs kept in {work}", file=sys.stderr)
        else:
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
