"""Intake links: a 256-bit random token per link, of which only the SHA-256 is kept.

At most one link per appointment is open (not revoked): the database holds
that with a partial unique index, and :func:`issue` locks the appointment row
before revoking the open link and adding the new one, so two reissues at once
queue up and the second revokes the first's link.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from intake import audit
from intake.errors import ConflictError, InputError
from intake.extensions import db
from intake.models import Appointment, IntakeLink, IntakeStatus, PatientSession, utcnow
from intake.unit_of_work import locked

TOKEN_BYTES = 32
# token_urlsafe(32) is 43 characters; anything much longer is not a token.
MAX_TOKEN_LENGTH = 128


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"
    CANCELLED = "cancelled"


class AppointmentPassedError(ConflictError):
    """The appointment's links can no longer work, so a new one would not either."""

    code = "appointment.passed"


class AppointmentCancelledError(ConflictError):
    """The appointment was cancelled: it cannot change or get a link any more."""

    code = "appointment.cancelled"


class ReasonRequiredError(InputError):
    """The patient has started: staff must say why they make a new link."""

    def __init__(self) -> None:
        super().__init__("reissue.reason_required", field="reason")


MAX_REASON_LENGTH = 500


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def intake_url(token: str) -> str:
    return f"{current_app.config['INTAKE_BASE_URL']}/i/{token}"


def lock_appointment(appointment_id: int) -> Appointment:
    return db.session.execute(
        locked(sa.select(Appointment).where(Appointment.id == appointment_id))
    ).scalar_one()


def issue(
    appointment_id: int, *, by: int | None = None, first: bool = False, reason: str = ""
) -> tuple[IntakeLink, str]:
    """Revoke the appointment's open link and issue a new one; return it and its token.

    The token is returned once, to be shown or sent; it cannot be recovered
    later. ``first`` marks the link made with the booking (``link.issued``);
    any other is a reissue (``link.reissued``). The event's target is the
    appointment, whoever issues it (the front desk, the command line). Every
    patient session of the intake ends. Once the patient has started, staff
    must give a ``reason`` (kept with the link for the clinician to read; the
    audit event records only that one was given); the new link shows none of
    the answers saved before it (:func:`intake.intakes.visible_answers`).

    :raise AppointmentCancelledError: the appointment was cancelled.
    :raise AppointmentPassedError: the new link would not work.
    :raise ReasonRequiredError: the patient has started and no reason was given.
    """
    appointment = lock_appointment(appointment_id)
    now = utcnow()
    if appointment.cancelled:
        raise AppointmentCancelledError
    if now >= expires_at(appointment):
        raise AppointmentPassedError
    reason = reason.strip()[:MAX_REASON_LENGTH]
    started = appointment.intake is not None and (
        appointment.intake.status is not IntakeStatus.NOT_STARTED
    )
    if started and not first and not reason:
        raise ReasonRequiredError
    if appointment.intake is not None:
        db.session.execute(
            sa.update(PatientSession)
            .where(
                PatientSession.intake_id == appointment.intake.id,
                PatientSession.ended_at.is_(None),
            )
            .values(ended_at=now)
            .execution_options(synchronize_session=False)
        )
    db.session.execute(
        sa.update(IntakeLink)
        .where(IntakeLink.appointment_id == appointment.id, IntakeLink.revoked_at.is_(None))
        .values(revoked_at=now)
        .execution_options(synchronize_session="fetch")
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = IntakeLink(
        appointment_id=appointment.id,
        token_hash=hash_token(token),
        issued_by_id=by,
        reason=reason or None,
    )
    db.session.add(link)
    db.session.flush()
    audit.record(
        audit.Action.LINK_ISSUED if first else audit.Action.LINK_REISSUED,
        actor_kind=audit.ActorKind.STAFF if by is not None else audit.ActorKind.SYSTEM,
        actor_id=by,
        target=("appointment", appointment.id),
        link=link.id,
        after_start=started,
    )
    return link, token


def find_link(token: str) -> IntakeLink | None:
    """Return the link whose token this is, or None; the lookup is by hash only."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return None
    return db.session.execute(
        sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(token))
    ).scalar_one_or_none()


def expires_at(appointment: Appointment) -> dt.datetime:
    """A link works until a short grace period after the appointment starts.

    Computed from the appointment each time, never stored: a rescheduled
    appointment takes its link's expiry with it.
    """
    return expiry_for(appointment.starts_at)


def expiry_for(starts_at: dt.datetime) -> dt.datetime:
    """Return when the links of an appointment starting at ``starts_at`` stop working."""
    grace = dt.timedelta(hours=current_app.config["INTAKE_LINK_GRACE_HOURS"])
    return starts_at + grace


def usable(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """A new link is worth issuing only while the appointment's links can still work."""
    return not appointment.cancelled and (now or utcnow()) < expires_at(appointment)


def link_state(link: IntakeLink, now: dt.datetime | None = None) -> LinkState:
    return state_of(
        cancelled=link.appointment.cancelled,
        revoked=link.revoked_at is not None,
        expired=(now or utcnow()) >= expires_at(link.appointment),
        locked=link.locked_at is not None,
    )


def state_of(*, cancelled: bool, revoked: bool, expired: bool, locked: bool) -> LinkState:
    """A link's state from what is true of it: the one order every caller decides it in.

    :func:`link_state` reads these from a loaded link; a list of appointments
    (the front desk's day) reads them as columns, without loading the links.
    """
    # Cancelled first: the patient is told the appointment is off, whatever
    # else is true of the link.
    if cancelled:
        return LinkState.CANCELLED
    if revoked:
        return LinkState.REVOKED
    if expired:
        return LinkState.EXPIRED
    if locked:
        return LinkState.LOCKED
    return LinkState.VALID
