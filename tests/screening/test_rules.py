"""The rules as data: every trigger, every non-trigger, ordering and validation.

Each generic check runs on every published rule set, so the first set keeps
working exactly as it did. No app here: the screening core is plain Python.
"""

from __future__ import annotations

import hashlib
import json
import re

import pytest

from intake.screening import (
    AFTERCARE,
    CITATIONS,
    CURRENT,
    FIRST,
    MAX_DETAILS_LENGTH,
    PUBLISHED,
    RULESET_VERSION,
    RULESETS,
    STEPS,
    Flag,
    RuleSet,
    ScreeningInputError,
    Severity,
    UnknownRuleSetError,
    aftercare_hash,
    aftercare_text,
    citations_for,
    needs_review,
    previous,
    questionnaire,
    ruleset,
    screen,
    validate,
)
from intake.screening import v2 as second

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
CONTRACT_AFTERCARE = ["REDNESS", "ROUGHNESS", "MARKS", "BREAKOUTS", "PINPOINT_BLEEDING"]

# What each published set was published as. A set is never edited once
# intakes may have been submitted under it: a change here means a new set.
PUBLISHED_AS = {
    "first": (
        "rs-4e5a6fcf02fb",
        "sha256:7bd49b4f76fd4fe8e3a04d83cdb99f5a1599b52b30d4dc22fcbe186aaf5e6c54",
    ),
    "second": ("rs-b12fc24cc8bf", None),
    # The second set's English with Spanish for every patient text (issue 15).
    "third": ("rs-bba2d6bc198b", None),
}

each_set = pytest.mark.parametrize("rs", PUBLISHED, ids=lambda r: r.name)


def all_no(rs: RuleSet = CURRENT) -> dict[str, str]:
    return {q.id: "no" for q in rs.questions}


def codes(flags: list[Flag]) -> list[str]:
    return [f.code for f in flags]


# -- The registry ------------------------------------------------------------


@each_set
def test_each_set_keeps_the_version_it_was_published_as(rs):
    version, ack_hash = PUBLISHED_AS[rs.name]
    assert rs.version == version
    if ack_hash is not None:
        assert rs.aftercare_hash == ack_hash
    assert RULESETS[version] is rs
    assert ruleset(version) is rs


def test_the_registry_lists_every_set_oldest_first_and_current_last():
    assert [rs.name for rs in PUBLISHED] == ["first", "second", "third"]
    assert CURRENT is PUBLISHED[-1] is ruleset() is ruleset(None)
    assert FIRST.version == "rs-4e5a6fcf02fb"
    assert RULESET_VERSION == CURRENT.version != FIRST.version
    assert previous(CURRENT) is RULESETS["rs-b12fc24cc8bf"]
    assert previous(RULESETS["rs-b12fc24cc8bf"]) is FIRST
    assert previous(FIRST) is None
    assert len(set(RULESETS)) == len(PUBLISHED)


@pytest.mark.parametrize("version", ["rs-000000000000", "", "latest", "RS-4E5A6FCF02FB"])
def test_an_unknown_version_is_refused_by_name(version):
    with pytest.raises(UnknownRuleSetError, match="unknown rule set version"):
        ruleset(version)


def test_the_first_set_is_frozen_as_published():
    # Question text, aftercare text and citations exactly as patients and
    # staff saw them, mistakes included.
    assert [s.id for s in FIRST.steps] == ["skin", "health", "medicines", "treatments"]
    assert len(FIRST.questions) == 21
    assert FIRST.questions_by_id["cancer_treatment"].text.startswith(
        "Are you having chemotherapy, radiotherapy or high-dose steroid"
    )
    assert FIRST.rules_by_code["GRANULOMA_HISTORY"].severity is Severity.INFO
    assert list(FIRST.aftercare_codes) == CONTRACT_AFTERCARE
    assert "[sic]" in FIRST.citation_texts["C9"]
    assert "not verified here" in FIRST.citation_texts["C8"]
    text = aftercare_text((a.code, a.title, a.text) for a in FIRST.aftercare)
    assert text.startswith("REDNESS: Redness. Your skin will look red afterwards.")
    assert "WHEN_TO_CALL" not in text


