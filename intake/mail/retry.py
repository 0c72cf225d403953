"""``flask --app wsgi mail retry``: link emails that failed for a reason that may pass, again.

Run from cron beside ``reminders send``. It takes each link email (the
booking's "email it", the front desk's Send by email, ``add --send``) that

- is the appointment's latest link email (a later send replaces it),
- failed for a reason that may pass: the mail server could not be reached,
  did not answer in time, hung up, or answered a temporary (4xx) code; or was
  left ``pending`` by a process that stopped between the commit and the send,
- was last tried at least ``RETRY_MINUTES`` ago, fewer than ``MAX_ATTEMPTS``
  times in all,
- still carries a link that works (its sealed token is kept; a replaced,
  cancelled or past link's is wiped), to an appointment that is not
  cancelled and still has an email address.

A permanent refusal (a 5xx code: the server will not take the address), a
failed SMTP sign-in, email switched off and a link that no longer works are
not tried again: those need a person (the front desk corrects the address,
makes a new link and sends it).

Exactly once with two runs at once: a row is taken by a compare-and-set
``UPDATE`` on its ``updated_at`` (as :mod:`intake.mail.reminders` takes a
failed reminder), committed before the send; only the run whose ``UPDATE``
changed the row sends. The address is taken afresh from the appointment.
"""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.orm import aliased

from intake.extensions import db
from intake.mail import outbox
from intake.models import Appointment, MailKind, OutboxMessage, OutboxState, utcnow

# Sends in all, the first included.
MAX_ATTEMPTS = 3
# How long after a try (or after a claim left pending) the next may be.
RETRY_MINUTES = 15

# ``last_error`` values (see :func:`intake.mail.outbox.describe`) that may pass.
PASSING = (outbox.Reason.UNREACHABLE, outbox.Reason.TIMEOUT, outbox.Reason.DISCONNECTED)
TEMPORARY = (outbox.Reason.REFUSED, outbox.Reason.REJECTED)


def _may_pass() -> sa.ColumnElement[bool]:
    return sa.or_(
        OutboxMessage.last_error.in_([reason.value for reason in PASSING]),
        *(OutboxMessage.last_error.like(f"{reason.value} 4%") for reason in TEMPORARY),
    )


def _retryable(now: dt.datetime) -> sa.ColumnElement[bool]:
    """Rows a run may take now (checked again by the claim's compare-and-set)."""
    later = aliased(OutboxMessage)
    return sa.and_(
        OutboxMessage.kind == MailKind.LINK,
        OutboxMessage.attempts < MAX_ATTEMPTS,
        OutboxMessage.sealed_token != "",
        OutboxMessage.updated_at < now - dt.timedelta(minutes=RETRY_MINUTES),
        sa.or_(
            OutboxMessage.state == OutboxState.PENDING,
            sa.and_(OutboxMessage.state == OutboxState.FAILED, _may_pass()),
        ),
        ~sa.exists().where(
            later.appointment_id == OutboxMessage.appointment_id,
            later.kind == MailKind.LINK,
            later.id > OutboxMessage.id,
        ),
    )


def due(now: dt.datetime | None = None) -> list[tuple[int, dt.datetime]]:
    """The link emails to try again now, oldest first: each id with the ``updated_at`` seen."""
    now = now or utcnow()
    rows = db.session.execute(
        sa.select(OutboxMessage.id, OutboxMessage.updated_at)
        .join(Appointment, Appointment.id == OutboxMessage.appointment_id)
        .where(
            _retryable(now),
            Appointment.cancelled_at.is_(None),
            Appointment.email.is_not(None),
            Appointment.email != "",
        )
        .order_by(OutboxMessage.id)
    ).all()
    return [(row.id, row.updated_at) for row in rows]


def claim(message_id: int, seen: dt.datetime, now: dt.datetime) -> bool:
    """Take the row for this run, in a transaction of its own; False if another run has it."""
    try:
        email = sa.select(Appointment.email).where(
            Appointment.id == OutboxMessage.appointment_id,
            Appointment.cancelled_at.is_(None),
        )
        taken = db.session.execute(
            sa.update(OutboxMessage)
            .where(
                OutboxMessage.id == message_id,
                OutboxMessage.updated_at == seen,
                _retryable(now),
            )
            .values(
                state=OutboxState.PENDING,
                updated_at=now,
                to_address=sa.func.coalesce(email.scalar_subquery(), ""),
            )
            .execution_options(synchronize_session=False)
        )
        if taken.rowcount != 1:  # type: ignore[attr-defined]
            db.session.rollback()
            return False
        db.session.commit()
    except BaseException:
        db.session.rollback()
        raise
    return True


def send_due(now: dt.datetime | None = None) -> outbox.Summary:
    """Take and send every link email due another try; each claim and outcome commits alone."""
    moment = now or utcnow()
    candidates = outbox.due_after_forgetting(due, moment)
    return outbox.send_each(
        message_id if claim(message_id, seen, moment) else None for message_id, seen in candidates
    )


mail_cli = AppGroup("mail", help="Email to patients: try failed link emails again.")


@mail_cli.command("retry")
def retry_command() -> None:
    """Send again each link email that failed for a reason that may pass; safe from cron."""
    outbox.require_enabled()
    click.echo(send_due().line())
