"""innolab.countries: the reference table, name matching, classifications by vintage, demo economies.

Known answers are literal; the real World Bank, GII, ITU and COINr files in ../shared are read
in place (skipped when absent) and every disagreement with the shipped table is listed here with
its reason.
"""

from __future__ import annotations

import json
import time
import unicodedata

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from innolab import config
from innolab import countries as C
from innolab.errors import CoverageError, DataFileError, ParameterError, UnknownCountryError

MENAAP = "Middle East, North Africa, Afghanistan & Pakistan"


@pytest.fixture(autouse=True)
def _fresh_registry():
    C.reset_classifications()
    yield
    C.reset_classifications()


@pytest.fixture
def table() -> pd.DataFrame:
    return C.country_table(include_demo=False).set_index("iso3")


def _read(path, **kw) -> pd.DataFrame:
    kw.setdefault("encoding", "utf-8-sig")
    return pd.read_csv(path, dtype=str, keep_default_na=False, **kw)


def _economies(table: pd.DataFrame) -> pd.DataFrame:
    return table[~table["is_aggregate"]]


# --- the reference table ----------------------------------------------------------------------


def test_table_columns_and_sizes(table):
    t = C.country_table(include_demo=False)
    assert list(t.columns) == [
        "iso3",
        "iso2",
        "name",
        "itu_region",
        "wb_region",
        "income_group",
        "is_aggregate",
        "note",
        "is_demo",
    ]
    assert t["iso3"].is_unique and t["iso2"].dropna().is_unique
    assert len(t) == 308
    assert t["is_aggregate"].sum() == 57
    assert not t["is_demo"].any()
    econ = _economies(table)
    assert len(econ) == 251  # 249 ISO 3166-1 codes + XKX + CHI
    assert econ["wb_region"].notna().sum() == 217
    assert {"XKX", "CHI", "GGY", "JEY", "TWN", "ATA"} <= set(econ.index)
    assert t.attrs["vintages"] == {"income_group": 2024, "wb_region": 2024, "itu_region": 2024}


def test_namibia_iso2_is_not_missing(table):
    assert table.loc["NAM", "iso2"] == "NA"
    assert C.to_iso3(["NA", "na", " NA "]) == ["NAM"] * 3


def test_itu_regions_are_the_193_member_states(table):
    itu = _economies(table)["itu_region"].dropna()
    assert itu.value_counts().to_dict() == {
        "EUR": 46,
        "AFR": 44,
        "ASP": 38,
        "AMS": 35,
        "ARB": 21,
        "CIS": 9,
    }
    assert set(itu[itu == "CIS"].index) == {
        "ARM",
        "AZE",
        "BLR",
        "KAZ",
        "KGZ",
        "RUS",
        "TJK",
        "TKM",
        "UZB",
    }
    assert set(itu[itu == "ARB"].index) == {
        "DZA",
        "BHR",
        "COM",
        "DJI",
        "EGY",
        "IRQ",
        "JOR",
        "KWT",
        "LBN",
        "LBY",
        "MRT",
        "MAR",
        "OMN",
        "QAT",
        "SAU",
        "SOM",
        "SDN",
        "SYR",
        "TUN",
        "ARE",
        "YEM",
    }
    for code, region in {
        "IRN": "ASP",
        "AFG": "ASP",
        "PAK": "ASP",
        "TUR": "EUR",
        "ISR": "EUR",
        "CYP": "EUR",
        "GEO": "EUR",
        "MDA": "EUR",
        "UKR": "EUR",
        "VAT": "EUR",
        "MLT": "EUR",
        "SSD": "AFR",
        "CPV": "AFR",
        "MEX": "AMS",
    }.items():
        assert itu[code] == region, code
    # not ITU Member States: territories, Hong Kong/Macao, Palau, Kosovo; Palestine (observer)
    for code in ("HKG", "MAC", "PLW", "XKX", "PSE", "PRI", "GRL", "CHI", "TWN", "COK"):
        assert pd.isna(table.loc[code, "itu_region"]), code


def test_world_bank_regions_and_income_groups_fy2026(table):
    wb = _economies(table).dropna(subset=["wb_region"])
    assert wb["wb_region"].value_counts().to_dict() == {
        "Europe & Central Asia": 58,
        "Sub-Saharan Africa": 48,
        "Latin America & Caribbean": 42,
        "East Asia & Pacific": 37,
        MENAAP: 23,
        "South Asia": 6,
        "North America": 3,
    }
    assert set(wb["wb_region"]) == set(C.WB_REGIONS)
    assert wb["income_group"].value_counts().to_dict() == {
        "High income": 86,
        "Upper middle income": 54,
        "Lower middle income": 50,
        "Low income": 26,
    }
    assert wb["income_group"].isna().sum() == 1 and pd.isna(wb.loc["VEN", "income_group"])
    assert wb.loc[["CRI", "CPV", "WSM", "NAM"], "income_group"].tolist() == [
        "High income",
        "Upper middle income",
        "Upper middle income",
        "Lower middle income",
    ]
    # ISO territories the World Bank does not list have no World Bank groups
    assert table.loc[["GLP", "REU", "TWN"], ["wb_region", "income_group"]].isna().all().all()


