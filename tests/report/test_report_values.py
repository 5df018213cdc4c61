"""The values a batch's notebooks share (year, framework, the template itself) are checked once.

Hand-written cases with literal expectations for :mod:`innolab.report.parameters` and
:func:`innolab.report.run.parse_notebook`, the order of the checks of ``run_country_batch``,
and the parameters ``make reports`` gives the country profiles (on the demo data).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from innolab import config
from innolab.errors import CoverageError, DataFileError, FrameworkError, ParameterError
from innolab.framework import available_frameworks
from innolab.report import batch
from innolab.report.parameters import (
    check_framework,
    check_study_parameters,
    check_year,
    format_years,
    panel_years,
)
from innolab.report.run import Template, parse_notebook

NB = Path(__file__).resolve().parents[1] / "data" / "notebooks"
PROFILE = config.TEMPLATES_DIR / "country_profile.ipynb"


def _panel(folder: Path, years: list[int], values: list[float]) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    pd.DataFrame(
        {
            "iso3": "KEN",
            "indicator": "X",
            "year": years,
            "value": values,
            "source": "test",
        }
    ).to_parquet(folder / "panel.parquet")
    return folder


# --- years ---------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "years, text",
    [
        ([], "none"),
        ([2020], "2020"),
        ([2021, 2020], "2020–2021"),
        ([2010, 2012, 2011, 2015, 2017, 2018, 2019, 2012], "2010–2012, 2015, 2017–2019"),
    ],
)
def test_format_years(years, text):
    assert format_years(years) == text


def test_check_year_accepts_the_data_years_and_the_gaps_between_them():
    years = [2010, 2011, 2013]
    assert check_year(2010, years) == 2010
    assert check_year(2012, years) == 2012  # a gap: the data window reaches back to 2011
    got = check_year(np.int64(2013), years)
    assert got == 2013 and type(got) is int


@pytest.mark.parametrize("year", [2009, 2014, 1799, 99999, -2013])
def test_check_year_outside_the_data_names_the_years_that_exist(year):
    with pytest.raises(ParameterError) as err:
        check_year(year, [2013, 2010, 2011])
    assert str(err.value) == (
        f"parameter 'year': no data for {year}; the data have values for 2010–2011, 2013"
    )


@pytest.mark.parametrize("year", ["2010", 2010.0, True, None])
def test_check_year_wants_a_whole_number(year):
    with pytest.raises(ParameterError, match="must be a whole number"):
        check_year(year, [2010])


def test_check_year_without_any_year_is_a_coverage_error():
    with pytest.raises(CoverageError):
        check_year(2010, [])


def test_panel_years_counts_only_years_with_a_value(tmp_path):
    folder = _panel(tmp_path / "p", [2012, 2010, 2015, 2012], [1.0, 2.0, np.nan, np.nan])
    assert panel_years(folder) == (2010, 2012)
    assert panel_years(str(folder)) == (2010, 2012)


def test_panel_years_sees_a_rewritten_panel(tmp_path):
    folder = _panel(tmp_path / "p", [2010], [1.0])
    assert panel_years(folder) == (2010,)
    _panel(folder, [2010, 2011, 2012], [1.0, 1.0, 1.0])  # another size: not the memo's entry
    assert panel_years(folder) == (2010, 2011, 2012)


def test_panel_years_defaults_to_the_processed_folder(tmp_path, monkeypatch):
    monkeypatch.setattr(config, "PROCESSED_DIR", _panel(tmp_path / "p", [2019], [3.0]))
    assert panel_years("") == (2019,) and panel_years(None) == (2019,)


def test_panel_years_missing_panel_says_how_to_make_it(tmp_path):
    with pytest.raises(DataFileError) as err:
        panel_years(tmp_path / "nowhere")
    msg = str(err.value)
    assert str(tmp_path / "nowhere" / "panel.parquet") in msg
    assert "innolab data build" in msg and "-p data=FOLDER" in msg


def test_panel_years_unreadable_or_empty_panel(tmp_path):
    bad = tmp_path / "bad"
    bad.mkdir()
    (bad / "panel.parquet").write_text("password=hunter2\n")
    with pytest.raises(DataFileError) as err:
        panel_years(bad)
    assert "panel.parquet" in str(err.value) and "hunter2" not in str(err.value)
    empty = _panel(tmp_path / "empty", [2010, 2011], [np.nan, np.nan])
    with pytest.raises(CoverageError, match="holds no value"):
        panel_years(empty)


# --- frameworks ----------------------------------------------------------------------------


def test_shipped_frameworks_are_accepted_by_name():
    assert available_frameworks() == ["asem", "digital_innovation", "digital_innovation_gii"]
    for name in available_frameworks():
        assert check_framework(name) == config.FRAMEWORKS_DIR / f"{name}.yaml"


def test_framework_file_is_loaded_to_check_it(tmp_path):
    good = tmp_path / "mine.yml"
    good.write_text("code: t\nnodes:\n  - {code: I}\n  - {code: a, parent: I}\n")
    assert check_framework(str(good)) == good
    bad = tmp_path / "orphan.yaml"
    bad.write_text("code: t\nnodes:\n  - {code: I}\n  - {code: a, parent: Z}\n")
    with pytest.raises(FrameworkError, match="a: unknown parent 'Z'"):
        check_framework(str(bad))


def test_unknown_framework_name_lists_the_shipped_ones_and_near_matches():
    with pytest.raises(ParameterError) as err:
        check_framework("digital_inovation")
    assert str(err.value) == (
        "parameter 'framework': 'digital_inovation' is neither a shipped framework (asem, "
        "digital_innovation, digital_innovation_gii) nor a framework file (.yaml, .yml, "
        ".json, .csv); did you mean digital_innovation, digital_innovation_gii?"
    )


def test_a_path_that_is_not_a_framework_file_is_never_opened(tmp_path, monkeypatch):
    secret = tmp_path / "passwd"
    secret.write_text("root:x:0:0:hunter2\n")
    opened = []
    real_open = Path.open

    def spy(self, *a, **k):
        opened.append(self)
        return real_open(self, *a, **k)

    monkeypatch.setattr(Path, "open", spy)
    for value in (str(secret), "../../etc/passwd", "/etc/passwd"):
        with pytest.raises(ParameterError) as err:
            check_framework(value)
        assert f"{value!r} is neither a shipped framework" in str(err.value)
        assert "hunter2" not in str(err.value) and "root:" not in str(err.value)
    assert secret not in opened


@pytest.mark.parametrize(
    "value, words",
    [
        ("", "must be a framework name or file"),
        (3, "must be a framework name or file, not 3"),
        ("asem\x00.yaml", "contains a NUL byte"),
        ("missing.yaml", "the framework file 'missing.yaml' does not exist"),
    ],
)
def test_framework_values_refused(value, words):
    with pytest.raises(ParameterError, match=words.replace(".", r"\.")):
        check_framework(value)


# --- what a template declares --------------------------------------------------------------


def test_study_parameters_follow_the_template_declarations(tmp_path, monkeypatch):
    folder = _panel(tmp_path / "p", [2015, 2016], [1.0, 1.0])
    study = Template(PROFILE).parameters
    assert {"year", "framework", "data"} <= set(study)
    check_study_parameters(study, {"year": 2016, "framework": "asem", "data": str(folder)})
    with pytest.raises(
        ParameterError, match="no data for 2017; the data have values for 2015–2016"
    ):
        check_study_parameters(study, {"year": 2017, "data": str(folder)})
    with pytest.raises(ParameterError, match="NUL byte"):
        check_study_parameters(study, {"year": 2016, "data": "p\x00"})
    # the template's own default data folder ("" = config.PROCESSED_DIR) when none is given;
    # pointed at an empty place so the test does not depend on whether `make reports` ran here
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "never-built")
    with pytest.raises(DataFileError, match="the processed panel does not exist"):
        check_study_parameters(study, {"year": 2016})
    # undeclared parameters are not this module's business; a year without data: its type only
    tiny = Template(NB / "tiny.ipynb").parameters
    assert "data" not in tiny and "framework" not in tiny
    check_study_parameters(tiny, {"year": 1799, "framework": "not checked"})
    with pytest.raises(ParameterError, match="whole number"):
        check_study_parameters(tiny, {"year": "2020"})


def test_make_reports_parameters_validate_on_the_demo_data(tmp_path):
    from innolab.store import build as store_build
    from innolab.studies import latest_year

    processed = tmp_path / "processed"
    store_build(config.RAW_DIR, processed)
    panel = pd.read_parquet(processed / "panel.parquet")
    years = panel_years(processed)
    assert years == tuple(sorted(int(y) for y in panel["year"].unique()))
    declared = Template(PROFILE).parameters
    for framework in ("digital_innovation", "digital_innovation_gii"):  # asem: no demo data
        year = latest_year(panel, framework)
        assert year == years[-1] == 2023
        params = {
            "year": year,
            "framework": framework,
            "peers": "income_group",
            "data": str(processed.resolve()),
        }
        check_study_parameters(declared, params)
    with pytest.raises(ParameterError, match=f"no data for {years[-1] + 1}"):
        check_study_parameters(declared, {"year": years[-1] + 1, "data": str(processed)})


# --- run_country_batch: what is checked, in which order -----------------------------------


@pytest.fixture
def captured(monkeypatch):
    calls = []
    monkeypatch.setattr(batch, "run_batch", lambda *a, **k: calls.append((a, k)) or "ran")
    return calls


@pytest.mark.parametrize(
    "params, message",
    [
        (
            {"iso3": "NOR"},
            "parameter 'iso3': 'NOR' given with -p, but the batch sets iso3 for every notebook; "
            "use --countries instead",
        ),
        (
            {"year": "2020"},
            "parameter 'year': '2020' given with -p, but the batch sets year for every "
            "notebook; use --year instead",
        ),
    ],
)
def test_iso3_and_year_have_their_own_options(params, message, tmp_path, captured):
    with pytest.raises(ParameterError) as err:
        batch.run_country_batch(NB / "tiny.ipynb", "KEN", tmp_path, params=params)
    assert str(err.value) == message and captured == []


def test_names_and_countries_are_checked_before_values(tmp_path, captured, monkeypatch):
    monkeypatch.setattr(config, "PROCESSED_DIR", tmp_path / "none")  # no panel at all
    with pytest.raises(ParameterError, match="'frmework': not a parameter"):
        batch.run_country_batch(PROFILE, "KEN", tmp_path, year=1799, params={"frmework": "x"})
    with pytest.raises(Exception, match="unknown country: 'XYZ'"):
        batch.run_country_batch(PROFILE, "KEN,XYZ", tmp_path, year=1799)
    with pytest.raises(DataFileError, match="the processed panel does not exist"):
        batch.run_country_batch(PROFILE, "KEN", tmp_path, year=1799)
    assert captured == []


def test_valid_values_reach_run_batch_unchanged(tmp_path, captured, monkeypatch):
    monkeypatch.setattr(config, "PROCESSED_DIR", _panel(tmp_path / "p", [2020, 2023], [1.0, 2.0]))
    got = batch.run_country_batch(
        PROFILE, "KEN,NAM", tmp_path / "o", year=2021, params={"framework": "asem"}, jobs=1
    )
    assert got == "ran"
    (template, sets, out), kwargs = captured[0]
    assert isinstance(template, Template) and template.path == PROFILE.resolve()
    assert sets == [
        {"framework": "asem", "year": 2021, "iso3": "KEN"},
        {"framework": "asem", "year": 2021, "iso3": "NAM"},
    ]
    assert out == tmp_path / "o" and kwargs == {"name": "iso3", "jobs": 1}


# --- a template that is not a notebook -----------------------------------------------------


@pytest.mark.parametrize(
    "text, why",
    [
        ("password=hunter2\n", "not JSON (line 1, column 1)"),
        ('{"cells": [],\n "nbformat": 4, "x": "hunter2"', "not JSON (line 2, column 31)"),
        ('["hunter2"]', "a JSON document without the 'cells' and 'nbformat' keys"),
        ('{"password": "hunter2"}', "a JSON document without the 'cells' and 'nbformat' keys"),
        ('{"cells": [], "nbformat": "hunter2"}', "nbformat cannot read it ("),
    ],
)
def test_parse_notebook_names_the_file_never_its_content(text, why, tmp_path):
    path = tmp_path / "t.ipynb"
    path.write_text(text)
    with pytest.raises(ParameterError) as err:
        parse_notebook(text, path)
    msg = str(err.value)
    assert msg.startswith(f"parameter 'notebook': {str(path)!r} is not a valid Jupyter notebook: ")
    assert why in msg and "hunter2" not in msg
    with pytest.raises(ParameterError) as err:  # through a template, as the batch reads it
        _ = Template(path).parameters
    assert str(err.value) == msg


def test_template_that_is_not_utf8_text(tmp_path):
    path = tmp_path / "t.ipynb"
    path.write_bytes(b'{"cells": "\xffhunter2"}')
    with pytest.raises(ParameterError) as err:
        Template(path)
    assert str(err.value) == (
        f"parameter 'notebook': {str(path)!r} is not a valid Jupyter notebook: not UTF-8 text "
        "(byte 11)"
    )


def test_parse_notebook_reads_a_real_template():
    nb = parse_notebook((NB / "tiny.ipynb").read_text(), NB / "tiny.ipynb")
    assert nb.nbformat == 4 and json.loads(json.dumps(nb))["cells"]
