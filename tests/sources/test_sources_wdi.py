"""WDI bulk files (selective, streaming), portal per-indicator CSVs and datahub long CSVs."""

from __future__ import annotations

import csv
import math

import pandas as pd
import pytest

from innolab.errors import DataFileError, ParameterError
from innolab.sources import (
    SourceWarning,
    detect_format,
    load,
    read_long_csv,
    read_portal_csv,
    read_wdi_bulk,
    read_wdi_country,
)
from innolab.sources.wdi_bulk import read_wide_csv

LEGACY = ("data", "wdi", "raw", "wdi-bulk-layout-2013")
PORTAL = ("data", "wdi", "raw", "worldbank-portal-csv")
DATAHUB = ("data", "wdi", "raw", "datahub-wdi")


def _cell(result, iso3, year, indicator=None):
    d = result.data
    sel = (d["iso3"] == iso3) & (d["year"] == year)
    if indicator:
        sel &= d["indicator"] == indicator
    values = d.loc[sel, "value"].tolist()
    assert len(values) <= 1
    return values[0] if values else None


# --- hand-made bulk fixture ------------------------------------------------------------------


def test_small_bulk_with_country_and_series_tables(test_data):
    d = test_data / "sources" / "wdi_small"
    result = load([d / "WDICSV.csv", d / "WDICountry.csv", d / "WDISeries.csv"])
    assert result.format == "wdi-bulk"
    assert list(result.data.columns) == ["iso3", "indicator", "year", "value", "source"]
    # 27 cells: Namibia's R&D row is empty, its 2021 GDP is "..": 23 values
    assert len(result.data) == 23
    assert _cell(result, "NAM", 2021, "NY.GDP.PCAP.CD") is None
    assert _cell(result, "NAM", 2021, "IT.NET.USER.ZS") == 62.5
    assert _cell(result, "KOR", 2019, "GB.XPD.RSDV.GD.ZS") == 4.63
    assert result.data["year"].dtype == "int64" and result.data["value"].dtype == "float64"
    assert result.aggregate_codes() == frozenset({"WLD"})
    assert sorted(result.economies()["iso3"].unique()) == ["KOR", "NAM"]
    ind = result.indicators.set_index("indicator")
    assert ind.loc["NY.GDP.PCAP.CD", "unit"] == "current US$"
    assert ind.loc["IT.NET.USER.ZS", "unit"] == "% of population"  # from the name
    assert ind.loc["IT.NET.USER.ZS", "source"].startswith("International Telecommunication Union")
    cty = result.countries.set_index("iso3")
    assert (
        cty.loc["KOR", "name"] == "Korea, Rep." and cty.loc["NAM", "region"] == "Sub-Saharan Africa"
    )


def test_small_bulk_selective_and_missing_codes_reported(test_data):
    path = test_data / "sources" / "wdi_small" / "WDICSV.csv"
    with pytest.warns(SourceWarning, match="codes not in WDICSV.csv: SP.POP.TOTL"):
        result = read_wdi_bulk(path, codes=["IT.NET.USER.ZS", "SP.POP.TOTL"])
    assert set(result.data["indicator"]) == {"IT.NET.USER.ZS"}
    assert len(result.data) == 9
    table = read_wide_csv(path, codes=["GB.XPD.RSDV.GD.ZS"])
    assert table.lines == [4, 7, 10]  # only the requested lines were split
    assert table.years == [2019, 2020, 2021]


def test_keep_missing_keeps_empty_and_dotdot_as_nan(test_data):
    path = test_data / "sources" / "wdi_small" / "WDICSV.csv"
    result = read_wdi_bulk(path, codes=["NY.GDP.PCAP.CD"], keep_missing=True)
    assert len(result.data) == 9
    assert math.isnan(_cell(result, "NAM", 2021))


# --- real 2013 bulk-layout files --------------------------------------------------------------


def test_2013_bulk_layout_read_selectively(shared):
    files = sorted(shared(*LEGACY).glob("*_WDI.csv"))
    assert len(files) == 3
    assert all(detect_format(f) == "wdi-bulk" for f in files)
    result = read_wdi_bulk(files, codes=["BX.GSR.CCIS.ZS", "IC.BUS.NDNS.ZS"])
    counts = result.data.groupby("indicator").size().to_dict()
    assert counts == {"BX.GSR.CCIS.ZS": 1337, "IC.BUS.NDNS.ZS": 1084}
    assert _cell(result, "FRA", 2011, "IC.BUS.NDNS.ZS") == 3.131124
    assert _cell(result, "NAM", 2008, "BX.GSR.CCIS.ZS") == 3.9181172098896098
    assert result.data["year"].min() == 2004 and result.data["year"].max() == 2012
    everything = read_wdi_bulk(files)
    assert len(everything.data) == 1337 + 1084 + 1300
    assert _cell(everything, "FRA", 2011, "BX.GSR.CCIS.CD") == 76312985541.4115


