"""Real headless Chromium (Debian's), driven by Playwright, against a live server.

The live server (``live_server_url``, in ``tests/conftest.py``) runs in a
thread on the test's app, on a committed database of the test's own.

``playwright install`` cannot download a browser here, so the system Chromium
at ``/usr/bin/chromium`` is launched directly.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from playwright.sync_api import Browser, Page, Playwright, expect, sync_playwright

from tests.conftest import STAFF_PASSWORD

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
PHONE = {"width": 390, "height": 844}
# Set INTAKE_SCREENSHOTS=docs/screenshots to (re)write the README's pictures;
# an ordinary test run leaves the work tree alone.
SCREENSHOTS = os.environ.get("INTAKE_SCREENSHOTS")
SERIOUS = {"serious", "critical"}


def assert_accessible(page: Page) -> None:
    """Run axe-core on the page; fail on any serious or critical violation."""
    results = Axe().run(page)
    serious = [v for v in results.response["violations"] if v["impact"] in SERIOUS]
    assert serious == [], results.generate_report()


def sign_in(page: Page, base: str, email: str, password: str = STAFF_PASSWORD) -> None:
    """Sign in through the real form and wait until a staff page shows."""
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(email)
    page.get_by_label("Password").fill(password)
    page.get_by_role("button", name="Sign in").click()
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()


def shoot(page: Page, name: str, *, full_page: bool = True) -> None:
    """Save a screenshot for the README when INTAKE_SCREENSHOTS names a folder."""
    if SCREENSHOTS:
        Path(SCREENSHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SCREENSHOTS) / name), full_page=full_page)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    browser = playwright_instance.chromium.launch(
        executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS
    )
    yield browser
    browser.close()


@pytest.fixture
def phone_page(browser: Browser) -> Iterator[Page]:
    """A page in a fresh phone-sized browser context (390x844, touch)."""
    context = browser.new_context(viewport=PHONE, has_touch=True, is_mobile=True)
    page = context.new_page()
    yield page
    context.close()


@pytest.fixture
def desktop_page(browser: Browser) -> Iterator[Page]:
    context = browser.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield page
    context.close()


def fill_date_of_birth(page: Page, iso: str) -> None:
    """Type an ISO date into the three date-of-birth boxes (Day, Month, Year), as a person would."""
    year, month, day = iso.split("-")
    page.get_by_label("Day", exact=True).fill(str(int(day)))
    page.get_by_label("Month", exact=True).fill(str(int(month)))
    page.get_by_label("Year", exact=True).fill(year)
