"""Benchmark Monte Carlo uncertainty and sensitivity analysis (issue 4, item 2).

The set-up is COINr's sensitivity vignette on its ASEM example (``../shared/data/coinr-asem``):
Winsorisation limit 1..5, min-max [1, 100] or z-score (10, 2), 100 noisy weight tables (levels 2
and 3, factor 0.25) and arithmetic or geometric aggregation, on the COINr default build.

Figures, one JSON line each (median of ``--repeat`` runs, nominal build already in memory):

* ``ua_asem_n1000_s`` - uncertainty analysis, N = 1,000 runs. Goal 0.45 s.
* ``ua_asem_n10000_s`` - N = 10,000 runs. Goal 5 s.
* ``ua_speedup_vs_coinr`` - 224 s (COINr 1.1.14 for 1,000 runs on this machine class, from the
  issue) divided by ``ua_asem_n1000_s``. Goal 500.
* ``sa_asem_n1000_s`` - sensitivity analysis, N = 1,000 base rows = 6,000 runs, with 100
  bootstrap resamples (no goal set; reported for context).
* ``ua_per_run_speedup_vs_rebuild`` - the baseline measured in the same run: the obvious loop
  that rebuilds the whole pipeline for every run (``Build.rebuild`` with the run's settings,
  what COINr does in R), timed on ``--baseline-runs`` runs, per-run cost divided by the batched
  per-run cost at N = 1,000.

Run: ``.venv/bin/python benchmarks/bench_uncertainty.py [--repeat N] [--quick]``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

import pandas as pd

from innolab import config
from innolab.analysis.uncertainty import COINR_VIGNETTE_VARY, uncertainty_analysis
from innolab.scoring import COINR_ASEM_SPEC, build

COINR_UA_1000_S = 224.0
VARY = COINR_VIGNETTE_VARY


def _median_time(fn, repeat: int) -> float:
    t = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        t.append(time.perf_counter() - t0)
    return statistics.median(t)


def _emit(figure: str, value, unit: str, goal=None, **extra) -> None:
    print(json.dumps({"figure": figure, "value": value, "unit": unit, "goal": goal, **extra}))


def _rebuild_loop(b, result, runs: int) -> float:
    """Seconds per run of the naive design: one full pipeline rebuild per run."""
    t0 = time.perf_counter()
    for run in range(1, runs + 1):
        row = result.design.loc[run]
        spec, fw, method = b.spec, b.framework, None
        for u in result.inputs:
            k = list(u.labels).index(row[u.name])
            if u.kind == "spec" and u.options[k]:
                spec = spec.updated(**u.options[k])
            elif u.kind == "aggregate":
                method = u.options[k][0]
            elif u.kind == "weights":
                fw = fw.with_weights(dict(zip(u.codes, u.options[k], strict=True)))
        if method is not None:
            spec = spec.updated(aggregate={"method": method})
        try:
            b.rebuild(spec, framework=fw)
        except Exception:  # noqa: BLE001 - a failed run costs what it costs
            pass
    return (time.perf_counter() - t0) / runs


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--repeat", type=int, default=5, help="repetitions (median reported)")
    ap.add_argument("--baseline-runs", type=int, default=20, help="runs of the naive loop")
    ap.add_argument("--quick", action="store_true", help="one repetition, no N = 10,000 run")
    args = ap.parse_args(argv)
    repeat = 1 if args.quick else args.repeat

    path = Path(config.SHARED_DIR) / "data" / "coinr-asem" / "ASEM_iData.csv"
    if not path.exists():  # pragma: no cover - a clone without the shared folder
        for fig in ("ua_asem_n1000_s", "ua_asem_n10000_s", "ua_speedup_vs_coinr"):
            _emit(fig, None, "s", skipped=f"{path} not found")
        return 0
    idata = pd.read_csv(path, keep_default_na=False, na_values=[""])
    b = build(idata, "asem", COINR_ASEM_SPEC)
    uncertainty_analysis(b, VARY, n=50, seed=1)  # warm-up (imports, registries)

    t1000 = _median_time(lambda: uncertainty_analysis(b, VARY, n=1000, seed=1), repeat)
    _emit("ua_asem_n1000_s", round(t1000, 3), "s", 0.45, repeat=repeat)
    if not args.quick:
        t10k = _median_time(
            lambda: uncertainty_analysis(b, VARY, n=10_000, seed=1), max(1, repeat // 2)
        )
        _emit("ua_asem_n10000_s", round(t10k, 3), "s", 5)
    _emit("ua_speedup_vs_coinr", round(COINR_UA_1000_S / t1000, 1), "x", 500)
    tsa = _median_time(
        lambda: uncertainty_analysis(b, VARY, n=1000, seed=1, sensitivity=True), repeat
    )
    _emit("sa_asem_n1000_s", round(tsa, 3), "s", None, runs=6000, n_boot=100)
    res = uncertainty_analysis(b, VARY, n=max(args.baseline_runs, 3), seed=1)
    per_run = _rebuild_loop(b, res, args.baseline_runs)
    _emit(
        "ua_per_run_speedup_vs_rebuild",
        round(per_run / (t1000 / 1000), 1),
        "x",
        None,
        rebuild_ms_per_run=round(per_run * 1e3, 2),
        batched_ms_per_run=round(t1000, 4),
    )
    return 0


if __name__ == "__main__":
    sys.exit(main())