def test_the_first_sets_retired_ids_live_only_there():
    assert {"slow_healing", "cancer_treatment"} <= set(FIRST.questions_by_id)
    assert {"SLOW_HEALING", "CANCER_TREATMENT"} <= set(FIRST.rules_by_code)
    assert not {"slow_healing", "cancer_treatment"} & set(CURRENT.questions_by_id)
    assert not {"SLOW_HEALING", "CANCER_TREATMENT"} & set(CURRENT.rules_by_code)


def test_an_id_never_changes_its_meaning_between_sets():
    # A question id in both sets raises the same flag code in both, so a kept
    # id was reworded at most, never given another meaning.
    for qid in set(FIRST.questions_by_id) & set(CURRENT.questions_by_id):
        first = {r.code for r in FIRST.rules if qid in r.questions}
        current = {r.code for r in CURRENT.rules if qid in r.questions}
        assert first == current, qid


# -- Every set: triggers, ordering, validation -------------------------------


@each_set
def test_all_no_raises_nothing(rs):
    assert rs.screen(all_no(rs)) == []


@each_set
def test_each_question_yes_raises_exactly_its_rule(rs):
    for question in rs.questions:
        flags = rs.screen(all_no(rs) | {question.id: "yes"})
        assert codes(flags) == [r.code for r in rs.rules if question.id in r.questions]
        assert flags[0].because == (question.id,)


@each_set
def test_each_rule_stays_quiet_when_its_questions_are_no(rs):
    for rule in rs.rules:
        # Every other question yes: this rule's own questions are the only no's.
        answers = {q.id: ("no" if q.id in rule.questions else "yes") for q in rs.questions}
        assert rule.code not in codes(rs.screen(answers))


@each_set
@pytest.mark.parametrize(("code", "expected"), CONTRACT_RULES.items())
def test_contract_rules_have_contract_severity_and_inputs(rs, code, expected):
    severity, questions = expected
    rule = rs.rules_by_code[code]
    assert rule.severity.value == severity
    assert set(rule.questions) == questions
    assert rs.source_text(rule.sources) == "article"


@each_set
def test_contract_questions_exist_and_are_required(rs):
    assert set(rs.questions_by_id) >= CONTRACT_QUESTIONS
    assert all(rs.questions_by_id[q].required for q in CONTRACT_QUESTIONS)


@each_set
def test_contract_aftercare_codes_come_first_in_contract_order(rs):
    assert list(rs.aftercare_codes[:5]) == CONTRACT_AFTERCARE


def test_the_current_aftercare_adds_when_to_call_and_the_revised_breakouts():
    assert list(CURRENT.aftercare_codes) == [*CONTRACT_AFTERCARE, "WHEN_TO_CALL"]
    items = {a.code: a for a in CURRENT.aftercare}
    assert "make them worse" in items["BREAKOUTS"].text
    when = items["WHEN_TO_CALL"].text
    for sign in ("worse", "pus", "fever", "blisters", "cold sore", "rash that spreads"):
        assert sign in when
    assert CURRENT.aftercare_hash != FIRST.aftercare_hash


@each_set
def test_bleeding_risk_is_one_flag_with_both_reasons(rs):
    flags = rs.screen(all_no(rs) | {"bleeding_disorder": "yes", "blood_thinners": "yes"})
    assert codes(flags) == ["BLEEDING_RISK"]
    assert flags[0].because == ("bleeding_disorder", "blood_thinners")


@each_set
def test_flags_are_ordered_most_serious_first(rs):
    flags = rs.screen({q.id: "yes" for q in rs.questions})
    ranks = [f.severity.rank for f in flags]
    assert ranks == sorted(ranks)
    assert flags[0].severity is Severity.CONTRAINDICATION
    assert flags[-1].severity is Severity.INFO
    assert len(codes(flags)) == len(set(codes(flags))) == len(rs.rules)


