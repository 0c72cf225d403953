"""The failed-sign-in limit: Flask-Limiter, keyed on the email, counting failures only.

The password step and the authenticator-code step share one count per email,
so guessing codes costs the same as guessing passwords. The storage is
``RATELIMIT_STORAGE_URI`` (Redis when ``REDIS_URL`` is set), so every process
sees the same count.
"""

from __future__ import annotations

import hashlib

from flask import current_app, g, request, session
from flask.wrappers import Response

from intake import audit
from intake.auth.sessions import PENDING_2FA
from intake.extensions import db
from intake.models import User

SCOPE = "sign-in"


def failure_limit() -> str:
    config = current_app.config
    return (
        f"{config['INTAKE_SIGN_IN_MAX_FAILURES']} per "
        f"{config['INTAKE_SIGN_IN_WINDOW_SECONDS']} seconds"
    )


def normalised(email: str) -> str:
    return email.strip().lower()


def _key(email: str) -> str:
    # The storage (Redis) never sees the address itself.
    return hashlib.sha256(normalised(email).encode()).hexdigest()


def email_key() -> str:
    """Key the limit on the email being signed in: the form's, or the pending one's."""
    email = request.form.get("email")
    if email is None:
        pending = session.get(PENDING_2FA)
        user = db.session.get(User, pending["uid"]) if isinstance(pending, dict) else None
        email = user.email if user is not None else ""
    return _key(email)


def mark_failed() -> None:
    """Count this request against the email's limit (successes are never counted)."""
    g.sign_in_failed = True


def counts_as_failure(response: Response) -> bool:
    return bool(g.get("sign_in_failed", False))


def on_breach(limit: object) -> None:
    # Recorded without the email: the address is not for the audit log.
    audit.record(
        audit.Action.SIGN_IN_THROTTLED,
        actor_kind=audit.ActorKind.ANONYMOUS,
        step=request.endpoint or "",
    )
