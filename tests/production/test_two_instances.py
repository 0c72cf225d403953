"""Two gunicorn instances on one PostgreSQL database and one Redis are one service (issue 14).

Two instances of ``gunicorn -c gunicorn.conf.py wsgi:app`` (1 worker x 2
threads each) run on two ports against a committed copy of the test
database and the suite's Redis, under a key prefix of this run's own. Every
check goes over real HTTP with CSRF tokens read from the pages, as a browser
would send them, and ends on what the database holds.

The instances trust one proxy (``INTAKE_TRUSTED_PROXIES=1``) and each patient
sends its own ``X-Forwarded-For``, as patients behind a load balancer would:
the per-address limits on the link page then count each patient, not the
test process.
"""

from __future__ import annotations

import itertools
from collections.abc import Iterator
from dataclasses import dataclass
from http import HTTPStatus

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask

from intake import audit
from intake.auth import totp
from intake.extensions import db
from intake.models import (
    Acknowledgment,
    Appointment,
    AuditEvent,
    Intake,
    IntakeLink,
    IntakeStatus,
    Role,
    User,
)
from intake.screening import CURRENT
from tests.conftest import (
    BACKEND,
    csrf_token_from,
    make_appointment,
    make_user,
)
from tests.integrity.conftest import at_once
from tests.production.browsing import (
    DOB,
    Browser,
    answer_step,
    confirm,
    every_answer,
    sign_in,
    signing_form,
)
from tests.production.servers import Instance, on_a_copy

pytestmark = [
    pytest.mark.postgres_only,
    pytest.mark.skipif(
        BACKEND != "postgresql",
        reason="several gunicorn processes on one database: PostgreSQL only",
    ),
]

WRONG_DOB = "1984-03-10"
SUBMISSION_ROUNDS = 4
_addresses = (f"203.0.113.{n}" for n in itertools.count(1))


@dataclass
class Service:
    app: Flask
    a: Instance
    b: Instance


@pytest.fixture(scope="module")
def service(
    template_database_url: str, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Service]:
    """One committed database, two instances on it, for the whole module."""
    directory = tmp_path_factory.mktemp("two-instances")
    settings = {"INTAKE_TRUSTED_PROXIES": "1"}
    with on_a_copy(template_database_url, directory, settings=settings) as (app, (a, b)):
        yield Service(app, a, b)


def book(app: Flask) -> tuple[int, str]:
    with app.app_context():
        appointment, token = make_appointment(dob=DOB)
        return appointment.id, token


def intake_of(app: Flask, appointment_id: int) -> Intake:
    with app.app_context():
        intake = db.session.execute(
            sa.select(Intake).where(Intake.appointment_id == appointment_id)
        ).scalar_one()
        db.session.expunge(intake)
        return intake


# -- The checks --------------------------------------------------------------------


def test_a_patient_who_starts_on_one_and_finishes_on_the_other_loses_nothing(service):
    a, b = service.a.url, service.b.url
    appointment_id, token = book(service.app)
    answers = every_answer("no") | {"active_acne": "yes"}
    patient = Browser(next(_addresses))

    assert confirm(patient, a, token).status_code == HTTPStatus.SEE_OTHER
    steps = [step.id for step in CURRENT.steps]
    half = len(steps) // 2
    for step_id in steps[:half]:
        answer_step(patient, a, step_id, answers)
    # The tab closes; the patient opens the link again and lands on the other instance.
    resumed = patient.get(b, f"/i/{token}")
    assert resumed.status_code == HTTPStatus.SEE_OTHER
    assert patient.get(b, "/intake/").headers["Location"].endswith(f"/intake/step/{steps[half]}")
    for step_id in steps[half:]:
        answer_step(patient, b, step_id, answers)
    signed = patient.post(b, "/intake/aftercare", signing_form(patient, b))
    assert signed.status_code == HTTPStatus.SEE_OTHER, signed.text
    assert patient.get(a, "/intake/done").status_code == HTTPStatus.OK

    intake = intake_of(service.app, appointment_id)
    assert intake.status == IntakeStatus.NEEDS_REVIEW
    assert {key: intake.answers[key] for key in answers} == answers


def test_the_sign_in_failure_count_is_shared(service):
    a, b = service.a.url, service.b.url
    with service.app.app_context():
        email = make_user(Role.CLINICIAN).email
    answers = []
    for attempt in range(11):
        browser = Browser()
        base = (a, b)[attempt % 2]
        page = browser.get(base, "/login")
        answers.append(
            browser.post(
                base,
                "/login",
                {
                    "email": email,
                    "password": "not the password at all",
                    "csrf_token": csrf_token_from(page.text),
                },
            ).status_code
        )
    # Ten failures, five on each instance, then the eleventh is refused
    # (on instance A); the right password is refused on B too.
    assert answers[:10] == [HTTPStatus.OK] * 10, answers
    assert answers[10] == HTTPStatus.TOO_MANY_REQUESTS, answers
    assert sign_in(Browser(), b, email).status_code == HTTPStatus.TOO_MANY_REQUESTS


