"""Staff account changes an admin makes. Each adds and flushes; the view commits.

Every change that should end someone's sessions bumps ``session_version``:
role change, deactivation, password reset.
"""

from __future__ import annotations

import datetime as dt
import secrets
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

import sqlalchemy as sa
from flask import current_app, url_for
from flask_babel import gettext

from intake import audit
from intake.auth.access import access_for
from intake.extensions import db
from intake.models import SUBMITTED, AuditEvent, Intake, IntakeLink, IntakeStatus, Role, User
from intake.passwords import WeakPasswordError, hash_password
from intake.users import create_user, end_staff_sessions

T = TypeVar("T")

# No 0/O, 1/l/I: the temporary password is read off a screen and typed once.
_TEMP_ALPHABET = "abcdefghjkmnpqrstuvwxyz23456789"


class LastAdminError(Exception):
    """The change would leave the clinic without an active admin."""


def temporary_password() -> str:
    """Return a random password (about 80 bits) shown once to the admin who made it."""
    chars = "".join(secrets.choice(_TEMP_ALPHABET) for _ in range(16))
    return "-".join(chars[i : i + 4] for i in range(0, 16, 4))


def _other_active_admins(user: User) -> int:
    # Every active admin row is locked, in id order (PostgreSQL; SQLite
    # serialises writers anyway): two admins demoting each other at once queue
    # up instead of both seeing "another admin is left" or deadlocking, and the
    # second one re-reads the first one's change before counting.
    ids = db.session.execute(
        sa.select(User.id)
        .where(User.role == Role.ADMIN, User.active.is_(True))
        .order_by(User.id)
        .with_for_update()
    ).scalars()
    return sum(1 for i in ids if i != user.id)


def _actor(by: User | None) -> dict[str, Any]:
    """Who made the change: an admin, or (None) the command line on the server."""
    if by is None:
        return {"actor_kind": audit.ActorKind.SYSTEM, "actor_id": None}
    return {"actor_kind": audit.ActorKind.STAFF, "actor_id": by.id}


def accounts() -> list[User]:
    return list(db.session.scalars(sa.select(User).order_by(User.email)))


def _guard_last_admin(user: User) -> None:
    if user.role == Role.ADMIN and user.active and _other_active_admins(user) == 0:
        raise LastAdminError


def create_account(email: str, role: Role, *, by: User) -> tuple[User, str]:
    """Create an account whose holder must choose a password at first sign-in.

    :raise intake.users.UserInputError: bad or duplicate email.
    """
    while True:
        password = temporary_password()
        try:
            user = create_user(email, role, password, must_change=True, by=by.id)
        except WeakPasswordError:  # e.g. contains the email's name part: draw again
            continue
        break
    return user, password


def change_role(user: User, role: Role, *, by: User) -> bool:
    """Give ``user`` a new role; return False when it already had it.

    :raise LastAdminError: it would demote the last active admin.
    """
    if user.role == role:
        return False
    if role != Role.ADMIN:
        _guard_last_admin(user)
    previous = user.role
    user.role = role
    user.session_version += 1
    end_staff_sessions(user.id)
    audit.record(
        audit.Action.USER_ROLE_CHANGED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        target=("user", user.id),
        old_role=previous.value,
        new_role=role.value,
    )
    db.session.flush()
    return True


def deactivate(user: User, *, by: User | None) -> None:
    """Stop ``user`` signing in and end every session it has.

    :raise LastAdminError: ``user`` is the last active admin.
    """
    if not user.active:
        return
    _guard_last_admin(user)
    user.active = False
    user.session_version += 1
    end_staff_sessions(user.id)
    audit.record(audit.Action.USER_DEACTIVATED, **_actor(by), target=("user", user.id))
    db.session.flush()


def reactivate(user: User, *, by: User) -> None:
    if user.active:
        return
    user.active = True
    audit.record(
        audit.Action.USER_REACTIVATED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        target=("user", user.id),
    )
    db.session.flush()


def reset_password(user: User, *, by: User | None) -> str:
    """Replace the password with a temporary one to be changed at next sign-in.

    The authenticator is removed too: a reset is what a person who lost both
    password and phone asks for, and the temporary password goes to them in person.
    """
    password = temporary_password()
    user.password_hash = hash_password(password)
    user.must_change_password = True
    user.totp_secret = None
    user.totp_last_step = None
    user.session_version += 1
    end_staff_sessions(user.id)
    audit.record(audit.Action.USER_PASSWORD_RESET, **_actor(by), target=("user", user.id))
    db.session.flush()
    return password


# -- The audit log: reading, linking, exporting --------------------------------------


@dataclass(frozen=True, slots=True)
class AuditFilter:
    """What the audit log shows: each part optional (None: no restriction)."""

    actor_id: int | None = None
    action: str | None = None
    start: dt.datetime | None = None  # UTC, inclusive
    end: dt.datetime | None = None  # UTC, exclusive

    def where(self, query: sa.Select[T]) -> sa.Select[T]:
        if self.actor_id is not None:
            query = query.where(AuditEvent.actor_id == self.actor_id)
        if self.action:
            query = query.where(AuditEvent.action == self.action)
        if self.start is not None:
            query = query.where(AuditEvent.occurred_at >= self.start)
        if self.end is not None:
            query = query.where(AuditEvent.occurred_at < self.end)
        return query

    def detail(self) -> dict[str, Any]:
        """The filter as an audit event's detail: ids, a tag and instants, nothing personal.

        Only the parts set: no key means no restriction.
        """
        parts = {
            "actor": self.actor_id,
            "filter_action": self.action,
            "start": self.start.isoformat() if self.start else None,
            "end": self.end.isoformat() if self.end else None,
        }
        return {key: value for key, value in parts.items() if value is not None}


