"""GET /api/v1/appointments/<id>/intake exactly as CONTRACT section 6 says."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import intakes
from intake.audit import Action
from intake.extensions import db
from intake.models import AuditEvent, Role
from intake.screening import AFTERCARE_CODES, RULESET_VERSION, aftercare_hash
from tests.conftest import all_no, make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted

pytestmark = pytest.mark.usefixtures("app_ctx")

KEYS = {"status", "ruleset", "answers", "flags", "acknowledgment"}


def url(appointment_id: object) -> str:
    return f"/api/v1/appointments/{appointment_id}/intake"


def is_json_error(response, status: HTTPStatus) -> bool:
    body = response.get_json(silent=True)
    return (
        response.status_code == status
        and response.mimetype == "application/json"
        and set(body) == {"error", "message"}
    )


def test_nobody_signed_in_gets_401_as_json(client):
    appointment, _ = make_appointment()
    assert is_json_error(client.get(url(appointment.id)), HTTPStatus.UNAUTHORIZED)


def test_the_front_desk_gets_403_and_no_answers(client):
    appointment, _ = make_submitted({"active_acne": "yes", "active_acne_details": "on the chin"})
    login_as(client, make_user(Role.FRONT_DESK))
    response = client.get(url(appointment.id))
    assert is_json_error(response, HTTPStatus.FORBIDDEN)
    assert b"chin" not in response.get_data() and b"ACTIVE_ACNE" not in response.get_data()


@pytest.mark.parametrize("bad", ["999999", "0", str(2**31), str(2**64), "-1", "abc", "1.5"])
def test_an_unknown_id_gets_404_as_json(client, bad):
    login_as(client, make_user(Role.CLINICIAN))
    assert is_json_error(client.get(url(bad)), HTTPStatus.NOT_FOUND)


def test_before_submission_answers_are_empty_even_while_the_patient_is_going(client):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, _ = make_appointment()

    assert client.get(url(appointment.id)).get_json() == {
        "status": "not_started",
        "ruleset": RULESET_VERSION,
        "answers": {},
        "flags": [],
        "acknowledgment": None,
    }

    intakes.start(appointment.intake.id)
    appointment.intake.answers = {"active_acne": "yes"}
    db.session.commit()
    body = client.get(url(appointment.id)).get_json()
    assert body["status"] == "in_progress"
    assert body["answers"] == {} and body["flags"] == [] and body["acknowledgment"] is None


@pytest.mark.parametrize("role", [Role.CLINICIAN, Role.ADMIN])
def test_a_submitted_intake_in_the_contract_shape(client, role):
    user = make_user(role)
    login_as(client, user)
    answers = {
        "acne_prone": "yes",
        "blood_thinners": "yes",
        "blood_thinners_details": "aspirin 75 mg",
        "numbing_allergy": "yes",
    }
    appointment, intake = make_submitted(answers, signature_name="Robin Example")

    response = client.get(url(appointment.id))

    assert response.status_code == HTTPStatus.OK
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == KEYS
    assert body["status"] == "needs_review"
    assert body["ruleset"] == RULESET_VERSION
    assert body["answers"] == {**all_no(), **answers}
    assert [f["code"] for f in body["flags"]][:1] == ["NUMBING_ALLERGY"]
    assert [f["severity"] for f in body["flags"]] == sorted(
        (f["severity"] for f in body["flags"]),
        key=["contraindication", "precaution", "info"].index,
    )
    bleeding = next(f for f in body["flags"] if f["code"] == "BLEEDING_RISK")
    assert bleeding == {
        "code": "BLEEDING_RISK",
        "severity": "precaution",
        "title": "Bleeding risk",
        "because": ["blood_thinners"],
        "source": "article",
    }
    ack = body["acknowledgment"]
    assert set(ack) == {"items", "text_hash", "signature_name", "signed_at", "language"}
    assert ack["language"] == "en"
    assert sorted(ack["items"]) == sorted(AFTERCARE_CODES)
    assert ack["text_hash"] == aftercare_hash() and ack["text_hash"].startswith("sha256:")
    assert ack["signature_name"] == "Robin Example"
    signed_at = dt.datetime.fromisoformat(ack["signed_at"])
    assert signed_at.utcoffset() is not None
    assert signed_at == intake.acknowledgment.signed_at
    event = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == Action.API_INTAKE_READ.value)
    ).scalar_one()
    assert (event.actor_id, event.target_type, event.target_id) == (
        user.id,
        "appointment",
        appointment.id,
    )


def test_the_status_follows_the_clinicians_decision(client):
    login_as(client, make_user(Role.CLINICIAN))
    appointment, intake = make_submitted({"active_acne": "yes"})
    client.post(
        f"/review/intakes/{intake.id}/decision",
        data={"outcome": "deferred", "note": "settle", "seen_status": "needs_review"},
    )
    body = client.get(url(appointment.id)).get_json()
    assert body["status"] == "deferred"
    assert [f["code"] for f in body["flags"]] == ["ACTIVE_ACNE"]  # as raised at submission


def test_the_openapi_document_is_published(client):
    response = client.get("/api/v1/openapi.json")
    assert response.status_code == HTTPStatus.OK
    document = response.get_json()
    assert document["openapi"] == "3.1.0"
    assert "/api/v1/appointments/{appointment_id}/intake" in document["paths"]


def test_other_api_paths_answer_json_404(client):
    assert is_json_error(client.get("/api/v1/nothing/here"), HTTPStatus.NOT_FOUND)
