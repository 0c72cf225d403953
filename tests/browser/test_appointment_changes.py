"""Issue 13 in real Chromium at 390 px and 1280 px: today's alert, changing, moving and
cancelling an appointment, the Copy link button, the date-of-birth boxes; axe on every state."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from intake.clock import clinic_today, day_bounds
from intake.extensions import db
from intake.models import Appointment, Role
from tests.browser.conftest import assert_accessible, shoot, sign_in
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser

WIDTHS = ["phone_page", "desktop_page"]


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True, "INTAKE_CLINIC_PHONE": "+1 555 0100"}


def no_sideways_scroll(page: Page) -> None:
    width = page.evaluate("document.documentElement.scrollWidth")
    assert width <= page.viewport_size["width"], f"{page.url} is {width} px wide"


# The states worth a picture in the README (INTAKE_SCREENSHOTS), at one width each.
SHOTS = {
    ("frontdesk-day-alert", "desktop_page"): "staff-frontdesk-day-alert.png",
    ("frontdesk-edit-error", "phone_page"): "staff-frontdesk-edit-error-phone.png",
    ("frontdesk-cancel-confirm", "desktop_page"): "staff-frontdesk-cancel.png",
    ("frontdesk-cancelled", "desktop_page"): "staff-frontdesk-cancelled.png",
    ("patient-cancelled", "phone_page"): "patient-cancelled.png",
    ("frontdesk-link-copied", "desktop_page"): "staff-frontdesk-link-copied.png",
    ("patient-dob-impossible", "phone_page"): "patient-identity-impossible-date.png",
}


def check(page: Page, name: str, width: str) -> None:
    """Every state the test visits: axe finds nothing serious, nothing scrolls sideways."""
    assert_accessible(page)
    no_sideways_scroll(page)
    if (name, width) in SHOTS:
        shoot(page, SHOTS[(name, width)])


@pytest.mark.parametrize("width", WIDTHS)
def test_the_front_desk_changes_moves_and_cancels_an_appointment(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    with app.app_context():
        email = make_user(Role.FRONT_DESK).email
        waiting, _intake = make_submitted(
            {"active_acne": "yes"}, first_name="Ana", last_name="Lopez"
        )
        # Today in the clinic, whatever the time now: the alert is about today.
        start, _end = day_bounds(clinic_today())
        waiting.starts_at = start + dt.timedelta(hours=9, minutes=30)
        db.session.commit()
        appointment, token = make_appointment(
            first_name="Sam", last_name="Rivera", starts_in=dt.timedelta(days=2)
        )
        appointment_id = appointment.id
        new_day = clinic_today() + dt.timedelta(days=9)
    base = f"{live_server_url}/frontdesk/appointments/{appointment_id}"

    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/frontdesk/")
    alert = page.locator("section.attention")
    expect(alert).to_contain_text("Today: 1 patient still waiting for a clinician")
    expect(alert.get_by_role("link")).to_contain_text("09:30 · Lopez, Ana")
    expect(page.locator("tr.waiting")).to_contain_text("Check with a clinician before treatment")
    check(page, "frontdesk-day-alert", width)

    # Change details: a missing month is explained, the typing stays, then it saves.
    page.goto(base)
    check(page, "frontdesk-appointment-live", width)
    page.get_by_role("link", name="Change details").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Change the patient's details")
    page.get_by_label("First name").fill("Samuel")
    page.get_by_label("Day", exact=True).fill("9")
    page.get_by_label("Year", exact=True).fill("1985")
    page.get_by_label("Email (optional)").fill("samuel@example.com")
    page.get_by_role("button", name="Save the details").click()
    expect(page.locator(".error-summary")).to_contain_text("Date of birth must include a month")
    expect(page.get_by_label("Month", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Day", exact=True)).to_have_value("9")
    expect(page.get_by_label("First name")).to_have_value("Samuel")
    check(page, "frontdesk-edit-error", width)
    page.locator(".error-summary a").click()
    expect(page.get_by_label("Month", exact=True)).to_be_focused()
    page.get_by_label("Month", exact=True).fill("3")
    page.get_by_role("button", name="Save the details").click()
    expect(page.get_by_role("status")).to_contain_text("The patient's details were saved.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Samuel Rivera")
    check(page, "frontdesk-edit-saved", width)

    # Move it: the link follows.
    page.get_by_role("link", name="Move").click()
    page.get_by_label("New date and time").fill(f"{new_day.isoformat()}T11:45")
    check(page, "frontdesk-reschedule", width)
    page.get_by_role("button", name="Move the appointment").click()
    expect(page.get_by_role("status")).to_contain_text("The appointment was moved to")
    expect(page.locator("dl.summary-grid")).to_contain_text("11:45")
    check(page, "frontdesk-moved", width)

    # Cancel: a confirmation page first (a plain form), then the link stops.
    page.get_by_role("link", name="Cancel appointment").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Cancel the appointment for Samuel Rivera?"
    )
    check(page, "frontdesk-cancel-confirm", width)
    page.get_by_label("Reason (optional)").fill("The patient called: moving away")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.get_by_role("status")).to_contain_text("The appointment was cancelled.")
    expect(page.locator(".cancelled-note")).to_contain_text("The patient called: moving away")
    expect(page.get_by_role("link", name="Change details")).to_have_count(0)
    expect(page.get_by_role("link", name="Make a new link")).to_have_count(0)
    check(page, "frontdesk-cancelled", width)
    # A reload shows the same page, without the one-time message.
    page.reload()
    expect(page.locator(".flash-success")).to_have_count(0)
    expect(page.locator(".cancelled-note")).to_be_visible()

    # The patient opening the old link.
    patient = page.context.new_page()
    patient.goto(f"{live_server_url}/i/{token}")
    expect(patient.get_by_role("heading", level=1)).to_have_text("This appointment was cancelled")
    expect(patient.locator("#main").get_by_role("link", name="+1 555 0100")).to_be_visible()
    assert "Samuel" not in patient.content()
    check(patient, "patient-cancelled", width)
    patient.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_a_new_link_has_a_copy_button_that_says_copied(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server_url)
    with app.app_context():
        email = make_user(Role.FRONT_DESK).email
        appointment, _token = make_appointment(first_name="Kim", last_name="Park")
        appointment_id = appointment.id
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/frontdesk/appointments/{appointment_id}/link")
    page.get_by_role("button", name="Make the new link").click()
    field = page.get_by_label("Link for the patient")
    expect(field).to_have_value(re.compile(r"/i/[A-Za-z0-9_-]{43}$"))
    expect(field).to_have_attribute("readonly", "")
    expect(page.locator("figure.qr img")).to_be_visible()
    button = page.get_by_role("button", name="Copy link")
    expect(button).to_be_visible()
    check(page, "frontdesk-link-copy", width)
    button.click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_have_text("Copied")
    assert page.evaluate("navigator.clipboard.readText()") == field.input_value()
    check(page, "frontdesk-link-copied", width)


def test_without_javascript_the_link_is_a_selectable_field_and_no_dead_button(
    app: Flask, live_server_url: str, browser: Browser
):
    context = browser.new_context(java_script_enabled=False, viewport={"width": 390, "height": 844})
    page = context.new_page()
    with app.app_context():
        email = make_user(Role.FRONT_DESK).email
        appointment, _token = make_appointment()
        appointment_id = appointment.id
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/frontdesk/appointments/{appointment_id}/link")
    page.get_by_role("button", name="Make the new link").click()
    expect(page.get_by_label("Link for the patient")).to_have_value(re.compile(r"/i/"))
    expect(page.get_by_role("button", name="Copy link")).to_have_count(0)
    # Cancelling works without JavaScript too: the confirmation is a page.
    page.goto(f"{live_server_url}/frontdesk/appointments/{appointment_id}/cancel")
    page.get_by_role("button", name="Cancel the appointment").click()
    expect(page.locator(".cancelled-note")).to_be_visible()
    with app.app_context():
        assert db.session.get(Appointment, appointment_id).cancelled
    context.close()


@pytest.mark.parametrize("width", WIDTHS)
def test_the_patient_types_the_date_of_birth_into_three_boxes(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    with app.app_context():
        _appointment, token = make_appointment()  # born 17 May 1990
    page.goto(f"{live_server_url}/i/{token}")
    group = page.get_by_role("group", name="please enter your date of birth")
    expect(group).to_be_visible()
    expect(page.get_by_text("For example, 27 3 1985")).to_be_visible()
    for label, part in (("Day", "day"), ("Month", "month"), ("Year", "year")):
        box = page.get_by_label(label, exact=True)
        expect(box).to_have_attribute("inputmode", "numeric")
        expect(box).to_have_attribute("autocomplete", f"bday-{part}")
    check(page, "patient-dob-boxes", width)

    # An impossible date: explained, not a wrong guess, the typing stays.
    page.get_by_label("Day", exact=True).fill("31")
    page.get_by_label("Month", exact=True).fill("2")
    page.get_by_label("Year", exact=True).fill("1990")
    page.get_by_role("button", name="Continue").click()
    expect(page.locator(".error-summary")).to_contain_text("Date of birth must be a real date")
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.get_by_label("Day", exact=True)).to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Month", exact=True)).not_to_have_attribute("aria-invalid", "true")
    expect(page.get_by_label("Year", exact=True)).to_have_value("1990")
    expect(page.get_by_text("more time")).to_have_count(0)
    check(page, "patient-dob-impossible", width)

    page.get_by_label("Day", exact=True).fill("17")
    page.get_by_label("Month", exact=True).fill("5")
    page.get_by_role("button", name="Continue").click()
    expect(page).to_have_url(re.compile(r"/intake/step/"))
