"""Pieces every feature's forms share."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.validators import ValidationError

from intake.clock import EARLIEST_DAY, LATEST_DAY


def strip(value: str | None) -> str | None:
    """WTForms filter: drop the spaces a phone keyboard or a paste adds around text."""
    return value.strip() if isinstance(value, str) else value


class EmptyForm(FlaskForm):
    """A one-button POST (sign out, reissue a link): only the CSRF token."""


def plausible_day(form: FlaskForm, field: Field) -> None:
    """WTForms validator: a date within the days :mod:`intake.clock` can always compute with."""
    if field.data is not None and not EARLIEST_DAY <= field.data <= LATEST_DAY:
        raise ValidationError(
            _l(
                "Enter a date from %(first)s to %(last)s.",
                first=EARLIEST_DAY.year,
                last=LATEST_DAY.year,
            )
        )
