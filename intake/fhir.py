"""FHIR R4 resources built from a rule set and an intake (plain JSON dicts).

``questionnaire(rs, base_url)`` is a rule set's questions as a FHIR
``Questionnaire``; ``intake_bundle(appointment, base_url)`` is an
appointment's intake as a ``Bundle`` of type ``collection``: its
``QuestionnaireResponse``, one ``Flag`` per raised flag and the aftercare
acknowledgment as a ``Consent``.

Every URI the export makes up starts with the clinic's ``INTAKE_BASE_URL``
(``base_url``); they identify, and only the questionnaire's resolves (to the
API). The patient is never named: resources refer to "the patient of
appointment N" by a logical identifier, so an export carries no more personal
data than ``GET /api/v1/appointments/<id>/intake`` (the typed signature name
is the one such datum both give). Before submission, as in that endpoint,
nobody reads the answers saved so far.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import uuid
from typing import Any

from flask_babel import force_locale

from intake.models import SUBMITTED, Acknowledgment, Appointment, Intake, IntakeStatus
from intake.screening import (
    CURRENT,
    MAX_DETAILS_LENGTH,
    RULESETS,
    RuleSet,
    Severity,
    aftercare_text,
    text_hash,
)
from intake.wording import aftercare_shown, signed_wording

FHIR_VERSION = "4.0.1"
MEDIA_TYPE = "application/fhir+json"
# The questionnaire's canonical url is its address in the API (path below
# INTAKE_BASE_URL); ``?version=`` picks an earlier set there.
QUESTIONNAIRE_PATH = "/api/v1/questionnaire"

# HL7's own code systems and extensions used as published.
FLAG_CATEGORY = "http://terminology.hl7.org/CodeSystem/flag-category"
FLAG_PRIORITY_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-priority"
FLAG_PRIORITY_CODES = "http://hl7.org/fhir/flag-priority-code"
FLAG_DETAIL_EXTENSION = "http://hl7.org/fhir/StructureDefinition/flag-detail"
CONSENT_SCOPE = "http://terminology.hl7.org/CodeSystem/consentscope"
LOINC = "http://loinc.org"

# A severity's FHIR flag priority (the core flag-priority extension): a
# contraindication is high, a precaution medium, info low. The project's own
# severity code goes beside it in the same CodeableConcept, so nothing is lost.
PRIORITY = {
    Severity.CONTRAINDICATION: ("PH", "High priority"),
    Severity.PRECAUTION: ("PM", "Medium priority"),
    Severity.INFO: ("PL", "Low priority"),
}


class Uris:
    """The URIs of one deployment, all below its INTAKE_BASE_URL."""

    def __init__(self, base_url: str) -> None:
        base = base_url.rstrip("/")
        self.base = base
        self.questionnaire = base + QUESTIONNAIRE_PATH
        self.flag_codes = f"{base}/fhir/CodeSystem/flag"
        self.severity_codes = f"{base}/fhir/CodeSystem/flag-severity"
        self.aftercare_codes = f"{base}/fhir/CodeSystem/aftercare"
        self.appointment_ids = f"{base}/fhir/sid/appointment"
        self.intake_status = f"{base}/fhir/StructureDefinition/intake-status"
        self.flag_because = f"{base}/fhir/StructureDefinition/flag-because"
        self.flag_source = f"{base}/fhir/StructureDefinition/flag-source"
        self.text_sha256 = f"{base}/fhir/StructureDefinition/text-sha256"

    def canonical(self, rs: RuleSet) -> str:
        """Return ``url|version``: how a response names the questionnaire it answers."""
        return f"{self.questionnaire}|{rs.version}"

    def entry_url(self, appointment_id: int, kind: str) -> str:
        """Return a stable ``urn:uuid:`` for one resource of one appointment's export."""
        name = f"{self.base}/api/v1/appointments/{appointment_id}/intake.fhir#{kind}"
        return f"urn:uuid:{uuid.uuid5(uuid.NAMESPACE_URL, name)}"


def instant(moment: dt.datetime) -> str:
    """Return a FHIR ``dateTime``/``instant``: ISO 8601 in UTC, written with ``Z``."""
    return moment.astimezone(dt.UTC).isoformat().replace("+00:00", "Z")


def step_link_id(step_id: str) -> str:
    # A hyphen never occurs in a question id (lower snake case), so a group's
    # linkId cannot clash with a question's.
    return f"step-{step_id}"


# -- Questionnaire ----------------------------------------------------------------


