"""Safe writing: atomic files and provenance sidecars.

Nothing innolab writes is ever seen half-written: every file is written to a temporary file in
the target folder, flushed to disk and renamed over the target (``os.replace`` is atomic on
POSIX). A failure leaves the previous version in place and removes the temporary file.
"""

from __future__ import annotations

import contextlib
import copy
import datetime as _dt
import hashlib
import json
import os
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from pathlib import Path
from typing import IO, Any

import pandas as pd

from .errors import DataFileError, ParameterError

__all__ = [
    "atomic_write",
    "write_table",
    "read_table",
    "sha256_file",
    "provenance_path",
    "write_provenance",
    "read_provenance",
    "source_record",
    "safe_name",
    "read_document",
]

_CHUNK = 1 << 20


def _umask_mode(fd_or_path) -> None:
    """Give a temporary file the mode a plain ``open()`` would (mkstemp creates it 0600)."""
    umask = os.umask(0)
    os.umask(umask)
    os.chmod(fd_or_path, 0o666 & ~umask)


@contextlib.contextmanager
def atomic_write(
    path: str | Path, mode: str = "w", *, encoding: str | None = "utf-8"
) -> Iterator[IO]:
    """Open a temporary file beside ``path``; on success rename it over ``path``.

    >>> import tempfile, pathlib
    >>> d = pathlib.Path(tempfile.mkdtemp())
    >>> with atomic_write(d / "a.txt") as f:
    ...     _ = f.write("hello")
    >>> (d / "a.txt").read_text()
    'hello'
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    binary = "b" in mode
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    try:
        with os.fdopen(fd, mode, encoding=None if binary else encoding, newline=None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        _umask_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def _atomic_via_tempname(path: Path, writer) -> None:
    """Run ``writer(tmp_path)`` for libraries that want a file name, then rename atomically."""
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(
        prefix=f".{path.name}.", suffix=f".tmp{path.suffix}", dir=path.parent
    )
    os.close(fd)
    try:
        writer(tmp)
        with open(tmp, "rb+") as fh:
            os.fsync(fh.fileno())
        _umask_mode(tmp)
        os.replace(tmp, path)
    except BaseException:
        with contextlib.suppress(FileNotFoundError):
            os.unlink(tmp)
        raise


def write_table(df: pd.DataFrame, path: str | Path, *, index: bool = False) -> Path:
    """Write ``df`` atomically as CSV, Parquet or XLSX, chosen by the file suffix."""
    path = Path(path)
    suffix = path.suffix.lower()
    if suffix == ".csv":
        with atomic_write(path, "w", encoding="utf-8") as fh:
            df.to_csv(fh, index=index, lineterminator="\n")
    elif suffix == ".parquet":
        _atomic_via_tempname(path, lambda tmp: df.to_parquet(tmp, index=index))
    elif suffix == ".xlsx":
        _atomic_via_tempname(path, lambda tmp: df.to_excel(tmp, index=index, engine="openpyxl"))
    else:
        raise ParameterError(
            "out", f"cannot write {path.name!r}: use a .csv, .parquet or .xlsx file"
        )
    return path


def read_table(path: str | Path) -> pd.DataFrame:
    """Read a table innolab wrote (CSV or Parquet), keeping codes such as 'NA' as text."""
    path = Path(path)
    if not path.exists():
        raise DataFileError(path, "file not found")
    suffix = path.suffix.lower()
    if suffix == ".parquet":
        return pd.read_parquet(path)
    if suffix == ".csv":
        return pd.read_csv(path, keep_default_na=False, na_values=[""])
    raise DataFileError(path, "unsupported table format", expected="a .csv or .parquet file")


def sha256_file(path: str | Path) -> str:
    """Hex SHA-256 of a file, read in 1 MiB chunks."""
    h = hashlib.sha256()
    with open(path, "rb") as fh:
        while chunk := fh.read(_CHUNK):
            h.update(chunk)
    return h.hexdigest()


def provenance_path(path: str | Path) -> Path:
    """``data/processed/panel.parquet`` -> ``data/processed/panel.provenance.json``."""
    path = Path(path)
    return path.with_name(path.stem + ".provenance.json")


def source_record(
    path: str | Path, *, source: str | None = None, retrieved: str | None = None, **extra: Any
) -> dict[str, Any]:
    """Provenance of one input file: path, sha256, size, source name and retrieval date.

    ``retrieved`` defaults to the file's modification date (ISO 8601, UTC).
    """
    p = Path(path)
    stat = p.stat()
    if retrieved is None:
        retrieved = _dt.datetime.fromtimestamp(stat.st_mtime, tz=_dt.UTC).date().isoformat()
    rec = {
        "path": str(p),
        "sha256": sha256_file(p),
        "bytes": stat.st_size,
        "source": source,
        "retrieved": retrieved,
    }
    rec.update(extra)
    return rec


def write_provenance(
    output: str | Path,
    sources: Sequence[Mapping[str, Any]],
    **extra: Any,
) -> Path:
    """Write ``<output>.provenance.json`` beside ``output`` (atomically).

    It records every input (path, sha256, source, retrieval date), the output's own sha256,
    the innolab version and the creation time, plus any ``extra`` fields (e.g. the build spec).
    """
    from . import __version__

    output = Path(output)
    record = {
        "output": output.name,
        "sha256": sha256_file(output) if output.exists() else None,
        "created": _dt.datetime.now(tz=_dt.UTC).isoformat(timespec="seconds"),
        "innolab_version": __version__,
        "sources": [dict(s) for s in sources],
    }
    record.update(extra)
    target = provenance_path(output)
    with atomic_write(target) as fh:
        json.dump(record, fh, indent=2, sort_keys=False, default=str)
        fh.write("\n")
    return target


def read_provenance(output: str | Path) -> dict[str, Any] | None:
    """The provenance record of ``output``, or None when there is none."""
    p = provenance_path(output)
    if not p.exists():
        return None
    with open(p, encoding="utf-8") as fh:
        return json.load(fh)


_MAX_NAME = 120


def safe_name(name: str, *, what: str = "name") -> str:
    """Check that ``name`` can be used as one file name component, and return it.

    Refuses path separators, ``..``, NUL bytes, leading dots and names longer than 120
    characters, so that parameters can never write outside the intended folder.
    """
    if not isinstance(name, str) or not name:
        raise ParameterError(what, "must be a non-empty string")
    bad = (
        "\x00" in name
        or "/" in name
        or "\\" in name
        or name in {".", ".."}
        or name.startswith(".")
        or len(name) > _MAX_NAME
        or any(ord(c) < 32 for c in name)
    )
    if bad:
        raise ParameterError(
            what,
            f"{name[:60]!r} cannot be used as a file name (no path separators, '..', control "
            f"characters or leading dots; at most {_MAX_NAME} characters)",
        )
    return name


# --- YAML/JSON documents (frameworks, specs, vary files, source options) ---------------------
_DOCUMENTS: dict[tuple[str, int, int], Any] = {}
_MAX_DOCUMENTS = 64


def _parse_document(path: Path, text: str) -> Any:
    import yaml

    if path.suffix.lower() == ".json":
        try:
            return json.loads(text)
        except json.JSONDecodeError as exc:
            raise DataFileError(
                path, f"invalid JSON: {exc.msg}", line=exc.lineno, column=str(exc.colno)
            ) from None
    loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)  # libyaml: ~6x faster, same result
    try:
        return yaml.load(text, Loader=loader)  # noqa: S506 -- a safe loader
    except yaml.YAMLError as exc:
        mark = getattr(exc, "problem_mark", None)
        raise DataFileError(
            path,
            f"invalid YAML: {getattr(exc, 'problem', None) or exc}",
            line=mark.line + 1 if mark else None,
            column=str(mark.column + 1) if mark else None,
        ) from None


def read_document(path: str | Path, *, what: str = "document") -> Any:
    """Plain data of a ``.json`` file, else of a YAML file (safe loader only).

    Errors name the file, and the line and column of a syntax error (``what`` says which kind
    of file it is: "spec", "vary", "framework"...). Parsed documents are memoised by path,
    modification time and size, so the framework a country study loads four times is parsed
    once per process; each call returns its own deep copy (callers may change it freely).
    """
    p = Path(path)
    try:
        st = p.stat()
    except FileNotFoundError:
        raise DataFileError(p, f"{what} file not found") from None
    except OSError as exc:
        raise DataFileError(p, f"cannot read {what} file: {exc}") from None
    key = (str(p.resolve()), st.st_mtime_ns, st.st_size)
    if key not in _DOCUMENTS:
        try:
            text = p.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DataFileError(p, f"cannot read {what} file: {exc}") from None
        doc = _parse_document(p, text)
        if len(_DOCUMENTS) >= _MAX_DOCUMENTS:
            _DOCUMENTS.clear()
        _DOCUMENTS[key] = doc
    return copy.deepcopy(_DOCUMENTS[key])
