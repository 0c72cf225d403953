"""Email to patients in real Chromium at 390 px and 1280 px: booking with the email box,
the link page's Send by email, the appointment's emails, and the patient's
"no more reminders" page (GET asks, the button stops)."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from playwright.sync_api import Page, expect

from intake.models import Role, utcnow
from tests.browser.conftest import assert_accessible, fill_date_of_birth, sign_in
from tests.conftest import make_user
from tests.mail.conftest import _smtp_server, mail_config, smtp  # noqa: F401 - fixtures

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config(smtp):  # noqa: F811 - the fixture
    return {**mail_config(smtp.port), "WTF_CSRF_ENABLED": True}


def test_book_send_and_stop_reminders(app, live_server_url, any_page: Page, smtp):  # noqa: F811
    page, base = any_page, live_server_url
    with app.app_context():
        desk = make_user(Role.FRONT_DESK)
        email = desk.email
    sign_in(page, base, email)
    page.goto(f"{base}/frontdesk/appointments/new")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Lopez")
    fill_date_of_birth(page, "1990-04-12")
    at = utcnow() + dt.timedelta(days=1)
    page.get_by_label("Appointment date and time").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Email (optional)").fill("ana@example.org")
    page.get_by_label("Patient's language").select_option("es")
    assert_accessible(page, "mail-book")
    page.get_by_role("button", name="Book and create the intake link").click()
    expect(page.get_by_role("heading", name="Send by email")).to_be_visible()
    assert_accessible(page, "mail-link-page")
    page.get_by_role("button", name="Send by email").click()
    expect(page.get_by_role("heading", name="Emails to the patient")).to_be_visible()
    expect(page.get_by_text("Whether it was sent is shown")).to_be_visible()
    assert_accessible(page, "mail-appointment")
    assert len(smtp.messages) == 1

    header = smtp.messages[0].message["List-Unsubscribe"].strip()
    stop = re.fullmatch(r"<(.+)>", header)
    assert stop and stop.group(1).startswith(base)
    patient = page.context.browser.new_context(viewport=page.viewport_size)  # type: ignore[union-attr]
    try:
        reader = patient.new_page()
        reader.goto(stop.group(1))
        expect(reader.get_by_role("heading", name="Stop reminder emails?")).to_be_visible()
        assert_accessible(reader, "mail-stop-ask")
        reader.get_by_role("button", name="Stop reminders").click()
        expect(reader.get_by_role("heading", name="You will get no more reminders")).to_be_visible()
        assert_accessible(reader, "mail-stop-done")
    finally:
        patient.close()
    page.reload()
    expect(page.get_by_text("The patient asked for no more reminders")).to_be_visible()
