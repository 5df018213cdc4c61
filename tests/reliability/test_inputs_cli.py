"""Workbooks with the data on another sheet, 2 GB files and bad command-line parameters.

* An XLSX whose first sheet is a cover note: ``innolab data import`` finds the data sheet and
  says which it read, or reads the one given with ``--sheet`` (name or 0-based index).
* A 2 GB file (sparse: no disk is used) is refused by its size before a byte is read, unless
  it is a WDI bulk file, which is streamed line by line with bounded memory: there a damaged
  2 GB file without line breaks is refused after one bounded read.
* Bad parameters of ``innolab score``, ``innolab batch`` (validated before any kernel starts:
  the runner is replaced by one that fails the test) and ``innolab data import``.

Every failure: exit 2, ``error: `` and one or two lines on stderr (click's own usage errors:
exit 2 and ``Error:``), no traceback, inputs byte-identical, no output left behind.
"""

from __future__ import annotations

import hashlib
import time
import tracemalloc
from pathlib import Path

import openpyxl
import pandas as pd
import pytest

from innolab.cli import main
from innolab.errors import DataFileError
from innolab.sources import read_wdi_bulk

TWO_GB = 2 * 1024**3


def _digest(p: Path) -> str:
    h = hashlib.sha256()
    with open(p, "rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            h.update(chunk)
            if fh.tell() > 1 << 22:  # sparse 2 GB files: the head is what could change
                break
    h.update(str(p.stat().st_size).encode())
    return h.hexdigest()


def _run(argv: list[str], capsys) -> tuple[int, str, str]:
    rc = main(argv)
    cap = capsys.readouterr()
    return rc, cap.out, cap.err


def _assert_clean_failure(rc: int, err: str, needles: list[str]) -> None:
    assert rc == 2, err
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith(("error: ", "Usage: ")), err
    assert len([x for x in err.strip().splitlines() if x.strip()]) <= 4, err
    for n in needles:
        assert n.lower() in err.lower(), f"{n!r} not in {err!r}"


def _workbook(path: Path, sheets: dict[str, list[list[object]]]) -> None:
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for r in rows:
            ws.append(r)
    wb.save(path)


COVER = [["Workshop ratings, Nairobi, March 2025"], ["See the second sheet"]]
RATINGS = [
    ["iso3", "stakeholder", "enabler", "rating", "year"],
    ["KEN", "academia", "vision_strategy", 3, 2025],
    ["KEN", "public_sector", "capital_resources", 4, 2025],
]
SCORES = [["Economy", "Year", "Score"], ["Kenya", 2024, 30.5], ["Namibia", 2024, 25.25]]
MAPPING = "country: Economy\nyear: Year\nindicators: {Score: GII.SCORE}\n"


# --- XLSX: the data on the second sheet -----------------------------------------------------


def test_ratings_on_the_second_sheet_are_found_and_reported(tmp_path, capsys):
    src = tmp_path / "ratings.xlsx"
    _workbook(src, {"Cover": COVER, "Ratings": RATINGS})
    before = _digest(src)
    out = tmp_path / "ratings.csv"
    rc, text, err = _run(["data", "import", str(src), "--out", str(out)], capsys)
    assert rc == 0, err
    assert "format: expert-ratings (ratings.xlsx)" in text
    assert "read sheet 'Ratings' (sheet 'Cover', the first, does not hold the data)" in text
    data = pd.read_csv(out)
    assert data[["iso3", "indicator", "value"]].values.tolist() == [
        ["KEN", "EXPERT.academia.vision_strategy", 3.0],
        ["KEN", "EXPERT.public_sector.capital_resources", 4.0],
    ]
    assert _digest(src) == before


@pytest.mark.parametrize("sheet", [None, "Data", "1"], ids=["auto", "by-name", "by-index"])
def test_table_on_the_second_sheet(sheet, tmp_path, capsys):
    src = tmp_path / "gii.xlsx"
    _workbook(src, {"Notes": COVER, "Data": SCORES})
    (tmp_path / "map.yaml").write_text(MAPPING)
    out = tmp_path / "gii.csv"
    argv = ["data", "import", str(src), "--mapping", str(tmp_path / "map.yaml"), "--out", str(out)]
    rc, text, err = _run(argv + (["--sheet", sheet] if sheet else []), capsys)
    assert rc == 0, err
    assert ("read sheet 'Data'" in text) == (sheet is None)
    data = pd.read_csv(out)
    assert data[["iso3", "year", "value"]].values.tolist() == [
        ["KEN", 2024, 30.5],
        ["NAM", 2024, 25.25],
    ]


XLSX_BAD = [
    # (id, sheets, extra argv, words in the error)
    ("no-such-sheet", {"Notes": COVER, "Data": SCORES}, ["--sheet", "Daten"], ["'Daten'", "Data"]),
    ("index-out-of-range", {"Notes": COVER, "Data": SCORES}, ["--sheet", "5"], ["no sheet 5"]),
    (
        "two-candidate-sheets",
        {"Notes": COVER, "2023": SCORES, "2024": SCORES},
        [],
        ["several sheets", "'2023'", "'2024'", "--sheet"],
    ),
    ("data-on-no-sheet", {"Notes": COVER, "Other": COVER}, [], ["Economy", "sheets: Notes, Other"]),
]


@pytest.mark.parametrize("case", XLSX_BAD, ids=[c[0] for c in XLSX_BAD])
def test_xlsx_sheet_problems(case, tmp_path, capsys):
    _id, sheets, extra, words = case
    src = tmp_path / "gii.xlsx"
    _workbook(src, sheets)
    (tmp_path / "map.yaml").write_text(MAPPING)
    before = _digest(src)
    out = tmp_path / "out" / "gii.csv"
    argv = ["data", "import", str(src), "--mapping", str(tmp_path / "map.yaml"), "--out", str(out)]
    rc, _, err = _run(argv + extra, capsys)
    _assert_clean_failure(rc, err, ["gii.xlsx", *words])
    assert _digest(src) == before and not out.parent.exists()


# --- 2 GB files ------------------------------------------------------------------------------


def _sparse(path: Path, head: bytes) -> Path:
    with open(path, "wb") as fh:
        fh.write(head)
        fh.truncate(TWO_GB)
    assert path.stat().st_size == TWO_GB
    return path


BIG = [
    # (id, file name, head bytes, extra argv)
    (
        "long-csv",
        "data.csv",
        b"Country Name,Country Code,Year,Value\nKenya,KEN,2020,1\n",
        ["--indicator", "X.Y"],
    ),
    ("api-json", "resp.json", b'[{"page":1,"pages":1,"per_page":50,"total":1},[', []),
    ("canonical-csv", "tidy.csv", b"iso3,indicator,year,value,source\nKEN,X,2020,1,t\n", []),
    ("canonical-parquet", "tidy.parquet", b"PAR1", []),
    (
        "table-csv",
        "scores.csv",
        b"Economy;Year;Score\nKenya;2024;30,5\n",
        ["--mapping", "gii-panel"],
    ),
    (
        "portal-metadata",
        "Metadata_Country_API_X_DS2_en.csv",
        b"Country Code,Region,IncomeGroup\nKEN,Sub-Saharan Africa,Lower middle income\n",
        [],
    ),
]


@pytest.mark.parametrize("case", BIG, ids=[c[0] for c in BIG])
def test_two_gigabyte_file_is_refused_before_reading(case, tmp_path, capsys):
    _id, name, head, extra = case
    src = _sparse(tmp_path / name, head)
    before = _digest(src)
    out = tmp_path / "out" / "tidy.csv"
    t0 = time.perf_counter()
    rc, _, err = _run(["data", "import", str(src), "--out", str(out), *extra], capsys)
    assert time.perf_counter() - t0 < 5  # refused from the size, not after reading 2 GB
    _assert_clean_failure(rc, err, [name] if _id == "portal-metadata" else [name, "2.0 GB"])
    if _id != "portal-metadata":
        assert "too large to read into memory (limit 512.0 MB)" in err
    assert _digest(src) == before and not out.parent.exists()


def test_two_gigabyte_wdi_bulk_is_streamed_with_bounded_memory(tmp_path, capsys):
    head = (
        b"Country Name,Country Code,Indicator Name,Indicator Code,2019,2020\n"
        b"Kenya,KEN,Internet,IT.NET.USER.ZS,17,29\n"
    )
    src = _sparse(tmp_path / "WDICSV.csv", head)
    tracemalloc.start()
    try:
        with pytest.raises(DataFileError) as err:
            read_wdi_bulk(src, codes=["IT.NET.USER.ZS"])
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert err.value.line == 3
    assert "line longer than 1048576 bytes without a line break" in str(err.value)
    assert peak < 16 * 1024**2, peak  # one bounded line, not 2 GB
    out = tmp_path / "o" / "t.csv"
    rc, _, msg = _run(["data", "import", str(src), "--out", str(out)], capsys)
    _assert_clean_failure(rc, msg, ["WDICSV.csv", "line 3"])
    assert not out.parent.exists()


def test_two_gigabyte_xlsx_is_refused(tmp_path, capsys):
    src = _sparse(tmp_path / "big.xlsx", b"PK\x03\x04")
    out = tmp_path / "o" / "t.csv"
    rc, _, err = _run(["data", "import", str(src), "--out", str(out)], capsys)
    _assert_clean_failure(rc, err, ["big.xlsx"])
    assert not out.parent.exists()


# --- innolab score / data import parameters --------------------------------------------------

TIDY = (
    "iso3,indicator,year,value,source\nKEN,IT.NET.USER.ZS,2020,30,t\nNGA,IT.NET.USER.ZS,2020,40,t\n"
)


def _score_argv(tmp: Path, *extra: str, data: str = TIDY) -> list[str]:
    p = tmp / "tidy.csv"
    p.write_text(data)
    return ["score", "--data", str(p), "--out", str(tmp / "out" / "scores.csv"), *extra]


SCORE_BAD = [
    # (id, extra argv, words in the error)
    ("year-not-a-number", ["--framework", "digital_innovation", "--year", "abc"], ["--year"]),
    (
        "year-without-data",
        ["--framework", "digital_innovation", "--year", "1800"],
        ["no data for reference year 1800", "1795-1800", "2020-2020"],
    ),
    ("negative-year", ["--framework", "digital_innovation", "--year", "-5"], ["-5"]),
    (
        "framework-typo",
        ["--framework", "digital_inovation", "--year", "2020"],
        ["digital_inovation", "did you mean digital_innovation"],
    ),
    ("framework-path-traversal", ["--framework", "../../etc/passwd", "--year", "2020"], ["passwd"]),
    (
        "framework-relative-name",
        ["--framework", "../frameworks/asem", "--year", "2020"],
        ["../frameworks/asem"],
    ),
    (
        "framework-nul-byte",
        ["--framework", "digital\x00innovation", "--year", "2020"],
        ["framework"],
    ),
    ("out-bad-suffix", ["--framework", "digital_innovation", "--year", "2020"], ["out"]),
]


@pytest.mark.parametrize("case", SCORE_BAD, ids=[c[0] for c in SCORE_BAD])
def test_score_bad_parameters(case, tmp_path, capsys):
    _id, extra, words = case
    argv = _score_argv(tmp_path, *extra)
    if _id == "out-bad-suffix":
        argv[argv.index("--out") + 1] = str(tmp_path / "out" / "scores.xyz")
    before = _digest(tmp_path / "tidy.csv")
    rc, _, err = _run(argv, capsys)
    _assert_clean_failure(rc, err, words)
    assert _digest(tmp_path / "tidy.csv") == before
    assert not (tmp_path / "out").exists()


def test_score_unknown_iso3_in_tidy_data(tmp_path, capsys):
    argv = _score_argv(
        tmp_path,
        "--framework",
        "digital_innovation",
        "--year",
        "2020",
        data=TIDY + "XYZ,IT.NET.USER.ZS,2020,50,t\n",
    )
    before = _digest(tmp_path / "tidy.csv")
    rc, _, err = _run(argv, capsys)
    # the file, the line of the bad row (header = line 1), the column and the code
    _assert_clean_failure(rc, err, ["tidy.csv", "line 4", "'iso3'", "'XYZ'"])
    assert _digest(tmp_path / "tidy.csv") == before
    assert not (tmp_path / "out").exists()


IMPORT_BAD = [
    ("unknown-format", ["--format", "wdi"], ["--format"]),
    ("year-not-a-number", ["--year", "20x0"], ["--year"]),
    ("out-traversal-into-input", ["--out", "{src}"], ["also an input"]),
    ("out-bad-suffix", ["--out", "{tmp}/o/tidy.txt"], [".csv or .parquet"]),
    ("unknown-mapping-name", ["--format", "table", "--mapping", "gii-panle"], ["gii-panle"]),
    ("missing-input", ["{tmp}/nope.csv"], ["nope.csv", "file not found"]),
    ("folder-as-input", ["{tmp}"], ["is a directory"]),
]


@pytest.mark.parametrize("case", IMPORT_BAD, ids=[c[0] for c in IMPORT_BAD])
def test_data_import_bad_parameters(case, tmp_path, capsys):
    _id, extra, words = case
    src = tmp_path / "data.csv"
    src.write_text("Country Name,Country Code,Year,Value\nKenya,KEN,2020,1.5\n")
    before = _digest(src)
    extra = [e.format(src=src, tmp=tmp_path) for e in extra]
    argv = [
        "data",
        "import",
        str(src),
        "--indicator",
        "X.Y",
        "--out",
        str(tmp_path / "o" / "t.csv"),
    ]
    if _id in ("missing-input", "folder-as-input"):
        argv = ["data", "import", *extra, "--out", str(tmp_path / "o" / "t.csv")]
    else:
        argv += extra
    rc, _, err = _run(argv, capsys)
    _assert_clean_failure(rc, err, words)
    assert _digest(src) == before and not (tmp_path / "o").exists()


# --- innolab batch: validated before any kernel starts ---------------------------------------


@pytest.fixture
def no_kernels(monkeypatch):
    import innolab.report.batch as batch
    import innolab.report.kernels as kernels

    def refuse(*_a, **_k):
        raise AssertionError("a notebook kernel was started for invalid parameters")

    monkeypatch.setattr(kernels, "Zygote", refuse)
    monkeypatch.setattr(batch, "_run_local", refuse)
    monkeypatch.setattr(batch, "_run_dask", refuse)
    monkeypatch.setattr(batch, "_execute_task", refuse)


BATCH_BAD = [
    ("unknown-iso3", ["--countries", "KEN,XYZ"], ["'XYZ'"]),
    ("iso3-lower-case", ["--countries", "ken"], ["'ken'"]),
    ("iso2-not-iso3", ["--countries", "NA"], ["'NA'"]),
    ("countries-traversal", ["--countries", "../../etc"], ["'../../etc'"]),
    ("countries-nul", ["--countries", "KEN\x00"], ["'KEN\\x00'"]),
    ("unknown-region", ["--countries", "region:XXX"], ["region:XXX"]),
    ("year-not-a-number", ["--countries", "KEN", "--year", "abc"], ["--year"]),
    ("param-not-name-value", ["--countries", "KEN", "-p", "framework"], ["NAME=VALUE"]),
    ("param-unknown-name", ["--countries", "KEN", "-p", "frmework=asem"], ["frmework"]),
    (
        "notebook-unknown",
        ["--notebook", "country_profil", "--countries", "KEN"],
        ["country_profil"],
    ),
    ("notebook-traversal-name", ["--notebook", "..", "--countries", "KEN"], ["'..'"]),
    ("zero-jobs", ["--countries", "KEN", "--jobs", "0"], ["--jobs"]),
    ("negative-timeout", ["--countries", "KEN", "--timeout", "-1"], ["--timeout"]),
]


@pytest.mark.parametrize("case", BATCH_BAD, ids=[c[0] for c in BATCH_BAD])
def test_batch_bad_parameters_are_refused_before_any_kernel(case, tmp_path, capsys, no_kernels):
    _id, extra, words = case
    out = tmp_path / "reports"
    rc, _, err = _run(["batch", *extra, "--out", str(out), "--no-progress"], capsys)
    _assert_clean_failure(rc, err, words)
    assert not out.exists() or not any(out.rglob("*.html"))


# the values every notebook shares (year, framework) are checked once against the data the
# notebooks read: here a small processed panel with values for 2010, 2011 and 2013 only
BATCH_GAPS = [
    ("year-without-data", ["--countries", "KEN", "--year", "1799"], ["1799", "2010–2011, 2013"]),
    ("year-absurd", ["--countries", "KEN", "--year", "99999"], ["99999", "2010–2011, 2013"]),
    (
        "framework-unknown",
        ["--countries", "KEN", "-p", "framework=no_such_framework"],
        ["'no_such_framework'", "digital_innovation"],
    ),
    (
        "framework-traversal",
        ["--countries", "KEN", "-p", "framework=../../etc/passwd"],
        ["'../../etc/passwd'", "framework file"],
    ),
    (
        "iso3-param-overridden-silently",
        ["--countries", "KEN", "-p", "iso3=XYZ"],
        ["'XYZ'", "--countries"],
    ),
]


@pytest.fixture
def small_panel(tmp_path, monkeypatch):
    """data/processed replaced by a folder whose panel has values for 2010, 2011 and 2013."""
    from innolab import config

    folder = tmp_path / "processed"
    folder.mkdir()
    pd.DataFrame(
        {
            "iso3": ["KEN", "KEN", "NAM", "NAM"],
            "indicator": ["IT.NET.USER.ZS"] * 4,
            "year": [2010, 2011, 2013, 2015],
            "value": [10.0, 12.5, 30.0, float("nan")],
            "source": "test",
        }
    ).to_parquet(folder / "panel.parquet")
    monkeypatch.setattr(config, "PROCESSED_DIR", folder)
    return folder


@pytest.mark.parametrize("case", BATCH_GAPS, ids=[c[0] for c in BATCH_GAPS])
def test_batch_parameter_values_are_validated_before_kernels(
    case, tmp_path, capsys, no_kernels, small_panel
):
    _id, extra, words = case
    before = _digest(small_panel / "panel.parquet")
    rc, _, err = _run(["batch", *extra, "--out", str(tmp_path / "r"), "--no-progress"], capsys)
    assert rc == 2 and err.startswith("error: "), err
    _assert_clean_failure(rc, err, words)
    assert "root:" not in err  # /etc/passwd is never read, let alone shown
    assert _digest(small_panel / "panel.parquet") == before
    assert not (tmp_path / "r").exists()


def test_batch_template_content_is_not_echoed(tmp_path, capsys, no_kernels):
    secret = tmp_path / "secret.txt"
    secret.write_text("password=hunter2\n")
    rc, _, err = _run(
        ["batch", "--notebook", str(secret), "--countries", "KEN", "--out", str(tmp_path / "r")],
        capsys,
    )
    assert rc == 2 and "Traceback" not in err
    assert "hunter2" not in err, err
    _assert_clean_failure(rc, err, ["secret.txt", "not a valid Jupyter notebook"])


def test_provenance_of_a_refused_import_is_not_written(tmp_path, capsys):
    src = tmp_path / "data.csv"
    src.write_text("Country Name,Country Code,Year,Value\nKenya,KEX,2020,1.5\n")
    out = tmp_path / "t.csv"
    rc, _, err = _run(["data", "import", str(src), "--indicator", "X", "--out", str(out)], capsys)
    _assert_clean_failure(rc, err, ["'KEX'"])
    assert sorted(p.name for p in tmp_path.iterdir()) == ["data.csv"]
