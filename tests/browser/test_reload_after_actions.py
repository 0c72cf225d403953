"""A reload after every staff action changes nothing.

Each action is done in real Chromium through its form. The page it ends on
must have been loaded by a GET (post/redirect/get), and a reload of that page
must leave every table as it was, apart from the audit events that record a
page view and the columns that note when an account or session was last seen.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pyotp
import pytest
import sqlalchemy as sa
from flask import Flask
from playwright.sync_api import Page, expect

from intake.audit import Action
from intake.extensions import db
from intake.models import Role
from tests.browser.conftest import fill_date_of_birth, sign_in
from tests.browser.test_every_page import Clinic, open_clinic
from tests.conftest import STAFF_PASSWORD

pytestmark = pytest.mark.browser

# Audit events a page view writes: a reload may add these, nothing else.
PAGE_VIEWS = {
    Action.INTAKE_VIEWED.value,
    Action.ACKNOWLEDGMENT_PRINTED.value,
    Action.ACKNOWLEDGMENT_VIEWED.value,
    Action.LINK_OPENED.value,
    Action.API_INTAKE_READ.value,
}
# Columns a page view may touch: when a session or account was last seen.
SEEN = {("staff_sessions", "last_seen_at"), ("staff_devices", "last_seen_at")}
NEW_PASSWORD = "a brand new passphrase for the reload test"


@pytest.fixture
def app_config() -> dict[str, object]:
    return {"WTF_CSRF_ENABLED": True}


def snapshot(app: Flask) -> dict[str, list[tuple[Any, ...]]]:
    """Every row of every table, less page-view audit events and last-seen times."""
    with app.app_context():
        metadata = sa.MetaData()
        metadata.reflect(bind=db.engine)
        tables: dict[str, list[tuple[Any, ...]]] = {}
        with db.engine.connect() as connection:
            for table in metadata.sorted_tables:
                if table.name == "audit_checkpoints":
                    continue
                columns = [c for c in table.columns if (table.name, c.name) not in SEEN]
                query = sa.select(*columns)
                if table.name == "audit_events":
                    query = query.where(table.c.action.not_in(PAGE_VIEWS))
                rows = connection.execute(query).all()
                tables[table.name] = sorted((tuple(row) for row in rows), key=repr)
        db.engine.dispose()
        return tables


def act(page: Page, app: Flask, name: str, do: Callable[[], None]) -> None:
    """Do one action, check the page came by GET, reload, and compare the tables."""
    with page.expect_navigation() as navigation:
        do()
    response = navigation.value
    assert response is not None and response.request.method == "GET", (
        f"{name}: the result page answers the POST itself (no redirect)"
    )
    assert response.status < 400, f"{name}: {response.status}"
    before = snapshot(app)
    page.reload()
    after = snapshot(app)
    changed = {t: (before[t], after.get(t)) for t in before if before[t] != after.get(t)}
    assert changed == {}, f"a reload after {name} changed {sorted(changed)}: {changed}"


def click(page: Page, button: str) -> Callable[[], None]:
    return lambda: page.get_by_role("button", name=button).click()


def test_a_reload_after_any_staff_action_changes_nothing(
    app: Flask, live_server_url: str, desktop_page: Page
):
    clinic: Clinic = open_clinic(app)
    page, base = desktop_page, live_server_url

    # Front desk: sign in, book, make a new link.
    page.goto(f"{base}/login")
    page.get_by_label("Email").fill(clinic.front_desk)
    page.get_by_label("Password").fill(STAFF_PASSWORD)
    act(page, app, "sign-in", click(page, "Sign in"))
    page.goto(f"{base}/frontdesk/appointments/new")
    page.get_by_label("First name").fill("Noor")
    page.get_by_label("Last name").fill("Haddad")
    fill_date_of_birth(page, "1985-03-27")
    starts = (dt.datetime.now() + dt.timedelta(days=2)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("Appointment date and time").fill(starts)
    act(page, app, "booking", click(page, "Book and create the intake link"))
    page.goto(f"{base}/frontdesk/appointments/{clinic.waiting_appointment}/link")
    # A reason is asked only once the patient has started; this one has not.
    expect(page.get_by_label("Why is a new link needed?")).to_have_count(0)
    act(page, app, "a new link", click(page, "Make the new link"))
    page.goto(f"{base}/frontdesk/appointments/{clinic.waiting_appointment}")
    page.get_by_role("link", name="Change details").click()
    page.get_by_label("Phone (optional)").fill("+1 555 0142")
    act(page, app, "a change of details", click(page, "Save the details"))
    page.get_by_role("link", name="Move").click()
    later = (dt.datetime.now() + dt.timedelta(days=3)).strftime("%Y-%m-%dT%H:%M")
    page.get_by_label("New date and time").fill(later)
    act(page, app, "a move", click(page, "Move the appointment"))
    page.get_by_role("link", name="Cancel appointment").click()
    page.get_by_label("Reason (optional)").fill("The patient moved away.")
    act(page, app, "a cancellation", click(page, "Cancel the appointment"))
    act(page, app, "sign-out", click(page, "Sign out"))

    # Clinician: a decision.
    sign_in(page, base, clinic.clinician)
    page.goto(f"{base}/review/intakes/{clinic.flagged_intake}")
    page.get_by_label("Deferred").check()
    page.get_by_label("Note").fill("Rebook once the chin has healed.")
    act(page, app, "a decision", click(page, "Record decision"))
    page.get_by_role("button", name="Sign out").click()

    # Admin, signed in on two devices: accounts, then their own sessions,
    # password and authenticator.
    elsewhere = page.context.browser.new_context()
    sign_in(elsewhere.new_page(), base, clinic.admin)
    sign_in(page, base, clinic.admin)
    page.goto(f"{base}/admin/users/new")
    page.get_by_label("Email").fill("casey.new@clinic.test")
    page.get_by_label("Role").select_option(Role.CLINICIAN.value)
    act(page, app, "a new account", click(page, "Create account"))
    page.goto(f"{base}/admin/users")
    page.get_by_role("link", name=clinic.front_desk).click()
    page.get_by_role("combobox", name="Role").select_option(Role.CLINICIAN.value)
    act(page, app, "a role change", click(page, "Change role"))
    page.get_by_role("link", name="Deactivate account…").click()
    act(page, app, "a deactivation", click(page, "Yes, deactivate the account"))
    act(page, app, "a reactivation", click(page, "Reactivate account"))
    page.get_by_role("link", name="Reset password…").click()
    act(page, app, "a password reset", click(page, "Yes, reset the password"))

    page.goto(f"{base}/account")
    act(page, app, "signing out other devices", click(page, "Sign out all other devices"))
    elsewhere.close()
    page.goto(f"{base}/account/password")
    page.get_by_label("Current password").fill(STAFF_PASSWORD)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("New password again").fill(NEW_PASSWORD)
    act(page, app, "a password change", click(page, "Change password"))
    page.goto(f"{base}/account/two-factor")
    secret = re.sub(r"\s", "", page.locator("code.secret").inner_text())
    page.get_by_label("6-digit code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    act(page, app, "turning on the authenticator", click(page, "Turn on"))
    page.goto(f"{base}/account")
    page.get_by_label("Your password").fill(NEW_PASSWORD)
    act(page, app, "new recovery codes", click(page, "Make new recovery codes"))
    expect(page.get_by_role("button", name="Sign out")).to_be_visible()
