"""The front desk's work: the day's appointments, search, booking and intake links.

Nothing here reads screening answers or flags. The front desk sees an
intake's status and, once signed, the aftercare acknowledgment.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass

import segno
import sqlalchemy as sa
from sqlalchemy.orm import selectinload

from intake.appointments import AppointmentInputError, Booking, parse_booking
from intake.extensions import db
from intake.frontdesk.clock import clinic_tz, day_bounds
from intake.links import LinkState, expires_at, link_state
from intake.models import Acknowledgment, Appointment, Intake, IntakeLink, IntakeStatus, utcnow
from intake.screening import AFTERCARE, aftercare_hash

BOOKING_FIELDS = ("first_name", "last_name", "dob", "at", "email", "phone")
SEARCH_LIMIT = 50
MAX_DB_INT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Row:
    """One appointment as the front desk sees it: no answers, no flags."""

    appointment: Appointment
    status: IntakeStatus
    link: LinkState | None
    signed: bool


def day(day: dt.date) -> list[Row]:
    """Return the appointments that start on ``day`` in the clinic, in time order."""
    start, end = day_bounds(day)
    return _rows(
        sa.select(Appointment)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.last_name, Appointment.id)
    )


def parse_query_date(text: str) -> dt.date | None:
    try:
        return dt.date.fromisoformat(text.strip())
    except ValueError:
        return None


def search(query: str) -> list[Row]:
    """Find appointments by date of birth (``YYYY-MM-DD``) or by every word of a name.

    Latest appointments first: the one the patient is calling about is usually
    the next one.
    """
    query = query.strip()
    stmt = sa.select(Appointment)
    dob = parse_query_date(query)
    if dob is not None:
        stmt = stmt.where(Appointment.date_of_birth == dob)
    else:
        words = query.lower().split()
        if not words:
            return []
        for word in words:
            stmt = stmt.where(
                sa.or_(
                    sa.func.lower(Appointment.first_name).contains(word, autoescape=True),
                    sa.func.lower(Appointment.last_name).contains(word, autoescape=True),
                )
            )
    return _rows(stmt.order_by(Appointment.starts_at.desc(), Appointment.id).limit(SEARCH_LIMIT))


def _rows(stmt: sa.Select[Appointment]) -> list[Row]:
    # Each row shows the intake, its acknowledgment and the latest link: load
    # them in three queries for the whole list, not three per appointment.
    stmt = stmt.options(
        selectinload(Appointment.intake).selectinload(Intake.acknowledgment),
        selectinload(Appointment.links),
    )
    appointments = db.session.execute(stmt).scalars().all()
    return [row_for(a) for a in appointments]


def row_for(appointment: Appointment) -> Row:
    intake = appointment.intake
    return Row(
        appointment=appointment,
        status=intake.status if intake else IntakeStatus.NOT_STARTED,
        link=current_link_state(appointment),
        signed=intake is not None and intake.acknowledgment is not None,
    )


def latest_link(appointment: Appointment) -> IntakeLink | None:
    return appointment.links[-1] if appointment.links else None


def current_link_state(appointment: Appointment) -> LinkState | None:
    link = latest_link(appointment)
    return link_state(link) if link else None


def appointment_or_none(appointment_id: int) -> Appointment | None:
    if not 0 < appointment_id <= MAX_DB_INT:
        return None
    return db.session.get(Appointment, appointment_id)


# -- Booking ---------------------------------------------------------------

# Stand-ins that pass every check, so one run of the shared checks per field
# reports every wrong field at once instead of only the first.
_GOOD = {
    "first_name": "A",
    "last_name": "B",
    "dob": "1970-01-01",
    "email": "",
    "phone": "",
}


def check_booking(
    values: Mapping[str, str], now: dt.datetime | None = None
) -> tuple[Booking | None, dict[str, AppointmentInputError]]:
    """Run the command line's checks on the form; return the booking or every field's problem."""
    now = now or utcnow()
    fields = {f: values.get(f, "") or "" for f in BOOKING_FIELDS}
    errors: dict[str, AppointmentInputError] = {}
    far = (now + dt.timedelta(days=365)).astimezone(clinic_tz()).strftime("%Y-%m-%dT%H:%M")
    for _ in BOOKING_FIELDS:
        trial = {f: (_GOOD.get(f, far) if f in errors else v) for f, v in fields.items()}
        try:
            booking = parse_booking(
                first_name=trial["first_name"],
                last_name=trial["last_name"],
                dob=trial["dob"],
                at=trial["at"],
                email=trial["email"],
                phone=trial["phone"],
                tz=clinic_tz(),
                now=now,
            )
        except AppointmentInputError as exc:
            if exc.field in errors:  # cannot happen with good stand-ins; never loop
                break
            errors[exc.field] = exc
        else:
            return (None, errors) if errors else (booking, {})
    return None, errors


def duplicate_of(booking: Booking) -> Appointment | None:
    """Return an existing appointment for the same person at the same time."""
    return db.session.execute(
        sa.select(Appointment)
        .where(
            sa.func.lower(Appointment.first_name) == booking.first_name.lower(),
            sa.func.lower(Appointment.last_name) == booking.last_name.lower(),
            Appointment.date_of_birth == booking.date_of_birth,
            Appointment.starts_at == booking.starts_at,
        )
        .limit(1)
    ).scalar_one_or_none()


def qr_data_uri(url: str) -> str:
    """Return the URL as a QR code, an SVG ``data:`` URI for an ``<img>`` (CSP allows data:)."""
    qr = segno.make(url, error="m")
    uri: str = qr.svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    return uri


def link_usable(appointment: Appointment, now: dt.datetime | None = None) -> bool:
    """A new link is worth issuing only while the appointment's links can still work."""
    return (now or utcnow()) < expires_at(appointment)


# -- The acknowledgment, as signed ------------------------------------------


@dataclass(frozen=True, slots=True)
class SignedItem:
    code: str
    title: str | None
    text: str | None


@dataclass(frozen=True, slots=True)
class SignedAcknowledgment:
    appointment: Appointment
    acknowledgment: Acknowledgment
    items: tuple[SignedItem, ...]
    # True when the stored hash is the hash of the wording below, i.e. the
    # wording is exactly what the patient was shown and signed.
    verified: bool


def signed_acknowledgment(appointment: Appointment) -> SignedAcknowledgment | None:
    """Return the patient's acknowledgment with the wording they signed, or None."""
    intake: Intake | None = appointment.intake
    ack = intake.acknowledgment if intake else None
    if ack is None:
        return None
    verified = ack.text_hash == aftercare_hash()
    by_code = {item.code: item for item in AFTERCARE}
    items = tuple(
        SignedItem(
            code,
            by_code[code].title if verified and code in by_code else None,
            by_code[code].text if verified and code in by_code else None,
        )
        for code in _in_display_order(ack.items, [i.code for i in AFTERCARE])
    )
    return SignedAcknowledgment(appointment, ack, items, verified)


def _in_display_order(codes: Iterable[str], order: Sequence[str]) -> list[str]:
    rank = {code: i for i, code in enumerate(order)}
    return sorted(codes, key=lambda c: (rank.get(c, len(rank)), c))
