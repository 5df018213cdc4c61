"""Table-driven malformed inputs through the CLI (issue 6 §1).

Every case writes a small bad file, runs one ``innolab`` command, and checks the contract:
exit code 2, a short message on stderr that names the file / line / column / code (``needle``),
no traceback, the input file byte-identical afterwards, and no output file left behind.
"""

from __future__ import annotations

import hashlib
import textwrap
from pathlib import Path

import pytest

from innolab.cli import main

WDI_HEAD = "Country Name,Country Code,Indicator Name,Indicator Code,2019,2020,\n"
LONG_HEAD = "Country Name,Country Code,Year,Value\n"
ASEM_FW = "asem"
TINY_FW = textwrap.dedent(
    """
    code: tiny
    name: Tiny
    nodes:
      - {code: IDX, name: Index}
      - {code: P1, name: Pillar, parent: IDX}
      - {code: A, name: A, parent: P1, direction: 1}
      - {code: B, name: B, parent: P1, direction: 1}
    """
)
GOOD_WIDE = "iso3,A,B\nKEN,1,2\nNGA,3,4\nGHA,5,6\n"


def _import(fmt: str | None = None, *extra: str):
    def argv(inp: Path, out: Path) -> list[str]:
        args = ["data", "import", str(inp), "--out", str(out)]
        if fmt:
            args += ["--format", fmt]
        return args + list(extra)

    return argv


def _score(framework: str | None = None, spec: str | None = None):
    """Score ``inp`` as data; ``framework``/``spec`` texts are written beside it."""

    def argv(inp: Path, out: Path) -> list[str]:
        fw = framework
        if fw is not None and "\n" in fw:
            (inp.parent / "fw.yaml").write_text(fw)
            fw = str(inp.parent / "fw.yaml")
        args = [
            "score",
            "--data",
            str(inp),
            "--framework",
            fw or "tiny_placeholder",
            "--out",
            str(out),
        ]
        if spec is not None:
            (inp.parent / "spec.yaml").write_text(spec)
            args += ["--spec", str(inp.parent / "spec.yaml")]
        return args

    return argv


def _score_bad_fw(fw_text: str, spec: str | None = None):
    """Score good data with a bad framework file ``inp`` (the file under test)."""

    def argv(inp: Path, out: Path) -> list[str]:
        data = inp.parent / "good.csv"
        data.write_text(GOOD_WIDE)
        args = ["score", "--data", str(data), "--framework", str(inp), "--out", str(out)]
        if spec is not None:
            (inp.parent / "spec.yaml").write_text(spec)
            args += ["--spec", str(inp.parent / "spec.yaml")]
        return args

    return argv


def _score_bad_spec():
    def argv(inp: Path, out: Path) -> list[str]:
        data = inp.parent / "good.csv"
        data.write_text(GOOD_WIDE)
        (inp.parent / "fw.yaml").write_text(TINY_FW)
        return [
            "score",
            "--data",
            str(data),
            "--framework",
            str(inp.parent / "fw.yaml"),
            "--spec",
            str(inp),
            "--out",
            str(out),
        ]

    return argv


