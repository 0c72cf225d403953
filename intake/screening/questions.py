"""The screening questionnaire: every question is yes/no, and ``no`` raises nothing.

Patient-facing strings are wrapped in :func:`N_` so that Babel's extractor finds
them while this module stays free of Flask; templates translate them at render
time with ``_(question.text)``.
"""

from __future__ import annotations

from dataclasses import dataclass

from intake.screening.sources import ARTICLE, Source


def N_(text: str) -> str:  # noqa: N802 - the conventional name for a no-op gettext marker
    """Mark ``text`` for translation without translating it here."""
    return text


@dataclass(frozen=True, slots=True)
class Step:
    """A short group of questions shown together on one patient page."""

    id: str
    title: str


@dataclass(frozen=True, slots=True)
class Question:
    """One yes/no screening question; ``details`` is the prompt for ``<id>_details``."""

    id: str
    text: str
    step: str
    source: Source
    hint: str | None = None
    details: str | None = None
    required: bool = True

    @property
    def details_field(self) -> str:
        return f"{self.id}_details"


STEPS: tuple[Step, ...] = (
    Step("skin", N_("Your skin today")),
    Step("health", N_("Your health")),
    Step("medicines", N_("Medicines and allergies")),
    Step("treatments", N_("Recent treatments")),
)

QUESTIONS: tuple[Question, ...] = (
    # -- Your skin today -------------------------------------------------------
    Question(
        "active_acne",
        N_(
            "Do you have active acne (pimples, pustules or cysts) on or near the "
            "area to be treated right now?"
        ),
        "skin",
        ARTICLE,
    ),
    Question(
        "acne_prone",
        N_("Are you prone to acne breakouts?"),
        "skin",
        ARTICLE,
    ),
    Question(
        "skin_problem_in_area",
        N_(
            "Is there a cold sore, open cut or wound, rash or skin infection in the "
            "area to be treated today?"
        ),
        "skin",
        Source.of("S1", "S2", "C5", "C10"),
        details=N_("What is it, and where?"),
    ),
    Question(
        "skin_condition_flare",
        N_("Is eczema, psoriasis or rosacea flaring up in the area to be treated?"),
        "skin",
        Source.of("S1", "S2"),
        details=N_("Which condition?"),
    ),
    Question(
        "skin_cancer_in_area",
        N_(
            "Do you have skin cancer, or a mole that a doctor is keeping an eye on, "
            "in the area to be treated?"
        ),
        "skin",
        Source.of("S1", "S2"),
        details=N_("Please tell us a little more."),
    ),
    Question(
        "keloid_scars",
        N_("Do you tend to form thick, raised scars (keloids)?"),
        "skin",
        Source.of("S2", "C11"),
    ),
    Question(
        "vitiligo",
        N_("Do you have vitiligo (patches of skin that have lost their colour)?"),
        "skin",
        Source.of("C13"),
    ),
    # -- Your health -----------------------------------------------------------
    Question(
        "bleeding_disorder",
        N_("Have you been told you have a bleeding or clotting disorder?"),
        "health",
        ARTICLE,
        details=N_("Which condition?"),
    ),
    Question(
        "pregnant_or_breastfeeding",
        N_("Are you pregnant, possibly pregnant, or breastfeeding?"),
        "health",
        Source.of("S1"),
    ),
    Question(
        "cold_sore_history",
        N_("Have you ever had cold sores (herpes simplex)?"),
        "health",
        Source.of("C9", "C10"),
    ),
    Question(
        "weakened_immunity",
        N_("Do you have a condition, or take a medicine, that weakens your immune system?"),
        "health",
        Source.of("S2"),
        details=N_("Which condition or medicine?"),
    ),
    Question(
        "slow_healing",
        N_("Do you have diabetes that is hard to keep under control, or skin that heals slowly?"),
        "health",
        Source.of("S2"),
    ),
    Question(
        "cancer_treatment",
        N_(
            "Are you having chemotherapy, radiotherapy or high-dose steroid tablets "
            "or injections, or have you had any of them in the last 4 weeks?"
        ),
        "health",
        Source.of("S2"),
        details=N_("Which treatment, and when did it end?"),
    ),
    # -- Medicines and allergies ---------------------------------------------------
    Question(
        "blood_thinners",
        N_("Do you take blood thinners, or daily aspirin or another anti-platelet medicine?"),
        "medicines",
        ARTICLE,
        details=N_("Which medicine?"),
    ),
    Question(
        "isotretinoin_now",
        N_("Are you taking isotretinoin (for example Roaccutane or Accutane) at the moment?"),
        "medicines",
        Source.of("S1"),
    ),
    Question(
        "isotretinoin_recent",
        N_("Have you stopped taking isotretinoin within the last 6 months?"),
        "medicines",
        Source.of("C6", "C7", "C8"),
        details=N_("When did you stop?"),
    ),
    Question(
        "numbing_allergy",
        N_(
            "Have you ever reacted badly to a numbing cream (a topical anaesthetic) "
            "such as lidocaine?"
        ),
        "medicines",
        ARTICLE,
        details=N_("What happened?"),
    ),
    Question(
        "metal_allergy",
        N_("Are you allergic to nickel, stainless steel or another metal?"),
        "medicines",
        Source.of("S1", "C5", "C14"),
        details=N_("Which metal, and has a test confirmed it?"),
    ),
    # -- Recent treatments -----------------------------------------------------
    Question(
        "recent_filler_or_surgery",
        N_(
            "In the area to be treated, have you had fillers or thread lifts in the "
            "last 6 months, or surgery in the last 12 months?"
        ),
        "treatments",
        Source.of("S2"),
        details=N_("What was done, and when?"),
    ),
    Question(
        "recent_resurfacing",
        N_(
            "In the last 2 weeks, have you had a chemical peel, laser or IPL "
            "treatment, or sunburn, in the area to be treated?"
        ),
        "treatments",
        Source.of("PRECARE"),
        details=N_("What was it, and when?"),
    ),
    Question(
        "granuloma_history",
        N_(
            "After a facial treatment or a skin serum, have you ever had a lumpy "
            "rash that lasted for weeks?"
        ),
        "treatments",
        Source.of("C12", "C5"),
        details=N_("What happened, and when?"),
    ),
)

QUESTIONS_BY_ID: dict[str, Question] = {q.id: q for q in QUESTIONS}


def questions_for_step(step_id: str) -> tuple[Question, ...]:
    """Return the questions of one step in the order the patient sees them."""
    return tuple(q for q in QUESTIONS if q.step == step_id)
