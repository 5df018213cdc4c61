"""Generic tables through a mapping: GII, ITU IDI, COINr iData, hand-made CSV/XLSX."""

from __future__ import annotations

import pandas as pd
import pytest

from innolab.errors import DataFileError, ParameterError, UnknownCountryError
from innolab.sources import MAPPINGS, SourceWarning, TableMapping, detect_format, load
from innolab.sources.table import read_table_source, resolve_mapping

openpyxl = pytest.importorskip("openpyxl")


def _value(result, iso3, indicator, year):
    d = result.data
    sel = (d["iso3"] == iso3) & (d["indicator"] == indicator) & (d["year"] == year)
    assert sel.sum() == 1, (iso3, indicator, year)
    return d.loc[sel, "value"].item()


# --- real files ------------------------------------------------------------------------------


def test_gii_panel_semicolon_decimal_comma_bom(shared):
    path = shared("data", "gii", "raw", "gii_2011_2022_mendeley_panel.csv")
    assert detect_format(path) == "table"
    result = load(path, mapping="gii-panel")
    assert len(result.data) == 12776
    assert result.data["iso3"].nunique() == 149
    overall = result.data[result.data["indicator"] == "GII"]
    assert overall.groupby("year").size().to_dict() == {
        2011: 125,
        2012: 141,
        2013: 142,
        2014: 143,
        2015: 141,
        2016: 128,
        2017: 127,
        2018: 126,
        2019: 129,
        2020: 131,
        2021: 132,
        2022: 132,
    }
    # spot checks against published GII (README) and the decimal comma
    assert _value(result, "CHE", "GII", 2019) == 67.2
    assert _value(result, "CHE", "GII", 2022) == 64.6
    assert _value(result, "USA", "GII", 2022) == 61.8
    assert _value(result, "ALB", "GII.INST", 2011) == 65.2
    assert _value(result, "ALB", "GII", 2011) == 30.45
    assert result.warnings == ()
    assert result.indicators.set_index("indicator").loc["GII.HCR", "name"] == (
        "Human capital and research"
    )


def test_gii_single_edition_cp1252(shared):
    path = shared("data", "gii", "raw", "GII_single_edition_Sadullah4535.csv")
    with pytest.warns(SourceWarning, match="read as cp1252"):
        result = load(path, mapping="gii-edition", year=2025)
    assert result.data["iso3"].nunique() == 139
    assert len(result.data) == 1112
    assert set(result.data["year"]) == {2025}
    assert _value(result, "CIV", "GII", 2025) == 19.7  # "Côte d'Ivoire" in cp1252
    assert _value(result, "CHE", "GII", 2025) == 66.0
    assert _value(result, "TUR", "GII.INST", 2025) > 0
    with pytest.raises(ParameterError, match="year"):
        load(path, mapping="gii-edition")


def test_gii_edition_plain_congo_is_ambiguous_without_the_override(shared):
    path = shared("data", "gii", "raw", "GII_single_edition_Sadullah4535.csv")
    spec = {k: v for k, v in MAPPINGS["gii-edition"].items() if k != "countries"}
    with pytest.raises(UnknownCountryError, match="'Congo' on line 31") as err:
        read_table_source(path, spec, year=2025)
    assert "Congo" in err.value.unknown


def test_idi_2017_176_economies(shared):
    path = shared("data", "itu", "raw", "idi2017_jakobsk_EoC.csv")
    result = load(path, mapping="idi-2017")
    assert len(result.data) == 176 and result.data["iso3"].nunique() == 176
    assert set(result.data["year"]) == {2017}
    assert _value(result, "ISL", "IDI", 2017) == 8.98
    assert _value(result, "KOR", "IDI", 2017) == 8.85
    assert _value(result, "ERI", "IDI", 2017) == 0.96
    assert result.indicators.to_dict("records") == [
        {
            "indicator": "IDI",
            "name": "ICT Development Index",
            "unit": "score 0-10",
            "source": "ITU Measuring the Information Society Report 2017",
        }
    ]


