"""Staff account changes an admin makes. Each adds and flushes; the view commits.

Every change that should end someone's sessions bumps ``session_version``:
role change, deactivation, password reset.
"""

from __future__ import annotations

import secrets
from typing import Any

import sqlalchemy as sa

from intake import audit
from intake.extensions import db
from intake.models import Role, User
from intake.passwords import WeakPasswordError, hash_password
from intake.users import create_user, end_staff_sessions

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