def test_wdicountry_blank_region_is_aggregate(shared):
    countries = read_wdi_country(shared("data", "wdi", "raw", "wdicountry", "WDICountry.csv"))
    assert len(countries) == 263
    assert int(countries["is_aggregate"].sum()) == 46
    by = countries.set_index("iso3")
    assert by.loc["WLD", "is_aggregate"] and not by.loc["NAM", "is_aggregate"]
    assert by.loc["NAM", "region"] == "Sub-Saharan Africa"
    assert by.loc["KOR", "income_group"] == "High income"


# --- real portal files -----------------------------------------------------------------------


def test_portal_original_layout(shared):
    path = shared(*PORTAL, "API_NY.GDP.PCAP.CD_DS2_en_csv_v2_33610.csv")
    assert detect_format(path) == "wb-portal-csv"
    result = read_portal_csv(path)
    assert len(result.data) == 14745
    assert result.data["source"].iloc[0].endswith("(last updated 2026-07-13)")
    assert result.indicators["name"].tolist() == ["GDP per capita (current US$)"]
    assert _cell(result, "FRA", 2022) == 40988.6396406579
    # selective scan on the fully quoted layout
    table = read_wide_csv(path, codes=["NY.GDP.PCAP.CD"])
    assert len(table.lines) == 265 and table.lines[0] == 6  # 4 preamble lines + header
    assert table.preamble == {
        "Data Source": "World Development Indicators",
        "Last Updated Date": "2026-07-13",
    }
    assert read_wide_csv(path, codes=["SP.POP.TOTL"]).lines == []


def test_portal_resaved_layout_with_metadata(shared):
    path = shared(*PORTAL, "API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv")
    result = load(path)  # picks up the Metadata_Country file beside it
    assert result.format == "wb-portal-csv"
    assert len(result.paths) == 2
    assert len(result.data) == 8320
    assert (result.data["year"] == 2023).sum() == 90
    assert _cell(result, "FRA", 2022) == 85.3333
    assert _cell(result, "NAM", 2021) == 61.1132
    assert len(result.countries) == 265
    assert int(result.countries["is_aggregate"].sum()) == 48
    by = result.countries.set_index("iso3")
    assert by.loc["VEN", "income_group"] == ""  # blank in the source, kept blank
    agg = result.aggregate_codes()
    assert {"WLD", "AFE", "HIC"} <= agg and "NAM" not in agg
    assert result.economies()["iso3"].nunique() == 213


@pytest.mark.parametrize(
    ("portal", "datahub", "cells"),
    [
        (
            "API_NY.GDP.PCAP.CD_DS2_en_csv_v2_33610.csv",
            "ny.gdp.pcap.cd",
            [("FRA", 2022), ("KEN", 2015), ("NAM", 2020), ("KOR", 2000)],
        ),
        (
            "API_SP.POP.SCIE.RD.P6_DS2_en_csv_v2_37695.csv",
            "sp.pop.scie.rd.p6",
            [("FRA", 2020), ("KOR", 2019), ("KEN", 2010)],
        ),
        (
            "API_GB.XPD.RSDV.GD.ZS_DS2_en_csv_v2_232.csv",
            "gb.xpd.rsdv.gd.zs",
            [("FRA", 2020), ("KOR", 2021), ("ZAF", 2015)],
        ),
    ],
)
def test_portal_both_layouts_agree_with_datahub(shared, tmp_path, portal, datahub, cells):
    original = shared(*PORTAL, portal)
    # the "re-saved" layout: no preamble, no quotes, no trailing comma (written to tmp only)
    lines = original.read_text(encoding="utf-8-sig").splitlines()
    start = next(i for i, line in enumerate(lines) if line.startswith('"Country Name"'))
    resaved = tmp_path / portal
    with open(resaved, "w", encoding="utf-8", newline="") as fh:
        writer = csv.writer(fh, quoting=csv.QUOTE_MINIMAL, lineterminator="\r\n")
        for row in csv.reader(lines[start:]):
            writer.writerow(row[:-1] if row and row[-1] == "" else row)
    a, b = read_portal_csv(original), read_portal_csv(resaved)
    long = read_long_csv(shared(*DATAHUB, datahub, "data.csv"))
    assert a.data[["iso3", "indicator", "year", "value"]].equals(
        b.data[["iso3", "indicator", "year", "value"]]
    )
    for iso3, year in cells:
        v = _cell(long, iso3, year)
        assert v is not None
        assert _cell(a, iso3, year) == v and _cell(b, iso3, year) == v


