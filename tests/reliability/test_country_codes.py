"""Unknown but well-formed country codes are refused, consistently, by every loader (issue 6).

Each World Bank format (API JSON, portal CSV, WDI bulk, datahub long CSV) and the formats that
carry codes (canonical table, a table mapped with ``country_codes``, expert ratings by ISO3)
is fed the same rows: an unknown code must give one UnknownCountryError naming the file, the
column, the line (where the format has lines), the code and near matches; World Bank aggregates
are recognised as aggregates; former World Bank codes are renamed with a warning.
"""

from __future__ import annotations

import hashlib
import json
import warnings
from pathlib import Path

import pytest

from innolab.cli import main
from innolab.countries import check_codes
from innolab.errors import UnknownCountryError
from innolab.sources import SourceWarning, load

IND = "IT.NET.USER.ZS"
IND_NAME = "Individuals using the Internet (% of population)"


def _api(rows, tmp: Path) -> tuple[Path, list[str]]:
    iso2 = {"Kenya": "KE", "World": "1W", "East Asia & Pacific": "Z4", "Kosovo": "XK"}
    recs = [
        {
            "indicator": {"id": IND, "value": IND_NAME},
            "country": {"id": iso2.get(name, "ZZ"), "value": name},
            "countryiso3code": code,
            "date": str(year),
            "value": value,
            "unit": "",
            "obs_status": "",
            "decimal": 1,
        }
        for name, code, year, value in rows
    ]
    head = {"page": 1, "pages": 1, "per_page": 50, "total": len(recs), "sourceid": "2"}
    p = tmp / "api_response.json"
    p.write_text(json.dumps([head, recs]))
    return p, []


def _wide_lines(rows) -> list[str]:
    out = []
    for name, code, year, value in rows:
        cells = ["", ""]
        cells[[2019, 2020].index(year)] = str(value)
        out.append(f'"{name}","{code}","{IND_NAME}","{IND}","{cells[0]}","{cells[1]}",')
    return out


def _portal(rows, tmp: Path) -> tuple[Path, list[str]]:
    p = tmp / f"API_{IND}_DS2_en_csv_v2_1.csv"
    text = (
        '\ufeff"Data Source","World Development Indicators",\n\n'
        '"Last Updated Date","2026-07-13",\n\n'
        '"Country Name","Country Code","Indicator Name","Indicator Code","2019","2020",\n'
        + "\n".join(_wide_lines(rows))
        + "\n"
    )
    p.write_text(text, encoding="utf-8")
    return p, []


def _bulk(rows, tmp: Path) -> tuple[Path, list[str]]:
    p = tmp / "WDICSV.csv"
    head = "Country Name,Country Code,Indicator Name,Indicator Code,2019,2020\n"
    body = [
        f'"{n}",{c},"{IND_NAME}",{IND},{v if y == 2019 else ""},{v if y == 2020 else ""}'
        for n, c, y, v in rows
    ]
    p.write_text(head + "\n".join(body) + "\n")
    return p, []


def _long(rows, tmp: Path) -> tuple[Path, list[str]]:
    d = tmp / IND.lower()
    d.mkdir()
    (d / "datapackage.json").write_text(json.dumps({"name": IND.lower(), "title": IND_NAME}))
    p = d / "data.csv"
    p.write_text(
        "Country Name,Country Code,Year,Value\n"
        + "".join(f'"{n}",{c},{y},{v}\n' for n, c, y, v in rows)
    )
    return p, []


def _canonical(rows, tmp: Path) -> tuple[Path, list[str]]:
    p = tmp / "tidy.csv"
    p.write_text(
        "iso3,indicator,year,value,source\n"
        + "".join(f"{c},{IND},{y},{v},test\n" for _, c, y, v in rows)
    )
    return p, ["--format", "canonical"]


