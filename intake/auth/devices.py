"""Signed-in devices: a row per staff sign-in, so a session can be seen and ended on the server.

The session cookie carries a random token (``sessions.DEVICE``); the row keeps
only its SHA-256, the account, when it began and was last seen, and a coarse
description of the browser. No IP address is stored: a device list needs no
address, and an address is personal data.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import re
import secrets

import sqlalchemy as sa
from flask import current_app, g, request, session

from intake.auth import sessions
from intake.extensions import db
from intake.models import StaffSession, utcnow

# How often (at most) a request writes "last seen", in seconds.
TOUCH_EVERY = 60

_BROWSERS = (
    ("Edge", r"Edg(e|A|iOS)?/"),
    ("Opera", r"OPR/|Opera"),
    ("Samsung Internet", r"SamsungBrowser/"),
    ("Firefox", r"Firefox/|FxiOS/"),
    ("Chrome", r"Chrome/|CriOS/"),
    ("Safari", r"Safari/"),
)
_SYSTEMS = (
    ("Android", r"Android"),
    ("iPhone", r"iPhone"),
    ("iPad", r"iPad"),
    ("Chrome OS", r"CrOS"),
    ("Windows", r"Windows"),
    ("macOS", r"Mac OS X|Macintosh"),
    ("Linux", r"Linux"),
)


def describe(user_agent: str) -> str:
    """Return "<browser> on <system>" from a User-Agent, or "Unknown browser"."""
    browser = next((name for name, pattern in _BROWSERS if re.search(pattern, user_agent)), None)
    system = next((name for name, pattern in _SYSTEMS if re.search(pattern, user_agent)), None)
    if browser and system:
        return f"{browser} on {system}"
    return browser or system or "Unknown browser"


def _hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def token_hash(token: str) -> str:
    """Return how a device token is stored (and looked up)."""
    return _hash(token)


def start(user_id: int) -> StaffSession:
    """Open a row for a new sign-in and put its token in the (freshly cleared) session."""
    token = secrets.token_urlsafe(32)
    row = StaffSession(
        user_id=user_id,
        token_hash=_hash(token),
        device=describe(request.headers.get("User-Agent", ""))[:64],
    )
    db.session.add(row)
    db.session.flush()
    session[sessions.DEVICE] = token
    return row


def current(user_id: int) -> StaffSession | None:
    """Return this request's open row for ``user_id``, or None (then the cookie is dead)."""
    if "staff_device" in g:
        row: StaffSession | None = g.staff_device
        return row if row is not None and row.user_id == user_id else None
    token = session.get(sessions.DEVICE)
    row = None
    if isinstance(token, str):
        row = db.session.execute(
            sa.select(StaffSession).where(
                StaffSession.token_hash == _hash(token),
                StaffSession.user_id == user_id,
                StaffSession.ended_at.is_(None),
            )
        ).scalar_one_or_none()
    g.staff_device = row
    return row


def touch(user_id: int) -> None:
    row = current(user_id)
    now = utcnow()
    if row is not None and (now - row.last_seen_at).total_seconds() >= TOUCH_EVERY:
        row.last_seen_at = now


def end_current(user_id: int) -> None:
    row = current(user_id)
    if row is not None:
        row.ended_at = utcnow()


def end_all(user_id: int, *, keep: int | None = None) -> int:
    """End the account's open sessions (all but ``keep``); return how many were ended."""
    condition = [StaffSession.user_id == user_id, StaffSession.ended_at.is_(None)]
    if keep is not None:
        condition.append(StaffSession.id != keep)
    result = db.session.execute(
        sa.update(StaffSession)
        .where(*condition)
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount  # type: ignore[attr-defined,no-any-return]


def open_sessions(user_id: int) -> list[StaffSession]:
    """The account's sessions that could still be used: open, not idle, not too old."""
    config = current_app.config
    now = utcnow()
    return list(
        db.session.execute(
            sa.select(StaffSession)
            .where(
                StaffSession.user_id == user_id,
                StaffSession.ended_at.is_(None),
                StaffSession.created_at
                > now - dt.timedelta(hours=config["INTAKE_STAFF_SESSION_HOURS"]),
                StaffSession.last_seen_at
                > now - dt.timedelta(minutes=config["INTAKE_STAFF_IDLE_MINUTES"]),
            )
            .order_by(StaffSession.last_seen_at.desc())
        ).scalars()
    )
