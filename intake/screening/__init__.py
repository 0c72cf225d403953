"""The screening core: every published rule set (questions, rules, aftercare) as data.

Nothing in this package imports Flask or SQLAlchemy, so it can be used and
tested on its own (and from the command line, a batch job or another service).

``CURRENT`` screens new submissions; ``ruleset(version)`` returns the set an
intake was submitted under, so it is shown, printed, exported and re-screened
exactly as the patient saw it. The module-level names below (``QUESTIONS``,
``screen``, ``RULESET_VERSION``...) are ``CURRENT``'s, for callers that only
ever deal with the set in force.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any

from intake.screening.model import (
    MAX_DETAILS_LENGTH,
    N_,
    SOURCE_LOCALE,
    AftercareItem,
    Change,
    Flag,
    Question,
    Rule,
    RuleSet,
    ScreeningInputError,
    Severity,
    Step,
    UnknownRuleSetError,
    aftercare_text,
    needs_review,
    placeholders,
    text_hash,
)
from intake.screening.registry import CURRENT, FIRST, PUBLISHED, RULESETS, previous, ruleset
from intake.screening.sources import CITATIONS, Citation, Evidence

RULESET_VERSION: str = CURRENT.version
STEPS = CURRENT.steps
QUESTIONS = CURRENT.questions
QUESTIONS_BY_ID = CURRENT.questions_by_id
RULES = CURRENT.rules
RULES_BY_CODE = CURRENT.rules_by_code
AFTERCARE = CURRENT.aftercare
AFTERCARE_CODES = CURRENT.aftercare_codes


def screen(answers: Mapping[str, Any]) -> list[Flag]:
    """Screen ``answers`` with the rule set in force (see :meth:`RuleSet.screen`)."""
    return CURRENT.screen(answers)


def validate(answers: object) -> None:
    """Validate ``answers`` against the rule set in force (see :meth:`RuleSet.validate`)."""
    CURRENT.validate(answers)


def questionnaire() -> dict[str, object]:
    """Return the questionnaire in force as the ``questions`` command prints it."""
    return CURRENT.questionnaire()


def aftercare_hash(items: Iterable[tuple[str, str, str]] | None = None) -> str:
    """Return the text hash of aftercare items (the current English wording by default)."""
    if items is None:
        return CURRENT.aftercare_hash
    return text_hash(aftercare_text(items))


def citations_for(flag: Flag) -> list[Citation]:
    """Return the citations behind a flag, in the order the rule cites them."""
    return [CITATIONS[k] for k in flag.source_keys if k in CITATIONS]


__all__ = [
    "AFTERCARE",
    "AFTERCARE_CODES",
    "CITATIONS",
    "CURRENT",
    "FIRST",
    "MAX_DETAILS_LENGTH",
    "N_",
    "PUBLISHED",
    "QUESTIONS",
    "QUESTIONS_BY_ID",
    "RULES",
    "RULESETS",
    "RULESET_VERSION",
    "RULES_BY_CODE",
    "SOURCE_LOCALE",
    "STEPS",
    "AftercareItem",
    "Change",
    "Citation",
    "Evidence",
    "Flag",
    "Question",
    "Rule",
    "RuleSet",
    "ScreeningInputError",
    "Severity",
    "Step",
    "UnknownRuleSetError",
    "aftercare_hash",
    "aftercare_text",
    "citations_for",
    "needs_review",
    "placeholders",
    "previous",
    "questionnaire",
    "ruleset",
    "screen",
    "text_hash",
    "validate",
]
