"""``flask --app wsgi reminders send``: one reminder per appointment, whatever runs at once.

Who gets one: the appointment starts within the next ``REMINDER_HOURS``, is
not cancelled, has an email address, its intake is not submitted (not
started or in progress), and the patient has not asked for no more
reminders.

Exactly once, from cron every few minutes and with two runs at once: the
reminder's outbox row is its claim. It is inserted in a transaction of its
own, and the unique ``(appointment_id, reminder)`` index lets only one run
have it; the other's insert fails (on PostgreSQL it waits for the first to
commit, then fails) and it skips. A failed send leaves the row ``failed``;
a later run takes it again by a compare-and-set ``UPDATE`` (only the run
whose ``UPDATE`` changed the row sends) until it has been tried
``MAX_ATTEMPTS`` times. A claim left ``pending`` by a run that died is taken
again after ``STALE_MINUTES``.

Which link: a reminder must carry a link that works, and only a hash of a
link's token is stored. When the patient's current link was emailed, its
token is still sealed on that outbox row (:mod:`intake.mail.outbox`), and the
reminder reuses it: the patient's link keeps working, with whatever they saved.
Otherwise, if the patient has not started, a new link is issued (the one given
at the desk or by text stops working; nothing is lost, as nothing was saved).
A patient who started through a link that was never emailed gets no reminder:
a new link would hide the answers they saved (``intakes.visible_answers``),
and the front desk sees them as in progress.
"""

from __future__ import annotations

import datetime as dt

import click
import sqlalchemy as sa
from flask.cli import AppGroup
from sqlalchemy.exc import IntegrityError

from intake import links
from intake.extensions import db
from intake.mail import outbox
from intake.models import (
    Appointment,
    Intake,
    IntakeStatus,
    MailKind,
    OutboxMessage,
    OutboxState,
    utcnow,
)
from intake.sealed import InvalidToken, seal, unseal

REMINDER_HOURS = 48
# The name of the reminder in the claim's unique key: one per appointment.
REMINDER_KEY = "48h"
# A failed reminder is tried again by later runs, at most this many sends in all.
MAX_ATTEMPTS = 3
STALE_MINUTES = 15

NOT_SUBMITTED = (IntakeStatus.NOT_STARTED, IntakeStatus.IN_PROGRESS)


def due(now: dt.datetime | None = None) -> list[int]:
    """The ids of the appointments a reminder is due for, soonest first."""
    now = now or utcnow()
    return list(
        db.session.scalars(
            sa.select(Appointment.id)
            .join(Intake, Intake.appointment_id == Appointment.id)
            .where(
                Appointment.starts_at > now,
                Appointment.starts_at <= now + dt.timedelta(hours=REMINDER_HOURS),
                Appointment.cancelled_at.is_(None),
                Appointment.email.is_not(None),
                Appointment.email != "",
                Appointment.reminders_stopped_at.is_(None),
                Intake.status.in_(NOT_SUBMITTED),
            )
            .order_by(Appointment.starts_at, Appointment.id)
        )
    )


def _token_for(appointment: Appointment) -> tuple[int, str] | None:
    """A working link for the reminder: the emailed one's sealed token, or a new link."""
    link = outbox.usable_link(appointment)
    if link is None:
        return None
    sealed = db.session.scalars(
        sa.select(OutboxMessage.sealed_token)
        .where(OutboxMessage.link_id == link.id, OutboxMessage.sealed_token != "")
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    if sealed:
        try:
            return link.id, unseal(sealed)
        except InvalidToken:
            pass
    if appointment.intake.status is not IntakeStatus.NOT_STARTED:
        return None
    new_link, token = links.issue(appointment.id)
    return new_link.id, token


def claim(appointment_id: int, now: dt.datetime | None = None) -> int | None:
    """Claim the appointment's reminder in a transaction of its own; its outbox id, or None.

    None: another run has it, it was sent, it failed ``MAX_ATTEMPTS`` times,
    or no working link can be given (nothing is then kept).
    """
    now = now or utcnow()
    try:
        existing = db.session.scalars(
            sa.select(OutboxMessage).where(
                OutboxMessage.appointment_id == appointment_id,
                OutboxMessage.reminder == REMINDER_KEY,
            )
        ).first()
        if existing is None:
            message = OutboxMessage(
                appointment_id=appointment_id,
                kind=MailKind.REMINDER,
                reminder=REMINDER_KEY,
                state=OutboxState.PENDING,
            )
            with db.session.begin_nested():
                db.session.add(message)
        else:
            taken = db.session.execute(
                sa.update(OutboxMessage)
                .where(
                    OutboxMessage.id == existing.id,
                    OutboxMessage.updated_at == existing.updated_at,
                    OutboxMessage.attempts < MAX_ATTEMPTS,
                    sa.or_(
                        OutboxMessage.state == OutboxState.FAILED,
                        sa.and_(
                            OutboxMessage.state == OutboxState.PENDING,
                            OutboxMessage.updated_at < now - dt.timedelta(minutes=STALE_MINUTES),
                        ),
                    ),
                )
                .values(state=OutboxState.PENDING, updated_at=now)
                .execution_options(synchronize_session=False)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                db.session.rollback()
                return None
            message = existing
        appointment = links.lock_appointment(appointment_id)
        found = None
        if (
            not appointment.cancelled
            and appointment.email
            and appointment.reminders_stopped_at is None
            and appointment.intake.status in NOT_SUBMITTED
        ):
            found = _token_for(appointment)
        if found is None:
            db.session.rollback()
            return None
        message_id = message.id
        db.session.execute(
            sa.update(OutboxMessage)
            .where(OutboxMessage.id == message_id)
            .values(
                to_address=appointment.email,
                link_id=found[0],
                sealed_token=seal(found[1]),
                language=appointment.language,
            )
            .execution_options(synchronize_session=False)
        )
        db.session.commit()
    except IntegrityError:
        # Another run inserted the claim first (and committed): it sends.
        db.session.rollback()
        return None
    except BaseException:
        db.session.rollback()
        raise
    return message_id


def send_due(now: dt.datetime | None = None) -> outbox.Summary:
    """Claim and send every reminder due now; each claim and outcome commits on its own."""
    ids = outbox.due_after_forgetting(due, now)
    return outbox.send_each(claim(appointment_id, now) for appointment_id in ids)


reminders_cli = AppGroup("reminders", help="Email reminders to patients before their appointment.")


@reminders_cli.command("send")
def send_command() -> None:
    """Email a reminder to each patient due one; safe to run from cron every few minutes."""
    outbox.require_enabled()
    click.echo(send_due().line())
