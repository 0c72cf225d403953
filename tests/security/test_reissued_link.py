"""A link the front desk makes after the patient started shows none of the saved answers.

The front desk knows the date of birth (it typed it) and is handed every new
link, so hiding answers from its own pages is not enough: through a new link
the patient sees which parts were answered before and answers them again;
the clinician keeps the newest answers and is told who made the link and why.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import sqlalchemy as sa
from flask import Flask

from intake.extensions import db
from intake.models import Appointment, AuditEvent, Intake, IntakeLink, Role
from intake.screening import CURRENT
from tests.conftest import all_no, make_user
from tests.patients.conftest import aftercare_form, answer_steps, booked, confirm, step_values
from tests.staff.conftest import login_as

DETAILS = "two spots on the chin since Monday"
REASON = "The patient deleted the first message."


def _start_with_answers(app: Flask, patient) -> tuple[int, str]:
    appointment_id, token = booked(app)
    confirm(patient, token)
    answers = all_no() | {"active_acne": "yes", "active_acne_details": DETAILS}
    answer_steps(patient, answers)
    return appointment_id, token


def _new_link_as_front_desk(app: Flask, desk, appointment_id: int, reason: str = REASON):
    with app.app_context():
        login_as(desk, make_user(Role.FRONT_DESK))
    page = desk.get(f"/frontdesk/appointments/{appointment_id}/link")
    assert page.status_code == HTTPStatus.OK
    response = desk.post(
        f"/frontdesk/appointments/{appointment_id}/link",
        data={"reason": reason},
        follow_redirects=True,
    )
    if response.status_code != HTTPStatus.OK:
        return response, None
    token = re.search(r"/i/([A-Za-z0-9_-]{43})", response.get_data(as_text=True))
    assert token
    return response, token.group(1)


def test_a_new_link_shows_none_of_the_answers_saved_before_it(app: Flask, client, client_for):
    appointment_id, _token = _start_with_answers(app, client_for())
    _response, new_token = _new_link_as_front_desk(app, client, appointment_id)
    holder = client_for()  # whoever holds the new link and the date of birth
    assert confirm(holder, new_token).status_code == HTTPStatus.SEE_OTHER
    # Sent back to the beginning: nothing counts as answered through this link.
    assert holder.get("/intake/").headers["Location"] == f"/intake/step/{CURRENT.steps[0].id}"
    for step in CURRENT.steps:
        page = holder.get(f"/intake/step/{step.id}").get_data(as_text=True)
        assert " checked" not in page, step.id
        assert DETAILS not in page
        assert "answered before, through an earlier link" in page
    check = holder.get("/intake/check").get_data(as_text=True)
    assert DETAILS not in check
    # The aftercare page is not reachable until every part is answered again.
    assert holder.get("/intake/aftercare").status_code == HTTPStatus.SEE_OTHER
    # The clinician's copy of the answers is untouched meanwhile.
    with app.app_context():
        intake = db.session.get(Appointment, appointment_id).intake
        assert intake.answers["active_acne_details"] == DETAILS


def test_answers_given_again_win_and_the_clinician_is_told_who_made_the_link(
    app: Flask, client, client_for
):
    appointment_id, _token = _start_with_answers(app, client_for())
    _response, new_token = _new_link_as_front_desk(app, client, appointment_id)
    holder = client_for()
    confirm(holder, new_token)
    answer_steps(holder, all_no())
    assert holder.post("/intake/aftercare", data=aftercare_form(holder)).status_code == 303
    with app.app_context():
        intake = db.session.execute(
            sa.select(Intake).where(Intake.appointment_id == appointment_id)
        ).scalar_one()
        assert intake.answers["active_acne"] == "no"
        assert "active_acne_details" not in intake.answers
        assert intake.submitted_link is not None and intake.submitted_link.reason == REASON
        desk_email = intake.submitted_link.issued_by.email
        login_as(client, make_user(Role.CLINICIAN))
        intake_id = intake.id
    page = client.get(f"/review/intakes/{intake_id}").get_data(as_text=True)
    assert "Finished through a new link that" in page
    assert desk_email in page and REASON in page


def test_a_new_link_after_the_patient_started_needs_a_reason(app: Flask, client, client_for):
    patient = client_for()
    appointment_id, _token = _start_with_answers(app, patient)
    response, token = _new_link_as_front_desk(app, client, appointment_id, reason="  ")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert token is None
    assert "Say why a new link is needed" in response.get_data(as_text=True)
    # Nothing changed: the patient's link and session still work.
    assert patient.get(f"/intake/step/{CURRENT.steps[0].id}").status_code == HTTPStatus.OK
    with app.app_context():
        links = db.session.scalars(
            sa.select(IntakeLink).where(IntakeLink.appointment_id == appointment_id)
        ).all()
        assert len(links) == 1
        reissues = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "link.reissued")
        ).all()
        assert reissues == []


def test_reissuing_asks_for_confirmation_first(app: Flask, client):
    appointment_id, _token = booked(app)
    desk = client
    with app.app_context():
        login_as(desk, make_user(Role.FRONT_DESK))
    page = desk.get(f"/frontdesk/appointments/{appointment_id}/link")
    assert page.status_code == HTTPStatus.OK
    html = page.get_data(as_text=True)
    assert "Make the new link" in html and 'method="post"' in html
    # Not started yet: no reason is asked for.
    assert 'name="reason"' not in html
    with app.app_context():
        assert (
            db.session.scalar(
                sa.select(sa.func.count())
                .select_from(IntakeLink)
                .where(IntakeLink.appointment_id == appointment_id)
            )
            == 1
        )


def test_a_step_form_through_the_old_link_still_fills_in(app: Flask, client):
    # Without a new link, the patient's own answers come back as they left them.
    _appointment_id, _token = _start_with_answers(app, client)
    step = CURRENT.steps[0].id
    page = client.get(f"/intake/step/{step}").get_data(as_text=True)
    assert 'value="yes" checked' in page
    assert DETAILS in page
    assert step_values(step, {"active_acne": "yes"})
