"""Staff sign-in and admin pages in real Chromium: the flows, axe-core, and README screenshots."""

from __future__ import annotations

import re
import time

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from intake import audit
from intake.extensions import db
from intake.models import Role, User
from tests.browser.conftest import assert_accessible, shoot
from tests.conftest import STAFF_PASSWORD, make_user

pytestmark = pytest.mark.browser


def staff(app: Flask, role: Role, email: str) -> str:
    """Create an account in an app context of its own, ended before the browser starts.

    On SQLite an open session holds the one write lock (every transaction
    begins IMMEDIATE), which would keep the live server waiting.
    """
    with app.app_context():
        return make_user(role, email=email).email

NEW_PASSWORD = "lantern orchard velvet 7 cobalt"


@pytest.fixture
def app_config():
    # CSRF on, as in production: the browser must carry every token itself.
    return {"WTF_CSRF_ENABLED": True}


def sign_in(page: Page, base: str, email: str, password: str) -> None:
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()


def test_sign_in_failure_then_success_and_sign_out(
    app: Flask, live_server_url: str, desktop_page: Page
):
    email = staff(app, Role.CLINICIAN, "robin.clinician@clinic.test")
    page = desktop_page
    page.goto(f"{live_server_url}/login")
    assert_accessible(page)
    shoot(page, "staff-signin.png")

    sign_in(page, live_server_url, email, "not my password, obviously")
    expect(page.get_by_role("alert")).to_contain_text("do not match an active staff account")
    expect(page.get_by_label("Email")).to_have_value(email)
    expect(page.get_by_label("Password")).to_have_value("")
    assert "/login" in page.url
    assert_accessible(page)
    shoot(page, "staff-signin-error.png")

    page.get_by_label("Password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
    page.goto(f"{live_server_url}/account")
    expect(page.get_by_role("heading", name="My account")).to_be_visible()
    assert_accessible(page)

    page.get_by_role("button", name="Sign out").click()
    expect(page.get_by_text("You are signed out.")).to_be_visible()
    page.goto(f"{live_server_url}/account")
    assert "/login" in page.url


def test_authenticator_enrolment_and_code_step(
    app: Flask, live_server_url: str, desktop_page: Page
):
    email = staff(app, Role.FRONT_DESK, "sam.desk@clinic.test")
    page = desktop_page
    sign_in(page, live_server_url, email, STAFF_PASSWORD)
    page.goto(f"{live_server_url}/account")
    page.get_by_role("link", name="Set up an authenticator app").click()
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-signin-authenticator.png")
    secret = page.locator("code.secret").inner_text().replace(" ", "")
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Your password").fill(STAFF_PASSWORD)
    page.get_by_role("button", name="Turn on").click()
    expect(page.get_by_text("Your authenticator app is set up")).to_be_visible()
    # The ten recovery codes, shown this once.
    expect(page.locator("code.recovery-code")).to_have_count(10)
    assert_accessible(page)
    page.get_by_role("link", name="I have saved them").click()

    page.get_by_role("button", name="Sign out").click()
    sign_in(page, live_server_url, email, STAFF_PASSWORD)
    expect(page.get_by_role("heading", name="Enter your authenticator code")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("6-digit code").fill(pyotp.TOTP(secret).at(time.time() + 30))
    page.get_by_role("button", name="Continue").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def test_admin_creates_an_account_and_the_newcomer_sets_a_password(
    app: Flask, live_server_url: str, desktop_page: Page, browser
):
    admin_email = staff(app, Role.ADMIN, "alex.admin@clinic.test")
    staff(app, Role.CLINICIAN, "priya.clinician@clinic.test")
    staff(app, Role.FRONT_DESK, "jo.frontdesk@clinic.test")
    page = desktop_page
    sign_in(page, live_server_url, admin_email, STAFF_PASSWORD)
    expect(page.get_by_role("heading", name="Staff accounts")).to_be_visible()

    page.get_by_role("link", name="Add a staff account").click()
    page.get_by_label("Email").fill("not an email")
    # No role chosen yet: the empty first option is what `required` refuses.
    expect(page.get_by_label("Role")).to_have_value("")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a role")
    expect(page.get_by_label("Email")).to_have_value("not an email")
    assert_accessible(page)
    page.get_by_label("Role").select_option("clinician")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a valid email address")
    expect(page.get_by_label("Email")).to_have_value("not an email")
    expect(page.get_by_label("Role")).to_have_value("clinician")
    assert_accessible(page)
    page.get_by_label("Email").fill("casey.new@clinic.test")
    page.get_by_role("button", name="Create account").click()
    temporary = page.locator("#temporary-password").inner_text()
    assert_accessible(page)
    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("heading", name="casey.new@clinic.test")).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-admin-account.png")

    page.get_by_role("link", name="Staff accounts").first.click()
    assert_accessible(page)
    shoot(page, "staff-admin-users.png")

    # The newcomer, in another browser, must choose a password first.
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    newcomer = context.new_page()
    sign_in(newcomer, live_server_url, "casey.new@clinic.test", temporary)
    expect(newcomer.get_by_role("heading", name="Change your password")).to_be_visible()
    assert_accessible(newcomer)
    newcomer.get_by_label("Current password").fill(temporary)
    newcomer.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    newcomer.get_by_label("New password again").fill(NEW_PASSWORD)
    newcomer.get_by_role("button", name="Change password").click()
    expect(newcomer.get_by_text("Your password is changed")).to_be_visible()
    context.close()

    page.goto(f"{live_server_url}/admin/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-admin-audit.png")
    page.get_by_label("Action").select_option(audit.Action.PASSWORD_CHANGED.value)
    page.get_by_role("button", name="Show").click()
    expect(page.locator("table.audit tbody tr")).to_have_count(1)
    with app.app_context():
        casey = db.session.execute(
            sa.select(User).where(User.email == "casey.new@clinic.test")
        ).scalar_one()
        assert casey.must_change_password is False


def test_sign_in_on_a_phone(app: Flask, live_server_url: str, phone_page: Page):
    email = staff(app, Role.FRONT_DESK, "jo.phone@clinic.test")
    page = phone_page
    page.goto(f"{live_server_url}/login")
    assert_accessible(page)
    shoot(page, "staff-signin-phone.png")
    sign_in(page, live_server_url, email, STAFF_PASSWORD)
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
