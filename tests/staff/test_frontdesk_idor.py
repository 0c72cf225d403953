"""The front desk never gets screening answers or flags, whatever id it puts in any URL."""

from __future__ import annotations

import io
from http import HTTPStatus

import pytest
from flask import url_for
from pypdf import PdfReader

from intake.models import Role
from tests.conftest import make_user
from tests.staff.conftest import login_as, make_submitted
from tests.staff.route_table import routes

pytestmark = pytest.mark.usefixtures("app_ctx")

SECRET = "secret-detail-7f3a"
GET_ROUTES = [r for r in routes(("GET",)) if r.method == "GET"]


def test_no_get_route_shows_the_front_desk_an_answer_or_a_flag(app, client):
    appointment, intake = make_submitted(
        {"numbing_allergy": "yes", "numbing_allergy_details": SECRET}
    )
    login_as(client, make_user(Role.FRONT_DESK))
    # Every id a guess could hit: this appointment's, its intake's, and their neighbours.
    ids = sorted({appointment.id, intake.id, appointment.id + 1, intake.id + 1, 1})
    checked = pdfs = 0
    for route in GET_ROUTES:
        rule = next(r for r in app.url_map.iter_rules(route.endpoint) if r.rule == route.rule)
        names = [n for n in rule.arguments if n.endswith("_id")]
        if not names or len(rule.arguments) != len(names):
            continue
        for value in ids:
            with app.test_request_context():
                url = url_for(route.endpoint, **dict.fromkeys(names, value))
            response = client.get(url)
            body = response.get_data()
            if response.mimetype == "application/pdf":  # compressed: read its text
                reader = PdfReader(io.BytesIO(body))
                body = "".join(page.extract_text() for page in reader.pages).encode()
                pdfs += 1
            assert response.status_code < 500, url
            assert SECRET.encode() not in body, url
            assert b"NUMBING_ALLERGY" not in body and b"Reaction to numbing cream" not in body, url
            checked += 1
    assert checked >= 5 * len(ids)  # review, front desk, API and admin pages were all tried
    assert pdfs == 1  # the signed appointment's acknowledgment was read as text


def test_guessing_ids_gets_a_clinician_no_intake_that_is_not_submitted(app, client):
    from tests.conftest import make_appointment

    appointment, _ = make_appointment()
    intake_id = appointment.intake.id
    login_as(client, make_user(Role.CLINICIAN))
    assert client.get(f"/review/intakes/{intake_id}").status_code == HTTPStatus.NOT_FOUND
    assert client.get(f"/api/v1/appointments/{appointment.id}/intake").get_json()["answers"] == {}
