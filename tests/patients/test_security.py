"""The patient's cookie, headers, CSRF, rate limits, and what never reaches logs or audit."""

from __future__ import annotations

import logging
import re
import time
from http import HTTPStatus
from typing import Any

import pytest
import sqlalchemy as sa

from intake.extensions import db
from intake.links import issue as issue_link
from intake.models import Appointment, AuditEvent
from intake.patients.services import SESSION_KEY
from intake.screening import STEPS
from tests.conftest import all_no, csrf_token_from
from tests.patients.conftest import DOB, NAME, answer_steps, booked, complete, confirm

PATIENT_PAGES = ("/intake/", "/intake/step/skin", "/intake/check", "/intake/aftercare")


def test_patient_pages_need_a_confirmed_date_of_birth(app, client):
    booked(app)
    for path in (*PATIENT_PAGES, "/intake/done", "/intake/copy"):
        response = client.get(path)
        assert response.status_code == HTTPStatus.FORBIDDEN
        assert "Please open your link again" in response.get_data(as_text=True)
    assert client.post("/intake/step/skin", data=all_no()).status_code == 403


def test_another_link_in_the_same_browser_asks_again_and_never_crosses(app, client):
    _a, token_a = booked(app, first_name="Ada", dob="1980-01-02")
    b_id, token_b = booked(app, first_name="Bea", dob="1970-03-04")
    confirm(client, token_a, dob="1980-01-02")
    client.post("/intake/step/area", data={"active_acne": "yes"})
    # Patient B's link in the browser that confirmed A: B's link asks for B's date.
    response = client.get(f"/i/{token_b}")
    assert response.status_code == HTTPStatus.OK
    assert 'name="date_of_birth-day"' in response.get_data(as_text=True)
    # A's date of birth does not open B's intake.
    response = client.post(f"/i/{token_b}", data={"date_of_birth": "1980-01-02"})
    assert "does not match" in response.get_data(as_text=True)
    # Still A's intake on the patient pages, never B's.
    page = client.get("/intake/step/area").get_data(as_text=True)
    assert 'id="active_acne-yes" name="active_acne" value="yes" checked' in page
    # Confirming B switches the browser to B, whose intake is empty.
    confirm(client, token_b, dob="1970-03-04")
    page = client.get("/intake/step/area").get_data(as_text=True)
    assert "checked" not in page
    with app.app_context():
        appointment_b = db.session.get(Appointment, b_id)
        assert appointment_b.intake.answers == {}


def test_a_forged_cookie_for_another_intake_is_refused(app, client):
    _a, token_a = booked(app, first_name="Ada", dob="1980-01-02")
    b_id, _token_b = booked(app, first_name="Bea", dob="1970-03-04")
    confirm(client, token_a, dob="1980-01-02")
    # The cookie names its session by a random key; any other key (guessed,
    # or made up by someone holding the signing key) opens nothing.
    assert client.get("/intake/step/skin").status_code == HTTPStatus.OK
    with client.session_transaction() as session:
        session[SESSION_KEY] = session[SESSION_KEY] | {"key": f"intake-{b_id}"}
    assert client.get("/intake/step/skin").status_code == HTTPStatus.FORBIDDEN


def test_a_reissued_link_ends_the_old_cookie(app, client, client_for):
    appointment_id, token = booked(app)
    confirm(client, token)
    with app.app_context():
        _link, new_token = issue_link(appointment_id, reason="The patient lost the message.")
        db.session.commit()
    response = client.get("/intake/step/skin")
    assert response.status_code == HTTPStatus.GONE
    assert "replaced" in response.get_data(as_text=True)
    # The new link in the same browser asks for the date of birth again.
    assert client.get(f"/i/{new_token}").status_code == HTTPStatus.OK
    assert confirm(client, new_token).status_code == HTTPStatus.SEE_OTHER


def test_the_cookie_is_short_lived(app, client):
    _id, token = booked(app)
    confirm(client, token)
    with client.session_transaction() as session:
        binding = session[SESSION_KEY]
        lifetime = binding["until"] - time.time()
        assert 0 < lifetime <= app.config["INTAKE_PATIENT_SESSION_MINUTES"] * 60
        session[SESSION_KEY] = binding | {"until": int(time.time()) - 1}
    assert client.get("/intake/step/skin").status_code == HTTPStatus.FORBIDDEN
    # Opening the link again asks for the date of birth again, and resumes.
    assert client.get(f"/i/{token}").status_code == HTTPStatus.OK


def test_the_cookie_is_httponly_and_samesite(app, client):
    _id, token = booked(app)
    response = confirm(client, token)
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie
    assert "SameSite=Lax" in cookie


def test_patient_pages_send_strict_headers(app, client):
    _id, token = booked(app)
    responses = [client.get(f"/i/{token}"), confirm(client, token)]
    responses += [client.get(path) for path in PATIENT_PAGES]
    for response in responses:
        headers = response.headers
        assert headers["Cache-Control"] == "no-store"
        assert headers["Referrer-Policy"] == "no-referrer"
        csp = headers["Content-Security-Policy"]
        assert "script-src 'self'" in csp
        assert "unsafe-inline" not in csp
        if "Location" in headers:
            assert token not in headers["Location"]


