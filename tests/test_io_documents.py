"""innolab.io.read_document: YAML/JSON files read safely, with errors that point at the line."""

from __future__ import annotations

import os

import pytest

from innolab.errors import DataFileError
from innolab.io import read_document


def test_yaml_and_json_give_the_same_plain_data(tmp_path):
    y = tmp_path / "a.yaml"
    y.write_text("code: x\nnodes:\n  - {code: a, weight: 2}\n", encoding="utf-8")
    j = tmp_path / "a.json"
    j.write_text('{"code": "x", "nodes": [{"code": "a", "weight": 2}]}', encoding="utf-8")
    expected = {"code": "x", "nodes": [{"code": "a", "weight": 2}]}
    assert read_document(y) == expected == read_document(j)


def test_every_call_returns_its_own_copy(tmp_path):
    y = tmp_path / "a.yaml"
    y.write_text("nodes: [1, 2]\n", encoding="utf-8")
    first = read_document(y)
    first["nodes"].append(3)
    assert read_document(y) == {"nodes": [1, 2]}


def test_a_changed_file_is_read_again(tmp_path):
    y = tmp_path / "a.yaml"
    y.write_text("v: 1\n", encoding="utf-8")
    assert read_document(y) == {"v": 1}
    y.write_text("v: 22\n", encoding="utf-8")  # other size
    st = y.stat()
    os.utime(y, ns=(st.st_atime_ns, st.st_mtime_ns + 10**9))
    assert read_document(y) == {"v": 22}


def test_yaml_syntax_error_names_file_line_and_column(tmp_path):
    y = tmp_path / "bad.yaml"
    y.write_text("a: 1\nb: [1, 2\nc: 3\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        read_document(y, what="spec")
    msg = str(err.value)
    assert "bad.yaml" in msg and "invalid YAML" in msg and "line" in msg


def test_json_syntax_error_names_the_line(tmp_path):
    j = tmp_path / "bad.json"
    j.write_text('{\n  "a": 1,\n  "b": \n}', encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        read_document(j)
    assert err.value.line == 4 and "invalid JSON" in str(err.value)


def test_missing_file_and_unsafe_tags_are_errors(tmp_path):
    with pytest.raises(DataFileError, match="vary file not found"):
        read_document(tmp_path / "none.yaml", what="vary")
    y = tmp_path / "evil.yaml"
    y.write_text("x: !!python/object/apply:os.system ['true']\n", encoding="utf-8")
    with pytest.raises(DataFileError, match="invalid YAML"):
        read_document(y)


def test_source_options_and_mapping_files_use_the_shared_reader(tmp_path):
    from innolab.sources.table import resolve_mapping
    from innolab.store import _folder_options

    bad = tmp_path / "source.yaml"
    bad.write_text("format: table\nmapping: [a\n", encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        _folder_options(bad)
    assert "source.yaml" in str(err.value) and "invalid YAML" in str(err.value)
    assert err.value.line is not None
    m = tmp_path / "m.json"
    m.write_text('{"country": "Economy",\n "year": }', encoding="utf-8")
    with pytest.raises(DataFileError) as err:
        resolve_mapping(str(m))
    assert err.value.line == 2 and "invalid JSON" in str(err.value)
