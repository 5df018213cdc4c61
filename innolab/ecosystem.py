"""The ITU ecosystem model: stakeholder groups, canvas enabler blocks, engines, maturity bands.

These vocabularies are shared by the expert-ratings loader, the demo data generator, the
framework (pillar -> canvas block / engine) and the reports. See ``METHOD.md`` §1 and §3.
"""

from __future__ import annotations

__all__ = ["STAKEHOLDERS", "ENABLERS", "ENGINES", "MATURITY_BANDS", "RATING_RANGE", "maturity_band"]

#: The six stakeholder groups of an ICT-centric innovation ecosystem (code -> label).
STAKEHOLDERS: dict[str, str] = {
    "academia": "Academia",
    "entrepreneurs": "Entrepreneurs",
    "support_organisations": "Entrepreneurship support organisations",
    "financing": "Financing",
    "private_sector": "Private sector",
    "public_sector": "Public sector",
}

#: The seven enabler blocks of ITU's Ecosystem Assessment Canvas (code -> label).
ENABLERS: dict[str, str] = {
    "vision_strategy": "Vision & Strategy",
    "talent_champions": "Talent & Champions",
    "infrastructure_programmes": "Infrastructure & Programmes",
    "capital_resources": "Capital & Resources",
    "market_networks": "Market & Networks",
    "culture_communities": "Culture & Communities",
    "policy_regulation": "Policy & Regulation",
}

#: The three engines of growth and the reference index ITU benchmarks each with.
ENGINES: dict[str, str] = {
    "ict": "Technology / ICT ecosystem (ICT Development Index)",
    "innovation": "National innovation ecosystem (Global Innovation Index)",
    "entrepreneurship": "Entrepreneurship ecosystem",
}

#: Expert ratings are integers (or workshop means) on this closed scale.
RATING_RANGE: tuple[float, float] = (1.0, 5.0)

#: Maturity bands on a 0-100 pillar score (innolab convention, METHOD.md §3):
#: (label, lower bound inclusive, upper bound exclusive; the last band includes 100).
MATURITY_BANDS: tuple[tuple[str, float, float], ...] = (
    ("nascent", 0.0, 20.0),
    ("emerging", 20.0, 40.0),
    ("developing", 40.0, 60.0),
    ("established", 60.0, 80.0),
    ("mature", 80.0, 100.0),
)


def maturity_band(score: float, *, scale: tuple[float, float] = (0.0, 100.0)) -> str | None:
    """Maturity label of a score; ``scale`` maps other ranges (expert 1-5 ratings) onto 0-100.

    >>> maturity_band(55.0)
    'developing'
    >>> maturity_band(5.0, scale=(1, 5))
    'mature'
    >>> maturity_band(float("nan")) is None
    True
    """
    lo, hi = scale
    if score is None or score != score:  # NaN
        return None
    x = (float(score) - lo) / (hi - lo) * 100.0
    if x < -1e-9 or x > 100.0 + 1e-9:
        raise ValueError(f"score {score} outside the scale {scale}")
    for label, a, b in MATURITY_BANDS:
        if a <= x < b:
            return label
    return MATURITY_BANDS[-1][0]
