"""Pieces every feature's forms share."""

from __future__ import annotations

from functools import cache
from typing import Any

from babel import support
from flask import current_app
from flask_babel import get_locale
from flask_babel import lazy_gettext as _l
from flask_wtf import FlaskForm
from wtforms import Field
from wtforms.i18n import messages_path
from wtforms.validators import ValidationError

from intake.clock import EARLIEST_DAY, LATEST_DAY


@cache
def _wtforms_catalogue(locale: str) -> support.NullTranslations:
    """WTForms' own messages in ``locale``, read from its catalogue once per process."""
    return support.Translations.load(messages_path(), [locale], domain="wtforms")


class Form(FlaskForm):
    """The base of every form here: Flask-WTF's, with WTForms' messages read once per language.

    Flask-WTF reads and parses WTForms' ``.mo`` catalogue again on every
    request that builds a form (0.2-0.35 ms of a patient step's 3.5 ms of
    CPU, measured in process). The catalogues never change while the process
    runs, so each language's is kept.
    """

    class Meta(FlaskForm.Meta):
        def get_translations(self, form: Any) -> Any:
            if not current_app.config.get("WTF_I18N_ENABLED", True):
                return super().get_translations(form)
            return _wtforms_catalogue(str(get_locale()))


def strip(value: str | None) -> str | None:
    """WTForms filter: drop the spaces a phone keyboard or a paste adds around text."""
    return value.strip() if isinstance(value, str) else value


class EmptyForm(Form):
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