def _table(rows, tmp: Path) -> tuple[Path, list[str]]:
    p = tmp / "idata.csv"
    p.write_text("uCode,uName,Time,X1\n" + "".join(f'{c},"{n}",{y},{v}\n' for n, c, y, v in rows))
    return p, ["--format", "table", "--mapping", "coinr-idata"]


# name, writer, column named in the error, whether the format has line numbers
FORMATS = [
    ("wb-api-json", _api, "countryiso3code", False),
    ("wb-portal-csv", _portal, "Country Code", True),
    ("wdi-bulk", _bulk, "Country Code", True),
    ("long-csv", _long, "Country Code", True),
    ("canonical", _canonical, "iso3", True),
    ("table-country-codes", _table, "uCode", True),
]

GOOD = [("Kenya", "KEN", 2020, 29.0)]
# (id, rows, unknown code, line of the bad row in the wide/long/tidy layouts, near match)
BAD = [
    ("typo-of-kenya", [*GOOD, ("Kenya", "KEX", 2019, 17.0)], "KEX", "Kenya (KEN)"),
    ("made-up-code", [*GOOD, ("Atlantis", "QQQ", 2020, 5.0)], "QQQ", None),
    ("typo-of-france", [*GOOD, ("Frankreich", "FRN", 2020, 80.0)], "FRN", "France (FRA)"),
]
# line of the second data row: header + 1 (portal files have a four-line preamble first)
LINE = {"wb-portal-csv": 7}


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("bad", BAD, ids=[b[0] for b in BAD])
@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_unknown_code_is_refused_by_the_loader(fmt, bad, tmp_path):
    name, write, column, has_lines = fmt
    _id, rows, code, hint = bad
    path, _ = write(rows, tmp_path)
    with pytest.raises(UnknownCountryError) as err:
        load(path, format="table" if name.startswith("table") else name, mapping="coinr-idata")
    msg = str(err.value)
    assert path.name in msg and f"column {column!r}" in msg and repr(code) in msg, msg
    assert list(err.value.unknown) == [code]
    if has_lines:
        assert f"on line {LINE.get(name, 3)}" in msg, msg
    if hint:
        assert any(h.startswith(hint) for h in err.value.unknown[code]), err.value.unknown
    assert "expected an ISO3 code or a World Bank economy or aggregate code" in msg


@pytest.mark.parametrize("fmt", FORMATS, ids=[f[0] for f in FORMATS])
def test_unknown_code_through_the_cli(fmt, tmp_path, capsys):
    _name, write, column, _ = fmt
    path, extra = write([*GOOD, ("Kenya", "KEX", 2019, 17.0)], tmp_path)
    before = _digest(path)
    out = tmp_path / "out" / "tidy.csv"
    rc = main(["data", "import", str(path), "--out", str(out), *extra])
    err = capsys.readouterr().err
    assert rc == 2, err
    assert err.startswith("error: ") and "Traceback" not in err
    assert len(err.strip().splitlines()) <= 2, err
    assert "'KEX'" in err and "Kenya (KEN)" in err and path.name in err
    assert _digest(path) == before
    assert not out.exists() and not out.parent.exists()


AGGREGATES = [
    ("World", "WLD", 2020, 67.4),
    ("East Asia & Pacific", "EAS", 2020, 70.1),
    ("High income", "HIC", 2019, 91.0),
]


@pytest.mark.parametrize("fmt", FORMATS[:4], ids=[f[0] for f in FORMATS[:4]])
def test_world_bank_aggregates_are_recognised(fmt, tmp_path):
    name, write, _, _ = fmt
    path, _ = write([*GOOD, *AGGREGATES], tmp_path)
    result = load(path, format=name)
    assert sorted(result.data["iso3"]) == ["EAS", "HIC", "KEN", "WLD"]
    assert result.aggregate_codes() == frozenset({"WLD", "EAS", "HIC"})
    assert result.economies()["iso3"].tolist() == ["KEN"]