# (id, file name, content (str or bytes), argv builder, needle expected in the message)
CASES = [
    # --- loaders: structure
    ("empty-file", "empty.csv", "", _import(), "empty.csv"),
    ("only-header-wdi", "WDI.csv", WDI_HEAD, _import("wdi-bulk"), "WDI.csv"),
    (
        "truncated-json",
        "resp.json",
        '[{"page":1,"pages":1,"per_page":"50","total":2},[{"indic',
        _import("wb-api-json"),
        "resp.json",
    ),
    (
        "api-error-array",
        "err.json",
        '[{"message":[{"id":"120","key":"Invalid value","value":"The provided parameter value is not valid"}]}]',
        _import("wb-api-json"),
        "120",
    ),
    (
        "api-missing-page",
        "page1.json",
        '[{"page":1,"pages":2,"per_page":"1","total":2},[{"indicator":{"id":"X.Y","value":"x"},'
        '"country":{"id":"KE","value":"Kenya"},"countryiso3code":"KEN","date":"2020","value":1.5,'
        '"unit":"","obs_status":"","decimal":1}]]',
        _import("wb-api-json"),
        "page",
    ),
    ("api-not-an-array", "obj.json", '{"hello": 1}', _import("wb-api-json"), "obj.json"),
    (
        "wrong-delimiter-long",
        "long.csv",
        "Country Name;Country Code;Year;Value\nKenya;KEN;2020;1.5\n",
        _import("long-csv", "--indicator", "X.Y"),
        "long.csv",
    ),
    (
        "long-missing-column",
        "long2.csv",
        "Country Name,Country Code,Year\nKenya,KEN,2020\n",
        _import("long-csv", "--indicator", "X.Y"),
        "Value",
    ),
    # --- loaders: cells
    (
        "thousands-separator",
        "long3.csv",
        LONG_HEAD + 'Kenya,KEN,2020,"1,234"\n',
        _import("long-csv", "--indicator", "X.Y"),
        "line 2",
    ),
    (
        "n/a-cell",
        "long4.csv",
        LONG_HEAD + "Kenya,KEN,2020,n/a\n",
        _import("long-csv", "--indicator", "X.Y"),
        "line 2",
    ),
    (
        "text-year",
        "long5.csv",
        LONG_HEAD + "Kenya,KEN,twenty,1.5\n",
        _import("long-csv", "--indicator", "X.Y"),
        "line 2",
    ),
    (
        "duplicate-different-values",
        "long6.csv",
        LONG_HEAD + "Kenya,KEN,2020,1.5\nKenya,KEN,2020,2.5\n",
        _import("long-csv", "--indicator", "X.Y"),
        "line",
    ),
    (
        "malformed-country-code",
        "long7.csv",
        LONG_HEAD + "Kenya,K3N!,2020,1.5\n",
        _import("long-csv", "--indicator", "X.Y"),
        "K3N!",
    ),
    (
        "wdi-bad-cell",
        "WDI2.csv",
        WDI_HEAD + "Kenya,KEN,Internet,IT.NET.USER.ZS,12,abc,\n",
        _import("wdi-bulk"),
        "line 2",
    ),
    (
        "wdi-wrong-header",
        "WDI3.csv",
        "Country,Code,Series,2019\nKenya,KEN,x,1\n",
        _import("wdi-bulk"),
        "WDI3.csv",
    ),
    (
        "binary-garbage",
        "garbage.csv",
        bytes(range(256)) * 8,
        _import("long-csv", "--indicator", "X"),
        "garbage.csv",
    ),
    # --- expert ratings
    (
        "rating-out-of-scale",
        "ratings.csv",
        "iso3,stakeholder,enabler,rating,year\nKEN,academia,vision_strategy,7,2023\n",
        _import(),
        "line 2",
    ),
    (
        "rating-unknown-stakeholder",
        "ratings2.csv",
        "iso3,stakeholder,enabler,rating,year\nKEN,students,vision_strategy,3,2023\n",
        _import(),
        "students",
    ),
    (
        "rating-not-a-number",
        "ratings3.csv",
        "iso3,stakeholder,enabler,rating,year\nKEN,academia,vision_strategy,good,2023\n",
        _import(),
        "rating",
    ),
    # --- score: data
    ("score-data-does-not-fit-framework", "data8.csv", GOOD_WIDE, _score("asem"), "LPI"),
    (
        "score-framework-file-missing",
        "data9.csv",
        GOOD_WIDE,
        _score("/nonexistent/fw.yaml"),
        "fw.yaml",
    ),
    ("score-non-numeric", "data.csv", "iso3,A,B\nKEN,1,x\nNGA,3,4\n", _score(TINY_FW), "B"),
    ("score-duplicate-unit", "data2.csv", "iso3,A,B\nKEN,1,2\nKEN,3,4\n", _score(TINY_FW), "KEN"),
    ("score-no-unit-column", "data3.csv", "country,A,B\nKEN,1,2\n", _score(TINY_FW), "iso3"),
    ("score-missing-indicator", "data4.csv", "iso3,A\nKEN,1\nNGA,2\n", _score(TINY_FW), "B"),
    ("score-empty", "data5.csv", "", _score(TINY_FW), "data5.csv"),
    (
        "score-unknown-framework",
        "data6.csv",
        GOOD_WIDE,
        _score("no_such_framework"),
        "no_such_framework",
    ),
    (
        "score-geometric-on-zero",
        "data7.csv",
        GOOD_WIDE,
        _score(
            TINY_FW,
            "normalise: {method: minmax, lower: 0, upper: 100}\naggregate: {method: geometric}\n",
        ),
        "geometric",
    ),
    # --- frameworks
    (
        "fw-cycle",
        "fw.yaml",
        textwrap.dedent("""
        code: c
        name: c
        nodes:
          - {code: IDX, name: I}
          - {code: P1, name: P, parent: P2}
          - {code: P2, name: P, parent: P1}
          - {code: A, name: A, parent: P1}
        """),
        _score_bad_fw(""),
        "P1",
    ),
    (
        "fw-orphan",
        "fw2.yaml",
        TINY_FW + "  - {code: C, name: C, parent: NOPE}\n",
        _score_bad_fw(""),
        "NOPE",
    ),
    (
        "fw-zero-weight",
        "fw3.yaml",
        TINY_FW.replace("{code: B, name: B,", "{code: B, name: B, weight: 0,"),
        _score_bad_fw(""),
        "B",
    ),
    (
        "fw-bad-direction",
        "fw4.yaml",
        TINY_FW.replace(
            "{code: B, name: B, parent: P1, direction: 1}",
            "{code: B, name: B, parent: P1, direction: 2}",
        ),
        _score_bad_fw(""),
        "B",
    ),
    (
        "fw-duplicate-code",
        "fw5.yaml",
        TINY_FW + "  - {code: A, name: A2, parent: P1}\n",
        _score_bad_fw(""),
        "A",
    ),
    ("fw-not-yaml", "fw6.yaml", "nodes: [unclosed\n", _score_bad_fw(""), "fw6.yaml"),
    (
        "fw-python-object-tag",
        "fw7.yaml",
        "!!python/object/apply:os.system ['echo pwned']\n",
        _score_bad_fw(""),
        "fw7.yaml",
    ),
    # --- specs
    (
        "spec-unknown-method",
        "spec.yaml",
        "normalise: {method: minmaxx}\n",
        _score_bad_spec(),
        "minmax",
    ),
    (
        "spec-unknown-stage",
        "spec2.yaml",
        "normalize: {method: minmax}\n",
        _score_bad_spec(),
        "normalize",
    ),
    (
        "spec-bad-parameter",
        "spec3.yaml",
        "treat: {method: winsorise, max_point: 5}\n",
        _score_bad_spec(),
        "max_point",
    ),
    (
        "spec-negative-points",
        "spec4.yaml",
        "treat: {method: winsorise, max_points: -1}\n",
        _score_bad_spec(),
        "max_points",
    ),
    (
        "spec-not-a-mapping",
        "spec5.yaml",
        "- normalise\n- aggregate\n",
        _score_bad_spec(),
        "spec5.yaml",
    ),
    (
        "spec-unknown-aggregator",
        "spec6.yaml",
        "aggregate: {method: median}\n",
        _score_bad_spec(),
        "median",
    ),
]


