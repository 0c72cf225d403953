"""Intake links: a 256-bit random token per link, of which only the SHA-256 is kept."""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

import sqlalchemy as sa
from flask import current_app

from intake.extensions import db
from intake.models import Appointment, IntakeLink, utcnow

TOKEN_BYTES = 32


class LinkState(StrEnum):
    VALID = "valid"
    EXPIRED = "expired"
    REVOKED = "revoked"
    LOCKED = "locked"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode("utf-8")).hexdigest()


def intake_url(token: str) -> str:
    return f"{current_app.config['INTAKE_BASE_URL']}/i/{token}"


def issue_link(appointment: Appointment, issued_by_id: int | None = None) -> tuple[IntakeLink, str]:
    """Revoke the appointment's open links and issue a new one; return it and its token.

    The token is returned once, to be shown or sent; it cannot be recovered later.
    """
    now = utcnow()
    db.session.execute(
        sa.update(IntakeLink)
        .where(IntakeLink.appointment_id == appointment.id, IntakeLink.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    token = secrets.token_urlsafe(TOKEN_BYTES)
    link = IntakeLink(
        appointment_id=appointment.id, token_hash=hash_token(token), issued_by_id=issued_by_id
    )
    db.session.add(link)
    db.session.flush()
    return link, token


def find_link(token: str) -> IntakeLink | None:
    """Return the link whose token this is, or None; the lookup is by hash only."""
    if not token or len(token) > 128:
        return None
    return db.session.execute(
        sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(token))
    ).scalar_one_or_none()


def expires_at(appointment: Appointment) -> dt.datetime:
    """A link works until a short grace period after the appointment starts."""
    grace = dt.timedelta(hours=current_app.config["INTAKE_LINK_GRACE_HOURS"])
    return appointment.starts_at + grace


def link_state(link: IntakeLink, now: dt.datetime | None = None) -> LinkState:
    now = now or utcnow()
    if link.revoked_at is not None:
        return LinkState.REVOKED
    if now >= expires_at(link.appointment):
        return LinkState.EXPIRED
    if link.locked_at is not None:
        return LinkState.LOCKED
    return LinkState.VALID
