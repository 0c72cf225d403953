"""The front desk's forms. Their checks are the command line's (``intake.appointments``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from wtforms import (
    BooleanField,
    EmailField,
    HiddenField,
    SelectField,
    StringField,
    TelField,
    TextAreaField,
)
from wtforms.fields.choices import SelectChoice

from intake.date_input import DateOfBirthField
from intake.forms import Form


def _name(label: str) -> StringField:
    return StringField(label, render_kw={"autocomplete": "off", "maxlength": 100, "required": True})


def _dob() -> DateOfBirthField:
    # Three boxes (day, month, year) that come back as typed after an error.
    return DateOfBirthField(
        _l("Date of birth"), required_message=_l("Enter the patient's date of birth")
    )


def _at(label: str) -> StringField:
    return StringField(label, render_kw={"type": "datetime-local", "required": True})


def _email() -> EmailField:
    return EmailField(
        _l("Email (optional)"),
        render_kw={"autocomplete": "off", "spellcheck": "false", "autocapitalize": "none"},
    )


def _phone() -> TelField:
    return TelField(_l("Phone (optional)"), render_kw={"autocomplete": "off"})


# Plain string fields: the shared checks parse them, and a wrong value comes
# back to the form exactly as it was typed. Fields in page order, which the
# error summary follows.


def _language() -> SelectField:
    # The language names are written in their own language, as patients read them.
    return SelectField(
        _l("Patient's language"),
        choices=[
            SelectChoice("en", "English", render_kw={"lang": "en"}),
            SelectChoice("es", "Español", render_kw={"lang": "es"}),
        ],
        default="en",
        description=_l("The language of the emails the patient gets."),
    )


class BookingForm(Form):
    first_name = _name(_l("First name"))
    last_name = _name(_l("Last name"))
    dob = _dob()
    at = _at(_l("Appointment date and time"))
    email = _email()
    phone = _phone()
    language = _language()
    send_email = BooleanField(_l("Email the intake link to the patient now"))


class SendLinkForm(Form):
    """The "Send by email" button beside a link just shown: the link, sealed (intake.sealed)."""

    link = HiddenField()


class DetailsForm(Form):
    """Who the appointment is for (edited until the acknowledgment is signed)."""

    first_name = _name(_l("First name"))
    last_name = _name(_l("Last name"))
    # The front desk never sees a date of birth (it is what opens the
    # patient's link): the boxes start empty, and empty keeps it as it is.
    dob = DateOfBirthField(_l("Date of birth"), optional=True)
    email = _email()
    phone = _phone()
    language = _language()


class RescheduleForm(Form):
    at = _at(_l("New date and time"))


class CancelForm(Form):
    reason = TextAreaField(
        _l("Reason (optional)"),
        description=_l(
            "For example: the patient called to cancel. Staff see it; the patient does not."
        ),
        render_kw={"rows": 3, "maxlength": 500},
    )


class ReissueForm(Form):
    """Confirm a new link; once the patient has started, say why (the service checks)."""

    reason = TextAreaField(
        _l("Why is a new link needed?"),
        description=_l(
            "Required once the patient has started. The clinician reviewing the intake reads it."
        ),
        render_kw={"rows": 3, "maxlength": 500},
    )
