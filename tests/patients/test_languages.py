"""Patient pages in English and Spanish: chosen, switched, kept, signed and printed.

The language comes from the switch (kept in the patient's session) or the
browser's Accept-Language; staff pages stay English whatever the browser asks.
"""

from __future__ import annotations

import html
import io
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from pypdf import PdfReader

from intake import intakes
from intake.extensions import db
from intake.models import Acknowledgment, Appointment, IntakeStatus, Role, utcnow
from intake.screening import CURRENT, RULESETS, aftercare_text, text_hash
from intake.wording import signed_wording
from tests.conftest import all_no, make_user
from tests.patients.conftest import aftercare_form, answer_steps, booked, confirm, step_values
from tests.staff.conftest import login_as

ES = {"Accept-Language": "es-MX,es;q=0.9,en;q=0.5"}
SECOND = RULESETS["rs-b12fc24cc8bf"]


def visible(response) -> str:
    text = re.sub(r"<[^>]+>", " ", response.get_data(as_text=True))
    return " ".join(html.unescape(text).split())


def html_lang(response) -> str:
    match = re.search(r'<html lang="([^"]+)"', response.get_data(as_text=True))
    assert match is not None
    return match.group(1)


def switch(client, locale: str, next_path: str, **headers: str):
    client.get(next_path, headers=headers)  # a page, for its CSRF token in the session
    return client.post("/language", data={"locale": locale, "next": next_path}, headers=headers)


def test_accept_language_spanish_gets_spanish_patient_pages(app, client):
    _id, token = booked(app)
    page = client.get(f"/i/{token}", headers=ES)
    assert page.status_code == HTTPStatus.OK
    assert html_lang(page) == "es"
    assert "Confirme su fecha de nacimiento" in visible(page)
    assert "Día" in visible(page) and "Mes" in visible(page) and "Año" in visible(page)
    # The switch names each language in itself, with its lang attribute.
    body = page.get_data(as_text=True)
    assert 'lang="en">English</button>' in body
    assert 'lang="es" aria-current="true">Español</span>' in body
    client.post(f"/i/{token}", data={"date_of_birth": "1990-05-17"}, headers=ES)
    step = client.get("/intake/step/area", headers=ES)
    text = visible(step)
    assert html_lang(step) == "es"
    assert CURRENT.text(CURRENT.questions[0].text, "es") in text
    assert "La piel que se va a tratar" in text
    assert "Guardar y continuar" in text and "Paso 1 de 10" in text
    assert CURRENT.questions[0].text not in text


def test_an_english_browser_gets_english_and_the_switch_offers_spanish(app, client):
    _id, token = booked(app)
    page = client.get(f"/i/{token}", headers={"Accept-Language": "en-GB,en;q=0.8"})
    assert html_lang(page) == "en"
    assert "Confirm your date of birth" in visible(page)
    assert 'name="locale" value="es" lang="es"' in page.get_data(as_text=True)


def test_staff_pages_stay_english_for_a_spanish_browser(app, client):
    page = client.get("/login", headers=ES)
    assert html_lang(page) == "en"
    assert "Skip to content" in visible(page)
    assert 'name="locale"' not in page.get_data(as_text=True)


def test_the_switch_sticks_for_the_session_and_keeps_saved_answers(app, client):
    _id, token = booked(app)
    confirm(client, token)
    answers = all_no() | {"active_acne": "yes", "active_acne_details": "chin, two spots"}
    response = client.post("/intake/step/area", data=step_values("area", answers))
    assert response.status_code == HTTPStatus.SEE_OTHER
    switched = switch(client, "es", "/intake/step/area")
    assert switched.status_code == HTTPStatus.SEE_OTHER
    assert switched.headers["Location"] == "/intake/step/area"
    # No Accept-Language at all: the session's choice decides.
    page = client.get("/intake/step/area")
    assert html_lang(page) == "es"
    body = page.get_data(as_text=True)
    assert 'id="active_acne-yes" name="active_acne" value="yes" checked' in body
    assert "chin, two spots" in body
    # A Spanish choice outlasts an English browser, and back again.
    assert html_lang(client.get("/intake/check", headers={"Accept-Language": "en"})) == "es"
    switch(client, "en", "/intake/check", **ES)
    assert html_lang(client.get("/intake/check", headers=ES)) == "en"


