"""The processed store: build, provenance, skip, atomicity, raw immutability, conflicts."""

from __future__ import annotations

import hashlib
import shutil
from pathlib import Path

import pandas as pd
import pytest

import innolab
from innolab import config, store
from innolab.cli import main
from innolab.errors import DataFileError, ParameterError
from innolab.io import read_provenance, sha256_file

CANON = "iso3,indicator,year,value,source\n"


def _folder(
    root: Path, name: str, rows: str, *, countries: str | None = None, ratings: str | None = None
) -> Path:
    d = root / name
    d.mkdir(parents=True)
    (d / "indicators.csv").write_text(CANON + rows, encoding="utf-8")
    (d / "indicators_meta.csv").write_text(
        "indicator,name,unit,source\nA.B,Alpha beta,%,test\nC.D,Gamma delta,days,test\n",
        encoding="utf-8",
    )
    if countries is not None:
        (d / "countries.csv").write_text(
            "iso3,name,itu_region,wb_region,income_group\n" + countries, encoding="utf-8"
        )
    if ratings is not None:
        (d / "expert_ratings.csv").write_text(
            "iso3,stakeholder,enabler,rating,year,respondents\n" + ratings, encoding="utf-8"
        )
    (d / "README.md").write_text("test source\n", encoding="utf-8")
    return d


@pytest.fixture
def raw(tmp_path) -> Path:
    root = tmp_path / "raw"
    _folder(
        root,
        "demo",
        "XAA,A.B,2020,1.5,s\nXAA,A.B,2021,2.5,s\nXAB,C.D,2020,10,s\nXAA,C.D,2019,-3,s\n",
        countries="XAA,Land A,AFR,Sub-Saharan Africa,Low income\nXAB,Land B,EUR,Europe & Central Asia,High income\n",
        ratings="XAA,academia,vision_strategy,3.5,2021,4\nXAA,public_sector,policy_regulation,4,2021,6\n",
    )
    (root / "README.md").write_text("raw\n", encoding="utf-8")
    return root


def _hashes(root: Path) -> dict[str, tuple[str, int]]:
    """sha256 and mtime of every file under root (raw immutability)."""
    return {
        p.relative_to(root).as_posix(): (
            hashlib.sha256(p.read_bytes()).hexdigest(),
            p.stat().st_mtime_ns,
        )
        for p in sorted(root.rglob("*"))
        if p.is_file()
    }


def _bytes(out: Path) -> dict[str, bytes]:
    return {p.name: p.read_bytes() for p in sorted(out.iterdir())}


# --- build ------------------------------------------------------------------------------------


def test_build_writes_panel_and_metadata(raw, tmp_path):
    out = tmp_path / "processed"
    rep = store.build(raw, out)
    assert not rep.skipped
    assert {p.name for p in rep.outputs} == {
        "panel.parquet",
        "indicators.parquet",
        "countries.parquet",
        "expert_ratings.parquet",
    }
    panel = pd.read_parquet(out / "panel.parquet")
    assert list(panel.columns) == list(store.PANEL_COLUMNS)
    assert panel[["iso3", "indicator", "year"]].values.tolist() == [
        ["XAA", "A.B", 2020],
        ["XAA", "A.B", 2021],
        ["XAA", "C.D", 2019],
        ["XAB", "C.D", 2020],
    ]
    assert panel["value"].tolist() == [1.5, 2.5, -3.0, 10.0]
    assert str(panel["year"].dtype) == "int64" and str(panel["value"].dtype) == "float64"
    assert not panel["is_aggregate"].any()
    meta = pd.read_parquet(out / "indicators.parquet")
    assert meta.to_dict("list") == {
        "indicator": ["A.B", "C.D"],
        "name": ["Alpha beta", "Gamma delta"],
        "unit": ["%", "days"],
        "source": ["test", "test"],
    }
    countries = pd.read_parquet(out / "countries.parquet")
    assert countries["iso3"].tolist() == ["XAA", "XAB"]
    assert countries["itu_region"].tolist() == ["AFR", "EUR"]
    assert countries["is_demo"].all() and not countries["is_aggregate"].any()
    ratings = pd.read_parquet(out / "expert_ratings.parquet")
    assert ratings["rating"].tolist() == [3.5, 4.0] and ratings["respondents"].tolist() == [4, 6]
    assert "wrote" in rep.summary() and "4 values" in rep.summary()
    # nothing else is left in the output folder (no staging folder, no temporary file)
    names = sorted(p.name for p in out.iterdir())
    assert names == sorted(
        [*(p.name for p in rep.outputs), *(p.stem + ".provenance.json" for p in rep.outputs)]
    )