def test_a_code_used_on_one_instance_is_refused_on_the_other(service):
    a, b = service.a.url, service.b.url
    secret = pyotp.random_base32()
    with service.app.app_context():
        user = make_user(Role.CLINICIAN)
        db.session.get(User, user.id).totp_secret = totp.encrypt(secret)
        db.session.commit()
        email = user.email
    code = pyotp.TOTP(secret).now()

    first, second = Browser(), Browser()
    for browser, base in ((first, a), (second, b)):
        response = sign_in(browser, base, email)
        assert response.headers.get("Location", "").endswith("/login/code"), response.text
    used = first.send_form(a, "/login/code", {"code": code})
    assert used.status_code == HTTPStatus.FOUND, used.text
    replayed = second.send_form(b, "/login/code", {"code": code})
    assert replayed.status_code == HTTPStatus.OK  # the code page again, with its message
    assert first.get(b, "/review/").status_code == HTTPStatus.OK
    assert second.get(b, "/review/").status_code != HTTPStatus.OK


def test_the_date_of_birth_lock_is_shared(service):
    a, b = service.a.url, service.b.url
    appointment_id, token = book(service.app)
    patient = Browser(next(_addresses))
    statuses = [confirm(patient, (a, b)[n % 2], token, WRONG_DOB).status_code for n in range(5)]
    # Four calm messages, then the fifth wrong date (on A) locks the link.
    assert statuses == [HTTPStatus.OK] * 4 + [HTTPStatus.LOCKED], statuses
    page = patient.get(b, f"/i/{token}")
    assert page.status_code == HTTPStatus.LOCKED
    with service.app.app_context():
        link = db.session.execute(
            sa.select(IntakeLink).where(IntakeLink.appointment_id == appointment_id)
        ).scalar_one()
        assert link.failed_attempts == 5
        assert link.locked_at is not None
        intake = db.session.execute(
            sa.select(Intake).where(Intake.appointment_id == appointment_id)
        ).scalar_one_or_none()
        assert intake is None or intake.status == IntakeStatus.NOT_STARTED


def _sent_to_both_at_once(service: Service) -> tuple[list[object], int]:
    """Answer every step on A, then send the signed acknowledgment to A and B at once."""
    a, b = service.a.url, service.b.url
    appointment_id, token = book(service.app)
    patient = Browser(next(_addresses))
    assert confirm(patient, a, token).status_code == HTTPStatus.SEE_OTHER
    for step in CURRENT.steps:
        answer_step(patient, a, step.id, every_answer("no"))
    data = signing_form(patient, a)
    tabs = [patient.copy(), patient.copy()]
    # Threads released by one barrier: the same form, two instances, one moment.
    results = at_once(
        lambda: tabs[0].post(a, "/intake/aftercare", data).status_code,
        lambda: tabs[1].post(b, "/intake/aftercare", data).status_code,
    )
    return results, appointment_id


def test_the_same_submission_sent_to_both_at_once_makes_one(service):
    for _round in range(SUBMISSION_ROUNDS):
        results, appointment_id = _sent_to_both_at_once(service)
        # Neither fails; the one that came second says "already sent" or leads
        # to the same confirmation.
        assert all(s in (HTTPStatus.SEE_OTHER, HTTPStatus.CONFLICT) for s in results), results

        intake = intake_of(service.app, appointment_id)
        with service.app.app_context():
            acknowledgments = db.session.execute(
                sa.select(sa.func.count())
                .select_from(Acknowledgment)
                .where(Acknowledgment.intake_id == intake.id)
            ).scalar_one()
            submitted_events = db.session.execute(
                sa.select(sa.func.count())
                .select_from(AuditEvent)
                .where(
                    AuditEvent.action == audit.Action.INTAKE_SUBMITTED.value,
                    AuditEvent.target_id == intake.id,
                )
            ).scalar_one()
        assert acknowledgments == 1
        assert submitted_events == 1
        assert intake.status == IntakeStatus.READY
        assert intake.submitted_at is not None


def test_a_decision_on_one_is_seen_on_the_other_at_once(service):
    a, b = service.a.url, service.b.url
    appointment_id, token = book(service.app)
    patient = Browser(next(_addresses))
    assert confirm(patient, b, token).status_code == HTTPStatus.SEE_OTHER
    for step in CURRENT.steps:
        answer_step(patient, b, step.id, every_answer("no") | {"active_acne": "yes"})
    assert patient.post(b, "/intake/aftercare", signing_form(patient, b)).status_code == 303
    intake = intake_of(service.app, appointment_id)
    with service.app.app_context():
        email = make_user(Role.CLINICIAN).email

    clinician = Browser()
    assert sign_in(clinician, a, email).status_code == HTTPStatus.FOUND
    api = f"/api/v1/appointments/{appointment_id}/intake"
    assert clinician.get(b, api).json()["status"] == IntakeStatus.NEEDS_REVIEW.value
    decided = clinician.send_form(
        a, f"/review/intakes/{intake.id}", {"outcome": "deferred", "note": "recheck in 2 weeks"}
    )
    assert decided.status_code in (HTTPStatus.FOUND, HTTPStatus.SEE_OTHER), decided.text
    # The very next request, on the other instance, sees it.
    assert clinician.get(b, api).json()["status"] == IntakeStatus.DEFERRED.value
    assert "recheck in 2 weeks" in clinician.get(b, f"/review/intakes/{intake.id}").text
    with service.app.app_context():
        appointment = db.session.get(Appointment, appointment_id)
        assert appointment is not None
        assert db.session.get(Intake, intake.id).status == IntakeStatus.DEFERRED
