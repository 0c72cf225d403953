"""A new clinic's first hour, as the README's walkthrough tells it, in real Chromium.

The first admin is made on the command line; they sign in, add a front-desk
and a clinician account and set up an authenticator; the front desk chooses a
password, books a patient and hands over the link; the patient answers on a
phone; the clinician reviews and decides; the front desk sees the status and
prints what was signed. Every state is checked by ``assert_accessible`` and,
with ``INTAKE_SCREENSHOTS`` set, saved as ``first-hour-NN-*.png`` for the README.
"""

from __future__ import annotations

import datetime as dt
import re

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from intake.clock import clinic_today
from tests.browser.conftest import DESKTOP, PHONE, assert_accessible, fill_date_of_birth, sign_in

pytestmark = pytest.mark.browser

ADMIN = "alex.admin@clinic.test"
DESK = "jo.desk@clinic.test"
CLINICIAN = "sam.clinician@clinic.test"
ADMIN_PASSWORD = "the first admin's long passphrase"
DESK_PASSWORD = "jo chooses a long passphrase"
CLINICIAN_PASSWORD = "sam chooses a long passphrase"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {
        "WTF_CSRF_ENABLED": True,
        "INTAKE_CLINIC_NAME": "Northside Skin Clinic",
        "INTAKE_CLINIC_PHONE": "+1 555 0100",
    }


class Walk:
    """Numbers each checked state, in the order the README shows them."""

    def __init__(self) -> None:
        self.number = 0

    def check(self, page: Page, name: str) -> None:
        self.number += 1
        assert_accessible(page, f"first-hour-{self.number:02d}-{name}")


def add_account(page: Page, base: str, email: str, role: str) -> str:
    """Add an account through the admin page; return its temporary password."""
    page.goto(f"{base}/admin/users/new")
    page.get_by_label("Email").fill(email)
    page.get_by_role("combobox", name="Role").select_option(role)
    page.get_by_role("button", name="Create account").click()
    return page.locator("#temporary-password").inner_text()


def first_sign_in(page: Page, base: str, email: str, temporary: str, chosen: str) -> None:
    sign_in(page, base, email, temporary)
    expect(page.get_by_role("heading", name="Change your password")).to_be_visible()
    page.get_by_label("Current password").fill(temporary)
    page.get_by_label("New password", exact=True).fill(chosen)
    page.get_by_label("New password again").fill(chosen)
    page.get_by_role("button", name="Change password").click()
    expect(page.get_by_text("Your password is changed")).to_be_visible()


def test_a_new_clinics_first_hour(app: Flask, live_server_url: str, browser: Browser):
    base, walk = live_server_url, Walk()
    created = app.test_cli_runner().invoke(
        args=["users", "create", ADMIN, "--role", "admin", "--password-stdin"],
        input=f"{ADMIN_PASSWORD}\n",
    )
    assert created.exit_code == 0, created.output
    desk_browser = browser.new_context(viewport=DESKTOP)
    page = desk_browser.new_page()

    # The admin signs in, adds the team and protects their own account.
    page.goto(f"{base}/")
    walk.check(page, "front-door")
    sign_in(page, base, ADMIN, ADMIN_PASSWORD)
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()
    desk_temporary = add_account(page, base, DESK, "front_desk")
    walk.check(page, "temporary-password")
    clinician_temporary = add_account(page, base, CLINICIAN, "clinician")
    page.goto(f"{base}/admin/users")
    walk.check(page, "staff-accounts")
    page.goto(f"{base}/account/two-factor")
    walk.check(page, "authenticator")
    secret = re.sub(r"[^A-Z2-7]", "", page.locator("code.secret").inner_text())
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Your password").fill(ADMIN_PASSWORD)
    page.get_by_role("button", name="Turn on").click()
    expect(page.locator("code.recovery-code")).to_have_count(10)
    walk.check(page, "recovery-codes")
    page.get_by_role("button", name="Sign out").click()

    # The front desk chooses a password and books the first patient.
    first_sign_in(page, base, DESK, desk_temporary, DESK_PASSWORD)
    page.goto(f"{base}/frontdesk/")
    walk.check(page, "day-empty")
    page.goto(f"{base}/frontdesk/appointments/new")
    page.get_by_label("First name").fill("Ana")
    page.get_by_label("Last name").fill("Lopez")
    fill_date_of_birth(page, "1990-04-12")
    with app.app_context():
        tomorrow = clinic_today() + dt.timedelta(days=1)
    at = dt.datetime.combine(tomorrow, dt.time(10, 30))
    page.get_by_label("Appointment date and time").fill(at.strftime("%Y-%m-%dT%H:%M"))
    page.get_by_label("Phone (optional)").fill("+1 555 0199")
    walk.check(page, "book")
    page.get_by_role("button", name="Book and create the intake link").click()
    link = page.get_by_label("Link for the patient").input_value()
    assert re.search(r"/i/[A-Za-z0-9_-]{43}$", link)
    walk.check(page, "link")

    # The patient answers on a phone.
    phone_browser = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    phone = phone_browser.new_page()
    phone.goto(link)
    walk.check(phone, "patient-identity")
    fill_date_of_birth(phone, "1990-04-12")
    with phone.expect_navigation():
        phone.get_by_role("button", name="Continue").tap()
    first_step = True
    while phone.get_by_role("button", name="Save and continue").count():
        for choice in phone.locator("label.choice:has(input[value='no'])").all():
            choice.tap()
        if phone.locator("input[name=active_acne]").count():
            phone.locator("label.choice:has(input[name=active_acne][value=yes])").tap()
            phone.locator("textarea[name=active_acne_details]").fill("Two spots on the chin")
        if first_step:
            walk.check(phone, "patient-step")
            first_step = False
        with phone.expect_navigation():
            phone.get_by_role("button", name="Save and continue").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text("Check your answers")
    walk.check(phone, "patient-check")
    with phone.expect_navigation():
        phone.get_by_role("link", name="Continue").tap()
    for checkbox in phone.get_by_role("checkbox").all():
        checkbox.check()
    phone.get_by_label("Your full name").fill("Ana Lopez")
    walk.check(phone, "patient-aftercare")
    phone.get_by_role("button", name="Sign and send my answers").tap()
    expect(phone.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers have been sent"
    )
    walk.check(phone, "patient-done")
    phone_browser.close()
    page.get_by_role("button", name="Sign out").click()

    # The clinician reviews what the answers raised and decides.
    first_sign_in(page, base, CLINICIAN, clinician_temporary, CLINICIAN_PASSWORD)
    page.goto(f"{base}/review/")
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    walk.check(page, "queue")
    page.get_by_role("link", name="Ana Lopez").click()
    walk.check(page, "intake")
    page.get_by_label("Deferred").check()
    page.get_by_label("Note").fill("Active acne on the chin: rebook in four weeks.")
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_text("Decision recorded: Deferred.")).to_be_visible()
    page.get_by_role("button", name="Sign out").click()

    # The front desk sees the status and prints what was signed.
    sign_in(page, base, DESK, DESK_PASSWORD)
    page.goto(f"{base}/frontdesk/search?q=Lopez")
    page.get_by_role("link", name="Lopez, Ana").click()
    expect(page.get_by_role("heading", name="Ana Lopez")).to_be_visible()
    walk.check(page, "appointment")
    page.get_by_role("link", name="Print page").click()
    expect(page.locator("article.printable")).to_contain_text("Ana Lopez")
    walk.check(page, "print")
    desk_browser.close()