@pytest.mark.parametrize(
    "target", ["https://evil.example/", "//evil.example/", "/login", "/\\evil", "", "/admin/users"]
)
def test_the_switch_returns_only_to_a_patient_page(app, client, target):
    _id, token = booked(app)
    confirm(client, token)
    response = switch(client, "es", target or "/intake/check")
    if target:
        response = client.post("/language", data={"locale": "es", "next": target})
    assert response.status_code == HTTPStatus.SEE_OTHER
    location = response.headers["Location"]
    assert location.startswith("/intake/") or location == "/intake/check"


def test_an_unknown_language_changes_nothing(app, client):
    _id, token = booked(app)
    confirm(client, token)
    switch(client, "fr", "/intake/check")
    assert html_lang(client.get("/intake/check")) == "en"


def test_the_switch_needs_its_csrf_token(app):
    app.config["WTF_CSRF_ENABLED"] = True
    client = app.test_client()
    _id, token = booked(app)
    client.get(f"/i/{token}")
    client.post("/language", data={"locale": "es", "next": f"/i/{token}"})
    assert html_lang(client.get(f"/i/{token}")) == "en"


def test_errors_a_patient_sees_are_in_spanish(app, client):
    _id, token = booked(app)
    page = client.post(
        f"/i/{token}",
        data={"date_of_birth-day": "31", "date_of_birth-month": "2", "date_of_birth-year": "1990"},
        headers=ES,
    )
    assert "La fecha de nacimiento debe ser una fecha real" in visible(page)
    confirm(client, token)
    page = client.post("/intake/step/area", data={}, headers=ES)
    text = visible(page)
    assert "Revise esta página, por favor" in text
    assert "Pregunta 1: Elija sí o no." in text
    missing = client.get("/intake/step/nowhere", headers=ES)
    assert missing.status_code == HTTPStatus.NOT_FOUND
    assert html_lang(missing) == "es"
    assert "No pudimos encontrar esa página" in visible(missing)
    assert 'name="locale" value="en"' in missing.get_data(as_text=True)
    unknown = client.get("/i/not-a-real-token", headers=ES)
    assert "No pudimos encontrar este enlace" in visible(unknown)


