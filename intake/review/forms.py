"""The decision form: an outcome, a note, and what the clinician saw when the page was drawn."""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l
from wtforms import HiddenField, RadioField, TextAreaField
from wtforms.fields.choices import SelectChoice
from wtforms.validators import DataRequired, Length

from intake.decisions import MAX_NOTE_LENGTH, note_required
from intake.forms import Form, strip
from intake.models import IntakeStatus


def outcome_labels() -> dict[str, Any]:
    return {
        IntakeStatus.CLEARED.value: _l("Cleared"),
        IntakeStatus.CLEARED_WITH_PRECAUTIONS.value: _l("Cleared with precautions"),
        IntakeStatus.DEFERRED.value: _l("Deferred"),
        IntakeStatus.NOT_SUITABLE.value: _l("Not suitable"),
    }


def outcome_hints() -> dict[str, Any]:
    return {
        IntakeStatus.CLEARED.value: _l("Treatment can go ahead as planned."),
        IntakeStatus.CLEARED_WITH_PRECAUTIONS.value: _l(
            "Treatment can go ahead; the note says what to do differently."
        ),
        IntakeStatus.DEFERRED.value: _l(
            "Not now. The intake can be decided again later, for example once the skin has settled."
        ),
        IntakeStatus.NOT_SUITABLE.value: _l("Microneedling is not suitable for this patient."),
    }


class DecisionForm(Form):
    outcome = RadioField(
        _l("Outcome"),
        choices=[SelectChoice(value, label) for value, label in outcome_labels().items()],
        validators=[DataRequired(_l("Choose a decision."))],
    )
    note = TextAreaField(
        _l("Note"),
        description=_l(
            "Required unless you clear the patient. Staff at the treatment see it; the patient "
            "does not."
        ),
        filters=[strip],
        validators=[
            Length(
                max=MAX_NOTE_LENGTH,
                message=_l("Keep the note under %(max)d characters.", max=MAX_NOTE_LENGTH),
            )
        ],
        render_kw={"rows": 4},
    )
    # What the clinician saw: the decision is refused if either has changed.
    seen_status = HiddenField()
    seen_decision = HiddenField()

    def validate(self, extra_validators: Any = None) -> bool:
        ok: bool = super().validate(extra_validators)
        outcome = self.outcome.data
        if (
            outcome in outcome_labels()
            and note_required(IntakeStatus(outcome))
            and not (self.note.data)
        ):
            self.note.errors = [
                *self.note.errors,
                _l("Write a note: every decision except \u201ccleared\u201d needs one."),
            ]
            ok = False
        return ok
