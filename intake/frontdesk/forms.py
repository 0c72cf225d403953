"""The booking form. Its checks are the command line's (``parse_booking``), run in the view."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import EmailField, StringField, TelField, TextAreaField


class BookingForm(FlaskForm):
    # Plain string fields throughout: the shared checks parse them, and a wrong
    # value comes back to the form exactly as it was typed.
    first_name = StringField(
        _l("First name"), render_kw={"autocomplete": "off", "maxlength": 100, "required": True}
    )
    last_name = StringField(
        _l("Last name"), render_kw={"autocomplete": "off", "maxlength": 100, "required": True}
    )
    dob = StringField(
        _l("Date of birth"),
        description=_l("For example 1990-04-12."),
        # min and max are set per request (today, in the clinic's time zone).
        render_kw={"type": "date", "required": True},
    )
    at = StringField(
        _l("Appointment date and time"),
        render_kw={"type": "datetime-local", "required": True},
    )
    email = EmailField(
        _l("Email (optional)"),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )
    phone = TelField(_l("Phone (optional)"), render_kw={"autocomplete": "off"})


class ReissueForm(FlaskForm):
    """Confirm a new link; once the patient has started, say why (the service checks)."""

    reason = TextAreaField(
        _l("Why is a new link needed?"),
        description=_l(
            "Required once the patient has started. The clinician reviewing the intake reads it."
        ),
        render_kw={"rows": 3, "maxlength": 500},
    )
