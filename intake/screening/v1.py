"""The first published rule set, rs-4e5a6fcf02fb, frozen as it was published.

Intakes submitted under it keep showing, printing and exporting exactly this
wording, and re-screening their stored answers with it gives their stored
flags. Nothing here may change: a test pins its version and aftercare hash.
Its ids ``slow_healing`` and ``cancer_treatment`` live on only here.
"""

from __future__ import annotations

from intake.screening.model import N_, AftercareItem, Question, Rule, RuleSet, Severity, Step

ARTICLE = ("article",)
PRECARE = ("PRECARE",)

# Each citation's text exactly as this set published it (part of its version
# and of the ``source`` of every flag it raised), mistakes included.
CITATION_TEXTS: dict[str, str] = {
    "S1": (
        "SkinPen Precision System, FDA De Novo DEN160029 (2018), 21 CFR 878.4430, "
        "labelled contraindications (as reproduced by clinics; the instructions for use "
        "were not read)"
    ),
    "S2": (
        "Manufacturer labelling of a microneedling device (Amiea Med Exceed manual, "
        "section 2.4.1 Contraindications)"
    ),
    "C5": (
        "Chu S, Foulad DP, Atanaskova Mesinkovska N. Safety Profile for Microneedling: A "
        "Systematic Review. Dermatol Surg 2021;47(9):1249-1254"
    ),
    "C6": (
        "Waldman A, Bolotin D, Arndt KA, et al. ASDS Guidelines Task Force: Consensus "
        "Recommendations Regarding the Safety of Lasers, Dermabrasion, Chemical Peels, "
        "Energy Devices, and Skin Surgery During and After Isotretinoin Use. Dermatol "
        "Surg 2017;43(10):1249-1262. doi:10.1097/DSS.0000000000001166"
    ),
    "C7": (
        "Spring LK, Krakowski AC, Alam M, et al. Isotretinoin and Timing of Procedural "
        "Interventions: A Systematic Review With Consensus Recommendations. JAMA Dermatol"
        " 2017;153(8):802-809. doi:10.1001/jamadermatol.2017.2077"
    ),
    "C8": (
        "Mysore V, Omprakash HM, Khatri GN. Isotretinoin and dermatosurgical procedures. "
        "Indian J Dermatol Venereol Leprol 2019;85:18-23 (not verified here: no record of"
        " this article was found)"
    ),
    "C9": (
        "Vaghela D, Davies E, Murray G, Convery C, Walker L. Guideline for the Management"
        " Herpes Simplex 1 and Cosmetic Interventions [sic]. J Clin Aesthet Dermatol "
        "2021;14(6 Suppl 1):S11-S14"
    ),
    "C10": (
        "King M. Prophylaxis and Treatment of Herpetic Infections. J Clin Aesthet "
        "Dermatol 2017;10(1):E5-E7"
    ),
    "C11": (
        "Juhasz MLW, Cohen JL. Microneedling for the Treatment of Scars: An Update for "
        "Clinicians. Clin Cosmet Investig Dermatol 2020;13:997-1003. "
        "doi:10.2147/CCID.S267192"
    ),
    "C12": (
        "Friedmann DP, Mehta E, Verma KK, Harris R. Granulomatous Reactions From "
        "Microneedling: A Systematic Review of the Literature. Dermatol Surg, published "
        "online 2024. doi:10.1097/DSS.0000000000004450"
    ),
    "C13": (
        "Microneedling in vitiligo: a systematic review. Dermatol Ther 2020;33(6):e14297."
        " doi:10.1111/dth.14297"
    ),
    "C14": (
        "Microneedling in the nickel-allergic patient (JAAD commentary; authors and year "
        "not verified)"
    ),
    "PRECARE": ("Clinic pre-treatment care pages only; no peer-reviewed source found"),
}

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
        ("S1", "S2", "C5", "C10"),
        details=N_("What is it, and where?"),
    ),
    Question(
        "skin_condition_flare",
        N_("Is eczema, psoriasis or rosacea flaring up in the area to be treated?"),
        "skin",
        ("S1", "S2"),
        details=N_("Which condition?"),
    ),
    Question(
        "skin_cancer_in_area",
        N_(
            "Do you have skin cancer, or a mole that a doctor is keeping an eye on, "
            "in the area to be treated?"
        ),
        "skin",
        ("S1", "S2"),
        details=N_("Please tell us a little more."),
    ),
    Question(
        "keloid_scars",
        N_("Do you tend to form thick, raised scars (keloids)?"),
        "skin",
        ("S2", "C11"),
    ),
    Question(
        "vitiligo",
        N_("Do you have vitiligo (patches of skin that have lost their colour)?"),
        "skin",
        ("C13",),
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
        ("S1",),
    ),
    Question(
        "cold_sore_history",
        N_("Have you ever had cold sores (herpes simplex)?"),
        "health",
        ("C9", "C10"),
    ),
    Question(
        "weakened_immunity",
        N_("Do you have a condition, or take a medicine, that weakens your immune system?"),
        "health",
        ("S2",),
        details=N_("Which condition or medicine?"),
    ),
    Question(
        "slow_healing",
        N_("Do you have diabetes that is hard to keep under control, or skin that heals slowly?"),
        "health",
        ("S2",),
    ),
    Question(
        "cancer_treatment",
        N_(
            "Are you having chemotherapy, radiotherapy or high-dose steroid tablets "
            "or injections, or have you had any of them in the last 4 weeks?"
        ),
        "health",
        ("S2",),
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
        ("S1",),
    ),
    Question(
        "isotretinoin_recent",
        N_("Have you stopped taking isotretinoin within the last 6 months?"),
        "medicines",
        ("C6", "C7", "C8"),
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
        ("S1", "C5", "C14"),
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
        ("S2",),
        details=N_("What was done, and when?"),
    ),
    Question(
        "recent_resurfacing",
        N_(
            "In the last 2 weeks, have you had a chemical peel, laser or IPL "
            "treatment, or sunburn, in the area to be treated?"
        ),
        "treatments",
        PRECARE,
        details=N_("What was it, and when?"),
    ),
    Question(
        "granuloma_history",
        N_(
            "After a facial treatment or a skin serum, have you ever had a lumpy "
            "rash that lasted for weeks?"
        ),
        "treatments",
        ("C12", "C5"),
        details=N_("What happened, and when?"),
    ),
)

