"""Per-request checks on a signed-in staff session: expiry, then what must come first.

Runs before the access table is consulted (``intake.auth.access``).
"""

from __future__ import annotations

from typing import Any

from flask import current_app, flash, request, session
from flask_babel import gettext
from flask_login import current_user, logout_user

from intake import audit
from intake.auth import devices, sessions
from intake.models import Role

# Reachable while a password change or a compulsory authenticator is pending.
ALWAYS_REACHABLE = frozenset({"static", "auth.logout", "health.healthz"})


def expire_if_due() -> bool:
    """End the session when idle or too old; return True when it was ended."""
    if not current_user.is_authenticated:
        return False
    config = current_app.config
    now = sessions.now()
    signed_in_at = session.get(sessions.SIGNED_IN_AT)
    last_seen = session.get(sessions.LAST_SEEN)
    reason = None
    if not isinstance(signed_in_at, int) or not isinstance(last_seen, int):
        reason = "unstamped"
    elif now - signed_in_at > config["INTAKE_STAFF_SESSION_HOURS"] * 3600:
        reason = "absolute"
    elif now - last_seen > config["INTAKE_STAFF_IDLE_MINUTES"] * 60:
        reason = "idle"
    if reason is None:
        if last_seen != now:
            session[sessions.LAST_SEEN] = now
        devices.touch(current_user.id)
        return False
    devices.end_current(current_user.id)
    audit.record(
        audit.Action.SESSION_EXPIRED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=current_user.id,
        target=("user", current_user.id),
        reason=reason,
    )
    logout_user()
    session.clear()
    if reason == "idle":
        flash(
            gettext(
                "You were signed out after %(minutes)d minutes without activity. "
                "Please sign in again.",
                minutes=config["INTAKE_STAFF_IDLE_MINUTES"],
            ),
            "info",
        )
    else:
        flash(gettext("Your session has ended. Please sign in again."), "info")
    return True


def required_step() -> str | None:
    """Return the endpoint the signed-in person must complete first, if any."""
    if not current_user.is_authenticated or request.endpoint in ALWAYS_REACHABLE:
        return None
    if current_user.must_change_password:
        return "auth.change_password"
    if needs_compulsory_totp(current_user):
        return "auth.two_factor"
    return None


def totp_compulsory(user: Any) -> bool:
    """Whether this clinic requires ``user`` to have a second factor."""
    config = current_app.config
    return bool(
        config["INTAKE_REQUIRE_STAFF_TOTP"]
        or (config["INTAKE_REQUIRE_ADMIN_TOTP"] and user.role == Role.ADMIN)
    )


def needs_compulsory_totp(user: Any) -> bool:
    return totp_compulsory(user) and not user.totp_secret
