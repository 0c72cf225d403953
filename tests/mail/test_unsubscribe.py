"""The "no more reminders" link: GET changes nothing, POST (the button or one-click) stops them."""

from __future__ import annotations

import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa

from intake.audit import Action
from intake.extensions import db
from intake.mail import outbox
from intake.models import Appointment, AuditEvent, Role
from tests.conftest import make_user
from tests.mail.conftest import mail_config
from tests.mail.test_reminders import _run, booked
from tests.staff.conftest import login_as

pytestmark = pytest.mark.usefixtures("app_ctx")


@pytest.fixture
def app_config(smtp):
    # CSRF on: the one-click POST must work without a token, and only it.
    return {**mail_config(smtp.port), "WTF_CSRF_ENABLED": True}


def _stop_path(smtp) -> str:
    header = smtp.messages[-1].message["List-Unsubscribe"].strip()
    match = re.fullmatch(r"<http://localhost(/reminders/stop/[^>]+)>", header)
    assert match
    text = smtp.messages[-1].part("text/plain")
    assert f"http://localhost{match.group(1)}" in text
    return match.group(1)


def _events() -> list[AuditEvent]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(AuditEvent).where(AuditEvent.action == Action.REMINDERS_STOPPED.value)
        )
    )


def test_get_changes_nothing_and_post_stops_reminders(app, client, smtp):
    appointment, _ = booked(24)
    path = _stop_path(smtp)
    page = client.get(path)
    assert page.status_code == HTTPStatus.OK
    html = page.get_data(as_text=True)
    assert "Stop reminder emails?" in html and "Demo Skin Clinic" in html
    assert 'name="csrf_token"' in html
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).reminders_stopped_at is None
    assert _events() == []

    # RFC 8058 one-click: a POST with that body and no CSRF token.
    done = client.post(path, data={"List-Unsubscribe": "One-Click"})
    assert done.status_code == HTTPStatus.OK
    assert "You will get no more reminders" in done.get_data(as_text=True)
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).reminders_stopped_at is not None
    [event] = _events()
    assert event.target_id == appointment.id
    # A second POST changes nothing more.
    client.post(path)
    assert len(_events()) == 1
    assert "already stopped" in client.get(path).get_data(as_text=True)

    # Honoured: no reminder goes out.
    smtp.messages.clear()
    assert _run(app) == "sent 0, failed 0, skipped 0"
    assert smtp.messages == []

    # The front desk sees it.
    staff = client.application.test_client()
    login_as(staff, make_user(Role.FRONT_DESK))
    page = staff.get(f"/frontdesk/appointments/{appointment.id}").get_data(as_text=True)
    assert "The patient asked for no more reminders" in page


def test_csrf_stays_on_for_other_posts(client, smtp):
    staff = client
    login_as(staff, make_user(Role.FRONT_DESK))
    appointment, _ = booked(24)
    refused = staff.post(f"/frontdesk/appointments/{appointment.id}/send-link", data={"link": "x"})
    assert refused.status_code == HTTPStatus.BAD_REQUEST


@pytest.mark.parametrize("token", ["x", "MQ.bad.signature", outbox.STOP_SALT])
def test_a_bad_token_gets_a_calm_page_and_changes_nothing(client, smtp, token):
    booked(24)
    for response in (
        client.get(f"/reminders/stop/{token}"),
        client.post(f"/reminders/stop/{token}"),
    ):
        assert response.status_code == HTTPStatus.NOT_FOUND
        html = response.get_data(as_text=True)
        assert "We could not find this link" in html and "Demo Skin Clinic" in html
    assert _events() == []


def test_a_token_signed_with_another_key_is_refused(app, client, smtp):
    appointment, _ = booked(24)
    token = outbox.stop_token(appointment.id)
    app.config["SECRET_KEY"] = "another-key"
    assert client.post(f"/reminders/stop/{token}").status_code == HTTPStatus.NOT_FOUND
    assert _events() == []