@each_set
def test_rules_beyond_the_article_cite_a_known_source(rs):
    for rule in rs.rules:
        if rule.code in CONTRACT_RULES:
            continue
        assert not rule.is_article
        assert all(k in CITATIONS for k in rule.sources), rule.code
        assert rs.source_text(rule.sources).startswith(f"[{rule.sources[0]}] ")


@each_set
def test_details_raise_nothing_by_themselves(rs):
    answers = all_no(rs) | {f"{q.id}_details": "some text" for q in rs.questions}
    assert rs.screen(answers) == []


@each_set
def test_question_ids_are_lower_snake_case_and_unique(rs):
    ids = [q.id for q in rs.questions]
    assert len(ids) == len(set(ids))
    assert all(re.fullmatch(r"[a-z][a-z_]*", i) for i in ids)
    assert all(re.fullmatch(r"[A-Z][A-Z_]*", r.code) for r in rs.rules)
    json.dumps(rs.questionnaire())


@each_set
def test_questionnaire_lists_questions_in_patient_order(rs):
    data = rs.questionnaire()
    assert data["ruleset"] == rs.version
    ids = [q["id"] for q in data["questions"]]
    step_order = [s.id for s in rs.steps]
    steps = [rs.questions_by_id[i].step for i in ids]
    assert steps == sorted(steps, key=step_order.index)
    assert set(data["questions"][0]) == {"id", "text", "required", "source"}


# -- The flag's shape ----------------------------------------------------------


def test_flag_serialises_with_contract_fields_and_stores_its_keys():
    (flag,) = screen(all_no() | {"active_acne": "yes"})
    assert flag.to_dict() == {
        "code": "ACTIVE_ACNE",
        "severity": "contraindication",
        "title": flag.title,
        "because": ["active_acne"],
        "source": "article",
    }
    assert flag.source_keys == ()
    assert Flag.from_dict(flag.to_record()) == flag
    (cited,) = screen(all_no() | {"cold_sore_history": "yes"})
    assert cited.source_keys == ("C9", "C10")
    assert cited.to_record()["source_keys"] == ["C9", "C10"]
    assert set(cited.to_dict()) == {"code", "severity", "title", "because", "source"}
    assert Flag.from_dict(cited.to_record()) == cited


def test_citations_come_from_the_keys_on_the_flag_not_from_the_source_text():
    # The first set's C9 text contains "[sic]", which reading keys out of the
    # text took for a citation key.
    (flag,) = FIRST.screen(all_no(FIRST) | {"cold_sore_history": "yes"})
    assert "[sic]" in flag.source
    assert [c.key for c in citations_for(flag)] == ["C9", "C10"]
    # A flag stored before keys were carried gets them from its own set's rule.
    old = FIRST.flag_from_dict(flag.to_dict())
    assert old.source_keys == ("C9", "C10")
    assert FIRST.flag_from_dict({**flag.to_dict(), "code": "GONE"}).source_keys == ()


def test_every_citation_has_a_readable_label_and_a_stated_strength():
    for citation in CITATIONS.values():
        assert citation.label and len(citation.label) <= 80
        assert citation.reference and citation.checked
        assert citation.evidence.label
        assert not citation.verified or "not verified" not in citation.reference
    # The corrections of the second round.
    assert CITATIONS["C8"].verified and CITATIONS["C8"].label.startswith("Mysore V")
    assert "(1):18-23" in CITATIONS["C8"].reference
    assert "guideline" in CITATIONS["C9"].evidence.label
    assert "not a trial" in CITATIONS["C9"].evidence.label
    assert "not a trial" in CITATIONS["C10"].evidence.label
    assert "[sic]" not in CITATIONS["C9"].reference
    assert not CITATIONS["C13"].verified
    assert CITATIONS["PRECARE"].label == "clinic pages only"
    assert CITATIONS["S2"].label.endswith("(manufacturer labelling)")


