"""Typed errors that carry their context.

Every error innolab raises on purpose derives from :class:`InnolabError` and names what is
wrong and where: the file, line and column, the country or the framework code, and what was
expected. The CLI prints ``str(error)`` in one or two lines and exits non-zero; tracebacks are
shown only with ``--debug``.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from difflib import get_close_matches
from pathlib import Path

__all__ = [
    "InnolabError",
    "DataFileError",
    "IncompleteDataError",
    "FrameworkError",
    "SpecError",
    "UnknownMethodError",
    "ParameterError",
    "UnknownCountryError",
    "CoverageError",
    "NetworkError",
    "ComputationError",
    "near_matches",
]


def near_matches(name: str, candidates: Iterable[str], n: int = 3) -> list[str]:
    """Up to ``n`` candidates that look like ``name`` (for "did you mean" hints)."""
    cands = [str(c) for c in candidates]
    lower = {c.lower(): c for c in cands}
    hits = get_close_matches(str(name).lower(), list(lower), n=n, cutoff=0.6)
    return [lower[h] for h in hits]


class InnolabError(Exception):
    """Base class of every error innolab raises deliberately."""

    exit_code = 2

    def __init__(self, message: str):
        super().__init__(message)
        self.message = message

    def __str__(self) -> str:
        return self.message


class DataFileError(InnolabError):
    """A data file cannot be read as expected.

    ``line`` is the 1-based line in the file as a text editor shows it (header = line 1, or the
    line of the header after a preamble); ``column`` is the column name or sheet cell.
    """

    def __init__(
        self,
        path: str | Path | None,
        problem: str,
        *,
        line: int | None = None,
        column: str | None = None,
        expected: str | None = None,
        found: object = None,
    ):
        self.path = str(path) if path is not None else None
        self.line = line
        self.column = column
        self.problem = problem
        self.expected = expected
        self.found = found
        where = self.path or "<data>"
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column!r}"
        msg = f"{where}: {problem}"
        if found is not None:
            msg += f" (found {found!r})"
        if expected:
            msg += f"; expected {expected}"
        super().__init__(msg)


class IncompleteDataError(DataFileError):
    """A multi-part result (paged API response, multi-file download) is missing parts."""


class FrameworkError(InnolabError):
    """A framework (index structure) is invalid. ``problems`` lists every problem found."""

    def __init__(self, problems: Sequence[str], *, source: str | None = None):
        self.problems = list(problems)
        self.source = source
        head = f"invalid framework{f' {source}' if source else ''}"
        if len(self.problems) == 1:
            msg = f"{head}: {self.problems[0]}"
        else:
            msg = f"{head} ({len(self.problems)} problems):\n" + "\n".join(
                f"  - {p}" for p in self.problems
            )
        super().__init__(msg)


class SpecError(InnolabError):
    """A build spec (or a vary file for sensitivity analysis) is invalid."""

    def __init__(self, problem: str, *, path: str | None = None, key: str | None = None):
        self.path = path
        self.key = key
        where = " ".join(x for x in (path and f"{path}:", key and f"{key}:") if x)
        super().__init__(f"{where} {problem}".strip())


class UnknownMethodError(SpecError):
    """A method name that is not registered; the message lists the valid ones."""

    def __init__(self, kind: str, name: str, valid: Iterable[str]):
        self.kind = kind
        self.name = name
        self.valid = sorted(valid)
        hint = near_matches(name, self.valid, n=1)
        msg = f"unknown {kind} method {name!r}; valid: {', '.join(self.valid)}"
        if hint:
            msg += f" (did you mean {hint[0]!r}?)"
        super().__init__(msg)


class ParameterError(InnolabError):
    """A parameter (function, CLI or notebook) has a value that is not allowed."""

    def __init__(self, name: str, problem: str):
        self.name = name
        super().__init__(f"parameter {name!r}: {problem}")


class UnknownCountryError(InnolabError):
    """Country names or codes that cannot be matched; lists each with near matches."""

    def __init__(self, unknown: dict[str, list[str]], *, source: str | None = None):
        self.unknown = dict(unknown)
        self.source = source
        parts = []
        for name, hints in self.unknown.items():
            parts.append(f"{name!r}" + (f" (did you mean {', '.join(hints)}?)" if hints else ""))
        where = f"{source}: " if source else ""
        noun = "country" if len(parts) == 1 else "countries"
        super().__init__(f"{where}unknown {noun}: " + "; ".join(parts))


class CoverageError(InnolabError):
    """Not enough data for the requested computation (a year with no data, an empty group)."""


class NetworkError(InnolabError):
    """A remote source could not be reached or answered with something invalid."""


class ComputationError(InnolabError):
    """A method cannot be applied to these values (e.g. a geometric mean over zeros)."""