def test_aggregates(table):
    agg = set(table.index[table["is_aggregate"]])
    assert C.AGGREGATE_CODES == agg
    assert isinstance(C.AGGREGATE_CODES, frozenset)
    assert {
        "WLD",
        "EAS",
        "ECS",
        "LCN",
        "MEA",
        "NAC",
        "SAS",
        "SSF",
        "HIC",
        "LIC",
        "LMC",
        "UMC",
        "EUU",
        "OED",
        "IDA",
        "IBD",
        "IBT",
        "IDB",
        "IDX",
        "EAR",
        "LTE",
        "PRE",
        "PST",
        "INX",
        "AFE",
        "AFW",
        "ARB",
        "EMU",
        "FCS",
        "HPC",
        "LDC",
        "SST",
    } <= agg
    assert table.loc[sorted(agg), ["itu_region", "wb_region", "income_group"]].isna().all().all()
    assert C.is_aggregate(["WLD", "FRA", "High income", "XD", "XKX", "Arab World", "1W"]) == [
        True,
        False,
        True,
        True,
        False,
        True,
        True,
    ]
    with pytest.raises(AttributeError):
        _ = C.NOT_A_NAME


# --- name matching ------------------------------------------------------------------------------

KNOWN = {
    # World Bank short names
    "Korea, Rep.": "KOR",
    "Egypt, Arab Rep.": "EGY",
    "Gambia, The": "GMB",
    "Hong Kong SAR, China": "HKG",
    "Congo, Dem. Rep.": "COD",
    "Congo, Rep.": "COG",
    "Venezuela, RB": "VEN",
    "Türkiye": "TUR",
    "Turkey": "TUR",
    "Turkiye": "TUR",
    "Côte d'Ivoire": "CIV",
    "Cote d'Ivoire": "CIV",
    "Cote dIvoire": "CIV",
    "Côte d’Ivoire": "CIV",
    "Korea, Dem. People's Rep.": "PRK",
    "Micronesia, Fed. Sts.": "FSM",
    "Lao PDR": "LAO",
    "St. Kitts and Nevis": "KNA",
    "Saint Kitts & Nevis": "KNA",
    "Virgin Islands (U.S.)": "VIR",
    "Kosovo": "XKX",
    "Channel Islands": "CHI",
    "West Bank and Gaza": "PSE",
    "Curacao": "CUW",
    "Sao Tome and Principe": "STP",
    "Somalia": "SOM",
    "Somalia, Fed. Rep.": "SOM",
    # UN / ISO names
    "Netherlands (the)": "NLD",
    "Bolivia (Plurinational State of)": "BOL",
    "Iran (Islamic Republic of)": "IRN",
    "Congo (the Democratic Republic of the)": "COD",
    "United Kingdom of Great Britain and Northern Ireland (the)": "GBR",
    "Venezuela (Bolivarian Republic of)": "VEN",
    "Tanzania, the United Republic of": "TZA",
    "Micronesia (Federated States of)": "FSM",
    "Falkland Islands (the) [Malvinas]": "FLK",
    "Taiwan (Province of China)": "TWN",
    "Palestine, State of": "PSE",
    "Åland Islands": "ALA",
    "Aland Islands": "ALA",
    "Réunion": "REU",
    "Holy See (the)": "VAT",
    "Czechia": "CZE",
    # GII / ITU names
    "Viet Nam": "VNM",
    "Vietnam": "VNM",
    "Russian Federation": "RUS",
    "Republic of Moldova": "MDA",
    "Republic of Moldova (the)": "MDA",
    "Moldova, Republic of": "MDA",
    "China, Hong Kong SAR": "HKG",
    "Hong Kong (China)": "HKG",
    "Hong Kong, (China)": "HKG",
    "Republic of Korea (the)": "KOR",
    "Korea, (South) Republic of": "KOR",
    "Swaziland - Eswatini": "SWZ",
    "North Macedonia*": "MKD",
    "Macedonia, TFYR": "MKD",
    "Lao People's Dem. Rep.": "LAO",
    "Myanmar (ex-Burma)": "MMR",
    "Sri Lanka (ex-Ceilan)": "LKA",
    "Timor-Leste (East Timor)": "TLS",
    "Russia (Russian Fed.)": "RUS",
    "Ivory Coast (Cote d'Ivoire)": "CIV",
    "S Vincent & Grenadines": "VCT",
    "Tanzania, United Rep. of": "TZA",
    "Libyan Arab Jamahiriya": "LBY",
    "Puerto Rico (US)": "PRI",
    "Guinea": "GIN",
    "Guinea-Bissau": "GNB",
    "Equatorial Guinea": "GNQ",
    "Niger": "NER",
    # codes: ISO3, ISO2, World Bank, aggregates, former World Bank codes
    "FRA": "FRA",
    "fra": "FRA",
    "FR": "FRA",
    "XK": "XKX",
    "JG": "CHI",
    "WLD": "WLD",
    "1W": "WLD",
    "XD": "HIC",
    "EAS": "EAS",
    "ZJ": "LCN",
    "EU": "EUU",
    "ROM": "ROU",
    "ZAR": "COD",
    "KSV": "XKX",
    # aggregate names
    "World": "WLD",
    "High income": "HIC",
    "Middle East & North Africa": "MEA",
    "Latin America & the Caribbean (IDA & IBRD countries)": "TLA",
    "East Asia & Pacific (IDA & IBRD)": "TEA",
    "Not classified": "INX",
}


