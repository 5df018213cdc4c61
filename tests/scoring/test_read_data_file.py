"""``read_data_file`` (``innolab score`` / ``innolab uncertainty``): tidy tables are read with the
validating loaders, so an unknown country code is an error naming the file, line and code and is
never scored; wide tables (COINr unit codes) are read as they are."""

from __future__ import annotations

import warnings

import pandas as pd
import pytest
import yaml

from innolab.errors import DataFileError, UnknownCountryError
from innolab.scoring.files import build_from_files
from innolab.scoring.pipeline import read_data_file, score_files
from innolab.sources import read_canonical
from innolab.sources.base import SourceWarning

CANON = "iso3,indicator,year,value,source\nKEN,x,2020,30,t\nNGA,x,2020,40,t\nGHA,x,2019,5,t\n"


def _csv(tmp_path, text, name="tidy.csv"):
    p = tmp_path / name
    p.write_text(text)
    return p


def _fw(tmp_path):
    p = tmp_path / "fw.yaml"
    nodes = [{"code": "I"}, {"code": "x", "parent": "I", "direction": 1}]
    p.write_text(yaml.safe_dump({"code": "mini", "nodes": nodes}))
    return p


def test_canonical_csv_is_read_by_the_canonical_reader(tmp_path):
    p = _csv(tmp_path, CANON)
    got = read_data_file(p)
    pd.testing.assert_frame_equal(got, read_canonical(p))
    assert got["iso3"].tolist() == ["GHA", "KEN", "NGA"]  # sorted by indicator, iso3, year
    assert got["year"].tolist() == [2019, 2020, 2020] and got["value"].tolist() == [5.0, 30, 40]


def test_unknown_code_in_canonical_csv_names_file_line_and_code(tmp_path):
    p = _csv(tmp_path, CANON + "XYZ,x,2020,50,t\n")
    with pytest.raises(UnknownCountryError) as err:
        read_data_file(p)
    msg = str(err.value)
    assert "tidy.csv" in msg and "column 'iso3'" in msg and "'XYZ' on line 5" in msg, msg
    assert list(err.value.unknown) == ["XYZ"]


def test_unknown_code_in_canonical_parquet(tmp_path):
    p = tmp_path / "tidy.parquet"
    df = pd.DataFrame(
        {"iso3": ["KEN", "QQQ"], "indicator": "x", "year": 2020, "value": [1.0, 2.0]}
    ).assign(source="t")
    df.to_parquet(p)
    with pytest.raises(UnknownCountryError, match="'QQQ'") as err:
        read_data_file(p)
    assert "tidy.parquet" in str(err.value)
    df.assign(iso3=["KEN", "NGA"]).to_parquet(p)
    assert read_data_file(p)["iso3"].tolist() == ["KEN", "NGA"]


def test_other_canonical_checks_apply(tmp_path):
    # a non-number and two different values for one economy, indicator and year
    with pytest.raises(DataFileError, match="line 3") as err:
        read_data_file(_csv(tmp_path, CANON.replace("NGA,x,2020,40", "NGA,x,2020,1;5")))
    assert err.value.column == "value"
    with pytest.raises(DataFileError, match="duplicate rows for KEN x 2020"):
        read_data_file(_csv(tmp_path, CANON + "KEN,x,2020,31,t\n"))


def test_tidy_without_source_column_is_checked_too(tmp_path):
    p = _csv(tmp_path, "iso3,indicator,year,value\nKEN,x,2020,1\nFRN,x,2020,2\n")
    with pytest.raises(UnknownCountryError) as err:
        read_data_file(p)
    msg = str(err.value)
    assert "tidy.csv" in msg and "'FRN' on line 3" in msg and "France (FRA)" in msg, msg


def test_tidy_workbook_is_checked(tmp_path):
    p = tmp_path / "tidy.xlsx"
    pd.DataFrame(
        {"iso3": ["KEN", "KEX"], "indicator": "x", "year": 2020, "value": [1.0, 2.0]}
    ).to_excel(p, index=False)
    with pytest.raises(UnknownCountryError, match="'KEX' on line 3"):
        read_data_file(p)


def test_tidy_empty_code_and_former_world_bank_code(tmp_path):
    with pytest.raises(DataFileError, match="empty country code") as err:
        read_data_file(_csv(tmp_path, "iso3,indicator,year,value\nKEN,x,2020,1\n,x,2020,2\n"))
    assert err.value.line == 3 and err.value.column == "iso3"
    p = _csv(tmp_path, "iso3,indicator,year,value\nKSV,x,2020,1\nKEN,x,2020,2\n")
    with pytest.warns(SourceWarning, match="KSV"):
        got = read_data_file(p)
    assert got["iso3"].tolist() == ["XKX", "KEN"]  # Kosovo's current code


def test_wide_tables_keep_their_unit_codes(tmp_path):
    # COINr-style unit codes are not countries: wide tables are not country-checked
    p = _csv(tmp_path, "uCode,x\nAAA,1\nNA,2\n", name="wide.csv")
    got = read_data_file(p)
    assert got["uCode"].tolist() == ["AAA", "NA"] and got["x"].tolist() == [1, 2]


def test_score_and_build_from_files_refuse_unknown_codes(tmp_path):
    fw = _fw(tmp_path)
    bad = _csv(tmp_path, CANON + "XYZ,x,2020,50,t\n")
    out = tmp_path / "out" / "s.csv"
    with pytest.raises(UnknownCountryError, match="'XYZ'"):
        score_files(bad, fw, year=2020, out=out)
    assert not out.exists()
    with pytest.raises(UnknownCountryError, match="'XYZ'"):
        build_from_files(bad, fw, year=2020)
    good = _csv(tmp_path, CANON, name="good.csv")
    spec = {"normalise": {"method": "minmax"}, "aggregate": {}}
    with warnings.catch_warnings():
        warnings.simplefilter("error", SourceWarning)
        rep = score_files(good, fw, spec=spec, year=2020, out=out)
    s = pd.read_csv(out).set_index("iso3")
    # GHA's 2019 value is within the data window: GHA 5 -> 0, KEN 30 -> 25/35, NGA 40 -> 100
    assert rep.reference_year == 2020
    assert s["x"].to_dict() == pytest.approx({"GHA": 0.0, "KEN": 2500 / 35, "NGA": 100.0})
