"""The whole patient flow in Spanish in real Chromium, at a phone's width and a desktop's.

The browser asks for Spanish (Accept-Language); mid-flow the patient switches
to English and back without losing a choice not yet sent, signs in Spanish,
and the front desk's print shows the Spanish text with a hash that verifies.
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from intake.extensions import db
from intake.models import Appointment, Role
from intake.screening import CURRENT, aftercare_text, text_hash
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible, sign_in
from tests.conftest import make_appointment, make_user

pytestmark = pytest.mark.browser

DOB = "1990-05-17"
STEPS = CURRENT.steps
ES = "es"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True, "INTAKE_CLINIC_PHONE": "+1 555 0100"}


@pytest.fixture(params=["phone", "desktop"])
def spanish_page(request: pytest.FixtureRequest, browser: Browser) -> Iterator[Page]:
    """A browser whose Accept-Language asks for Latin-American Spanish."""
    if request.param == "phone":
        context = browser.new_context(
            viewport=PHONE, has_touch=True, is_mobile=True, locale="es-419"
        )
    else:
        context = browser.new_context(viewport=DESKTOP, locale="es-419")
    page = context.new_page()
    yield page
    context.close()


def es(text: str) -> str:
    return CURRENT.text(text, ES)


def html_lang(page: Page) -> str | None:
    return page.locator("html").get_attribute("lang")


def choose(page: Page, value: str) -> None:
    for choice in page.locator(f"label.choice:has(input[value='{value}'])").all():
        choice.click()


def test_the_whole_flow_in_spanish_with_a_switch_midway(
    app: Flask, live_server_url: str, spanish_page: Page, browser: Browser
):
    page = spanish_page
    with app.app_context():
        appointment, token = make_appointment()
        appointment_id = appointment.id
        desk = make_user(Role.FRONT_DESK).email

    page.goto(f"{live_server_url}/i/{token}")
    assert html_lang(page) == "es"
    expect(page.get_by_role("heading", level=1)).to_have_text("Sus preguntas antes del tratamiento")
    assert_accessible(page, "es-identity")
    page.get_by_label("Día", exact=True).fill("17")
    page.get_by_label("Mes", exact=True).fill("5")
    page.get_by_label("Año", exact=True).fill("1990")
    page.get_by_role("button", name="Continuar").click()
    page.wait_for_url(f"{live_server_url}/intake/step/area")

    for number, step in enumerate(STEPS, start=1):
        expect(page.get_by_role("heading", level=1)).to_have_text(es(step.title))
        expect(page.locator(".progress")).to_have_text(f"Paso {number} de {len(STEPS) + 2}")
        first = CURRENT.questions_for_step(step.id)[0]
        expect(page.locator("main")).to_contain_text(es(first.text))
        assert html_lang(page) == "es"
        assert_accessible(page, f"es-step-{step.id}", screenshot=False)
        choose(page, "no")
        if number == 3:
            # Not sent yet: a yes with a note, then English and back again.
            page.locator(f"label[for='{first.id}-yes']").click()
            page.locator(f"#{first.details_field}").fill("nota: desde 2019")
            page.get_by_role("button", name="English").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(step.title)
            assert html_lang(page) == "en"
            expect(page.locator(f"#{first.id}-yes")).to_be_checked()
            expect(page.locator(f"#{first.details_field}")).to_have_value("nota: desde 2019")
            expect(page.get_by_text("Español")).to_have_attribute("lang", "es")
            assert_accessible(page, "en-after-switch", screenshot=False)
            page.get_by_role("button", name="Español").click()
            expect(page.get_by_role("heading", level=1)).to_have_text(es(step.title))
            expect(page.locator(f"#{first.id}-yes")).to_be_checked()
            expect(page.locator(f"#{first.details_field}")).to_have_value("nota: desde 2019")
        page.get_by_role("button", name="Guardar y continuar").click()

    expect(page.get_by_role("heading", level=1)).to_have_text("Revise sus respuestas")
    third = CURRENT.questions_for_step(STEPS[2].id)[0]
    expect(page.locator("main")).to_contain_text("nota: desde 2019")
    expect(page.locator("main")).to_contain_text(es(third.text))
    assert_accessible(page, "es-check")
    page.get_by_role("link", name="Continuar").click()

    spanish = CURRENT.aftercare_shown(ES)
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Después de su tratamiento: qué esperar"
    )
    expect(page.locator("main")).to_contain_text("El teléfono de la clínica: +1 555 0100")
    assert_accessible(page, "es-aftercare")
    for _code, title, _text in spanish:
        page.get_by_role("checkbox", name=f"Leí y entiendo: {title}").check()
    page.get_by_label("Su nombre completo").fill("Robin Ejemplo")
    # A switch here keeps the ticks and the typed name (not sent yet).
    page.get_by_role("button", name="English").click()
    expect(page.get_by_label("Your full name")).to_have_value("Robin Ejemplo")
    page.get_by_role("button", name="Español").click()
    expect(page.get_by_label("Su nombre completo")).to_have_value("Robin Ejemplo")
    for _code, title, _text in spanish:
        expect(page.get_by_role("checkbox", name=f"Leí y entiendo: {title}")).to_be_checked()
    page.get_by_role("button", name="Firmar y enviar mis respuestas").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Gracias, sus respuestas se enviaron")
    assert_accessible(page, "es-done")

    expected_hash = text_hash(aftercare_text(spanish))
    with app.app_context():
        ack = db.session.get(Appointment, appointment_id).intake.acknowledgment
        assert ack.locale == ES
        assert ack.text_hash == expected_hash
        assert ack.signature_name == "Robin Ejemplo"

    # The front desk, in an English browser, prints what the patient signed.
    context = browser.new_context(viewport=DESKTOP, locale="en-US")
    staff = context.new_page()
    try:
        sign_in(staff, live_server_url, desk)
        staff.goto(f"{live_server_url}/frontdesk/appointments/{appointment_id}/acknowledgment")
        assert html_lang(staff) == "en"
        printed = staff.locator("article.printable")
        expect(printed).to_contain_text("Spanish (es)")
        expect(printed).to_contain_text(expected_hash)
        expect(printed).to_contain_text("It matches the wording printed above, in Spanish.")
        for _code, title, text in spanish:
            expect(printed).to_contain_text(title)
            expect(printed).to_contain_text(text)
        assert_accessible(staff, "es-frontdesk-print", screenshot=False)
    finally:
        context.close()


def test_the_switch_works_without_javascript(app: Flask, live_server_url: str, browser: Browser):
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, java_script_enabled=False, locale="en-US"
    )
    page = context.new_page()
    try:
        with app.app_context():
            _appointment, token = make_appointment()
        page.goto(f"{live_server_url}/i/{token}")
        assert html_lang(page) == "en"
        page.get_by_role("button", name="Español").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(
            "Sus preguntas antes del tratamiento"
        )
        assert html_lang(page) == "es"
        page.get_by_label("Día", exact=True).fill("17")
        page.get_by_label("Mes", exact=True).fill("5")
        page.get_by_label("Año", exact=True).fill("1990")
        page.get_by_role("button", name="Continuar").click()
        page.wait_for_url(f"{live_server_url}/intake/step/area")
        # The choice sticks for the session, whatever the browser asks for.
        expect(page.get_by_role("heading", level=1)).to_have_text(es(STEPS[0].title))
        choose(page, "no")
        page.get_by_role("button", name="Guardar y continuar").click()
        page.get_by_role("button", name="English").click()
        expect(page.get_by_role("heading", level=1)).to_have_text(STEPS[1].title)
        page.get_by_role("button", name="Back").click()
        # What was sent is on the server: the first step's answers are there in English.
        expect(page.get_by_role("heading", level=1)).to_have_text(STEPS[0].title)
        for q in CURRENT.questions_for_step(STEPS[0].id):
            expect(page.locator(f"#{q.id}-no")).to_be_checked()
        # (axe needs JavaScript: the pages are checked in the test above.)
    finally:
        context.close()