def test_known_spellings():
    assert C.to_iso3(list(KNOWN), include_demo=False) == list(KNOWN.values())


def test_accepts_scalars_series_and_index():
    assert C.to_iso3("Gambia, The") == ["GMB"]
    s = pd.Series(["Chile", "CL", "chl"], index=[10, 11, 12])
    assert C.to_iso3(s) == ["CHL"] * 3
    assert C.to_iso3(pd.Index(["Peru"])) == ["PER"]
    assert C.country_names(["TUR", "viet nam", "KR"]) == ["Türkiye", "Viet Nam", "Korea, Rep."]


@pytest.mark.parametrize(
    ("name", "candidates"),
    [
        ("Congo", {"COG", "COD"}),
        ("Congo (the)", {"COG", "COD"}),
        ("Korea", {"KOR", "PRK"}),
        ("Virgin Islands", {"VGB", "VIR"}),
        ("St. Martin", {"MAF", "SXM"}),
    ],
)
def test_ambiguous_names_are_errors(name, candidates):
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(["France", name])
    err = exc.value
    assert list(err.unknown) == [name]
    assert {h[-4:-1] for h in err.unknown[name]} == candidates
    assert "ambiguous" in str(err) and "aliases=" in str(err)


def test_aliases_choose_for_ambiguous_names():
    assert C.to_iso3(["Congo", "Korea", "Peru"], aliases={"Congo": "COG", "korea": "KR"}) == [
        "COG",
        "KOR",
        "PER",
    ]
    with pytest.raises(ParameterError, match="Atlantis"):
        C.to_iso3(["Congo"], aliases={"Congo": "Atlantis"})


def test_every_unknown_value_is_listed_with_near_matches():
    values = ["France", "Atlantis", "Germny", "Frnace", "Germny", "Narnia"]
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(values, source="survey.csv")
    err = exc.value
    assert list(err.unknown) == ["Atlantis", "Germny", "Frnace", "Narnia"]
    assert "Germany (DEU)" in err.unknown["Germny"]
    assert "France (FRA)" in err.unknown["Frnace"]
    assert str(err).startswith("survey.csv: 4 country values cannot be matched")
    for v in ("'Atlantis'", "'Germny'", "'Frnace'", "'Narnia'"):
        assert v in str(err)


def test_missing_and_empty_values_are_errors():
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(["Chile", "", None, float("nan"), "   "])
    assert set(exc.value.unknown) == {"", "None", "nan", "   "}
    assert "empty or missing" in str(exc.value)


def test_mojibake_is_not_repaired_but_explained():
    bad = "Côte d'Ivoire".encode().decode("cp1252")
    assert bad == "CÃ´te d'Ivoire"
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3([bad])
    hint = exc.value.unknown[bad][0]
    assert hint.startswith("Côte d'Ivoire (CIV)") and "UTF-8" in hint


def test_aggregates_can_be_refused():
    assert C.to_iso3(["WLD", "World"]) == ["WLD", "WLD"]
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(["France", "World", "EAS", "Chile"], allow_aggregates=False)
    assert list(exc.value.unknown) == ["World", "EAS"]
    assert "aggregate" in str(exc.value)


def test_bracketed_qualifiers_never_reach_aggregates():
    with pytest.raises(UnknownCountryError):  # IBRD-only subgroup, not the whole region
        C.to_iso3(["East Asia & Pacific (IBRD-only countries)"])


