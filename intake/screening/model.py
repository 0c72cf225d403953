"""The shapes a rule set is made of, and :class:`RuleSet`, which applies one.

A rule raises its flag when any of its questions is answered ``yes``; the flag
names every question that did (``because``). Nothing here decides whether a
patient can be treated: flags are for a clinician to review.

Patient-facing strings are wrapped in :func:`N_` so that Babel's extractor
finds them while this package stays free of Flask; templates translate them
at render time with ``_(text)``.
"""

from __future__ import annotations

import hashlib
import json
import operator
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any

MAX_DETAILS_LENGTH = 1000
ARTICLE_KEY = "article"
# The language every set is written in; translations are keyed by its text.
SOURCE_LOCALE = "en"
# A ``%(name)s``-style placeholder: a translation must keep exactly the same ones.
_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def placeholders(text: str) -> frozenset[str]:
    """Return the names of the ``%(name)s`` placeholders in ``text``."""
    return frozenset(_PLACEHOLDER.findall(text))


def N_(text: str) -> str:  # noqa: N802 - the conventional name for a no-op gettext marker
    """Mark ``text`` for translation without translating it here."""
    return text


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


class UnknownRuleSetError(LookupError):
    """No published rule set has this version."""


@dataclass(frozen=True, slots=True)
class Step:
    """A short group of questions shown together on one patient page."""

    id: str
    title: str
    # A sentence shown under the title (the first set had none).
    lead: str | None = None


@dataclass(frozen=True, slots=True)
class Question:
    """One yes/no screening question; ``details`` is the prompt for ``<id>_details``."""

    id: str
    text: str
    step: str
    sources: tuple[str, ...]
    hint: str | None = None
    details: str | None = None
    required: bool = True

    @property
    def details_field(self) -> str:
        return f"{self.id}_details"


@dataclass(frozen=True, slots=True)
class Rule:
    code: str
    severity: Severity
    title: str
    questions: tuple[str, ...]
    sources: tuple[str, ...]
    # One sentence for the clinician: why this matters before microneedling.
    why: str = ""
    # How far the evidence goes, for docs/clinical-rules.md (not shown to patients,
    # not part of the version: it records what was checked, not what is screened).
    note: str = ""

    @property
    def is_article(self) -> bool:
        return self.sources == (ARTICLE_KEY,)


@dataclass(frozen=True, slots=True)
class AftercareItem:
    code: str
    title: str
    text: str

    @property
    def field(self) -> str:
        return f"ack_{self.code}"


@dataclass(frozen=True, slots=True)
class Change:
    """What changed from the previous published set, and why (for the docs)."""

    subjects: tuple[str, ...]
    what: str
    why: str