def test_provenance_records_every_input(raw, tmp_path):
    out = tmp_path / "processed"
    rep = store.build(raw, out)
    inputs = sorted(p for p in (raw / "demo").iterdir() if p.suffix == ".csv")
    for target in rep.outputs:
        prov = read_provenance(target)
        assert prov["output"] == target.name
        assert prov["sha256"] == sha256_file(target)
        assert prov["innolab_version"] == innolab.__version__
        assert prov["input_fingerprint"] == rep.fingerprint
        assert prov["rows"] == len(pd.read_parquet(target))
        recs = {Path(r["path"]).name: r for r in prov["sources"]}
        assert sorted(recs) == [p.name for p in inputs]  # README.md is not an input
        for p in inputs:
            r = recs[p.name]
            assert r["sha256"] == sha256_file(p) and r["bytes"] == p.stat().st_size
            assert r["source"] == "demo" and len(r["retrieved"]) == 10


def test_unchanged_input_skips_and_changes_rebuild(raw, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    first = store.build(raw, out)
    before = _bytes(out)
    again = store.build(raw, out)
    assert again.skipped and "up to date" in again.summary()
    assert again.fingerprint == first.fingerprint
    assert _bytes(out) == before  # not even the provenance timestamps change
    # --force rebuilds; the data files are byte-identical (idempotent)
    forced = store.build(raw, out, force=True)
    assert not forced.skipped
    after = _bytes(out)
    for name in before:
        if name.endswith(".parquet"):
            assert after[name] == before[name], name
    # a new innolab version rebuilds
    monkeypatch.setattr(store, "__version__", "99.0")
    assert not store.build(raw, out).skipped
    monkeypatch.undo()
    # a changed input rebuilds
    f = raw / "demo" / "indicators.csv"
    f.write_text(f.read_text() + "XAB,A.B,2022,7,s\n")
    rep = store.build(raw, out)
    assert not rep.skipped and rep.n_rows == 5
    # an output edited by hand no longer matches its provenance: rebuild
    (out / "indicators.parquet").write_bytes(b"garbage")
    assert not store.build(raw, out).skipped
    assert pd.read_parquet(out / "indicators.parquet")["indicator"].tolist() == ["A.B", "C.D"]
    # a deleted output (the optional ratings table too) is rebuilt
    (out / "expert_ratings.parquet").unlink()
    assert not store.build(raw, out).skipped and (out / "expert_ratings.parquet").exists()
    assert store.build(raw, out).skipped


def test_failure_mid_write_keeps_old_outputs(raw, tmp_path, monkeypatch):
    out = tmp_path / "processed"
    store.build(raw, out)
    before = _bytes(out)
    raw_before = _hashes(raw)
    f = raw / "demo" / "indicators.csv"
    f.write_text(f.read_text() + "XAB,A.B,2022,7,s\n")
    raw_before = _hashes(raw)
    calls = {"n": 0}
    real = store.write_table

    def failing(df, path, **kw):
        calls["n"] += 1
        if calls["n"] == 2:  # the panel is written, the second table fails
            raise OSError("disk full (simulated)")
        return real(df, path, **kw)

    monkeypatch.setattr(store, "write_table", failing)
    with pytest.raises(OSError, match="simulated"):
        store.build(raw, out)
    assert _bytes(out) == before  # old outputs intact, no partial or temporary file
    assert _hashes(raw) == raw_before
    monkeypatch.undo()
    # the same failure while writing provenance
    real_prov = store.write_provenance
    monkeypatch.setattr(
        store, "write_provenance", lambda *a, **k: (_ for _ in ()).throw(OSError("simulated"))
    )
    with pytest.raises(OSError):
        store.build(raw, out)
    assert _bytes(out) == before
    monkeypatch.setattr(store, "write_provenance", real_prov)
    rep = store.build(raw, out)  # and a later build succeeds
    assert not rep.skipped and rep.n_rows == 5


def test_raw_files_never_modified(raw, tmp_path):
    before = _hashes(raw)
    out = tmp_path / "processed"
    store.build(raw, out)
    store.build(raw, out)
    store.build(raw, out, force=True)
    assert _hashes(raw) == before
    # also after a failure half-way (a conflict found after reading every folder)
    _folder(raw, "other", "XAA,A.B,2020,9.9,other\n")
    before = _hashes(raw)
    with pytest.raises(DataFileError):
        store.build(raw, out)
    assert _hashes(raw) == before


# --- conflicts and priority ------------------------------------------------------------------


def test_conflict_names_both_files(raw, tmp_path):
    _folder(raw, "zeta", "XAA,A.B,2020,9.9,zeta\n")
    with pytest.raises(DataFileError) as err:
        store.build(raw, tmp_path / "out")
    msg = str(err.value)
    assert (
        str(raw / "demo" / "indicators.csv") in msg and str(raw / "zeta" / "indicators.csv") in msg
    )
    assert "XAA A.B 2020" in msg and "9.9" in msg and "1.5" in msg and "--prefer" in msg
    assert not (tmp_path / "out" / "panel.parquet").exists()


def test_priority_resolves_conflicts(raw, tmp_path):
    _folder(raw, "zeta", "XAA,A.B,2020,9.9,zeta\nXAC,A.B,2020,1,zeta\n")
    out = tmp_path / "out"
    rep = store.build(raw, out, priority=["zeta"])
    panel = pd.read_parquet(out / "panel.parquet").set_index(["iso3", "indicator", "year"])
    assert panel.loc[("XAA", "A.B", 2020), "value"] == 9.9
    assert panel.loc[("XAA", "A.B", 2020), "source"] == "zeta"
    assert panel.loc[("XAA", "A.B", 2021), "value"] == 2.5  # only in demo
    assert rep.n_rows == 5
    assert read_provenance(out / "panel.parquet")["priority"] == ["zeta"]
    store.build(raw, out, priority=["demo"], force=True)
    panel = pd.read_parquet(out / "panel.parquet").set_index(["iso3", "indicator", "year"])
    assert panel.loc[("XAA", "A.B", 2020), "value"] == 1.5
    # a changed priority is a changed input set: no skip
    assert not store.build(raw, out, priority=["zeta"]).skipped
    with pytest.raises(ParameterError, match="nope"):
        store.build(raw, out, priority=["nope"])


def test_equal_values_from_two_sources_are_kept_once(raw, tmp_path):
    _folder(raw, "zeta", "XAA,A.B,2020,1.5,zeta\n")
    rep = store.build(raw, tmp_path / "out")
    assert rep.n_rows == 4


# --- bad input ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("rows", "line", "column"),
    [
        ("XAA,A.B,2020,1.5,s\nXAA,A.B,2021,abc,s\n", 3, "value"),
        ("XAA,A.B,2020.5,1.5,s\n", 2, "year"),
        ("xa,A.B,2020,1.5,s\n", 2, "iso3"),
        ("XAA,A.B,2020,inf,s\n", 2, "value"),
    ],
)
def test_bad_canonical_cell_names_line_and_column(tmp_path, rows, line, column):
    root = tmp_path / "raw"
    _folder(root, "demo", rows)
    with pytest.raises(DataFileError) as err:
        store.build(root, tmp_path / "out")
    assert err.value.line == line and err.value.column == column
    assert err.value.path.endswith("indicators.csv")