def test_no_unintended_ambiguity():
    index = C._index(None)
    ambiguous = {k for k, v in index.exact.items() if len(v) > 1}
    assert ambiguous == {"congo", "korea", "virgin islands", "saint martin"}
    unordered = {k for k, v in index.unordered.items() if len(v) > 1}
    assert unordered == {"congo", "korea", "islands virgin", "martin saint"}


def test_ten_thousand_names_fast():
    t = C.country_table(include_demo=False)
    pool = list(t["name"]) + list(t["iso3"]) + list(t["iso2"].dropna()) + list(KNOWN)
    values = [pool[(i * 7919) % len(pool)] for i in range(10_000)]
    C._index(C._demo_signature(None, True)).memo.clear()
    start = time.perf_counter()
    out = C.to_iso3(values)
    cold = time.perf_counter() - start
    start = time.perf_counter()
    C.to_iso3(values)
    warm = time.perf_counter() - start
    assert len(out) == 10_000
    assert cold < 0.1 and warm < 0.02, (cold, warm)


def test_normalise_name():
    assert C.normalise_name("  Bahamas,  The ") == "bahamas"
    assert C.normalise_name("São Tomé & Príncipe") == "sao tome principe"
    assert C.normalise_name("Korea, Dem. People's Rep.") == "korea democratic peoples republic"
    assert C.normalise_name("Micronesia (Federated States of)") == "micronesia federal states"


# --- properties ----------------------------------------------------------------------------------

_TABLE = C.country_table(include_demo=False)
_NAMES = sorted(set(_TABLE["name"]) | {k for k in KNOWN if len(k) > 3})
_CODES = sorted(set(_TABLE["iso3"]) | set(_TABLE["iso2"].dropna()))
_ANY = st.sampled_from(_NAMES + _CODES)


def _strip_accents(s: str) -> str:
    return "".join(c for c in unicodedata.normalize("NFKD", s) if not unicodedata.combining(c))


@settings(max_examples=150, deadline=None)
@given(st.lists(_ANY, min_size=1, max_size=20))
def test_idempotent_on_output(values):
    codes = C.to_iso3(values, include_demo=False)
    assert C.to_iso3(codes, include_demo=False) == codes


@settings(max_examples=150, deadline=None)
@given(_ANY, st.data())
def test_case_whitespace_accent_invariance(value, data):
    expected = C.to_iso3([value], include_demo=False)
    flips = data.draw(st.lists(st.booleans(), min_size=len(value), max_size=len(value)))
    cased = "".join(ch.swapcase() if f else ch for ch, f in zip(value, flips, strict=True))
    pad = data.draw(st.sampled_from(["", " ", "  ", "\t"]))
    assert C.to_iso3([pad + cased + pad], include_demo=False) == expected
    assert C.to_iso3([_strip_accents(value)], include_demo=False) == expected


@settings(max_examples=100, deadline=None)
@given(st.lists(_ANY, min_size=1, max_size=30), st.randoms(use_true_random=False))
def test_permutation_keeps_the_mapping(values, rnd):
    mapping = dict(zip(values, C.to_iso3(values, include_demo=False), strict=True))
    shuffled = list(values)
    rnd.shuffle(shuffled)
    assert C.to_iso3(shuffled, include_demo=False) == [mapping[v] for v in shuffled]


# --- classifications by vintage -----------------------------------------------------------------


def test_shipped_classifications():
    s = C.classification("income_group", include_demo=False)
    assert s.name == "income_group" and s.index.name == "iso3"
    assert s.attrs["vintage"] == 2024 and s.attrs["requested_vintage"] is None
    assert "FY2026" in s.attrs["source"]
    assert len(s) == 217 and pd.isna(s["VEN"]) and s["CRI"] == "High income"
    r = C.classification("wb_region", include_demo=False)
    assert len(r) == 217 and r["AFG"] == MENAAP and r["IND"] == "South Asia"
    itu = C.classification("itu_region", include_demo=False)
    assert len(itu) == 193 and itu["KAZ"] == "CIS"
    assert C.classification_vintages("income_group") == [2024]


def test_vintage_selection_and_fallback():
    old = pd.DataFrame(
        {
            "iso3": ["ROU", "LKA", "VEN"],
            "Income Group": ["UMC", "Upper middle income", "Upper middle income"],
        }
    )
    C.add_classification(old, "income_group", 2018, source="test FY2020")
    assert C.classification_vintages("income_group") == [2018, 2024]
    s = C.classification("income_group", vintage=2019, include_demo=False)
    assert s.attrs["vintage"] == 2018 and s.attrs["requested_vintage"] == 2019
    assert s.to_dict() == {
        "LKA": "Upper middle income",
        "ROU": "Upper middle income",
        "VEN": "Upper middle income",
    }
    assert C.classification("income_group", vintage=2030).attrs["vintage"] == 2024
    with pytest.raises(CoverageError, match="2018, 2024"):
        C.classification("income_group", vintage=2010)
    early = C.classification("income_group", vintage=2010, fallback="earliest")
    assert early.attrs["vintage"] == 2018 and early.attrs["requested_vintage"] == 2010
    with pytest.raises(CoverageError):
        C.classification("itu_region", vintage=2019)
    C.reset_classifications()
    assert C.classification_vintages("income_group") == [2024]


