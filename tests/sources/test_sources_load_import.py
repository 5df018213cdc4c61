"""load(), detect_format(), the canonical table, import_files() and `innolab data import`."""

from __future__ import annotations

import json
import math
import warnings

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab.cli import main
from innolab.errors import DataFileError, ParameterError
from innolab.io import read_provenance, write_table
from innolab.sources import (
    SOURCES,
    SourceWarning,
    available_formats,
    detect_format,
    import_files,
    load,
    read_canonical,
)
from innolab.sources.base import parse_number


@pytest.fixture
def small(test_data):
    d = test_data / "sources" / "wdi_small"
    return [d / "WDICSV.csv", d / "WDICountry.csv", d / "WDISeries.csv"]


def test_registry_and_unknown_format(small):
    assert available_formats() == [
        "wb-api-json",
        "wdi-bulk",
        "wb-portal-csv",
        "long-csv",
        "table",
        "expert-ratings",
        "canonical",
    ]
    assert all(SOURCES[n].description for n in SOURCES)
    with pytest.raises(ParameterError, match="valid: auto, wb-api-json"):
        load(small[0], format="wdi")
    with pytest.raises(DataFileError, match="file not found"):
        load(small[0].with_name("nope.csv"))


def test_detect_format_of_fixtures(test_data, small):
    s = test_data / "sources"
    assert [detect_format(p) for p in small] == ["wdi-bulk"] * 3
    assert detect_format(s / "api" / "country.json") == "wb-api-json"
    assert detect_format(s / "long" / "it.net.user.zs" / "data.csv") == "long-csv"
    assert detect_format(s / "ratings" / "wide.csv") == "expert-ratings"
    assert detect_format(s / "tables" / "semicolon_comma_bom.csv") == "table"
    with pytest.raises(DataFileError, match="datapackage"):
        detect_format(s / "long" / "it.net.user.zs" / "datapackage.json")
    with pytest.raises(DataFileError, match="empty file"):
        detect_format(s / "broken" / "empty.csv")


def test_mixed_formats_combine(test_data, small):
    long = test_data / "sources" / "long" / "it.net.user.zs" / "data.csv"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the code is in one of the inputs: nothing to report
        result = load([*small, long], codes=["NY.GDP.PCAP.CD"])
    assert result.format == "wdi-bulk+long-csv"
    assert result.warnings == ()
    with pytest.warns(SourceWarning, match="codes not in any input: XX"):
        load([*small, long], codes=["NY.GDP.PCAP.CD", "XX"])
    assert set(result.data["indicator"]) == {"NY.GDP.PCAP.CD"}
    # the same cells in two files must agree: the long fixture and the bulk fixture do
    both = load([small[0], long], codes=["IT.NET.USER.ZS"])
    assert len(both.data) == 9


def test_conflicting_values_across_files(tmp_path, small):
    other = tmp_path / "data.csv"
    other.write_text("Country Name,Country Code,Year,Value\nNamibia,NAM,2020,99\n")
    with pytest.raises(DataFileError, match="53.0 here and 99.0 on .*data.csv"):
        load([small[0], other], indicator="IT.NET.USER.ZS")


@pytest.mark.parametrize("suffix", [".csv", ".parquet"])
def test_import_files_writes_canonical_table_and_provenance(tmp_path, small, suffix):
    out = tmp_path / f"panel{suffix}"
    report = import_files(small, out=out, codes=["IT.NET.USER.ZS", "NY.GDP.PCAP.CD"])
    assert report.rows == 17 and report.format == "wdi-bulk"
    assert (report.economies, report.aggregates) == (2, 1)
    assert report.years == (2019, 2021)
    assert report.indicators == ("IT.NET.USER.ZS", "NY.GDP.PCAP.CD")
    back = read_canonical(out)
    assert back.equals(load(small, codes=["IT.NET.USER.ZS", "NY.GDP.PCAP.CD"]).data)
    prov = read_provenance(out)
    assert [s["source"] for s in prov["sources"]] == ["wdi-bulk"] * 3
    assert len(prov["sources"][0]["sha256"]) == 64
    assert prov["options"]["codes"] == ["IT.NET.USER.ZS", "NY.GDP.PCAP.CD"]
    assert {r["indicator"] for r in prov["indicators"]} == {"IT.NET.USER.ZS", "NY.GDP.PCAP.CD"}
    assert not list(tmp_path.glob(".*tmp*"))  # no temporary files left behind
    text = "\n".join(report.lines())
    assert "format: wdi-bulk (WDICSV.csv)" in text
    assert "wrote 17 rows (2 indicators; 2 economies, 1 aggregates; years 2019-2021)" in text
    reloaded = load(out)  # the canonical table loads back with its metadata
    assert reloaded.format == "canonical"
    assert reloaded.indicators.set_index("indicator").loc["NY.GDP.PCAP.CD", "unit"] == "current US$"
    assert reloaded.aggregate_codes() == frozenset({"WLD"})


