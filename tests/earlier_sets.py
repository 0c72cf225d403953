"""Intakes as the first rule set (rs-4e5a6fcf02fb) left them, for tests of old intakes.

Rows are written as that version of the app wrote them: its answers, its
flags in the contract's shape (no ``source_keys``: those came later) and an
acknowledgment of its own aftercare wording.
"""

from __future__ import annotations

from typing import Any

from intake import intakes
from intake.extensions import db
from intake.models import Acknowledgment, Intake, IntakeStatus, utcnow
from intake.screening import FIRST, needs_review


def first_set_answers(**yes: str) -> dict[str, str]:
    """All ``no`` under the first set, with ``yes`` (and any ``<id>_details``) given."""
    return {q.id: "no" for q in FIRST.questions} | yes


def submit_under_first_set(intake: Intake, answers: dict[str, Any], name: str) -> None:
    """Submit ``intake`` exactly as the first rule set's app did; commit.

    The patient confirmed who they are first (the database allows a submitted
    status only from in progress).
    """
    intakes.start(intake.id)
    db.session.flush()
    flags = FIRST.screen(answers)
    now = utcnow()
    intake.answers = answers
    intake.flags = [f.to_dict() for f in flags]
    intake.ruleset_version = FIRST.version
    intake.submitted_at = now
    intake.status = IntakeStatus.NEEDS_REVIEW if needs_review(flags) else IntakeStatus.READY
    db.session.add(
        Acknowledgment(
            intake_id=intake.id,
            items=list(FIRST.aftercare_codes),
            text_hash=FIRST.aftercare_hash,
            signature_name=name,
            signed_at=now,
        )
    )
    db.session.commit()


# The first set's wording that the second changed: seen only on old intakes.
FIRST_BREAKOUTS = (
    "Spots or breakouts can appear after treatment, more often if your skin is prone to acne."
)
FIRST_STEROID_QUESTION = FIRST.questions_by_id["cancer_treatment"].text
