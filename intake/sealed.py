"""Secrets kept at rest, sealed with the app's Fernet keys (``INTAKE_TOTP_KEYS``).

MultiFernet: the first key seals, any key opens, so a new key goes first and
the old one is dropped once nothing sealed with it is left
(``flask --app wsgi totp rotate-keys`` re-seals the authenticator secrets).
Used for the staff authenticator secrets and for a new intake link held for
the one page that shows it.
"""

from __future__ import annotations

from functools import cache

from cryptography.fernet import Fernet, InvalidToken, MultiFernet
from flask import current_app

__all__ = ["InvalidToken", "fernet", "seal", "unseal"]


@cache
def _fernet(keys: str) -> MultiFernet:
    return MultiFernet([Fernet(key.strip().encode()) for key in keys.split(",") if key.strip()])


def fernet() -> MultiFernet:
    return _fernet(current_app.config["INTAKE_TOTP_KEYS"])


def seal(text: str) -> str:
    return fernet().encrypt(text.encode()).decode()


def unseal(sealed: str, *, max_age: int | None = None) -> str:
    """Open ``sealed``; with ``max_age`` (seconds), refuse it once older.

    :raise InvalidToken: no key opens it, it was altered, or it is too old.
    """
    return fernet().decrypt(sealed.encode(), ttl=max_age).decode()
