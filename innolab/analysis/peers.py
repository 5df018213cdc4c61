"""Peer sets for a country study: regions, income groups, explicit lists, nearest neighbours.

A country's scores mean little alone; country studies compare it with a peer group. innolab
supports the groupings of METHOD.md §4: ITU-D region, World Bank region and income group (with
the classification vintage of the study year), explicit lists, and the k nearest neighbours by
GDP per capita on a log scale.

Classifications come from :func:`innolab.countries.classification` unless a Series
``iso3 -> group`` is passed directly (demo economies, tests, another vintage read from a file).

Membership policy (decided once, used everywhere):

* a **grouping** (region, income group) gives every unit of the country's group *including the
  country itself*, as in GII's "income group median";
* **nearest neighbours** give the ``k`` other units closest in log GDP per capita (the country
  itself is never one of its own neighbours);
* an **explicit list** is used as given (deduplicated, order kept).

Peers are restricted to ``units`` (the units of the build) when that is given. An empty peer set
is a :class:`~innolab.errors.CoverageError` naming the country and the grouping.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from ..errors import CoverageError, ParameterError, UnknownCountryError, near_matches

__all__ = ["GROUPINGS", "get_classification", "peer_group", "nearest_peers", "resolve_peers"]

#: Classification schemes understood by :func:`peer_group`.
GROUPINGS: tuple[str, ...] = ("itu_region", "wb_region", "income_group")


def get_classification(
    scheme: str, *, vintage: int | None = None, classification: pd.Series | None = None
) -> pd.Series:
    """The ``iso3 -> group`` Series for ``scheme`` (passed in, or from innolab.countries)."""
    if classification is not None:
        if not isinstance(classification, pd.Series):
            raise ParameterError("classification", "must be a pandas Series iso3 -> group")
        return classification
    if scheme not in GROUPINGS:
        raise ParameterError("by", f"{scheme!r} is not one of {', '.join(GROUPINGS)}")
    from ..countries import classification as _classification

    return _classification(scheme, vintage=vintage)


def _restrict(codes: Iterable[str], units: Iterable[str] | None) -> list[str]:
    codes = list(dict.fromkeys(str(c) for c in codes))
    if units is None:
        return codes
    keep = {str(u) for u in units}
    return [c for c in codes if c in keep]


def peer_group(
    iso3: str,
    by: str,
    *,
    classification: pd.Series | None = None,
    vintage: int | None = None,
    units: Iterable[str] | None = None,
    include_self: bool = True,
) -> list[str]:
    """Units in the same group as ``iso3`` under scheme ``by``, sorted by code.

    Parameters
    ----------
    iso3 : the country.
    by : "itu_region", "wb_region" or "income_group" (any label when ``classification`` given).
    classification : Series ``iso3 -> group`` to use instead of innolab.countries.
    vintage : classification vintage (fiscal/data year); None = latest.
    units : restrict peers to these units (the units of the build).
    include_self : keep ``iso3`` in its own group (default, see the module notes).

    Raises
    ------
    CoverageError : ``iso3`` has no group under ``by``, or the group has no unit in ``units``.

    Examples
    --------
    >>> cls = pd.Series({"KEN": "AFR", "NGA": "AFR", "FRA": "EUR"})
    >>> peer_group("KEN", "itu_region", classification=cls)
    ['KEN', 'NGA']
    """
    cls = get_classification(by, vintage=vintage, classification=classification)
    if iso3 not in cls.index:
        raise CoverageError(
            f"{iso3} has no {by} group"
            + (f" in the {vintage} classification" if vintage is not None else "")
        )
    group = cls.loc[iso3]
    if isinstance(group, pd.Series):
        raise ParameterError("classification", f"{iso3} appears more than once")
    if pd.isna(group):
        raise CoverageError(f"{iso3} has no {by} group (not classified)")
    members = sorted(str(c) for c in cls.index[cls == group])
    peers = _restrict(members, units)
    if not include_self:
        peers = [c for c in peers if c != iso3]
    if not peers:
        raise CoverageError(f"no peers of {iso3} in its {by} group {group!r} among the units")
    return peers


def nearest_peers(
    iso3: str,
    gdp_per_capita: pd.Series,
    *,
    k: int = 5,
    units: Iterable[str] | None = None,
) -> list[str]:
    """The ``k`` units closest to ``iso3`` in log GDP per capita, nearest first.

    Distance is ``|ln g_i - ln g_country|``; ties are broken by code. Units with missing GDP
    per capita are skipped; a non-positive value is a :class:`ParameterError` naming the units.

    Examples
    --------
    >>> g = pd.Series({"A": 1000.0, "B": 1100.0, "C": 900.0, "D": 5000.0})
    >>> nearest_peers("A", g, k=2)
    ['B', 'C']
    """
    if k < 1:
        raise ParameterError("k", f"must be at least 1, got {k}")
    g = pd.Series(gdp_per_capita, dtype=float).dropna()
    bad = sorted(str(c) for c in g.index[g <= 0])
    if bad:
        raise ParameterError("gdp_per_capita", f"must be positive; not for {bad}")
    if iso3 not in g.index:
        raise CoverageError(f"{iso3} has no GDP per capita, so it has no nearest neighbours")
    cand = _restrict([c for c in g.index if c != iso3], units)
    if not cand:
        raise CoverageError(f"no peers of {iso3} by GDP per capita among the units")
    dist = np.abs(np.log(g.loc[cand].to_numpy()) - np.log(g.loc[iso3]))
    order = sorted(zip(dist, cand, strict=True))
    return [c for _, c in order[:k]]


def resolve_peers(
    iso3: str,
    peers: str | Sequence[str],
    *,
    units: Iterable[str] | None = None,
    classification: pd.Series | None = None,
    vintage: int | None = None,
    gdp_per_capita: pd.Series | None = None,
    k: int = 5,
) -> list[str]:
    """Turn any peer specification into a list of unit codes.

    ``peers`` is a grouping name (:data:`GROUPINGS`, or any name when ``classification`` is
    given), ``"nearest_gdp"`` (needs ``gdp_per_capita``; ``k`` neighbours) or an explicit list
    of codes (unknown codes are an :class:`UnknownCountryError` when ``units`` is given).
    """
    if isinstance(peers, str):
        if peers == "nearest_gdp":
            if gdp_per_capita is None:
                raise ParameterError("gdp_per_capita", "needed for peers='nearest_gdp'")
            return nearest_peers(iso3, gdp_per_capita, k=k, units=units)
        return peer_group(iso3, peers, classification=classification, vintage=vintage, units=units)
    listed = [str(c) for c in peers]
    if units is not None:
        known = {str(u) for u in units}
        unknown = [c for c in listed if c not in known]
        if unknown:
            raise UnknownCountryError({c: near_matches(c, known) for c in unknown})
    out = _restrict(listed, units)
    if not out:
        raise CoverageError(f"empty explicit peer list for {iso3}")
    return out
