"""Registries of scoring methods, looked up by name.

Every method family of the scoring engine (imputation, treatment, normalisation, weighting,
aggregation) is a :class:`Registry`: a method is a plain function registered under a name, a
stage verb looks it up with :meth:`Registry.get`, and an unknown name raises
:class:`~innolab.errors.UnknownMethodError` listing the valid names (COINr dispatches ``f_n`` /
``f_ag`` the same way; papermill's engine registry is the model for the error).

The registries are created here, empty; each method module (``impute.py``, ``treat.py``, ...)
registers its methods on import. A registry knows which module fills it and imports that module
the first time it is asked for a name, so ``NORMALISERS.get("minmax")`` works even when only this
module has been imported.
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Iterator, Mapping
from types import MappingProxyType
from typing import Any

from ..errors import UnknownMethodError

__all__ = [
    "Registry",
    "IMPUTERS",
    "TREATMENTS",
    "NORMALISERS",
    "WEIGHTINGS",
    "AGGREGATORS",
    "REGISTRIES",
]


class Registry:
    """A named family of methods: ``register(name)(fn)``, ``get(name)``, ``names()``.

    Parameters
    ----------
    kind : str
        What the methods do ("impute", "normalise", ...); used in error messages.
    module : str, optional
        Dotted name of the module whose import registers the methods; imported lazily on the
        first lookup.

    Examples
    --------
    >>> reg = Registry("demo")
    >>> @reg.register("double", scope="column")
    ... def double(x):
    ...     return 2 * x
    >>> reg.get("double")(3)
    6
    >>> reg.meta("double")["scope"]
    'column'
    >>> reg.names()
    ['double']
    """

    def __init__(self, kind: str, *, module: str | None = None):
        self.kind = kind
        self._module = module
        self._loaded = module is None
        self._methods: dict[str, Callable[..., Any]] = {}
        self._meta: dict[str, Mapping[str, Any]] = {}

    def _load(self) -> None:
        if not self._loaded:
            self._loaded = True
            importlib.import_module(self._module)

    def register(
        self, name: str, **meta: Any
    ) -> Callable[[Callable[..., Any]], Callable[..., Any]]:
        """Decorator registering ``fn`` under ``name`` with optional metadata (``scope=...``).

        Registering the same name twice with a different function is an error (it would
        silently change what a recorded spec means).
        """

        def decorator(fn: Callable[..., Any]) -> Callable[..., Any]:
            old = self._methods.get(name)
            if (
                old is not None
                and old is not fn
                and getattr(old, "__qualname__", None) != getattr(fn, "__qualname__", None)
            ):
                raise ValueError(f"{self.kind} method {name!r} is already registered")
            self._methods[name] = fn
            self._meta[name] = MappingProxyType(dict(meta))
            return fn

        return decorator

    def get(self, name: str) -> Callable[..., Any]:
        """The method registered as ``name``; UnknownMethodError listing the valid names."""
        self._load()
        try:
            return self._methods[name]
        except (KeyError, TypeError):
            raise UnknownMethodError(self.kind, str(name), self._methods) from None

    def meta(self, name: str) -> Mapping[str, Any]:
        """Metadata given at registration (read-only mapping)."""
        self.get(name)
        return self._meta[name]

    def names(self) -> list[str]:
        """Registered names, sorted."""
        self._load()
        return sorted(self._methods)

    def __contains__(self, name: object) -> bool:
        self._load()
        return name in self._methods

    def __iter__(self) -> Iterator[str]:
        return iter(self.names())

    def __len__(self) -> int:
        self._load()
        return len(self._methods)

    def __repr__(self) -> str:
        return f"Registry({self.kind!r}, methods={self.names()})"


IMPUTERS = Registry("impute", module="innolab.scoring.impute")
TREATMENTS = Registry("treat", module="innolab.scoring.treat")
NORMALISERS = Registry("normalise", module="innolab.scoring.normalise")
WEIGHTINGS = Registry("weight", module="innolab.scoring.weights")
AGGREGATORS = Registry("aggregate", module="innolab.scoring.aggregate")

#: every registry by stage name (for ``innolab list-methods``)
REGISTRIES: Mapping[str, Registry] = MappingProxyType(
    {
        "impute": IMPUTERS,
        "treat": TREATMENTS,
        "normalise": NORMALISERS,
        "weight": WEIGHTINGS,
        "aggregate": AGGREGATORS,
    }
)
