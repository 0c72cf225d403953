"""How a request's session cookie becomes a staff member (or nobody)."""

from __future__ import annotations

from intake.auth import devices
from intake.extensions import db
from intake.models import User


def load_user(session_id: str) -> User | None:
    """Load the user named by ``"<id>:<session_version>"``, if current and open on the server."""
    user_id, _, version = session_id.partition(":")
    if not (user_id.isdigit() and version.isdigit()):
        return None
    user = db.session.get(User, int(user_id))
    if user is None or not user.active or user.session_version != int(version):
        return None
    # The session must also be open on the server (not signed out from elsewhere).
    if devices.current(user.id) is None:
        return None
    return user
