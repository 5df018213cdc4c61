"""World Bank API v2 JSON: real saved responses and hand-made malformed ones."""

from __future__ import annotations

import math

import pytest

from innolab.errors import DataFileError, IncompleteDataError
from innolab.sources import SourceWarning, detect_format, load, read_api_json, read_country_list
from innolab.sources.worldbank_api import WorldBankAPIError, parse_api_response

FRA = "country_FRA_indicator_NY.GDP.MKTP.CD.json"
PAGE1 = "country_all_indicator_NY.GDP.PCAP.CD_page1of2.json"
COUNTRIES = "country_all_per_page_400.json"


@pytest.fixture
def api(shared):
    return lambda name: shared("data", "wb-api", name)


def test_france_gdp_64_rows_63_values_2023_null(api):
    path = api(FRA)
    page = parse_api_response(path.read_bytes(), origin=path)
    assert (page.page, page.pages, page.per_page, page.total) == (1, 1, 10000, 64)
    assert len(page.rows) == 64
    assert sum(r["value"] is not None for r in page.rows) == 63

    full = read_api_json(path, keep_missing=True)
    assert len(full.data) == 64
    assert full.data["value"].notna().sum() == 63
    row_2023 = full.data[full.data["year"] == 2023]
    assert len(row_2023) == 1 and math.isnan(row_2023["value"].iloc[0])

    result = load(path)  # missing values dropped by default
    assert result.format == "wb-api-json"
    assert len(result.data) == 63
    assert set(result.data["iso3"]) == {"FRA"}
    assert result.data["year"].min() == 1960 and result.data["year"].max() == 2022
    by_year = result.data.set_index("year")["value"]
    assert by_year[2022] == 2779092236505.85  # exact, not rounded
    assert by_year[1960] == 62225478000.8822
    assert result.indicators.to_dict("records") == [
        {
            "indicator": "NY.GDP.MKTP.CD",
            "name": "GDP (current US$)",
            "unit": "",
            "source": "World Bank, World Development Indicators",
        }
    ]
    assert result.data["source"].iloc[0] == "World Bank API v2 source 2, updated 2024-03-28"


def test_country_list_per_page_string_296_rows_aggregates(api):
    path = api(COUNTRIES)
    page = parse_api_response(path.read_bytes(), origin=path)
    assert page.per_page == 400 and page.kind == "country"
    countries = read_country_list(path)
    assert len(countries) == 296
    assert int(countries["is_aggregate"].sum()) == 79
    assert (~countries["is_aggregate"]).sum() == 217
    by = countries.set_index("iso3")
    assert by.loc["NAM", "region"] == "Sub-Saharan Africa"  # trailing space stripped
    assert by.loc["ABW", "region"] == "Latin America & Caribbean"
    assert by.loc["NAM", "income_group"] == "Upper middle income"
    assert bool(by.loc["AFE", "is_aggregate"]) and not bool(by.loc["XKX", "is_aggregate"])
    assert not any(r.endswith(" ") for r in countries["region"])


def test_all_countries_page_1_of_2_is_incomplete(api):
    with pytest.raises(IncompleteDataError) as err:
        read_api_json([api(PAGE1), api(COUNTRIES)])
    msg = str(err.value)
    assert PAGE1 in msg
    assert "page 2 of 2 missing" in msg
    assert "NY.GDP.PCAP.CD" in msg and "10000 of 17024 rows" in msg


def test_all_countries_page_allowed_partial_with_warning(api):
    with pytest.warns(SourceWarning, match="page 2 of 2 missing"):
        result = read_api_json([api(PAGE1), api(COUNTRIES)], allow_partial=True)
    assert any("partial data accepted" in w for w in result.warnings)
    assert len(result.data) == 8031  # non-null values of the 10,000 rows
    # rows with an empty countryiso3code are resolved through the country list (XD -> HIC)
    hic = result.data[(result.data["iso3"] == "HIC") & (result.data["year"] == 2022)]
    assert hic["value"].tolist() == [49607.246548019]
    afg = result.data[(result.data["iso3"] == "AFG") & (result.data["year"] == 2020)]
    assert afg["value"].tolist() == [512.055098228687]
    aggregates = result.aggregate_codes()
    assert {"AFE", "AFW", "HIC", "WLD"} <= aggregates and "AFG" not in aggregates
    assert set(result.economies()["iso3"]).isdisjoint(aggregates)
    assert len(result.economies()) + len(result.aggregates()) == len(result.data)


def test_empty_countryiso3code_without_country_list_is_an_error(api):
    with pytest.raises(DataFileError, match=r"XD \(High income\)") as err:
        read_api_json(api(PAGE1), allow_partial=True)
    assert err.value.column == "countryiso3code"


def test_detect_format_of_api_files(api):
    assert detect_format(api(FRA)) == "wb-api-json"
    assert detect_format(api(COUNTRIES)) == "wb-api-json"


def test_error_array_is_a_typed_error(test_data):
    path = test_data / "sources" / "broken" / "api_error.json"
    with pytest.raises(WorldBankAPIError, match="120 Invalid value") as err:
        load(path)
    assert err.value.messages[0]["id"] == "120"
    assert str(path) in str(err.value)


def test_truncated_json_names_line_and_char(test_data):
    path = test_data / "sources" / "broken" / "api_truncated.json"
    with pytest.raises(DataFileError, match="invalid JSON") as err:
        read_api_json(path)
    assert err.value.line == 1 and err.value.column.startswith("char ")


def test_page_with_fewer_rows_than_promised(test_data):
    path = test_data / "sources" / "broken" / "api_short_page.json"
    with pytest.raises(IncompleteDataError, match="holds 1 rows but the paging promises 3"):
        read_api_json(path)


def test_non_numeric_value_names_the_row(test_data):
    path = test_data / "sources" / "broken" / "api_bad_value.json"
    with pytest.raises(DataFileError, match="decimal comma") as err:
        read_api_json(path)
    assert err.value.column == "[1][0].value" and err.value.found == "1,5"


def test_recorded_pages_combine_and_flag_aggregates(test_data):
    d = test_data / "sources" / "api"
    result = load([d / "indicator_page2.json", d / "indicator_page1.json", d / "country.json"])
    assert result.data[["iso3", "year", "value"]].to_dict("records") == [
        {"iso3": "HIC", "year": 2021, "value": 91.4},
        {"iso3": "KOR", "year": 2021, "value": 97.6},
        {"iso3": "NAM", "year": 2021, "value": 62.5},
        {"iso3": "WLD", "year": 2021, "value": 62.6},
    ]
    assert result.aggregate_codes() == frozenset({"HIC", "WLD"})
    assert sorted(result.economies()["iso3"]) == ["KOR", "NAM"]
    with pytest.raises(IncompleteDataError, match="page 1 of 2 missing"):
        load([d / "indicator_page2.json", d / "country.json"])


def test_not_an_api_response(tmp_path):
    p = tmp_path / "x.json"
    p.write_text('{"page": 1}')
    with pytest.raises(DataFileError, match="not a World Bank API v2 response"):
        read_api_json(p)