def test_pages_declare_their_language_and_load_nothing_from_elsewhere(app, client):
    _id, token = booked(app)
    pages = [client.get(f"/i/{token}").get_data(as_text=True)]
    confirm(client, token)
    pages += [client.get("/intake/step/skin").get_data(as_text=True)]
    for page in pages:
        assert '<html lang="en">' in page
        assert "http://" not in page.replace('"http://localhost', "")
        assert "https://" not in page
        # Only the site's own deferred script: nothing inline, nothing from elsewhere.
        assert re.findall(r"<script[^>]*>", page) == ['<script src="/static/js/patient.js" defer>']


def test_audit_and_logs_hold_no_answers_names_dates_or_tokens(app, client, caplog):
    caplog.set_level(logging.DEBUG)
    _id, token = booked(app, first_name="Zelda", last_name="Quill")
    client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"})
    answers = all_no() | {"blood_thinners": "yes", "blood_thinners_details": "warfarin 5mg"}
    complete(client, token, answers)
    client.get("/intake/copy")
    secrets = ("Zelda", "Quill", DOB, "1991-01-01", token, "warfarin", NAME)
    with app.app_context():
        events = list(db.session.execute(sa.select(AuditEvent)).scalars())
        actions = {e.action for e in events}
        for event in events:
            text = repr((event.action, event.target_type, event.detail))
            for secret in secrets:
                assert secret not in text
            assert "yes" not in str(event.detail.values())
    assert {
        "link.opened",
        "identity.failed",
        "identity.confirmed",
        "intake.step_saved",
        "intake.submitted",
        "acknowledgment.viewed_by_patient",
    } <= actions
    for record in caplog.records:
        for secret in secrets:
            assert secret not in record.getMessage()


def test_the_date_of_birth_step_is_rate_limited_per_address(app, client):
    tokens = [booked(app, first_name=f"P{i}")[1] for i in range(3)]
    statuses = [
        client.post(f"/i/{token}", data={"date_of_birth": "1991-01-01"}).status_code
        for token in tokens
        for _ in range(4)
    ]
    assert statuses[:10] == [HTTPStatus.OK] * 10
    assert statuses[10:] == [HTTPStatus.TOO_MANY_REQUESTS] * 2
    # Another address is not affected.
    other = client.post(
        f"/i/{tokens[2]}",
        data={"date_of_birth": DOB},
        environ_base={"REMOTE_ADDR": "10.0.0.2"},
    )
    assert other.status_code == HTTPStatus.SEE_OTHER


def test_link_pages_are_rate_limited_per_address(app, client):
    statuses = {client.get(f"/i/unknown-{i}").status_code for i in range(30)}
    assert statuses == {HTTPStatus.NOT_FOUND}
    response = client.get("/i/unknown-last")
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    # The patient's wording (tests/test_rate_limit_audiences.py has each audience's).
    assert "Please wait a moment" in response.get_data(as_text=True)


class TestWithCsrf:
    """CSRF stays on here, as in production: every patient form carries its token."""

    @pytest.fixture
    def app_config(self) -> dict[str, Any]:
        return {"WTF_CSRF_ENABLED": True}

    def test_posts_without_the_token_are_refused(self, app, client):
        _id, token = booked(app)
        client.get(f"/i/{token}")
        response = client.post(f"/i/{token}", data={"date_of_birth": DOB})
        assert response.status_code == HTTPStatus.BAD_REQUEST
        assert "Nothing was saved" in response.get_data(as_text=True)

    def test_the_whole_flow_with_tokens(self, app, client):
        _id, token = booked(app)
        page = client.get(f"/i/{token}").get_data(as_text=True)
        response = client.post(
            f"/i/{token}", data={"date_of_birth": DOB, "csrf_token": csrf_token_from(page)}
        )
        assert response.status_code == HTTPStatus.SEE_OTHER
        answers = all_no()
        for step in (s.id for s in STEPS):
            page = client.get(f"/intake/step/{step}").get_data(as_text=True)
            data = {k: v for k, v in answers.items() if f'name="{k}"' in page}
            data["csrf_token"] = csrf_token_from(page)
            assert client.post(f"/intake/step/{step}", data=data).status_code == 303
        page = client.get("/intake/aftercare").get_data(as_text=True)
        data = {f"ack_{code}": "yes" for code in ("REDNESS", "ROUGHNESS", "MARKS")}
        data |= {"ack_BREAKOUTS": "yes", "ack_PINPOINT_BLEEDING": "yes", "ack_WHEN_TO_CALL": "yes"}
        marker = 'name="text_hash" value="'
        start = page.index(marker) + len(marker)
        data |= {
            "signature_name": NAME,
            "text_hash": page[start : page.index('"', start)],
            "csrf_token": csrf_token_from(page),
        }
        response = client.post("/intake/aftercare", data=data)
        assert response.headers["Location"] == "/intake/done"
        page = client.get("/intake/done").get_data(as_text=True)
        assert 'name="csrf_token"' in page
        assert client.post("/intake/finish", data={}).status_code == HTTPStatus.BAD_REQUEST
        finish = {"csrf_token": csrf_token_from(page)}
        assert client.post("/intake/finish", data=finish).status_code == 303


def test_answer_steps_helper_covers_every_question(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    assert client.get("/intake/").headers["Location"] == "/intake/check"
