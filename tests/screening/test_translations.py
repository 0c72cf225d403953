"""Every published translation of a rule set is complete and keeps its placeholders.

The translations are data of the set (inside its version): a set that speaks
a language speaks it in every text a patient reads. No app here.
"""

from __future__ import annotations

import dataclasses

import pytest

from intake.screening import CURRENT, PUBLISHED, RULESETS, RuleSet, placeholders
from intake.wording import SUPPORTED_LOCALES

translated = [(rs, locale) for rs in PUBLISHED for locale in rs.locales[1:]]


def test_the_set_in_force_speaks_every_language_the_app_does():
    assert set(CURRENT.locales) == set(SUPPORTED_LOCALES)
    assert "es" in CURRENT.locales


@pytest.mark.parametrize(("rs", "locale"), translated, ids=lambda v: getattr(v, "name", v))
def test_every_patient_text_has_a_translation_with_the_same_placeholders(rs, locale):
    texts = rs.patient_texts()
    table = rs.translations[locale]
    assert set(table) == set(texts)
    for text in texts:
        assert table[text].strip(), text
        assert table[text] != text or len(text) < 8, f"left in English: {text!r}"
        assert placeholders(table[text]) == placeholders(text), text


def test_the_patient_texts_are_every_step_question_and_aftercare_text():
    texts = set(CURRENT.patient_texts())
    for step in CURRENT.steps:
        assert {step.title, step.lead} - {None} <= texts
    for q in CURRENT.questions:
        assert {q.text, q.hint, q.details} - {None} <= texts
    for item in CURRENT.aftercare:
        assert {item.title, item.text} <= texts
    # Staff-only wording stays out (and stays English).
    assert not {r.title for r in CURRENT.rules} & texts - {s.title for s in CURRENT.steps}


def test_the_earlier_sets_have_no_translation_and_show_their_english():
    first, second = PUBLISHED[0], PUBLISHED[1]
    for rs in (first, second):
        assert rs.locales == ("en",)
        q = rs.questions[0]
        assert rs.text(q.text, "es") == q.text
        assert not rs.speaks("es")


def test_a_set_with_an_incomplete_translation_cannot_be_built():
    spanish = dict(CURRENT.translations["es"])
    del spanish[CURRENT.aftercare[0].text]
    with pytest.raises(ValueError, match="no es translation of"):
        _rebuilt(CURRENT, {"es": spanish})


def test_a_translation_that_changes_placeholders_cannot_be_built():
    q = dataclasses.replace(CURRENT.questions[0], hint="Ask %(clinic)s.")
    spanish = dict(CURRENT.translations["es"])
    del spanish[CURRENT.questions[0].hint]
    spanish["Ask %(clinic)s."] = "Pregunte en la clínica."
    with pytest.raises(ValueError, match="placeholders"):
        _rebuilt(CURRENT, {"es": spanish}, questions=(q, *CURRENT.questions[1:]))


def test_a_translation_of_a_text_the_set_does_not_show_cannot_be_built():
    spanish = dict(CURRENT.translations["es"]) | {"Not shown": "No se muestra"}
    with pytest.raises(ValueError, match="does not show"):
        _rebuilt(CURRENT, {"es": spanish})


def test_the_third_set_is_the_second_in_english():
    third, second = CURRENT, RULESETS["rs-b12fc24cc8bf"]
    assert third.steps == second.steps
    assert third.questions == second.questions
    assert third.rules == second.rules
    assert third.aftercare == second.aftercare
    assert third.aftercare_hash == second.aftercare_hash
    assert third.aftercare_shown("es") != third.aftercare_shown("en")


def _rebuilt(rs: RuleSet, translations: dict[str, dict[str, str]], **changes: object) -> RuleSet:
    parts: dict[str, object] = {
        "name": "probe",
        "steps": rs.steps,
        "questions": rs.questions,
        "rules": rs.rules,
        "aftercare": rs.aftercare,
        "citation_texts": rs.citation_texts,
        "translations": translations,
    }
    return RuleSet(**(parts | changes))  # type: ignore[arg-type]
