"""The audit trail: typed event tags in an append-only, hash-chained table.

Events name who acted and which record, never answers, names, dates of birth
or tokens: ``detail`` takes only short codes such as a step id or a role.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa

from intake.extensions import db
from intake.models import AuditEvent, utcnow

GENESIS = "0" * 64
# One arbitrary key for PostgreSQL's advisory lock that serialises appends,
# so two processes never chain onto the same previous event.
_CHAIN_LOCK_KEY = 0x1A7A_CE01


class Action(StrEnum):
    """Every kind of audit event; the value is what the table stores."""

    # Patients
    LINK_OPENED = "link.opened"
    IDENTITY_CONFIRMED = "identity.confirmed"
    IDENTITY_FAILED = "identity.failed"
    LINK_LOCKED = "link.locked"
    STEP_SAVED = "intake.step_saved"
    INTAKE_SUBMITTED = "intake.submitted"
    ACKNOWLEDGMENT_VIEWED = "acknowledgment.viewed_by_patient"
    # Staff
    SIGN_IN = "auth.sign_in"
    SIGN_IN_FAILED = "auth.sign_in_failed"
    SIGN_OUT = "auth.sign_out"
    SIGN_IN_THROTTLED = "auth.sign_in_throttled"
    TOTP_ENROLLED = "auth.totp_enrolled"
    TOTP_REMOVED = "auth.totp_removed"
    SESSION_EXPIRED = "auth.session_expired"
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an event tag
    INTAKE_VIEWED = "intake.viewed"
    DECISION_RECORDED = "decision.recorded"
    APPOINTMENT_BOOKED = "appointment.booked"
    LINK_ISSUED = "link.issued"
    LINK_REISSUED = "link.reissued"
    ACKNOWLEDGMENT_PRINTED = "acknowledgment.printed"
    USER_CREATED = "user.created"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an event tag
    API_INTAKE_READ = "api.intake_read"


class ActorKind(StrEnum):
    STAFF = "staff"
    PATIENT = "patient"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"


def _digest(prev_hash: str, event: AuditEvent) -> str:
    body = json.dumps(
        [
            prev_hash,
            event.occurred_at.astimezone(dt.UTC).isoformat(),
            event.actor_kind,
            event.actor_id,
            event.action,
            event.target_type,
            event.target_id,
            event.detail,
        ],
        sort_keys=True,
        separators=(",", ":"),
    )
    return hashlib.sha256(body.encode()).hexdigest()


def record(
    action: Action,
    *,
    actor_kind: ActorKind,
    actor_id: int | None = None,
    target: tuple[str, int] | None = None,
    **detail: str | int | bool | None,
) -> AuditEvent:
    """Add an audit event to the session, chained to the last one; the caller commits."""
    session = db.session
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    prev = session.execute(
        sa.select(AuditEvent.hash).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one_or_none()
    # The timestamp is truncated to milliseconds so it survives every
    # database's rounding and the chain verifies the same everywhere.
    now = utcnow()
    event = AuditEvent(
        occurred_at=now.replace(microsecond=now.microsecond // 1000 * 1000),
        actor_kind=actor_kind.value,
        actor_id=actor_id,
        action=action.value,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        detail=dict(detail),
        prev_hash=prev or GENESIS,
    )
    event.hash = _digest(event.prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


def verify_chain(batch_size: int = 1000) -> Iterator[ChainBreak]:
    """Yield every place where the audit chain does not hold."""
    prev = GENESIS
    last_id = 0
    while True:
        events = (
            db.session.execute(
                sa.select(AuditEvent)
                .where(AuditEvent.id > last_id)
                .order_by(AuditEvent.id)
                .limit(batch_size)
            )
            .scalars()
            .all()
        )
        if not events:
            return
        for event in events:
            if event.prev_hash != prev:
                yield ChainBreak(event.id, "does not follow the event before it")
            elif _digest(event.prev_hash, event) != event.hash:
                yield ChainBreak(event.id, "content does not match its hash")
            prev = event.hash
            last_id = event.id
        db.session.expunge_all()


def detail_of(event: AuditEvent) -> dict[str, Any]:
    return dict(event.detail or {})