def test_needs_review_ignores_info_flags():
    info_only = screen(all_no() | {"anti_wrinkle_recent": "yes"})
    assert [f.severity for f in info_only] == [Severity.INFO]
    assert not needs_review(info_only)
    assert needs_review(screen(all_no() | {"acne_prone": "yes"}))


# -- What the second set changed ------------------------------------------------


def test_granuloma_history_is_now_a_precaution_that_needs_review():
    first = FIRST.screen(all_no(FIRST) | {"granuloma_history": "yes"})
    current = screen(all_no() | {"granuloma_history": "yes"})
    assert [f.severity for f in first] == [Severity.INFO]
    assert not needs_review(first)
    assert [f.severity for f in current] == [Severity.PRECAUTION]
    assert needs_review(current)


@pytest.mark.parametrize(
    ("qid", "code", "severity"),
    [
        ("radiotherapy_to_area", "RADIOTHERAPY_TO_AREA", "precaution"),
        ("darker_skin_tone", "PIGMENT_CHANGE_RISK", "precaution"),
        ("dark_marks_after_spots", "PIGMENT_CHANGE_RISK", "precaution"),
        ("chemotherapy", "CHEMO_OR_RADIOTHERAPY", "contraindication"),
        ("radiotherapy_now", "CHEMO_OR_RADIOTHERAPY", "contraindication"),
        ("steroid_medicine", "STEROID_MEDICINE", "contraindication"),
        ("numbing_risk_condition", "NUMBING_CREAM_RISK", "precaution"),
        ("heart_rhythm_medicine", "NUMBING_CREAM_RISK", "precaution"),
        ("unwell_now", "UNWELL_NOW", "precaution"),
        ("new_scar_in_area", "RECENT_SCAR_IN_AREA", "precaution"),
        ("warts_in_area", "WARTS_IN_AREA", "precaution"),
        ("retinoid_or_acid_recent", "RETINOID_OR_ACID_RECENT", "precaution"),
        ("connective_tissue_disease", "CONNECTIVE_TISSUE_DISEASE", "precaution"),
        ("anti_wrinkle_recent", "ANTI_WRINKLE_RECENT", "info"),
        ("diabetes_hard_to_control", "DIABETES_UNCONTROLLED", "precaution"),
        ("heals_slowly", "HEALS_SLOWLY", "precaution"),
    ],
)
def test_new_questions_raise_their_flag(qid, code, severity):
    assert qid not in FIRST.questions_by_id
    (flag,) = screen(all_no() | {qid: "yes"})
    assert (flag.code, flag.severity.value, flag.because) == (code, severity, (qid,))


def test_the_clinicians_questions_come_in_the_patients_order():
    order = [q.id for q in CURRENT.questions]
    # The skin to be treated, then skin in general, health, medicines,
    # allergies and recent treatments.
    assert order.index("radiotherapy_to_area") < order.index("acne_prone")
    assert order.index("darker_skin_tone") < order.index("unwell_now")
    assert order.index("numbing_risk_condition") < order.index("blood_thinners")
    assert order.index("heart_rhythm_medicine") < order.index("numbing_allergy")
    assert order.index("metal_allergy") < order.index("retinoid_or_acid_recent")


def test_every_current_question_has_a_details_box_and_every_rule_a_reason():
    assert all(q.details for q in CURRENT.questions)
    assert all(r.why for r in CURRENT.rules)
    assert all(r.note or r.is_article for r in CURRENT.rules if r.code not in CONTRACT_RULES)


def test_every_change_from_the_first_set_is_explained():
    mentioned = {s for change in second.CHANGES for s in change.subjects}
    added = set(CURRENT.questions_by_id) - set(FIRST.questions_by_id)
    removed = set(FIRST.questions_by_id) - set(CURRENT.questions_by_id)
    retired_flags = set(FIRST.rules_by_code) - set(CURRENT.rules_by_code)
    reseverity = {
        code
        for code, rule in CURRENT.rules_by_code.items()
        if code in FIRST.rules_by_code and FIRST.rules_by_code[code].severity is not rule.severity
    }
    assert (added | removed | retired_flags | reseverity) - mentioned == set()
    assert all(change.what and change.why for change in second.CHANGES)


