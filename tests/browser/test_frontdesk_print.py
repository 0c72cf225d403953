"""The front desk in real Chromium: the day, booking with a QR code, printing; axe-core."""

from __future__ import annotations

import datetime as dt
import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from intake.clock import clinic_today, local
from intake.models import Role
from intake.screening import aftercare_hash
from tests.browser.conftest import assert_accessible, fill_date_of_birth, shoot, sign_in
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser



@pytest.fixture
def app_config():
    return {"WTF_CSRF_ENABLED": True}


def test_the_front_desk_runs_the_day_books_and_prints(
    app: Flask, live_server_url: str, desktop_page: Page
):
    with app.app_context():
        email = make_user(Role.FRONT_DESK, email="alex.desk@clinic.test").email
        today = clinic_today()
        # Near midnight the appointment falls on tomorrow: the test opens its day.
        lopez, _intake = make_submitted(
            {"active_acne": "yes", "active_acne_details": "on the chin"},
            first_name="Ana",
            last_name="Lopez",
            dob="1990-04-12",
            signature_name="Ana M. Lopez",
            starts_in=dt.timedelta(minutes=50),
        )
        lopez_day = local(lopez.starts_at).date()
        make_appointment(
            first_name="Jordan", last_name="Okafor", starts_in=dt.timedelta(minutes=20)
        )
        make_appointment(first_name="Kim", last_name="Park", starts_in=dt.timedelta(minutes=90))
    page = desktop_page

    sign_in(page, live_server_url, email)
    page.get_by_role("link", name="Appointments").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Appointments")
    with app.app_context():
        if lopez_day != clinic_today():
            page.goto(f"{live_server_url}/frontdesk/?date={lopez_day.isoformat()}")
    expect(page.locator("table.day tbody")).to_contain_text("Lopez, Ana")
    assert "on the chin" not in page.content()
    assert_accessible(page)
    shoot(page, "staff-frontdesk-day.png")

    # Search, then open the patient and print the acknowledgment.
    page.get_by_label("Find a patient").fill("lopez")
    page.get_by_role("button", name="Search").click()
    page.get_by_role("link", name="Lopez, Ana").click()
    expect(page.get_by_role("heading", name="Ana Lopez")).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-frontdesk-appointment.png")
    page.get_by_role("link", name="Print page").click()
    expect(page.get_by_role("heading", name="Aftercare acknowledgment")).to_be_visible()
    expect(page.locator("article.printable")).to_contain_text("Ana M. Lopez")
    expect(page.locator("article.printable")).to_contain_text(aftercare_hash())
    assert "on the chin" not in page.content()
    assert_accessible(page)
    shoot(page, "staff-frontdesk-print.png")
    href = page.get_by_role("link", name="Download PDF").get_attribute("href")
    pdf = page.request.get(f"{live_server_url}{href}")
    assert pdf.status == 200 and pdf.headers["content-type"] == "application/pdf"
    assert pdf.body().startswith(b"%PDF-")
    # The browser's own print of the page (print CSS: no navigation).
    printed = page.pdf(format="A4")
    assert printed.startswith(b"%PDF-")

    # Book with a mistake, fix it, get the link once with its QR code.
    page.goto(f"{live_server_url}/frontdesk/appointments/new")
    page.get_by_label("First name").fill("Sam")
    page.get_by_label("Last name").fill("Rivera")
    fill_date_of_birth(page, "1985-03-09")
    page.get_by_label("Appointment date and time").fill(
        f"{(today + dt.timedelta(days=7)).isoformat()}T10:30"
    )
    page.get_by_label("Email (optional)").fill("sam@@example")
    page.get_by_role("button", name="Book and create the intake link").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a valid email address")
    expect(page.get_by_label("Last name")).to_have_value("Rivera")
    assert_accessible(page)
    shoot(page, "staff-frontdesk-book-error.png")
    page.get_by_label("Email (optional)").fill("sam@example.com")
    page.get_by_role("button", name="Book and create the intake link").click()
    link = page.get_by_label("Link for the patient")
    expect(link).to_have_value(re.compile(r"/i/[A-Za-z0-9_-]{43}$"))
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-frontdesk-link.png")
