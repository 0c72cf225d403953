"""Admin forms: new account, role change, the audit log's filters and new API tokens."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import DateField, EmailField, SelectField, SelectMultipleField, StringField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional
from wtforms.widgets import CheckboxInput, ListWidget

from intake.forms import Form, plausible_day, strip
from intake.models import Role

# The empty first option is the placeholder a `<select required>` needs: nothing
# is chosen until the admin chooses, so a missing role fails in the browser and
# here (DataRequired), with the message below.
ROLE_CHOICES = [
    SelectChoice("", _l("Choose a role")),
    SelectChoice(Role.FRONT_DESK.value, _l("Front desk")),
    SelectChoice(Role.CLINICIAN.value, _l("Clinician")),
    SelectChoice(Role.ADMIN.value, _l("Admin")),
]


class NewUserForm(Form):
    email = EmailField(
        _l("Email"),
        validators=[DataRequired(_l("Enter the person's work email address.")), Length(max=254)],
        filters=[strip],
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
    role = SelectField(
        _l("Role"),
        choices=ROLE_CHOICES,
        validators=[DataRequired(_l("Choose a role."))],
    )


class RoleForm(Form):
    role = SelectField(
        _l("Role"), choices=ROLE_CHOICES, validators=[DataRequired(_l("Choose a role."))]
    )


class AuditFilterForm(Form):
    """Filters read from the query string; a GET form, so no CSRF token."""

    class Meta:
        csrf = False

    actor = SelectField(_l("Person"), choices=[], validators=[Optional()], validate_choice=True)
    action = SelectField(_l("Action"), choices=[], validators=[Optional()], validate_choice=True)
    date_from = DateField(
        _l("From (date)"),
        validators=[Optional(), plausible_day],
        render_kw={"autocomplete": "off"},
    )
    date_to = DateField(
        _l("To (date)"), validators=[Optional(), plausible_day], render_kw={"autocomplete": "off"}
    )


class NewTokenForm(Form):
    """An API token's name, scopes (at least one) and last day (see intake.api.tokens)."""

    name = StringField(
        _l("Name"),
        description=_l("Which system or partner uses it, so you know what breaks if revoked."),
        validators=[
            DataRequired(_l("Enter a name for the token.")),
            Length(max=100, message=_l("Use at most 100 characters.")),
        ],
        filters=[strip],
        render_kw={"autocomplete": "off"},
    )
    scopes = SelectMultipleField(
        _l("What it may do"),
        choices=[
            SelectChoice(
                "read:intakes", _l("Read intakes (read:intakes): answers, flags and status")
            ),
            SelectChoice(
                "write:appointments",
                _l("Book appointments (write:appointments) and get their intake links"),
            ),
        ],
        validators=[DataRequired(_l("Choose at least one thing the token may do."))],
        option_widget=CheckboxInput(),
        widget=ListWidget(prefix_label=False),
    )
    expires_on = DateField(
        _l("Works until (date)"),
        description=_l("The last day it works, at most a year from today."),
        validators=[DataRequired(_l("Enter the last day the token works.")), plausible_day],
        render_kw={"autocomplete": "off"},
    )