def test_duplicate_row_and_bad_rating(tmp_path):
    root = tmp_path / "raw"
    _folder(root, "demo", "XAA,A.B,2020,1.5,s\nXAA,A.B,2020,1.6,s\n")
    with pytest.raises(DataFileError, match="duplicate row for XAA A.B 2020"):
        store.build(root, tmp_path / "out")
    root2 = tmp_path / "raw2"
    _folder(
        root2, "demo", "XAA,A.B,2020,1.5,s\n", ratings="XAA,academia,vision_strategy,6,2021,3\n"
    )
    with pytest.raises(DataFileError) as err:
        store.build(root2, tmp_path / "out")
    assert err.value.column == "rating" and err.value.line == 2
    root3 = tmp_path / "raw3"
    _folder(
        root3, "demo", "XAA,A.B,2020,1.5,s\n", ratings="XAA,students,vision_strategy,3,2021,3\n"
    )
    with pytest.raises(DataFileError, match="unknown stakeholder"):
        store.build(root3, tmp_path / "out")


def test_missing_raw_folder_and_empty_raw(tmp_path):
    with pytest.raises(DataFileError, match="not found"):
        store.build(tmp_path / "nope", tmp_path / "out")
    (tmp_path / "empty" / "worldbank").mkdir(parents=True)
    (tmp_path / "empty" / "worldbank" / "README.md").write_text("nothing yet\n")
    with pytest.raises(DataFileError, match="no source folder"):
        store.build(tmp_path / "empty", tmp_path / "out")


