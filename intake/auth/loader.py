"""How a request's session cookie becomes a staff member (or nobody)."""

from __future__ import annotations

import sqlalchemy as sa
from flask import g, session

from intake.auth import devices, sessions
from intake.extensions import db
from intake.models import StaffSession, User


def load_user(session_id: str) -> User | None:
    """Load the user named by ``"<id>:<session_version>"``, if current and open on the server.

    One statement reads the account and this browser's open session row
    together (every staff request makes it); the row is kept for
    :func:`intake.auth.devices.current`, so nothing reads it again.
    """
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    token = session.get(sessions.DEVICE)
    if not isinstance(token, str):
        g.staff_device = None
        return None
    row = db.session.execute(
        sa.select(User, StaffSession)
        .join(StaffSession, StaffSession.user_id == User.id)
        .where(
            User.id == int(user_id),
            # The session must also be open on the server (not signed out from elsewhere).
            StaffSession.token_hash == devices.token_hash(token),
            StaffSession.ended_at.is_(None),
        )
    ).one_or_none()
    g.staff_device = row.StaffSession if row is not None else None
    if row is None:
        return None
    user: User = row.User
    if not user.active or user.session_version != int(version):
        return None
    return user
