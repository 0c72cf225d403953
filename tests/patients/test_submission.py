"""The acknowledgment and the submission: exactly once, whatever the browser does."""

from __future__ import annotations

import threading
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake import intakes
from intake.audit import Action
from intake.extensions import db
from intake.models import Acknowledgment, AuditEvent, Intake, IntakeStatus
from intake.patients.views import reference
from intake.phone import unbroken
from intake.screening import AFTERCARE, AFTERCARE_CODES, RULESET_VERSION, aftercare_hash
from tests.conftest import all_no, count
from tests.patients.conftest import (
    NAME,
    aftercare_form,
    answer_steps,
    booked,
    complete,
    confirm,
)

NEXT_STEPS = "A clinician reviews the answers where needed"


def _intake() -> Intake:
    return db.session.execute(sa.select(Intake)).scalar_one()


def _submitted_events() -> int:
    return db.session.execute(
        sa.select(sa.func.count())
        .select_from(AuditEvent)
        .where(AuditEvent.action == Action.INTAKE_SUBMITTED.value)
    ).scalar_one()


def test_all_no_is_ready_with_one_signed_acknowledgment(app, client):
    _id, token = booked(app)
    response = complete(client, token)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/intake/done"
    with app.app_context():
        intake = _intake()
        assert intake.status is IntakeStatus.READY
        assert intake.flags == []
        assert intake.ruleset_version == RULESET_VERSION
        assert intake.answers == all_no()
        ack = db.session.execute(sa.select(Acknowledgment)).scalar_one()
        assert sorted(ack.items) == sorted(AFTERCARE_CODES)
        assert ack.text_hash == aftercare_hash()
        assert ack.text_hash.startswith("sha256:")
        assert ack.signature_name == NAME
        assert ack.signed_at is not None
        assert _submitted_events() == 1


def test_a_contraindication_needs_review_and_the_patient_reads_the_same_words(
    app, client, client_for
):
    _id, token = booked(app)
    complete(client, token, all_no() | {"active_acne": "yes", "blood_thinners": "yes"})
    with app.app_context():
        intake = _intake()
        assert intake.status is IntakeStatus.NEEDS_REVIEW
        assert [f["code"] for f in intake.flags] == ["ACTIVE_ACNE", "BLEEDING_RISK"]
        assert intake.flags[0]["severity"] == "contraindication"
    page = client.get("/intake/done").get_data(as_text=True)
    assert NEXT_STEPS in page
    # Nothing tells the patient what was raised or whether they can be treated.
    for word in ("suitable", "contraindication", "precaution", "flag", "active_acne"):
        assert word not in page.lower()


def test_the_confirmation_says_what_happens_next(app, client):
    _id, token = booked(app)
    complete(client, token)
    page = client.get("/intake/done").get_data(as_text=True)
    assert NEXT_STEPS in page
    assert "Your appointment:" in page
    assert unbroken(app.config["INTAKE_CLINIC_PHONE"]) in page
    assert app.config["INTAKE_CLINIC_NAME"] in page
    assert 'href="/intake/copy"' in page


def test_the_copy_shows_what_was_acknowledged(app, client):
    _id, token = booked(app)
    complete(client, token)
    page = client.get("/intake/copy").get_data(as_text=True)
    assert NAME in page
    for item in AFTERCARE:
        assert item.title in page
        assert item.text in page
    # Shown as the reference: the hash's hex digits in groups, without "sha256:".
    assert reference(aftercare_hash()) in page
    assert "sha256:" not in page


def test_submitting_twice_makes_one_submission(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client)
    first = client.post("/intake/aftercare", data=data)
    second = client.post("/intake/aftercare", data=data)  # back button, then resubmit
    assert first.status_code == second.status_code == HTTPStatus.SEE_OTHER
    assert first.headers["Location"] == second.headers["Location"] == "/intake/done"
    with app.app_context():
        assert count(Acknowledgment) == 1
        assert _submitted_events() == 1