def test_registering_a_shipped_vintage_replaces_it():
    C.add_classification(
        pd.DataFrame({"iso3": ["FRA"], "group": ["Europe"]}), "itu_region", 2024, source="mine"
    )
    s = C.classification("itu_region", include_demo=False)
    assert s.to_dict() == {"FRA": "EUR"} and s.attrs["source"] == "mine"


def test_classification_from_table_rules():
    df = pd.DataFrame(
        {
            "Country Code": ["FRA", "WLD", "HIC", "VEN", "NA", "Kosovo"],
            "Region": [
                "Europe & Central Asia ",
                "",
                "",
                "Latin America & Caribbean",
                "Sub-Saharan Africa",
                "Europe &  Central Asia",
            ],
            "IncomeGroup": [
                "High income",
                "",
                "",
                "",
                "Upper middle income",
                "Upper middle income",
            ],
        }
    )
    inc = C.classification_from_table(df, "income_group", 2023, "meta.csv")
    assert list(inc.columns) == ["iso3", "scheme", "vintage", "group", "source"]
    assert inc["iso3"].tolist() == ["FRA", "NAM", "VEN", "XKX"]
    assert inc["group"].fillna("-").tolist() == [
        "High income",
        "Upper middle income",
        "-",
        "Upper middle income",
    ]
    assert set(inc["vintage"]) == {2023} and set(inc["source"]) == {"meta.csv"}
    reg = C.classification_from_table(df, "wb_region", 2023, "meta.csv")
    assert reg.set_index("iso3")["group"].to_dict() == {
        "FRA": "Europe & Central Asia",
        "NAM": "Sub-Saharan Africa",
        "VEN": "Latin America & Caribbean",
        "XKX": "Europe & Central Asia",
    }
    flagged = pd.DataFrame(
        {
            "iso3": ["FRA", "BEA"],
            "region": ["Europe & Central Asia", ""],
            "is_aggregate": [False, True],
        }
    )
    assert C.classification_from_table(flagged, "wb_region", 2022, "api")["iso3"].tolist() == [
        "FRA"
    ]


def test_classification_from_a_series_round_trips():
    s = C.classification("itu_region", include_demo=False)
    rows = C.classification_from_table(s, "itu_region", 2017, "copy")
    assert len(rows) == 193
    assert rows.set_index("iso3")["group"].to_dict() == s.to_dict()


def test_classification_from_table_errors():
    with pytest.raises(ParameterError, match="scheme"):
        C.classification_from_table(pd.DataFrame({"iso3": ["FRA"]}), "continent", 2020, "x")
    with pytest.raises(ParameterError, match="vintage"):
        C.classification_from_table(pd.DataFrame({"iso3": ["FRA"]}), "wb_region", "2020", "x")
    with pytest.raises(ParameterError, match="group column"):
        C.classification_from_table(pd.DataFrame({"iso3": ["FRA"]}), "wb_region", 2020, "x")
    with pytest.raises(DataFileError, match="unknown income group"):
        C.classification_from_table(
            pd.DataFrame({"iso3": ["FRA"], "income_group": ["Rich"]}), "income_group", 2020, "x"
        )
    with pytest.raises(ParameterError, match="FRA"):
        C.classification_from_table(
            pd.DataFrame({"iso3": ["FRA", "FR"], "income_group": ["H", "UM"]}),
            "income_group",
            2020,
            "x",
        )
    with pytest.raises(UnknownCountryError, match="Atlantis"):
        C.classification_from_table(
            pd.DataFrame({"iso3": ["Atlantis"], "income_group": ["H"]}), "income_group", 2020, "x"
        )
    with pytest.raises(ParameterError, match="fallback"):
        C.classification("income_group", fallback="nearest")


# --- demo economies ---------------------------------------------------------------------------


DEMO_CSV = (
    "iso3,name,itu_region,wb_region,income_group\n"
    "XAA,Republic of Aldoria,AFR,Sub-Saharan Africa,Low income\n"
    "XAB,Kingdom of Bellanzor,EUR,Europe & Central Asia,High income\n"
    "XAC,Corvantia,ARB,Middle East & North Africa,Upper middle income\n"
)


