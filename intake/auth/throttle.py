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
"""

from __future__ import annotations

import hashlib
import math
import time

from flask import current_app, request
from flask.typing import ResponseReturnValue
from limits import RateLimitItem, parse

from intake import audit
from intake.errors import too_many_requests
from intake.extensions import client_address, limiter

SCOPE = "sign-in"


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
        if not limiter.limiter.test(limit, *_identifiers(kind, key)):
            reset = limiter.limiter.get_window_stats(limit, *_identifiers(kind, key)).reset_time
            audit.record(
                audit.Action.SIGN_IN_THROTTLED,
                actor_kind=audit.ActorKind.ANONYMOUS,
                step=request.endpoint or "",
                by=kind,
            )
            retry_after = max(1, math.ceil(reset - time.time()))
            # Staff wording (or JSON for a script), never the patients'.
            return too_many_requests(retry_after)
    return None


def failed(email: str | None, *, by_address: bool) -> None:
    """Count one failure against the account (and the client address)."""
    if not current_app.config.get("RATELIMIT_ENABLED", True):
        return
    for limit, kind, key in _checks(email, by_address=by_address):
        limiter.limiter.hit(limit, *_identifiers(kind, key))


def clear_account(email: str) -> None:
    """Forget the account's failed sign-ins (``users unlock``); the address counts stay.

    The count lives in the limiter's storage: with Redis (``REDIS_URL``) every
    process sees it cleared; with the in-process storage only this process's
    count is, so a running server keeps its own until its window passes or it
    restarts.
    """
    limit = _limit(current_app.config["INTAKE_SIGN_IN_MAX_FAILURES"])
    limiter.limiter.clear(limit, *_identifiers("account", _digest(normalised(email))))
