"""Every published rule set, by version; ``CURRENT`` screens new submissions.

A published set is never edited or removed: intakes submitted under it are
shown, printed, exported and re-screened with it for as long as they exist.
"""

from __future__ import annotations

from intake.screening import v1, v2, v3
from intake.screening.model import RuleSet, UnknownRuleSetError

# Oldest first.
PUBLISHED: tuple[RuleSet, ...] = (v1.RULESET, v2.RULESET, v3.RULESET)

RULESETS: dict[str, RuleSet] = {rs.version: rs for rs in PUBLISHED}

CURRENT: RuleSet = PUBLISHED[-1]
FIRST: RuleSet = PUBLISHED[0]


def ruleset(version: str | None = None) -> RuleSet:
    """Return the published set with this version (``CURRENT`` for None).

    :raise UnknownRuleSetError: no published set has this version.
    """
    if version is None:
        return CURRENT
    try:
        return RULESETS[version]
    except KeyError:
        raise UnknownRuleSetError(f"unknown rule set version: {version}") from None


def previous(rs: RuleSet) -> RuleSet | None:
    """Return the set published before ``rs``, or None for the first."""
    index = PUBLISHED.index(rs)
    return PUBLISHED[index - 1] if index else None
