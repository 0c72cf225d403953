"""The front desk's work: the day's appointments, search, booking and intake links.

Nothing here reads screening answers or flags. The front desk sees an
intake's status and, once signed, the aftercare acknowledgment.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import secrets
from dataclasses import dataclass
from typing import Any

import segno
import sqlalchemy as sa
from flask import session
from sqlalchemy.orm import aliased

from intake import audit, clock
from intake.clock import day_bounds
from intake.extensions import db
from intake.links import LinkState, expiry_for, find_link, link_state, state_of
from intake.models import (
    Acknowledgment,
    Appointment,
    HeldLink,
    Intake,
    IntakeLink,
    IntakeStatus,
    OutboxMessage,
    OutboxState,
    full_name,
    utcnow,
)
from intake.sealed import InvalidToken, seal, unseal
from intake.unit_of_work import locked
from intake.wording import signed_wording

SEARCH_LIMIT = 50
MAX_DB_INT = 2**31 - 1


@dataclass(frozen=True, slots=True)
class Listed:
    """An appointment as a list row shows it, read as columns.

    No date of birth, contact details or intake: a list shows none of them.
    """

    id: int
    first_name: str
    last_name: str
    starts_at: dt.datetime
    cancelled_at: dt.datetime | None

    @property
    def full_name(self) -> str:
        return full_name(self.first_name, self.last_name)

    @property
    def cancelled(self) -> bool:
        return self.cancelled_at is not None


@dataclass(frozen=True, slots=True)
class Row:
    """One appointment as the front desk sees it: no answers, no flags."""

    # A list (the day, search) reads the columns it shows; the appointment's
    # own page has the appointment loaded.
    appointment: Appointment | Listed
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

# Appointments on one screen of the day. A busy day has 200: loading and
# drawing every one was most of the page's time (issue 14), for rows hours
# away from now.
PAGE_SIZE = 50


@dataclass(frozen=True, slots=True)
class Waiting:
    """An appointment today whose intake waits for a clinician: who, when and the status only."""

    id: int
    starts_at: dt.datetime
    first_name: str
    last_name: str
    status: IntakeStatus


@dataclass(frozen=True, slots=True)
class DayPage:
    """One screen of a day's appointments, where it lies in the day, and who waits today."""

    rows: list[Row]
    offset: int
    total: int
    # Every appointment of the day still waiting for a clinician, whichever
    # screen is shown (empty unless the day is today).
    waiting: list[Waiting]

    @property
    def first(self) -> int:
        return self.offset + 1

    @property
    def last(self) -> int:
        return self.offset + len(self.rows)

    @property
    def previous_offset(self) -> int | None:
        return max(self.offset - PAGE_SIZE, 0) if self.offset else None

    @property
    def next_offset(self) -> int | None:
        return self.last if self.last < self.total else None


# The day's order: time, then name (the id breaks ties, so screens never overlap).
DAY_ORDER = (Appointment.starts_at, Appointment.last_name, Appointment.id)
ON_DAY = (
    Appointment.starts_at >= sa.bindparam("start"),
    Appointment.starts_at < sa.bindparam("end"),
)


