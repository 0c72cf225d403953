"""Screening rules as data, and :func:`screen`, the one function that applies them.

A rule raises its flag when any of its questions is answered ``yes``; the flag
names every question that did (``because``). Nothing here decides whether a
patient can be treated: flags are for a clinician to review.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

from intake.screening.questions import N_, QUESTIONS, QUESTIONS_BY_ID
from intake.screening.sources import ARTICLE, Source

MAX_DETAILS_LENGTH = 1000


class Severity(StrEnum):
    """Flag severities, declared most serious first."""

    CONTRAINDICATION = "contraindication"
    PRECAUTION = "precaution"
    INFO = "info"

    @property
    def rank(self) -> int:
        return _SEVERITY_RANK[self]

    @property
    def needs_review(self) -> bool:
        return self is not Severity.INFO


_SEVERITY_RANK = {s: i for i, s in enumerate(Severity)}


class ScreeningInputError(ValueError):
    """The answers are not a valid answer set; the message names the problem."""


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title: str
    questions: tuple[str, ...]
    source: Source


@dataclass(frozen=True, slots=True)
class Flag:
    """A screening result for a clinician: which rule, how serious, and why."""

    code: str
    severity: Severity
    title: str
    because: tuple[str, ...]
    source: str

    def to_dict(self) -> dict[str, Any]:
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "because": list(self.because),
            "source": self.source,
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            title=data["title"],
            because=tuple(data["because"]),
            source=data["source"],
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
        Source.of("S1"),
    ),
    Rule(
        "PREGNANCY",
        _C,
        N_("Pregnant, possibly pregnant or breastfeeding"),
        ("pregnant_or_breastfeeding",),
        Source.of("S1"),
    ),
    Rule(
        "SKIN_PROBLEM_IN_AREA",
        _C,
        N_("Cold sore, wound, rash or infection in the area"),
        ("skin_problem_in_area",),
        Source.of("S1", "S2", "C5", "C10"),
    ),
    Rule(
        "SKIN_CONDITION_FLARE",
        _C,
        N_("Eczema, psoriasis or rosacea flaring in the area"),
        ("skin_condition_flare",),
        Source.of("S1", "S2"),
    ),
    Rule(
        "SKIN_CANCER_IN_AREA",
        _C,
        N_("Skin cancer or a watched mole in the area"),
        ("skin_cancer_in_area",),
        Source.of("S1", "S2"),
    ),
    Rule(
        "CANCER_TREATMENT",
        _C,
        N_("Chemotherapy, radiotherapy or high-dose steroids within 4 weeks"),
        ("cancer_treatment",),
        Source.of("S2"),
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
        Source.of("C6", "C7", "C8"),
    ),
    Rule(
        "COLD_SORE_HISTORY",
        _P,
        N_("History of cold sores (herpes simplex)"),
        ("cold_sore_history",),
        Source.of("C9", "C10"),
    ),
    Rule(
        "WEAKENED_IMMUNITY",
        _P,
        N_("Immune-weakening condition or medicine"),
        ("weakened_immunity",),
        Source.of("S2"),
    ),
    Rule(
        "SLOW_HEALING",
        _P,
        N_("Poorly controlled diabetes or slow healing"),
        ("slow_healing",),
        Source.of("S2"),
    ),
    Rule(
        "KELOID_SCARS",
        _P,
        N_("Tends to form keloid scars"),
        ("keloid_scars",),
        Source.of("S2", "C11"),
    ),
    Rule(
        "RECENT_FILLER_OR_SURGERY",
        _P,
        N_("Recent filler, threads or surgery in the area"),
        ("recent_filler_or_surgery",),
        Source.of("S2"),
    ),
    Rule(
        "RECENT_RESURFACING",
        _P,
        N_("Peel, laser, IPL or sunburn in the last 2 weeks"),
        ("recent_resurfacing",),
        Source.of("PRECARE"),
    ),
    Rule(
        "METAL_ALLERGY",
        _P,
        N_("Nickel or other metal allergy"),
        ("metal_allergy",),
        Source.of("S1", "C5", "C14"),
    ),
    Rule("VITILIGO", _P, N_("Vitiligo"), ("vitiligo",), Source.of("C13")),
    Rule(
        "GRANULOMA_HISTORY",
        _I,
        N_("Lasting lumpy rash after a past facial treatment"),
        ("granuloma_history",),
        Source.of("C12", "C5"),
    ),
)

RULES_BY_CODE: dict[str, Rule] = {r.code: r for r in RULES}


def _flag(rule: Rule, because: tuple[str, ...]) -> Flag:
    return Flag(rule.code, rule.severity, rule.title, because, str(rule.source))


# Rules run severity first, then in declaration order, so flags come out sorted
# with no sort per call. A one-question rule always raises the same flag, so it
# is built once here: ``screen`` runs on every submission and every import.
_PLAN = tuple(
    (r.questions, _flag(r, r.questions) if len(r.questions) == 1 else None, r)
    for r in sorted(RULES, key=lambda r: r.severity.rank)
)
_QUESTION_IDS = frozenset(QUESTIONS_BY_ID)
_DETAIL_IDS = frozenset(q.details_field for q in QUESTIONS)
_ALLOWED_KEYS = _QUESTION_IDS | _DETAIL_IDS
_REQUIRED = tuple(q.id for q in QUESTIONS if q.required)
_MISSING = object()


def validate(answers: object) -> None:
    """Raise :class:`ScreeningInputError` unless ``answers`` is a complete answer set."""
    if not isinstance(answers, dict):
        raise ScreeningInputError(
            f"answers must be a JSON object keyed by question id, not {_type_name(answers)}"
        )
    keys = answers.keys()
    if not keys <= _ALLOWED_KEYS:
        unknown = sorted(str(k) for k in keys - _ALLOWED_KEYS)
        raise ScreeningInputError(f"unknown question id: {unknown[0]}")
    for qid in _REQUIRED:
        value = answers.get(qid, _MISSING)
        # Compared one by one, not with ``in``: a value may be an unhashable list.
        if value != "yes" and value != "no":  # noqa: PLR1714
            if value is _MISSING:
                raise ScreeningInputError(f"missing answer: {qid}")
            raise ScreeningInputError(
                f'bad value for {qid}: expected "yes" or "no", got {_describe(value)}'
            )
    if len(keys) == len(_REQUIRED):
        return
    for key in sorted(keys & _DETAIL_IDS):
        value = answers[key]
        if not isinstance(value, str):
            raise ScreeningInputError(f"{key} must be text, not {_type_name(value)}")
        if len(value) > MAX_DETAILS_LENGTH:
            raise ScreeningInputError(f"{key} is longer than {MAX_DETAILS_LENGTH} characters")


def screen(answers: Mapping[str, Any]) -> list[Flag]:
    """Validate ``answers`` and return the flags they raise, most serious first.

    :raise ScreeningInputError: unknown id, missing answer, bad value or bad details.
    """
    validate(answers)
    flags: list[Flag] = []
    for question_ids, single, rule in _PLAN:
        if single is not None:
            if answers[question_ids[0]] == "yes":
                flags.append(single)
        else:
            because = tuple(q for q in question_ids if answers[q] == "yes")
            if because:
                flags.append(_flag(rule, because))
    return flags


def needs_review(flags: list[Flag]) -> bool:
    """Return whether any flag asks for a clinician's decision before treatment."""
    return any(f.severity.needs_review for f in flags)


def _type_name(value: object) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    names: dict[type, str] = {dict: "an object", list: "an array", str: "a string"}
    return names.get(type(value), "a value")


def _describe(value: object) -> str:
    if isinstance(value, str):
        shown = value if len(value) <= 20 else value[:20] + "..."
        return f'"{shown}"'
    return _type_name(value)