_C, _P, _I = Severity.CONTRAINDICATION, Severity.PRECAUTION, Severity.INFO

RULES: tuple[Rule, ...] = (
    Rule("ACTIVE_ACNE", _C, N_("Active acne in the treatment area"), ("active_acne",), ARTICLE),
    Rule("NUMBING_ALLERGY", _C, N_("Reaction to numbing cream"), ("numbing_allergy",), ARTICLE),
    Rule(
        "ISOTRETINOIN_CURRENT",
        _C,
        N_("Taking isotretinoin now"),
        ("isotretinoin_now",),
        ("S1",),
    ),
    Rule(
        "PREGNANCY",
        _C,
        N_("Pregnant, possibly pregnant or breastfeeding"),
        ("pregnant_or_breastfeeding",),
        ("S1",),
    ),
    Rule(
        "SKIN_PROBLEM_IN_AREA",
        _C,
        N_("Cold sore, wound, rash or infection in the area"),
        ("skin_problem_in_area",),
        ("S1", "S2", "C5", "C10"),
    ),
    Rule(
        "SKIN_CONDITION_FLARE",
        _C,
        N_("Eczema, psoriasis or rosacea flaring in the area"),
        ("skin_condition_flare",),
        ("S1", "S2"),
    ),
    Rule(
        "SKIN_CANCER_IN_AREA",
        _C,
        N_("Skin cancer or a watched mole in the area"),
        ("skin_cancer_in_area",),
        ("S1", "S2"),
    ),
    Rule(
        "CANCER_TREATMENT",
        _C,
        N_("Chemotherapy, radiotherapy or high-dose steroids within 4 weeks"),
        ("cancer_treatment",),
        ("S2",),
    ),
    Rule("ACNE_PRONE", _P, N_("Prone to acne breakouts"), ("acne_prone",), ARTICLE),
    Rule(
        "BLEEDING_RISK",
        _P,
        N_("Bleeding risk"),
        ("bleeding_disorder", "blood_thinners"),
        ARTICLE,
    ),
    Rule(
        "ISOTRETINOIN_RECENT",
        _P,
        N_("Stopped isotretinoin within 6 months"),
        ("isotretinoin_recent",),
        ("C6", "C7", "C8"),
    ),
    Rule(
        "COLD_SORE_HISTORY",
        _P,
        N_("History of cold sores (herpes simplex)"),
        ("cold_sore_history",),
        ("C9", "C10"),
    ),
    Rule(
        "WEAKENED_IMMUNITY",
        _P,
        N_("Immune-weakening condition or medicine"),
        ("weakened_immunity",),
        ("S2",),
    ),
    Rule(
        "SLOW_HEALING",
        _P,
        N_("Poorly controlled diabetes or slow healing"),
        ("slow_healing",),
        ("S2",),
    ),
    Rule(
        "KELOID_SCARS",
        _P,
        N_("Tends to form keloid scars"),
        ("keloid_scars",),
        ("S2", "C11"),
    ),
    Rule(
        "RECENT_FILLER_OR_SURGERY",
        _P,
        N_("Recent filler, threads or surgery in the area"),
        ("recent_filler_or_surgery",),
        ("S2",),
    ),
    Rule(
        "RECENT_RESURFACING",
        _P,
        N_("Peel, laser, IPL or sunburn in the last 2 weeks"),
        ("recent_resurfacing",),
        PRECARE,
    ),
    Rule(
        "METAL_ALLERGY",
        _P,
        N_("Nickel or other metal allergy"),
        ("metal_allergy",),
        ("S1", "C5", "C14"),
    ),
    Rule("VITILIGO", _P, N_("Vitiligo"), ("vitiligo",), ("C13",)),
    Rule(
        "GRANULOMA_HISTORY",
        _I,
        N_("Lasting lumpy rash after a past facial treatment"),
        ("granuloma_history",),
        ("C12", "C5"),
    ),
)

