"""A patient's confirmed session ends on the server, whatever a copied cookie says."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import sqlalchemy as sa
from flask import Flask

from intake.extensions import db
from intake.models import PatientSession
from intake.patients.services import SESSION_KEY
from intake.screening import CURRENT
from tests.conftest import all_no
from tests.patients.conftest import aftercare_form, answer_steps, booked, confirm

FIRST_STEP = f"/intake/step/{CURRENT.steps[0].id}"


def _copy_cookie(client) -> dict:
    with client.session_transaction() as session:
        return dict(session)


def _paste_cookie(client, saved: dict) -> None:
    with client.session_transaction() as session:
        session.clear()
        session.update(saved)


def test_a_cookie_copied_before_finish_opens_nothing_after_it(app: Flask, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    client.post("/intake/aftercare", data=aftercare_form(client))
    assert client.get("/intake/copy").status_code == HTTPStatus.OK
    saved = _copy_cookie(client)
    assert client.post("/intake/finish").status_code == HTTPStatus.SEE_OTHER
    _paste_cookie(client, saved)
    for page in ("/intake/copy", "/intake/done", "/intake/"):
        assert client.get(page).status_code == HTTPStatus.FORBIDDEN, page


def test_finish_before_submitting_ends_the_session_too(app: Flask, client):
    _id, token = booked(app)
    confirm(client, token)
    saved = _copy_cookie(client)
    client.post("/intake/finish")
    _paste_cookie(client, saved)
    assert client.get(FIRST_STEP).status_code == HTTPStatus.FORBIDDEN
    # The link itself still works: the date of birth is asked again.
    assert confirm(client, token).status_code == HTTPStatus.SEE_OTHER
    assert client.get(FIRST_STEP).status_code == HTTPStatus.OK


def test_the_submission_ends_every_other_browser_and_keeps_the_signer(
    app: Flask, client, client_for
):
    _id, token = booked(app)
    other = client_for()  # the same patient on a second device, or someone else
    confirm(client, token)
    confirm(other, token)
    assert other.get(FIRST_STEP).status_code == HTTPStatus.OK
    answer_steps(client, all_no())
    client.post("/intake/aftercare", data=aftercare_form(client))
    assert client.get("/intake/done").status_code == HTTPStatus.OK
    assert client.get("/intake/copy").status_code == HTTPStatus.OK
    assert other.get("/intake/copy").status_code == HTTPStatus.FORBIDDEN
    assert other.get(FIRST_STEP).status_code == HTTPStatus.FORBIDDEN


def test_a_session_ends_after_its_absolute_lifetime_however_active(app: Flask, client):
    _id, token = booked(app)
    confirm(client, token)
    assert client.get(FIRST_STEP).status_code == HTTPStatus.OK
    hours = app.config["INTAKE_PATIENT_SESSION_MAX_HOURS"]
    with app.app_context():
        db.session.execute(
            sa.update(PatientSession).values(
                created_at=dt.datetime.now(dt.UTC) - dt.timedelta(hours=hours, minutes=1)
            )
        )
        db.session.commit()
    assert client.get(FIRST_STEP).status_code == HTTPStatus.FORBIDDEN


def test_the_cookie_holds_a_random_key_not_the_intake(app: Flask, client):
    _id, token = booked(app)
    confirm(client, token)
    binding = _copy_cookie(client)[SESSION_KEY]
    assert set(binding) == {"key", "until"}
    assert len(binding["key"]) >= 43
    with app.app_context():
        stored = db.session.scalars(sa.select(PatientSession.key_hash)).all()
    assert binding["key"] not in stored  # only its hash is kept


def test_patient_pages_ignore_a_staff_session_on_the_same_tablet(app: Flask, client):
    from intake.models import Role, User
    from tests.conftest import make_user
    from tests.staff.conftest import login_as

    _id, token = booked(app)
    with app.app_context():
        staff = make_user(Role.FRONT_DESK)
        # A pending password change sends every staff page to the change form...
        db.session.get(User, staff.id).must_change_password = True
        db.session.commit()
        login_as(client, staff, seconds_ago=0)
    assert client.get("/frontdesk/").headers["Location"].startswith("/account/password")
    # ...but a patient handed the tablet goes through their own pages untouched.
    assert confirm(client, token).status_code == HTTPStatus.SEE_OTHER
    page = client.get(FIRST_STEP)
    assert page.status_code == HTTPStatus.OK
    assert "/account/password" not in page.get_data(as_text=True)
    with app.app_context():
        login_as(client, staff, seconds_ago=60 * 60)  # idle past the staff limit
    client.get(FIRST_STEP)
    from intake.models import AuditEvent

    with app.app_context():
        expired = db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == "auth.session_expired")
        ).all()
    assert expired == []  # a patient page does not end (or touch) the staff session
