"""The front desk runs the day without ever seeing what a patient answered.

Every GET route, the PDF and the API answer are requested as the front desk
for an appointment whose intake raised flags, with details text typed by the
patient; no body may hold an answer's details, a flag (code or title), the
question a "yes" answered, or the date of birth the front desk typed.
"""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
from flask import Flask, url_for
from pypdf import PdfReader

from intake.models import Role
from intake.screening import CURRENT
from tests.conftest import make_user
from tests.staff.conftest import login_as, make_submitted
from tests.staff.route_table import routes

pytestmark = pytest.mark.usefixtures("app_ctx")

DOB = "1961-07-23"
DETAILS = "Roaccutane stopped in September, Dr Quill"
YES = {"active_acne": "yes", "active_acne_details": DETAILS, "bleeding_disorder": "yes"}
BLANK_FORM = "/api/v1/questionnaire"
QUESTION_TEXTS = {q.text for q in CURRENT.questions}


def _secrets(intake) -> list[str]:
    found = [DETAILS, DOB, "23/07/1961", "23 Jul 1961"]
    for flag in intake.flags:
        found += [flag["code"], flag["title"]]
    found += [CURRENT.questions_by_id[q].text for q in YES if q in CURRENT.questions_by_id]
    return found


def _urls(app: Flask, appointment_id: int, intake_id: int) -> list[str]:
    urls = []
    for route in routes(("GET",)):
        if route.endpoint in {"static"} or route.rule.startswith("/i/"):
            continue
        rule = next(r for r in app.url_map.iter_rules(route.endpoint) if r.rule == route.rule)
        values: dict[str, object] = {}
        for name in rule.arguments:
            values[name] = {"appointment_id": appointment_id, "intake_id": intake_id}.get(name, 1)
        with app.test_request_context():
            urls.append(url_for(route.endpoint, **values))
    return urls


@pytest.mark.parametrize("role", [Role.FRONT_DESK])
def test_no_page_pdf_or_api_answer_shows_the_front_desk_answers_flags_or_birth_date(
    app: Flask, client, role: Role
):
    appointment, intake = make_submitted(YES, dob=DOB)
    secrets = _secrets(intake)
    assert intake.flags, "the intake must have raised flags for this test to mean anything"
    login_as(client, make_user(role))
    urls = _urls(app, appointment.id, intake.id)
    urls += [
        f"/frontdesk/search?q={DOB}",
        "/frontdesk/search?q=Robin",
        f"/frontdesk/?date={appointment.starts_at.date().isoformat()}",
    ]
    seen = 0
    for url in urls:
        response = client.get(url)
        if response.status_code != HTTPStatus.OK:
            continue
        seen += 1
        if response.mimetype == "application/pdf":
            import io

            body = "\n".join(
                page.extract_text() for page in PdfReader(io.BytesIO(response.data)).pages
            )
        else:
            # The search box keeps what was typed into it: that is not shown back.
            body = response.get_data(as_text=True).replace(f'value="{DOB}"', "")
        shown = secrets
        if url.startswith(BLANK_FORM):
            # The blank questionnaire (FHIR export) lists every question for
            # every patient alike: its wording tells nothing about this one.
            shown = [s for s in secrets if s not in QUESTION_TEXTS]
        for secret in shown:
            assert secret not in body, f"{url} shows {secret!r}"
    # The pages the front desk uses were among those read.
    assert seen >= 6


def test_the_front_desk_still_finds_a_patient_by_birth_date_without_seeing_it(app: Flask, client):
    appointment, _intake = make_submitted(YES, dob=DOB)
    login_as(client, make_user(Role.FRONT_DESK))
    page = client.get(f"/frontdesk/search?q={DOB}").get_data(as_text=True)
    assert re.search(rf'/frontdesk/appointments/{appointment.id}"', page)
    assert DOB not in page.replace(f'value="{DOB}"', "")