def questionnaire(rs: RuleSet, base_url: str, *, publisher: str | None = None) -> dict[str, Any]:
    """Return the rule set's questions as a FHIR R4 ``Questionnaire``.

    One ``group`` item per step, in the order the patient sees them; each
    question a ``boolean`` item whose linkId is its id (yes = true); where the
    question asks for details, a ``string`` item ``<id>_details`` right after
    it, enabled only when the answer is yes. The set in force is ``active``,
    an earlier one ``retired`` (it screens no new intake).
    """
    uris = Uris(base_url)
    return {
        "resourceType": "Questionnaire",
        "id": rs.version,
        "language": "en",
        "url": uris.questionnaire,
        "version": rs.version,
        "name": "MicroneedlingScreening",
        "title": "Pre-treatment screening for microneedling",
        "status": "active" if rs is CURRENT else "retired",
        "subjectType": ["Patient"],
        **({"publisher": publisher} if publisher else {}),
        "description": (
            "Yes/no screening questions a patient answers before a microneedling "
            "appointment; a yes may raise a flag for a clinician to review."
        ),
        "item": [_step_item(rs, step.id, step.title) for step in rs.steps],
    }


def _step_item(rs: RuleSet, step_id: str, title: str) -> dict[str, Any]:
    items: list[dict[str, Any]] = []
    for q in rs.questions_for_step(step_id):
        items.append({"linkId": q.id, "text": q.text, "type": "boolean", "required": q.required})
        if q.details:
            items.append(
                {
                    "linkId": q.details_field,
                    "text": q.details,
                    "type": "string",
                    "required": False,
                    "maxLength": MAX_DETAILS_LENGTH,
                    "enableWhen": [{"question": q.id, "operator": "=", "answerBoolean": True}],
                }
            )
    return {"linkId": step_link_id(step_id), "text": title, "type": "group", "item": items}


# -- The intake as a Bundle -----------------------------------------------------------


def intake_bundle(
    appointment: Appointment, base_url: str, *, now: dt.datetime | None = None
) -> dict[str, Any]:
    """Return the appointment's intake as a FHIR R4 ``Bundle`` (type ``collection``).

    Not started: the bundle is empty (there is nothing to export yet). In
    progress: a ``QuestionnaireResponse`` with status ``in-progress`` and no
    answers. Submitted: the response (``completed``) with the answers, one
    ``Flag`` per flag raised at submission, most serious first, and the
    ``Consent`` of the signed acknowledgment.
    """
    uris = Uris(base_url)
    intake = appointment.intake
    entries: list[dict[str, Any]] = []
    if intake is not None and intake.status is not IntakeStatus.NOT_STARTED:
        response_url = uris.entry_url(appointment.id, "QuestionnaireResponse")
        entries.append(
            {"fullUrl": response_url, "resource": _response(uris, appointment.id, intake)}
        )
        if intake.status in SUBMITTED:
            flags = sorted(intake.flags or [], key=lambda f: Severity(f["severity"]).rank)
            for flag in flags:
                entries.append(
                    {
                        "fullUrl": uris.entry_url(appointment.id, f"Flag/{flag['code']}"),
                        "resource": _flag(uris, appointment.id, intake, flag, response_url),
                    }
                )
            if intake.acknowledgment is not None:
                entries.append(
                    {
                        "fullUrl": uris.entry_url(appointment.id, "Consent"),
                        "resource": _consent(uris, appointment.id, intake.acknowledgment),
                    }
                )
    bundle: dict[str, Any] = {
        "resourceType": "Bundle",
        "type": "collection",
        "timestamp": instant(now or dt.datetime.now(dt.UTC)),
    }
    if entries:
        bundle["entry"] = entries
    return bundle


def _patient(uris: Uris, appointment_id: int) -> dict[str, Any]:
    """Refer to the patient of the appointment by its id, never by name."""
    return {
        "type": "Patient",
        "identifier": {"system": uris.appointment_ids, "value": str(appointment_id)},
    }


def intake_ruleset(intake: Intake) -> RuleSet:
    """Return the set the intake was screened with; before submission, the set that will."""
    if intake.status in SUBMITTED and intake.ruleset_version in RULESETS:
        return RULESETS[intake.ruleset_version or ""]
    return CURRENT


def _response(uris: Uris, appointment_id: int, intake: Intake) -> dict[str, Any]:
    rs = intake_ruleset(intake)
    submitted = intake.status in SUBMITTED
    resource: dict[str, Any] = {
        "resourceType": "QuestionnaireResponse",
        "extension": [{"url": uris.intake_status, "valueCode": intake.status.value}],
        "identifier": {"system": uris.appointment_ids, "value": str(appointment_id)},
        "questionnaire": uris.canonical(rs),
        "status": "completed" if submitted else "in-progress",
        "subject": _patient(uris, appointment_id),
    }
    if submitted and intake.submitted_at is not None:
        resource["authored"] = instant(intake.submitted_at)
    if submitted:
        items = _answer_items(rs, rs.known_answers(intake.answers or {}))
        if items:
            resource["item"] = items
    return resource