# -- Validation (the set in force) ----------------------------------------------


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


def test_an_old_sets_id_is_unknown_to_the_current_set():
    with pytest.raises(ScreeningInputError, match="unknown question id: cancer_treatment"):
        screen(all_no() | {"cancer_treatment": "no"})
    assert CURRENT.known_answers(all_no() | {"cancer_treatment": "yes"}) == all_no()


@pytest.mark.parametrize("value", [1, None, ["x"], {"x": 1}, True])
def test_non_string_details_are_refused(value):
    with pytest.raises(ScreeningInputError, match="acne_prone_details must be text"):
        screen(all_no() | {"acne_prone_details": value})


def test_overlong_details_are_refused():
    with pytest.raises(ScreeningInputError, match="longer than"):
        validate(all_no() | {"acne_prone_details": "x" * (MAX_DETAILS_LENGTH + 1)})


def test_module_level_names_are_the_current_sets():
    assert questionnaire() == CURRENT.questionnaire()
    assert CURRENT.steps == STEPS
    assert CURRENT.aftercare == AFTERCARE


def test_the_version_changes_with_any_wording():
    def rebuilt(**changes: object) -> RuleSet:
        parts: dict[str, object] = {
            "name": "probe",
            "steps": CURRENT.steps,
            "questions": CURRENT.questions,
            "rules": CURRENT.rules,
            "aftercare": CURRENT.aftercare,
            "citation_texts": CURRENT.citation_texts,
            "translations": CURRENT.translations,
        }
        return RuleSet(**(parts | changes))  # type: ignore[arg-type]

    import dataclasses

    assert rebuilt().version == CURRENT.version
    # A translation is content: changing one word of it, or dropping it, is a new set.
    spanish = dict(CURRENT.translations["es"])
    spanish[CURRENT.questions[0].text] += " "
    assert rebuilt(translations={"es": spanish}).version != CURRENT.version
    english_only = rebuilt(translations={})
    # Without its Spanish, the set in force is the second set, word for word.
    assert english_only.version == RULESETS["rs-b12fc24cc8bf"].version
    # English wording (probed on the English-only set: a reworded text has no translation yet).
    base = english_only.version
    q0 = CURRENT.questions[0]
    reworded = (dataclasses.replace(q0, text=q0.text + " "), *CURRENT.questions[1:])
    assert rebuilt(questions=reworded, translations={}).version != base
    r0 = CURRENT.rules[0]
    stricter = (dataclasses.replace(r0, why=r0.why + "!"), *CURRENT.rules[1:])
    assert rebuilt(rules=stricter, translations={}).version != base
    recare = (dataclasses.replace(AFTERCARE[0], text="Different."), *AFTERCARE[1:])
    assert rebuilt(aftercare=recare, translations={}).version != base
    recited = dict(CURRENT.citation_texts) | {"C5": "Someone else"}
    assert rebuilt(citation_texts=recited, translations={}).version != base
    # A rule's evidence note records what was checked; it is not screened.
    noted = (dataclasses.replace(r0, note="checked again"), *CURRENT.rules[1:])
    assert rebuilt(rules=noted).version == CURRENT.version


def test_aftercare_hash_is_sha256_of_the_exact_text():
    items = [(a.code, a.title, a.text) for a in AFTERCARE]
    text = aftercare_text(items)
    assert [line.split(":")[0] for line in text.splitlines()] == [a.code for a in AFTERCARE]
    assert aftercare_hash() == "sha256:" + hashlib.sha256(text.encode()).hexdigest()
    changed = [(*items[0][:2], items[0][2] + "!"), *items[1:]]
    assert aftercare_hash(changed) != aftercare_hash()
