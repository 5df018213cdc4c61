"""Expert ratings: long and wide layouts, validation with file, line and column."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab.ecosystem import ENABLERS, STAKEHOLDERS
from innolab.errors import DataFileError, ParameterError
from innolab.sources import SourceWarning, detect_format, load, read_expert_ratings
from innolab.sources.ratings import normalise_label

openpyxl = pytest.importorskip("openpyxl")


@pytest.fixture
def ratings(test_data):
    return test_data / "sources" / "ratings"


def test_long_layout_codes_and_labels(ratings):
    assert detect_format(ratings / "long.csv") == "expert-ratings"
    with pytest.warns(SourceWarning, match="1 repeated identical rating"):
        df = read_expert_ratings(ratings / "long.csv")
    assert df.to_dict("records") == [
        {
            "iso3": "KOR",
            "stakeholder": "public_sector",
            "enabler": "policy_regulation",
            "rating": 5.0,
            "year": 2024,
            "respondents": 8,
        },
        {
            "iso3": "NAM",
            "stakeholder": "academia",
            "enabler": "vision_strategy",
            "rating": 3.0,
            "year": 2024,
            "respondents": 5,
        },
        {
            "iso3": "NAM",
            "stakeholder": "academia",
            "enabler": "talent_champions",
            "rating": 4.5,
            "year": 2024,
            "respondents": 5,
        },
        {
            "iso3": "NAM",
            "stakeholder": "financing",
            "enabler": "capital_resources",
            "rating": 2.0,
            "year": 2024,
            "respondents": 3,
        },
    ]


def test_wide_layout(ratings):
    df = read_expert_ratings(ratings / "wide.csv")
    assert list(df.columns) == ["iso3", "stakeholder", "enabler", "rating", "year"]
    assert len(df) == 13  # 14 cells, one not rated
    academia = df[df["stakeholder"] == "academia"].set_index("enabler")["rating"].to_dict()
    assert academia == {
        "vision_strategy": 3.0,
        "talent_champions": 4.5,
        "infrastructure_programmes": 2.0,
        "market_networks": 3.0,
        "culture_communities": 3.0,
        "policy_regulation": 4.0,
    }
    assert set(df["stakeholder"]) == {"academia", "support_organisations"}


def test_unknown_stakeholder_lists_valid_ones(ratings):
    with pytest.raises(DataFileError, match="unknown stakeholder") as err:
        read_expert_ratings(ratings / "unknown_stakeholder.csv")
    e = err.value
    assert (e.line, e.column, e.found) == (3, "stakeholder", "students")
    assert all(code in str(e) for code in STAKEHOLDERS)


def test_unknown_enabler_lists_valid_ones(ratings):
    with pytest.raises(DataFileError, match="unknown enabler") as err:
        read_expert_ratings(ratings / "unknown_enabler.csv")
    assert (err.value.line, err.value.column) == (2, "enabler")
    assert all(code in str(err.value) for code in ENABLERS)


def test_rating_outside_scale(ratings):
    with pytest.raises(DataFileError, match="outside the scale") as err:
        read_expert_ratings(ratings / "out_of_range.csv")
    assert (err.value.line, err.value.column, err.value.found) == (3, "rating", "6")


def test_non_numeric_rating(ratings):
    with pytest.raises(DataFileError, match="not a number") as err:
        read_expert_ratings(ratings / "not_numeric.csv")
    assert (err.value.line, err.value.column, err.value.found) == (2, "talent_champions", "high")


def test_conflicting_duplicates(ratings):
    with pytest.raises(DataFileError, match="rated twice: 3 here and 2 on line 4") as err:
        read_expert_ratings(ratings / "conflict.csv")
    assert err.value.line == 2


def test_xlsx_ratings_and_load_to_canonical(tmp_path):
    p = tmp_path / "workshop.xlsx"
    wb = openpyxl.Workbook()
    ws = wb.active
    ws.append(["Country", "Stakeholder", "Enabler", "Rating"])
    ws.append(["Namibia", "Private sector", "Market & Networks", 4])
    ws.append(["Namibia", "public sector", "vision-strategy", 3.5])
    wb.save(p)
    assert detect_format(p) == "expert-ratings"
    df = read_expert_ratings(p)
    assert df.to_dict("records") == [
        {
            "iso3": "NAM",
            "stakeholder": "private_sector",
            "enabler": "market_networks",
            "rating": 4.0,
        },
        {
            "iso3": "NAM",
            "stakeholder": "public_sector",
            "enabler": "vision_strategy",
            "rating": 3.5,
        },
    ]
    with pytest.raises(ParameterError, match="year"):
        load(p)
    result = load(p, year=2024)
    assert result.format == "expert-ratings"
    assert result.data[["iso3", "indicator", "year", "value"]].to_dict("records") == [
        {
            "iso3": "NAM",
            "indicator": "EXPERT.private_sector.market_networks",
            "year": 2024,
            "value": 4.0,
        },
        {
            "iso3": "NAM",
            "indicator": "EXPERT.public_sector.vision_strategy",
            "year": 2024,
            "value": 3.5,
        },
    ]


@settings(max_examples=40, deadline=None)
@given(
    code=st.sampled_from(list(ENABLERS)),
    upper=st.booleans(),
    sep=st.sampled_from([" ", "_", "-", "  "]),
)
def test_enabler_spellings_normalise_to_the_code(code, upper, sep):
    label = ENABLERS[code]
    variant = label.replace(" ", sep)
    variant = variant.upper() if upper else variant.lower()
    from innolab.sources.ratings import _ENABLERS

    assert _ENABLERS[normalise_label(variant)] == code
    assert _ENABLERS[normalise_label(code.replace("_", sep))] == code
