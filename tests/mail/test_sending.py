"""The intake link by email: booking with "email it", the "Send by email" button, ``add --send``."""

from __future__ import annotations

import datetime as dt
import json
import logging
import re
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from flask_babel import force_locale

from intake import clock
from intake.audit import Action
from intake.extensions import db
from intake.links import hash_token
from intake.models import Appointment, AuditEvent, IntakeLink, OutboxMessage, Role, utcnow
from intake.screening import QUESTIONS
from tests.conftest import make_appointment, make_user
from tests.mail.conftest import Delivered, free_port, mail_config
from tests.staff.conftest import login_as

pytestmark = pytest.mark.usefixtures("app_ctx")

DOB = "1984-03-09"
EMAIL = "ana.patient@example.org"


def _at(days: float = 5) -> str:
    return (utcnow() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")  # clinic zone: UTC


def _front_desk(client):
    login_as(client, make_user(Role.FRONT_DESK))


def _book(client, *, send: bool, email: str = EMAIL, language: str = "en"):
    data = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "dob-day": "9",
        "dob-month": "3",
        "dob-year": "1984",
        "at": _at(),
        "email": email,
        "phone": "",
        "language": language,
    }
    if send:
        data["send_email"] = "y"
    return client.post("/frontdesk/appointments/new", data=data)


def _outbox() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)))


def _events(action: Action) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action.value)))


def _token_in(text: str) -> str:
    match = re.search(r"http://localhost/i/([A-Za-z0-9_-]+)", text)
    assert match, "no intake link in the email"
    return match.group(1)


def assert_safe(delivered: Delivered, appointment: Appointment) -> None:
    """Nothing of the screening nor the date of birth in any part or header."""
    text, html = delivered.part("text/plain"), delivered.part("text/html")
    # Headers and decoded parts, not the raw message: a MIME boundary (in the
    # body and in Content-Type) and the Message-ID are random digits, and a
    # boundary once held "1984".
    headers = "\n".join(
        f"{name}: {value}"
        for name, value in delivered.message.items()
        if name.lower() not in {"content-type", "message-id"}
    )
    whole = "\n".join((headers, text, html))
    dob = appointment.date_of_birth
    for form in (
        dob.isoformat(),
        dob.strftime("%d/%m/%Y"),
        dob.strftime("%m/%d/%Y"),
        str(dob.year),
    ):
        assert form not in whole
    for question in QUESTIONS:
        assert question.text not in text and question.text not in html
        assert question.id not in text and question.id not in html


def assert_link_email(delivered: Delivered, appointment: Appointment) -> str:
    """The email names the clinic and the time, carries the link; returns the link's token."""
    message = delivered.message
    assert delivered.rcpt_tos == [appointment.email]
    assert "Demo Skin Clinic" in message["Subject"]
    text, html = delivered.part("text/plain"), delivered.part("text/html")
    with force_locale(appointment.language):
        with_time = clock.when(appointment.starts_at, "patient")
    assert with_time in text
    assert "Demo Skin Clinic" in text and "Demo Skin Clinic" in html
    token = _token_in(text)
    assert token in html
    # RFC 8058: a one-click https-style URL and the POST header.
    assert re.fullmatch(
        r"<http://localhost/reminders/stop/[^>]+>", message["List-Unsubscribe"].strip()
    )
    assert message["List-Unsubscribe-Post"] == "List-Unsubscribe=One-Click"
    assert_safe(delivered, appointment)
    return token


def test_booking_with_email_box_sends_the_link_after_the_commit(client, smtp):
    _front_desk(client)
    response = _book(client, send=True)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert len(smtp.messages) == 1
    appointment = db.session.scalars(sa.select(Appointment)).one()
    token = assert_link_email(smtp.messages[0], appointment)
    # The emailed token is the appointment's working link, and the same as the page shows.
    link = db.session.scalars(sa.select(IntakeLink)).one()
    assert link.token_hash == hash_token(token)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert token in page
    assert "This link was emailed to the patient" in page
    [row] = _outbox()
    assert row.state.value == "sent" and row.attempts == 1 and row.sent_at is not None
    # The raw token and the address are not kept on the row.
    assert token not in row.sealed_token and row.sealed_token
    assert row.to_address == ""
    [event] = _events(Action.MAIL_SENT)
    assert event.target_id == appointment.id
    assert EMAIL not in json.dumps(event.detail) and token not in json.dumps(event.detail)
    # The front desk sees it on the appointment page and, small, on the day.
    page = client.get(f"/frontdesk/appointments/{appointment.id}").get_data(as_text=True)
    assert "Emails to the patient" in page and "Sent" in page
    day = client.get(f"/frontdesk/?date={clock.local(appointment.starts_at).date()}")
    assert "Email: Sent" in day.get_data(as_text=True)


