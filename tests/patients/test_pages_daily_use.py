"""Issue 13 on the patient side: the copy, the clinic phone, meta descriptions, the draft scope."""

from __future__ import annotations

import html
import re
from http import HTTPStatus
from zoneinfo import ZoneInfo

import pytest
import sqlalchemy as sa
from flask import render_template

from intake.extensions import db
from intake.frontdesk import services
from intake.models import Appointment, Role
from intake.phone import tel_uri, unbroken
from intake.screening import STEPS, aftercare_hash
from tests.conftest import all_no, make_user
from tests.patients.conftest import (
    DOB,
    NAME,
    aftercare_form,
    answer_steps,
    booked,
    complete,
    confirm,
)
from tests.staff.conftest import login_as, make_submitted

PHONE = "+44 20 7946 0958"
SHOWN = "+44\u00a020\u00a07946\u00a00958"
CLINIC = "Riverside Skin Clinic"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {
        "INTAKE_CLINIC_PHONE": PHONE,
        "INTAKE_CLINIC_NAME": CLINIC,
        # Far from UTC, so a time shown in UTC by mistake would not match.
        "INTAKE_TIMEZONE": "Pacific/Auckland",
    }


def descriptions(page: str) -> list[str]:
    return [
        html.unescape(match)
        for match in re.findall(r'<meta name="description" content="([^"]*)">', page)
    ]


def phones(page: str) -> list[str]:
    """Every place the page shows the clinic's number, as written in the HTML."""
    return re.findall(r"<(?:a|span) class=\"tel\"[^>]*>([^<]*)</", page)


# -- The clinic phone --------------------------------------------------------------


@pytest.mark.parametrize(
    ("number", "shown", "uri"),
    [
        ("+1 555 0100", "+1\u00a0555\u00a00100", "tel:+15550100"),
        ("+44  20 7946 0958", "+44\u00a020\u00a07946\u00a00958", "tel:+442079460958"),
        ("(020) 7946-0958", "(020)\u00a07946-0958", "tel:02079460958"),
        ("0800 123 456", "0800\u00a0123\u00a0456", "tel:0800123456"),
    ],
)
def test_the_number_is_unbroken_and_dialable(number, shown, uri):
    assert unbroken(number) == shown
    assert tel_uri(number) == uri


def test_every_patient_page_shows_the_phone_unbroken_as_a_tel_link(app, client):
    _id, token = booked(app)
    pages = {"identity": client.get(f"/i/{token}")}
    confirm(client, token)
    pages["step"] = client.get(f"/intake/step/{STEPS[0].id}")
    answer_steps(client, all_no())
    pages["aftercare"] = client.get("/intake/aftercare")
    complete_from_aftercare(client)
    pages["done"] = client.get("/intake/done")
    pages["copy"] = client.get("/intake/copy")
    pages["unknown"] = client.get("/i/not-a-real-link")
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        shown = phones(page)
        assert shown, name
        assert set(shown) == {SHOWN}, name
        assert PHONE not in page, name  # never with breakable spaces
        assert 'href="tel:+442079460958"' in page, name


def test_error_pages_show_the_phone_unbroken_too(client):
    page = client.get("/no-such-page").get_data(as_text=True)
    assert phones(page) == [SHOWN]
    assert 'href="tel:+442079460958"' in page


def test_the_printed_acknowledgment_shows_the_phone_unbroken_and_the_pdf_as_text(app, client):
    with app.app_context():
        login_as(client, make_user(Role.FRONT_DESK))
        appointment, _intake = make_submitted()
        appointment_id = appointment.id
    page = client.get(f"/frontdesk/appointments/{appointment_id}/acknowledgment")
    text = page.get_data(as_text=True)
    assert set(phones(text)) == {SHOWN}
    assert 'href="tel:+442079460958"' in text
    # The PDF renders the same document for paper: no link, still unbroken.
    with app.test_request_context():
        signed = services.signed_acknowledgment(db.session.get(Appointment, appointment_id))
        document = render_template("frontdesk/acknowledgment_pdf.html", signed=signed)
    assert "tel:" not in document
    assert set(phones(document)) == {SHOWN}


# -- Meta description ----------------------------------------------------------------


