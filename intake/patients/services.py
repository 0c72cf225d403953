"""Who the patient is, between requests: the link, the intake and a signed cookie.

Nothing lives in process memory: the binding is in Flask's signed session
cookie and everything it points at is read from the database on every request,
so any process can serve any patient request and a revoked, expired or locked
link stops working at once.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import secrets
import time
from dataclasses import dataclass
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app, session

from intake import audit, intakes
from intake.extensions import db
from intake.links import LinkState, link_state
from intake.models import SUBMITTED, Appointment, Intake, IntakeLink, PatientSession, utcnow
from intake.unit_of_work import locked

SESSION_KEY = "patient"


class Refusal(StrEnum):
    """Why a patient request cannot go on; each has its own plain page."""

    UNKNOWN = "unknown"  # no such link
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"
    CANCELLED = "cancelled"  # the clinic cancelled the appointment
    NO_SESSION = "no_session"  # no (or an expired) confirmed date of birth


class PatientAccessError(Exception):
    def __init__(self, refusal: Refusal) -> None:
        super().__init__(refusal.value)
        self.refusal = refusal


_STATE_REFUSAL = {
    LinkState.EXPIRED: Refusal.EXPIRED,
    LinkState.REVOKED: Refusal.REVOKED,
    LinkState.LOCKED: Refusal.LOCKED,
    LinkState.CANCELLED: Refusal.CANCELLED,
}


@dataclass(frozen=True)
class Patient:
    """The confirmed patient of this request: their link, intake and appointment."""

    link: IntakeLink
    intake: Intake
    session_id: int

    @property
    def appointment(self) -> Appointment:
        return self.intake.appointment

    @property
    def submitted(self) -> bool:
        return self.intake.status in SUBMITTED

    @property
    def answers(self) -> dict[str, str]:
        """What this patient may see: the answers given through their own link."""
        return intakes.visible_answers(self.intake, self.link.id)


def check_link(link: IntakeLink | None) -> IntakeLink:
    """Return ``link`` if it still opens the intake.

    :raise PatientAccessError: unknown, expired, revoked or locked.
    """
    if link is None:
        raise PatientAccessError(Refusal.UNKNOWN)
    state = link_state(link)
    if state is not LinkState.VALID:
        raise PatientAccessError(_STATE_REFUSAL[state])
    return link


def intake_of(link: IntakeLink) -> Intake:
    return db.session.execute(
        sa.select(Intake).where(Intake.appointment_id == link.appointment_id)
    ).scalar_one()


# -- The patient's session ------------------------------------------------------


def _lifetime() -> int:
    return int(current_app.config["INTAKE_PATIENT_SESSION_MINUTES"]) * 60


def _key_hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def bind(link: IntakeLink, intake: Intake) -> None:
    """Start a patient session for this browser: a row on the server, its key in the cookie.

    The cookie (signed) holds a random key and an idle deadline; the server
    holds the key's hash, so the session can be ended there (finish, a new
    link, the submission from another browser) whatever the cookie says.
    """
    key = secrets.token_urlsafe(32)
    db.session.add(PatientSession(key_hash=_key_hash(key), intake_id=intake.id, link_id=link.id))
    db.session.flush()
    session[SESSION_KEY] = {"key": key, "until": int(time.time()) + _lifetime()}


def unbind() -> None:
    session.pop(SESSION_KEY, None)


def _session_row(*, open_only: bool = True) -> PatientSession | None:
    """Return this browser's patient session, or None (no cookie, idle, unknown key).

    Unless ``open_only`` is False, a session ended on the server or older
    than ``INTAKE_PATIENT_SESSION_MAX_HOURS`` is None too.
    """
    found = _bound_session()
    if found is None:
        return None
    row, _, _, _ = found
    if not open_only:
        return row
    return row if _is_open(row) else None


def _bound_session() -> sa.Row[PatientSession, IntakeLink, Appointment, Intake] | None:
    """Return this browser's session row with its link, the link's appointment and its intake.

    One statement for what every patient page reads first (four before); None
    without a cookie, when the cookie is idle, or for an unknown key.
    """
    binding = session.get(SESSION_KEY)
    if not isinstance(binding, dict):
        return None
    key, until = binding.get("key"), binding.get("until")
    if not isinstance(key, str) or not isinstance(until, int) or until <= time.time():
        return None
    return db.session.execute(
        sa.select(PatientSession, IntakeLink, Appointment, Intake)
        .join(IntakeLink, IntakeLink.id == PatientSession.link_id)
        .join(Appointment, Appointment.id == IntakeLink.appointment_id)
        .join(Intake, Intake.appointment_id == Appointment.id)
        .where(PatientSession.key_hash == _key_hash(key))
    ).first()


def _is_open(row: PatientSession) -> bool:
    most = dt.timedelta(hours=int(current_app.config["INTAKE_PATIENT_SESSION_MAX_HOURS"]))
    return row.ended_at is None and utcnow() - row.created_at <= most


def bound_to(link: IntakeLink) -> bool:
    """Return whether this browser already confirmed the date of birth for ``link``."""
    row = _session_row()
    return row is not None and row.link_id == link.id


def current_patient() -> Patient:
    """Return the confirmed patient of this request and extend their cookie.

    The session must be open on the server, and name a link that still works
    and the intake of that link's appointment; a new link, an expired
    appointment, a lock, finishing or another browser's submission ends it.

    :raise PatientAccessError: no confirmed patient, or the link stopped working.
    """
    found = _bound_session()
    if found is None:
        unbind()
        raise PatientAccessError(Refusal.NO_SESSION)
    # The intake is that of the link's appointment.
    row, link, _, intake = found
    try:
        # A replaced, expired or locked link says so, rather than "start again".
        # (Its appointment came with it: link_state reads it with no statement.)
        link = check_link(link)
    except PatientAccessError:
        unbind()
        raise
    if not _is_open(row) or intake.id != row.intake_id:
        unbind()
        raise PatientAccessError(Refusal.NO_SESSION)
    # The idle lifetime counts from the last page the patient used (in the
    # signed cookie, so a page view writes nothing), so a slow, careful reader
    # is not sent back to the date of birth mid-form.
    session[SESSION_KEY] = {**session[SESSION_KEY], "until": int(time.time()) + _lifetime()}
    return Patient(link, intake, row.id)


def draft_scope(patient: Patient) -> str:
    """Return an opaque name for this patient session, under which the browser keeps unsent choices.

    The same on every page of one session and different for the next patient
    on a shared tablet, whose pages then drop the drafts of the one before
    (``static/js/patient.js``). Keyed with ``SECRET_KEY``, so it reveals
    neither the session nor the patient.
    """
    secret = str(current_app.config["SECRET_KEY"]).encode()
    message = f"draft:{patient.session_id}".encode()
    return hmac.new(secret, message, hashlib.sha256).hexdigest()[:16]


def finish() -> None:
    """End this browser's patient session on the server and forget it here."""
    row = _session_row()
    if row is not None:
        row.ended_at = utcnow()
    unbind()