def test_coinr_idata_and_panel(shared):
    path = shared("data", "coinr-asem", "ASEM_iData.csv")
    result = load(path, mapping="coinr-idata")
    assert result.data["iso3"].nunique() == 51
    assert result.data["indicator"].nunique() == 53  # 49 indicators + 4 denominators
    assert set(result.data["year"]) == {2018}
    raw = pd.read_csv(path, keep_default_na=False, na_values=[""])
    assert len(result.data) == int(raw.iloc[:, 7:].notna().sum().sum())
    aut = raw.set_index("uCode").loc["AUT"]
    assert _value(result, "AUT", "LPI", 2018) == float(aut["LPI"])
    assert _value(result, "AUT", "GDP", 2018) == float(aut["GDP"])
    panel = load(shared("data", "coinr-asem", "ASEM_iData_p.csv"), mapping="coinr-idata")
    assert sorted(set(panel.data["year"])) == [2018, 2019, 2020, 2021, 2022]


# --- hand-made fixtures -------------------------------------------------------------------


@pytest.fixture
def tables(test_data):
    return test_data / "sources" / "tables"


def test_semicolon_decimal_comma_with_yaml_mapping(tables):
    result = load(tables / "semicolon_comma_bom.csv", mapping=tables / "semicolon_mapping.yaml")
    assert result.data[["iso3", "indicator", "year", "value"]].to_dict("records") == [
        {"iso3": "KOR", "indicator": "TEST.PILLAR_A", "year": 2021, "value": 70.0},
        {"iso3": "KOR", "indicator": "TEST.PILLAR_A", "year": 2022, "value": 71.5},
        {"iso3": "NAM", "indicator": "TEST.PILLAR_A", "year": 2021, "value": 41.25},
        {"iso3": "KOR", "indicator": "TEST.SCORE", "year": 2021, "value": 59.25},
        {"iso3": "NAM", "indicator": "TEST.SCORE", "year": 2021, "value": 30.5},
        {"iso3": "NAM", "indicator": "TEST.SCORE", "year": 2022, "value": 31.0},
    ]
    assert set(result.data["source"]) == {"hand-made test table"}
    ind = result.indicators.set_index("indicator")
    assert ind.loc["TEST.SCORE", "unit"] == "score 0-100" and ind.loc["TEST.PILLAR_A", "name"] == (
        "Pillar A"
    )


def test_missing_marker_must_be_declared(tables):
    spec = resolve_mapping(tables / "semicolon_mapping.yaml")
    plain = {
        **{k: getattr(spec, k) for k in ("country", "year", "indicators")},
        "country_codes": True,
    }
    with pytest.raises(DataFileError, match="not a number") as err:
        read_table_source(tables / "semicolon_comma_bom.csv", plain)
    assert (err.value.line, err.value.column, err.value.found) == (5, "Score", "-")


def test_cp1252_names_matched(tables):
    with pytest.warns(SourceWarning, match="cp1252"):
        result = read_table_source(
            tables / "cp1252_names.csv",
            {"country": "Country", "year": 2024, "indicators": ["Score"]},
        )
    assert dict(zip(result.data["iso3"], result.data["value"], strict=True)) == {
        "CIV": 19.7,
        "TUR": 38.5,
    }


def test_mixed_decimal_marks_are_refused(tables):
    spec = {"country": "code", "country_codes": True, "year": 2020, "indicators": ["Score"]}
    with pytest.raises(DataFileError, match="both decimal marks") as err:
        read_table_source(tables / "mixed_decimals.csv", spec)
    assert err.value.column == "Score"
    with pytest.raises(
        DataFileError, match="decimal comma in a file read with decimal mark"
    ) as err:
        read_table_source(tables / "mixed_decimals.csv", {**spec, "decimal": "."})
    assert (err.value.line, err.value.found) == (2, "30,5")


def test_duplicate_rows_name_both_lines(tables):
    spec = {"country": "code", "country_codes": True, "year": "Year", "indicators": ["Score"]}
    with pytest.raises(DataFileError, match="30.5 here and 31.0 on line 4") as err:
        read_table_source(tables / "duplicate.csv", spec)
    assert err.value.line == 2


def test_unknown_country_names_the_line(tables):
    spec = {"country": "Country", "year": 2020, "indicators": ["Score"]}
    with pytest.raises(UnknownCountryError, match="'Atlantis' on line 3") as err:
        read_table_source(tables / "unknown_country.csv", spec)
    assert list(err.value.unknown) == ["Atlantis"]
    ok = read_table_source(
        tables / "unknown_country.csv", {**spec, "countries": {"Atlantis": "XAT"}}
    )
    assert sorted(ok.data["iso3"]) == ["KOR", "NAM", "XAT"]


