"""The admin's webhook pages in real Chromium, at phone (390 px) and desktop (1280 px) widths."""

from __future__ import annotations

import re

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from intake.models import Role
from intake.webhooks.delivery import deliver_due
from tests.browser.conftest import assert_accessible, sign_in, width_name
from tests.conftest import make_user
from tests.staff.conftest import make_submitted

pytestmark = pytest.mark.browser

# Port 9 (discard) has no listener here: every delivery fails and is retried.
UNREACHABLE = "http://127.0.0.1:9/hooks/intake"


@pytest.fixture
def app_config():
    # CSRF on, as in production; loopback allowed (test only) for an address to register.
    return {"WTF_CSRF_ENABLED": True, "INTAKE_WEBHOOKS_ALLOW_LOOPBACK": True}


def test_register_see_the_secret_once_and_the_deliveries(
    app: Flask, live_server_url: str, any_page: Page
):
    page = any_page
    with app.app_context():
        email = make_user(Role.ADMIN).email
    sign_in(page, live_server_url, email)
    page.goto(f"{live_server_url}/admin/users")
    page.get_by_role("link", name="Webhooks").click()
    expect(page.get_by_role("heading", name="Webhooks", level=1)).to_be_visible()
    assert_accessible(page, f"webhooks-empty-{width_name(page)}")

    page.get_by_label("Address (URL)").fill("https://10.1.2.3/hooks")
    page.get_by_role("button", name="Add address").click()
    expect(page.get_by_role("alert")).to_contain_text("private network address (10.1.2.3)")
    expect(page.get_by_label("Address (URL)")).to_have_value("https://10.1.2.3/hooks")
    assert_accessible(page, f"webhooks-refused-{width_name(page)}")

    page.get_by_label("Address (URL)").fill(UNREACHABLE)
    page.get_by_role("button", name="Add address").click()
    secret = page.locator("#signing-secret")
    expect(secret).to_have_text(re.compile(r"^whsec_\S{40,}$"))
    assert_accessible(page, f"webhook-secret-{width_name(page)}")
    page.reload()
    expect(page.locator("#signing-secret")).to_have_count(0)

    with app.app_context():
        make_submitted({"acne_prone": "yes"})
        assert deliver_due().failed == 1
    page.goto(f"{live_server_url}/admin/webhooks")
    expect(page.get_by_text("Waiting to retry")).to_be_visible()
    expect(page.get_by_text("could not send", exact=False)).to_be_visible()
    assert_accessible(page, f"webhooks-deliveries-{width_name(page)}")

    page.get_by_role("link", name=UNREACHABLE).first.click()
    expect(page.get_by_text("intake.submitted")).to_be_visible()
    assert_accessible(page, f"webhook-{width_name(page)}")

    page.get_by_role("button", name="Disable").click()
    expect(page.get_by_text("Disabled: no events are sent")).to_be_visible()
    expect(page.get_by_role("button", name="Enable")).to_be_visible()
    assert_accessible(page, f"webhook-disabled-{width_name(page)}")
    page.get_by_role("link", name="Make a new secret…").click()
    assert_accessible(page, f"webhook-rotate-{width_name(page)}")
    page.get_by_role("button", name="Yes, make a new secret").click()
    expect(page.locator("#signing-secret")).to_be_visible()

    page.get_by_role("link", name="Remove…").click()
    assert_accessible(page, f"webhook-remove-{width_name(page)}")
    page.get_by_role("button", name="Yes, remove it").click()
    expect(page.get_by_text("No addresses yet.")).to_be_visible()
    assert_accessible(page, f"webhooks-removed-{width_name(page)}")