# -- Date of birth ---------------------------------------------------------------


@dataclass(frozen=True)
class WrongDate:
    attempts: int
    remaining: int
    locked: bool


def record_visit(link: IntakeLink) -> None:
    """Record that the link was opened (the one write a GET of the link makes)."""
    audit.record(
        audit.Action.LINK_OPENED,
        actor_kind=audit.ActorKind.ANONYMOUS,
        target=("link", link.id),
        state=link_state(link).value,
    )


def confirm_identity(link_id: int, date_of_birth: dt.date) -> Intake | WrongDate:
    """Check a date of birth at a link: start the intake on a match, count a miss.

    The link row is locked first and its state checked under the lock, so of
    many wrong dates sent at once exactly the limit are counted, the link
    locks at the limit, and a right date sent after that is refused.

    :raise PatientAccessError: the link is locked, revoked or expired.
    """
    link = db.session.execute(
        locked(sa.select(IntakeLink).where(IntakeLink.id == link_id))
    ).scalar_one()
    check_link(link)
    if date_of_birth != link.appointment.date_of_birth:
        return _wrong_date(link)
    link.failed_attempts = 0
    intake = intakes.start(intake_of(link).id)
    audit.record(
        audit.Action.IDENTITY_CONFIRMED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", intake.id),
        link=link.id,
    )
    return intake


def _wrong_date(link: IntakeLink) -> WrongDate:
    limit = int(current_app.config["INTAKE_MAX_DOB_ATTEMPTS"])
    link.failed_attempts += 1
    attempts = link.failed_attempts
    locked_now = attempts >= limit
    if locked_now:
        link.locked_at = utcnow()
    target = ("link", link.id)
    audit.record(
        audit.Action.IDENTITY_FAILED,
        actor_kind=audit.ActorKind.ANONYMOUS,
        target=target,
        attempt=attempts,
    )
    if locked_now:
        audit.record(audit.Action.LINK_LOCKED, actor_kind=audit.ActorKind.SYSTEM, target=target)
    return WrongDate(attempts, max(limit - attempts, 0), locked_now)


def record_copy_viewed(intake: Intake) -> None:
    """Record that the patient opened their copy of the acknowledgment."""
    audit.record(
        audit.Action.ACKNOWLEDGMENT_VIEWED,
        actor_kind=audit.ActorKind.PATIENT,
        target=("intake", intake.id),
    )