# --- other source folders through innolab.sources ---------------------------------------------


class _FakeResult:
    def __init__(self, data, countries=None):
        self.data = data
        self.indicators = pd.DataFrame(
            {"indicator": ["A.B"], "name": ["Alpha from loader"], "unit": ["%"], "source": ["wb"]}
        )
        self.countries = countries
        self.format = "long-csv"
        self.paths = ()
        self.warnings = ("a warning from the loader",)

    def aggregate_codes(self):
        return frozenset({"WLD"})


def test_other_folders_are_read_with_sources_load(raw, tmp_path, monkeypatch):
    import innolab.sources as sources

    wb = raw / "worldbank"
    wb.mkdir()
    (wb / "it.net.user.csv").write_text("Country Name,Country Code,Year,Value\n")
    (wb / "README.md").write_text("about\n")
    seen = {}

    def fake_load(path, *, format="auto", **kw):
        seen["path"], seen["format"] = path, format
        data = pd.DataFrame(
            {
                "iso3": ["KEN", "WLD", "XAA"],
                "indicator": ["A.B", "A.B", "A.B"],
                "year": [2020, 2020, 2021],
                "value": [3.0, 4.0, 2.5],  # XAA 2021 equals the demo value: no conflict
                "source": ["wb", "wb", "wb"],
            }
        )
        countries = pd.DataFrame(
            {
                "iso3": ["KEN", "WLD"],
                "name": ["Kenya", "World"],
                "region": ["Sub-Saharan Africa", None],
                "income_group": ["Lower middle income", None],
                "is_aggregate": [False, True],
            }
        )
        return _FakeResult(data, countries)

    monkeypatch.setattr(sources, "load", fake_load, raising=False)
    monkeypatch.setattr(sources, "detect_format", lambda p: "long-csv", raising=False)
    monkeypatch.setattr(sources, "read_expert_ratings", lambda p: None, raising=False)
    monkeypatch.setattr(store, "_reference_countries", lambda: None)
    out = tmp_path / "out"
    rep = store.build(raw, out)
    assert seen == {"path": str(wb / "it.net.user.csv"), "format": "auto"}
    panel = pd.read_parquet(out / "panel.parquet")
    assert set(panel["iso3"]) == {"KEN", "WLD", "XAA", "XAB"}
    assert panel.loc[panel["iso3"] == "WLD", "is_aggregate"].all()
    assert not panel.loc[panel["iso3"] != "WLD", "is_aggregate"].any()
    assert rep.n_aggregates == 1 and rep.n_economies == 3
    countries = pd.read_parquet(out / "countries.parquet").set_index("iso3")
    assert countries.loc["KEN", "wb_region"] == "Sub-Saharan Africa"
    assert countries.loc["WLD", "is_aggregate"] and not countries.loc["KEN", "is_demo"]
    assert countries.loc["XAA", "is_demo"]
    meta = pd.read_parquet(out / "indicators.parquet").set_index("indicator")
    assert meta.loc["A.B", "name"] == "Alpha beta"  # demo comes first alphabetically
    prov = read_provenance(out / "panel.parquet")
    assert {Path(r["path"]).name for r in prov["sources"]} >= {"it.net.user.csv", "indicators.csv"}
    # the loader's warnings, then the values suspicious for their unit (a negative duration)
    assert prov["warnings"] == [
        "a warning from the loader",
        "C.D: 1 suspicious value (XAA 2019: -3): negative value: expected >= 0 as a count or "
        "rate of a count (unit 'days')",
    ]
    assert [(r["iso3"], r["code"], r["before"]) for r in prov["suspicious"]] == [
        ("XAA", "C.D", -3.0)
    ]
    assert rep.warnings == tuple(prov["warnings"])
    # a conflicting loaded value names the loaded file and the demo file
    monkeypatch.setattr(
        sources,
        "load",
        lambda path, **kw: _FakeResult(
            pd.DataFrame(
                {
                    "iso3": ["XAA"],
                    "indicator": ["A.B"],
                    "year": [2021],
                    "value": [2.6],
                    "source": ["wb"],
                }
            )
        ),
        raising=False,
    )
    with pytest.raises(DataFileError) as err:
        store.build(raw, out, force=True)  # same files: without force the build is skipped
    assert "it.net.user.csv" in str(err.value) and "demo" in str(err.value)


