"""An intake's life on the patient's side: start, save each step, submit once.

Views call these and commit; nothing here commits. Submitting is idempotent in
the database itself: the acknowledgment insert does nothing when one exists,
so a double tap, a resubmitted form or two tabs make exactly one submission.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping

from sqlalchemy.dialects import postgresql, sqlite

from intake import audit
from intake.extensions import db
from intake.models import Acknowledgment, Intake, IntakeStatus, utcnow
from intake.screening import (
    AFTERCARE_CODES,
    QUESTIONS_BY_ID,
    RULESET_VERSION,
    STEPS,
    needs_review,
    screen,
)
from intake.screening.questions import questions_for_step
from intake.screening.rules import MAX_DETAILS_LENGTH

EDITABLE = (IntakeStatus.NOT_STARTED, IntakeStatus.IN_PROGRESS)


class IntakeClosedError(Exception):
    """The intake was already submitted; its answers can no longer change."""


def start(intake: Intake) -> None:
    """Mark the intake in progress when the patient's identity is first confirmed."""
    if intake.status is IntakeStatus.NOT_STARTED:
        intake.status = IntakeStatus.IN_PROGRESS
        intake.started_at = utcnow()


def save_step(intake: Intake, step_id: str, values: Mapping[str, str]) -> None:
    """Merge one step's answers (already validated by its form) into the intake.

    Only the step's own question ids and ``<id>_details`` fields are taken;
    details are dropped when the answer is ``no``, so stale text never lingers.
    """
    if intake.status not in EDITABLE:
        raise IntakeClosedError
    merged = dict(intake.answers or {})
    for question in questions_for_step(step_id):
        value = values.get(question.id)
        if value not in ("yes", "no"):
            continue
        merged[question.id] = value
        details = (values.get(question.details_field) or "").strip()[:MAX_DETAILS_LENGTH]
        if value == "yes" and question.details and details:
            merged[question.details_field] = details
        else:
            merged.pop(question.details_field, None)
    # A new dict, so SQLAlchemy sees the JSON column change.
    intake.answers = merged


def first_unanswered_step(answers: Mapping[str, str]) -> str | None:
    """Return the first step with a question not yet answered, or None when all are."""
    for step in STEPS:
        if any(q.id not in answers for q in questions_for_step(step.id)):
            return step.id
    return None


def submit(intake: Intake, *, items: Iterable[str], text_hash: str, signature_name: str) -> bool:
    """Sign the acknowledgment, screen the answers and set the status, exactly once.

    Return True when this call made the submission, False when one existed.
    :raise ScreeningInputError: the answers are incomplete.
    :raise IntakeClosedError: nothing to submit (not started).
    """
    if intake.status is IntakeStatus.NOT_STARTED:
        raise IntakeClosedError
    items = list(items)
    if sorted(items) != sorted(AFTERCARE_CODES):
        raise ValueError("every aftercare item must be acknowledged")
    flags = screen(intake.answers)
    now = utcnow()
    insert = _insert(Acknowledgment).values(
        intake_id=intake.id,
        items=items,
        text_hash=text_hash,
        signature_name=signature_name,
        signed_at=now,
    )
    created = db.session.execute(
        insert.on_conflict_do_nothing(index_elements=["intake_id"]).returning(Acknowledgment.id)
    ).scalar_one_or_none()
    if created is None:
        return False
    intake.flags = [f.to_dict() for f in flags]
    intake.ruleset_version = RULESET_VERSION
    intake.submitted_at = now
    intake.status = IntakeStatus.NEEDS_REVIEW if needs_review(flags) else IntakeStatus.READY
    audit.record(
        audit.Action.INTAKE_SUBMITTED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", intake.id),
        status=intake.status.value,
    )
    db.session.flush()
    return True


def _insert(model: type[Acknowledgment]) -> postgresql.Insert | sqlite.Insert:
    dialect = db.session.get_bind().dialect.name
    if dialect == "postgresql":
        return postgresql.insert(model)
    return sqlite.insert(model)


def is_known_question(field: str) -> bool:
    return field in QUESTIONS_BY_ID