@dataclass(frozen=True, slots=True)
class RecordRef:
    """The record an event names, said in words, and where to open it (None: nowhere)."""

    label: str
    url: str | None


def record_refs(events: Sequence[AuditEvent], role: Role) -> dict[int, RecordRef]:
    """Return, per event id, the record it names and a link the ``role`` may open.

    Intakes and links are opened through their appointment (an intake's own
    page exists only once it is submitted); at most two statements for any
    number of events, whatever they name.
    """
    intake_ids = {e.target_id for e in events if e.target_type == "intake" and e.target_id}
    link_ids = {e.target_id for e in events if e.target_type == "link" and e.target_id}
    intakes: dict[int, tuple[int, IntakeStatus]] = {}
    if intake_ids:
        rows = db.session.execute(
            sa.select(Intake.id, Intake.appointment_id, Intake.status).where(
                Intake.id.in_(intake_ids)
            )
        )
        intakes = {row.id: (row.appointment_id, row.status) for row in rows}
    links: dict[int, int] = {}
    if link_ids:
        rows = db.session.execute(
            sa.select(IntakeLink.id, IntakeLink.appointment_id).where(IntakeLink.id.in_(link_ids))
        )
        links = {row.id: row.appointment_id for row in rows}

    def url(endpoint: str, **values: Any) -> str | None:
        rule = access_for(endpoint)
        if isinstance(rule, frozenset) and role in rule and endpoint in current_app.view_functions:
            return url_for(endpoint, **values)
        return None

    refs: dict[int, RecordRef] = {}
    for event in events:
        kind, target = event.target_type, event.target_id
        if kind is None or target is None:
            continue
        if kind == "user":
            refs[event.id] = RecordRef(
                gettext("staff account #%(id)d", id=target), url("admin.user", user_id=target)
            )
        elif kind == "appointment":
            refs[event.id] = RecordRef(
                gettext("appointment #%(id)d", id=target),
                url("frontdesk.appointment", appointment_id=target),
            )
        elif kind == "intake" and target in intakes:
            appointment_id, status = intakes[target]
            opened = (
                url("review.intake", intake_id=target)
                if status in SUBMITTED
                else url("frontdesk.appointment", appointment_id=appointment_id)
            )
            refs[event.id] = RecordRef(
                gettext(
                    "intake #%(id)d (appointment #%(appointment)d)",
                    id=target,
                    appointment=appointment_id,
                ),
                opened or url("frontdesk.appointment", appointment_id=appointment_id),
            )
        elif kind == "link" and target in links:
            refs[event.id] = RecordRef(
                gettext(
                    "intake link #%(id)d (appointment #%(appointment)d)",
                    id=target,
                    appointment=links[target],
                ),
                url("frontdesk.appointment", appointment_id=links[target]),
            )
        elif kind == "api_token":
            refs[event.id] = RecordRef(
                gettext("API token #%(id)d", id=target), url("admin.tokens_list")
            )
        else:
            refs[event.id] = RecordRef(f"{kind} #{target}", None)
    return refs


# A spreadsheet runs a cell that starts with one of these as a formula (OWASP,
# "CSV Injection"); a leading apostrophe makes it text.
_FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
EXPORT_BATCH = 500


def csv_cell(value: object) -> str:
    """Return ``value`` as CSV cell text that no spreadsheet will run as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text.startswith(_FORMULA_STARTS) else text


def export_head(audit_filter: AuditFilter, *, by: User) -> int:
    """Record the export (its own audit event) and return the last event id it covers.

    The export lists the events up to this moment that match the filter; the
    export's own event comes after them, so it is in the next export, not this one.
    """
    head = db.session.execute(sa.select(sa.func.max(AuditEvent.id))).scalar_one() or 0
    audit.record(
        audit.Action.AUDIT_EXPORTED,
        actor_kind=audit.ActorKind.STAFF,
        actor_id=by.id,
        up_to=head,
        **audit_filter.detail(),
    )
    return head


def export_rows(
    audit_filter: AuditFilter, head: int, columns: Callable[[AuditEvent], Sequence[object]]
) -> Iterator[Sequence[str]]:
    """Yield the filtered events up to ``head``, newest first, as rows of safe cells.

    Read in batches by id, each in a transaction of its own that ends before
    the batch is sent: a long download never holds the database (SQLite's
    write lock is taken by any transaction here) while the client reads.
    """
    before = head + 1
    while True:
        batch = list(
            db.session.scalars(
                audit_filter.where(sa.select(AuditEvent))
                .where(AuditEvent.id < before)
                .order_by(AuditEvent.id.desc())
                .limit(EXPORT_BATCH)
            )
        )
        rows = [[csv_cell(v) for v in columns(event)] for event in batch]
        db.session.rollback()  # reads only: end the transaction before sending
        yield from rows
        if len(batch) < EXPORT_BATCH:
            return
        before = batch[-1].id