def test_import_refuses_bad_outputs(tmp_path, small):
    with pytest.raises(ParameterError, match=".csv or .parquet"):
        import_files(small, out=tmp_path / "x.xlsx")
    with pytest.raises(ParameterError, match="also an input"):
        import_files(small, out=small[0])


def test_read_canonical_keeps_namibia_and_checks_cells(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("iso3,indicator,year,value,source\nNAM,NA,2020,1.5,x\nNAM,NA,2021,,x\n")
    df = read_canonical(p)
    assert df[["iso3", "indicator", "value"]].to_dict("records") == [
        {"iso3": "NAM", "indicator": "NA", "value": 1.5}
    ]
    assert len(read_canonical(p, keep_missing=True)) == 2
    p.write_text('iso3,indicator,year,value,source\nNAM,X,2020,"1,5",x\n')
    with pytest.raises(DataFileError) as err:
        read_canonical(p)
    assert (err.value.line, err.value.column) == (2, "value")
    p.write_text("iso3,indicator,value,source\nNAM,X,1,x\n")
    with pytest.raises(DataFileError, match="missing column"):
        read_canonical(p)


def test_cli_import_auto(tmp_path, small, capsys):
    out = tmp_path / "panel.parquet"
    code = main(
        ["data", "import", *map(str, small), "--codes", "IT.NET.USER.ZS", "--out", str(out)]
    )
    captured = capsys.readouterr()
    assert code == 0, captured.err
    assert "format: wdi-bulk (WDICSV.csv)" in captured.out
    assert "wrote 9 rows (1 indicators; 2 economies, 1 aggregates; years 2019-2021)" in captured.out
    assert pd.read_parquet(out)["indicator"].unique().tolist() == ["IT.NET.USER.ZS"]
    assert json.loads(out.with_name("panel.provenance.json").read_text())["format"] == "wdi-bulk"


def test_cli_import_errors_are_one_line(tmp_path, test_data, capsys):
    bad = test_data / "sources" / "broken" / "wdi_na_text.csv"
    code = main(["data", "import", str(bad), "--out", str(tmp_path / "x.csv")])
    err = capsys.readouterr().err
    assert code == 2
    assert "wdi_na_text.csv, line 2, column '2020': not a number (found 'n/a')" in err
    assert "Traceback" not in err and not (tmp_path / "x.csv").exists()
    code = main(
        [
            "data",
            "import",
            str(test_data / "sources" / "long" / "it.net.user.zs" / "data.csv"),
            "--format",
            "table",
            "--out",
            str(tmp_path / "y.csv"),
        ]
    )
    assert code == 2 and "mapping" in capsys.readouterr().err


def test_cli_import_table_with_mapping_and_indicator(tmp_path, test_data, capsys):
    t = test_data / "sources" / "tables"
    out = tmp_path / "t.csv"
    assert (
        main(
            [
                "data",
                "import",
                str(t / "semicolon_comma_bom.csv"),
                "--mapping",
                str(t / "semicolon_mapping.yaml"),
                "--out",
                str(out),
            ]
        )
        == 0
    )
    assert "format: table" in capsys.readouterr().out
    assert len(read_canonical(out)) == 6
    prov = read_provenance(out)
    assert [s["source"] for s in prov["sources"]] == ["table", "table mapping"]
    lone = tmp_path / "internet.csv"
    lone.write_text("Country Name,Country Code,Year,Value\nNamibia,NAM,2020,53\n")
    assert (
        main(
            [
                "data",
                "import",
                str(lone),
                "--indicator",
                "IT.NET.USER.ZS",
                "--out",
                str(tmp_path / "l.csv"),
            ]
        )
        == 0
    )
    assert read_canonical(tmp_path / "l.csv")["indicator"].tolist() == ["IT.NET.USER.ZS"]


# --- properties ------------------------------------------------------------------------------

finite = st.floats(allow_nan=False, allow_infinity=False, width=64)


@settings(max_examples=200, deadline=None)
@given(x=finite)
def test_parse_number_is_exact(x):
    assert parse_number(repr(x), path="p", line=1, column="c") == x
    comma = repr(x).replace(".", ",")
    assert parse_number(comma, path="p", line=1, column="c", decimal=",") == x


@settings(max_examples=100, deadline=None)
@given(text=st.text(min_size=1, max_size=8))
def test_parse_number_never_guesses(text):
    try:
        v = parse_number(text, path="p", line=1, column="c", missing=("", ".."))
    except DataFileError as exc:
        assert exc.line == 1 and exc.column == "c"
        return
    if text in ("", ".."):
        assert math.isnan(v)
    else:
        assert float(text) == v and text.strip() == text and "_" not in text


@settings(max_examples=25, deadline=None)
@given(
    values=st.lists(st.one_of(finite, st.none()), min_size=1, max_size=12),
    fmt=st.sampled_from([".csv", ".parquet"]),
)
def test_canonical_round_trip(tmp_path_factory, values, fmt):
    df = pd.DataFrame(
        {
            "iso3": ["NAM"] * len(values),
            "indicator": ["X"] * len(values),
            "year": range(2000, 2000 + len(values)),
            "value": [math.nan if v is None else v for v in values],
            "source": "s",
        }
    )
    path = tmp_path_factory.mktemp("rt") / f"t{fmt}"
    write_table(df, path)
    back = read_canonical(path, keep_missing=True)
    assert back["value"].equals(df["value"].astype("float64"))
    assert back["year"].tolist() == df["year"].tolist()


def test_read_canonical_parquet_checks(tmp_path):
    p = tmp_path / "t.parquet"
    df = pd.DataFrame(
        {
            "iso3": ["NAM", "KOR", "NAM", "KOR"],
            "indicator": ["B", "A", "A", "A"],
            "year": [2020, 2021, 2020, 2020],
            "value": [1.0, 2.0, math.nan, 4.0],
            "source": "s",
        }
    )
    df.to_parquet(p, index=False)
    back = read_canonical(p)  # sorted by indicator, iso3, year; NaN dropped
    assert back[["iso3", "indicator", "year", "value"]].to_dict("records") == [
        {"iso3": "KOR", "indicator": "A", "year": 2020, "value": 4.0},
        {"iso3": "KOR", "indicator": "A", "year": 2021, "value": 2.0},
        {"iso3": "NAM", "indicator": "B", "year": 2020, "value": 1.0},
    ]
    assert str(back["iso3"].dtype) == "str"
    pd.concat([df, df.iloc[[0]].assign(value=9.0)]).to_parquet(p, index=False)
    with pytest.raises(DataFileError, match=r"NAM B 2020 .*1\.0 in row 1 and 9\.0 in row 5"):
        read_canonical(p)
    df.assign(iso3=["NAM", "KOR", "Namibia", "KOR"]).to_parquet(p, index=False)
    with pytest.raises(DataFileError, match="not a valid iso3") as err:
        read_canonical(p)
    assert err.value.found == "Namibia"
    df.drop(columns="source").to_parquet(p, index=False)
    with pytest.raises(DataFileError, match="missing column"):
        read_canonical(p)
    p.write_bytes(b"PAR1 not really")
    with pytest.raises(DataFileError, match="cannot read Parquet"):
        read_canonical(p)


def test_every_datahub_series_loads_exactly(shared):
    """All 18 datahub long CSVs: one row per data line, codes from the datapackage."""
    files = sorted(shared("data", "wdi", "raw", "datahub-wdi").glob("*/data.csv"))
    assert len(files) == 18
    result = load(files)
    assert result.format == "long-csv"
    expected = {}
    for f in files:
        with open(f, encoding="utf-8") as fh:
            expected[f.parent.name.upper()] = sum(1 for _ in fh) - 1
    assert result.data.groupby("indicator").size().to_dict() == expected
    assert result.indicators["name"].str.len().min() > 0
    agg = result.aggregate_codes()  # via innolab.countries: no country list in this format
    assert {"WLD", "HIC", "EAS"} <= agg and not {"NAM", "KOR", "FRA"} & agg