def test_email_box_without_an_address_books_nothing_and_says_why(client, smtp):
    _front_desk(client)
    response = _book(client, send=True, email="")
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    html = response.get_data(as_text=True)
    assert "Enter the patient&#39;s email to send the link" in html
    # What was typed is kept.
    assert 'value="Ana"' in html and 'value="1984"' in html
    assert db.session.scalars(sa.select(Appointment)).all() == []
    assert smtp.messages == []


def test_booking_keeps_the_language_chosen(client, smtp):
    _front_desk(client)
    _book(client, send=True, language="es")
    appointment = db.session.scalars(sa.select(Appointment)).one()
    assert appointment.language == "es"
    assert _outbox()[0].language == "es"
    assert len(smtp.messages) == 1
    # The email itself is in Spanish (intake/translations), subject and both parts.
    delivered = smtp.messages[0]
    assert delivered.message["Subject"].startswith("Unas preguntas antes de su visita")
    assert "Su cita en Demo Skin Clinic es el" in delivered.part("text/plain")
    assert "Responder las preguntas" in delivered.part("text/html")
    assert_link_email(delivered, appointment)


def _link_page_field(html: str) -> str:
    match = re.search(r'name="link" type="hidden" value="([^"]+)"', html) or re.search(
        r'id="link" name="link" type="hidden" value="([^"]+)"', html
    )
    assert match, "no Send by email button"
    return match.group(1)


def test_send_by_email_button_beside_the_shown_link(client, smtp):
    _front_desk(client)
    response = _book(client, send=False)
    assert smtp.messages == []
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    shown = re.search(r'id="intake-url" value="http://localhost/i/([^"]+)"', page)
    assert shown
    appointment = db.session.scalars(sa.select(Appointment)).one()
    sent = client.post(
        f"/frontdesk/appointments/{appointment.id}/send-link",
        data={"link": _link_page_field(page)},
    )
    assert sent.status_code == HTTPStatus.SEE_OTHER
    assert len(smtp.messages) == 1
    assert assert_link_email(smtp.messages[0], appointment) == shown.group(1)
    after = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "Whether it was sent is shown" in after and "Sent" in after


def test_button_for_a_replaced_link_sends_nothing(client, smtp):
    _front_desk(client)
    response = _book(client, send=False)
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    field = _link_page_field(page)
    appointment = db.session.scalars(sa.select(Appointment)).one()
    client.post(f"/frontdesk/appointments/{appointment.id}/link", data={"reason": ""})
    sent = client.post(f"/frontdesk/appointments/{appointment.id}/send-link", data={"link": field})
    assert sent.status_code == HTTPStatus.CONFLICT
    assert "can no longer be emailed" in sent.get_data(as_text=True)
    assert smtp.messages == [] and _outbox() == []
    # Another appointment's sealed link is refused the same way.
    other, _token = make_appointment(email="other@example.org")
    wrong = client.post(f"/frontdesk/appointments/{other.id}/send-link", data={"link": field})
    assert wrong.status_code == HTTPStatus.CONFLICT
    tampered = client.post(
        f"/frontdesk/appointments/{appointment.id}/send-link", data={"link": "not-sealed"}
    )
    assert tampered.status_code == HTTPStatus.CONFLICT
    assert smtp.messages == []


def test_refused_recipient_is_recorded_and_shown_never_a_500(client, smtp, caplog):
    caplog.set_level(logging.DEBUG)
    smtp.handler.refuse = True
    _front_desk(client)
    response = _book(client, send=True)
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert smtp.messages == []
    [row] = _outbox()
    assert row.state.value == "failed" and row.attempts == 1
    assert row.last_error == "refused 550"
    assert row.to_address == ""
    # The address is in no log line of the app's (the test server's own, mail.log, aside).
    ours = [r.getMessage() for r in caplog.records if not r.name.startswith("mail.log")]
    assert ours and not any(EMAIL in line for line in ours)
    [event] = _events(Action.MAIL_FAILED)
    assert event.detail["reason"] == "refused"
    appointment = db.session.scalars(sa.select(Appointment)).one()
    page = client.get(f"/frontdesk/appointments/{appointment.id}").get_data(as_text=True)
    assert "Not sent: the mail server refused the address." in page
    # The booking stands and the link page still shows the link.
    link_page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The email was not sent" in link_page


@pytest.fixture
def app_config(smtp):
    return mail_config(smtp.port)


class TestServerNotListening:
    @pytest.fixture
    def app_config(self, smtp):
        return mail_config(free_port())

    def test_unreachable_server_is_recorded_and_shown(self, client, smtp):
        _front_desk(client)
        response = _book(client, send=True)
        assert response.status_code == HTTPStatus.SEE_OTHER
        [row] = _outbox()
        assert row.state.value == "failed" and row.last_error == "unreachable"
        appointment = db.session.scalars(sa.select(Appointment)).one()
        page = client.get(f"/frontdesk/appointments/{appointment.id}").get_data(as_text=True)
        assert "Not sent: the mail server could not be reached." in page