def test_mapping_errors(tables):
    with pytest.raises(ParameterError, match="unknown key"):
        TableMapping.from_dict({"country": "c", "colour": "red"})
    with pytest.raises(ParameterError, match="'country'"):
        TableMapping.from_dict({"year": 2020})
    with pytest.raises(ParameterError, match="used twice"):
        TableMapping.from_dict({"country": "c", "indicators": {"a": "X", "b": "X"}})
    with pytest.raises(ParameterError, match="gii-panel"):
        load(tables / "duplicate.csv", format="table")
    with pytest.raises(DataFileError, match="missing column 'Nope'"):
        read_table_source(
            tables / "duplicate.csv", {"country": "code", "year": "Year", "indicators": ["Nope"]}
        )


def test_wrong_delimiter_is_named(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text("code;Year;Score\nNAM;2020;1\n")
    with pytest.raises(DataFileError, match="wrong delimiter"):
        read_table_source(
            p, {"country": "code", "year": "Year", "indicators": ["Score"], "delimiter": ","}
        )


def test_thousands_separator_only_when_declared(tmp_path):
    p = tmp_path / "t.csv"
    p.write_text('code,Year,GDP\nNAM,2020,"12,345.5"\n')
    spec = {"country": "code", "country_codes": True, "year": "Year", "indicators": ["GDP"]}
    with pytest.raises(DataFileError, match="thousands separator") as err:
        read_table_source(p, spec)
    assert (err.value.line, err.value.column) == (2, "GDP")
    assert read_table_source(p, {**spec, "thousands": ","}).data["value"].tolist() == [12345.5]


# --- XLSX ------------------------------------------------------------------------------------


def _workbook(path, sheets):
    wb = openpyxl.Workbook()
    wb.remove(wb.active)
    for name, rows in sheets.items():
        ws = wb.create_sheet(name)
        for row in rows:
            ws.append(row)
    wb.save(path)


def test_xlsx_sheet_choice_and_second_sheet_hint(tmp_path):
    p = tmp_path / "scores.xlsx"
    _workbook(
        p,
        {
            "Notes": [["Read me"], ["Scores are on the Data sheet"]],
            "Data": [
                ["iso3", "Year", "Score"],
                ["NAM", 2020, 30.5],
                ["KOR", 2020.0, "59,25"],
                ["NA", 2021, None],
            ],
        },
    )
    assert detect_format(p) == "table"
    spec = {"country": "iso3", "year": "Year", "indicators": {"Score": "S"}}
    # no sheet given: the only sheet holding the mapped columns is read, and a warning says so
    with pytest.warns(SourceWarning, match="read sheet 'Data' \\(sheet 'Notes', the first"):
        auto = read_table_source(p, {**spec, "decimal": ","})
    assert any("read sheet 'Data'" in w for w in auto.warnings)
    result = read_table_source(p, {**spec, "sheet": "Data", "decimal": ","})
    assert auto.data.equals(result.data)
    assert result.data[["iso3", "year", "value"]].to_dict("records") == [
        {"iso3": "KOR", "year": 2020, "value": 59.25},
        {"iso3": "NAM", "year": 2020, "value": 30.5},
    ]
    by_index = read_table_source(p, {**spec, "sheet": 1, "decimal": ","})
    assert by_index.data.equals(result.data)
    with pytest.raises(DataFileError, match="no sheet 'Sheet9'; sheets: Notes, Data"):
        read_table_source(p, {**spec, "sheet": "Sheet9"})


def test_xlsx_bad_cell_names_row_and_column(tmp_path):
    p = tmp_path / "bad.xlsx"
    _workbook(p, {"S": [["iso3", "Year", "Score"], ["NAM", 2020, 1.5], ["KOR", 2020, "n/a"]]})
    with pytest.raises(DataFileError, match="not a number") as err:
        read_table_source(
            p, {"country": "iso3", "country_codes": True, "year": "Year", "indicators": ["Score"]}
        )
    assert (err.value.line, err.value.column) == (3, "Score")
    assert "bad.xlsx[S]" in str(err.value)


def test_csv_named_xlsx_and_xlsx_named_csv(tmp_path):
    p = tmp_path / "fake.csv"
    _workbook(p.with_suffix(".xlsx"), {"S": [["a"]]})
    p.write_bytes(p.with_suffix(".xlsx").read_bytes())
    with pytest.raises(DataFileError, match="ZIP/XLSX"):
        read_table_source(p, {"country": "a", "year": 2020})
