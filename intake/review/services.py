"""Clinician review: the queue, an intake as the clinician reads it, and decisions.

Decisions are append-only rows; the intake's status is what the latest one
decided. Which decisions are possible (CONTRACT section 4):

- from ``needs_review``: any of the four outcomes;
- from ``deferred``: any of the four again. Deferring means "not now" (active
  acne that has to settle, say), so the intake comes back to a clinician once
  things change; the new decision supersedes the deferral, which stays in the
  history;
- ``cleared``, ``cleared_with_precautions`` and ``not_suitable`` are final, and
  a ``ready`` intake raised nothing to decide.

Two clinicians may decide the same intake at the same moment. The form carries
what its clinician saw (the status and the id of the latest decision), and
:func:`record_decision` changes the status with one conditional
``UPDATE ... WHERE status = :seen``. The database lets exactly one of two such
updates match; the other finds a different status and is refused. The row lock
that update takes is held until commit, so the check of the latest decision
that follows it sees every decision committed before, which also settles two
simultaneous re-decisions of a deferred intake (whose status may not change).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa

from intake.extensions import db
from intake.models import (
    DECISION_OUTCOMES,
    Appointment,
    Decision,
    Intake,
    IntakeStatus,
    utcnow,
)
from intake.screening import QUESTIONS_BY_ID, Flag, Severity

DECIDABLE: frozenset[IntakeStatus] = frozenset({IntakeStatus.NEEDS_REVIEW, IntakeStatus.DEFERRED})
# What a clinician may open: everything submitted. Answers saved while the
# patient is still going are theirs to change, so nobody reads them yet.
SUBMITTED: frozenset[IntakeStatus] = frozenset(
    {IntakeStatus.READY, IntakeStatus.NEEDS_REVIEW, *DECISION_OUTCOMES}
)
NOTE_OPTIONAL: frozenset[IntakeStatus] = frozenset({IntakeStatus.CLEARED})
MAX_NOTE_LENGTH = 4000
MAX_ID = 2**31 - 1


class DecisionRefusedError(Exception):
    """The decision cannot be recorded; ``current`` is the intake's status now."""

    def __init__(self, current: IntakeStatus, latest: Decision | None) -> None:
        super().__init__(current.value)
        self.current = current
        self.latest = latest


class NotDecidableError(DecisionRefusedError):
    """The intake is not waiting for a decision (ready, final, or not submitted)."""


class AlreadyDecidedError(DecisionRefusedError):
    """Someone decided since this clinician opened the intake."""


# -- Reading ---------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class Reason:
    """One question behind a flag, with what the patient answered."""

    question_id: str
    question: str
    answer: str | None
    details: str | None


@dataclass(frozen=True, slots=True)
class FlagView:
    code: str
    severity: Severity
    title: str
    source: str
    source_keys: tuple[str, ...]
    reasons: tuple[Reason, ...]


_CITATION_KEY = re.compile(r"\[([A-Za-z0-9]+)\]")


def explain_flags(
    flags: Sequence[Mapping[str, Any]] | None, answers: Mapping[str, Any]
) -> list[FlagView]:
    """Return the stored flags, most serious first, each with its questions and answers.

    The flags are those raised at submission; a question that a later rule set
    dropped still shows, by its id.
    """
    views = []
    for flag in sorted((Flag.from_dict(f) for f in flags or ()), key=lambda f: f.severity.rank):
        reasons = tuple(
            Reason(
                question_id=qid,
                question=QUESTIONS_BY_ID[qid].text if qid in QUESTIONS_BY_ID else qid,
                answer=_text(answers.get(qid)),
                details=_text(answers.get(f"{qid}_details")),
            )
            for qid in flag.because
        )
        keys = tuple(_CITATION_KEY.findall(flag.source)) if flag.source != "article" else ()
        views.append(FlagView(flag.code, flag.severity, flag.title, flag.source, keys, reasons))
    return views


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    intake: Intake
    appointment: Appointment
    flags: list[FlagView]
    latest: Decision | None


