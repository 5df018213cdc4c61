from __future__ import annotations

import json

import pandas as pd
import pytest

from innolab.errors import ParameterError
from innolab.io import (
    atomic_write,
    provenance_path,
    read_provenance,
    read_table,
    safe_name,
    sha256_file,
    source_record,
    write_provenance,
    write_table,
)


def test_atomic_write_keeps_old_file_on_failure(tmp_path):
    target = tmp_path / "out.txt"
    target.write_text("old")
    with pytest.raises(RuntimeError):
        with atomic_write(target) as fh:
            fh.write("half")
            raise RuntimeError("boom")
    assert target.read_text() == "old"
    assert list(tmp_path.iterdir()) == [target]  # no temp file left behind


@pytest.mark.parametrize("suffix", [".csv", ".parquet", ".xlsx"])
def test_write_table_roundtrip(tmp_path, suffix):
    df = pd.DataFrame({"iso3": ["NAM", "NOR"], "value": [1.5, 2.0]})
    out = write_table(df, tmp_path / f"t{suffix}")
    if suffix == ".xlsx":
        back = pd.read_excel(out, keep_default_na=False)
    else:
        back = read_table(out)
    assert back["iso3"].tolist() == ["NAM", "NOR"]  # Namibia is not NaN
    assert back["value"].tolist() == [1.5, 2.0]


def test_write_table_rejects_unknown_suffix(tmp_path):
    with pytest.raises(ParameterError, match=r"\.csv, \.parquet or \.xlsx"):
        write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.json")
    assert list(tmp_path.iterdir()) == []


def test_provenance_sidecar(tmp_path):
    raw = tmp_path / "raw.csv"
    raw.write_text("a,b\n1,2\n")
    out = write_table(pd.DataFrame({"a": [1]}), tmp_path / "panel.csv")
    rec = source_record(raw, source="test", retrieved="2026-01-02")
    side = write_provenance(out, [rec], spec={"x": 1})
    assert side == provenance_path(out) == tmp_path / "panel.provenance.json"
    prov = read_provenance(out)
    assert prov["sources"][0]["sha256"] == sha256_file(raw)
    assert prov["sources"][0]["retrieved"] == "2026-01-02"
    assert prov["sha256"] == sha256_file(out)
    assert prov["spec"] == {"x": 1}
    assert json.loads(side.read_text())["innolab_version"]


@pytest.mark.parametrize(
    "bad", ["../x", "/etc/passwd", "a/b", "a\\b", "x\x00y", "..", ".hidden", "x" * 200, ""]
)
def test_safe_name_rejects_path_tricks(bad):
    with pytest.raises(ParameterError):
        safe_name(bad, what="iso3")


def test_safe_name_accepts_codes():
    assert safe_name("KEN") == "KEN"


def test_written_files_follow_the_umask(tmp_path):
    import os

    old = os.umask(0o022)
    try:
        out = write_table(pd.DataFrame({"a": [1]}), tmp_path / "t.parquet")
        with atomic_write(tmp_path / "t.txt") as fh:
            fh.write("x")
    finally:
        os.umask(old)
    assert out.stat().st_mode & 0o777 == 0o644
    assert (tmp_path / "t.txt").stat().st_mode & 0o777 == 0o644