def test_demo_economies(tmp_path, monkeypatch):
    (tmp_path / "countries.csv").write_text(DEMO_CSV, encoding="utf-8")
    monkeypatch.setattr(config, "DEMO_DIR", tmp_path)
    t = C.country_table()
    demo = t[t["is_demo"]].set_index("iso3")
    assert list(demo.index) == ["XAA", "XAB", "XAC"]
    assert not demo["is_aggregate"].any() and demo["iso2"].isna().all()
    assert demo.loc["XAC", "wb_region"] == "Middle East & North Africa"
    assert C.to_iso3(["XAB", "republic of aldoria", "Corvantia", "France"]) == [
        "XAB",
        "XAA",
        "XAC",
        "FRA",
    ]
    assert C.is_aggregate(["XAA"]) == [False]
    inc = C.classification("income_group")
    assert inc["XAB"] == "High income" and inc["FRA"] == "High income"
    assert C.classification("itu_region")["XAC"] == "ARB"
    assert "XAA" not in C.country_table(include_demo=False)["iso3"].tolist()
    with pytest.raises(UnknownCountryError):
        C.to_iso3(["XAA"], include_demo=False)
    # the same through the demo_dir argument, without monkeypatching
    monkeypatch.setattr(config, "DEMO_DIR", tmp_path / "absent")
    assert "XAA" not in C.country_table()["iso3"].tolist()
    assert C.to_iso3(["Corvantia"], demo_dir=tmp_path) == ["XAC"]


@pytest.mark.parametrize(
    ("row", "problem"),
    [
        ("XKX,Fakeland,EUR,Europe & Central Asia,High income", "code of a real economy"),
        ("FRA,Fakeland,EUR,Europe & Central Asia,High income", "user-assigned"),
        ("XAA,Fakeland,EUR,Europe & Central Asia,High income", "duplicate code"),
        ("XAD,Fakeland,MARS,Europe & Central Asia,High income", "unknown ITU-D region"),
        ("XAD,Fakeland,EUR,Europe & Central Asia,Rich", "unknown income group"),
        ("XAD,France,EUR,Europe & Central Asia,High income", "also names FRA"),
    ],
)
def test_bad_demo_files(tmp_path, row, problem):
    (tmp_path / "countries.csv").write_text(DEMO_CSV + row + "\n", encoding="utf-8")
    with pytest.raises(DataFileError, match=problem) as exc:
        C.to_iso3(["France"], demo_dir=tmp_path)
    assert exc.value.line == 5 and exc.value.path.endswith("countries.csv")


# --- the real files in ../shared ----------------------------------------------------------------


def test_wdi_country_metadata_2024(shared, table):
    meta = _read(shared("data", "wdi", "tidy", "country_metadata.csv"))
    assert C.to_iso3(meta["iso3"], include_demo=False) == meta["iso3"].tolist()
    assert C.to_iso3(meta["country"], include_demo=False) == meta["iso3"].tolist()
    assert C.is_aggregate(meta["iso3"]) == (meta["is_aggregate"] == "1").tolist()
    econ = meta[meta["is_aggregate"] == "0"].set_index("iso3")
    assert set(econ.index) == set(table.index[table["wb_region"].notna()])
    # regions: FY2026 renamed the MENA region and moved Afghanistan and Pakistan into it
    relabel = econ["region"].replace({"Middle East & North Africa": MENAAP})
    moved = relabel.index[relabel != table.loc[relabel.index, "wb_region"]]
    assert sorted(moved) == ["AFG", "PAK"]
    # income: the file is FY2025; FY2026 moved exactly these four
    mine = table.loc[econ.index, "income_group"].fillna("")
    changed = econ.index[mine != econ["income_group"]]
    assert sorted(changed) == ["CPV", "CRI", "NAM", "WSM"]
    # names: the World Bank's short names, except Somalia's FY2026 rename
    diff = [
        c
        for c in econ.index
        if C.normalise_name(econ.loc[c, "country"]) != C.normalise_name(table.loc[c, "name"])
    ]
    assert diff == ["SOM"]


