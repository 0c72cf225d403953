"""Issue 13, staff side, in real Chromium at phone (390 px) and desktop (1280 px) widths.

The review queue by risk with counts, the patient's contact links, the admin's
confirmation pages, recent activity and audit links, the CSV export, the
authenticator's grouped key with its copy field, and the 429 pages. axe-core
runs on every state visited.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from intake.extensions import db
from intake.models import Role
from tests.browser.conftest import assert_accessible, shoot, sign_in
from tests.conftest import make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser

WIDTHS = ["phone_page", "desktop_page"]


@pytest.fixture
def app_config():
    # CSRF on, as in production: the browser carries every token itself.
    return {"WTF_CSRF_ENABLED": True, "INTAKE_TIMEZONE": "Europe/London"}


def fits_the_width(page: Page) -> None:
    """Nothing makes the whole page scroll sideways."""
    overflow = page.evaluate(
        "document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert overflow <= 0, f"page is {overflow}px wider than the window"


def user(app: Flask, role: Role, email: str | None = None) -> str:
    # A context of its own, closed before the browser starts (SQLite's one writer).
    with app.app_context():
        return make_user(role, email=email).email


@pytest.mark.parametrize("width", WIDTHS)
def test_the_queue_puts_risk_first_with_counts_and_the_intake_has_contact_links(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    email = user(app, Role.CLINICIAN)
    with app.app_context():
        make_submitted({"acne_prone": "yes"}, first_name="Pia", starts_in=dt.timedelta(hours=2))
        booked, _ = make_submitted(
            {"active_acne": "yes"},
            first_name="Cai",
            starts_in=dt.timedelta(days=3),
            email="cai.example@example.org",
        )
        booked.phone = "+44 20 7946 0018"
        db.session.commit()

    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/review/")
    expect(page.get_by_role("link", name="Needs review (2)")).to_be_visible()
    expect(page.get_by_role("link", name="Deferred (0)")).to_be_visible()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    # The contraindication first, though its appointment is later.
    expect(rows.first).to_contain_text("Cai Example")
    expect(rows.nth(1)).to_contain_text("Pia Example")
    fits_the_width(page)
    assert_accessible(page)
    shoot(page, f"staff-queue-by-risk-{width.removesuffix('_page')}.png")

    page.get_by_role("link", name="Cai Example").click()
    phone = page.get_by_role("link", name="+44 20 7946 0018")
    expect(phone).to_have_attribute("href", "tel:+442079460018")
    expect(page.get_by_role("link", name="cai.example@example.org")).to_have_attribute(
        "href", "mailto:cai.example@example.org"
    )
    fits_the_width(page)
    assert_accessible(page)


@pytest.mark.parametrize("width", WIDTHS)
def test_admin_confirms_before_deactivating_and_resetting_and_sees_who_did_what(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    admin = user(app, Role.ADMIN, "ada.admin@clinic.test")
    person = user(app, Role.CLINICIAN, "cy.clinician@clinic.test")
    sign_in(page, live_server_url, admin)

    # The role select starts empty, so "required" can fail; the server says why.
    page.goto(f"{live_server_url}/admin/users/new")
    expect(page.get_by_label("Role")).to_have_value("")
    page.get_by_label("Email").fill("dee.desk@clinic.test")
    page.get_by_role("button", name="Create account").click()
    expect(page.get_by_role("alert")).to_contain_text("Choose a role")
    expect(page.get_by_label("Email")).to_have_value("dee.desk@clinic.test")
    assert_accessible(page)

    page.goto(f"{live_server_url}/admin/users")
    page.get_by_role("link", name=person).click()
    page.get_by_role("link", name="Reset password…").click()
    expect(page.get_by_role("heading", name=f"Reset the password of {person}?")).to_be_visible()
    fits_the_width(page)
    assert_accessible(page)
    page.get_by_role("button", name="Yes, reset the password").click()
    expect(page.locator("#temporary-password")).to_be_visible()
    assert "temporary-password" in page.url
    assert_accessible(page)
    page.reload()
    expect(
        page.get_by_role("heading", name="The temporary password is no longer shown")
    ).to_be_visible()
    expect(page.locator("#temporary-password")).to_have_count(0)
    assert_accessible(page)

    page.get_by_role("link", name="Done").click()
    page.get_by_role("link", name="Deactivate account…").click()
    expect(page.get_by_role("heading", name=f"Deactivate {person}?")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Yes, deactivate the account").click()
    expect(page.get_by_text(f"{person} is deactivated")).to_be_visible()
    expect(page.get_by_role("link", name="Deactivate account…")).to_have_count(0)
    # Recent activity names who acted, and which account.
    activity = page.locator("table.activity tbody tr")
    expect(activity.first).to_contain_text("Account deactivated")
    expect(activity.first).to_contain_text(admin)
    fits_the_width(page)
    assert_accessible(page)
    shoot(page, f"staff-admin-user-activity-{width.removesuffix('_page')}.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_audit_log_links_records_and_exports_csv(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    admin = user(app, Role.ADMIN, "ada.admin@clinic.test")
    with app.app_context():
        booked, intake = make_submitted({"active_acne": "yes"}, first_name="Lin")
        appointment_id, intake_id = booked.id, intake.id
    sign_in(page, live_server_url, admin)
    page.goto(f"{live_server_url}/admin/audit")
    expect(page.get_by_role("heading", name="Audit log")).to_be_visible()
    expect(
        page.locator(f'a[href="/frontdesk/appointments/{appointment_id}"]').first
    ).to_be_visible()
    expect(page.locator(f'a[href="/review/intakes/{intake_id}"]').first).to_be_visible()
    fits_the_width(page)
    assert_accessible(page)

    with page.expect_download() as download_info:
        page.get_by_role("link", name="Download these events (CSV)").click()
    download = download_info.value
    assert re.fullmatch(r"intake-audit-\d{8}-\d{4}\.csv", download.suggested_filename)
    text = Path(download.path()).read_text(encoding="utf-8-sig")
    assert text.startswith("event_id,occurred_at_utc")
    assert "appointment.booked" in text

    page.reload()
    expect(page.locator("table.audit tbody tr").first).to_contain_text("Audit log exported (CSV)")
    fits_the_width(page)
    assert_accessible(page)
    shoot(page, f"staff-admin-audit-links-{width.removesuffix('_page')}.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_setup_key_is_grouped_never_split_and_can_be_copied(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    page.context.grant_permissions(["clipboard-read", "clipboard-write"])
    email = user(app, Role.FRONT_DESK)
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/account/two-factor")

    groups = page.locator("code.setup-key-groups .group")
    expect(groups).to_have_count(8)
    # Each group of four is on one line (one box), whatever the width.
    boxes = groups.evaluate_all("els => els.map(e => e.getClientRects().length)")
    assert boxes == [1] * 8
    plain = page.get_by_label("The same key without spaces, to select and copy")
    key = plain.input_value()
    assert re.fullmatch(r"[A-Z2-7]{32}", key)
    assert "".join(groups.all_inner_texts()) == key
    expect(plain).to_have_attribute("readonly", "")
    fits_the_width(page)
    assert_accessible(page)

    page.get_by_role("button", name="Copy key").click()
    expect(page.get_by_role("status").filter(has_text="Copied")).to_be_visible()
    assert page.evaluate("navigator.clipboard.readText()") == key
    assert_accessible(page)
    shoot(page, f"staff-totp-setup-{width.removesuffix('_page')}.png")


@pytest.mark.parametrize("width", WIDTHS)
def test_the_429_pages_speak_to_their_audience(
    app: Flask, live_server_url: str, request: pytest.FixtureRequest, width: str
):
    page: Page = request.getfixturevalue(width)
    email = user(app, Role.CLINICIAN)
    for _ in range(app.config["INTAKE_SIGN_IN_MAX_FAILURES"]):
        page.goto(f"{live_server_url}/login")
        page.get_by_label("Email").fill(email)
        page.get_by_label("Password").fill("wrong, wrong, wrong")
        page.get_by_role("button", name="Sign in").click()
    page.goto(f"{live_server_url}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill("wrong, wrong, wrong")
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("heading", name="Too many attempts")).to_be_visible()
    expect(page.get_by_text("users unlock")).to_be_visible()
    fits_the_width(page)
    assert_accessible(page)

    for i in range(31):
        response = page.goto(f"{live_server_url}/i/not-a-real-link-{i}")
    assert response is not None and response.status == 429
    assert int(response.headers["retry-after"]) > 0
    expect(page.get_by_role("heading", name="Please wait a moment")).to_be_visible()
    expect(page.get_by_text(app.config["INTAKE_CLINIC_PHONE"])).to_be_visible()
    fits_the_width(page)
    assert_accessible(page)
