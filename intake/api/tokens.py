"""API tokens: made and revoked by an admin, sent by an integrator as a bearer token.

A token is ``itk_`` followed by 256 random bits (``secrets.token_urlsafe``).
The prefix lets secret scanners (GitHub's, a pre-commit hook) recognise a
leaked one. Only its SHA-256 is stored, and a token is found by that hash.

Why SHA-256 and not argon2 (which :mod:`intake.passwords` uses): a slow,
salted hash protects secrets people choose, which are guessable, against an
offline search after the table leaks. A token is 256 bits from the operating
system's random source: nobody can search that space, salted or not, slow or
fast. A fast unsalted hash also lets the token be looked up by an indexed
equality (a salt would mean hashing against every row), and keeps the
per-call cost of an integrator's requests to microseconds instead of the
tens of milliseconds and megabytes argon2 spends on purpose.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import secrets
from collections.abc import Iterable
from enum import StrEnum

import sqlalchemy as sa

from intake import audit
from intake.errors import ConflictError, InputError
from intake.extensions import db
from intake.models import ApiToken, utcnow
from intake.unit_of_work import locked

TOKEN_PREFIX = "itk_"  # noqa: S105 - the public marker every token starts with
# Enough of the token after "itk_" for staff to tell tokens apart (36 bits of 256).
SHOWN_CHARACTERS = 6
MAX_NAME_LENGTH = 100
DEFAULT_DAYS = 90
MAX_DAYS = 365
# A token's last use is written at most this often: no write on every call.
LAST_USED_EVERY = dt.timedelta(minutes=1)


class Scope(StrEnum):
    """What a token may do; the value is what the token row and the API name."""

    READ_INTAKES = "read:intakes"
    WRITE_APPOINTMENTS = "write:appointments"


class TokenInputError(InputError):
    """The token cannot be made as asked: ``field`` names the input, ``code`` says how."""


class AlreadyRevokedError(ConflictError):
    code = "token.revoked"


def hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def new_token() -> str:
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def latest_expiry(today: dt.date) -> dt.date:
    return today + dt.timedelta(days=MAX_DAYS)


def create(
    name: str,
    scopes: Iterable[str],
    expires_on: dt.date,
    *,
    today: dt.date,
    expires_at: dt.datetime,
    by: int,
) -> tuple[ApiToken, str]:
    """Add a token and its audit event; return the row and the token (shown once, never kept).

    ``expires_on`` is the last clinic day the token works; ``expires_at`` the
    UTC instant that day ends (the caller knows the clinic's time zone).

    :raise TokenInputError: no name, a name too long, no known scope, or an
        expiry date not after ``today`` or beyond ``MAX_DAYS``.
    """
    name = name.strip()
    if not name:
        raise TokenInputError("name.required", field="name")
    if len(name) > MAX_NAME_LENGTH:
        raise TokenInputError("name.too_long", field="name")
    wanted = [scope.value for scope in Scope if scope.value in set(scopes)]
    if not wanted:
        raise TokenInputError("scopes.required", field="scopes")
    if expires_on <= today:
        raise TokenInputError("expires.past", field="expires_on")
    if expires_on > latest_expiry(today):
        raise TokenInputError("expires.too_late", field="expires_on")
    token = new_token()
    row = ApiToken(
        name=name,
        token_hash=hash_token(token),
        prefix=token[: len(TOKEN_PREFIX) + SHOWN_CHARACTERS],
        scopes=" ".join(wanted),
        created_by_id=by,
        expires_at=expires_at,
    )
    db.session.add(row)
    db.session.flush()
    audit.record(
        audit.Action.API_TOKEN_CREATED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by,
        target=("api_token", row.id),
        scopes=row.scopes,
    )
    return row, token


def revoke(token_id: int, *, by: int) -> ApiToken:
    """Revoke the token now; it stops working with the next request.

    :raise AlreadyRevokedError: it was revoked before (by someone else, in another tab).
    :raise sqlalchemy.exc.NoResultFound: no such token.
    """
    row = db.session.execute(
        locked(sa.select(ApiToken).where(ApiToken.id == token_id))
    ).scalar_one()
    if row.revoked_at is not None:
        raise AlreadyRevokedError
    row.revoked_at = utcnow()
    row.revoked_by_id = by
    audit.record(
        audit.Action.API_TOKEN_REVOKED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by,
        target=("api_token", row.id),
    )
    return row


def find_usable(token: str, now: dt.datetime | None = None) -> ApiToken | None:
    """Return the token's row if it exists, is not revoked and has not expired; else None."""
    if not token.startswith(TOKEN_PREFIX) or len(token) > 200:
        return None
    now = now or utcnow()
    row = db.session.execute(
        sa.select(ApiToken).where(ApiToken.token_hash == hash_token(token))
    ).scalar_one_or_none()
    if row is None or row.status(now) != "active":
        return None
    return row


def touch(row: ApiToken, now: dt.datetime | None = None) -> None:
    """Record the token's use, at most once per ``LAST_USED_EVERY``.

    One conditional UPDATE, no lock taken first: of two calls in the same
    minute at most one writes, and a call that finds the stamp fresh writes
    nothing at all.
    """
    now = now or utcnow()
    if row.last_used_at is not None and now - row.last_used_at < LAST_USED_EVERY:
        return
    db.session.execute(
        sa.update(ApiToken)
        .where(
            ApiToken.id == row.id,
            sa.or_(
                ApiToken.last_used_at.is_(None),
                ApiToken.last_used_at <= now - LAST_USED_EVERY,
            ),
        )
        .values(last_used_at=now)
        .execution_options(synchronize_session=False)
    )


def all_tokens() -> list[ApiToken]:
    """Every token, newest first."""
    return list(
        db.session.execute(sa.select(ApiToken).order_by(ApiToken.id.desc())).scalars().all()
    )
