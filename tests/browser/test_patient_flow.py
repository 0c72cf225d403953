"""The patient flow in real headless Chromium at a phone's size.

Set ``INTAKE_SCREENSHOTS=docs/screenshots`` to (re)write the README's screenshots.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator

import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Browser, Page, expect

from intake.extensions import db
from intake.models import Appointment, Intake, IntakeStatus
from intake.screening import AFTERCARE, STEPS
from tests.browser.conftest import PHONE, assert_accessible, fill_date_of_birth, width_name
from tests.conftest import make_appointment

pytestmark = pytest.mark.browser

DOB = "1990-05-17"


@pytest.fixture
def app_config() -> dict[str, object]:
    # The browser posts real forms, so CSRF is on, as in production.
    return {"WTF_CSRF_ENABLED": True, "INTAKE_CLINIC_PHONE": "+1 555 0100"}


def book(app: Flask, **kwargs: object) -> str:
    with app.app_context():
        _appointment, token = make_appointment(**kwargs)
        return token


@pytest.fixture
def no_js_phone(browser: Browser) -> Iterator[Page]:
    """A phone with JavaScript switched off: the flow must not need it."""
    context = browser.new_context(
        viewport=PHONE, has_touch=True, is_mobile=True, java_script_enabled=False
    )
    page = context.new_page()
    yield page
    context.close()


def tap_through_steps(page: Page, answer: str = "No") -> None:
    for number, step in enumerate(STEPS, start=1):
        expect(page.locator(".progress")).to_have_text(f"Step {number} of {len(STEPS) + 2}")
        for choice in page.locator(f"label.choice:has(input[value='{answer.lower()}'])").all():
            choice.tap()
        page.get_by_role("button", name="Save and continue").tap()
        assert step.id  # each step in order


def test_a_patient_completes_the_intake_by_tapping(app, live_server_url, no_js_phone):
    page = no_js_phone
    token = book(app)
    requests: list[str] = []
    page.on("request", lambda request: requests.append(request.url))

    page.goto(f"{live_server_url}/i/{token}")
    fill_date_of_birth(page, DOB)
    page.get_by_role("button", name="Continue").tap()
    page.wait_for_url(f"{live_server_url}/intake/step/area")
    expect(page.locator("main")).to_contain_text("the skin the clinic will treat at this visit")
    tap_through_steps(page)

    expect(page.get_by_role("heading", level=1)).to_have_text("Check your answers")
    page.get_by_role("link", name="Continue").tap()
    expect(page.locator("main")).to_contain_text("The clinic's phone number: +1 555 0100")
    for item in AFTERCARE:
        page.get_by_role("checkbox", name=f"I have read and understand: {item.title}").tap()
    page.get_by_label("Your full name").fill("Robin Example")
    page.get_by_role("button", name="Sign and send my answers").tap()

    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Thank you, your answers have been sent"
    )
    expect(page.locator("main")).to_contain_text("A clinician reviews the answers where needed")
    page.get_by_role("link", name="View or print what you read and signed").tap()
    expect(page.locator("main")).to_contain_text("by Robin Example on")

    assert all(url.startswith(live_server_url) for url in requests), requests
    with app.app_context():
        intake = db.session.execute(sa.select(Intake)).scalar_one()
        assert intake.status is IntakeStatus.READY
        assert intake.acknowledgment is not None


def test_mistakes_are_announced_and_focused(app, live_server_url, phone_page):
    page = phone_page
    token = book(app)
    page.goto(f"{live_server_url}/i/{token}")
    fill_date_of_birth(page, "1991-01-01")
    page.get_by_role("button", name="Continue").tap()
    summary = page.locator(".error-summary")
    expect(summary).to_be_focused()
    expect(summary).to_have_attribute("role", "alert")
    expect(page.get_by_label("Day", exact=True)).to_have_attribute("aria-invalid", "true")
    fill_date_of_birth(page, DOB)
    page.get_by_role("button", name="Continue").tap()
    page.locator("label.choice:has(input[value='no'])").first.tap()
    page.get_by_role("button", name="Save and continue").tap()
    expect(page.locator(".error-summary")).to_be_focused()
    expect(page.locator("input[name=active_acne][value=no]")).to_be_checked()
    page.locator(".error-summary a").first.click()
    expect(page.locator("#skin_problem_in_area-yes")).to_be_focused()


def _pages(app: Flask, base: str, page: Page) -> Iterator[str]:
    """Visit every patient page in turn, yielding a short name for each."""
    token = book(app)
    page.goto(f"{base}/i/{token}")
    yield "identity"
    fill_date_of_birth(page, "1991-01-01")
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    yield "identity-error"
    fill_date_of_birth(page, DOB)
    with page.expect_navigation():
        page.get_by_role("button", name="Continue").click()
    for index, step in enumerate(STEPS):
        if index == 0:
            with page.expect_navigation():
                page.get_by_role("button", name="Save and continue").click()
            yield "step-error"
        # A "yes" opens the optional details box, so it is in the picture.
        yes = page.locator("label.choice:has(input[value='yes'])")
        no = page.locator("label.choice:has(input[value='no'])")
        for i in range(no.count()):
            (yes if step.id == "medicines" and i == 0 else no).nth(i).click()
        if step.id == "medicines":
            page.locator("textarea").first.fill("Aspirin 75 mg each morning")
        yield f"step-{step.id}"
        with page.expect_navigation():
            page.get_by_role("button", name="Save and continue").click()
    yield "review"
    with page.expect_navigation():
        page.get_by_role("link", name="Continue").click()
    yield "aftercare"
    page.get_by_role("checkbox").first.check()
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and send my answers").click()
    yield "aftercare-error"
    for checkbox in page.get_by_role("checkbox").all():
        checkbox.check()
    page.get_by_label("Your full name").fill("Robin Example")
    with page.expect_navigation():
        page.get_by_role("button", name="Sign and send my answers").click()
    yield "done"
    with page.expect_navigation():
        page.get_by_role("link", name="View or print what you read and signed").click()
    yield "copy"
    page.go_back(wait_until="load")
    with page.expect_navigation():
        page.get_by_role("button", name="Finish").click()
    yield "finished"
    page.goto(f"{base}/intake/step/area")
    yield "no-session"
    page.goto(f"{base}/i/not-a-real-link")
    yield "unknown"
    locked = book(app, first_name="Lou")
    page.goto(f"{base}/i/{locked}")
    for _ in range(5):
        fill_date_of_birth(page, "1991-01-01")
        with page.expect_navigation():
            page.get_by_role("button", name="Continue").click()
    yield "locked"
    with app.app_context():
        appointment, expired = make_appointment(first_name="Eve", starts_in=dt.timedelta(hours=1))
        db.session.get(Appointment, appointment.id).starts_at -= dt.timedelta(days=1)
        db.session.commit()
    page.goto(f"{base}/i/{expired}")
    yield "expired"


def test_every_patient_page_passes_axe_and_the_html_checker(app, live_server_url, any_page):
    seen = []
    for name in _pages(app, live_server_url, any_page):
        seen.append(name)
        # The README shows the phone's pictures: most patients are on one.
        shot = f"patient-{name}" if width_name(any_page) == "phone" else None
        assert_accessible(any_page, shot)
    assert len(seen) == 13 + len(STEPS)


@pytest.mark.parametrize(
    ("viewport", "scale"),
    [({"width": 320, "height": 640}, 1), ({"width": 640, "height": 450}, 2)],
    ids=["320px", "200-percent-zoom"],
)
def test_readable_at_320px_and_at_200_percent_zoom(app, live_server_url, browser, viewport, scale):
    context = browser.new_context(viewport=viewport, device_scale_factor=scale)
    page = context.new_page()
    try:
        for name in _pages(app, live_server_url, page):
            overflow = page.evaluate(
                "document.documentElement.scrollWidth - document.documentElement.clientWidth"
            )
            assert overflow <= 0, f"{name} scrolls sideways by {overflow}px"
    finally:
        context.close()
