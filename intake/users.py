"""Staff accounts: creation with the password policy, shared by the CLI and admin pages."""

from __future__ import annotations

import sqlalchemy as sa
from email_validator import EmailNotValidError, validate_email

from intake.extensions import db
from intake.models import Role, User
from intake.passwords import check_policy, hash_password


class UserInputError(ValueError):
    """The account cannot be created as asked; the message says why."""


def normalise_email(email: str) -> str:
    # Staff addresses may use the reserved .test domain (training and test
    # accounts); patient addresses, which must receive real mail, may not.
    try:
        return validate_email(
            email.strip(), check_deliverability=False, test_environment=True
        ).normalized.lower()
    except EmailNotValidError as exc:
        raise UserInputError(f"email {email!r} is not valid: {exc}") from None


def find_by_email(email: str) -> User | None:
    return db.session.execute(
        sa.select(User).where(User.email == email.strip().lower())
    ).scalar_one_or_none()


def create_user(email: str, role: Role, password: str, *, must_change: bool = False) -> User:
    """Add a staff account; the caller commits.

    :raise UserInputError: bad or duplicate email.
    :raise intake.passwords.WeakPasswordError: the password breaks the policy.
    """
    email = normalise_email(email)
    if find_by_email(email) is not None:
        raise UserInputError(f"a staff account with email {email} already exists")
    check_policy(password, email)
    user = User(
        email=email,
        role=role,
        password_hash=hash_password(password),
        must_change_password=must_change,
    )
    db.session.add(user)
    db.session.flush()
    return user
