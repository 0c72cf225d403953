"""What a staff session cookie carries besides Flask-Login's user id, and its clock.

The cookie is signed (Flask's session), so these values cannot be forged;
the user id inside it carries the account's ``session_version``, which the
database checks on every request. Nothing is kept in process memory, so any
worker can serve any request.
"""

from __future__ import annotations

import time

from flask import session

# Unix seconds of the sign-in (absolute limit) and of the last request (idle limit).
SIGNED_IN_AT = "signed_in_at"
LAST_SEEN = "last_seen"
# A password was right but the authenticator code is still to come.
PENDING_2FA = "pending_2fa"
# The random token naming this browser's row in staff_sessions (intake.auth.devices).
DEVICE = "device"
# A nonce from which the TOTP secret being enrolled is derived (never the secret).
ENROLLING_SECRET = "totp_enrolling"  # noqa: S105 - a session key


def now() -> int:
    return int(time.time())


def start(at: int | None = None) -> None:
    """Stamp a freshly signed-in session (the caller has just cleared it)."""
    stamp = now() if at is None else at
    session[SIGNED_IN_AT] = stamp
    session[LAST_SEEN] = stamp