def _answer_items(rs: RuleSet, answers: dict[str, Any]) -> list[dict[str, Any]]:
    groups: list[dict[str, Any]] = []
    for step in rs.steps:
        items: list[dict[str, Any]] = []
        for q in rs.questions_for_step(step.id):
            value = answers.get(q.id)
            if value not in ("yes", "no"):
                continue
            items.append(
                {"linkId": q.id, "text": q.text, "answer": [{"valueBoolean": value == "yes"}]}
            )
            details = answers.get(q.details_field)
            if q.details and isinstance(details, str) and details.strip():
                items.append(
                    {
                        "linkId": q.details_field,
                        "text": q.details,
                        "answer": [{"valueString": details}],
                    }
                )
        if items:
            groups.append({"linkId": step_link_id(step.id), "text": step.title, "item": items})
    return groups


def _flag(
    uris: Uris, appointment_id: int, intake: Intake, flag: dict[str, Any], response_url: str
) -> dict[str, Any]:
    severity = Severity(flag["severity"])
    priority, priority_name = PRIORITY[severity]
    extensions: list[dict[str, Any]] = [
        {
            "url": FLAG_PRIORITY_EXTENSION,
            "valueCodeableConcept": {
                "coding": [
                    {"system": FLAG_PRIORITY_CODES, "code": priority, "display": priority_name},
                    {"system": uris.severity_codes, "code": severity.value},
                ],
                "text": severity.value,
            },
        },
        # The answers that raised it.
        {"url": FLAG_DETAIL_EXTENSION, "valueReference": {"reference": response_url}},
        *({"url": uris.flag_because, "valueString": qid} for qid in flag["because"]),
        {"url": uris.flag_source, "valueString": flag["source"]},
    ]
    resource: dict[str, Any] = {
        "resourceType": "Flag",
        "extension": extensions,
        "status": "active",
        "category": [
            {
                "coding": [{"system": FLAG_CATEGORY, "code": "clinical", "display": "Clinical"}],
            }
        ],
        "code": {
            "coding": [{"system": uris.flag_codes, "code": flag["code"], "display": flag["title"]}],
            "text": flag["title"],
        },
        "subject": _patient(uris, appointment_id),
    }
    if intake.submitted_at is not None:
        resource["period"] = {"start": instant(intake.submitted_at)}
    return resource


def _consent(uris: Uris, appointment_id: int, ack: Acknowledgment) -> dict[str, Any]:
    rs = intake_ruleset(ack.intake)
    attachment: dict[str, Any] = {
        # The contract's hash of the exact text shown (SHA-256, hex): always here.
        "extension": [{"url": uris.text_sha256, "valueString": ack.text_hash}],
        "contentType": "text/plain; charset=utf-8",
    }
    shown = signed_text(ack)
    if shown is not None:
        text, locale = shown
        data = text.encode("utf-8")
        attachment["language"] = locale
        attachment["data"] = base64.b64encode(data).decode("ascii")
        # FHIR's Attachment.hash: base64 of the SHA-1 of ``data``, as the spec defines it.
        attachment["hash"] = base64.b64encode(
            hashlib.sha1(data, usedforsecurity=False).digest()
        ).decode("ascii")
    attachment["title"] = "Aftercare expectations the patient acknowledged"
    patient = _patient(uris, appointment_id)
    return {
        "resourceType": "Consent",
        "status": "active",
        "scope": {
            "coding": [{"system": CONSENT_SCOPE, "code": "treatment", "display": "Treatment"}]
        },
        "category": [
            {"coding": [{"system": LOINC, "code": "59284-0", "display": "Patient Consent"}]}
        ],
        "patient": patient,
        "dateTime": instant(ack.signed_at),
        # The name the patient typed as a signature (the JSON API gives it too).
        "performer": [{**patient, "display": ack.signature_name}],
        "sourceAttachment": attachment,
        # The rule set whose aftercare wording was shown.
        "policy": [{"uri": f"{uris.questionnaire}?version={rs.version}"}],
        "provision": {
            "type": "permit",
            "code": [
                {"coding": [{"system": uris.aftercare_codes, "code": code}]} for code in ack.items
            ],
        },
    }


def signed_text(ack: Acknowledgment) -> tuple[str, str] | None:
    """Return the exact aftercare text the patient signed and its language, when provable.

    Proved means its SHA-256 is the stored ``text_hash``; otherwise None.
    """
    wording = signed_wording(ack)
    if not wording.verified or wording.locale is None:
        return None
    rs = intake_ruleset(ack.intake)
    with force_locale(wording.locale):
        text = aftercare_text(aftercare_shown(rs))
    if text_hash(text) != ack.text_hash:
        return None
    return text, wording.locale
