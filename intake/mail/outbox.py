"""The outbox: an email is a row written with the change that asks for it, sent after the commit.

The view or command that books, or presses "Send by email", adds an
:class:`~intake.models.OutboxMessage` in its unit of work and asks for
:func:`deliver` after the commit (:func:`intake.unit_of_work.after_commit`).
:func:`deliver` builds the message, sends it with no transaction open (an SMTP
server can take seconds; SQLite's write lock must not wait on it), then
records the outcome on the row in a short transaction of its own, with an
audit event (``mail.sent`` / ``mail.failed``: the appointment and the
outbox row, never the address). A failure is a state the front desk sees,
not an error page.

Why the token is sealed on the row rather than the body kept: the message is
built at send time from the appointment (so a retry or a reminder says the
current time and wording) and from the link's token, which only the email
may carry. The database otherwise keeps just the token's hash, so the row
keeps the token sealed with the app's Fernet keys (:mod:`intake.sealed`, the
same keys as the held links) and the message is assembled in memory for the
few seconds of the send. The sealed value is kept while its link can still
work, because a reminder reuses it (the patient's link, with whatever they
already saved, keeps working); it is wiped as soon as that link is replaced,
cancelled or past (:func:`forget_dead_tokens`), and a link that no longer
works is never sent.
"""

from __future__ import annotations

import datetime as dt
import smtplib
from collections.abc import Callable, Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import TypeVar

import click
import sqlalchemy as sa
from flask import current_app, render_template
from flask_babel import force_locale, gettext
from flask_mailman import EmailMultiAlternatives
from itsdangerous import BadSignature, URLSafeTimedSerializer

from intake import audit, clock, links
from intake.errors import ConflictError
from intake.extensions import db, mail
from intake.links import LinkState, intake_url, link_state
from intake.models import (
    Appointment,
    IntakeLink,
    MailKind,
    OutboxMessage,
    OutboxState,
    utcnow,
)
from intake.sealed import InvalidToken, seal, unseal
from intake.unit_of_work import after_commit, locked

T = TypeVar("T")

LANGUAGES: dict[str, str] = {"en": "English", "es": "Español"}

# The "no more reminders" link: signed with SECRET_KEY under its own salt,
# good for as long as any email that carries it may still be opened.
STOP_SALT = "intake.mail.stop-reminders"
STOP_MAX_AGE = 180 * 24 * 3600


class Reason(StrEnum):
    """Why a send failed, as stored in ``last_error`` (an SMTP code may follow)."""

    UNREACHABLE = "unreachable"
    TIMEOUT = "timeout"
    REFUSED = "refused"
    REJECTED = "rejected"
    AUTH = "auth"
    DISCONNECTED = "disconnected"
    LINK = "link"
    NO_ADDRESS = "no_address"
    DISABLED = "disabled"
    ERROR = "error"


class MailDisabledError(ConflictError):
    """No SMTP host is configured: email is off."""

    code = "mail.disabled"


class NoAddressError(ConflictError):
    """The appointment has no email address."""

    code = "mail.no_address"


def enabled() -> bool:
    return bool(current_app.config["INTAKE_MAIL_ENABLED"])


def queue_link(
    appointment: Appointment, link: IntakeLink, token: str, *, by: int | None
) -> OutboxMessage:
    """Add an email carrying ``token``'s link to the outbox; it is sent after the commit.

    :raise MailDisabledError: sending is off.
    :raise NoAddressError: the appointment has no email address.
    """
    if not enabled():
        raise MailDisabledError
    if not appointment.email:
        raise NoAddressError
    message = OutboxMessage(
        appointment_id=appointment.id,
        kind=MailKind.LINK,
        to_address=appointment.email,
        link_id=link.id,
        sealed_token=seal(token),
        language=appointment.language,
        created_by_id=by,
    )
    db.session.add(message)
    db.session.flush()
    message_id = message.id
    forget_dead_tokens()
    after_commit(lambda: deliver(message_id))
    return message


