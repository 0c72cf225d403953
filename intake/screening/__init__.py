"""The screening core: questions, rules and aftercare as data, in plain Python.

Nothing in this package imports Flask or SQLAlchemy, so it can be used and
tested on its own (and from the command line, a batch job or another service).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence

from intake.screening.aftercare import (
    AFTERCARE,
    AFTERCARE_CODES,
    AftercareItem,
    aftercare_hash,
    aftercare_text,
    text_hash,
)
from intake.screening.questions import N_, QUESTIONS, QUESTIONS_BY_ID, STEPS, Question, Step
from intake.screening.rules import (
    RULES,
    RULES_BY_CODE,
    Flag,
    Rule,
    ScreeningInputError,
    Severity,
    needs_review,
    screen,
    validate,
)


def ruleset_version(
    steps: Sequence[Step] = STEPS,
    questions: Sequence[Question] = QUESTIONS,
    rules: Sequence[Rule] = RULES,
    aftercare: Sequence[AftercareItem] = AFTERCARE,
) -> str:
    """Derive the version from everything a rule set is, so nobody has to bump it."""
    content = {
        "steps": [[s.id, s.title] for s in steps],
        "questions": [
            [q.id, q.text, q.step, q.required, q.hint, q.details, str(q.source)] for q in questions
        ],
        "rules": [
            [r.code, r.severity.value, r.title, list(r.questions), str(r.source)] for r in rules
        ],
        "aftercare": [[a.code, a.title, a.text] for a in aftercare],
    }
    digest = hashlib.sha256(
        json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
    ).hexdigest()
    return f"rs-{digest[:12]}"


RULESET_VERSION = ruleset_version()


def questionnaire() -> dict[str, object]:
    """Return the questionnaire as the ``questions`` command prints it."""
    return {
        "ruleset": RULESET_VERSION,
        "questions": [
            {"id": q.id, "text": q.text, "required": q.required, "source": str(q.source)}
            for q in QUESTIONS
        ],
    }


__all__ = [
    "AFTERCARE",
    "AFTERCARE_CODES",
    "N_",
    "QUESTIONS",
    "QUESTIONS_BY_ID",
    "RULES",
    "RULESET_VERSION",
    "RULES_BY_CODE",
    "STEPS",
    "AftercareItem",
    "Flag",
    "Question",
    "Rule",
    "ScreeningInputError",
    "Severity",
    "Step",
    "aftercare_hash",
    "aftercare_text",
    "needs_review",
    "questionnaire",
    "ruleset_version",
    "screen",
    "text_hash",
    "validate",
]
