"""Helpers that walk the patient flow through the Flask test client, as a browser would."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Flask
from flask.testing import FlaskClient
from werkzeug.test import TestResponse

from intake.screening import AFTERCARE, CURRENT, STEPS
from tests.conftest import all_no, make_appointment

DOB = "1990-05-17"
NAME = "Robin Example"


def confirm(client: FlaskClient, token: str, dob: str = DOB) -> TestResponse:
    """Open the link and send the date of birth; return the POST's response."""
    client.get(f"/i/{token}")
    return client.post(f"/i/{token}", data={"date_of_birth": dob})


def step_values(step_id: str, answers: Mapping[str, str]) -> dict[str, str]:
    ids = {q.id for q in CURRENT.questions_for_step(step_id)} | {
        q.details_field for q in CURRENT.questions_for_step(step_id)
    }
    return {k: v for k, v in answers.items() if k in ids}


def answer_steps(client: FlaskClient, answers: Mapping[str, str]) -> TestResponse:
    """Send every step in order; return the last response."""
    response = None
    for step in STEPS:
        response = client.post(f"/intake/step/{step.id}", data=step_values(step.id, answers))
        assert response.status_code == 303, response.get_data(as_text=True)
    assert response is not None
    return response


def aftercare_form(client: FlaskClient, name: str = NAME) -> dict[str, str]:
    """Return a complete acknowledgment, with the text hash the page carries."""
    page = client.get("/intake/aftercare").get_data(as_text=True)
    marker = 'name="text_hash" value="'
    start = page.index(marker) + len(marker)
    text_hash = page[start : page.index('"', start)]
    data = {item.field: "yes" for item in AFTERCARE}
    data.update(signature_name=name, text_hash=text_hash)
    return data


def complete(
    client: FlaskClient, token: str, answers: Mapping[str, str] | None = None
) -> TestResponse:
    """Walk the whole flow; return the response to the acknowledgment POST."""
    assert confirm(client, token).status_code == 303
    answer_steps(client, answers if answers is not None else all_no())
    return client.post("/intake/aftercare", data=aftercare_form(client))


def booked(app: Flask, **kwargs: Any) -> tuple[int, str]:
    """Book an appointment (see ``make_appointment``); return its id and link token."""
    with app.app_context():
        appointment, token = make_appointment(**kwargs)
        return appointment.id, token
