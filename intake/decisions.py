"""A clinician's decision on a submitted intake: the one service that records it.

Decisions are append-only rows; the intake's status is what the latest one
decided. Which decisions are possible (CONTRACT section 4, ``TRANSITIONS`` in
:mod:`intake.models`, and a check constraint on ``decisions``):

- from ``needs_review``: any of the four outcomes;
- from ``deferred``: any of the four again. Deferring means "not now", so the
  intake comes back to a clinician once things change; the new decision
  supersedes the deferral, which stays in the history;
- ``cleared``, ``cleared_with_precautions`` and ``not_suitable`` are final, and
  a ``ready`` intake raised nothing to decide.

The form carries what its clinician saw (the status and the id of the latest
decision). :func:`record` locks the intake row, then compares both with what
is stored: of two clinicians deciding at once, the second waits for the lock,
finds the first one's decision and is refused, with nothing changed.
"""

from __future__ import annotations

import sqlalchemy as sa

from intake import audit
from intake.errors import ConflictError, InputError
from intake.extensions import db
from intake.intakes import lock
from intake.models import DECIDABLE, DECISION_OUTCOMES, Decision, IntakeStatus, utcnow
from intake.webhooks import events

NOTE_OPTIONAL: frozenset[IntakeStatus] = frozenset({IntakeStatus.CLEARED})
MAX_NOTE_LENGTH = 4000


class DecisionRefusedError(ConflictError):
    """The decision cannot be recorded; ``current`` is the intake's status now."""

    def __init__(self, current: IntakeStatus, latest: Decision | None) -> None:
        super().__init__()
        self.current = current
        self.latest = latest


class NotDecidableError(DecisionRefusedError):
    """The intake is not waiting for a decision (ready, final, or not submitted)."""

    code = "decision.not_decidable"


class AlreadyDecidedError(DecisionRefusedError):
    """Someone decided since this clinician opened the intake."""

    code = "decision.already_decided"


def note_required(outcome: IntakeStatus) -> bool:
    return outcome not in NOTE_OPTIONAL


def latest(intake_id: int) -> Decision | None:
    return db.session.execute(
        sa.select(Decision)
        .where(Decision.intake_id == intake_id)
        .order_by(Decision.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def record(
    intake_id: int,
    *,
    clinician_id: int,
    outcome: IntakeStatus,
    note: str,
    seen_status: IntakeStatus,
    seen_decision_id: int | None,
) -> Decision:
    """Record a decision on what the clinician saw, with its audit event.

    :raise InputError: not an outcome, or a note missing or too long.
    :raise NotDecidableError: the intake is not waiting for a decision.
    :raise AlreadyDecidedError: someone else decided since the page was drawn.
    """
    note = note.strip()
    if outcome not in DECISION_OUTCOMES:
        raise InputError("decision.outcome", field="outcome")
    if note_required(outcome) and not note:
        raise InputError("decision.note_required", field="note")
    if len(note) > MAX_NOTE_LENGTH:
        raise InputError("decision.note_too_long", field="note")
    intake = lock(intake_id)
    newest = latest(intake_id)
    if intake.status is not seen_status or (newest.id if newest else None) != seen_decision_id:
        raise AlreadyDecidedError(intake.status, newest)
    if intake.status not in DECIDABLE:
        raise NotDecidableError(intake.status, newest)
    decision = Decision(
        intake_id=intake.id,
        clinician_id=clinician_id,
        outcome=outcome,
        previous_status=intake.status,
        note=note,
    )
    db.session.add(decision)
    intake.status = outcome
    intake.updated_at = utcnow()
    db.session.flush()
    audit.record(
        audit.Action.DECISION_RECORDED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=clinician_id,
        target=("intake", intake.id),
        outcome=outcome.value,
        previous=decision.previous_status.value,
        decision=decision.id,
    )
    # Queued with the decision (ids and outcome only); sent by `flask webhooks deliver`.
    events.enqueue(events.EventType.INTAKE_DECIDED, intake, decision_id=decision.id)
    return decision