class TestEmailOff:
    @pytest.fixture
    def app_config(self):
        return {}

    def test_pages_explain_calmly_and_send_refuses(self, client):
        _front_desk(client)
        form = client.get("/frontdesk/appointments/new").get_data(as_text=True)
        assert "Email is not set up for this clinic" in form
        assert 'name="send_email"' not in form
        response = _book(client, send=True)
        assert response.status_code == HTTPStatus.SEE_OTHER
        page = client.get(response.headers["Location"]).get_data(as_text=True)
        assert "Email is not set up for this clinic yet" in page
        assert 'name="link"' not in page
        appointment = db.session.scalars(sa.select(Appointment)).one()
        refused = client.post(
            f"/frontdesk/appointments/{appointment.id}/send-link", data={"link": "x"}
        )
        assert refused.status_code == HTTPStatus.CONFLICT
        assert "Email is not set up" in refused.get_data(as_text=True)
        assert _outbox() == []


# -- The command line ----------------------------------------------------------


def test_cli_add_send_emails_the_link(app, smtp):
    runner = app.test_cli_runner()
    result = runner.invoke(
        args=[
            "appointments",
            "add",
            "--first-name",
            "Ana",
            "--last-name",
            "Lopez",
            "--dob",
            DOB,
            "--at",
            _at(3),
            "--email",
            EMAIL,
            "--language",
            "es",
            "--send",
        ]
    )
    assert result.exit_code == 0, result.output
    out = json.loads(result.stdout)
    assert "email: sent" in result.stderr
    assert len(smtp.messages) == 1
    appointment = db.session.get(Appointment, out["appointment_id"])
    assert appointment is not None and appointment.language == "es"
    token = assert_link_email(smtp.messages[0], appointment)
    assert out["intake_url"] == f"http://localhost/i/{token}"


def test_cli_add_send_failure_keeps_the_booking(app, smtp):
    smtp.handler.refuse = True
    result = app.test_cli_runner().invoke(
        args=[
            "appointments",
            "add",
            "--first-name",
            "Ana",
            "--last-name",
            "Lopez",
            "--dob",
            DOB,
            "--at",
            _at(3),
            "--email",
            EMAIL,
            "--send",
        ]
    )
    assert result.exit_code == 0
    assert "email: not sent (refused 550)" in result.stderr
    assert EMAIL not in result.stderr
    assert _outbox()[0].state.value == "failed"


def test_cli_add_send_needs_an_email(app, smtp):
    result = app.test_cli_runner().invoke(
        args=[
            "appointments",
            "add",
            "--first-name",
            "Ana",
            "--last-name",
            "Lopez",
            "--dob",
            DOB,
            "--at",
            _at(3),
            "--send",
        ]
    )
    assert result.exit_code == 2
    assert "--send needs --email" in result.stderr
    assert db.session.scalars(sa.select(Appointment)).all() == []


def test_change_details_changes_the_language(client, smtp):
    _front_desk(client)
    appointment, _token = make_appointment(email=EMAIL)
    form = client.get(f"/frontdesk/appointments/{appointment.id}/edit").get_data(as_text=True)
    selected = re.search(r"<option[^>]*\bselected\b[^>]*>([^<]+)</option>", form)
    assert selected and selected.group(1) == "English"
    data = {
        "first_name": appointment.first_name,
        "last_name": appointment.last_name,
        "email": EMAIL,
        "phone": "",
        "dob-day": "",
        "dob-month": "",
        "dob-year": "",
        "language": "es",
    }
    response = client.post(f"/frontdesk/appointments/{appointment.id}/edit", data=data)
    assert response.status_code == HTTPStatus.SEE_OTHER
    db.session.expire_all()
    assert db.session.get(Appointment, appointment.id).language == "es"
    [event] = [e for e in _events(Action.APPOINTMENT_UPDATED) if e.target_id == appointment.id]
    assert event.detail["fields"] == "language"
    page = client.get(response.headers["Location"]).get_data(as_text=True)
    assert "The patient&#39;s details were saved." in page and "Español" in page
    # The same again changes nothing.
    again = client.post(f"/frontdesk/appointments/{appointment.id}/edit", data=data)
    assert "Nothing was changed." in client.get(again.headers["Location"]).get_data(as_text=True)


def test_a_new_links_page_does_not_claim_the_old_link_was_emailed(client, smtp):
    _front_desk(client)
    _book(client, send=True)
    appointment = db.session.scalars(sa.select(Appointment)).one()
    reissued = client.post(f"/frontdesk/appointments/{appointment.id}/link", data={"reason": ""})
    page = client.get(reissued.headers["Location"]).get_data(as_text=True)
    assert "A new intake link was made" in page
    assert "This link was emailed" not in page
    assert 'name="link"' in page
