"""The day's pager in real Chromium: Earlier and Later links, accessible at both widths."""

from __future__ import annotations

import datetime as dt

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from intake.clock import clinic_today
from intake.models import Role
from tests.browser.conftest import assert_accessible, sign_in, width_name
from tests.conftest import make_user
from tests.staff.test_frontdesk_pager import add_day

pytestmark = pytest.mark.browser


def test_the_front_desk_pages_through_a_busy_day(app: Flask, live_server_url: str, any_page: Page):
    with app.app_context():
        email = make_user(Role.FRONT_DESK, email="alex.desk@clinic.test").email
        # Another day than today: it opens on its first screen whatever the time.
        day = (clinic_today() + dt.timedelta(days=2)).isoformat()
        add_day(dt.date.fromisoformat(day), 60, tag="Pager")
    page = any_page
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/frontdesk/?date={day}")

    pager = page.get_by_role("navigation", name="Appointments on this day")
    expect(pager).to_contain_text("Showing 1 to 50 of 60")
    expect(page.locator("table.day tbody tr")).to_have_count(50)
    expect(pager.get_by_role("link", name="Earlier")).to_have_count(0)
    assert_accessible(page, f"frontdesk-day-pager-{width_name(page)}", screenshot=False)

    with page.expect_navigation():
        pager.get_by_role("link", name="Later").click()
    expect(pager).to_contain_text("Showing 51 to 60 of 60")
    expect(page.locator("table.day tbody tr")).to_have_count(10)
    expect(page.locator("table.day tbody")).to_contain_text("Pager, Pat059")
    assert f"date={day}" in page.url
    assert_accessible(page, f"frontdesk-day-pager-last-{width_name(page)}", screenshot=False)

    with page.expect_navigation():
        pager.get_by_role("link", name="Earlier").click()
    expect(pager).to_contain_text("Showing 1 to 50 of 60")
    expect(page.locator("table.day tbody")).to_contain_text("Pager, Pat000")
