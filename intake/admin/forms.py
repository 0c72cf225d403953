"""Admin forms: new account, role change, and the audit log's filters."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import DateField, EmailField, SelectField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length, Optional

from intake.forms import plausible_day, strip
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


class NewUserForm(FlaskForm):
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


class RoleForm(FlaskForm):
    role = SelectField(
        _l("Role"), choices=ROLE_CHOICES, validators=[DataRequired(_l("Choose a role."))]
    )


class AuditFilterForm(FlaskForm):
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
