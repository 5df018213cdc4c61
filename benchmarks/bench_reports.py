"""Benchmark: country reports through ``run_batch`` against a plain Python floor, same run.

Both sides produce, for N countries on 2 worker processes, the same figures (PNG) and tables
from the same template code:

* **innolab**: :func:`innolab.report.run_batch` (papermill, kernels forked from a pre-imported
  zygote per worker, in-worker HTML export, atomic writes, manifests), wall time from the call
  to its return, worker start-up included;
* **floor**: a ``ProcessPoolExecutor(2)`` whose workers ``exec`` the template's code cells in a
  fresh namespace per country (parameters injected as papermill would), render every open
  figure to PNG the way the inline backend does (``bbox_inches="tight"``), capture printed
  tables, and write one HTML file per country. Libraries are imported once per worker and BLAS
  threads are pinned to 1, as in innolab's workers: this is the cost of the analysis itself.

Figures (one JSON line each, printed last):

* ``reports_ratio_to_floor``: innolab wall time / floor wall time (goal <= 1.5);
* ``reports_190_minutes``: 190 × innolab's measured seconds per notebook (wall time / N, start-up
  included) / 60 — an extrapolation from this run's rate, not a 190-country run (goal <= 5);
* ``report_max_kb``: the largest HTML report written, in KB (goal <= 300).

Each side runs in a fresh Python process (so neither profits from the other's or an earlier
run's warm state), alternately ``--repeat`` times (default 2); the best time of each counts, so
that noise from other processes on the machine affects both alike. Wall time is measured inside
that process from the call to its return (library imports inside the call included).

Usage: ``python benchmarks/bench_reports.py [--n 20] [--jobs 2] [--repeat 2] [--template PATH]
[--param-name iso3] [-p NAME=VALUE ...]``. ``--template`` can point at the real
``country_profile`` notebook; the floor then runs that notebook's code cells.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
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
DEFAULT_TEMPLATE = ROOT / "tests" / "data" / "notebooks" / "bench_profile.ipynb"
BLAS = {"OMP_NUM_THREADS": "1", "OPENBLAS_NUM_THREADS": "1", "MKL_NUM_THREADS": "1"}


# --------------------------------------------------------------------------------------------
# the floor: the same cells, executed as plain Python


def _floor_init() -> None:
    os.environ.update(BLAS)
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot  # noqa: F401
    import numpy  # noqa: F401
    import pandas  # noqa: F401

    with contextlib.suppress(ImportError):
        import seaborn  # noqa: F401


def _floor_one(cells: list[str], params: dict, out: str) -> dict:
    """Run the template's code cells for one country; write its figures and tables as HTML."""
    import html

    import matplotlib.pyplot as plt

    t0 = time.perf_counter()
    parts: list[str] = []

    def display(obj) -> None:  # what notebooks call for rich output
        rich = getattr(obj, "_repr_html_", None)
        parts.append(rich() if rich else f"<pre>{html.escape(repr(obj))}</pre>")

    ns: dict = {"__name__": "__main__", "display": display}
    images = 0
    for i, source in enumerate(cells):
        buf = io.StringIO()
        with contextlib.redirect_stdout(buf):
            exec(compile(source, f"<cell {i}>", "exec"), ns)
        if i == 0:
            ns.update(params)  # papermill injects the parameters after the parameters cell
        if buf.getvalue():
            parts.append(f"<pre>{html.escape(buf.getvalue())}</pre>")
        for num in plt.get_fignums():
            png = io.BytesIO()
            plt.figure(num).savefig(png, format="png", bbox_inches="tight")
            parts.append(
                f'<img src="data:image/png;base64,{base64.b64encode(png.getvalue()).decode()}">'
            )
            images += 1
        plt.close("all")
    Path(out).write_text("<html><body>" + "\n".join(parts) + "</body></html>")
    return {"seconds": time.perf_counter() - t0, "images": images}


