"""Clinician review, the reading side: the queue and an intake as the clinician reads it.

Recording a decision is :func:`intake.decisions.record`.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

import sqlalchemy as sa
from sqlalchemy.dialects.postgresql import JSONB

from intake import audit
from intake.extensions import db
from intake.models import (
    SUBMITTED,
    Appointment,
    Decision,
    Intake,
    IntakeLink,
    IntakeStatus,
    full_name,
)
from intake.screening import CURRENT, RULESETS, Citation, RuleSet, Severity, citations_for

MAX_ID = 2**31 - 1


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
    # The sources behind the flag, by the keys the flag carries (never read
    # out of ``source``'s text); empty for the article.
    citations: tuple[Citation, ...]
    # The rule's one sentence for the clinician, from the intake's own set.
    why: str | None
    reasons: tuple[Reason, ...]

    @property
    def source_keys(self) -> tuple[str, ...]:
        return tuple(c.key for c in self.citations)


def ruleset_of(intake: Intake) -> RuleSet | None:
    """Return the rule set an intake was submitted under (None: not submitted or unknown)."""
    return RULESETS.get(intake.ruleset_version or "")


def explain_flags(
    flags: Sequence[Mapping[str, Any]] | None,
    answers: Mapping[str, Any],
    rs: RuleSet | None = None,
) -> list[FlagView]:
    """Return the stored flags, most serious first, each with its questions and answers.

    The flags are those raised at submission under ``rs``, the intake's own
    rule set, whose wording the questions are shown in; a question it does
    not know shows by its id.
    """
    rs = rs or CURRENT
    views = []
    stored = sorted((rs.flag_from_dict(f) for f in flags or ()), key=lambda f: f.severity.rank)
    for flag in stored:
        reasons = tuple(
            Reason(
                question_id=qid,
                question=rs.questions_by_id[qid].text if qid in rs.questions_by_id else qid,
                answer=_text(answers.get(qid)),
                details=_text(answers.get(f"{qid}_details")),
            )
            for qid in flag.because
        )
        rule = rs.rules_by_code.get(flag.code)
        views.append(
            FlagView(
                flag.code,
                flag.severity,
                flag.title,
                flag.source,
                tuple(citations_for(flag)),
                rule.why if rule is not None and rule.why else None,
                reasons,
            )
        )
    return views


def _text(value: object) -> str | None:
    return value if isinstance(value, str) and value else None


@dataclass(frozen=True, slots=True)
class QueueEntry:
    """One queue row: what the row shows, read as columns.

    Never the answers or the flags: a row's flags explained are kept per
    process once made (a submitted intake's never change), and read with
    :func:`explain_intakes` only for the rows not kept yet.
    """

    intake_id: int
    # Always set on a submitted intake (the schema holds it); typed as stored.
    submitted_at: dt.datetime | None
    starts_at: dt.datetime
    full_name: str
    latest: Decision | None


def explain_intakes(intake_ids: Sequence[int]) -> dict[int, list[FlagView]]:
    """Return each intake's stored flags explained, reading their answers in one statement."""
    if not intake_ids:
        return {}
    rows = db.session.execute(
        sa.select(Intake.id, Intake.flags, Intake.answers, Intake.ruleset_version).where(
            Intake.id.in_(intake_ids)
        )
    )
    return {
        row.id: explain_flags(row.flags, row.answers or {}, RULESETS.get(row.ruleset_version or ""))
        for row in rows
    }


def severity_rank(dialect: str) -> sa.ColumnElement[int]:
    """Return the intake's most serious stored flag as a rank, computed in SQL.

    0: a contraindication, 1: a precaution, 2: neither. Severity is not a
    column: it is read from the flags stored at submission (JSON), so that
    ordering by it needs no migration and follows the stored flags exactly.
    PostgreSQL tests containment in ``jsonb``; SQLite walks the array with
    ``json_each``. Both are evaluated only on the rows the status filter (an
    index) already chose.
    """

    def has(severity: Severity) -> sa.ColumnElement[bool]:
        if dialect == "postgresql":
            return sa.type_coerce(Intake.flags, JSONB).contains([{"severity": severity.value}])
        each = sa.func.json_each(Intake.flags).table_valued("value").alias("flag")
        return sa.exists(
            sa.select(1)
            .select_from(each)
            .where(sa.func.json_extract(each.c.value, "$.severity") == severity.value)
        )

    return sa.case(
        (has(Severity.CONTRAINDICATION), 0),
        (has(Severity.PRECAUTION), 1),
        else_=2,
    )


# Rows per list on one screen of the queue (two lists, today and later and
# already passed: at most 50 rows a screen). A clinician works from the top
# (the most serious, the soonest); rendering every waiting intake with each
# flag explained cost a quarter of a second per load at 10,000 stored intakes
# (bench/README.md), for rows nobody scrolls to.
PAGE_SIZE = 25


@dataclass(frozen=True, slots=True)
class QueuePage:
    """One screen of one of the queue's lists, and whether more follow."""

    entries: list[QueueEntry]
    offset: int
    more: bool

    @property
    def next_offset(self) -> int:
        return self.offset + len(self.entries)

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - PAGE_SIZE, 0) if self.offset else None