def test_api_country_list(shared, table):
    rows = json.loads(shared("data", "wb-api", "country_all_per_page_400.json").read_text())[1]
    econ = [r for r in rows if r["region"]["value"].strip() != "Aggregates"]
    assert len(econ) == 217
    ids = [r["id"] for r in econ]
    assert C.to_iso3(ids, include_demo=False) == ids
    assert C.to_iso3([r["iso2Code"] for r in econ], include_demo=False) == ids
    assert C.to_iso3([r["name"] for r in econ], include_demo=False) == ids
    # aggregates in the list that the table carries have the same 2-character codes
    aggs = {r["id"]: r["iso2Code"] for r in rows if r["region"]["value"] == "Aggregates"}
    shared_aggs = sorted(c for c in set(aggs) & C.AGGREGATE_CODES if pd.notna(table.loc[c, "iso2"]))
    assert len(shared_aggs) == 49  # + the six legacy IFC regions, listed without a 2-letter code
    assert {c: table.loc[c, "iso2"] for c in shared_aggs} == {c: aggs[c] for c in shared_aggs}
    # income: the list is FY2024 (vintage 2022); FY2025 and FY2026 changed these
    api_income = {r["id"]: r["incomeLevel"]["value"] for r in econ}
    mine = table.loc[ids, "income_group"].fillna("Not classified")
    changed = sorted(c for c in ids if mine[c] != api_income[c])
    assert changed == [
        "BGR",
        "CPV",
        "CRI",
        "DZA",
        "IRN",
        "MNG",
        "NAM",
        "PLW",
        "PSE",
        "RUS",
        "UKR",
        "WSM",
    ]
    regions = {r["id"]: r["region"]["value"].strip() for r in econ}
    moved = sorted(
        c
        for c in ids
        if regions[c].replace("Middle East & North Africa", MENAAP) != table.loc[c, "wb_region"]
    )
    assert moved == ["AFG", "PAK"]


def test_api_indicator_rows_resolve(shared):
    path = shared("data", "wb-api", "country_all_indicator_NY.GDP.PCAP.CD_page1of2.json")
    rows = json.loads(path.read_text())[1]
    pairs = {r["country"]["id"]: (r["countryiso3code"], r["country"]["value"]) for r in rows}
    by_id = C.to_iso3(list(pairs), include_demo=False)
    by_name = C.to_iso3([v[1] for v in pairs.values()], include_demo=False)
    assert by_id == by_name
    for code, (iso3, _name) in zip(by_id, pairs.values(), strict=True):
        assert iso3 in ("", code)  # income-group aggregates have an empty countryiso3code
    assert dict(zip(pairs, by_id, strict=True))["XD"] == "HIC"


def test_wdicountry_names_and_codes(shared):
    w = _read(shared("data", "wdi", "raw", "wdicountry", "WDICountry.csv"))
    codes = w["Country Code"].tolist()
    assert C.to_iso3(codes, include_demo=False) == codes
    assert C.to_iso3(w["Table Name"], include_demo=False) == codes
    two = w[w["2-alpha code"] != ""]
    assert len(two) == len(w) - 1 and "CHI" not in set(two["Country Code"])
    assert C.to_iso3(two["2-alpha code"], include_demo=False) == two["Country Code"].tolist()
    # the 2019-era World Bank short names "Congo", "Korea" and "Virgin Islands" are ambiguous
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(w["Short Name"], include_demo=False)
    assert set(exc.value.unknown) == {"Congo", "Korea", "Virgin Islands"}
    fixed = C.to_iso3(
        w["Short Name"],
        include_demo=False,
        aliases={"Congo": "COG", "Korea": "KOR", "Virgin Islands": "VIR"},
    )
    assert fixed == codes


def test_income_groups_by_vintage_from_real_files(shared):
    """WDICountry.csv holds the FY2020 list (vintage 2018), Metadata_Country the FY2025 one."""
    w = _read(shared("data", "wdi", "raw", "wdicountry", "WDICountry.csv"))
    m = _read(
        shared(
            "data",
            "wdi",
            "raw",
            "worldbank-portal-csv",
            "Metadata_Country_API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv",
        )
    )
    w_econ = w[w["Region"] != ""]
    m_econ = m[m["Region"] != ""]
    old = C.add_classification(w_econ, "income_group", 2018, source="WDICountry.csv (FY2020)")
    new = C.add_classification(m_econ, "income_group", 2023, source="Metadata_Country (FY2025)")
    C.add_classification(w_econ, "wb_region", 2018, source="WDICountry.csv (FY2020)")
    assert len(old) == len(new) == 217
    o = old.set_index("iso3")["group"].fillna("")
    n = new.set_index("iso3")["group"].fillna("")
    changed = o.index[o != n.reindex(o.index)]
    assert sorted(changed) == [
        "ASM",
        "BEN",
        "BGR",
        "GIN",
        "GUY",
        "HTI",
        "IDN",
        "JOR",
        "LBN",
        "LKA",
        "MDA",
        "MNG",
        "NPL",
        "NRU",
        "ROU",
        "RUS",
        "SDN",
        "SLV",
        "TJK",
        "TZA",
        "UKR",
        "VEN",
        "WSM",
    ]
    # a study of 2019 data gets the FY2020 list, one of 2023 the FY2025 list
    s19 = C.classification("income_group", vintage=2019, include_demo=False)
    s23 = C.classification("income_group", vintage=2023, include_demo=False)
    assert s19.attrs["vintage"] == 2018 and s23.attrs["vintage"] == 2023
    assert (s19["ROU"], s23["ROU"]) == ("Upper middle income", "High income")
    assert (s19["LKA"], s23["LKA"]) == ("Upper middle income", "Lower middle income")
    assert s19["VEN"] == "Upper middle income" and pd.isna(s23["VEN"])
    assert s19.attrs["source"] == "WDICountry.csv (FY2020)"
    reg = C.classification("wb_region", vintage=2020, include_demo=False)
    assert reg["AFG"] == "South Asia" and reg["EGY"] == "Middle East & North Africa"