def test_signing_in_spanish_stores_the_language_and_the_hash_of_the_spanish_text(app, client):
    appointment_id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    switch(client, "es", "/intake/aftercare")
    page = client.get("/intake/aftercare")
    assert "Cuándo llamar a la clínica" in visible(page)
    data = aftercare_form(client)
    response = client.post("/intake/aftercare", data=data)
    assert response.headers["Location"] == "/intake/done"
    spanish = CURRENT.aftercare_shown("es")
    with app.app_context():
        ack = db.session.execute(sa.select(Acknowledgment)).scalar_one()
        assert ack.locale == "es"
        assert ack.text_hash == text_hash(aftercare_text(spanish)) != CURRENT.aftercare_hash
        signed = signed_wording(ack)
        assert signed.verified and signed.locale == "es" and signed.language == "Spanish"
    copy = client.get("/intake/copy")
    assert spanish[0][2] in visible(copy)
    # Read later in English, the copy still shows what was signed, marked Spanish.
    switch(client, "en", "/intake/copy")
    copy = client.get("/intake/copy")
    assert html_lang(copy) == "en"
    assert spanish[0][2] in visible(copy)
    assert '<section class="copy-item" lang="es">' in copy.get_data(as_text=True)
    # The front desk's print and the clinician's page show the Spanish text, named.
    staff = app.test_client()
    with app.app_context():
        login_as(staff, make_user(Role.FRONT_DESK))
    printed = staff.get(f"/frontdesk/appointments/{appointment_id}/acknowledgment", headers=ES)
    text = visible(printed)
    assert html_lang(printed) == "en"
    assert "Language signed in Spanish (es)" in text
    assert "It matches the wording printed above, in Spanish." in text
    for _code, title, body in spanish:
        assert title in text and body in text
    assert 'class="ack-items" lang="es"' in printed.get_data(as_text=True)
    with app.app_context():
        stored_hash = db.session.get(Appointment, appointment_id).intake.acknowledgment.text_hash
    assert stored_hash in text
    # The PDF too: the Spanish text, the language named, the hash.
    pdf = staff.get(f"/frontdesk/appointments/{appointment_id}/acknowledgment.pdf")
    assert pdf.status_code == HTTPStatus.OK
    reader = PdfReader(io.BytesIO(pdf.data))
    pdf_text = " ".join(" ".join(page.extract_text() for page in reader.pages).split())
    assert "Spanish (es)" in pdf_text
    assert spanish[-1][1] in pdf_text  # "Cuándo llamar a la clínica"
    assert stored_hash.removeprefix("sha256:")[:16] in pdf_text.replace(" ", "")
    # The clinician's page names it as well.
    clinician = app.test_client()
    with app.app_context():
        login_as(clinician, make_user(Role.CLINICIAN))
        intake_id = db.session.get(Appointment, appointment_id).intake.id
    review = visible(clinician.get(f"/review/intakes/{intake_id}"))
    assert "Shown and signed in Spanish:" in review
    assert spanish[0][2] in review


def test_the_aftercare_page_and_a_stale_hash_across_a_switch(app, client):
    # The English page was open, the patient switched to Spanish in another
    # tab, then sent the English page: its hash is not that of the Spanish
    # text now shown, so nothing is signed and the page asks to read again.
    appointment_id, token = booked(app)
    confirm(client, token)
    answer_steps(client, all_no())
    english = aftercare_form(client)
    switch(client, "es", "/intake/aftercare")
    response = client.post("/intake/aftercare", data=english)
    assert response.status_code == HTTPStatus.OK
    assert "El texto de esta página cambió mientras estaba abierta" in visible(response)
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).intake.acknowledgment is None


def test_an_intake_signed_under_the_second_set_verifies_and_reads_in_english(app, client):
    # The second set has no Spanish: a patient who signed under it (in
    # English, before languages were stored) gets their copy in English on a
    # Spanish page, marked so, and it still verifies.
    appointment_id, token = booked(app)
    with app.app_context():
        intake = db.session.get(Appointment, appointment_id).intake
        intakes.start(intake.id)
        db.session.flush()
        now = utcnow()
        intake.answers = {q.id: "no" for q in SECOND.questions}
        intake.flags = []
        intake.ruleset_version = SECOND.version
        intake.submitted_at = now
        intake.status = IntakeStatus.READY
        db.session.add(
            Acknowledgment(
                intake_id=intake.id,
                items=list(SECOND.aftercare_codes),
                text_hash=SECOND.aftercare_hash,
                signature_name="Robin Example",
                signed_at=now,
            )
        )
        db.session.commit()
        signed = signed_wording(db.session.get(Appointment, appointment_id).intake.acknowledgment)
        assert signed.verified and signed.locale == "en"
    assert SECOND.aftercare_shown("es") == SECOND.aftercare_shown("en")
    confirm(client, token)
    copy = client.get("/intake/copy", headers=ES)
    assert html_lang(copy) == "es"
    text = visible(copy)
    assert "Qué esperar después de su tratamiento" in text
    assert SECOND.aftercare[0].text in text
    assert '<section class="copy-item" lang="en">' in copy.get_data(as_text=True)