def queue(
    statuses: frozenset[IntakeStatus],
    *,
    since: dt.datetime,
    limit: int = PAGE_SIZE,
    by_risk: bool = True,
    upcoming_offset: int = 0,
    earlier_offset: int = 0,
    with_decisions: bool = False,
) -> tuple[QueuePage, QueuePage]:
    """Return intakes in ``statuses``: those from ``since`` on, and earlier ones.

    With ``by_risk``, contraindications come first, then precautions, then
    the rest; within each, today and later are soonest first and earlier ones
    (appointment already passed) most recent first. Without it, by time only.
    The order is the database's, so the page reads at most ``limit`` rows per
    list (from each list's offset) however many intakes wait; one row more
    tells whether a next screen exists. Offsets, not keysets: the order is by
    a rank computed from the stored flags, and the database sorts the tab's
    rows for any first screen anyway, so an offset costs no more here.
    """
    # A cancelled appointment will not be treated: its intake leaves the queue
    # (the intake page, the audit log and the front desk still show it).
    base = (
        sa.select(
            Intake.id,
            Intake.submitted_at,
            Appointment.starts_at,
            Appointment.first_name,
            Appointment.last_name,
        )
        .join(Appointment, Intake.appointment_id == Appointment.id)
        .where(Intake.status.in_(statuses), Appointment.cancelled_at.is_(None))
    )
    risk: tuple[sa.ColumnElement[int], ...] = ()
    if by_risk:
        risk = (severity_rank(db.session.get_bind().dialect.name),)
    upcoming = db.session.execute(
        base.where(Appointment.starts_at >= since)
        .order_by(*risk, Appointment.starts_at, Appointment.id)
        .offset(upcoming_offset)
        .limit(limit + 1)
    ).all()
    earlier = db.session.execute(
        base.where(Appointment.starts_at < since)
        .order_by(*risk, Appointment.starts_at.desc(), Appointment.id.desc())
        .offset(earlier_offset)
        .limit(limit + 1)
    ).all()
    shown_upcoming, shown_earlier = upcoming[:limit], earlier[:limit]
    latest = (
        _latest_decisions([row.id for row in (*shown_upcoming, *shown_earlier)])
        if with_decisions
        else {}
    )
    return (
        QueuePage(
            [_entry(row, latest) for row in shown_upcoming],
            upcoming_offset,
            len(upcoming) > limit,
        ),
        QueuePage(
            [_entry(row, latest) for row in shown_earlier],
            earlier_offset,
            len(earlier) > limit,
        ),
    )


def tab_counts(
    tabs: Mapping[str, frozenset[IntakeStatus]],
    *,
    waiting: frozenset[IntakeStatus],
    since: dt.datetime,
) -> dict[str, int]:
    """Count each tab's intakes in two statements, however many tabs or intakes.

    Intakes waiting for a decision (``waiting``) are counted whenever their
    appointment is; the others (ready, decided: history that only grows)
    from ``since`` on, which is what their tab lists first.
    """
    by_status: dict[IntakeStatus, int] = {}
    # "Not cancelled" through the small index of cancelled appointments, so
    # the waiting intakes are counted from the status index alone.
    cancelled = sa.select(Appointment.id).where(Appointment.cancelled_at.is_not(None))
    waiting_rows = db.session.execute(
        sa.select(Intake.status, sa.func.count())
        .where(Intake.status.in_(waiting), Intake.appointment_id.not_in(cancelled))
        .group_by(Intake.status)
    ).all()
    others = frozenset().union(*tabs.values()) - waiting
    upcoming_rows = db.session.execute(
        sa.select(Intake.status, sa.func.count())
        .join(Appointment, Intake.appointment_id == Appointment.id)
        .where(
            Intake.status.in_(others),
            Appointment.starts_at >= since,
            Appointment.cancelled_at.is_(None),
        )
        .group_by(Intake.status)
    ).all()
    for status, number in (*waiting_rows, *upcoming_rows):
        by_status[IntakeStatus(status)] = number
    return {key: sum(by_status.get(s, 0) for s in statuses) for key, statuses in tabs.items()}


def _entry(
    row: sa.Row[int, dt.datetime | None, dt.datetime, str, str], latest: dict[int, Decision]
) -> QueueEntry:
    return QueueEntry(
        row.id,
        row.submitted_at,
        row.starts_at,
        full_name(row.first_name, row.last_name),
        latest.get(row.id),
    )


def _latest_decisions(intake_ids: Sequence[int]) -> dict[int, Decision]:
    if not intake_ids:
        return {}
    # Every decision of these intakes through the intake_id index, newest last,
    # so the last one seen per intake wins (an intake has a handful at most).
    # A max(id) subquery joined back on id read the whole table instead.
    rows = db.session.scalars(
        sa.select(Decision)
        .where(Decision.intake_id.in_(intake_ids))
        .order_by(Decision.intake_id, Decision.id)
    )
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


def record_view(intake: Intake, staff_id: int) -> None:
    """Record that a staff member opened the intake (the one write its page makes)."""
    audit.record(
        audit.Action.INTAKE_VIEWED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=staff_id,
        target=("intake", intake.id),
        status=intake.status.value,
    )


def finished_through_new_link(intake: Intake) -> IntakeLink | None:
    """Return the link the intake was signed through when staff made it after the patient began.

    That is a reissue with a reason (:func:`intake.links.issue`): the clinician
    is told who made it and why.
    """
    link = intake.submitted_link
    if link is None or link.reason is None:
        return None
    return link
