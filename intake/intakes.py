"""An intake's life on the patient's side: start, save each step, submit once.

Each function is one state change: it locks the intake row, checks inside the
transaction the status it needs, changes it and writes its audit event. None
commits (see :mod:`intake.unit_of_work`). Because a step save and a submission
both lock the same row first, a save that arrives after the submission sees
the submitted status and is refused: the answers that were screened are the
answers stored, and the flags always match them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence

import sqlalchemy as sa

from intake import audit, faults
from intake.errors import ConflictError, InputError
from intake.extensions import db
from intake.models import (
    EDITABLE,
    SUBMITTED,
    Acknowledgment,
    Intake,
    IntakeStatus,
    PatientSession,
    utcnow,
)
from intake.screening import (
    CURRENT,
    MAX_DETAILS_LENGTH,
    SOURCE_LOCALE,
    RuleSet,
    ScreeningInputError,
    needs_review,
)
from intake.unit_of_work import locked
from intake.webhooks import events
from intake.wording import ShownItem, aftercare_shown, hash_of

MAX_SIGNATURE_LENGTH = 200


class IntakeClosedError(ConflictError):
    """The intake was already submitted (or not started): its answers can no longer change."""

    code = "intake.closed"


class WordingChangedError(ConflictError):
    """The aftercare wording the patient read is not the wording in force now."""

    code = "wording.changed"


def lock(intake_id: int) -> Intake:
    """Return the intake, its row locked until the end of the transaction."""
    return db.session.execute(locked(sa.select(Intake).where(Intake.id == intake_id))).scalar_one()


def start(intake_id: int) -> Intake:
    """Mark the intake in progress (the patient confirmed who they are); no-op after that."""
    intake = lock(intake_id)
    if intake.status is IntakeStatus.NOT_STARTED:
        intake.status = IntakeStatus.IN_PROGRESS
        intake.started_at = utcnow()
    return intake


def save_step(
    intake_id: int,
    step_id: str,
    values: Mapping[str, str],
    *,
    complete: bool = True,
    link_id: int | None = None,
) -> Intake:
    """Merge one step's answers (already validated by its form) into the intake.

    Only the step's own question ids and ``<id>_details`` fields are taken;
    details are dropped when the answer is ``no``, so stale text never lingers.
    Each answer is credited to ``link_id``, the link the patient is using: only
    answers given through a link are shown through it (see :func:`visible_answers`).

    :raise IntakeClosedError: the intake was submitted meanwhile (nothing changes).
    """
    intake = lock(intake_id)
    if intake.status not in EDITABLE:
        raise IntakeClosedError
    merged = dict(intake.answers or {})
    credited = dict(intake.answer_links or {})
    for question in CURRENT.questions_for_step(step_id):
        value = values.get(question.id)
        if value not in ("yes", "no"):
            continue
        merged[question.id] = value
        if link_id is not None:
            credited[question.id] = link_id
        details = (values.get(question.details_field) or "").strip()[:MAX_DETAILS_LENGTH]
        if value == "yes" and question.details and details:
            merged[question.details_field] = details
        else:
            merged.pop(question.details_field, None)
    # New dicts, so SQLAlchemy sees the JSON columns change.
    intake.answers = merged
    intake.answer_links = credited
    audit.record(
        audit.Action.STEP_SAVED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", intake.id),
        step=step_id,
        complete=complete,
    )
    db.session.flush()
    return intake


def visible_answers(intake: Intake, link_id: int) -> dict[str, str]:
    """Return the answers given through ``link_id``, with their details.

    Whoever holds a link the front desk made after the patient started (the
    front desk itself, say, which knows the date of birth) sees none of the
    answers saved before it: the patient answers those questions again, and
    the newest answer is the one kept. Staff always see every stored answer.
    """
    answers = intake.answers or {}
    credited = intake.answer_links or {}
    shown: dict[str, str] = {}
    for qid, value in answers.items():
        if qid.endswith("_details"):
            continue
        if credited.get(qid) == link_id:
            shown[qid] = value
            details = qid + "_details"
            if details in answers:
                shown[details] = answers[details]
    return shown


def answered_elsewhere(intake: Intake, link_id: int, step_id: str) -> bool:
    """Return whether a question of ``step_id`` was answered through another link."""
    credited = intake.answer_links or {}
    answers = intake.answers or {}
    return any(
        q.id in answers and credited.get(q.id) != link_id
        for q in CURRENT.questions_for_step(step_id)
    )


def first_unanswered_step(answers: Mapping[str, str]) -> str | None:
    """Return the first step with a question not yet answered, or None when all are.

    Always the rule set in force: an intake started under an earlier set is
    asked the questions it has not answered yet, its other answers kept.
    """
    for step in CURRENT.steps:
        if any(q.id not in answers for q in CURRENT.questions_for_step(step.id)):
            return step.id
    return None


def screened_answers(rs: RuleSet, answers: Mapping[str, str]) -> dict[str, str]:
    """Return the stored answers a rule set screens: those to its own questions.

    An intake started under an earlier set keeps its answers to questions the
    set in force no longer asks (staff see them as such); they raise nothing.
    Re-screening a submitted intake's stored answers with its stored version
    gives its stored flags.
    """
    return rs.known_answers(answers)


def submit(
    intake_id: int,
    *,
    items: Iterable[str],
    text_hash: str,
    signature_name: str,
    shown: Sequence[ShownItem] | None = None,
    locale: str | None = None,
    via_link: int | None = None,
    keep_session: int | None = None,
) -> bool:
    """Sign the acknowledgment, screen the stored answers and set the status, exactly once.

    ``via_link`` is the link the patient is signing through: every question
    must have been answered through it (the patient signs only answers they
    saw), and it is stored. Every patient session of the intake but
    ``keep_session`` (the one that signed, which goes on to the confirmation)
    ends.

    ``shown`` is the aftercare wording exactly as the page showed it, in
    ``locale`` (the current English wording when omitted), and
    ``text_hash`` the hash the patient's form carried: they must agree, so the
    stored hash is always that of the text the patient read, and the stored
    language the one it was read in.

    Return True when this call made the submission, False when it had been made.

    :raise IntakeClosedError: not started.
    :raise WordingChangedError: the wording changed while the page was open.
    :raise InputError: an answer is missing or an item was not acknowledged.
    """
    intake = lock(intake_id)
    if intake.status in SUBMITTED:
        return False
    if intake.status is not IntakeStatus.IN_PROGRESS:
        raise IntakeClosedError
    faults.pause("submit.locked")
    if shown is None:
        shown, locale = aftercare_shown(CURRENT, SOURCE_LOCALE), SOURCE_LOCALE
    locale = locale or SOURCE_LOCALE
    shown_hash = hash_of(shown)
    if text_hash != shown_hash:
        raise WordingChangedError
    if sorted(items) != sorted(CURRENT.aftercare_codes):
        raise InputError("aftercare.incomplete", field="items")
    name = signature_name.strip()
    if not name or len(name) > MAX_SIGNATURE_LENGTH:
        raise InputError("signature.invalid", field="signature_name")
    answers = dict(intake.answers or {})
    if via_link is not None and first_unanswered_step(visible_answers(intake, via_link)):
        raise InputError("answers.incomplete", field="answers")
    try:
        flags = CURRENT.screen(screened_answers(CURRENT, answers))
    except ScreeningInputError:
        raise InputError("answers.incomplete", field="answers") from None
    now = utcnow()
    intake.submitted_link_id = via_link
    end_patient_sessions(intake.id, keep=keep_session, now=now)
    intake.flags = [f.to_record() for f in flags]
    intake.ruleset_version = CURRENT.version
    intake.submitted_at = now
    intake.status = IntakeStatus.NEEDS_REVIEW if needs_review(flags) else IntakeStatus.READY
    db.session.add(
        Acknowledgment(
            intake_id=intake.id,
            items=list(CURRENT.aftercare_codes),
            text_hash=shown_hash,
            signature_name=name,
            signed_at=now,
            locale=locale,
        )
    )
    # The unique index on acknowledgments.intake_id keeps one acknowledgment
    # even if a future bug skipped the row lock above.
    db.session.flush()
    faults.pause("submit.flushed")
    audit.record(
        audit.Action.INTAKE_SUBMITTED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", intake.id),
        status=intake.status.value,
    )
    # Queued with the submission (ids and status only); sent by `flask webhooks deliver`.
    events.enqueue(events.EventType.INTAKE_SUBMITTED, intake)
    faults.pause("submit.audited")
    return True


def end_patient_sessions(
    intake_id: int, *, keep: int | None = None, now: dt.datetime | None = None
) -> None:
    """End every open patient session of the intake (but ``keep``) on the server."""
    condition = [PatientSession.intake_id == intake_id, PatientSession.ended_at.is_(None)]
    if keep is not None:
        condition.append(PatientSession.id != keep)
    db.session.execute(
        sa.update(PatientSession)
        .where(*condition)
        .values(ended_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )


def is_known_question(field: str) -> bool:
    return field in CURRENT.questions_by_id