def _digest(p: Path) -> str:
    return hashlib.sha256(p.read_bytes()).hexdigest()


@pytest.mark.parametrize("case", CASES, ids=[c[0] for c in CASES])
def test_bad_input_gives_one_clear_error(case, tmp_path, capsys):
    _id, name, content, argv, needle = case
    inp = tmp_path / name
    if isinstance(content, bytes):
        inp.write_bytes(content)
    else:
        inp.write_text(content, encoding="utf-8")
    before = _digest(inp)
    out = tmp_path / "out" / "result.csv"
    rc = main(argv(inp, out))
    err = capsys.readouterr().err
    assert rc == 2, f"exit {rc}; stderr: {err}"
    assert "Traceback" not in err and "internal error" not in err, err
    assert err.startswith("error: "), err
    assert needle.lower() in err.lower(), f"{needle!r} not named in: {err}"
    assert len(err.strip().splitlines()) <= 12, err  # one or two lines, or a short list
    assert _digest(inp) == before, "the input file was modified"
    assert not out.exists(), "an output file was left behind"
    leftovers = [p for p in tmp_path.rglob("*") if ".tmp" in p.name]
    assert not leftovers, leftovers


def test_debug_shows_the_traceback(tmp_path):
    inp = tmp_path / "empty.csv"
    inp.write_text("")
    from innolab.errors import InnolabError

    with pytest.raises(InnolabError):
        main(["--debug", "data", "import", str(inp), "--out", str(tmp_path / "o.csv")])