@dataclass(frozen=True, slots=True)
class Flag:
    """A screening result for a clinician: which rule, how serious, and why.

    ``source`` is the citation text as the rule set published it (CONTRACT
    section 2); ``source_keys`` are the citation keys behind it, so pages look
    citations up by key instead of reading them out of that text.
    """

    code: str
    severity: Severity
    title: str
    because: tuple[str, ...]
    source: str
    source_keys: tuple[str, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Return the flag as CONTRACT section 2 defines it (the CLI and API shape)."""
        return {
            "code": self.code,
            "severity": self.severity.value,
            "title": self.title,
            "because": list(self.because),
            "source": self.source,
        }

    def to_record(self) -> dict[str, Any]:
        """Return the flag as an intake stores it: the contract fields and the source keys."""
        return {**self.to_dict(), "source_keys": list(self.source_keys)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Flag:
        return cls(
            code=data["code"],
            severity=Severity(data["severity"]),
            title=data["title"],
            because=tuple(data["because"]),
            source=data["source"],
            source_keys=tuple(data.get("source_keys") or ()),
        )


def aftercare_text(items: Iterable[tuple[str, str, str]]) -> str:
    """Return the exact text a patient is shown, one ``CODE: title. text`` line per item.

    Callers pass the strings as displayed (translated, if the page was), so the
    hash records what this patient actually read.
    """
    return "\n".join(f"{code}: {title}. {text}" for code, title, text in items)


def text_hash(text: str) -> str:
    """Return ``sha256:<hex>`` of ``text`` encoded as UTF-8."""
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


_MISSING = object()


class RuleSet:
    """One published rule set: its questions, rules and aftercare wording, as data.

    The version is derived from that content (``rs-`` and 12 hex digits of a
    SHA-256), so nobody has to bump it and no two different sets share one.
    """

    def __init__(
        self,
        *,
        name: str,
        steps: Sequence[Step],
        questions: Sequence[Question],
        rules: Sequence[Rule],
        aftercare: Sequence[AftercareItem],
        citation_texts: Mapping[str, str],
        changes: Sequence[Change] = (),
        translations: Mapping[str, Mapping[str, str]] | None = None,
    ) -> None:
        self.name = name
        self.steps = tuple(steps)
        self.questions = tuple(questions)
        self.rules = tuple(rules)
        self.aftercare = tuple(aftercare)
        # Each citation's text as this set published it: flags carry it in
        # ``source``, and it is part of the version.
        self.citation_texts: Mapping[str, str] = dict(citation_texts)
        self.changes = tuple(changes)
        # Per language, each patient-facing English text (``patient_texts``)
        # and its translation: data of the set, inside its version, so a
        # translation that changes a question's meaning is a new set.
        self.translations: dict[str, dict[str, str]] = {
            locale: dict(texts) for locale, texts in (translations or {}).items()
        }
        self.locales: tuple[str, ...] = (SOURCE_LOCALE, *sorted(self.translations))
        self.questions_by_id: dict[str, Question] = {q.id: q for q in self.questions}
        self.rules_by_code: dict[str, Rule] = {r.code: r for r in self.rules}
        self.aftercare_codes: tuple[str, ...] = tuple(a.code for a in self.aftercare)
        self._check()
        self.version = self._derive_version()
        self.aftercare_hash = text_hash(
            aftercare_text((a.code, a.title, a.text) for a in self.aftercare)
        )
        # Rules run severity first, then in declaration order, so flags come
        # out sorted with no sort per call. Every flag a rule can raise (one
        # per non-empty set of its questions answered yes) is built once
        # here: ``screen`` runs on every submission and every import.
        self._plan = tuple(
            (r.questions, self._flag(r, r.questions), self._flags_by_because(r))
            for r in sorted(self.rules, key=lambda r: r.severity.rank)
        )
        # For each question, the positions in the plan of the rules it feeds:
        # ``screen`` visits only the rules a "yes" can raise (most answers are no).
        triggers: dict[str, list[int]] = {}
        for position, (question_ids, _whole, _by) in enumerate(self._plan):
            for qid in question_ids:
                triggers.setdefault(qid, []).append(position)
        self._triggers = {qid: tuple(ps) for qid, ps in triggers.items()}
        self._detail_ids = frozenset(q.details_field for q in self.questions)
        self._allowed = frozenset(self.questions_by_id) | self._detail_ids
        self._required = tuple(q.id for q in self.questions if q.required)
        # One C-level lookup of every required answer; always a tuple.
        getter = operator.itemgetter(*self._required)
        self._required_values: Callable[[Mapping[str, Any]], tuple[Any, ...]] = (
            getter if len(self._required) > 1 else lambda a: (getter(a),)
        )

    def __repr__(self) -> str:
        return f"<RuleSet {self.version} ({self.name})>"

    # -- Building --------------------------------------------------------------

    def _check(self) -> None:
        step_ids = {s.id for s in self.steps}
        for q in self.questions:
            if q.step not in step_ids:
                raise ValueError(f"question {q.id} is on unknown step {q.step}")
        for r in self.rules:
            unknown = [q for q in r.questions if q not in self.questions_by_id]
            if unknown or not r.questions:
                raise ValueError(f"rule {r.code} asks unknown questions {unknown}")
            for key in r.sources:
                if key != ARTICLE_KEY and key not in self.citation_texts:
                    raise ValueError(f"rule {r.code} cites unknown source {key}")
        if len(self.questions_by_id) != len(self.questions):
            raise ValueError("question ids must be unique")
        if len(self.rules_by_code) != len(self.rules):
            raise ValueError("rule codes must be unique")
        self._check_translations()

    def _check_translations(self) -> None:
        # A set that speaks a language speaks it everywhere a patient reads:
        # no English text left over, none translated that the set does not show.
        texts = set(self.patient_texts())
        for locale, translated in self.translations.items():
            if locale == SOURCE_LOCALE:
                raise ValueError("English is the source language, not a translation")
            missing = sorted(texts - translated.keys())
            if missing:
                raise ValueError(f"no {locale} translation of: {missing[0]!r}")
            unknown = sorted(translated.keys() - texts)
            if unknown:
                raise ValueError(
                    f"{locale} translates a text the set does not show: {unknown[0]!r}"
                )
            for text, translation in translated.items():
                if not translation.strip():
                    raise ValueError(f"empty {locale} translation of: {text!r}")
                if placeholders(text) != placeholders(translation):
                    raise ValueError(f"{locale} translation changes the placeholders of {text!r}")

    def patient_texts(self) -> tuple[str, ...]:
        """Return every English text of this set a patient reads, once each, in page order.

        Step titles and leads, question texts, hints and details prompts, and
        aftercare titles and texts. Flag titles, rule rationales and citations
        are for staff and stay English.
        """
        texts: dict[str, None] = {}
        for step in self.steps:
            texts[step.title] = None
            if step.lead:
                texts[step.lead] = None
        for q in self.questions:
            for text in (q.text, q.hint, q.details):
                if text:
                    texts[text] = None
        for a in self.aftercare:
            texts[a.title] = None
            texts[a.text] = None
        return tuple(texts)

    def text(self, text: str, locale: str | None) -> str:
        """Return one of this set's patient texts in ``locale``.

        English for English, and for a language this set has no translation
        into (the first two sets were published in English only).
        """
        if not locale or locale == SOURCE_LOCALE:
            return text
        return self.translations.get(locale, {}).get(text, text)

    def speaks(self, locale: str | None) -> bool:
        """Return whether this set's patient texts exist in ``locale``."""
        return (locale or SOURCE_LOCALE) in self.locales

    def aftercare_shown(self, locale: str | None) -> list[tuple[str, str, str]]:
        """Return the aftercare items (code, title, text) as a page in ``locale`` shows them."""
        return [
            (a.code, self.text(a.title, locale), self.text(a.text, locale)) for a in self.aftercare
        ]

    def source_text(self, keys: Sequence[str]) -> str:
        """Return the ``source`` a flag carries: ``article`` or ``[KEY] citation | ...``."""
        if tuple(keys) == (ARTICLE_KEY,):
            return ARTICLE_KEY
        return " | ".join(f"[{k}] {self.citation_texts[k]}" for k in keys)

    def _derive_version(self) -> str:
        content: dict[str, Any] = {
            "steps": [[s.id, s.title] for s in self.steps],
            "questions": [
                [q.id, q.text, q.step, q.required, q.hint, q.details, self.source_text(q.sources)]
                for q in self.questions
            ],
            "rules": [
                [r.code, r.severity.value, r.title, list(r.questions), self.source_text(r.sources)]
                for r in self.rules
            ],
            "aftercare": [[a.code, a.title, a.text] for a in self.aftercare],
        }
        # Added only when present, so the first set (which had neither) keeps
        # the version it was published under.
        if any(s.lead for s in self.steps):
            content["step_leads"] = [[s.id, s.lead] for s in self.steps]
        if any(r.why for r in self.rules):
            content["rationale"] = [[r.code, r.why] for r in self.rules]
        if self.translations:
            content["translations"] = {
                locale: sorted([text, translated] for text, translated in texts.items())
                for locale, texts in self.translations.items()
            }
        digest = hashlib.sha256(
            json.dumps(content, sort_keys=True, ensure_ascii=False).encode("utf-8")
        ).hexdigest()
        return f"rs-{digest[:12]}"

    def _flags_by_because(self, rule: Rule) -> dict[tuple[str, ...], Flag]:
        flags: dict[tuple[str, ...], Flag] = {}
        for mask in range(1, 2 ** len(rule.questions)):
            because = tuple(q for i, q in enumerate(rule.questions) if mask >> i & 1)
            flags[because] = self._flag(rule, because)
        return flags

    def _flag(self, rule: Rule, because: tuple[str, ...]) -> Flag:
        keys = () if rule.is_article else rule.sources
        return Flag(
            rule.code, rule.severity, rule.title, because, self.source_text(rule.sources), keys
        )

    # -- Reading ---------------------------------------------------------------

    def questions_for_step(self, step_id: str) -> tuple[Question, ...]:
        """Return the questions of one step in the order the patient sees them."""
        return tuple(q for q in self.questions if q.step == step_id)

    def step_ids(self) -> tuple[str, ...]:
        return tuple(s.id for s in self.steps)

    def known_answers(self, answers: Mapping[str, Any]) -> dict[str, Any]:
        """Return only the answers to this set's questions (and their details).

        An intake started under an earlier set may hold answers to questions
        this one no longer asks; they are kept on the intake but not screened.
        """
        return {k: v for k, v in answers.items() if k in self._allowed}

    def flag_from_dict(self, data: Mapping[str, Any]) -> Flag:
        """Read a stored flag; a flag stored without its keys gets them from this set's rule."""
        flag = Flag.from_dict(data)
        if flag.source_keys or flag.source == ARTICLE_KEY:
            return flag
        rule = self.rules_by_code.get(flag.code)
        if rule is None or rule.is_article:
            return flag
        return Flag(flag.code, flag.severity, flag.title, flag.because, flag.source, rule.sources)

    def questionnaire(self) -> dict[str, object]:
        """Return the questionnaire as the ``questions`` command prints it."""
        return {
            "ruleset": self.version,
            "questions": [
                {
                    "id": q.id,
                    "text": q.text,
                    "required": q.required,
                    "source": self.source_text(q.sources),
                }
                for q in self.questions
            ],
        }

    # -- Screening -------------------------------------------------------------

    def validate(self, answers: object) -> None:
        """Raise :class:`ScreeningInputError` unless ``answers`` is a complete answer set."""
        if not isinstance(answers, dict):
            raise ScreeningInputError(
                f"answers must be a JSON object keyed by question id, not {_type_name(answers)}"
            )
        keys = answers.keys()
        if not keys <= self._allowed:
            unknown = sorted(str(k) for k in keys - self._allowed)
            raise ScreeningInputError(f"unknown question id: {unknown[0]}")
        try:
            values = self._required_values(answers)
        except KeyError:
            values = ()
        # ``count`` compares with ==, so an unhashable value (a list) is fine.
        if values.count("yes") + values.count("no") != len(self._required):
            self._name_the_bad_answer(answers)
        self._check_details(answers, keys)

    def _name_the_bad_answer(self, answers: Mapping[str, Any]) -> None:
        for qid in self._required:
            value = answers.get(qid, _MISSING)
            # Compared one by one, not with ``in``: a value may be an unhashable list.
            if value != "yes" and value != "no":  # noqa: PLR1714
                if value is _MISSING:
                    raise ScreeningInputError(f"missing answer: {qid}")
                raise ScreeningInputError(
                    f'bad value for {qid}: expected "yes" or "no", got {_describe(value)}'
                )

    def _check_details(self, answers: Mapping[str, Any], keys: Any) -> None:
        if len(keys) == len(self._required):
            return
        # A plain loop over the few details present: a generator inside
        # all() cost more than the rest of validation put together.
        details = self._detail_ids.intersection(keys)
        for key in details:
            value = answers[key]
            if type(value) is not str or len(value) > MAX_DETAILS_LENGTH:
                break
        else:
            return
        # Something is wrong: name the first bad field, in a stable order.
        for key in sorted(details):
            value = answers[key]
            if not isinstance(value, str):
                raise ScreeningInputError(f"{key} must be text, not {_type_name(value)}")
            if len(value) > MAX_DETAILS_LENGTH:
                raise ScreeningInputError(f"{key} is longer than {MAX_DETAILS_LENGTH} characters")

    def screen(self, answers: Mapping[str, Any]) -> list[Flag]:
        """Validate ``answers`` and return the flags they raise, most serious first.

        :raise ScreeningInputError: unknown id, missing answer, bad value or bad details.
        """
        self.validate(answers)
        triggers = self._triggers
        hit = [p for k, v in answers.items() if v == "yes" and k in triggers for p in triggers[k]]
        if not hit:
            return []
        flags: list[Flag] = []
        plan = self._plan
        for position in sorted(set(hit)) if len(hit) > 1 else hit:
            question_ids, whole, by_because = plan[position]
            if len(question_ids) == 1:
                flags.append(whole)
            else:
                flags.append(by_because[tuple(q for q in question_ids if answers[q] == "yes")])
        return flags


def needs_review(flags: Iterable[Flag]) -> bool:
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
