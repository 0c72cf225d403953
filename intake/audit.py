"""The audit trail: typed event tags in an append-only, hash-chained table.

Events name who acted and which record, never answers, names, dates of birth
or tokens: ``detail`` takes only short codes such as a step id or a role.

Each event stores the hash of the one before it and its own hash, made by the
scheme named in ``hash_scheme``. Events written before keyed hashes existed
use plain SHA-256 (``sha256-v1``), which anyone with write access to the table
can recompute after an edit. Every new event is an HMAC-SHA256 keyed with
``INTAKE_AUDIT_KEY`` (``hmac-sha256-v2``). The first keyed event after legacy
ones is an ``audit.scheme_changed`` marker, so that the switch is recorded in
the chain itself; after it (or after any keyed event) a legacy event is a
break. Checkpoints (see ``intake.audit_cli``) pin the head's hash in a file
outside the database, so a trimmed, recomputed or replaced chain no longer
matches them.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import ORMExecuteState, Session, SessionTransaction

from intake.extensions import db
from intake.models import AuditEvent, utcnow

GENESIS = "0" * 64
# One arbitrary key for PostgreSQL's advisory lock that serialises appends,
# so two processes never chain onto the same previous event.
_CHAIN_LOCK_KEY = 0x1A7A_CE01

LEGACY_SCHEME = "sha256-v1"
KEYED_SCHEME = "hmac-sha256-v2"


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
    SIGN_IN_UNLOCKED = "auth.sign_in_unlocked"
    TOTP_ENROLLED = "auth.totp_enrolled"
    TOTP_REMOVED = "auth.totp_removed"
    TOTP_KEYS_ROTATED = "auth.totp_keys_rotated"
    RECOVERY_CODE_USED = "auth.recovery_code_used"
    RECOVERY_CODES_GENERATED = "auth.recovery_codes_generated"
    SESSIONS_ENDED = "auth.sessions_ended"
    SESSION_EXPIRED = "auth.session_expired"
    PASSWORD_CHANGED = "auth.password_changed"  # noqa: S105 - an event tag
    INTAKE_VIEWED = "intake.viewed"
    DECISION_RECORDED = "decision.recorded"
    APPOINTMENT_BOOKED = "appointment.booked"
    APPOINTMENT_UPDATED = "appointment.updated"
    APPOINTMENT_RESCHEDULED = "appointment.rescheduled"
    APPOINTMENT_CANCELLED = "appointment.cancelled"
    LINK_ISSUED = "link.issued"
    LINK_REISSUED = "link.reissued"
    ACKNOWLEDGMENT_PRINTED = "acknowledgment.printed"
    USER_CREATED = "user.created"
    USER_ROLE_CHANGED = "user.role_changed"
    USER_DEACTIVATED = "user.deactivated"
    USER_REACTIVATED = "user.reactivated"
    USER_PASSWORD_RESET = "user.password_reset"  # noqa: S105 - an event tag
    API_INTAKE_READ = "api.intake_read"
    WEBHOOK_CREATED = "webhook.created"
    WEBHOOK_SECRET_ROTATED = "webhook.secret_rotated"  # noqa: S105 - an event tag
    WEBHOOK_DISABLED = "webhook.disabled"
    WEBHOOK_ENABLED = "webhook.enabled"
    WEBHOOK_REMOVED = "webhook.removed"
    WEBHOOK_GAVE_UP = "webhook.delivery_gave_up"
    # Email to patients (target: the appointment; never the address)
    MAIL_SENT = "mail.sent"
    MAIL_FAILED = "mail.failed"
    REMINDERS_STOPPED = "mail.reminders_stopped"
    API_TOKEN_CREATED = "api_token.created"  # noqa: S105 - an event tag
    API_TOKEN_REVOKED = "api_token.revoked"  # noqa: S105 - an event tag
    API_TOKEN_USED = "api_token.used"  # noqa: S105 - an event tag
    # The audit trail itself
    AUDIT_SCHEME_CHANGED = "audit.scheme_changed"
    AUDIT_EXPORTED = "audit.exported"


class ActorKind(StrEnum):
    STAFF = "staff"
    PATIENT = "patient"
    SYSTEM = "system"
    ANONYMOUS = "anonymous"
    API_TOKEN = "api_token"  # noqa: S105 - an integrator's token; target names which


def _content(event: AuditEvent) -> list[Any]:
    return [
        event.occurred_at.astimezone(dt.UTC).isoformat(),
        event.actor_kind,
        event.actor_id,
        event.action,
        event.target_type,
        event.target_id,
        event.detail,
    ]


def _canonical(value: object) -> bytes:
    return json.dumps(value, sort_keys=True, separators=(",", ":")).encode()


def legacy_digest(prev_hash: str, event: AuditEvent) -> str:
    """Return the plain SHA-256 hash events were chained with before keyed hashes."""
    return hashlib.sha256(_canonical([prev_hash, *_content(event)])).hexdigest()


def keyed_digest(key: str, prev_hash: str, event: AuditEvent) -> str:
    """Return the HMAC-SHA256 of the event; the scheme name is inside the MAC."""
    body = _canonical([KEYED_SCHEME, prev_hash, *_content(event)])
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def _audit_key() -> str:
    key: str = current_app.config["INTAKE_AUDIT_KEY"]
    return key


def _millis(now: dt.datetime) -> dt.datetime:
    # Truncated to milliseconds so the timestamp survives every database's
    # rounding and the chain verifies the same everywhere.
    return now.replace(microsecond=now.microsecond // 1000 * 1000)


def _new_event(
    action: Action,
    *,
    actor_kind: ActorKind,
    actor_id: int | None,
    target: tuple[str, int] | None,
    detail: dict[str, Any],
) -> AuditEvent:
    return AuditEvent(
        actor_kind=actor_kind.value,
        actor_id=actor_id,
        action=action.value,
        target_type=target[0] if target else None,
        target_id=target[1] if target else None,
        detail=detail,
        hash_scheme=KEYED_SCHEME,
    )


def _append(session: Session, key: str, prev_hash: str, event: AuditEvent) -> AuditEvent:
    """Chain ``event`` onto ``prev_hash`` and add it (under the chain's lock)."""
    # Stamped when chained, so times follow the chain's order.
    event.occurred_at = _millis(utcnow())
    event.prev_hash = prev_hash
    event.hash = keyed_digest(key, prev_hash, event)
    session.add(event)
    session.flush()
    return event


@dataclass(frozen=True, slots=True)
class _Pending:
    event: AuditEvent
    key: str


# Where a session keeps the events recorded in its transaction, not yet chained.
_PENDING = "intake.audit.pending"
# Per open savepoint: how many were pending when it began (a rollback to it
# drops those recorded after).
_MARKS = "intake.audit.savepoint_marks"


def record(
    action: Action,
    *,
    actor_kind: ActorKind,
    actor_id: int | None = None,
    target: tuple[str, int] | None = None,
    **detail: str | int | bool | None,
) -> AuditEvent:
    """Record an audit event in this transaction; it is chained just before the commit.

    Every database write queues on the chain's lock (one head, one writer at
    a time), and the lock is held until the transaction ends. So the event is
    not written here: it is kept with the session and appended, under the
    lock, by :func:`write_pending` as the transaction commits (or earlier, when
    the transaction reads the audit table itself). The lock is then held for
    the last statements of the transaction only, not from the first change
    on. A rollback drops the event with the change it described. The event
    returned has its id and hash once the transaction has committed.
    """
    event = _new_event(
        action, actor_kind=actor_kind, actor_id=actor_id, target=target, detail=dict(detail)
    )
    pending: list[_Pending] = db.session.info.setdefault(_PENDING, [])
    pending.append(_Pending(event, _audit_key()))
    return event


def write_pending(session: Session) -> None:
    """Chain and add the events this session's transaction recorded (see :func:`record`)."""
    pending: list[_Pending] = session.info.pop(_PENDING, None) or []
    if not pending:
        return
    # Taken before the head is read: otherwise two transactions could chain
    # onto the same head. The unique prev_hash makes the loser fail rather
    # than fork, wherever the lock is missing. SQLite's write lock, held from
    # the transaction's first statement, does the same there.
    if session.get_bind().dialect.name == "postgresql":
        session.execute(sa.select(sa.func.pg_advisory_xact_lock(_CHAIN_LOCK_KEY)))
    head = session.execute(
        sa.select(AuditEvent.hash, AuditEvent.hash_scheme).order_by(AuditEvent.id.desc()).limit(1)
    ).one_or_none()
    prev = head.hash if head else GENESIS
    if head is not None and head.hash_scheme == LEGACY_SCHEME:
        marker = _new_event(
            Action.AUDIT_SCHEME_CHANGED,
            actor_kind=ActorKind.SYSTEM,
            actor_id=None,
            target=None,
            detail={"from": LEGACY_SCHEME, "to": KEYED_SCHEME},
        )
        prev = _append(session, pending[0].key, prev, marker).hash
    for item in pending:
        prev = _append(session, item.key, prev, item.event).hash


@sa.event.listens_for(Session, "before_commit")
def _before_commit(session: Session) -> None:
    write_pending(session)


@sa.event.listens_for(Session, "do_orm_execute")
def _before_reading_the_chain(state: ORMExecuteState) -> None:
    # A transaction that reads the audit table (the log page, an export's
    # head, a test) sees its own events, as when they were written at once.
    if state.session.info.get(_PENDING) and any(
        mapper.class_ is AuditEvent for mapper in state.all_mappers
    ):
        write_pending(state.session)


@sa.event.listens_for(Session, "after_transaction_create")
def _savepoint_began(session: Session, transaction: SessionTransaction) -> None:
    if transaction.nested:
        marks = session.info.setdefault(_MARKS, {})
        marks[id(transaction)] = len(session.info.get(_PENDING) or ())


@sa.event.listens_for(Session, "after_soft_rollback")
def _rolled_back(session: Session, previous_transaction: SessionTransaction) -> None:
    if previous_transaction.nested:
        mark = session.info.get(_MARKS, {}).get(id(previous_transaction))
        if mark is not None and _PENDING in session.info:
            del session.info[_PENDING][mark:]
    else:
        session.info.pop(_PENDING, None)


@sa.event.listens_for(Session, "after_transaction_end")
def _transaction_ended(session: Session, transaction: SessionTransaction) -> None:
    # (A savepoint's mark stays until then: a rollback reports the savepoint
    # after it has ended. Each new savepoint writes its own mark.)
    if transaction.parent is None and not transaction.nested:
        # Committed (already written) or rolled back: nothing carries over.
        session.info.pop(_PENDING, None)
        session.info.pop(_MARKS, None)


@dataclass(frozen=True)
class ChainBreak:
    event_id: int
    reason: str


@dataclass(frozen=True)
class Checkpoint:
    """The chain's head at one moment, as written to the checkpoint file."""

    event_id: int
    hash: str
    hash_scheme: str
    at: str

    def fields(self) -> dict[str, Any]:
        return {
            "event_id": self.event_id,
            "hash": self.hash,
            "hash_scheme": self.hash_scheme,
            "at": self.at,
        }


class CheckpointError(ValueError):
    """A checkpoint line that is malformed or whose MAC does not match."""

    def __init__(self, reason: str, event_id: int | None = None) -> None:
        super().__init__(reason)
        self.event_id = event_id


# Domain separation: a checkpoint MAC can never be mistaken for an event hash.
_CHECKPOINT_CONTEXT = "intake-audit-checkpoint-v1"


def _checkpoint_mac(key: str, fields: dict[str, Any]) -> str:
    body = _canonical([_CHECKPOINT_CONTEXT, fields])
    return hmac.new(key.encode(), body, hashlib.sha256).hexdigest()


def checkpoint_line(checkpoint: Checkpoint) -> str:
    """Return the checkpoint as one JSON line (no newline), MAC'd with the audit key."""
    fields = checkpoint.fields()
    return json.dumps(fields | {"mac": _checkpoint_mac(_audit_key(), fields)}, sort_keys=True)


def parse_checkpoint(line: str) -> Checkpoint:
    """Read one checkpoint line and check its MAC.

    :raise CheckpointError: the line is malformed or its MAC does not match.
    """
    try:
        data = json.loads(line)
    except json.JSONDecodeError:
        raise CheckpointError("not JSON") from None
    keys = {"event_id", "hash", "hash_scheme", "at", "mac"}
    if not isinstance(data, dict) or set(data) != keys:
        raise CheckpointError(
            "not a checkpoint: the fields are not event_id, hash, hash_scheme, at, mac"
        )
    event_id = data["event_id"]
    if type(event_id) is not int or not all(isinstance(data[k], str) for k in keys - {"event_id"}):
        raise CheckpointError("not a checkpoint: a field has the wrong type")
    checkpoint = Checkpoint(event_id, data["hash"], data["hash_scheme"], data["at"])
    expected = _checkpoint_mac(_audit_key(), checkpoint.fields())
    # Bytes, not str: compare_digest refuses a str with non-ASCII characters.
    if not hmac.compare_digest(expected.encode(), data["mac"].encode()):
        raise CheckpointError(
            f"the checkpoint of {checkpoint.at} has a MAC that does not match"
            " (forged, edited, or made with another key)",
            event_id,
        )
    return checkpoint


@dataclass
class Verification:
    """What ``verify`` found: every break, how much it looked at, and the head it reached."""

    breaks: list[ChainBreak]
    events: int
    checkpoints: int
    head: AuditEvent | None

    def checkpoint(self, now: dt.datetime | None = None) -> Checkpoint | None:
        """Return a checkpoint of the head that was verified, or None on an empty chain."""
        if self.head is None:
            return None
        at = (now or utcnow()).astimezone(dt.UTC).isoformat(timespec="seconds")
        return Checkpoint(self.head.id, self.head.hash, self.head.hash_scheme, at)


def _check_legacy(event: AuditEvent, prev: str, keyed_seen: bool) -> str | None:
    if keyed_seen:
        return "uses the legacy unkeyed hash after the chain switched to keyed hashes"
    if event.action == Action.AUDIT_SCHEME_CHANGED:
        return "is a scheme-change marker with an unkeyed hash"
    if legacy_digest(prev, event) != event.hash:
        return "content does not match its hash"
    return None


def _check_keyed(event: AuditEvent, prev: str, keyed_seen: bool, key: str) -> str | None:
    if not hmac.compare_digest(keyed_digest(key, prev, event).encode(), event.hash.encode()):
        return "content does not match its keyed hash"
    if not keyed_seen and prev != GENESIS and event.action != Action.AUDIT_SCHEME_CHANGED:
        return "is the first keyed event but not the scheme-change marker"
    return None


def _check_event(event: AuditEvent, prev: str, keyed_seen: bool, key: str) -> str | None:
    """Return why the event breaks the chain, or None."""
    if event.prev_hash != prev:
        return "does not follow the event before it"
    if event.hash_scheme == LEGACY_SCHEME:
        return _check_legacy(event, prev, keyed_seen)
    if event.hash_scheme == KEYED_SCHEME:
        return _check_keyed(event, prev, keyed_seen, key)
    return f"has an unknown hash scheme {event.hash_scheme!r}"


def verify(checkpoints: Iterable[Checkpoint] = (), batch_size: int = 1000) -> Verification:
    """Check every event's link and hash, and that every checkpoint still matches."""
    key = _audit_key()
    checkpoints = list(checkpoints)
    pinned: dict[int, list[Checkpoint]] = {}
    for checkpoint in checkpoints:
        pinned.setdefault(checkpoint.event_id, []).append(checkpoint)
    breaks: list[ChainBreak] = []
    prev = GENESIS
    keyed_seen = False
    last_id = 0
    count = 0
    head: AuditEvent | None = None
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
            break
        for event in events:
            reason = _check_event(event, prev, keyed_seen, key)
            if reason:
                breaks.append(ChainBreak(event.id, reason))
            breaks.extend(
                ChainBreak(
                    event.id,
                    f"hash differs from the checkpoint of {c.at}"
                    " (the chain was recomputed or replaced)",
                )
                for c in pinned.pop(event.id, ())
                if c.hash != event.hash
            )
            keyed_seen = keyed_seen or event.hash_scheme == KEYED_SCHEME
            prev = event.hash
            last_id = event.id
            count += 1
            head = event
        db.session.expunge_all()
    for event_id, missing in sorted(pinned.items()):
        where = (
            f"the chain ends at event {last_id}, so events were trimmed from its end"
            if event_id > last_id
            else "it was deleted"
        )
        breaks.extend(
            ChainBreak(event_id, f"is missing but the checkpoint of {c.at} recorded it ({where})")
            for c in missing
        )
    breaks.sort(key=lambda b: b.event_id)
    return Verification(breaks, count, len(checkpoints), head)


def detail_of(event: AuditEvent) -> dict[str, Any]:
    return dict(event.detail or {})