def test_the_database_refuses_a_second_acknowledgment(app, client):
    """The page checks the status first; the insert itself must not rely on that."""
    _id, token = booked(app)
    complete(client, token)
    with app.app_context():
        intake = _intake()
        made = intakes.submit(
            intake.id, items=AFTERCARE_CODES, text_hash=aftercare_hash(), signature_name="Other"
        )
        db.session.commit()
        assert made is False
        assert count(Acknowledgment) == 1
        ack = db.session.execute(sa.select(Acknowledgment)).scalar_one()
        assert ack.signature_name == NAME
        assert _submitted_events() == 1


@pytest.mark.committed  # two threads, two connections: each must see the other's commit
def test_two_tabs_submitting_at_once_make_one_submission(app, client, client_for):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client)
    tabs = [client_for(), client_for()]
    cookie = client.get_cookie("session")
    assert cookie is not None
    for tab in tabs:
        tab.set_cookie("session", cookie.value)
    barrier = threading.Barrier(len(tabs))
    statuses: list[int] = []

    def send(tab) -> None:
        barrier.wait()
        statuses.append(tab.post("/intake/aftercare", data=data).status_code)

    threads = [threading.Thread(target=send, args=(tab,)) for tab in tabs]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    assert statuses == [HTTPStatus.SEE_OTHER, HTTPStatus.SEE_OTHER]
    with app.app_context():
        assert count(Acknowledgment) == 1
        assert _submitted_events() == 1


def test_a_missing_tick_keeps_everything_and_says_what_is_missing(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client)
    del data["ack_BREAKOUTS"]
    response = client.post("/intake/aftercare", data=data)
    assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    assert '<a href="#ack_BREAKOUTS">Breakouts: Tick the box' in page
    assert f'value="{NAME}"' in page
    assert 'id="ack_REDNESS" name="ack_REDNESS" value="yes" checked' in page
    assert 'id="ack_BREAKOUTS" name="ack_BREAKOUTS" value="yes" required' in page
    with app.app_context():
        assert count(Acknowledgment) == 0
        assert _intake().status is IntakeStatus.IN_PROGRESS


def test_an_empty_name_keeps_the_ticks(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client) | {"signature_name": "   "}
    page = client.post("/intake/aftercare", data=data).get_data(as_text=True)
    assert "Type your full name to sign." in page
    assert page.count("checked") == len(AFTERCARE)
    with app.app_context():
        assert count(Acknowledgment) == 0


def test_a_value_other_than_yes_is_not_a_tick(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client) | {"ack_MARKS": "on"}
    assert client.post("/intake/aftercare", data=data).status_code == HTTPStatus.OK
    with app.app_context():
        assert count(Acknowledgment) == 0


def test_wording_changed_while_the_page_was_open(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client) | {"text_hash": "sha256:" + "0" * 64}
    page = client.post("/intake/aftercare", data=data).get_data(as_text=True)
    assert "wording on this page was updated" in page
    with app.app_context():
        assert count(Acknowledgment) == 0


def test_after_submission_answers_are_frozen(app, client):
    _id, token = booked(app)
    complete(client, token)
    for path in ("/intake/", "/intake/step/skin", "/intake/check", "/intake/aftercare"):
        response = client.get(path)
        assert response.status_code == HTTPStatus.SEE_OTHER
        assert response.headers["Location"] == "/intake/done"
    response = client.post("/intake/step/skin", data={"active_acne": "yes"})
    assert response.headers["Location"] == "/intake/done"
    with app.app_context():
        assert _intake().answers["active_acne"] == "no"


def test_confirmation_before_submission_goes_back_to_the_questions(app, client):
    _id, token = booked(app)
    confirm(client, token)
    assert client.get("/intake/done").headers["Location"] == "/intake/"
    assert client.get("/intake/copy").headers["Location"] == "/intake/"


def test_finish_forgets_this_browser(app, client):
    _id, token = booked(app)
    complete(client, token)
    response = client.post("/intake/finish")
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert client.get(response.headers["Location"]).status_code == HTTPStatus.OK
    assert client.get("/intake/done").status_code == HTTPStatus.FORBIDDEN