# --- the committed demo folder and the CLI ------------------------------------------------------


def test_build_committed_demo_via_cli(tmp_path, capsys):
    raw = tmp_path / "raw"
    shutil.copytree(config.DEMO_DIR, raw / "demo")
    out = tmp_path / "processed"
    assert main(["data", "build", "--raw", str(raw), "--out", str(out)]) == 0
    text = capsys.readouterr().out
    assert "wrote panel.parquet" in text and "60 economies" in text
    assert main(["data", "build", "--raw", str(raw), "--out", str(out)]) == 0
    assert "up to date" in capsys.readouterr().out
    panel = pd.read_parquet(out / "panel.parquet")
    src = pd.read_csv(raw / "demo" / "indicators.csv")
    assert len(panel) == len(src) and panel["iso3"].nunique() == 60
    merged = panel.merge(src, on=["iso3", "indicator", "year"], suffixes=("", "_csv"))
    assert (merged["value"] == merged["value_csv"]).all()
    assert pd.read_parquet(out / "countries.parquet")["is_demo"].all()
    assert len(pd.read_parquet(out / "expert_ratings.parquet")) == len(
        pd.read_csv(raw / "demo" / "expert_ratings.csv")
    )
    assert main(["data", "build", "--raw", str(raw), "--out", str(out), "--prefer", "nope"]) == 2
    assert "nope" in capsys.readouterr().err


# --- real files through the real loaders (../shared, read in place through symlinks) ----------


def _link(src: Path, dst: Path) -> None:
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.symlink_to(src)


def test_real_sources_with_the_demo(raw, tmp_path, shared):
    from innolab.sources import load

    bbnd = shared("data", "wdi", "raw", "datahub-wdi", "it.net.bbnd.p2")
    idi = shared("data", "itu", "raw", "idi2017_jakobsk_EoC.csv")
    _link(bbnd / "data.csv", raw / "worldbank" / "it.net.bbnd.p2" / "data.csv")
    _link(bbnd / "datapackage.json", raw / "worldbank" / "it.net.bbnd.p2" / "datapackage.json")
    _link(idi, raw / "itu" / idi.name)
    (raw / "itu" / "source.yaml").write_text("mapping: idi-2017\n", encoding="utf-8")
    raw_before = _hashes(raw)
    out = tmp_path / "out"
    rep = store.build(raw, out)
    assert _hashes(raw) == raw_before
    panel = pd.read_parquet(out / "panel.parquet")
    by_ind = panel["indicator"].value_counts()
    assert by_ind["IT.NET.BBND.P2"] == 5319  # every data line of the datahub file
    direct = load(raw / "itu" / idi.name, mapping="idi-2017").data
    assert by_ind["IDI"] == len(direct)
    assert by_ind["A.B"] == 2 and by_ind["C.D"] == 2  # the small demo folder
    got = panel[panel["indicator"] == "IDI"].set_index("iso3")["value"].sort_index()
    assert got.equals(direct.set_index("iso3")["value"].sort_index().astype(float))
    flags = panel.groupby("iso3")["is_aggregate"].first()
    assert flags["WLD"] and flags["HIC"] and not flags["KEN"] and not flags["XAA"]
    countries = pd.read_parquet(out / "countries.parquet").set_index("iso3")
    assert countries.loc["KEN", "itu_region"] == "AFR" and not countries.loc["KEN", "is_demo"]
    assert countries.loc["XAA", "is_demo"] and countries.loc["WLD", "is_aggregate"]
    prov = read_provenance(out / "panel.parquet")
    names = {Path(r["path"]).name: r["source"] for r in prov["sources"]}
    assert names["data.csv"] == "worldbank" and names["datapackage.json"] == "worldbank"
    assert names["source.yaml"] == "itu" and names[idi.name] == "itu"
    assert rep.n_aggregates > 30 and store.build(raw, out).skipped


def test_bad_source_options(raw, tmp_path):
    (raw / "itu").mkdir()
    (raw / "itu" / "x.csv").write_text("Country,Score\nKenya,1\n", encoding="utf-8")
    (raw / "itu" / "source.yaml").write_text("mappin: idi-2017\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="unknown option"):
        store.build(raw, tmp_path / "out")