# --- real datahub long CSVs ------------------------------------------------------------------


def test_datahub_long_csv_indicator_from_datapackage(shared):
    path = shared(*DATAHUB, "ip.pat.resd", "data.csv")
    assert detect_format(path) == "long-csv"
    result = load(path)
    assert result.indicators.to_dict("records") == [
        {
            "indicator": "IP.PAT.RESD",
            "name": "Patent applications, residents",
            "unit": "",
            "source": "World Bank, World Development Indicators",
        }
    ]
    assert result.data["year"].max() == 2021
    with open(path, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert len(result.data) == len(rows)
    first = rows[0]
    assert _cell(result, first["Country Code"], int(first["Year"])) == float(first["Value"])


def test_long_csv_fixture_and_indicator_option(test_data, tmp_path):
    d = test_data / "sources" / "long" / "it.net.user.zs"
    result = read_long_csv(d / "data.csv")
    assert result.data[["iso3", "year", "value"]].to_dict("records") == [
        {"iso3": "KOR", "year": 2021, "value": 97.6},
        {"iso3": "NAM", "year": 2019, "value": 41.0},
        {"iso3": "NAM", "year": 2020, "value": 53.0},
        {"iso3": "NAM", "year": 2021, "value": 62.5},
        {"iso3": "WLD", "year": 2021, "value": 62.6},
    ]
    assert set(result.data["indicator"]) == {"IT.NET.USER.ZS"}
    alone = tmp_path / "internet.csv"
    alone.write_bytes((d / "data.csv").read_bytes())
    with pytest.raises(ParameterError, match="--indicator"):
        read_long_csv(alone)
    named = read_long_csv(alone, indicator="IT.NET.USER.ZS")
    assert named.data[["iso3", "year", "value"]].equals(result.data[["iso3", "year", "value"]])
    with pytest.warns(SourceWarning, match="datapackage.json says IT.NET.USER.ZS"):
        other = read_long_csv(d / "data.csv", indicator="X.Y")
    assert set(other.data["indicator"]) == {"X.Y"}


# --- malformed inputs ------------------------------------------------------------------------


@pytest.fixture
def broken(test_data):
    return test_data / "sources" / "broken"


def test_truncated_bulk_file(broken):
    with pytest.raises(DataFileError, match="truncated") as err:
        read_wdi_bulk(broken / "wdi_truncated.csv", codes=["NY.GDP.PCAP.CD"])
    assert err.value.line == 3 and "wdi_truncated.csv" in str(err.value)


def test_unquoted_thousands_separator(broken):
    with pytest.raises(DataFileError, match="thousands separator") as err:
        read_wdi_bulk(broken / "wdi_thousands.csv")
    assert (err.value.line, err.value.column) == (2, "2020")


def test_quoted_thousands_separator(broken):
    with pytest.raises(DataFileError, match="thousands separator") as err:
        read_wdi_bulk(broken / "wdi_thousands_quoted.csv")
    assert (err.value.line, err.value.column, err.value.found) == (2, "2020", "1,234")


def test_text_in_a_value_cell(broken):
    with pytest.raises(DataFileError, match="not a number") as err:
        read_wdi_bulk(broken / "wdi_na_text.csv")
    assert (err.value.line, err.value.column, err.value.found) == (2, "2020", "n/a")
    assert "'..'" in str(err.value)  # the message names the format's missing markers


def test_rows_not_requested_are_not_parsed(broken):
    # the bad cell is in a series that is not requested: nothing complains
    with pytest.warns(SourceWarning, match="codes not in wdi_na_text.csv: SP.POP.TOTL"):
        result = read_wdi_bulk(broken / "wdi_na_text.csv", codes=["SP.POP.TOTL"])
    assert result.data.empty


def test_duplicate_rows_with_different_values(broken):
    with pytest.raises(DataFileError, match="also on line 2") as err:
        read_wdi_bulk(broken / "wdi_duplicate.csv")
    assert (err.value.line, err.value.column) == (4, "2020")


def test_identical_duplicate_rows_are_dropped_with_warning(broken):
    with pytest.warns(SourceWarning, match="line 3 repeats line 2"):
        result = read_wdi_bulk(broken / "wdi_duplicate_same.csv")
    assert len(result.data) == 3


def test_empty_file(broken):
    with pytest.raises(DataFileError, match="empty file"):
        load(broken / "empty.csv")
    with pytest.raises(DataFileError, match="empty file"):
        read_wdi_bulk(broken / "empty.csv")


def test_long_csv_wrong_delimiter(broken):
    with pytest.raises(DataFileError, match="';'-delimited: wrong delimiter") as err:
        read_long_csv(broken / "long_semicolon.csv", indicator="X")
    assert err.value.line == 1


def test_long_csv_duplicates_name_both_lines(broken):
    with pytest.raises(DataFileError, match=r"NAM X 2020 .*53\.0 here and 54\.0 on line 5") as err:
        read_long_csv(broken / "long_duplicate.csv", indicator="X")
    assert err.value.line == 3


def test_long_csv_text_value_and_bad_code(broken):
    with pytest.raises(DataFileError) as err:
        read_long_csv(broken / "long_na.csv", indicator="X")
    assert (err.value.line, err.value.column, err.value.found) == (3, "Value", "n/a")
    with pytest.raises(DataFileError, match="not a country code") as err:
        read_long_csv(broken / "long_badcode.csv", indicator="X")  # BOM + CRLF are fine
    assert (err.value.line, err.value.column) == (2, "Country Code")


def test_bom_is_not_part_of_the_header(tmp_path):
    p = tmp_path / "bom.csv"
    p.write_bytes(
        "\ufeffCountry Name,Country Code,Year,Value\nNamibia,NA M,2020,1\n".encode().replace(
            b"NA M", b"NAM"
        )
    )
    assert detect_format(p) == "long-csv"
    result = read_long_csv(p, indicator="X")
    assert result.data["value"].tolist() == [1.0]


def test_header_problems(tmp_path):
    p = tmp_path / "bad.csv"
    p.write_text("Country Name,Country Code,Indicator Name,Indicator Code,1960,total\n")
    with pytest.raises(DataFileError, match="unexpected column") as err:
        read_wdi_bulk(p)
    assert err.value.column == "total"
    p.write_text("Country Name,Country Code,Indicator Name,Indicator Code,2000\n")
    with pytest.raises(DataFileError, match="no data rows"):
        read_wdi_bulk(p)


def test_na_namibia_code_is_kept(tmp_path):
    p = tmp_path / "WDICountry.csv"
    p.write_text("Country Code,Table Name,Region,Income Group\nNAM,Namibia,Sub-Saharan Africa,NA\n")
    df = read_wdi_country(p)
    assert df["income_group"].tolist() == ["NA"]
    assert isinstance(df, pd.DataFrame)


def test_rows_are_parsed_in_blocks(monkeypatch, test_data, broken):
    import innolab.sources.wdi_bulk as wdi

    d = test_data / "sources" / "wdi_small"
    whole = read_wdi_bulk(d / "WDICSV.csv")
    monkeypatch.setattr(wdi, "_BLOCK_ROWS", 2)
    table = read_wide_csv(d / "WDICSV.csv")
    assert len(table.blocks) == 4 and len(table.values) == 1  # 9 rows: 4 full blocks + 1
    assert read_wdi_bulk(d / "WDICSV.csv").data.equals(whole.data)
    with pytest.raises(DataFileError) as err:
        read_wdi_bulk(broken / "wdi_duplicate.csv")
    assert err.value.line == 4  # lines stay right across blocks
    monkeypatch.setattr(wdi, "_BLOCK_ROWS", 1)
    with pytest.raises(DataFileError) as err:
        read_wdi_bulk(broken / "wdi_na_text.csv")
    assert (err.value.line, err.value.column) == (2, "2020")


def test_truncated_long_csv(tmp_path):
    p = tmp_path / "data.csv"
    p.write_text('Country Name,Country Code,Year,Value\nNamibia,NAM,2020,53\n"Korea, Re')
    with pytest.raises(DataFileError, match="malformed CSV") as err:
        read_long_csv(p, indicator="X")
    assert err.value.line == 3
    p.write_text("Country Name,Country Code,Year,Value\nNamibia,NAM,2020,53\nKorea,KO")
    with pytest.raises(DataFileError, match="expected 4 fields, found 2") as err:
        read_long_csv(p, indicator="X")
    assert err.value.line == 3
