"""Appointments: one set of checks and a service per change, for the command line and front desk.

:func:`parse_booking` (and :func:`parse_details`, :func:`parse_start` for
changes) reads every field once and reports every wrong field at once, each
with a code (``"dob.future"``); the front desk and the command line each turn
the codes into their own words. :func:`book` adds the appointment, its intake
and its first link; :func:`edit_details`, :func:`reschedule` and
:func:`cancel` change it. Each writes its audit events in the caller's unit of
work, and each change locks the appointment row first. A second booking of the
same person at the same time is refused by a unique index on the stored
booking key, whichever process made the first; a cancelled appointment has no
key, so it holds no slot.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from intake import audit, intakes, links
from intake.errors import ConflictError, InputError
from intake.extensions import db
from intake.links import AppointmentCancelledError
from intake.models import Acknowledgment, Appointment, Intake, IntakeLink, booking_key, utcnow
from intake.unit_of_work import locked

FIELDS = ("first_name", "last_name", "dob", "at", "email", "phone")
DETAIL_FIELDS = ("first_name", "last_name", "dob", "email", "phone")
MAX_REASON_LENGTH = 500
MAX_NAME_LENGTH = 100
MAX_PHONE_LENGTH = 40
EARLIEST_BIRTH_YEAR = 1900
TIME_FORMAT = "%Y-%m-%dT%H:%M"


class BookingInputError(InputError):
    """One or more booking fields are wrong: ``errors`` maps each field to its code."""

    def __init__(self, errors: Mapping[str, str]) -> None:
        first = next(iter(errors))
        super().__init__(errors[first], field=first)
        self.errors = dict(errors)


class SignedError(ConflictError):
    """The acknowledgment is signed: the print must show who signed, so details stay."""

    code = "appointment.signed"


class DuplicateBookingError(ConflictError):
    """The same person already has an appointment at this time."""

    code = "booking.duplicate"

    def __init__(self, existing_id: int | None) -> None:
        super().__init__()
        self.existing_id = existing_id


@dataclass(frozen=True)
class Booking:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    starts_at: dt.datetime
    email: str | None
    phone: str | None

    @property
    def key(self) -> str:
        return booking_key(self.first_name, self.last_name, self.date_of_birth, self.starts_at)


@dataclass(frozen=True)
class Details:
    """Who the appointment is for, checked (:func:`parse_details`)."""

    first_name: str
    last_name: str
    date_of_birth: dt.date
    email: str | None
    phone: str | None


def parse_booking(
    values: Mapping[str, str | None], *, tz: ZoneInfo, now: dt.datetime | None = None
) -> Booking:
    """Check every field (``FIELDS``) and return a booking with ``starts_at`` in UTC.

    :raise BookingInputError: naming every wrong field, in form order, with a code.
    """
    now = now or utcnow()
    errors: dict[str, str] = {}
    details = _details(values, tz, now, errors)
    starts_at = _starts_at((values.get("at") or "").strip(), tz, now, errors)
    if errors:
        raise BookingInputError({f: errors[f] for f in FIELDS if f in errors})
    assert details is not None and starts_at is not None
    return Booking(
        details.first_name,
        details.last_name,
        details.date_of_birth,
        starts_at,
        details.email,
        details.phone,
    )


def parse_details(
    values: Mapping[str, str | None], *, tz: ZoneInfo, now: dt.datetime | None = None
) -> Details:
    """Check the patient's details (``DETAIL_FIELDS``), as :func:`parse_booking` does.

    :raise BookingInputError: naming every wrong field, in form order, with a code.
    """
    errors: dict[str, str] = {}
    details = _details(values, tz, now or utcnow(), errors)
    if errors:
        raise BookingInputError({f: errors[f] for f in DETAIL_FIELDS if f in errors})
    assert details is not None
    return details


def parse_start(text: str, *, tz: ZoneInfo, now: dt.datetime | None = None) -> dt.datetime:
    """Check a new local start time (``YYYY-MM-DDTHH:MM``, not passed); return it in UTC.

    :raise BookingInputError: ``at`` is not a time, or has passed.
    """
    errors: dict[str, str] = {}
    starts_at = _starts_at(text.strip(), tz, now or utcnow(), errors)
    if errors:
        raise BookingInputError(errors)
    assert starts_at is not None
    return starts_at


def _details(
    values: Mapping[str, str | None], tz: ZoneInfo, now: dt.datetime, errors: dict[str, str]
) -> Details | None:
    def text(name: str) -> str:
        return (values.get(name) or "").strip()

    first_name, last_name = text("first_name"), text("last_name")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not value:
            errors[field] = f"{field}.required"
        elif len(value) > MAX_NAME_LENGTH:
            errors[field] = f"{field}.too_long"
    date_of_birth = _date_of_birth(text("dob"), now.astimezone(tz).date(), errors)
    email = text("email") or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "email.invalid"
    phone = text("phone") or None
    if phone is not None and (len(phone) > MAX_PHONE_LENGTH or not any(c.isdigit() for c in phone)):
        errors["phone"] = "phone.invalid"
    if errors or date_of_birth is None:
        return None
    return Details(first_name, last_name, date_of_birth, email, phone)


def one_year_before(day: dt.date) -> dt.date:
    """The same day a year earlier (28 February for 29 February)."""
    try:
        return day.replace(year=day.year - 1)
    except ValueError:
        return day.replace(year=day.year - 1, day=28)


def _date_of_birth(text: str, today: dt.date, errors: dict[str, str]) -> dt.date | None:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        errors["dob"] = "dob.format"
        return None
    if value >= today:
        errors["dob"] = "dob.future"
    elif value > one_year_before(today):
        # Nobody books microneedling for a baby: a date this recent is this
        # year typed instead of the birth year.
        errors["dob"] = "dob.too_recent"
    elif value.year < EARLIEST_BIRTH_YEAR:
        errors["dob"] = "dob.too_early"
    return value


def _starts_at(
    text: str, tz: ZoneInfo, now: dt.datetime, errors: dict[str, str]
) -> dt.datetime | None:
    try:
        value = dt.datetime.strptime(text, TIME_FORMAT).replace(tzinfo=tz).astimezone(dt.UTC)
    except (ValueError, OverflowError):
        errors["at"] = "at.format"
        return None
    if value <= now:
        errors["at"] = "at.past"
    return value


def book(
    booking: Booking, *, by: int | None = None, language: str = "en"
) -> tuple[Appointment, IntakeLink, str]:
    """Add the appointment, its empty intake and a first link, with their audit events.

    ``language`` is the one the patient's emails are written in.

    :raise DuplicateBookingError: the same person is already booked at this time.
    """
    appointment = Appointment(
        first_name=booking.first_name,
        last_name=booking.last_name,
        first_name_key=booking.first_name.casefold(),
        last_name_key=booking.last_name.casefold(),
        booking_key=booking.key,
        date_of_birth=booking.date_of_birth,
        starts_at=booking.starts_at,
        email=booking.email,
        phone=booking.phone,
        created_by_id=by,
        language=language,
    )
    try:
        # A savepoint, so a refused insert leaves the rest of the transaction usable.
        with db.session.begin_nested():
            db.session.add(appointment)
    except IntegrityError:
        raise DuplicateBookingError(duplicate_of(booking)) from None
    db.session.add(Intake(appointment_id=appointment.id))
    audit.record(
        audit.Action.APPOINTMENT_BOOKED,
        actor_kind=audit.ActorKind.STAFF if by is not None else audit.ActorKind.SYSTEM,
        actor_id=by,
        target=("appointment", appointment.id),
    )
    link, token = links.issue(appointment.id, by=by, first=True)
    return appointment, link, token


def duplicate_of(booking: Booking) -> int | None:
    """Return the id of the appointment already booked for this person at this time."""
    return db.session.execute(
        sa.select(Appointment.id).where(Appointment.booking_key == booking.key)
    ).scalar_one_or_none()


# -- Changes -----------------------------------------------------------------


def _lock_live(appointment_id: int) -> Appointment:
    """Lock the appointment row; refuse a cancelled one.

    ``FOR NO KEY UPDATE`` (PostgreSQL): it shuts out every other change to
    the appointment (a new link takes ``FOR UPDATE``), yet lets the patient's
    submission take the ``KEY SHARE`` lock its foreign-key check needs when
    it updates the intake a second time in one transaction. With ``FOR
    UPDATE`` here, a change waiting for the intake deadlocked with that.
    """
    appointment = db.session.execute(
        sa.select(Appointment)
        .where(Appointment.id == appointment_id)
        .with_for_update(key_share=True)
        .execution_options(populate_existing=True)
    ).scalar_one()
    if appointment.cancelled:
        raise AppointmentCancelledError
    return appointment


def _lock_intake(appointment: Appointment) -> Intake | None:
    """Lock the appointment's intake, after the appointment (the order every service keeps).

    A change that must not cross the patient's signature (or their session
    ending) waits here for a submission under way, then sees it.
    """
    return db.session.execute(
        locked(sa.select(Intake).where(Intake.appointment_id == appointment.id))
    ).scalar_one_or_none()


def _change(appointment: Appointment, **values: object) -> None:
    """Set the appointment's new values and booking key; a clash with another booking is refused.

    Everything is set inside a savepoint: a refused key takes the whole change
    back with it, and the rest of the transaction stays usable.

    :raise DuplicateBookingError: the same person is already booked at this time.
    """
    try:
        with db.session.begin_nested():
            for name, value in values.items():
                setattr(appointment, name, value)
            key = booking_key(
                appointment.first_name,
                appointment.last_name,
                appointment.date_of_birth,
                appointment.starts_at,
            )
            appointment.booking_key = key
            db.session.flush()
    except IntegrityError:
        existing = db.session.execute(
            sa.select(Appointment.id).where(Appointment.booking_key == key)
        ).scalar_one_or_none()
        raise DuplicateBookingError(existing) from None


def edit_details(appointment_id: int, details: Details, *, by: int | None = None) -> list[str]:
    """Change who the appointment is for; return the fields that changed (none: no event).

    Refused once the acknowledgment is signed, because the printed
    acknowledgment must show the person who signed it. The intake row is
    locked too, after the appointment (the order every service keeps), so a
    signature being written at this moment is waited for and then seen.

    :raise AppointmentCancelledError: the appointment was cancelled.
    :raise SignedError: the patient has signed the acknowledgment.
    :raise DuplicateBookingError: that person already has an appointment at this time.
    """
    appointment = _lock_live(appointment_id)
    wanted = {
        "first_name": details.first_name,
        "last_name": details.last_name,
        "dob": details.date_of_birth,
        "email": details.email,
        "phone": details.phone,
    }
    current = {
        "first_name": appointment.first_name,
        "last_name": appointment.last_name,
        "dob": appointment.date_of_birth,
        "email": appointment.email,
        "phone": appointment.phone,
    }
    changed = [field for field in DETAIL_FIELDS if wanted[field] != current[field]]
    if not changed:
        return []
    intake = _lock_intake(appointment)
    if (
        intake is not None
        and db.session.execute(
            sa.select(Acknowledgment.id).where(Acknowledgment.intake_id == intake.id)
        ).first()
    ):
        raise SignedError
    _change(
        appointment,
        first_name=details.first_name,
        last_name=details.last_name,
        first_name_key=details.first_name.casefold(),
        last_name_key=details.last_name.casefold(),
        date_of_birth=details.date_of_birth,
        email=details.email,
        phone=details.phone,
    )
    audit.record(
        audit.Action.APPOINTMENT_UPDATED,
        actor_kind=audit.ActorKind.STAFF if by is not None else audit.ActorKind.SYSTEM,
        actor_id=by,
        target=("appointment", appointment.id),
        # The names of the fields, never their values.
        fields=",".join(changed),
    )
    return changed


def reschedule(appointment_id: int, starts_at: dt.datetime, *, by: int | None = None) -> bool:
    """Move the appointment to ``starts_at`` (checked by :func:`parse_start`); True if it moved.

    The open link stays and follows the appointment: its expiry is computed
    from the start time (:func:`intake.links.expires_at`), so a later time
    gives it a longer life.

    :raise AppointmentCancelledError: the appointment was cancelled.
    :raise DuplicateBookingError: the same person already has an appointment then.
    """
    appointment = _lock_live(appointment_id)
    if appointment.starts_at == starts_at:
        return False
    _change(appointment, starts_at=starts_at)
    audit.record(
        audit.Action.APPOINTMENT_RESCHEDULED,
        actor_kind=audit.ActorKind.STAFF if by is not None else audit.ActorKind.SYSTEM,
        actor_id=by,
        target=("appointment", appointment.id),
    )
    return True


def cancel(appointment_id: int, *, reason: str = "", by: int | None = None) -> Appointment:
    """Cancel the appointment: its link stops working at once; the intake is kept as it is.

    The intake's status does not change (CONTRACT section 4): the appointment
    carries the cancellation. Every patient session of the intake ends, and
    the booking key is dropped, so the person can be booked at that time again.

    :raise AppointmentCancelledError: it was already cancelled.
    """
    appointment = _lock_live(appointment_id)
    intake = _lock_intake(appointment)
    now = utcnow()
    reason = reason.strip()[:MAX_REASON_LENGTH]
    appointment.cancelled_at = now
    appointment.cancelled_by_id = by
    appointment.cancel_reason = reason or None
    appointment.booking_key = None
    if intake is not None:
        intakes.end_patient_sessions(intake.id, now=now)
    audit.record(
        audit.Action.APPOINTMENT_CANCELLED,
        actor_kind=audit.ActorKind.STAFF if by is not None else audit.ActorKind.SYSTEM,
        actor_id=by,
        target=("appointment", appointment.id),
        # Whether a reason was given, not the reason: it is free text.
        reason_given=bool(reason),
    )
    return appointment
