"""Golden cases: patient stories written from the sources, run through the set in force.

Each case is a patient as a clinician would meet them, the answers they would
give (everything not named is "no"), the flags and intake status the source
supports, and the source. A case fails when a rule change would treat that
patient differently: change the case only with the clinician's reason.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import pytest

from intake.screening import CURRENT, FIRST, RuleSet, needs_review


@dataclass(frozen=True)
class Case:
    story: str
    yes: tuple[str, ...]
    flags: tuple[str, ...]
    status: str
    source: str
    details: dict[str, str] = field(default_factory=dict)
    rs: RuleSet = CURRENT


CASES = (
    Case(
        "Has never had a problem, takes nothing, wants her first treatment.",
        (),
        (),
        "ready",
        "No rule applies.",
    ),
    Case(
        "Had a lumpy rash for two months after a microneedling facial with a vitamin C serum.",
        ("granuloma_history",),
        ("GRANULOMA_HISTORY",),
        "needs_review",
        "C12: granulomatous reactions after microneedling, often with a topical product, can "
        "resist treatment; the clinician chooses the topicals and may refer.",
        {"granuloma_history_details": "lumps on both cheeks for about 2 months last year"},
    ),
    Case(
        "Had radiotherapy to the jaw for a tumour eight years ago; wants the lower face treated.",
        ("radiotherapy_to_area",),
        ("RADIOTHERAPY_TO_AREA",),
        "needs_review",
        "Irradiated skin heals poorly for years (weak: clinic pages and general practice).",
    ),
    Case(
        "Starts chemotherapy in two weeks and hoped to fit a treatment in first.",
        ("chemotherapy",),
        ("CHEMO_OR_RADIOTHERAPY",),
        "needs_review",
        "S2: no treatment from 4 weeks before the start to 4 weeks after the end.",
    ),
    Case(
        "Takes prednisolone 5 mg a day for arthritis.",
        ("steroid_medicine",),
        ("STEROID_MEDICINE",),
        "needs_review",
        "S2 excludes high-dose corticosteroids; the clinician judges the dose from the details.",
        {"steroid_medicine_details": "prednisolone 5 mg every morning"},
    ),
    Case(
        "Has G6PD deficiency and takes amiodarone for an irregular heartbeat.",
        ("numbing_risk_condition", "heart_rhythm_medicine"),
        ("NUMBING_CREAM_RISK",),
        "needs_review",
        "EMLA SmPC 4.4: G6PD deficiency and class III antiarrhythmics (one flag, both reasons).",
    ),
    Case(
        "Dark brown skin; old spots left dark marks that took months to fade.",
        ("darker_skin_tone", "dark_marks_after_spots"),
        ("PIGMENT_CHANGE_RISK",),
        "needs_review",
        "C5 names darker skin as a risk factor for hyperpigmentation; S5 clears the Exceed "
        "device for acne scars in Fitzpatrick I-IV only.",
    ),
    Case(
        "Used a retinol serum on her face last night and has a cold sore coming on the lip.",
        ("retinoid_or_acid_recent", "skin_problem_in_area", "cold_sore_history"),
        ("SKIN_PROBLEM_IN_AREA", "COLD_SORE_HISTORY", "RETINOID_OR_ACID_RECENT"),
        "needs_review",
        "S1/S2 exclude sores in the area; C9/C10 advise on herpes; pre-care pages on retinoids.",
    ),
    Case(
        "Had anti-wrinkle injections in the forehead ten days ago; nothing else.",
        ("anti_wrinkle_recent",),
        ("ANTI_WRINKLE_RECENT",),
        "ready",
        "Clinic pages only: worth knowing for timing, no decision needed.",
    ),
    Case(
        "Has a fever and a chest infection this week.",
        ("unwell_now",),
        ("UNWELL_NOW",),
        "needs_review",
        "General practice: defer a febrile patient (weak).",
    ),
    Case(
        "Has lupus, and a surgical scar on the chin from four months ago.",
        ("connective_tissue_disease", "new_scar_in_area"),
        ("RECENT_SCAR_IN_AREA", "CONNECTIVE_TISSUE_DISEASE"),
        "needs_review",
        "S2 excludes scars under 6 months; clinic pages list connective tissue disease.",
    ),
    Case(
        "Takes daily aspirin after a stent, and is prone to acne.",
        ("blood_thinners", "acne_prone"),
        ("ACNE_PRONE", "BLEEDING_RISK"),
        "needs_review",
        "The clinic's article (CONTRACT section 2).",
    ),
    # The same story under the first set, as it was screened then.
    Case(
        "Had a lumpy rash for weeks after a facial (screened under the first set).",
        ("granuloma_history",),
        ("GRANULOMA_HISTORY",),
        "ready",
        "The first set made this info only: the gap this issue closes.",
        rs=FIRST,
    ),
    Case(
        "Having radiotherapy and high-dose steroids (screened under the first set).",
        ("cancer_treatment", "slow_healing"),
        ("CANCER_TREATMENT", "SLOW_HEALING"),
        "needs_review",
        "S2, as the first set asked it: one question for three treatments.",
        rs=FIRST,
    ),
)


@pytest.mark.parametrize("case", CASES, ids=lambda c: c.story[:50])
def test_golden_case(case: Case):
    rs = case.rs
    answers = {q.id: "no" for q in rs.questions} | dict.fromkeys(case.yes, "yes")
    answers |= case.details
    flags = rs.screen(answers)
    assert tuple(f.code for f in flags) == case.flags
    assert ("needs_review" if needs_review(flags) else "ready") == case.status
    for flag in flags:
        assert set(flag.because) <= set(case.yes)
