"""The link page: opening it changes nothing, the date of birth, the lock, dead links."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import sqlalchemy as sa

from intake.audit import Action
from intake.extensions import db
from intake.links import issue as issue_link
from intake.models import Appointment, AuditEvent, Intake, IntakeLink, IntakeStatus
from tests.conftest import make_appointment
from tests.patients.conftest import DOB, booked, confirm

# As pages show it: no-break spaces, so the number never wraps.
PHONE = "+1\u00a0555\u00a00100"


def _intake(appointment_id: int) -> Intake:
    return db.session.execute(
        sa.select(Intake).where(Intake.appointment_id == appointment_id)
    ).scalar_one()


def _actions() -> list[str]:
    return list(db.session.execute(sa.select(AuditEvent.action).order_by(AuditEvent.id)).scalars())


def test_opening_the_link_changes_nothing_but_an_audit_record(app, client):
    appointment_id, token = booked(app)
    with app.app_context():
        audit_before = _actions()
    for _ in range(3):  # a mail scanner, a preview, then the patient
        response = client.get(f"/i/{token}")
        assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    # Three labelled boxes in one fieldset (GOV.UK's date input).
    assert '<fieldset class="date-input-group" role="group"' in page
    for part in ("day", "month", "year"):
        assert f'name="date_of_birth-{part}"' in page
        assert f'autocomplete="bday-{part}"' in page
        assert f'<label for="date_of_birth-{part}">' in page
    assert page.count('inputmode="numeric"') == 3
    assert "For example, 27 3 1985" in page
    assert "Robin" not in page and "Example" not in page
    with app.app_context():
        intake = _intake(appointment_id)
        assert intake.status is IntakeStatus.NOT_STARTED
        assert intake.answers == {}
        link = db.session.execute(sa.select(IntakeLink)).scalar_one()
        assert link.failed_attempts == 0
        assert _actions()[len(audit_before) :] == [Action.LINK_OPENED.value] * 3


def test_correct_date_starts_the_intake_and_leaves_the_token_behind(app, client):
    appointment_id, token = booked(app)
    response = confirm(client, token)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/intake/"
    following = client.get("/intake/")
    assert following.status_code == HTTPStatus.SEE_OTHER
    assert following.headers["Location"] == "/intake/step/area"
    assert token not in following.headers["Location"]
    page = client.get("/intake/step/area").get_data(as_text=True)
    assert token not in page
    with app.app_context():
        intake = _intake(appointment_id)
        assert intake.status is IntakeStatus.IN_PROGRESS
        assert intake.started_at is not None
        assert Action.IDENTITY_CONFIRMED.value in _actions()


def test_reloading_the_link_does_not_ask_again(app, client):
    _appointment_id, token = booked(app)
    confirm(client, token)
    response = client.get(f"/i/{token}")
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert response.headers["Location"] == "/intake/"


def test_a_typed_iso_date_is_accepted(app, client):
    _appointment_id, token = booked(app)
    response = client.post(f"/i/{token}", data={"date_of_birth": f"  {DOB} "})
    assert response.status_code == HTTPStatus.SEE_OTHER


def test_unreadable_dates_get_a_message_and_do_not_count(app, client):
    _appointment_id, token = booked(app)
    for value, message in [
        ("", "Enter your date of birth."),
        ("17/05/1990", "Date of birth must be a real date"),
        ("1990-02-30", "Date of birth must be a real date"),
        ("1850-01-01", "Date of birth must be 1900 or later"),
        ("2999-01-01", "Date of birth must be in the past"),
    ]:
        response = client.post(f"/i/{token}", data={"date_of_birth": value})
        assert response.status_code == HTTPStatus.OK
        page = response.get_data(as_text=True)
        assert message in page
        assert 'class="error-summary"' in page
        assert 'aria-invalid="true"' in page
        assert 'aria-describedby="date_of_birth-hint date_of_birth-error"' in page
        assert 'href="#date_of_birth-' in page  # the summary leads to a box
        assert "<title>Error:" in page
    with app.app_context():
        assert db.session.execute(sa.select(IntakeLink.failed_attempts)).scalar_one() == 0


def test_wrong_dates_are_counted_and_the_fifth_locks_the_link(app, client):
    appointment_id, token = booked(app, first_name="Zelda", last_name="Quill")
    client.get(f"/i/{token}")
    for attempt in range(1, 5):
        response = client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"})
        assert response.status_code == HTTPStatus.OK
        page = response.get_data(as_text=True)
        assert "does not match" in page
        assert f"You can try {5 - attempt} more time" in page
        # The message names nothing about the patient.
        for secret in ("Zelda", "Quill", DOB, "1990"):
            assert secret not in page
    response = client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"})
    assert response.status_code == HTTPStatus.LOCKED
    page = response.get_data(as_text=True)
    assert "This link is locked" in page
    assert PHONE in page
    # Locked means locked: even the right date, and a plain visit, get the same page.
    assert client.post(f"/i/{token}", data={"date_of_birth": DOB}).status_code == 423
    assert client.get(f"/i/{token}").status_code == 423
    with app.app_context():
        link = db.session.execute(sa.select(IntakeLink)).scalar_one()
        assert link.failed_attempts == 5
        assert link.locked_at is not None
        assert _intake(appointment_id).status is IntakeStatus.NOT_STARTED
        actions = _actions()
        assert actions.count(Action.IDENTITY_FAILED.value) == 5
        assert actions.count(Action.LINK_LOCKED.value) == 1


def test_a_correct_date_resets_the_count(app, client, client_for):
    _appointment_id, token = booked(app)
    for _ in range(4):
        client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"})
    assert confirm(client, token).status_code == HTTPStatus.SEE_OTHER
    other = client_for()
    for _ in range(4):
        assert other.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"}).status_code == 200


def test_a_new_link_unlocks_and_the_old_one_stops_working(app, client, client_for):
    appointment_id, token = booked(app)
    for _ in range(5):
        client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"})
    with app.app_context():
        _link, new_token = issue_link(appointment_id)
        db.session.commit()
    assert client.get(f"/i/{token}").status_code == HTTPStatus.GONE
    assert confirm(client_for(), new_token).status_code == HTTPStatus.SEE_OTHER


def test_unknown_links_get_404_with_no_hint(app, client):
    _appointment_id, token = booked(app)
    with app.app_context():
        audit_before = _actions()
    for bad in ("nope", token[:-1] + ("A" if token[-1] != "A" else "B"), "x" * 300):
        for response in (
            client.get(f"/i/{bad}"),
            client.post(f"/i/{bad}", data={"date_of_birth": DOB}),
        ):
            assert response.status_code == HTTPStatus.NOT_FOUND
            page = response.get_data(as_text=True)
            assert "We could not find this link" in page
            assert "Traceback" not in page
    with app.app_context():
        assert _actions() == audit_before


def test_expired_links_get_410(app, client):
    with app.app_context():
        appointment, token = make_appointment(starts_in=dt.timedelta(hours=1))
        appointment_id = appointment.id
        grace = dt.timedelta(hours=app.config["INTAKE_LINK_GRACE_HOURS"])
        db.session.get(Appointment, appointment_id).starts_at -= grace + dt.timedelta(hours=1)
        db.session.commit()
    for response in (
        client.get(f"/i/{token}"),
        client.post(f"/i/{token}", data={"date_of_birth": DOB}),
    ):
        assert response.status_code == HTTPStatus.GONE
        assert "This link has expired" in response.get_data(as_text=True)


def test_within_the_grace_period_the_link_still_works(app, client):
    with app.app_context():
        appointment, token = make_appointment(starts_in=dt.timedelta(hours=1))
        appointment_id = appointment.id
        db.session.get(Appointment, appointment_id).starts_at -= dt.timedelta(hours=1, minutes=30)
        db.session.commit()
    assert confirm(client, token).status_code == HTTPStatus.SEE_OTHER


def test_revoked_links_get_410(app, client):
    with app.app_context():
        appointment, token = make_appointment()
        appointment_id = appointment.id
        issue_link(appointment_id)
        db.session.commit()
    for response in (
        client.get(f"/i/{token}"),
        client.post(f"/i/{token}", data={"date_of_birth": DOB}),
    ):
        assert response.status_code == HTTPStatus.GONE
        assert "This link has been replaced" in response.get_data(as_text=True)


def test_an_unreadable_date_is_not_put_back_into_the_date_box(app, client):
    _id, token = booked(app)
    client.get(f"/i/{token}")
    page = client.post(f"/i/{token}", data={"date_of_birth": "not-a-date"}).get_data(as_text=True)
    assert 'value="not-a-date"' not in page
    assert 'name="date_of_birth-day" value=""' in page
    # A real (wrong) date is put back into the boxes.
    page = client.post(f"/i/{token}", data={"date_of_birth": "1990-01-02"}).get_data(as_text=True)
    assert 'name="date_of_birth-day" value="2"' in page
    assert 'name="date_of_birth-month" value="1"' in page
    assert 'name="date_of_birth-year" value="1990"' in page