def day(day: dt.date, *, offset: int | None = None, now: dt.datetime) -> DayPage:
    """Return one screen of the appointments that start on ``day`` in the clinic, in time order.

    Without an ``offset``, today opens on the screen holding ``now`` (the
    first appointment not yet started) and another day on its first screen;
    an offset past the end shows the last screen. Today's page also lists
    every appointment of the day still waiting for a clinician. Three
    statements (two on another day) however long the day is.
    """
    today = day == clock.clinic_today(now)
    start, end = day_bounds(day)
    total, started = db.session.execute(DAY_COUNT, {"start": start, "end": end, "now": now}).one()
    last_screen = max(total - 1, 0) // PAGE_SIZE * PAGE_SIZE
    if offset is None:
        offset = min(started // PAGE_SIZE * PAGE_SIZE, last_screen) if today else 0
    offset = min(offset, last_screen)
    rows = []
    if total:
        rows = _rows(
            DAY_PAGE,
            {"start": start, "end": end, "offset": offset, "limit": PAGE_SIZE},
            now=now,
        )
    return DayPage(rows, offset, total, waiting(day) if today else [])


def waiting(day: dt.date) -> list[Waiting]:
    """Every live appointment on ``day`` whose intake waits for a clinician, in time order."""
    start, end = day_bounds(day)
    return [
        Waiting(id_, starts_at, first, last, IntakeStatus(status))
        for id_, starts_at, first, last, status in db.session.execute(
            DAY_WAITING, {"start": start, "end": end}
        )
    ]


def parse_query_date(text: str) -> dt.date | None:
    return clock.parse_day(text)


def search(query: str) -> list[Row]:
    """Find appointments by date of birth (``YYYY-MM-DD``) or by the start of every word of a name.

    Latest appointments first: the one the patient is calling about is usually
    the next one.
    """
    query = query.strip()
    criteria: list[sa.ColumnElement[bool]] = []
    dob = parse_query_date(query)
    if dob is not None:
        criteria.append(Appointment.date_of_birth == dob)
    else:
        # Each word starts the first or the last name (case-folded, as stored),
        # so the indexed name keys answer it.
        words = query.casefold().split()
        if not words:
            return []
        for word in words:
            criteria.append(
                sa.or_(
                    Appointment.first_name_key.startswith(word, autoescape=True),
                    Appointment.last_name_key.startswith(word, autoescape=True),
                )
            )
    latest_first = (Appointment.starts_at.desc(), Appointment.id)
    found = (
        sa.select(Appointment.id)
        .where(*criteria)
        .order_by(*latest_first)
        .limit(SEARCH_LIMIT)
        .subquery("page")
    )
    return _rows(_listing(found).order_by(*latest_first), {}, now=utcnow())


# What the latest link's state needs beyond its appointment, as one value.
_latest_link = aliased(IntakeLink)
LINK_FACTS = (
    sa.select(
        sa.case(
            (_latest_link.revoked_at.is_not(None), "revoked"),
            (_latest_link.locked_at.is_not(None), "locked"),
            else_="open",
        )
    )
    .where(
        _latest_link.id
        == sa.select(sa.func.max(IntakeLink.id))
        .where(IntakeLink.appointment_id == Appointment.id)
        .correlate(Appointment)
        .scalar_subquery()
    )
    .correlate(Appointment)
    .scalar_subquery()
)
LATEST_MAIL = (
    sa.select(OutboxMessage.state)
    .where(OutboxMessage.appointment_id == Appointment.id)
    .order_by(OutboxMessage.id.desc())
    .limit(1)
    .correlate(Appointment)
    .scalar_subquery()
)


def _listing(page: sa.Subquery) -> sa.Select[Any]:
    """What each row of a list shows, for the appointments ``page`` picks (its ``id`` column).

    The page's appointments are picked first (an index answers the day or the
    search, then the offset and limit), and only those get their intake,
    latest link and latest email: not the rows an offset skips.
    """
    return (
        sa.select(
            Appointment.id,
            Appointment.first_name,
            Appointment.last_name,
            Appointment.starts_at,
            Appointment.cancelled_at,
            Intake.status,
            Acknowledgment.id.is_not(None).label("signed"),
            LINK_FACTS.label("link"),
            LATEST_MAIL.label("mail"),
        )
        .select_from(Appointment)
        .join(page, page.c.id == Appointment.id)
        .outerjoin(Intake, Intake.appointment_id == Appointment.id)
        .outerjoin(Acknowledgment, Acknowledgment.intake_id == Intake.id)
    )


# The day's statements, built once, their values bound per request.
# SQLAlchemy keys its cache of compiled SQL on a statement's structure:
# building the page's statement and working out that key again on every
# request (subqueries and all) took about as long as PostgreSQL took to run it.
DAY_COUNT = sa.select(
    sa.func.count(),
    sa.func.count(sa.case((Appointment.starts_at < sa.bindparam("now"), 1))),
).where(*ON_DAY)
DAY_PAGE = _listing(
    sa.select(Appointment.id)
    .where(*ON_DAY)
    .order_by(*DAY_ORDER)
    .offset(sa.bindparam("offset", type_=sa.Integer))
    .limit(sa.bindparam("limit", type_=sa.Integer))
    .subquery("page")
).order_by(*DAY_ORDER)
DAY_WAITING = (
    sa.select(
        Appointment.id,
        Appointment.starts_at,
        Appointment.first_name,
        Appointment.last_name,
        Intake.status,
    )
    .join(Intake, Intake.appointment_id == Appointment.id)
    .where(*ON_DAY, Appointment.cancelled_at.is_(None), Intake.status.in_(WAITING))
    .order_by(*DAY_ORDER)
)


def _rows(stmt: sa.Select[Any], params: dict[str, Any], *, now: dt.datetime) -> list[Row]:
    """Return the rows a :func:`_listing` statement reads, in one statement.

    A row shows the appointment's time and name, the intake's status, whether
    it is signed, the state of the latest link and of the latest email: all
    read as columns, with no entity loaded (never an intake's answers, flags
    or an acknowledgment's text, which the front desk does not see), and only
    the latest link of each appointment, not every link it ever had.
    """
    rows = []
    for id_, first, last, starts_at, cancelled_at, status, signed, link, mail in db.session.execute(
        stmt, params
    ):
        cancelled = cancelled_at is not None
        rows.append(
            Row(
                appointment=Listed(id_, first, last, starts_at, cancelled_at),
                status=IntakeStatus(status) if status is not None else IntakeStatus.NOT_STARTED,
                link=None
                if link is None
                else state_of(
                    cancelled=cancelled,
                    revoked=link == "revoked",
                    expired=now >= expiry_for(starts_at),
                    locked=link == "locked",
                ),
                signed=bool(signed),
                cancelled=cancelled,
                mail=OutboxState(mail) if mail is not None else None,
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