AFTERCARE: tuple[AftercareItem, ...] = (
    AftercareItem(
        "REDNESS",
        N_("Redness"),
        N_(
            "Your skin will look red afterwards. Most of the redness settles within "
            "about a day; after a deeper treatment it can last a little longer. "
            "Keeping your skin moisturised helps it calm down sooner."
        ),
    ),
    AftercareItem(
        "ROUGHNESS",
        N_("Rough skin, swelling and bruising"),
        N_(
            "For a few days your skin may feel rough or different when you touch it. "
            "Some swelling or bruising can also happen."
        ),
    ),
    AftercareItem(
        "MARKS",
        N_("Small marks"),
        N_(
            "The treatment makes many tiny, controlled punctures, so you may see very "
            "small marks. They do not last: they fade as your skin heals."
        ),
    ),
    AftercareItem(
        "BREAKOUTS",
        N_("Breakouts"),
        N_(
            "Spots or breakouts can appear after treatment, more often if your skin "
            "is prone to acne."
        ),
    ),
    AftercareItem(
        "PINPOINT_BLEEDING",
        N_("Pinpoint bleeding"),
        N_(
            "Tiny spots of bleeding during the treatment are normal. A numbing cream "
            "is put on your skin first to make it more comfortable."
        ),
    ),
)


RULESET = RuleSet(
    name="first",
    steps=STEPS,
    questions=QUESTIONS,
    rules=RULES,
    aftercare=AFTERCARE,
    citation_texts=CITATION_TEXTS,
)
