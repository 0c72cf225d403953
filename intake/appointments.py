"""Booking appointments: one set of checks and one service for the command line and the front desk.

:func:`parse_booking` reads every field once and reports every wrong field at
once, each with a code (``"dob.future"``); the front desk and the command line
each turn the codes into their own words. :func:`book` adds the appointment,
its intake and its first link, with their audit events, in the caller's unit
of work. A second booking of the same person at the same time is refused by a
unique index on the stored booking key, whichever process made the first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from zoneinfo import ZoneInfo

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from sqlalchemy.exc import IntegrityError

from intake import audit, links
from intake.errors import ConflictError, InputError
from intake.extensions import db
from intake.models import Appointment, Intake, IntakeLink, booking_key, utcnow

FIELDS = ("first_name", "last_name", "dob", "at", "email", "phone")
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


def parse_booking(
    values: Mapping[str, str | None], *, tz: ZoneInfo, now: dt.datetime | None = None
) -> Booking:
    """Check every field (``FIELDS``) and return a booking with ``starts_at`` in UTC.

    :raise BookingInputError: naming every wrong field, in form order, with a code.
    """
    now = now or utcnow()
    errors: dict[str, str] = {}

    def text(name: str) -> str:
        return (values.get(name) or "").strip()

    first_name, last_name = text("first_name"), text("last_name")
    for field, value in (("first_name", first_name), ("last_name", last_name)):
        if not value:
            errors[field] = f"{field}.required"
        elif len(value) > MAX_NAME_LENGTH:
            errors[field] = f"{field}.too_long"
    date_of_birth = _date_of_birth(text("dob"), now.astimezone(tz).date(), errors)
    starts_at = _starts_at(text("at"), tz, now, errors)
    email = text("email") or None
    if email is not None:
        try:
            email = validate_email(email, check_deliverability=False).normalized
        except EmailNotValidError:
            errors["email"] = "email.invalid"
    phone = text("phone") or None
    if phone is not None and (len(phone) > MAX_PHONE_LENGTH or not any(c.isdigit() for c in phone)):
        errors["phone"] = "phone.invalid"
    if errors:
        raise BookingInputError({f: errors[f] for f in FIELDS if f in errors})
    assert date_of_birth is not None and starts_at is not None
    return Booking(first_name, last_name, date_of_birth, starts_at, email, phone)


def _date_of_birth(text: str, today: dt.date, errors: dict[str, str]) -> dt.date | None:
    try:
        value = dt.date.fromisoformat(text)
    except ValueError:
        errors["dob"] = "dob.format"
        return None
    if value >= today:
        errors["dob"] = "dob.future"
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


def book(booking: Booking, *, by: int | None = None) -> tuple[Appointment, IntakeLink, str]:
    """Add the appointment, its empty intake and a first link, with their audit events.

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
