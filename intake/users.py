"""Staff accounts: creation with the password policy, shared by the CLI and admin pages."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email
from flask_babel import gettext
from flask_login import current_user
from sqlalchemy.exc import IntegrityError

from intake import audit
from intake.errors import InputError
from intake.extensions import db
from intake.models import Role, StaffSession, User, utcnow
from intake.passwords import check_policy, hash_password


class UserInputError(InputError):
    """The account cannot be created as asked: ``code`` says why, the message in English."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(code, field="email")
        self.message = message

    def __str__(self) -> str:
        return self.message


def normalise_email(email: str) -> str:
    # Staff addresses may use the reserved .test domain (training and test
    # accounts); patient addresses, which must receive real mail, may not.
    try:
        return validate_email(
            email.strip(), check_deliverability=False, test_environment=True
        ).normalized.lower()
    except EmailNotValidError as exc:
        raise UserInputError("email.invalid", f"email {email!r} is not valid: {exc}") from None


def find_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def create_user(
    email: str, role: Role, password: str, *, must_change: bool = False, by: int | None = None
) -> User:
    """Add a staff account and its audit event; the unit of work commits.

    ``by`` is the admin who made it (None: the command line).

    :raise UserInputError: bad or duplicate email.
    :raise intake.passwords.WeakPasswordError: the password breaks the policy.
    """
    email = normalise_email(email)
    duplicate = UserInputError(
        "email.duplicate", f"a staff account with email {email} already exists"
    )
    if find_by_email(email) is not None:
        raise duplicate
    check_policy(password, email)
    user = User(
        email=email,
        role=role,
        password_hash=hash_password(password),
        must_change_password=must_change,
    )
    try:
        # The unique index on users.email decides between two creations at once.
        with db.session.begin_nested():
            db.session.add(user)
    except IntegrityError:
        raise duplicate from None
    audit.record(
        audit.Action.USER_CREATED,
        actor_kind=audit.ActorKind.SYSTEM if by is None else audit.ActorKind.STAFF,
        actor_id=by,
        target=("user", user.id),
        role=role.value,
    )
    return user


def end_staff_sessions(user_id: int) -> None:
    """End every open sign-in of the account on the server (its device list empties).

    Callers also bump ``session_version``, which refuses the cookies at once;
    this closes the rows, so no device is listed as signed in afterwards.
    """
    db.session.execute(
        sa.update(StaffSession)
        .where(StaffSession.user_id == user_id, StaffSession.ended_at.is_(None))
        .values(ended_at=utcnow())
        .execution_options(synchronize_session=False)
    )


def current_staff() -> User:
    """Return the signed-in staff member's row (not Flask-Login's proxy).

    Only for routes the access table (``intake.auth.access``) keeps to staff.
    """
    user: User = current_user._get_current_object()
    return user


def role_labels() -> dict[str, str]:
    return {
        Role.ADMIN.value: gettext("Admin"),
        Role.CLINICIAN.value: gettext("Clinician"),
        Role.FRONT_DESK.value: gettext("Front desk"),
    }