def set_language(appointment_id: int, language: str, *, by: int | None) -> bool:
    """Change the language of the appointment's emails; return whether it changed.

    Locks the row as every appointment change does (``FOR NO KEY UPDATE``,
    see :func:`intake.appointments._lock_live`); audited as
    ``appointment.updated`` with the field's name only.
    """
    if language not in LANGUAGES:
        return False
    appointment = db.session.execute(
        sa.select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if appointment.cancelled or appointment.language == language:
        return False
    appointment.language = language
    audit.record(
        audit.Action.APPOINTMENT_UPDATED,
        actor_kind=audit.ActorKind.STAFF if by is not None else audit.ActorKind.SYSTEM,
        actor_id=by,
        target=("appointment", appointment.id),
        fields="language",
    )
    return True


def stop_token(appointment_id: int) -> str:
    return _stop_serializer().dumps(appointment_id)


def appointment_for_stop_token(token: str) -> int | None:
    """Return the appointment id a "no more reminders" token was made for, or None."""
    try:
        value = _stop_serializer().loads(token, max_age=STOP_MAX_AGE)
    except BadSignature:
        return None
    return value if isinstance(value, int) else None


def _stop_serializer() -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(current_app.config["SECRET_KEY"], salt=STOP_SALT)


def stop_url(appointment_id: int) -> str:
    return f"{current_app.config['INTAKE_BASE_URL']}/reminders/stop/{stop_token(appointment_id)}"


def describe(error: Exception) -> str:
    """A short reason for a failed send: a kind and the SMTP code, never an address."""
    reason, code = Reason.UNREACHABLE, ""
    if isinstance(error, smtplib.SMTPRecipientsRefused):
        reason = Reason.REFUSED
        code = ",".join(sorted({str(c) for c, _msg in error.recipients.values()}))
    elif isinstance(error, smtplib.SMTPAuthenticationError):
        reason, code = Reason.AUTH, str(error.smtp_code)
    elif isinstance(error, smtplib.SMTPResponseException):
        reason, code = Reason.REJECTED, str(error.smtp_code)
    elif isinstance(error, smtplib.SMTPServerDisconnected):
        reason = Reason.DISCONNECTED
    elif isinstance(error, smtplib.SMTPException):
        reason, code = Reason.REJECTED, type(error).__name__
    elif isinstance(error, TimeoutError):
        reason = Reason.TIMEOUT
    elif not isinstance(error, OSError):
        reason, code = Reason.ERROR, type(error).__name__
    return f"{reason.value} {code}".strip()


def _usable_token(message: OutboxMessage) -> str | None:
    """The link's token, if that link still works; None otherwise."""
    if not message.sealed_token or message.link_id is None:
        return None
    link = db.session.get(IntakeLink, message.link_id)
    if link is None or link_state(link) is not LinkState.VALID:
        return None
    try:
        return unseal(message.sealed_token)
    except InvalidToken:  # the keys changed since
        return None


def build(message: OutboxMessage, appointment: Appointment, token: str) -> EmailMultiAlternatives:
    """The email, in the patient's language: plain text and HTML, and the unsubscribe headers.

    It names the clinic and the appointment's time in the clinic's zone, and
    carries the link. Never a question, an answer or the date of birth: the
    templates get only what is passed here.
    """
    stop = stop_url(appointment.id)
    context = {
        "clinic": current_app.config["INTAKE_CLINIC_NAME"],
        "phone": current_app.config["INTAKE_CLINIC_PHONE"],
        "url": intake_url(token),
        "stop_url": stop,
        "reminder": message.kind is MailKind.REMINDER,
    }
    with force_locale(message.language):
        context["when"] = clock.when(appointment.starts_at, "patient")
        if message.kind is MailKind.REMINDER:
            subject = gettext(
                "Reminder: a few questions before your visit to %(clinic)s",
                clinic=context["clinic"],
            )
        else:
            subject = gettext(
                "A few questions before your visit to %(clinic)s", clinic=context["clinic"]
            )
        text = render_template("mail/intake_link.txt", **context)
        html = render_template("mail/intake_link.html", subject=subject, **context)
    email = EmailMultiAlternatives(
        subject=subject,
        body=text,
        to=[message.to_address],
        headers={
            # RFC 8058: one-click unsubscribe, by a POST to an https URL.
            "List-Unsubscribe": f"<{stop}>",
            "List-Unsubscribe-Post": "List-Unsubscribe=One-Click",
        },
    )
    email.attach_alternative(html, "text/html")
    return email


def deliver(message_id: int) -> OutboxState:
    """Send one outbox email now, and record the outcome on its row; never raises for SMTP.

    Call after the commit that wrote the row. A row already sent is left as is.
    """
    message = db.session.get(OutboxMessage, message_id, populate_existing=True)
    if message is None or message.state is OutboxState.SENT:
        db.session.rollback()
        return OutboxState.SENT
    appointment = db.session.get(Appointment, message.appointment_id)
    assert appointment is not None
    reason: str | None = None
    email = None
    if not enabled():
        reason = Reason.DISABLED.value
    elif not message.to_address:
        reason = Reason.NO_ADDRESS.value
    else:
        token = _usable_token(message)
        if token is None:
            reason = Reason.LINK.value
        else:
            email = build(message, appointment, token)
    # No transaction stays open while the mail server answers.
    db.session.rollback()
    if email is not None:
        try:
            _send(email)
        # Whatever went wrong, the outcome is recorded: the message of an
        # unexpected error may hold the address, so only its type is kept.
        except Exception as exc:
            reason = describe(exc)
    return _record(message_id, reason)


def _send(email: EmailMultiAlternatives) -> None:
    """Send on a connection of its own, closed whatever the server answered.

    (Flask-Mailman leaves the socket open when the server refuses a message.)
    """
    connection = mail.get_connection()
    connection.open()
    smtp = connection.connection
    try:
        connection.send_messages([email])
    finally:
        try:
            connection.close()
        except (smtplib.SMTPException, OSError):
            if smtp is not None:
                smtp.close()


def _record(message_id: int, reason: str | None) -> OutboxState:
    """Record a send's outcome, with its audit event, in a transaction of its own."""
    message = db.session.execute(
        locked(sa.select(OutboxMessage).where(OutboxMessage.id == message_id))
    ).scalar_one()
    now = utcnow()
    message.attempts += 1
    message.updated_at = now
    if reason is None:
        message.state = OutboxState.SENT
        message.sent_at = now
        message.last_error = None
    else:
        message.state = OutboxState.FAILED
        message.last_error = reason[:200]
    # Tried: the address is not needed here any more (the appointment keeps
    # it, and a reminder's retry takes it afresh when it claims the row).
    message.to_address = ""
    if reason == Reason.LINK.value:
        message.sealed_token = ""
    audit.record(
        audit.Action.MAIL_SENT if reason is None else audit.Action.MAIL_FAILED,
        actor_kind=audit.ActorKind.SYSTEM,
        target=("appointment", message.appointment_id),
        outbox=message.id,
        kind=message.kind.value,
        reason=reason.split(" ")[0] if reason else None,
    )
    state = message.state
    db.session.commit()
    return state


def forget_dead_tokens(now: dt.datetime | None = None) -> int:
    """Wipe the sealed tokens of links that no longer work (replaced, cancelled or past).

    Runs in the caller's unit of work; returns how many were wiped.
    """
    now = now or utcnow()
    grace = dt.timedelta(hours=current_app.config["INTAKE_LINK_GRACE_HOURS"])
    # Per outbox row still holding a token (few: only live links' emails), its
    # link and appointment by primary key; not a pass over every link.
    dead = (
        sa.select(IntakeLink.id)
        .join(Appointment, Appointment.id == IntakeLink.appointment_id)
        .where(
            IntakeLink.id == OutboxMessage.link_id,
            sa.or_(
                IntakeLink.revoked_at.is_not(None),
                Appointment.cancelled_at.is_not(None),
                Appointment.starts_at < now - grace,
            ),
        )
        .exists()
    )
    result = db.session.execute(
        sa.update(OutboxMessage)
        .where(OutboxMessage.sealed_token != "", dead)
        .values(sealed_token="")
        .execution_options(synchronize_session=False)
    )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def latest(appointment_id: int, limit: int = 10) -> list[OutboxMessage]:
    """The appointment's emails, newest first (for the front desk)."""
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.appointment_id == appointment_id)
            .order_by(OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def usable_link(appointment: Appointment) -> IntakeLink | None:
    """The appointment's current link, if it works."""
    link = appointment.links[-1] if appointment.links else None
    if link is None or link_state(link) is not LinkState.VALID or not links.usable(appointment):
        return None
    return link


# -- A cron run (``reminders send``, ``mail retry``) ------------------------------


@dataclass
class Summary:
    """What one run did: the line it prints."""

    sent: int = 0
    failed: int = 0
    skipped: int = 0

    def line(self) -> str:
        return f"sent {self.sent}, failed {self.failed}, skipped {self.skipped}"


def require_enabled() -> None:
    """Stop a command, with the line that says why, while email is off."""
    if not enabled():
        raise click.ClickException("email is off: set INTAKE_SMTP_HOST (see the README)")


def due_after_forgetting(
    due: Callable[[dt.datetime | None], list[T]], now: dt.datetime | None
) -> list[T]:
    """Wipe dead links' tokens (committed), then what ``due`` lists, with no transaction kept."""
    try:
        forget_dead_tokens(now)
        db.session.commit()
        found = due(now)
        db.session.rollback()
    except BaseException:
        db.session.rollback()
        raise
    return found


def send_each(claimed: Iterable[int | None]) -> Summary:
    """Send each outbox row as it is claimed (None: another run has it, or nothing to send)."""
    summary = Summary()
    for message_id in claimed:
        if message_id is None:
            summary.skipped += 1
        elif deliver(message_id) is OutboxState.SENT:
            summary.sent += 1
        else:
            summary.failed += 1
    return summary