@pytest.mark.parametrize(
    ("parts", "column", "kw"),
    [
        (("gii", "raw", "gii_2011_2022_mendeley_panel.csv"), "Economies", {"sep": ";"}),
        (("gii", "raw", "gii_2019_scores_MissFacetious.csv"), "Economy", {}),
        (("itu", "raw", "idi2017_jakobsk_EoC.csv"), "Country", {}),
        (
            ("wdi", "raw", "worldbank-portal-csv", "API_IT.NET.USER.ZS_DS2_en_csv_v2_2160.csv"),
            "Country Name",
            {},
        ),
        (
            ("wdi", "raw", "worldbank-portal-csv", "API_NY.GDP.PCAP.CD_DS2_en_csv_v2_33610.csv"),
            "Country Name",
            {"skiprows": 4},
        ),
        (("wdi", "raw", "wdi-bulk-layout-2013", "IC.BUS.NDNS.ZS_WDI.csv"), "Country Name", {}),
        (("wdi", "raw", "datahub-wdi", "sp.pop.totl", "data.csv"), "Country Name", {}),
        (("wdi", "raw", "datahub-wdi", "ic.bus.nreg", "data.csv"), "Country Name", {}),
    ],
)
def test_every_name_in_shared_sources_resolves(shared, parts, column, kw):
    df = _read(shared("data", *parts), **kw)
    codes = C.to_iso3(df[column], include_demo=False, source=parts[-1])
    if "Country Code" in df.columns:  # names agree with the codes of the same file
        assert codes == C.to_iso3(df["Country Code"], include_demo=False)


def test_gii_single_edition_cp1252(shared):
    df = _read(
        shared("data", "gii", "raw", "GII_single_edition_Sadullah4535.csv"),
        sep=";",
        encoding="cp1252",
    )
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(df["Country"], include_demo=False)
    assert list(exc.value.unknown) == ["Congo"]
    codes = C.to_iso3(df["Country"], include_demo=False, aliases={"Congo": "COG"})
    assert len(set(codes)) == len(df) == 139 and "CIV" in codes and "TUR" in codes


def test_utf8_file_read_as_cp1252_is_reported_not_repaired(shared):
    w = _read(shared("data", "wdi", "raw", "wdicountry", "WDICountry.csv"), encoding="cp1252")
    with pytest.raises(UnknownCountryError) as exc:
        C.to_iso3(w["Table Name"], include_demo=False)
    unknown = exc.value.unknown
    assert list(unknown) == ["CÃ´te d'Ivoire", "CuraÃ§ao", "SÃ£o TomÃ© and Principe"]
    assert [hints[0][:18] for hints in unknown.values()] == [
        "Côte d'Ivoire (CIV",
        "Curaçao (CUW) if t",
        "São Tomé and Prínc",
    ]
    assert all("re-read as UTF-8" in hints[0] for hints in unknown.values())


def test_tidy_derivatives_agree(shared):
    """The shared tidy files assigned ISO3 by their own matching; ours agrees everywhere."""
    gii = _read(shared("data", "gii", "tidy", "gii_tidy.csv")).drop_duplicates("economy")
    ours = C.to_iso3(gii["economy"], include_demo=False, aliases={"Congo": "COG"})
    assert ours == gii["iso3"].tolist()
    idi = _read(shared("data", "itu", "tidy", "idi2017_tidy.csv"))
    assert C.to_iso3(idi["economy"], include_demo=False) == idi["iso3"].tolist()
    wdi = _read(shared("data", "wdi", "tidy", "wdi_tidy.csv"), usecols=["iso3", "country"])
    wdi = wdi.drop_duplicates()
    assert C.to_iso3(wdi["country"], include_demo=False) == wdi["iso3"].tolist()


def test_coinr_files(shared):
    asem = _read(shared("data", "coinr-asem", "ASEM_iData.csv"))
    assert (
        C.to_iso3(asem["uName"], include_demo=False, aliases={"Korea": "KOR"})
        == asem["uCode"].tolist()
    )
    den = _read(shared("data", "coinr-asem", "WorldDenoms.csv"))
    assert C.to_iso3(den["uCode"], include_demo=False) == den["uCode"].tolist()
    assert (
        C.to_iso3(den["uName"], include_demo=False, aliases={"Congo (the)": "COG"})
        == den["uCode"].tolist()
    )
