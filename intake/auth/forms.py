"""Sign-in and account forms. Every field works with paste and password managers."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import EmailField, PasswordField, StringField
from wtforms.validators import DataRequired, EqualTo, Length

from intake.forms import EmptyForm, Form, strip
from intake.passwords import MAX_LENGTH


def _digits(value: str | None) -> str | None:
    # Authenticator apps show "123 456"; pasting that must work.
    return "".join(value.split()) if isinstance(value, str) else value


class LoginForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter your email address.")), Length(max=254)],
        filters=[strip],
        render_kw={"autocomplete": "username", "spellcheck": "false", "autocapitalize": "none"},
    )
    password = PasswordField(
        _l("Password"),
        validators=[DataRequired(_l("Enter your password.")), Length(max=MAX_LENGTH * 4)],
        render_kw={"autocomplete": "current-password"},
    )


class CodeForm(Form):
    code = StringField(
        _l("6-digit code from your authenticator app"),
        validators=[
            DataRequired(_l("Enter the code from your authenticator app.")),
            Length(min=6, max=6, message=_l("The code has 6 digits.")),
        ],
        filters=[_digits],
        render_kw={"autocomplete": "one-time-code", "inputmode": "numeric"},
    )


class SignInCodeForm(Form):
    """The second sign-in step: an authenticator code, or one of the recovery codes."""

    code = StringField(
        _l("6-digit code from your authenticator app, or a recovery code"),
        validators=[
            DataRequired(_l("Enter the code from your authenticator app.")),
            Length(max=64, message=_l("That is longer than any code.")),
        ],
        filters=[_digits],
        render_kw={"autocomplete": "one-time-code", "spellcheck": "false"},
    )


class EnrolForm(CodeForm):
    """Turning the authenticator on asks for the password again."""

    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


class PasswordChangeForm(Form):
    current_password = PasswordField(
        _l("Current password"),
        validators=[DataRequired(_l("Enter your current password."))],
        render_kw={"autocomplete": "current-password"},
    )
    new_password = PasswordField(
        _l("New password"),
        validators=[DataRequired(_l("Choose a new password."))],
        description=_l(
            "At least 15 characters. A phrase of several unrelated words is easy to "
            "remember; a password manager is better still."
        ),
        render_kw={"autocomplete": "new-password"},
    )
    confirm = PasswordField(
        _l("New password again"),
        validators=[
            DataRequired(_l("Type the new password again.")),
            EqualTo("new_password", _l("The two new passwords are not the same.")),
        ],
        render_kw={"autocomplete": "new-password"},
    )


class PasswordConfirmForm(Form):
    password = PasswordField(
        _l("Your password"),
        validators=[DataRequired(_l("Enter your password."))],
        render_kw={"autocomplete": "current-password"},
    )


__all__ = [
    "CodeForm",
    "EmptyForm",
    "EnrolForm",
    "LoginForm",
    "PasswordChangeForm",
    "PasswordConfirmForm",
    "SignInCodeForm",
]
