"""The failed-sign-in limits, keyed on what is attacked.

- The password step counts failures per account (the normalised email, so
  unknown emails are limited too) and per client address (with
  ``INTAKE_TRUSTED_PROXIES`` set, the address the proxy saw).
- The authenticator step counts failures per account of the pending sign-in,
  which the signed session names (never a form field); it shares the
  account's count with the password step, so guessing codes costs the same as
  guessing passwords.
- Form and JSON bodies are parsed by the same form, so both are keyed alike.

Only failures count; a refused attempt is answered 429 before any password is
checked. The counts live in the limiter's storage (``RATELIMIT_STORAGE_URI``:
Redis when ``REDIS_URL`` is set, shared by every process; otherwise the
thread-safe in-process storage of :mod:`intake.ratelimit_storage`). The
storage never sees an email or address, only their SHA-256.

The per-account count is also kept in the database (``sign_in_failures``,
written in the request's unit of work), and either count refuses: when Redis
is down the limiter's counts fall back to this process's memory
(:class:`intake.ratelimit_storage.StorageFallback`, logged once), and the
database still holds every process's failures for the account, so a guesser
gets no more tries than with Redis.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import math
import time

import sqlalchemy as sa
from flask import current_app, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse
from limits.strategies import STRATEGIES

from intake import audit
from intake.errors import too_many_requests
from intake.extensions import client_address, db, limiter
from intake.models import SignInFailure, utcnow
from intake.ratelimit_storage import StorageFallback

SCOPE = "sign-in"


def _storage() -> StorageFallback:
    """Return this app's fallback (its in-process counts while the shared storage is down)."""
    fallback = current_app.extensions.get("intake_sign_in_fallback")
    if fallback is None or fallback.storage is not limiter.storage:
        # Its own strategy on the limiter's storage, not ``limiter.limiter``:
        # that one switches to Flask-Limiter's fallback only when a *route*
        # limit found the storage down, and never switches back by itself.
        fallback = StorageFallback(
            STRATEGIES[current_app.config["RATELIMIT_STRATEGY"]](limiter.storage)
        )
        current_app.extensions["intake_sign_in_fallback"] = fallback
    assert isinstance(fallback, StorageFallback)
    return fallback


def normalised(email: str) -> str:
    return email.strip().lower()


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()


def _limit(count: int) -> RateLimitItem:
    return parse(f"{count} per {current_app.config['INTAKE_SIGN_IN_WINDOW_SECONDS']} seconds")


def _checks(email: str | None, *, by_address: bool) -> list[tuple[RateLimitItem, str, str]]:
    config = current_app.config
    checks = []
    if email is not None:
        checks.append(
            (_limit(config["INTAKE_SIGN_IN_MAX_FAILURES"]), "account", _digest(normalised(email)))
        )
    if by_address:
        checks.append(
            (
                _limit(config["INTAKE_SIGN_IN_ADDRESS_MAX_FAILURES"]),
                "address",
                _digest(client_address()),
            )
        )
    return checks


def _identifiers(kind: str, key: str) -> tuple[str, ...]:
    return (current_app.config.get("RATELIMIT_KEY_PREFIX") or "intake", SCOPE, kind, key)


def refused(email: str | None, *, by_address: bool) -> ResponseReturnValue | None:
    """Return a 429 answer when a limit is already reached (and audit it), else None."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return None
    for limit, kind, key in _checks(email, by_address=by_address):
        identifiers = _identifiers(kind, key)
        if not _storage().call("test", limit, *identifiers):
            stats = _storage().call("get_window_stats", limit, *identifiers)
            reset = stats.reset_time
            return _refuse(kind, max(1, math.ceil(reset - time.time())))
    if email is not None:
        retry_after = _stored_refusal(_digest(normalised(email)))
        if retry_after is not None:
            return _refuse("account", retry_after)
    return None


def _refuse(kind: str, retry_after: int) -> ResponseReturnValue:
    audit.record(
        audit.Action.SIGN_IN_THROTTLED,
        actor_kind=audit.ActorKind.ANONYMOUS,
        step=request.endpoint or "",
        by=kind,
    )
    # Staff wording (or JSON for a script), never the patients'.
    return too_many_requests(retry_after)


def _window() -> dt.timedelta:
    return dt.timedelta(seconds=current_app.config["INTAKE_SIGN_IN_WINDOW_SECONDS"])


def _stored_refusal(account: str) -> int | None:
    """Return seconds to wait when the account's stored failures reach the limit, else None."""
    now = utcnow()
    failures = (
        db.session.execute(
            sa.select(SignInFailure.failed_at)
            .where(SignInFailure.account == account, SignInFailure.failed_at > now - _window())
            .order_by(SignInFailure.failed_at.desc())
            .limit(current_app.config["INTAKE_SIGN_IN_MAX_FAILURES"])
        )
        .scalars()
        .all()
    )
    if len(failures) < current_app.config["INTAKE_SIGN_IN_MAX_FAILURES"]:
        return None
    # A moving window: the oldest of the last N failures leaves it first.
    return max(1, math.ceil((failures[-1] + _window() - now).total_seconds()))


def failed(email: str | None, *, by_address: bool) -> None:
    """Count one failure against the account (and the client address)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for limit, kind, key in _checks(email, by_address=by_address):
        identifiers = _identifiers(kind, key)
        _storage().call("hit", limit, *identifiers)
    if email is not None:
        _forget_expired()
        db.session.add(SignInFailure(account=_digest(normalised(email))))


def _forget_expired() -> None:
    """Delete stored failures older than the window, so the table holds only the window.

    ``SKIP LOCKED`` (PostgreSQL): two failures at once never wait on, or
    deadlock over, the same old rows; what one skips, a later one deletes.
    """
    expired = (
        sa.select(SignInFailure.id)
        .where(SignInFailure.failed_at <= utcnow() - _window())
        .with_for_update(skip_locked=True)
    )
    db.session.execute(
        sa.delete(SignInFailure)
        .where(SignInFailure.id.in_(expired.scalar_subquery()))
        .execution_options(synchronize_session=False)
    )


def clear_account(email: str) -> None:
    """Forget the account's failed sign-ins (``users unlock``); the address counts stay.

    The count lives in the limiter's storage: with Redis (``REDIS_URL``) every
    process sees it cleared; with the in-process storage only this process's
    count is, so a running server keeps its own until its window passes or it
    restarts.
    """
    account = _digest(normalised(email))
    limit = _limit(current_app.config["INTAKE_SIGN_IN_MAX_FAILURES"])
    identifiers = _identifiers("account", account)
    _storage().call("clear", limit, *identifiers)
    db.session.execute(sa.delete(SignInFailure).where(SignInFailure.account == account))