def run_floor(template: Path, param_sets: list[dict], out_dir: Path, jobs: int) -> float:
    import nbformat

    nb = nbformat.read(template, as_version=4)
    code = [c for c in nb.cells if c.cell_type == "code"]
    first = next(i for i, c in enumerate(code) if "parameters" in c.metadata.get("tags", []))
    cells = [c.source for c in code[first:]]
    out_dir.mkdir(parents=True, exist_ok=True)
    ctx = multiprocessing.get_context("spawn")
    t0 = time.perf_counter()
    with ProcessPoolExecutor(jobs, mp_context=ctx, initializer=_floor_init) as pool:
        futures = [
            pool.submit(_floor_one, cells, p, str(out_dir / f"{i}.html"))
            for i, p in enumerate(param_sets)
        ]
        results = [f.result() for f in futures]
    wall = time.perf_counter() - t0
    assert all(r["images"] == results[0]["images"] for r in results)
    return wall


# --------------------------------------------------------------------------------------------
# innolab


def run_innolab(template: Path, param_sets: list[dict], out_dir: Path, jobs: int, name: str):
    from innolab.report import run_batch

    t0 = time.perf_counter()
    summary = run_batch(
        template, param_sets, out_dir, jobs=jobs, name=name, validate=None, progress=False
    )
    wall = time.perf_counter() - t0
    if summary.failed:
        raise SystemExit(f"benchmark notebooks failed:\n{summary}")
    return wall, summary


def _side(args) -> None:
    """Run one side in this (fresh) process and print its wall time as JSON."""
    from innolab.report.kernels import block_slow_imports

    block_slow_imports()  # as the CLI does (JUPYTER-NOTES P12)
    os.environ.update(BLAS)
    extra = dict(item.split("=", 1) for item in args.param)
    param_sets = [{**extra, args.param_name: f"C{i:03d}"} for i in range(args.n)]
    out = Path(args.out)
    if args.side == "floor":
        wall = run_floor(args.template, param_sets, out, args.jobs)
    else:
        wall = run_innolab(args.template, param_sets, out, args.jobs, args.param_name)[0]
    print(json.dumps({"side": args.side, "wall": wall}))


def _run_side(side: str, args, out: Path) -> float:
    cmd = [sys.executable, __file__, "--side", side, "--out", str(out), "--n", str(args.n)]
    cmd += ["--jobs", str(args.jobs), "--template", str(args.template)]
    cmd += ["--param-name", args.param_name] + [f"--param={p}" for p in args.param]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise SystemExit(f"{side} run failed:\n{proc.stderr[-3000:]}")
    return json.loads(proc.stdout.strip().splitlines()[-1])["wall"]


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", type=int, default=20, help="country notebooks (default 20)")
    ap.add_argument("--jobs", type=int, default=2, help="worker processes on both sides")
    ap.add_argument("--template", type=Path, default=DEFAULT_TEMPLATE)
    ap.add_argument("--param-name", default="iso3", help="parameter that names a country")
    ap.add_argument("-p", "--param", action="append", default=[], metavar="NAME=VALUE")
    ap.add_argument("--repeat", type=int, default=2, help="alternating runs; best of each")
    ap.add_argument("--keep", action="store_true", help="keep the output folder")
    ap.add_argument("--side", choices=["floor", "innolab"], help=argparse.SUPPRESS)
    ap.add_argument("--out", help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.side:
        _side(args)
        return 0

    work = Path(tempfile.mkdtemp(prefix="innolab-bench-reports-"))
    try:
        floors, walls = [], []
        for r in range(args.repeat):  # alternate fresh processes: noise hits both sides alike
            floors.append(_run_side("floor", args, work / f"floor{r}"))
            out = work / f"run{r}" / "countries"
            walls.append(_run_side("innolab", args, out))
        floor, wall = min(floors), min(walls)
        per_nb = wall / args.n
        sizes = [p.stat().st_size for p in out.glob("*.html")]
        print(
            f"# {args.n} notebooks, {args.jobs} workers: innolab {wall:.1f} s "
            f"({per_nb:.2f} s/notebook incl. start-up), floor {floor:.1f} s "
            f"({floor / args.n:.2f} s/notebook); best of {args.repeat} fresh processes each: "
            f"innolab {[round(w, 1) for w in walls]}, floor {[round(f, 1) for f in floors]}; "
            f"template {args.template}",
            file=sys.stderr,
        )
        figures = [
            {
                "figure": "reports_ratio_to_floor",
                "value": round(wall / floor, 3),
                "unit": "x",
                "goal": 1.5,
            },
            {
                "figure": "reports_190_minutes",
                "value": round(190 * per_nb / 60, 2),
                "unit": "min",
                "goal": 5,
                "note": f"extrapolated: 190 x {per_nb:.2f} s/notebook measured on {args.n}",
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