@pytest.mark.parametrize("fmt", FORMATS[1:5], ids=[f[0] for f in FORMATS[1:5]])
def test_former_world_bank_codes_are_renamed_with_a_warning(fmt, tmp_path):
    name, write, _, _ = fmt
    path, _ = write([*GOOD, ("Kosovo", "KSV", 2020, 76.6)], tmp_path)
    with pytest.warns(SourceWarning, match="former World Bank code KSV read as XKX"):
        result = load(path, format=name)
    assert sorted(result.data["iso3"]) == ["KEN", "XKX"]
    assert result.data.loc[result.data["iso3"] == "XKX", "value"].tolist() == [76.6]


def test_former_and_current_code_with_different_values_conflict(tmp_path):
    path, _ = _long([("Romania", "ROM", 2020, 1.0), ("Romania", "ROU", 2020, 2.0)], tmp_path)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", SourceWarning)
        with pytest.raises(Exception, match="duplicate rows for ROU") as err:
            load(path)
    assert "line" in str(err.value)


def test_expert_ratings_by_iso3_refuse_unknown_codes(tmp_path):
    p = tmp_path / "ratings.csv"
    p.write_text(
        "iso3,stakeholder,enabler,rating,year\n"
        "KEN,academia,vision_strategy,3,2023\n"
        "NGX,academia,vision_strategy,4,2023\n"
    )
    with pytest.raises(UnknownCountryError) as err:
        load(p)
    assert "'NGX' on line 3" in str(err.value) and "Nigeria (NGA)" in str(err.value)


def test_api_rows_resolved_through_the_country_list_are_checked_too(tmp_path):
    page = [
        {"page": 1, "pages": 1, "per_page": 50, "total": 1},
        [
            {
                "indicator": {"id": IND, "value": IND_NAME},
                "country": {"id": "QQQ", "value": "Nowhere"},
                "countryiso3code": "",
                "date": "2020",
                "value": 1.0,
            }
        ],
    ]
    p = tmp_path / "resp.json"
    p.write_text(json.dumps(page))
    with pytest.raises(UnknownCountryError, match="'QQQ'"):
        load(p)


@pytest.mark.parametrize(
    ("codes", "expected"),
    [
        (["KEN", "WLD", "XKX", "CHI"], {"KEN": "KEN", "WLD": "WLD", "XKX": "XKX", "CHI": "CHI"}),
        (["ZAR", "TMP", "ADO"], {"ZAR": "COD", "TMP": "TLS", "ADO": "AND"}),
        (["WBG", "IMY", "ROM"], {"WBG": "PSE", "IMY": "IMN", "ROM": "ROU"}),
    ],
)
def test_check_codes_known_and_former(codes, expected):
    assert check_codes(codes, include_demo=False).codes == expected


@pytest.mark.parametrize(
    ("code", "name", "first_hint"),
    [
        ("NAN", "Namibia", "Namibia (NAM) from the name 'Namibia' on the same row"),
        ("FRN", None, "Faroe Islands (FRO)"),
        ("ken", None, "Kenya (KEN)"),  # lower case is not a code as World Bank files write it
        ("UK1", "United Kingdom", "United Kingdom (GBR) from the name 'United Kingdom' on the"),
    ],
)
def test_check_codes_hints(code, name, first_hint):
    with pytest.raises(UnknownCountryError) as err:
        check_codes(
            [code],
            source="f.csv",
            column="Code",
            names={code: name} if name else None,
            include_demo=False,
        )
    assert err.value.unknown[code][0].startswith(first_hint), err.value.unknown


def test_real_2013_layout_codes_are_current_after_loading(shared):
    files = sorted(shared("data", "wdi", "raw", "wdi-bulk-layout-2013").glob("*_WDI.csv"))
    with pytest.warns(SourceWarning, match="former World Bank code KSV read as XKX"):
        result = load(files)
    codes = set(result.data["iso3"])
    assert {"KSV", "ROM", "WBG", "IMY"}.isdisjoint(codes)
    assert {"XKX", "ROU", "PSE"} <= codes