def test_every_page_has_one_meta_description_that_names_no_one(app, client):
    _id, token = booked(app, first_name="Zelda", last_name="Quill")
    pages = {
        "front door": client.get("/"),
        "sign-in": client.get("/login"),
        "not found": client.get("/no-such-page"),
        "identity": client.get(f"/i/{token}"),
    }
    confirm(client, token)
    pages["step"] = client.get(f"/intake/step/{STEPS[0].id}")
    pages["review"] = client.get("/intake/check")
    with app.app_context():
        login_as(client_staff := app.test_client(), make_user(Role.ADMIN))
    pages["staff"] = client_staff.get("/frontdesk/")
    for name, response in pages.items():
        page = response.get_data(as_text=True)
        found = descriptions(page)
        assert len(found) == 1, name
        (text,) = found
        assert len(text) > 20, name
        for secret in ("Zelda", "Quill", DOB, token):
            assert secret not in text, name
    patient = descriptions(pages["step"].get_data(as_text=True))[0]
    assert patient == f"Short questions to answer before your treatment at {CLINIC}."
    assert descriptions(pages["front door"].get_data(as_text=True)) == [
        f"Staff sign-in for {CLINIC}."
    ]


# -- The patient's copy --------------------------------------------------------------


def test_the_copy_has_a_plain_reference_the_clinic_and_the_time_in_the_clinics_zone(app, client):
    appointment_id, token = booked(app)
    complete(client, token)
    response = client.get("/intake/copy")
    assert response.status_code == HTTPStatus.OK
    page = response.get_data(as_text=True)
    visible = " ".join(html.unescape(re.sub(r"<[^>]+>", " ", page)).split())

    assert "sha256:" not in page
    digits = aftercare_hash().removeprefix("sha256:")
    groups = " ".join(digits[i : i + 8] for i in range(0, 64, 8))
    assert f"Reference for the clinic: {groups}" in visible
    assert "exact text you agreed to" in visible

    # The Print button is there for the script to show; without it, it stays hidden.
    assert re.search(r"<button type=\"button\" class=\"print-button\" data-print hidden>", page)
    assert f"{CLINIC} · {' '.join(SHOWN.split())}" in visible

    with app.app_context():
        starts = db.session.get(Appointment, appointment_id).starts_at
    local = starts.astimezone(ZoneInfo("Pacific/Auckland"))
    hour = local.strftime("%-I:%M %p")
    assert f"{local.strftime('%A')}, {local.strftime('%B')} {local.day}, {local.year}" in visible
    assert hour in visible
    assert "time at the clinic" in visible
    assert f"by {NAME} on" in visible


def test_the_copy_before_signing_sends_the_patient_on(app, client):
    _id, token = booked(app)
    confirm(client, token)
    response = client.get("/intake/copy")
    assert response.status_code == HTTPStatus.SEE_OTHER


# -- The draft scope -------------------------------------------------------------------


def test_a_step_names_its_draft_by_an_opaque_scope_per_session(app, client, client_for):
    _id, token = booked(app)
    confirm(client, token)
    first = client.get(f"/intake/step/{STEPS[0].id}").get_data(as_text=True)
    again = client.get(f"/intake/step/{STEPS[0].id}").get_data(as_text=True)
    other = client_for()
    confirm(other, token)
    second = other.get(f"/intake/step/{STEPS[0].id}").get_data(as_text=True)

    def scope(page: str) -> str:
        match = re.search(
            rf'<form method="post" novalidate data-draft="{STEPS[0].id}" '
            r'data-draft-scope="([0-9a-f]{16})">',
            page,
        )
        assert match, "the step form names its draft"
        return match.group(1)

    assert scope(first) == scope(again)
    assert scope(first) != scope(second)  # the next patient on a tablet gets none of it
    with app.app_context():
        rows = db.session.execute(sa.text("SELECT id FROM patient_sessions")).scalars().all()
    for page in (first, second):
        assert token not in scope(page)
        assert scope(page) not in {str(row) for row in rows}


def test_pages_that_end_the_flow_clear_every_draft(app, client):
    _id, token = booked(app)
    complete(client, token)
    assert "data-draft-clear" in client.get("/intake/done").get_data(as_text=True)
    finished = client.post("/intake/finish", follow_redirects=True)
    assert "data-draft-clear" in finished.get_data(as_text=True)
    assert "data-draft-clear" in client.get("/intake/step/area").get_data(as_text=True)


# -- helpers -------------------------------------------------------------------------


def complete_from_aftercare(client):
    response = client.post("/intake/aftercare", data=aftercare_form(client))
    assert response.status_code == HTTPStatus.SEE_OTHER
