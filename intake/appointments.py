"""Booking appointments: one set of checks for the command line and the front desk."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from zoneinfo import ZoneInfo

from email_validator import EmailNotValidError, validate_email

from intake.extensions import db
from intake.links import issue_link
from intake.models import Appointment, Intake, IntakeLink, utcnow


class AppointmentInputError(ValueError):
    """A booking field is wrong; ``field`` names it and the message says how."""

    def __init__(self, field: str, message: str) -> None:
        super().__init__(message)
        self.field = field


@dataclass(frozen=True)
class Booking:
    first_name: str
    last_name: str
    date_of_birth: dt.date
    starts_at: dt.datetime
    email: str | None
    phone: str | None


def parse_booking(
    *,
    first_name: str,
    last_name: str,
    dob: str,
    at: str,
    email: str | None,
    phone: str | None,
    tz: ZoneInfo,
    now: dt.datetime | None = None,
) -> Booking:
    """Check every field, in form order, and return a booking with ``starts_at`` in UTC.

    :raise AppointmentInputError: naming the first field that is wrong.
    """
    now = now or utcnow()
    first_name, last_name = first_name.strip(), last_name.strip()
    if not first_name:
        raise AppointmentInputError("first_name", "first name is required")
    if not last_name:
        raise AppointmentInputError("last_name", "last name is required")
    if len(first_name) > 100 or len(last_name) > 100:
        raise AppointmentInputError("last_name", "names must be at most 100 characters")
    try:
        date_of_birth = dt.date.fromisoformat(dob.strip())
    except ValueError:
        raise AppointmentInputError(
            "dob", f"date of birth {dob!r} is not a date in the form YYYY-MM-DD"
        ) from None
    if date_of_birth >= now.astimezone(tz).date():
        raise AppointmentInputError("dob", "date of birth must be in the past")
    if date_of_birth.year < 1900:
        raise AppointmentInputError("dob", "date of birth must be after 1900")
    try:
        local = dt.datetime.strptime(at.strip(), "%Y-%m-%dT%H:%M")
    except ValueError:
        raise AppointmentInputError(
            "at", f"appointment time {at!r} is not in the form YYYY-MM-DDTHH:MM"
        ) from None
    starts_at = local.replace(tzinfo=tz).astimezone(dt.UTC)
    if starts_at <= now:
        raise AppointmentInputError("at", "appointment time is in the past")
    clean_email = None
    if email and email.strip():
        try:
            clean_email = validate_email(email.strip(), check_deliverability=False).normalized
        except EmailNotValidError as exc:
            raise AppointmentInputError("email", f"email {email!r} is not valid: {exc}") from None
    clean_phone = phone.strip() if phone and phone.strip() else None
    if clean_phone is not None and (
        len(clean_phone) > 40 or not any(c.isdigit() for c in clean_phone)
    ):
        raise AppointmentInputError("phone", f"phone {phone!r} is not a phone number")
    return Booking(first_name, last_name, date_of_birth, starts_at, clean_email, clean_phone)


def book(booking: Booking, created_by_id: int | None = None) -> tuple[Appointment, IntakeLink, str]:
    """Add the appointment, its empty intake and a first link; the caller commits."""
    appointment = Appointment(
        first_name=booking.first_name,
        last_name=booking.last_name,
        date_of_birth=booking.date_of_birth,
        starts_at=booking.starts_at,
        email=booking.email,
        phone=booking.phone,
        created_by_id=created_by_id,
    )
    db.session.add(appointment)
    db.session.flush()
    db.session.add(Intake(appointment_id=appointment.id))
    link, token = issue_link(appointment, issued_by_id=created_by_id)
    return appointment, link, token
