"""The patient's side of a rule set change, and the new aftercare item.

A patient who signed under the first set still gets a copy of exactly what
they signed. A patient part-way through when the new set ships keeps every
answer, is asked what the new set adds, and is screened with it.
"""

from __future__ import annotations

import html
import re
from http import HTTPStatus

import sqlalchemy as sa

from intake import intakes
from intake.extensions import db
from intake.models import Appointment, Intake, IntakeStatus
from intake.patients.views import reference
from intake.screening import CURRENT, FIRST
from tests.conftest import all_no
from tests.earlier_sets import FIRST_BREAKOUTS, first_set_answers, submit_under_first_set
from tests.patients.conftest import aftercare_form, answer_steps, booked, confirm, step_values


def visible(response) -> str:
    return " ".join(html.unescape(re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))).split())


def _intake(app, appointment_id: int) -> Intake:
    with app.app_context():
        intake = db.session.get(Appointment, appointment_id).intake
        db.session.expunge(intake)
        return intake


def test_a_copy_signed_under_the_first_set_shows_what_was_signed(app, client):
    appointment_id, token = booked(app)
    with app.app_context():
        intake = db.session.get(Appointment, appointment_id).intake
        submit_under_first_set(intake, first_set_answers(), "Robin Example")
    confirm(client, token)
    response = client.get("/intake/copy")
    assert response.status_code == HTTPStatus.OK
    page = visible(response)
    assert FIRST_BREAKOUTS in page
    assert "has been updated since you signed" not in page
    assert "When to call the clinic" not in page
    assert reference(FIRST.aftercare_hash) in page


def test_the_aftercare_page_says_when_to_call_with_the_clinics_number(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    response = client.get("/intake/aftercare")
    page = visible(response)
    phone = app.config["INTAKE_CLINIC_PHONE"]
    assert "When to call the clinic" in page
    assert f"The clinic's phone number: {phone}" in page
    assert 'name="ack_WHEN_TO_CALL" value="yes"' in response.get_data(as_text=True)
    assert "can make them worse" in page
    # Signed: the copy repeats it, number included, and the hash is the new set's.
    client.post("/intake/aftercare", data=aftercare_form(client))
    copy = visible(client.get("/intake/copy"))
    assert "When to call the clinic" in copy
    assert f"The clinic's phone number: {phone}" in copy
    assert reference(CURRENT.aftercare_hash) in copy


def test_the_ack_must_include_when_to_call(app, client):
    appointment_id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    data = aftercare_form(client)
    del data["ack_WHEN_TO_CALL"]
    response = client.post("/intake/aftercare", data=data)
    assert response.status_code == HTTPStatus.OK
    assert "When to call the clinic: Tick the box" in visible(response)
    assert _intake(app, appointment_id).status is IntakeStatus.IN_PROGRESS


def test_an_intake_in_progress_when_the_set_changes_keeps_its_answers_and_is_asked_the_rest(
    app, client
):
    appointment_id, token = booked(app)
    # Saved under the first set: every first-set question answered, one of
    # them a question the new set no longer asks.
    old = first_set_answers(
        cancer_treatment="yes", cancer_treatment_details="radiotherapy ended 2 weeks ago"
    )
    with app.app_context():
        intakes.start(_intake(app, appointment_id).id)
        appointment = db.session.get(Appointment, appointment_id)
        intake = appointment.intake
        intake.answers = old
        # Credited to the link the patient holds, as migration 0005 credits
        # the answers of intakes in progress.
        link_id = appointment.links[0].id
        intake.answer_links = {k: link_id for k in old if not k.endswith("_details")}
        db.session.commit()
    confirm(client, token)
    # Resumes at the first step holding a question the new set adds.
    assert client.get("/intake/").headers["Location"] == "/intake/step/area_more"
    # Its earlier answers fill the questions both sets ask.
    page = client.get("/intake/step/area").get_data(as_text=True)
    assert 'id="active_acne-no" name="active_acne" value="no" checked' in page
    answers = all_no() | {"radiotherapy_now": "yes"}
    for step in ("area_more", "skin", "health", "health_more", "medicines", "treatments"):
        response = client.post(f"/intake/step/{step}", data=step_values(step, answers))
        assert response.status_code == HTTPStatus.SEE_OTHER
    assert client.get("/intake/").headers["Location"] == "/intake/check"
    response = client.post("/intake/aftercare", data=aftercare_form(client))
    assert response.headers["Location"] == "/intake/done"

    with app.app_context():
        intake = db.session.execute(
            sa.select(Intake).where(Intake.appointment_id == appointment_id)
        ).scalar_one()
        # Screened with the set in force, on the answers it knows.
        assert intake.ruleset_version == CURRENT.version
        assert [f["code"] for f in intake.flags] == ["CHEMO_OR_RADIOTHERAPY"]
        assert intake.acknowledgment.text_hash == CURRENT.aftercare_hash
        # Nothing the patient said was dropped.
        assert intake.answers["cancer_treatment"] == "yes"
        assert intake.answers["cancer_treatment_details"] == "radiotherapy ended 2 weeks ago"
        rescreened = CURRENT.screen(intakes.screened_answers(CURRENT, intake.answers))
        assert [f.to_record() for f in rescreened] == intake.flags
