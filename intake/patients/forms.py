"""The patient's forms. Templates render the fields by hand, for full control of
ids, labels and ``aria-describedby``; these classes validate and carry CSRF."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import BooleanField, Field, HiddenField, StringField, TextAreaField
from wtforms.validators import DataRequired, Length, StopValidation, ValidationError

from intake.date_input import DateOfBirthField, in_the_past_and_after_1900
from intake.forms import Form, strip
from intake.screening import CURRENT, MAX_DETAILS_LENGTH, Question


class DateOfBirthForm(Form):
    # Three boxes (day, month, year), or the single ISO field of CONTRACT
    # section 6. A date that cannot be read is a message, never a wrong guess:
    # the view checks a match only once this form validates.
    date_of_birth = DateOfBirthField(
        _l("Date of birth"),
        validators=[in_the_past_and_after_1900],
        required_message=_l("Enter your date of birth."),
    )


class YesNo:
    """Require the raw value ``yes`` or ``no`` (CONTRACT section 1)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.data not in ("yes", "no"):
            raise StopValidation(_l("Choose yes or no."))


class StepForm(Form):
    """Base of the per-step forms: one yes/no field per question, plus details."""

    questions: tuple[Question, ...] = ()

    def answered(self) -> dict[str, str]:
        """Return the values that passed validation (to save even when others did not)."""
        values: dict[str, str] = {}
        for question in self.questions:
            answer = self[question.id]
            if answer.errors or answer.data not in ("yes", "no"):
                continue
            values[question.id] = answer.data
            if question.details:
                details = self[question.details_field]
                if not details.errors and details.data:
                    values[question.details_field] = details.data
        return values


def _make_step_form(step_id: str) -> type[StepForm]:
    questions = CURRENT.questions_for_step(step_id)
    fields: dict[str, Any] = {"questions": questions}
    for question in questions:
        # A StringField, not a RadioField: the template renders the radio pair
        # and the only valid values are checked here, with one clear message.
        fields[question.id] = StringField(validators=[YesNo()], filters=[strip])
        if question.details:
            fields[question.details_field] = TextAreaField(
                filters=[strip],
                validators=[
                    Length(
                        max=MAX_DETAILS_LENGTH,
                        message=_l(
                            "Please keep this to %(max)d characters or fewer.",
                            max=MAX_DETAILS_LENGTH,
                        ),
                    )
                ],
            )
    return type(f"{step_id.title()}StepForm", (StepForm,), fields)


# Intakes not yet submitted are always answered with the rule set in force.
STEP_FORMS: dict[str, type[StepForm]] = {
    step.id: _make_step_form(step.id) for step in CURRENT.steps
}


class Ticked:
    """Require the checkbox to be sent with the value ``yes`` (CONTRACT section 3)."""

    def __call__(self, form: FlaskForm, field: Field) -> None:
        if field.raw_data != ["yes"]:
            raise StopValidation(_l("Tick the box to confirm you have read this."))


class AftercareFormBase(Form):
    signature_name = StringField(
        _l("Your full name"),
        filters=[strip],
        validators=[
            DataRequired(_l("Type your full name to sign.")),
            Length(max=200, message=_l("Please keep your name to 200 characters or fewer.")),
        ],
    )
    text_hash = HiddenField()

    def validate_signature_name(self, field: Field) -> None:
        if len(field.data or "") < 2:  # one letter is not a name
            raise ValidationError(_l("Type your full name to sign."))


def _make_aftercare_form() -> type[AftercareFormBase]:
    fields: dict[str, Any] = {
        item.field: BooleanField(validators=[Ticked()]) for item in CURRENT.aftercare
    }
    return type("AftercareForm", (AftercareFormBase,), fields)


AftercareForm = _make_aftercare_form()


class LanguageForm(Form):
    """The language switch: the language chosen, and the page to go back to."""

    locale = StringField()
    next = HiddenField()
