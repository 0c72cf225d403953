"""A 429 is worded for whoever hit the limit: a patient, staff, or an API client (JSON).

Each answer carries ``Retry-After``; the patient's page gives the clinic's
phone and says nothing of admins; the staff page says how long to wait and how
an admin unlocks an account, and nothing of calling the clinic.
"""

from __future__ import annotations

from http import HTTPStatus

import pytest
from flask import Flask

from intake.errors import Audience, audience, too_many_requests
from intake.models import Role
from intake.phone import tel_uri, unbroken
from tests.conftest import make_user
from tests.staff.conftest import sign_in

pytestmark = pytest.mark.usefixtures("app_ctx")

WRONG = "this is not the password at all"


def retry_after(response) -> int:
    value = int(response.headers["Retry-After"])
    assert value > 0
    return value


def test_staff_signing_in_get_staff_wording_with_the_wait_and_the_unlock_command(
    app: Flask, client_for
):
    user = make_user(Role.CLINICIAN)
    for _ in range(app.config["INTAKE_SIGN_IN_MAX_FAILURES"]):
        sign_in(client_for(), user.email, WRONG)

    response = sign_in(client_for(), user.email)

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.mimetype == "text/html"
    seconds = retry_after(response)
    assert seconds <= app.config["INTAKE_SIGN_IN_WINDOW_SECONDS"]
    page = response.get_data(as_text=True)
    minutes = -(-seconds // 60)
    assert f"Wait {minutes} minutes and try again." in page
    assert "flask --app wsgi users unlock EMAIL" in page
    assert unbroken(app.config["INTAKE_CLINIC_PHONE"]) not in page
    assert "call" not in page.lower()
    assert user.email not in page


def test_patients_get_calm_wording_with_the_clinics_phone(app: Flask, client):
    for i in range(30):
        client.get(f"/i/unknown-{i}")

    response = client.get("/i/unknown-last")

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    retry_after(response)
    page = response.get_data(as_text=True)
    assert "Please wait a moment" in page
    assert "Anything you have already saved is kept." in page
    # Shown unbroken (no-break spaces) and dialable, as on every patient page.
    assert unbroken(app.config["INTAKE_CLINIC_PHONE"]) in page
    assert f'href="{tel_uri(app.config["INTAKE_CLINIC_PHONE"])}"' in page
    assert "unlock" not in page and "admin" not in page.lower()


def test_a_script_signing_in_with_json_gets_json(app: Flask, client_for):
    user = make_user(Role.FRONT_DESK)
    for _ in range(app.config["INTAKE_SIGN_IN_MAX_FAILURES"]):
        client_for().post("/login", json={"email": user.email, "password": WRONG})

    response = client_for().post("/login", json={"email": user.email, "password": WRONG})

    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.is_json
    body = response.get_json()
    assert body["error"] == "too_many_requests"
    assert body["retry_after"] == retry_after(response)
    assert "Try again in" in body["message"]


@pytest.mark.parametrize(
    ("path", "headers", "expected"),
    [
        ("/api/v1/appointments/1/intake", {}, Audience.API),
        ("/api/v1/no-such-thing", {"Accept": "text/html"}, Audience.API),
        ("/login", {"Accept": "application/json"}, Audience.API),
        ("/login", {"Accept": "text/html,*/*"}, Audience.STAFF),
        ("/review/", {}, Audience.STAFF),
        ("/i/some-token", {}, Audience.PATIENT),
        ("/intake/step/skin", {}, Audience.PATIENT),
    ],
)
def test_each_route_has_its_audience(app: Flask, path, headers, expected):
    with app.test_request_context(path, headers=headers):
        assert audience() is expected


def test_the_api_answer_is_json_with_retry_after(app: Flask):
    with app.test_request_context("/api/v1/appointments/1/intake"):
        response = too_many_requests(120)
    assert response.status_code == HTTPStatus.TOO_MANY_REQUESTS
    assert response.headers["Retry-After"] == "120"
    assert response.get_json() == {
        "error": "too_many_requests",
        "message": "Too many attempts. Try again in 2 minutes.",
        "retry_after": 120,
    }
