"""A secret shown once, on the page a POST redirects to (post/redirect/get).

A temporary password or a set of recovery codes is made by a POST. Showing
it as that POST's answer would let a reload make another one (and silently
undo the first); so the POST seals it in ``held_secrets`` and redirects, and
the page it lands on takes it: once, for the browser whose session holds the
nonce, for the staff member who made it, within ``HELD_SECONDS``. The secret
never appears in a URL or in the session cookie.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from enum import StrEnum

import sqlalchemy as sa
from flask import session

from intake.extensions import db
from intake.models import HeldSecret, utcnow
from intake.sealed import InvalidToken, seal, unseal
from intake.unit_of_work import locked

# Long enough for the redirect and a slow page; after that the secret is gone
# and the person makes a new one.
HELD_SECONDS = 10 * 60


class Held(StrEnum):
    TEMPORARY_PASSWORD = "temporary_password"  # noqa: S105 (a kind, not a password)
    RECOVERY_CODES = "recovery_codes"
    WEBHOOK_SECRET = "webhook_secret"  # noqa: S105 (a kind, not a secret)
    API_TOKEN = "api_token"  # noqa: S105 (a kind, not a token)


def _session_key(kind: Held, subject_id: int) -> str:
    return f"held.{kind.value}.{subject_id}"


def _hash(nonce: str) -> str:
    return hashlib.sha256(nonce.encode()).hexdigest()


def hold(kind: Held, secret: str, *, subject_id: int, viewer_id: int) -> None:
    """Seal ``secret`` for this browser's next page about ``subject_id``.

    Rows past their time are deleted first: a secret never shown (the page
    after the redirect never opened) is not kept, sealed, for longer.
    """
    db.session.execute(
        sa.delete(HeldSecret).where(
            HeldSecret.created_at < utcnow() - dt.timedelta(seconds=HELD_SECONDS)
        )
    )
    nonce = secrets.token_urlsafe(24)
    db.session.add(
        HeldSecret(
            nonce_hash=_hash(nonce),
            kind=kind.value,
            viewer_id=viewer_id,
            subject_id=subject_id,
            sealed=seal(secret),
        )
    )
    session[_session_key(kind, subject_id)] = nonce


def take(kind: Held, *, subject_id: int, viewer_id: int) -> str | None:
    """The secret held for this browser, viewer and subject, once; None after that.

    The row is locked, marked shown and wiped in this request's transaction,
    so a reload, a second tab or a copied cookie finds nothing.
    """
    nonce = session.pop(_session_key(kind, subject_id), None)
    if not isinstance(nonce, str):
        return None
    held = db.session.execute(
        locked(
            sa.select(HeldSecret).where(
                HeldSecret.nonce_hash == _hash(nonce),
                HeldSecret.kind == kind.value,
                HeldSecret.viewer_id == viewer_id,
                HeldSecret.subject_id == subject_id,
                HeldSecret.shown_at.is_(None),
            )
        )
    ).scalar_one_or_none()
    if held is None:
        return None
    sealed = held.sealed
    held.shown_at = utcnow()
    held.sealed = ""
    try:
        return unseal(sealed, max_age=HELD_SECONDS)
    except InvalidToken:  # too old, or the keys changed meanwhile
        return None
