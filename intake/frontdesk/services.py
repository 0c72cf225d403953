"""The front desk's work: the day's appointments, search, booking and intake links.

Nothing here reads screening answers or flags. The front desk sees an
intake's status and, once signed, the aftercare acknowledgment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import segno
import sqlalchemy as sa
from flask import session

from intake import audit, clock
from intake.clock import day_bounds
from intake.extensions import db
from intake.links import LinkState, find_link, link_state
from intake.models import (
    Acknowledgment,
    Appointment,
    HeldLink,
    Intake,
    IntakeLink,
    IntakeStatus,
    OutboxMessage,
    OutboxState,
    utcnow,
)
from intake.sealed import InvalidToken, seal, unseal
from intake.unit_of_work import locked
from intake.wording import signed_wording

SEARCH_LIMIT = 50
MAX_DB_INT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Row:
    """One appointment as the front desk sees it: no answers, no flags."""

    appointment: Appointment
    status: IntakeStatus
    link: LinkState | None
    signed: bool
    cancelled: bool
    # The state of the latest email to the patient, if any (intake.mail).
    mail: OutboxState | None = None

    @property
    def waiting(self) -> bool:
        """Still waiting for a clinician (or deferred by one): the front desk must know today."""
        return not self.cancelled and self.status in WAITING


# Statuses the day list raises an alert for, on the day of the appointment:
# the status only, never a flag, a severity or an answer.
WAITING: frozenset[IntakeStatus] = frozenset({IntakeStatus.NEEDS_REVIEW, IntakeStatus.DEFERRED})


def day(day: dt.date) -> list[Row]:
    """Return the appointments that start on ``day`` in the clinic, in time order."""
    start, end = day_bounds(day)
    return _rows(
        sa.select(Appointment)
        .where(Appointment.starts_at >= start, Appointment.starts_at < end)
        .order_by(Appointment.starts_at, Appointment.last_name, Appointment.id)
    )


def parse_query_date(text: str) -> dt.date | None:
    return clock.parse_day(text)


def search(query: str) -> list[Row]:
    """Find appointments by date of birth (``YYYY-MM-DD``) or by the start of every word of a name.

    Latest appointments first: the one the patient is calling about is usually
    the next one.
    """
    query = query.strip()
    stmt = sa.select(Appointment)
    dob = parse_query_date(query)
    if dob is not None:
        stmt = stmt.where(Appointment.date_of_birth == dob)
    else:
        # Each word starts the first or the last name (case-folded, as stored),
        # so the indexed name keys answer it.
        words = query.casefold().split()
        if not words:
            return []
        for word in words:
            stmt = stmt.where(
                sa.or_(
                    Appointment.first_name_key.startswith(word, autoescape=True),
                    Appointment.last_name_key.startswith(word, autoescape=True),
                )
            )
    return _rows(stmt.order_by(Appointment.starts_at.desc(), Appointment.id).limit(SEARCH_LIMIT))


def _rows(stmt: sa.Select[Any]) -> list[Row]:
    """Return the listed appointments with what each row shows, in three statements.

    A row shows the intake's status, whether it is signed and the state of the
    latest link: those are read as columns (never an intake's answers, flags
    or an acknowledgment's text, which the front desk does not see), and only
    the latest link of each appointment, not every link it ever had.
    """
    appointments: Sequence[Appointment] = db.session.execute(stmt).scalars().all()
    ids = [a.id for a in appointments]
    if not ids:
        return []
    intakes = {
        row.appointment_id: (row.status, row.signed)
        for row in db.session.execute(
            sa.select(
                Intake.appointment_id,
                Intake.status,
                Acknowledgment.id.is_not(None).label("signed"),
            )
            .outerjoin(Acknowledgment, Acknowledgment.intake_id == Intake.id)
            .where(Intake.appointment_id.in_(ids))
        )
    }
    latest_ids = (
        sa.select(sa.func.max(IntakeLink.id))
        .where(IntakeLink.appointment_id.in_(ids))
        .group_by(IntakeLink.appointment_id)
    )
    # The link's appointment is already in the session: link_state reads it
    # from there, with no statement per row.
    links = {
        link.appointment_id: link
        for link in db.session.scalars(sa.select(IntakeLink).where(IntakeLink.id.in_(latest_ids)))
    }
    latest_mail = (
        sa.select(sa.func.max(OutboxMessage.id))
        .where(OutboxMessage.appointment_id.in_(ids))
        .group_by(OutboxMessage.appointment_id)
    )
    mail = {
        row.appointment_id: row.state
        for row in db.session.execute(
            sa.select(OutboxMessage.appointment_id, OutboxMessage.state).where(
                OutboxMessage.id.in_(latest_mail)
            )
        )
    }
    rows = []
    for appointment in appointments:
        status, signed = intakes.get(appointment.id, (IntakeStatus.NOT_STARTED, False))
        link = links.get(appointment.id)
        rows.append(
            Row(
                appointment=appointment,
                status=IntakeStatus(status),
                link=link_state(link) if link else None,
                signed=bool(signed),
                cancelled=appointment.cancelled,
                mail=mail.get(appointment.id),
            )
        )
    return rows


def row_for(appointment: Appointment) -> Row:
    intake = appointment.intake
    mail = db.session.scalars(
        sa.select(OutboxMessage.state)
        .where(OutboxMessage.appointment_id == appointment.id)
        .order_by(OutboxMessage.id.desc())
        .limit(1)
    ).first()
    return Row(
        appointment=appointment,
        status=intake.status if intake else IntakeStatus.NOT_STARTED,
        link=current_link_state(appointment),
        signed=intake is not None and intake.acknowledgment is not None,
        cancelled=appointment.cancelled,
        mail=mail,
    )


def is_signed(appointment: Appointment) -> bool:
    intake = appointment.intake
    return intake is not None and intake.acknowledgment is not None


def latest_link(appointment: Appointment) -> IntakeLink | None:
    return appointment.links[-1] if appointment.links else None


def current_link_state(appointment: Appointment) -> LinkState | None:
    link = latest_link(appointment)
    return link_state(link) if link else None


def appointment_or_none(appointment_id: int) -> Appointment | None:
    if not 0 < appointment_id <= MAX_DB_INT:
        return None
    return db.session.get(Appointment, appointment_id)


# -- Links ------------------------------------------------------------------


def qr_data_uri(url: str) -> str:
    """Return the URL as a QR code, an SVG ``data:`` URI for an ``<img>`` (CSP allows data:)."""
    qr = segno.make(url, error="m")
    uri: str = qr.svg_data_uri(scale=5, border=4, dark="#000", light="#fff")
    return uri


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
    # The language of that wording ("es"), and its English name for the page.
    locale: str | None = None
    language: str | None = None


def signed_acknowledgment(appointment: Appointment) -> SignedAcknowledgment | None:
    """Return the patient's acknowledgment with the wording they signed, or None."""
    intake: Intake | None = appointment.intake
    ack = intake.acknowledgment if intake else None
    if ack is None:
        return None
    signed = signed_wording(ack)
    items = tuple(
        SignedItem(code, title or None, text or None) for code, title, text in signed.items
    )
    return SignedAcknowledgment(
        appointment, ack, items, signed.verified, signed.locale, signed.language
    )


def record_print(signed: SignedAcknowledgment, staff_id: int, kind: str) -> None:
    """Record that staff printed (or downloaded) the signed acknowledgment."""
    audit.record(
        audit.Action.ACKNOWLEDGMENT_PRINTED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=staff_id,
        target=("appointment", signed.appointment.id),
        format=kind,
    )


# -- A new link, shown once (post/redirect/get) ------------------------------------

HELD_LINK_SESSION_KEY = "held_link"
# Long enough for the redirect and a slow page; a link not seen by then is
# made again from the appointment page.
HELD_LINK_SECONDS = 10 * 60


def hold_link(appointment_id: int, token: str, *, staff_id: int, booked: bool) -> None:
    """Keep a new link's token, sealed, for this browser's next page only.

    The browser gets a random nonce in its session; the server keeps the
    nonce's hash with the sealed token. The token never appears in a URL.
    """
    # Links past their time go first: one never shown is not kept, sealed, longer.
    db.session.execute(
        sa.delete(HeldLink).where(
            HeldLink.created_at < utcnow() - dt.timedelta(seconds=HELD_LINK_SECONDS)
        )
    )
    nonce = secrets.token_urlsafe(24)
    db.session.add(
        HeldLink(
            nonce_hash=hashlib.sha256(nonce.encode()).hexdigest(),
            user_id=staff_id,
            appointment_id=appointment_id,
            sealed_token=seal(token),
            booked=booked,
        )
    )
    session[HELD_LINK_SESSION_KEY] = nonce


@dataclass(frozen=True)
class ShownLink:
    token: str
    booked: bool


def take_held_link(appointment_id: int, *, staff_id: int) -> ShownLink | None:
    """Return the link held for this browser and appointment, once; None after that.

    The row is locked and marked shown, and its sealed token wiped, in this
    request's transaction: a reload, a second tab or a copied cookie finds it
    taken.
    """
    nonce = session.pop(HELD_LINK_SESSION_KEY, None)
    if not isinstance(nonce, str):
        return None
    held = db.session.execute(
        locked(
            sa.select(HeldLink).where(
                HeldLink.nonce_hash == hashlib.sha256(nonce.encode()).hexdigest(),
                HeldLink.user_id == staff_id,
                HeldLink.appointment_id == appointment_id,
                HeldLink.shown_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if held is None:
        return None
    sealed = held.sealed_token
    held.shown_at = utcnow()
    held.sealed_token = ""
    try:
        token = unseal(sealed, max_age=HELD_LINK_SECONDS)
    except InvalidToken:  # too old (or the keys changed meanwhile)
        return None
    return ShownLink(token, held.booked)


# -- Emailing a link just shown ("Send by email") ------------------------------

# How long the link page's "Send by email" button works after the page was shown.
SEND_LINK_SECONDS = 30 * 60


def seal_link_to_send(appointment_id: int, link_id: int, token: str) -> str:
    """The link page's hidden field: the link's token, sealed with which link it is."""
    return seal(json.dumps({"appointment": appointment_id, "link": link_id, "token": token}))


def open_link_to_send(appointment: Appointment, sealed: str) -> tuple[IntakeLink, str] | None:
    """The link and token the page sealed, if it is still this appointment's working link."""
    try:
        value = json.loads(unseal(sealed, max_age=SEND_LINK_SECONDS))
    except (InvalidToken, ValueError):
        return None
    if not isinstance(value, dict) or value.get("appointment") != appointment.id:
        return None
    token = value.get("token")
    link = find_link(token) if isinstance(token, str) else None
    if link is None or link.id != value.get("link") or link.appointment_id != appointment.id:
        return None
    if link_state(link) is not LinkState.VALID:
        return None
    return link, str(token)
