"""The second factor: TOTP secrets encrypted at rest, each step used once, recovery codes.

Secrets are stored as MultiFernet tokens made with the first key of
``INTAKE_TOTP_KEYS``; any key in the list decrypts, so a new key goes first and
``flask --app wsgi totp rotate-keys`` re-encrypts every secret with it before
the old key is dropped. A secret stored in clear before encryption existed is
still read, and is encrypted at its next successful sign-in or by
``rotate-keys``.

Recovery codes are 140 random bits each (28 base32 characters), so a fast
SHA-256 is enough to store them: a hash of a value that cannot be guessed
cannot be reversed by guessing either; argon2 is for secrets people choose.
A plain hash also lets one conditional UPDATE find and use a code atomically.
"""

from __future__ import annotations

import hashlib
import re
import secrets

import pyotp
import sqlalchemy as sa
from cryptography.fernet import InvalidToken

from intake.extensions import db
from intake.models import RecoveryCode, User, utcnow
from intake.sealed import fernet

TOTP_WINDOW = 1  # one 30-second step either side, for clock drift
RECOVERY_CODE_COUNT = 10
# 28 base32 characters, 140 random bits per code: over 128 (ASVS 5.0 11.5.1)
# and over 112, so an unsalted SHA-256 is an approved way to keep it (6.5.2)
# and one conditional UPDATE can find and spend it.
RECOVERY_CODE_CHARS = 28
_BASE32 = "abcdefghijklmnopqrstuvwxyz234567"
_CLEAR_SECRET = re.compile(r"[A-Z2-7]{16,64}=*")


class TotpKeyError(RuntimeError):
    """A stored secret cannot be decrypted with any configured key."""


def encrypt(secret: str) -> str:
    return fernet().encrypt(secret.encode()).decode()


def is_clear(stored: str) -> bool:
    return _CLEAR_SECRET.fullmatch(stored) is not None


def decrypt(stored: str) -> str:
    """Return the base32 secret; a secret stored in clear is returned as it is."""
    if is_clear(stored):
        return stored
    try:
        return fernet().decrypt(stored.encode()).decode()
    except InvalidToken:
        raise TotpKeyError("no key in INTAKE_TOTP_KEYS decrypts this secret") from None


def rotate(stored: str) -> str:
    """Re-encrypt ``stored`` with the first key (encrypting a clear secret)."""
    if is_clear(stored):
        return encrypt(stored)
    try:
        return fernet().rotate(stored.encode()).decode()
    except InvalidToken:
        raise TotpKeyError("no key in INTAKE_TOTP_KEYS decrypts this secret") from None


def matching_step(secret: str, code: str | None) -> int | None:
    """Return the time step ``code`` is valid for (within the window), else None."""
    if not code or not code.isdigit() or len(code) != 6:
        return None
    totp = pyotp.TOTP(secret)
    current = totp.timecode(utcnow())
    for step in range(current - TOTP_WINDOW, current + TOTP_WINDOW + 1):
        if pyotp.utils.strings_equal(code, totp.generate_otp(step)):
            return step
    return None


def claim_step(user_id: int, step: int) -> bool:
    """Mark ``step`` used for the account; False when it (or a later one) was used already.

    One conditional UPDATE, so of several requests with the same code exactly
    one changes the row: on PostgreSQL the others wait for its row lock and
    then find the condition false; on SQLite writers are serialised.
    """
    result = db.session.execute(
        sa.update(User)
        .where(
            User.id == user_id,
            sa.or_(User.totp_last_step.is_(None), User.totp_last_step < step),
        )
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


# -- Recovery codes --------------------------------------------------------------


def _normalised(code: str) -> str:
    return "".join(ch for ch in code.lower() if ch.isalnum())


def _hash(code: str) -> str:
    return hashlib.sha256(_normalised(code).encode()).hexdigest()


def looks_like_recovery_code(code: str) -> bool:
    return len(_normalised(code)) == RECOVERY_CODE_CHARS


def new_recovery_codes(user_id: int) -> list[str]:
    """Replace the account's recovery codes with ten new ones; return them (shown once)."""
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))
    codes = []
    for _ in range(RECOVERY_CODE_COUNT):
        raw = "".join(secrets.choice(_BASE32) for _ in range(RECOVERY_CODE_CHARS))
        codes.append("-".join(raw[i : i + 4] for i in range(0, RECOVERY_CODE_CHARS, 4)))
    db.session.add_all(RecoveryCode(user_id=user_id, code_hash=_hash(code)) for code in codes)
    db.session.flush()
    return codes


def use_recovery_code(user_id: int, code: str) -> bool:
    """Use one unused code of the account; True when it was one (it is now spent)."""
    if not looks_like_recovery_code(code):
        return False
    result = db.session.execute(
        sa.update(RecoveryCode)
        .where(
            RecoveryCode.user_id == user_id,
            RecoveryCode.code_hash == _hash(code),
            RecoveryCode.used_at.is_(None),
        )
        .values(used_at=utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1  # type: ignore[attr-defined,no-any-return]


def remaining_recovery_codes(user_id: int) -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(RecoveryCode)
        .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))
    ).scalar_one()


def remove_recovery_codes(user_id: int) -> None:
    db.session.execute(sa.delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def rotate_all() -> int:
    """Re-encrypt every stored secret with the first key; return how many."""
    users = db.session.execute(
        sa.select(User).where(User.totp_secret.is_not(None)).with_for_update()
    ).scalars()
    count = 0
    for user in users:
        assert user.totp_secret is not None
        user.totp_secret = rotate(user.totp_secret)
        count += 1
    return count
