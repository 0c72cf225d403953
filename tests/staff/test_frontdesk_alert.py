"""The day list's alert for today's intakes waiting for a clinician; the link's copy field."""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus

import pytest

from intake import decisions
from intake.clock import clinic_today, day_bounds
from intake.extensions import db
from intake.models import Appointment, IntakeStatus, Role
from tests.conftest import make_appointment, make_user
from tests.staff.conftest import login_as, make_submitted
from tests.staff.test_frontdesk import visible

pytestmark = pytest.mark.usefixtures("app_ctx")

SECRET = "takes warfarin every evening"


@pytest.fixture
def desk(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    return user


def at_today(appointment: Appointment, hour: int, minute: int = 0) -> None:
    """Put the appointment at a time today in the clinic (whatever the time now)."""
    start, _end = day_bounds(clinic_today())
    appointment.starts_at = start + dt.timedelta(hours=hour, minutes=minute)
    db.session.commit()


def deferred(appointment: Appointment) -> None:
    clinician = make_user(Role.CLINICIAN)
    decisions.record(
        appointment.intake.id,
        clinician_id=clinician.id,
        outcome=IntakeStatus.DEFERRED,
        note="wait until the spots settle",
        seen_status=IntakeStatus.NEEDS_REVIEW,
        seen_decision_id=None,
    )
    db.session.commit()


def test_todays_list_names_the_patients_still_waiting_for_a_clinician(client, desk):
    review, _ = make_submitted(
        {"blood_thinners": "yes", "blood_thinners_details": SECRET},
        first_name="Ana",
        last_name="Lopez",
    )
    at_today(review, 9, 30)
    later, _ = make_submitted({"active_acne": "yes"}, first_name="Bo", last_name="Reed")
    at_today(later, 15)
    deferred(later)
    ready, _ = make_submitted(first_name="Cy", last_name="Ready")
    at_today(ready, 11)
    fresh, _ = make_appointment(first_name="Di", last_name="New")
    at_today(fresh, 12)
    gone, _ = make_submitted({"active_acne": "yes"}, first_name="Ed", last_name="Gone")
    at_today(gone, 13)
    client.post(f"/frontdesk/appointments/{gone.id}/cancel")

    response = client.get("/frontdesk/")
    body = response.get_data(as_text=True)
    alert = re.search(r'<section class="attention".*?</section>', body, re.S).group(0)
    text = visible(response)
    assert "Today: 2 patients still waiting for a clinician" in text
    assert "Lopez, Ana" in alert and "09:30" in alert and "Waiting for a clinician" in alert
    assert "Reed, Bo" in alert and "15:00" in alert and "Deferred" in alert
    for other in ("Ready", "New", "Gone"):
        assert other not in alert
    # A marker in words on each of those rows, not colour alone.
    rows = re.findall(r'<tr class="waiting">.*?</tr>', body, re.S)
    assert len(rows) == 2
    assert all("Check with a clinician before treatment" in row for row in rows)
    # The status only: never a flag, a severity or an answer.
    for secret in (SECRET, "BLEEDING_RISK", "ACTIVE_ACNE", "precaution", "contraindication"):
        assert secret not in body


def test_no_alert_on_another_day_or_when_nothing_waits(client, desk):
    ready, _ = make_submitted(first_name="Cy", last_name="Ready")
    at_today(ready, 11)
    assert 'class="attention"' not in client.get("/frontdesk/").get_data(as_text=True)
    waiting, _ = make_submitted({"active_acne": "yes"}, starts_in=dt.timedelta(days=3))
    day = waiting.starts_at.date()
    page = client.get(f"/frontdesk/?date={day.isoformat()}").get_data(as_text=True)
    assert 'class="attention"' not in page and 'class="waiting"' not in page


def test_a_new_link_is_shown_in_a_read_only_field_with_a_copy_script_and_a_live_region(
    client, desk
):
    appointment, _token = make_appointment()
    response = client.post(f"/frontdesk/appointments/{appointment.id}/link")
    page = client.get(response.headers["Location"])
    assert page.status_code == HTTPStatus.OK
    body = page.get_data(as_text=True)
    field = re.search(r'<input[^>]*id="intake-url"[^>]*>', body).group(0)
    assert "readonly" in field and 'value="http://localhost/i/' in field
    # The button stays hidden until the script shows it (none without JavaScript);
    # the words come from the page.
    button = re.search(r'<button[^>]*data-copy="intake-url"[^>]*>', body).group(0)
    assert " hidden" in button and 'data-copied="Copied"' in button
    assert 'data-status="copy-status"' in button
    assert re.search(r'<p class="copy-status" id="copy-status" role="status"', body)
    assert '<script src="/static/js/copy-field.js" defer></script>' in body
    assert 'class="qr"' in body  # the QR code stays
    script = client.get("/static/js/copy-field.js")
    assert script.status_code == HTTPStatus.OK
    assert b"navigator.clipboard" in script.data
    script.close()
