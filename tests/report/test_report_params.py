"""Parameters and names are checked before any kernel starts (no kernels in this file)."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from innolab.errors import ParameterError, UnknownCountryError
from innolab.report import Task, inputs_hash, run_batch, run_notebook
from innolab.report.batch import resolve_countries
from innolab.report.run import Template, check_parameters

NB = Path(__file__).resolve().parents[1] / "data" / "notebooks"
TINY = NB / "tiny.ipynb"


def test_template_parameters_come_from_papermill():
    assert list(Template(TINY).parameters) == ["iso3", "name", "year", "code"]


def test_unknown_parameters_are_named_before_any_kernel_starts(tmp_path):
    out = tmp_path / "countries"
    with pytest.raises(ParameterError) as err:
        run_batch(
            TINY,
            [{"iso3": "KEN", "countyr": "x"}, {"iso3": "NA", "yaer": 1}],
            out,
            validate=None,
            progress=False,
        )
    assert err.value.name == "countyr, yaer"
    assert "not a parameter of tiny.ipynb" in str(err.value)
    assert "iso3, name, year, code" in str(err.value)
    assert not out.exists()  # nothing started, nothing written
    with pytest.raises(ParameterError, match="'zz'"):
        run_notebook(TINY, {"zz": 1}, tmp_path / "x.ipynb")
    assert not (tmp_path / "x.ipynb").exists()


def test_validate_hook_rejects_values_before_any_kernel(tmp_path):
    def known_iso3(params):
        if params["iso3"] not in {"KEN", "NA", "NO"}:
            raise UnknownCountryError({params["iso3"]: ["KEN"]})

    with pytest.raises(UnknownCountryError, match="'KNE'"):
        run_batch(TINY, [{"iso3": "KEN"}, {"iso3": "KNE"}], tmp_path / "o", validate=known_iso3)
    with pytest.raises(ParameterError, match="rejected by the validator: iso3='NA'"):
        check_parameters(Template(TINY), [{"iso3": "NA"}], validate=lambda p: False)
    assert not (tmp_path / "o").exists()


@pytest.mark.parametrize(
    "name",
    ["../evil", "/etc/passwd", "a/b", "a\\b", "nul\x00byte", "x" * 200, ".hidden", "..", ""],
)
def test_output_names_cannot_escape_the_folder(tmp_path, name):
    out = tmp_path / "reports" / "countries"
    with pytest.raises(ParameterError):
        run_batch(TINY, [{"iso3": name}], out, validate=None, progress=False)
    with pytest.raises(ParameterError):
        run_batch(TINY, [Task(name, {"iso3": "KEN"})], out, validate=None, progress=False)
    assert not (tmp_path / "reports").exists()


def test_duplicate_and_missing_names(tmp_path):
    with pytest.raises(ParameterError, match="'KEN' is used by more than one"):
        run_batch(TINY, [{"iso3": "KEN"}, {"iso3": "KEN", "year": 2020}], tmp_path, validate=None)
    with pytest.raises(ParameterError, match="has no 'iso3'"):
        run_batch(TINY, [{"year": 2020}], tmp_path, validate=None)
    with pytest.raises(ParameterError, match="no notebooks to run"):
        run_batch(TINY, [], tmp_path, validate=None)


def test_template_without_parameters_cell(tmp_path):
    import nbformat

    nb = nbformat.v4.new_notebook(cells=[nbformat.v4.new_code_cell("x = 1")])
    path = tmp_path / "bare.ipynb"
    nbformat.write(nb, path)
    with pytest.raises(ParameterError, match="no cell tagged 'parameters'"):
        run_batch(path, [{"iso3": "KEN"}], tmp_path / "o", validate=None)
    with pytest.raises(ParameterError, match="not found"):
        run_batch(tmp_path / "missing.ipynb", [{"iso3": "KEN"}], tmp_path / "o")


def test_bad_options(tmp_path):
    with pytest.raises(ParameterError, match="executor"):
        run_batch(TINY, [{"iso3": "KEN"}], tmp_path, executor="slurm")
    with pytest.raises(ParameterError, match="jobs"):
        run_batch(TINY, [{"iso3": "KEN"}], tmp_path, jobs=0)


def test_dask_absent_is_a_clear_error(tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "distributed", None)
    with pytest.raises(ParameterError, match=r"pip install 'dask\[distributed\]'"):
        run_batch(
            TINY,
            [{"iso3": "KEN"}],
            tmp_path / "o",
            executor="dask",
            scheduler="tcp://x:1",
            validate=None,
        )
    assert not (tmp_path / "o").exists()


def test_country_lists_are_kept_exactly():
    assert resolve_countries("NA,NO, 0404") == ["NA", "NO", "0404"]
    with pytest.raises(ParameterError, match="no country"):
        resolve_countries(" , ")


def test_country_groups_come_from_the_reference_table():
    afr = resolve_countries("region:AFR")
    assert {"KEN", "NAM", "NGA"} <= set(afr) and "FRA" not in afr and "SSF" not in afr
    assert (
        resolve_countries("region:Sub-Saharan Africa")[:3]
        == resolve_countries("region:sub-saharan africa")[:3]
    )
    lic = resolve_countries("income:LIC")
    assert lic == resolve_countries("income:Low income") and "NOR" not in lic
    demo = resolve_countries("demo")
    assert demo and all(code.startswith("X") for code in demo)
    assert set(demo) < set(resolve_countries("all"))
    with pytest.raises(ParameterError, match="no economy matches"):
        resolve_countries("region:ATLANTIS")
    with pytest.raises(ParameterError, match="use all, demo"):
        resolve_countries("continent:Europe")


def test_unknown_iso3_is_rejected_by_default_before_any_kernel(tmp_path):
    """The default validator checks codes exactly: 'NA' is not Namibia (NAM)."""
    with pytest.raises(UnknownCountryError) as err:
        run_batch(TINY, [{"iso3": "KEN"}, {"iso3": "KNE"}], tmp_path / "o", progress=False)
    assert list(err.value.unknown) == ["KNE"]
    assert err.value.unknown["KNE"] and "did you mean" in str(err.value)
    with pytest.raises(UnknownCountryError, match="'NA'"):
        run_batch(TINY, [{"iso3": "NA"}], tmp_path / "o", progress=False)
    assert not (tmp_path / "o").exists()


_values = st.one_of(
    st.none(), st.booleans(), st.integers(), st.floats(allow_nan=False), st.text(max_size=5)
)


@given(st.dictionaries(st.text(min_size=1, max_size=5), _values, min_size=1, max_size=5))
def test_inputs_hash_ignores_key_order_but_not_values(params):
    reordered = dict(reversed(list(params.items())))
    assert inputs_hash("t", params) == inputs_hash("t", reordered)
    assert inputs_hash("t", params) != inputs_hash("u", params)
    key = next(iter(params))
    changed = {**params, key: ["changed"]}
    assert inputs_hash("t", params) != inputs_hash("t", changed)


def test_inputs_hash_tells_types_apart():
    assert inputs_hash("t", {"x": 1}) != inputs_hash("t", {"x": 1.0})
    assert inputs_hash("t", {"x": 1}) != inputs_hash("t", {"x": True})
    assert inputs_hash("t", {"x": "NA"}) != inputs_hash("t", {"x": None})
    assert inputs_hash("t", {"x": 1}, data={"a.csv": "00"}) != inputs_hash(
        "t", {"x": 1}, data={"a.csv": "01"}
    )
