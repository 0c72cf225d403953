"""PostgreSQL stopped in the middle of a patient's flow, then started again.

A private PostgreSQL (``private_services``) serves the app on a threaded live
server; the test stops it with ``pg_ctl -m immediate`` (every connection cut,
as a crash or a failover would) while a patient is half-way through and a
clinician is signed in. Then: the patient and staff get a calm 503 page with
the clinic's phone, the API a JSON 503, ``/healthz`` a 503 naming the
database; nothing saved before is lost; and once PostgreSQL is back the same
server (no restart) carries the flow on to the submission.
"""

from __future__ import annotations

import uuid
from collections.abc import Iterator
from http import HTTPStatus
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from flask import Flask
from flask_migrate import upgrade

from intake import create_app
from intake.extensions import db
from intake.models import Intake, IntakeStatus, Role
from intake.screening import CURRENT
from tests.conftest import BACKEND, _test_config, make_appointment, make_user
from tests.integrity.conftest import Browser, aftercare_data, signed_in, step_data
from tests.production.private_services import PrivatePostgres, postgres_available

pytestmark = [
    pytest.mark.skipif(
        BACKEND != "postgresql", reason="stopping the database is a PostgreSQL test"
    ),
    pytest.mark.skipif(not postgres_available(), reason="no initdb/pg_ctl on this machine"),
]

DOB = "1984-02-29"
PHONE = "+1 555 0199"


@pytest.fixture(scope="module")
def private_postgres() -> Iterator[PrivatePostgres]:
    server = PrivatePostgres()
    yield server
    server.destroy()


@pytest.fixture
def app(private_postgres: PrivatePostgres, tmp_path: Path) -> Iterator[Flask]:
    """The app on a fresh database of the private server, migrated (replaces conftest's)."""
    url = private_postgres.create_database(f"intake_{uuid.uuid4().hex[:12]}")
    config: dict[str, Any] = _test_config(url, tmp_path)
    config.update(RATELIMIT_ENABLED=False, INTAKE_CLINIC_PHONE=PHONE)
    app = create_app(config)
    with app.app_context():
        upgrade()
    yield app
    with app.app_context():
        db.session.remove()
        db.engine.dispose()


def _phone_shown(page: str) -> bool:
    # The phone macro keeps the number on one line (no-break spaces).
    return PHONE.replace(" ", "\u00a0") in page or PHONE in page


def test_the_flow_answers_503_while_postgres_is_down_and_carries_on_after(
    app: Flask, live_server_url: str, private_postgres: PrivatePostgres
) -> None:
    with app.app_context():
        clinician_email = make_user(Role.CLINICIAN).email
        appointment, token = make_appointment(dob=DOB)
        appointment_id = appointment.id
    staff = signed_in(live_server_url, clinician_email)
    patient = Browser(live_server_url)
    assert patient.post(f"/i/{token}", {"date_of_birth": DOB}).status_code == HTTPStatus.SEE_OTHER
    first, *rest = CURRENT.steps
    answers = {q.id: "yes" for q in CURRENT.questions_for_step(first.id)}
    saved = patient.post(f"/intake/step/{first.id}", step_data(first.id, answers))
    assert saved.status_code == HTTPStatus.SEE_OTHER, saved.text

    private_postgres.stop()
    try:
        page = patient.get(f"/intake/step/{rest[0].id}")
        assert page.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert "Everything you have already saved is kept" in page.text
        assert _phone_shown(page.text)
        assert page.headers["Retry-After"]
        post = patient.post(f"/intake/step/{rest[0].id}", step_data(rest[0].id, {}))
        assert post.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert _phone_shown(post.text)

        queue = staff.get("/review/")
        assert queue.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert "The database is not answering" in queue.text
        assert _phone_shown(queue.text)

        api = staff.get(f"/api/v1/appointments/{appointment_id}/intake")
        assert api.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert api.json()["error"] == "service_unavailable"

        health = patient.get("/healthz")
        assert health.status_code == HTTPStatus.SERVICE_UNAVAILABLE
        assert health.json() == {"status": "error", "database": "error"}
    finally:
        private_postgres.start()

    # The same server, no restart: the pool's pre-ping replaces dead connections.
    assert patient.get("/healthz").json() == {"status": "ok", "database": "ok"}
    resumed = patient.get(f"/i/{token}")
    assert resumed.status_code in {HTTPStatus.OK, HTTPStatus.SEE_OTHER}
    for step in rest:
        response = patient.post(f"/intake/step/{step.id}", step_data(step.id, {}))
        assert response.status_code == HTTPStatus.SEE_OTHER, response.text
    sent = patient.post("/intake/aftercare", aftercare_data(patient))
    assert sent.status_code == HTTPStatus.SEE_OTHER, sent.text
    assert staff.get("/review/").status_code == HTTPStatus.OK

    with app.app_context():
        intake = db.session.execute(
            sa.select(Intake).where(Intake.appointment_id == appointment_id)
        ).scalar_one()
        # What was saved before PostgreSQL stopped is still there.
        for question_id, value in answers.items():
            assert intake.answers[question_id] == value
        assert intake.status in {IntakeStatus.NEEDS_REVIEW, IntakeStatus.READY}
