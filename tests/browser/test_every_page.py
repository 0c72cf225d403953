"""Every staff page and state, as each role sees it, at a phone's and a desktop's width.

Each state is checked by ``assert_accessible``: axe-core at every impact, the
Nu HTML checker, and no sideways scroll of the page itself. The patient pages
have their own walk in ``test_patient_flow.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from dataclasses import dataclass

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from intake import decisions
from intake.extensions import db
from intake.models import IntakeStatus, Role
from tests.browser.conftest import assert_accessible, sign_in
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True, "INTAKE_CLINIC_PHONE": "+1 555 0100"}


@dataclass(frozen=True)
class Clinic:
    admin: str
    clinician: str
    front_desk: str
    flagged_appointment: int
    flagged_intake: int
    deferred_intake: int
    waiting_appointment: int


def open_clinic(app: Flask) -> Clinic:
    """A clinic's day: staff of every role and intakes in every state the pages show."""
    with app.app_context():
        admin = make_user(Role.ADMIN, "alex.admin@clinic.test")
        clinician = make_user(Role.CLINICIAN, "sam.clinician@clinic.test")
        front_desk = make_user(Role.FRONT_DESK, "jo.desk@clinic.test")
        flagged, flagged_intake = make_submitted(
            {"active_acne": "yes", "active_acne_details": "Two spots on the chin"},
            first_name="Ana",
            last_name="Lopez",
            signature_name="Ana Lopez",
            starts_in=dt.timedelta(minutes=50),
        )
        make_submitted(
            {"acne_prone": "yes"},
            first_name="Jordan",
            last_name="Okafor",
            signature_name="Jordan Okafor",
            starts_in=dt.timedelta(minutes=80),
        )
        _, deferred = make_submitted(
            {"blood_thinners": "yes", "blood_thinners_details": "Aspirin 75 mg"},
            first_name="Lee",
            last_name="Chen",
            signature_name="Lee Chen",
            starts_in=dt.timedelta(minutes=110),
        )
        decisions.record(
            deferred.id,
            clinician_id=clinician.id,
            outcome=IntakeStatus.DEFERRED,
            note="Ask about the aspirin before treatment.",
            seen_status=IntakeStatus.NEEDS_REVIEW,
            seen_decision_id=None,
        )
        make_submitted(first_name="Kim", last_name="Park", starts_in=dt.timedelta(minutes=140))
        waiting, _token = make_appointment(
            first_name="Robin", last_name="Example", starts_in=dt.timedelta(minutes=170)
        )
        db.session.commit()
        return Clinic(
            admin=admin.email,
            clinician=clinician.email,
            front_desk=front_desk.email,
            flagged_appointment=flagged.id,
            flagged_intake=flagged_intake.id,
            deferred_intake=deferred.id,
            waiting_appointment=waiting.id,
        )


def sign_out(page: Page) -> None:
    with page.expect_navigation():
        page.get_by_role("button", name="Sign out").click()


def staff_pages(page: Page, base: str, clinic: Clinic) -> Iterator[str]:
    """Visit every staff page in turn, yielding a short name for each state."""
    page.goto(f"{base}/")
    yield "site-home"
    page.goto(f"{base}/login")
    yield "signin"
    page.get_by_label("Email").fill(clinic.front_desk)
    page.get_by_label("Password").fill("not the password")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign in").click()
    yield "signin-error"

    sign_in(page, base, clinic.front_desk)
    page.goto(f"{base}/frontdesk/")
    yield "frontdesk-day"
    page.goto(f"{base}/frontdesk/search?q=Lopez")
    yield "frontdesk-search"
    page.goto(f"{base}/frontdesk/search?q=Nobody")
    yield "frontdesk-search-none"
    page.goto(f"{base}/frontdesk/appointments/new")
    yield "frontdesk-book"
    with page.expect_navigation():
        page.get_by_role("button", name="Book").click()
    yield "frontdesk-book-error"
    page.goto(f"{base}/frontdesk/appointments/{clinic.flagged_appointment}")
    yield "frontdesk-appointment-signed"
    page.goto(f"{base}/frontdesk/appointments/{clinic.flagged_appointment}/acknowledgment")
    yield "frontdesk-print"
    page.goto(f"{base}/frontdesk/appointments/{clinic.waiting_appointment}")
    yield "frontdesk-appointment-waiting"
    page.goto(f"{base}/frontdesk/appointments/{clinic.waiting_appointment}/link")
    yield "frontdesk-new-link-confirm"
    page.goto(f"{base}/review/")
    yield "error-forbidden"
    page.goto(f"{base}/frontdesk/appointments/999999")
    yield "error-not-found"
    page.goto(f"{base}/account")
    yield "account"
    page.goto(f"{base}/account/password")
    yield "account-password"
    page.goto(f"{base}/account/two-factor")
    yield "account-two-factor"
    sign_out(page)

    sign_in(page, base, clinic.clinician)
    page.goto(f"{base}/review/")
    yield "review-queue"
    for tab in ("deferred", "ready", "decided"):
        page.goto(f"{base}/review/?show={tab}")
        yield f"review-queue-{tab}"
    page.goto(f"{base}/review/intakes/{clinic.flagged_intake}")
    yield "review-intake"
    page.get_by_label("Deferred").check()
    with page.expect_navigation():
        page.get_by_role("button", name="Record decision").click()
    yield "review-intake-error"
    page.goto(f"{base}/review/intakes/{clinic.deferred_intake}")
    yield "review-intake-deferred"
    sign_out(page)

    sign_in(page, base, clinic.admin)
    page.goto(f"{base}/admin/users")
    yield "admin-users"
    page.get_by_role("link", name=clinic.clinician).click()
    yield "admin-user"
    page.goto(f"{base}/admin/users/new")
    yield "admin-new-user"
    page.goto(f"{base}/admin/audit")
    yield "admin-audit"


def test_every_staff_page_passes_axe_the_html_checker_and_fits(
    app: Flask, live_server_url: str, any_page: Page
):
    clinic = open_clinic(app)
    seen = []
    for name in staff_pages(any_page, live_server_url, clinic):
        expect(any_page.locator("main")).to_be_visible()
        seen.append(name)
        assert_accessible(any_page, name, screenshot=False)
    assert len(seen) == len(set(seen)) == 28
