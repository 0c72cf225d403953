"""A clinician signs in, decides from the review queue: real Chromium, axe-core, screenshots."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from intake.extensions import db
from intake.models import Decision, Intake, IntakeStatus, Role
from tests.browser.conftest import assert_accessible, shoot, sign_in
from tests.conftest import make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config():
    # CSRF on, as in production: the browser carries every token itself.
    return {"WTF_CSRF_ENABLED": True, "INTAKE_TIMEZONE": "Europe/London"}


def test_a_clinician_signs_in_and_decides_from_the_queue(
    app: Flask, live_server_url: str, desktop_page: Page
):
    with app.app_context():
        email = make_user(Role.CLINICIAN, email="sam.clinician@clinic.test").email
        _, intake = make_submitted(
            {
                "active_acne": "yes",
                "active_acne_details": "Two inflamed spots on the left cheek",
                "blood_thinners": "yes",
                "blood_thinners_details": "Aspirin 75 mg daily",
            },
            first_name="Ana",
            last_name="Lopez",
            signature_name="Ana Lopez",
            starts_in=dt.timedelta(hours=3),
        )
        make_submitted(
            {"acne_prone": "yes"},
            first_name="Jordan",
            last_name="Okafor",
            signature_name="Jordan Okafor",
            starts_in=dt.timedelta(days=1, hours=2),
        )
        intake_id = intake.id
    page = desktop_page

    sign_in(page, live_server_url, email)
    page.get_by_role("link", name="Review queue").click()
    expect(page.get_by_role("heading", name="Review queue")).to_be_visible()
    rows = page.locator("table.queue tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first).to_contain_text("Ana Lopez")  # soonest first
    expect(rows.first).to_contain_text("Two inflamed spots on the left cheek")
    assert_accessible(page)
    shoot(page, "staff-review-queue.png")

    page.get_by_role("link", name="Ana Lopez").click()
    expect(page.get_by_role("heading", name="Ana Lopez")).to_be_visible()
    expect(page.get_by_text("Signed by typing the name Ana Lopez")).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-review-intake.png")
    # Deciding without a note where one is needed keeps the choice and explains.
    page.get_by_label("Deferred").check()
    page.get_by_role("button", name="Record decision").click()
    expect(page.get_by_role("alert")).to_contain_text("Write a note")
    expect(page.get_by_label("Deferred")).to_be_checked()
    assert_accessible(page)

    page.get_by_label("Note").fill("Active acne on the left cheek: rebook in 4 weeks.")
    page.get_by_role("button", name="Record decision").click()

    expect(page.get_by_text("Decision recorded: Deferred.")).to_be_visible()
    expect(page.locator("table.queue tbody tr")).to_have_count(1)
    with app.app_context():
        decision = db.session.execute(sa.select(Decision)).scalar_one()
        assert decision.outcome is IntakeStatus.DEFERRED
        assert db.session.get(Intake, intake_id).status is IntakeStatus.DEFERRED

    page.get_by_role("link", name="Deferred").click()
    page.get_by_role("link", name="Ana Lopez").click()
    expect(page.get_by_text("Active acne on the left cheek: rebook in 4 weeks.")).to_be_visible()
    assert_accessible(page)


def test_the_queue_and_the_intake_page_work_on_a_phone(
    app: Flask, live_server_url: str, phone_page: Page
):
    with app.app_context():
        email = make_user(Role.CLINICIAN).email
        make_submitted({"numbing_allergy": "yes"}, first_name="Kim", last_name="Park")
    page = phone_page
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/review/")
    expect(page.get_by_role("link", name="Kim Park")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name="Kim Park").click()
    expect(page.get_by_role("button", name="Record decision")).to_be_visible()
    assert_accessible(page)
    shoot(page, "staff-review-phone.png", full_page=False)


def test_a_citation_opens_to_its_full_reference_and_strength(
    app: Flask, live_server_url: str, desktop_page: Page
):
    with app.app_context():
        email = make_user(Role.CLINICIAN, email="cite.clinician@clinic.test").email
        make_submitted({"cold_sore_history": "yes"}, first_name="Cita", signature_name="Cita E")
    page = desktop_page
    sign_in(page, live_server_url, email)
    page.get_by_role("link", name="Review queue").click()
    summary = page.locator("details.citation summary", has_text="Vaghela D et al., 2021").first
    expect(summary).to_be_visible()
    reference = page.locator("details.citation p.reference").first
    expect(reference).to_be_hidden()
    summary.click()
    expect(reference).to_be_visible()
    expect(page.locator("details.citation[open] p.strength").first).to_contain_text(
        "expert-group guideline in a journal supplement (not a trial)"
    )
    assert_accessible(page)