def queue(
    statuses: frozenset[IntakeStatus], *, since: dt.datetime, limit: int = 200
) -> tuple[list[QueueEntry], list[QueueEntry]]:
    """Return intakes in ``statuses``: those from ``since`` on, soonest first, and earlier ones.

    Earlier ones (appointment already passed) come most recent first.
    """
    base = (
        sa.select(Intake, Appointment)
        .join(Appointment, Intake.appointment_id == Appointment.id)
        .where(Intake.status.in_(statuses))
    )
    upcoming = db.session.execute(
        base.where(Appointment.starts_at >= since)
        .order_by(Appointment.starts_at, Appointment.id)
        .limit(limit)
    ).all()
    earlier = db.session.execute(
        base.where(Appointment.starts_at < since)
        .order_by(Appointment.starts_at.desc(), Appointment.id.desc())
        .limit(limit)
    ).all()
    latest = _latest_decisions([row.Intake.id for row in (*upcoming, *earlier)])
    return (
        [_entry(row.Intake, row.Appointment, latest) for row in upcoming],
        [_entry(row.Intake, row.Appointment, latest) for row in earlier],
    )


def _entry(intake: Intake, appointment: Appointment, latest: dict[int, Decision]) -> QueueEntry:
    flags = explain_flags(intake.flags, intake.answers or {})
    return QueueEntry(intake, appointment, flags, latest.get(intake.id))


def _latest_decisions(intake_ids: Sequence[int]) -> dict[int, Decision]:
    if not intake_ids:
        return {}
    newest = (
        sa.select(sa.func.max(Decision.id))
        .where(Decision.intake_id.in_(intake_ids))
        .group_by(Decision.intake_id)
    )
    rows = db.session.execute(sa.select(Decision).where(Decision.id.in_(newest))).scalars()
    return {d.intake_id: d for d in rows}


def submitted_intake(intake_id: int) -> Intake | None:
    """Return the intake when it was submitted, else None (the page answers 404)."""
    # Ids beyond a 32-bit column would make PostgreSQL refuse the query itself.
    if not 0 < intake_id <= MAX_ID:
        return None
    intake = db.session.get(Intake, intake_id)
    if intake is None or intake.status not in SUBMITTED:
        return None
    return intake


def latest_decision(intake_id: int) -> Decision | None:
    return db.session.execute(
        sa.select(Decision)
        .where(Decision.intake_id == intake_id)
        .order_by(Decision.id.desc())
        .limit(1)
    ).scalar_one_or_none()


# -- Deciding --------------------------------------------------------------


def note_required(outcome: IntakeStatus) -> bool:
    return outcome not in NOTE_OPTIONAL


def record_decision(
    intake_id: int,
    *,
    clinician_id: int,
    outcome: IntakeStatus,
    note: str,
    seen_status: IntakeStatus,
    seen_decision_id: int | None,
) -> Decision:
    """Record a decision on what the clinician saw; add and flush, the caller commits.

    :raise ValueError: not an outcome, or a note missing where one is required.
    :raise NotDecidableError: the intake was not waiting for a decision.
    :raise AlreadyDecidedError: someone else decided since; the caller must roll
        back (the refused update may have locked the row).
    """
    note = note.strip()
    if outcome not in DECISION_OUTCOMES:
        raise ValueError(f"not a decision outcome: {outcome}")
    if note_required(outcome) and not note:
        raise ValueError("a note is required for this decision")
    if len(note) > MAX_NOTE_LENGTH:
        raise ValueError("the note is too long")
    if seen_status not in DECIDABLE:
        raise NotDecidableError(_status_of(intake_id), latest_decision(intake_id))
    changed: sa.CursorResult[Any] = db.session.execute(  # type: ignore[assignment]
        sa.update(Intake)
        .where(Intake.id == intake_id, Intake.status == seen_status)
        .values(status=outcome, updated_at=utcnow())
        .execution_options(synchronize_session="fetch")
    )
    latest = latest_decision(intake_id)
    seen_latest = latest.id if latest else None
    if changed.rowcount != 1 or seen_latest != seen_decision_id:
        current = _status_of(intake_id) if changed.rowcount != 1 else seen_status
        raise AlreadyDecidedError(current, latest)
    decision = Decision(
        intake_id=intake_id,
        clinician_id=clinician_id,
        outcome=outcome,
        previous_status=seen_status,
        note=note,
    )
    db.session.add(decision)
    db.session.flush()
    return decision


def _status_of(intake_id: int) -> IntakeStatus:
    status: IntakeStatus = db.session.execute(
        sa.select(Intake.status).where(Intake.id == intake_id)
    ).scalar_one()
    return status
