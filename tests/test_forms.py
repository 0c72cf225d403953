"""The shared form base: WTForms' own messages in the page's language, read once per language."""

from __future__ import annotations

import pytest
from babel import support
from werkzeug.datastructures import MultiDict
from wtforms import StringField
from wtforms.validators import InputRequired

from intake import forms


@pytest.fixture
def app_config():
    # As in production: every form has its CSRF field, whose default label
    # WTForms translates as the form is built.
    return {"WTF_CSRF_ENABLED": True}


class _Required(forms.Form):
    name = StringField(validators=[InputRequired()])  # WTForms' own message


def test_wtforms_catalogue_is_read_once_per_language_not_per_request(app, monkeypatch):
    read: list[str] = []
    load = support.Translations.load

    def counted(*args, **kwargs):
        read.append(kwargs.get("domain", ""))
        return load(*args, **kwargs)

    monkeypatch.setattr(support.Translations, "load", counted)
    forms._wtforms_catalogue.cache_clear()
    for language in ("es", "es", "en", "es", "en"):
        # One patient request each, building a form as a step page does (its
        # fields' default labels go through WTForms' catalogue).
        with app.test_request_context("/intake/aftercare", headers={"Accept-Language": language}):
            form = _Required(formdata=None)
            assert form.name.label.text == "Name"

    assert read.count("wtforms") == 2  # Spanish once, English once


def test_wtforms_own_messages_follow_the_patients_language(app):
    forms._wtforms_catalogue.cache_clear()
    for language, message in (
        ("es", "Este campo es obligatorio."),
        ("en", "This field is required."),
    ):
        with app.test_request_context(
            "/intake/aftercare", method="POST", headers={"Accept-Language": language}
        ):
            form = _Required(formdata=MultiDict(), meta={"csrf": False})
            assert not form.validate()
            assert form.name.errors == [message]
