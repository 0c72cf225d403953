"""The rules as data: every trigger, every non-trigger, ordering and validation.

No app here: the screening core is plain Python.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json

import pytest

from intake.screening import (
    AFTERCARE,
    QUESTIONS,
    QUESTIONS_BY_ID,
    RULES,
    RULESET_VERSION,
    STEPS,
    Flag,
    ScreeningInputError,
    Severity,
    aftercare_hash,
    aftercare_text,
    needs_review,
    questionnaire,
    ruleset_version,
    screen,
    validate,
)
from intake.screening.rules import MAX_DETAILS_LENGTH

CONTRACT_RULES = {
    "ACTIVE_ACNE": ("contraindication", {"active_acne"}),
    "NUMBING_ALLERGY": ("contraindication", {"numbing_allergy"}),
    "ACNE_PRONE": ("precaution", {"acne_prone"}),
    "BLEEDING_RISK": ("precaution", {"bleeding_disorder", "blood_thinners"}),
}
CONTRACT_QUESTIONS = {
    "acne_prone",
    "active_acne",
    "bleeding_disorder",
    "blood_thinners",
    "numbing_allergy",
}


def all_no() -> dict[str, str]:
    return {q.id: "no" for q in QUESTIONS}


def codes(flags: list[Flag]) -> list[str]:
    return [f.code for f in flags]


def test_all_no_raises_nothing():
    assert screen(all_no()) == []


@pytest.mark.parametrize("question", QUESTIONS, ids=lambda q: q.id)
def test_each_question_yes_raises_exactly_its_rule(question):
    answers = all_no() | {question.id: "yes"}
    flags = screen(answers)
    expected = [r.code for r in RULES if question.id in r.questions]
    assert codes(flags) == expected
    assert flags[0].because == (question.id,)


@pytest.mark.parametrize("rule", RULES, ids=lambda r: r.code)
def test_each_rule_stays_quiet_when_its_questions_are_no(rule):
    # Every other question yes: this rule's own questions are the only no's.
    answers = {q.id: ("no" if q.id in rule.questions else "yes") for q in QUESTIONS}
    assert rule.code not in codes(screen(answers))


@pytest.mark.parametrize(("code", "expected"), CONTRACT_RULES.items())
def test_contract_rules_have_contract_severity_and_inputs(code, expected):
    severity, questions = expected
    rule = next(r for r in RULES if r.code == code)
    assert rule.severity.value == severity
    assert set(rule.questions) == questions
    assert str(rule.source) == "article"


def test_contract_questions_exist_and_are_required():
    assert set(QUESTIONS_BY_ID) >= CONTRACT_QUESTIONS
    assert all(QUESTIONS_BY_ID[q].required for q in CONTRACT_QUESTIONS)


def test_bleeding_risk_is_one_flag_with_both_reasons():
    flags = screen(all_no() | {"bleeding_disorder": "yes", "blood_thinners": "yes"})
    assert codes(flags) == ["BLEEDING_RISK"]
    assert flags[0].because == ("bleeding_disorder", "blood_thinners")


@pytest.mark.parametrize("reason", ["bleeding_disorder", "blood_thinners"])
def test_bleeding_risk_with_one_reason_names_only_it(reason):
    (flag,) = screen(all_no() | {reason: "yes"})
    assert flag.code == "BLEEDING_RISK"
    assert flag.because == (reason,)


def test_flags_are_ordered_most_serious_first():
    everything = {q.id: "yes" for q in QUESTIONS}
    flags = screen(everything)
    ranks = [f.severity.rank for f in flags]
    assert ranks == sorted(ranks)
    assert flags[0].severity is Severity.CONTRAINDICATION
    assert flags[-1].severity is Severity.INFO
    assert len(codes(flags)) == len(set(codes(flags))) == len(RULES)


def test_flag_serialises_with_contract_fields():
    (flag,) = screen(all_no() | {"active_acne": "yes"})
    assert flag.to_dict() == {
        "code": "ACTIVE_ACNE",
        "severity": "contraindication",
        "title": flag.title,
        "because": ["active_acne"],
        "source": "article",
    }
    assert Flag.from_dict(flag.to_dict()) == flag


def test_rules_beyond_the_article_cite_a_clinical_source():
    for rule in RULES:
        if rule.code not in CONTRACT_RULES:
            assert not rule.source.is_article
            assert "[" in str(rule.source)


def test_details_raise_nothing_by_themselves():
    answers = all_no() | {f"{q.id}_details": "some text" for q in QUESTIONS}
    assert screen(answers) == []


def test_needs_review_ignores_info_flags():
    info_only = screen(all_no() | {"granuloma_history": "yes"})
    assert [f.severity for f in info_only] == [Severity.INFO]
    assert not needs_review(info_only)
    assert needs_review(screen(all_no() | {"acne_prone": "yes"}))


@pytest.mark.parametrize(
    ("answers", "message"),
    [
        ([], "answers must be a JSON object keyed by question id, not an array"),
        ("yes", "not a string"),
        (None, "not null"),
        ({"not_a_question": "yes"}, "unknown question id: not_a_question"),
        ({}, "missing answer: active_acne"),
    ],
)
def test_bad_shapes_name_the_problem(answers, message):
    with pytest.raises(ScreeningInputError, match=message):
        screen(answers)


@pytest.mark.parametrize("value", ["Yes", "y", "", True, 1, None, ["yes"], {"a": 1}])
def test_values_other_than_yes_or_no_are_refused(value):
    with pytest.raises(ScreeningInputError, match="bad value for acne_prone"):
        screen(all_no() | {"acne_prone": value})


def test_missing_answer_names_the_question():
    answers = all_no()
    del answers["numbing_allergy"]
    with pytest.raises(ScreeningInputError, match="missing answer: numbing_allergy"):
        screen(answers)


def test_unknown_id_is_named_even_with_valid_answers():
    with pytest.raises(ScreeningInputError, match="unknown question id: tattoo"):
        screen(all_no() | {"tattoo": "no"})


@pytest.mark.parametrize("value", [1, None, ["x"], {"x": 1}, True])
def test_non_string_details_are_refused(value):
    with pytest.raises(ScreeningInputError, match="acne_prone_details must be text"):
        screen(all_no() | {"acne_prone_details": value})


def test_overlong_details_are_refused():
    with pytest.raises(ScreeningInputError, match="longer than"):
        validate(all_no() | {"acne_prone_details": "x" * (MAX_DETAILS_LENGTH + 1)})


def test_questionnaire_lists_questions_in_patient_order():
    data = questionnaire()
    assert data["ruleset"] == RULESET_VERSION
    ids = [q["id"] for q in data["questions"]]
    step_order = [s.id for s in STEPS]
    steps = [QUESTIONS_BY_ID[i].step for i in ids]
    assert steps == sorted(steps, key=step_order.index)
    assert set(data["questions"][0]) == {"id", "text", "required", "source"}


def test_ruleset_version_changes_with_any_wording():
    assert ruleset_version() == RULESET_VERSION
    reworded = [dataclasses.replace(QUESTIONS[0], text=QUESTIONS[0].text + " "), *QUESTIONS[1:]]
    assert ruleset_version(questions=reworded) != RULESET_VERSION
    stricter = [dataclasses.replace(RULES[-1], severity=Severity.PRECAUTION), *RULES[:-1]]
    assert ruleset_version(rules=stricter) != RULESET_VERSION
    recare = [dataclasses.replace(AFTERCARE[0], text="Different."), *AFTERCARE[1:]]
    assert ruleset_version(aftercare=recare) != RULESET_VERSION


def test_aftercare_hash_is_sha256_of_the_exact_text():
    items = [(a.code, a.title, a.text) for a in AFTERCARE]
    text = aftercare_text(items)
    assert [line.split(":")[0] for line in text.splitlines()] == [a.code for a in AFTERCARE]
    assert aftercare_hash() == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    changed = [(*items[0][:2], items[0][2] + "!"), *items[1:]]
    assert aftercare_hash(changed) != aftercare_hash()


def test_contract_aftercare_codes():
    assert [a.code for a in AFTERCARE] == [
        "REDNESS",
        "ROUGHNESS",
        "MARKS",
        "BREAKOUTS",
        "PINPOINT_BLEEDING",
    ]


def test_question_ids_are_lower_snake_case_and_unique():
    ids = [q.id for q in QUESTIONS]
    assert len(ids) == len(set(ids))
    assert all(i.replace("_", "").isalpha() and i == i.lower() for i in ids)
    assert all(r.code == r.code.upper() for r in RULES)
    json.dumps(questionnaire())
