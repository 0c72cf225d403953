"""The admin's API token pages in a real browser, at a phone's and a desktop's width.

Each state is checked by ``assert_accessible`` (axe-core, the Nu HTML
checker, no sideways scroll); the token is shown once and then works on the
API until it is revoked.
"""

from __future__ import annotations

import re

import pytest
import requests
from flask import Flask
from playwright.sync_api import Page, expect

from intake.extensions import db
from intake.models import Role
from tests.browser.conftest import assert_accessible, sign_in, width_name
from tests.conftest import make_appointment, make_user

pytestmark = pytest.mark.browser


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


def test_an_admin_creates_sees_once_and_revokes_a_token(
    app: Flask, live_server_url: str, any_page: Page
):
    with app.app_context():
        admin = make_user(Role.ADMIN, "alex.admin@clinic.test").email
        appointment_id = make_appointment()[0].id
        db.session.commit()
    page, base, width = any_page, live_server_url, width_name(any_page)
    sign_in(page, base, admin)

    page.get_by_role("link", name="API tokens").click()
    expect(page.get_by_role("heading", name="API tokens")).to_be_visible()
    assert_accessible(page, f"staff-admin-tokens-empty-{width}", screenshot=False)

    page.get_by_role("link", name="Create a token").click()
    assert_accessible(page, f"staff-admin-token-new-{width}")
    # Nothing chosen and no name: both are named, in the summary and at the field.
    page.get_by_label("Read intakes").uncheck()
    page.get_by_label("Name").fill("")
    page.get_by_role("button", name="Create token").click()
    expect(page.get_by_role("alert")).to_contain_text("Enter a name for the token.")
    expect(page.get_by_role("alert")).to_contain_text("Choose at least one thing")
    assert_accessible(page, f"staff-admin-token-new-error-{width}")

    page.get_by_label("Name").fill("Booking site")
    page.get_by_label("Read intakes").check()
    page.get_by_label("Book appointments").check()
    page.get_by_role("button", name="Create token").click()
    secret = page.locator("#api-token")
    expect(secret).to_be_visible()
    token = secret.inner_text()
    assert re.fullmatch(r"itk_[A-Za-z0-9_-]{43}", token)
    assert_accessible(page, f"staff-admin-token-created-{width}", screenshot=False)

    page.reload()
    expect(page.get_by_role("heading", name="The token is no longer shown")).to_be_visible()
    assert token not in page.content()
    assert_accessible(page, f"staff-admin-token-gone-{width}", screenshot=False)

    api = f"{base}/api/v1/appointments/{appointment_id}/intake"
    auth = {"Authorization": f"Bearer {token}"}
    assert requests.get(api, headers=auth, timeout=10).status_code == 200

    page.get_by_role("link", name="Done").click()
    expect(page.get_by_role("cell", name="Booking site", exact=True)).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Booking site"))).to_contain_text("Active")
    assert_accessible(page, f"staff-admin-tokens-{width}")

    page.get_by_role("link", name="Revoke Booking site").click()
    assert_accessible(page, f"staff-admin-token-revoke-{width}", screenshot=False)
    page.get_by_role("button", name="Yes, revoke the token").click()
    expect(page.get_by_text("is revoked: it no longer works")).to_be_visible()
    expect(page.get_by_role("row", name=re.compile("Booking site"))).to_contain_text("Revoked")
    assert_accessible(page, f"staff-admin-tokens-revoked-{width}", screenshot=False)
    refused = requests.get(api, headers=auth, timeout=10)
    assert refused.status_code == 401 and refused.headers["WWW-Authenticate"].startswith("Bearer")
