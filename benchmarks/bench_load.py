"""Benchmark: selective import of 40 series from a full-size WDI bulk CSV.

The WDI bulk download (``WDICSV.csv``) holds about 1,500 series × 266 economies × 65 years
(~250 MB). innolab reads it selectively: it scans the lines as bytes, looks only at the
Indicator Code field and parses only the rows of the requested series. The baseline, measured
in the same run on the same file, is pyarrow's multi-threaded CSV reader reading the whole file
(the fastest general-purpose way to get the data into memory).

Figures (one JSON line each, printed last):

* ``wdi_selective_import_ratio``: best innolab time / best baseline time (goal <= 1.0);
* ``wdi_import_peak_rss_mb``: peak resident memory of a fresh process doing the import
  (``ru_maxrss``; goal <= 1,500 MB);
* ``parquet_reload_s``: best time to reload the imported panel from Parquet with
  :func:`innolab.sources.read_canonical` (all checks on; goal <= 0.2 s).

The synthetic file is generated once, deterministically, under ``benchmarks/.cache/``
(git-ignored); ``--quick`` uses a file with 300 series instead of 1,500.

Usage: ``python benchmarks/bench_load.py [--quick] [--repeat N] [--quoted]``
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

CACHE = Path(__file__).resolve().parent / ".cache"
SEED = 20240601
FIRST_YEAR, LAST_YEAR = 1960, 2024
N_ECONOMIES = 266
N_SELECTED = 40
_PREFIXES = ("NY.GDP", "SP.POP", "IT.NET", "SE.TER", "GB.XPD", "IC.BUS", "TX.VAL", "BX.GSR")
_SUFFIXES = ("CD", "ZS", "P2", "KD", "P6", "PP.CD")


def series(n: int) -> list[tuple[str, str]]:
    """``n`` deterministic (name, code) pairs; every third name has a comma (quoted in CSV)."""
    out = []
    for j in range(n):
        code = f"{_PREFIXES[j % len(_PREFIXES)]}.{j:04d}.{_SUFFIXES[j % len(_SUFFIXES)]}"
        name = (
            f"Synthetic series {j} (BoP, current US$)"
            if j % 3 == 0
            else f"Synthetic series {j} (% of GDP)"
        )
        out.append((name, code))
    return out


def economies(n: int) -> list[tuple[str, str]]:
    """``n`` deterministic (name, code) pairs with codes AAA, AAB, ...; some names have commas."""
    out = []
    for i in range(n):
        code = chr(65 + i // 676) + chr(65 + (i // 26) % 26) + chr(65 + i % 26)
        out.append((f"Economy {i:03d}, Rep." if i % 17 == 0 else f"Economy {i:03d}", code))
    return out


def _field(text: str, quoted: bool) -> str:
    if quoted or "," in text or '"' in text:
        return '"' + text.replace('"', '""') + '"'
    return text


def generate(path: Path, *, n_series: int, quoted: bool = False, missing: float = 0.55) -> None:
    """Write a WDI-bulk-layout file (BOM, trailing empty column) atomically and deterministically.

    Values are log-normal with a per-series scale, written with ``repr`` (17 significant
    digits at most, like the real file); ``missing`` of the cells are empty.
    """
    rng = np.random.default_rng(SEED)
    years = list(range(FIRST_YEAR, LAST_YEAR + 1))
    ny = len(years)
    ser = series(n_series)
    scale = 10.0 ** rng.integers(-2, 12, size=n_series)
    tmp = path.with_name(f".{path.name}.tmp")
    q = (lambda s: f'"{s}"') if quoted else (lambda s: s)
    head = ",".join(
        [
            *(q(c) for c in ("Country Name", "Country Code", "Indicator Name", "Indicator Code")),
            *(q(str(y)) for y in years),
        ]
    )
    with open(tmp, "w", encoding="utf-8", newline="") as fh:
        fh.write("\ufeff" + head + ",\n")
        empty = '""' if quoted else ""
        for cname, ccode in economies(N_ECONOMIES):
            vals = rng.lognormal(0.0, 1.0, size=(n_series, ny)) * scale[:, None]
            gone = rng.random((n_series, ny)) < missing
            lead = f"{_field(cname, quoted)},{_field(ccode, quoted)},"
            for j, (sname, scode) in enumerate(ser):
                cells = [empty if gone[j, k] else q(repr(float(vals[j, k]))) for k in range(ny)]
                fh.write(
                    f"{lead}{_field(sname, quoted)},{_field(scode, quoted)},{','.join(cells)},\n"
                )
    os.replace(tmp, path)


def ensure_file(n_series: int, quoted: bool) -> Path:
    """The cached synthetic file for these parameters (generated on first use)."""
    CACHE.mkdir(parents=True, exist_ok=True)
    tag = f"{n_series}x{N_ECONOMIES}x{LAST_YEAR - FIRST_YEAR + 1}{'_quoted' if quoted else ''}"
    path = CACHE / f"WDICSV_{tag}.csv"
    stamp = path.with_suffix(".json")
    spec = {
        "n_series": n_series,
        "economies": N_ECONOMIES,
        "years": [FIRST_YEAR, LAST_YEAR],
        "seed": SEED,
        "quoted": quoted,
        "version": 1,
    }
    if path.exists() and stamp.exists() and json.loads(stamp.read_text()) == spec:
        return path
    t0 = time.perf_counter()
    print(f"generating {path.name} ...", file=sys.stderr, flush=True)
    generate(path, n_series=n_series, quoted=quoted)
    stamp.write_text(json.dumps(spec))
    print(
        f"  {path.stat().st_size / 1e6:.0f} MB in {time.perf_counter() - t0:.0f} s", file=sys.stderr
    )
    return path


def selected_codes(n_series: int, k: int = N_SELECTED) -> list[str]:
    """``k`` codes spread evenly over the file."""
    codes = [c for _, c in series(n_series)]
    return [codes[i] for i in np.linspace(0, n_series - 1, k).round().astype(int)]


def _baseline(path: Path) -> int:
    import pyarrow.csv as pacsv

    return pacsv.read_csv(path).num_rows


def _innolab(path: Path, codes: list[str]):
    from innolab.sources import read_wdi_bulk

    return read_wdi_bulk(path, codes=codes)


def _best(fn, repeat: int) -> float:
    times = []
    for _ in range(repeat):
        t0 = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t0)
    return min(times)


def _peak_rss_mb(path: Path, codes: list[str]) -> float:
    """Peak RSS (MB) of a fresh Python process that imports the 40 series."""
    out = subprocess.run(
        [sys.executable, __file__, "--child", str(path), ",".join(codes)],
        capture_output=True,
        text=True,
        check=True,
    )
    return float(out.stdout.strip().splitlines()[-1])


def _child(path: str, codes: str) -> None:
    from innolab.sources import read_wdi_bulk

    result = read_wdi_bulk(path, codes=codes.split(","))
    assert len(result.data) > 0
    print(_own_peak_mb())


def _own_peak_mb() -> float:
    """This process's peak RSS in MB.

    ``VmHWM`` (Linux) belongs to the process image started by ``exec``; ``ru_maxrss`` is
    kept across ``exec`` and so may report the parent's size at ``fork``, hence the fallback
    order.
    """
    status = Path("/proc/self/status")
    if status.exists():
        for line in status.read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024  # KiB on Linux


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--quick", action="store_true", help="300 series instead of 1,500")
    ap.add_argument("--quoted", action="store_true", help="every field quoted (portal style)")
    ap.add_argument("--repeat", type=int, default=3, help="timed runs of each reader (best kept)")
    ap.add_argument("--child", nargs=2, help=argparse.SUPPRESS)
    args = ap.parse_args(argv)
    if args.child:
        _child(*args.child)
        return 0

    import warnings

    from innolab.io import write_table
    from innolab.sources import SourceWarning, read_canonical

    warnings.simplefilter("ignore", SourceWarning)
    n_series = 300 if args.quick else 1500
    path = ensure_file(n_series, args.quoted)
    codes = selected_codes(n_series)
    with open(path, "rb") as fh:  # warm the page cache so both readers start equal
        while fh.read(1 << 24):
            pass

    rss = _peak_rss_mb(path, codes)  # first, while this process is still small
    rows = _baseline(path)
    result = _innolab(path, codes)
    assert set(result.data["indicator"]) == set(codes)
    base_s = _best(lambda: _baseline(path), args.repeat)
    ours_s = _best(lambda: _innolab(path, codes), args.repeat)
    ratio = ours_s / base_s

    parquet = CACHE / f"processed_{path.stem}.parquet"
    write_table(result.data, parquet)
    back = read_canonical(parquet)
    assert back.equals(result.data)
    reload_s = _best(lambda: read_canonical(parquet), max(5, args.repeat))

    print(
        f"file {path.name}: {path.stat().st_size / 1e6:.0f} MB, {rows} rows; "
        f"{N_SELECTED} series -> {len(result.data)} values\n"
        f"baseline pyarrow.csv.read_csv (whole file): {base_s:.3f} s\n"
        f"innolab read_wdi_bulk (selective): {ours_s:.3f} s  ratio {ratio:.2f}\n"
        f"peak RSS of the import: {rss:.0f} MB; Parquet reload: {reload_s:.3f} s",
        file=sys.stderr,
    )
    for fig in (
        {
            "figure": "wdi_selective_import_ratio",
            "value": round(ratio, 3),
            "unit": "x",
            "goal": 1.0,
        },
        {"figure": "wdi_import_peak_rss_mb", "value": round(rss, 1), "unit": "MB", "goal": 1500},
        {"figure": "parquet_reload_s", "value": round(reload_s, 4), "unit": "s", "goal": 0.2},
    ):
        print(json.dumps(fig))
    return 0


if __name__ == "__main__":
    sys.exit(main())
