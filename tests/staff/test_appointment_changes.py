"""Front desk: change a patient's details, move an appointment, cancel it (issue 13).

Each change is one locked, audited service; each POST redirects, and a reload
of the page it leads to changes nothing.
"""

from __future__ import annotations

import datetime as dt
import re
from http import HTTPStatus
from typing import Any

import pytest
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from intake import links
from intake.audit import Action
from intake.extensions import db
from intake.models import Appointment, AuditEvent, IntakeLink, IntakeStatus, Role, utcnow
from tests.conftest import make_appointment, make_user
from tests.patients.conftest import confirm
from tests.staff.conftest import login_as, make_submitted
from tests.staff.test_frontdesk import events, local_day, visible

pytestmark = pytest.mark.usefixtures("app_ctx")

PHONE = "+1 555 0100"
# Page views and reads are recorded too; a reload may add those and nothing else.
READS = {
    Action.LINK_OPENED.value,
    Action.INTAKE_VIEWED.value,
    Action.ACKNOWLEDGMENT_PRINTED.value,
}


@pytest.fixture
def desk(client):
    user = make_user(Role.FRONT_DESK)
    login_as(client, user)
    return user


def url(appointment: Appointment, action: str = "") -> str:
    base = f"/frontdesk/appointments/{appointment.id}"
    return f"{base}/{action}" if action else base


def snapshot() -> tuple[Any, ...]:
    """Everything a change could touch, except the audit events that record reads."""
    db.session.expire_all()
    appointments = db.session.execute(sa.select(Appointment.__table__).order_by("id")).all()
    link_rows = db.session.execute(sa.select(IntakeLink.__table__).order_by("id")).all()
    changes = db.session.execute(
        sa.select(AuditEvent.id, AuditEvent.action)
        .where(AuditEvent.action.not_in(READS))
        .order_by(AuditEvent.id)
    ).all()
    return tuple(map(tuple, appointments)), tuple(map(tuple, link_rows)), tuple(changes)


def details(appointment: Appointment, **changes: str) -> dict[str, str]:
    """The edit form as the page fills it: names, email and phone; empty date boxes."""
    data = {
        "first_name": appointment.first_name,
        "last_name": appointment.last_name,
        "email": appointment.email or "",
        "phone": appointment.phone or "",
        "dob-day": "",
        "dob-month": "",
        "dob-year": "",
    }
    return data | changes


def reloaded_without_change(client, response) -> str:
    """Follow a POST's redirect, then reload that page: return the first showing.

    The reload must change nothing and must not repeat the one-time message.
    """
    assert response.status_code == HTTPStatus.SEE_OTHER, visible(response)
    page = response.headers["Location"]
    first = client.get(page)
    assert first.status_code == HTTPStatus.OK
    before = snapshot()
    again = client.get(page)
    assert again.status_code == HTTPStatus.OK
    assert snapshot() == before
    assert 'class="flash flash-success"' not in again.get_data(as_text=True)
    return visible(first)


# -- Edit ----------------------------------------------------------------------------


def test_details_are_changed_once_audited_by_field_name_only_and_a_reload_changes_nothing(
    client, desk
):
    appointment, _token = make_appointment(first_name="Ana", last_name="Lopez")
    page = client.get(url(appointment, "edit"))
    assert page.status_code == HTTPStatus.OK
    body = page.get_data(as_text=True)
    assert 'value="Ana"' in body
    # The front desk never sees the date of birth: the boxes start empty.
    assert "1990" not in body and 'name="dob-year" value=""' in body

    response = client.post(
        url(appointment, "edit"),
        data=details(
            appointment,
            first_name="Anna",
            last_name="López-Ruiz",
            email="anna@example.com",
            phone="+44 20 7946 0000",
        ),
    )
    shown = reloaded_without_change(client, response)
    assert "The patient's details were saved." in shown
    db.session.expire_all()
    saved = db.session.get(Appointment, appointment.id)
    assert (saved.first_name, saved.last_name) == ("Anna", "López-Ruiz")
    assert (saved.first_name_key, saved.last_name_key) == ("anna", "lópez-ruiz")
    assert saved.date_of_birth == dt.date(1990, 5, 17)
    assert (saved.email, saved.phone) == ("anna@example.com", "+44 20 7946 0000")
    assert saved.booking_key is not None and saved.booking_key.startswith("anna\x1flópez-ruiz")
    [event] = events(Action.APPOINTMENT_UPDATED)
    assert event.actor_id == desk.id and event.target_id == appointment.id
    assert event.detail == {"fields": "first_name,last_name,email,phone"}
    # Found by the new name.
    assert "López-Ruiz, Anna" in visible(client.get("/frontdesk/search?q=López-R"))


def test_a_new_date_of_birth_is_what_the_link_then_asks_for(app, client, client_for, desk):
    appointment, token = make_appointment()
    response = client.post(
        url(appointment, "edit"),
        data=details(appointment, **{"dob-day": "3", "dob-month": "4", "dob-year": "1985"}),
    )
    assert response.status_code == HTTPStatus.SEE_OTHER
    assert events(Action.APPOINTMENT_UPDATED)[0].detail == {"fields": "dob"}
    patient = client_for()
    assert "does not match" in confirm(patient, token, "1990-05-17").get_data(as_text=True)
    assert confirm(patient, token, "1985-04-03").status_code == HTTPStatus.SEE_OTHER


def test_sending_the_same_details_changes_nothing_and_records_nothing(client, desk):
    appointment, _token = make_appointment()
    before = snapshot()
    response = client.post(url(appointment, "edit"), data=details(appointment))
    assert "Nothing was changed." in reloaded_without_change(client, response)
    assert snapshot() == before


@pytest.mark.parametrize(
    ("changes", "message", "at_fault"),
    [
        ({"dob-day": "3", "dob-year": "1985"}, "Date of birth must include a month", ["month"]),
        (
            {"dob-day": "31", "dob-month": "2", "dob-year": "1985"},
            "Date of birth must be a real date",
            ["day"],
        ),
        (
            {"dob-day": "3", "dob-month": "4", "dob-year": "85"},
            "Year must include 4 numbers",
            ["year"],
        ),
        (
            {"dob-day": "1", "dob-month": "1", "dob-year": "2999"},
            "Date of birth must be in the past",
            ["year"],
        ),
        ({"first_name": " ", "email": "nope"}, "Enter the patient's first name.", []),
    ],
)
def test_bad_details_are_refused_with_a_message_and_what_was_typed_stays(
    client, desk, changes, message, at_fault
):
    appointment, _token = make_appointment()
    before = snapshot()
    data = details(appointment, last_name="Typed-Again", **changes)
    response = client.post(url(appointment, "edit"), data=data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert message in visible(response)
    body = response.get_data(as_text=True)
    assert 'value="Typed-Again"' in body
    for part in ("day", "month", "year"):
        typed = data[f"dob-{part}"]
        assert f'name="dob-{part}" value="{typed}"' in body
        marked = re.search(rf'name="dob-{part}"[^>]*aria-invalid="true"', body) is not None
        assert marked == (part in at_fault)
    assert snapshot() == before


def test_a_date_of_birth_within_the_last_year_is_refused(client, desk):
    appointment, _token = make_appointment()
    recent = local_day(-30)
    response = client.post(
        url(appointment, "edit"),
        data=details(
            appointment,
            **{
                "dob-day": str(recent.day),
                "dob-month": str(recent.month),
                "dob-year": str(recent.year),
            },
        ),
    )
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "Date of birth must be more than a year ago" in visible(response)


def test_details_cannot_change_once_the_acknowledgment_is_signed(client, desk):
    appointment, _intake = make_submitted(first_name="Ana", last_name="Lopez")
    page = visible(client.get(url(appointment)))
    assert "Change details" not in page
    assert "can no longer be changed" in page
    before = snapshot()
    assert client.get(url(appointment, "edit")).status_code == HTTPStatus.CONFLICT
    response = client.post(url(appointment, "edit"), data=details(appointment, first_name="X"))
    assert response.status_code == HTTPStatus.CONFLICT
    assert "the printed acknowledgment must show who signed it" in visible(response)
    assert snapshot() == before
    # Moving it is still allowed: the signature is about who, not when.
    new_time = local_day(9).isoformat() + "T10:30"
    response = client.post(url(appointment, "reschedule"), data={"at": new_time})
    assert response.status_code == HTTPStatus.SEE_OTHER


# -- Reschedule ------------------------------------------------------------------------


def test_moving_an_appointment_takes_its_link_along_and_extends_its_life(
    app, client, client_for, desk
):
    appointment, token = make_appointment(starts_in=dt.timedelta(hours=3))
    link = links.find_link(token)
    # The appointment passed (made so in the database): the link has expired.
    appointment.starts_at = utcnow() - dt.timedelta(days=1)
    db.session.commit()
    assert links.link_state(link) is links.LinkState.EXPIRED
    patient = client_for()
    assert patient.get(f"/i/{token}").status_code == HTTPStatus.GONE

    new_local = local_day(10).isoformat() + "T14:15"
    response = client.post(url(appointment, "reschedule"), data={"at": new_local})
    shown = reloaded_without_change(client, response)
    assert "The appointment was moved to" in shown
    db.session.expire_all()
    moved = db.session.get(Appointment, appointment.id)
    tz = current_app.config["INTAKE_TZ"]
    assert moved.starts_at == dt.datetime.fromisoformat(new_local).replace(tzinfo=tz)
    grace = dt.timedelta(hours=current_app.config["INTAKE_LINK_GRACE_HOURS"])
    assert links.expires_at(moved) == moved.starts_at + grace
    # The same link, not a new one, and it opens again.
    assert db.session.scalars(sa.select(IntakeLink.id)).all() == [link.id]
    assert links.link_state(db.session.get(IntakeLink, link.id)) is links.LinkState.VALID
    assert patient.get(f"/i/{token}").status_code == HTTPStatus.OK
    [event] = events(Action.APPOINTMENT_RESCHEDULED)
    assert event.actor_id == desk.id and event.detail == {}


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("2020-01-01T09:00", "That time has already passed."),
        ("tomorrow", "Enter the appointment date and time."),
        ("", "Enter the appointment date and time."),
    ],
)
def test_a_past_or_unreadable_time_is_refused(client, desk, value, message):
    appointment, _token = make_appointment()
    before = snapshot()
    response = client.post(url(appointment, "reschedule"), data={"at": value})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert message in visible(response)
    if value:
        assert f'value="{value}"' in response.get_data(as_text=True)
    assert snapshot() == before


def test_moving_onto_another_booking_of_the_same_person_is_refused(client, desk):
    first, _t1 = make_appointment(starts_in=dt.timedelta(days=2))
    second, _t2 = make_appointment(starts_in=dt.timedelta(days=3))
    tz = current_app.config["INTAKE_TZ"]
    taken = first.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M")
    before = snapshot()
    response = client.post(url(second, "reschedule"), data={"at": taken})
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert "already has an appointment at this time" in visible(response)
    assert snapshot() == before


# -- Cancel ------------------------------------------------------------------------------


def test_cancelling_asks_first_then_stops_the_link_at_once_and_keeps_the_intake(
    app, client, client_for, desk
):
    appointment, token = make_appointment(first_name="Ana", last_name="Lopez")
    patient = client_for()
    assert confirm(patient, token).status_code == HTTPStatus.SEE_OTHER
    step = patient.post("/intake/step/area", data={"active_acne": "no"})
    assert step.status_code in (HTTPStatus.OK, HTTPStatus.SEE_OTHER)
    db.session.expire_all()
    answers = dict(db.session.get(Appointment, appointment.id).intake.answers)

    # The confirmation page changes nothing (and works without JavaScript: a form).
    before = snapshot()
    page = client.get(url(appointment, "cancel"))
    assert page.status_code == HTTPStatus.OK
    body = page.get_data(as_text=True)
    assert f'action="{url(appointment, "cancel")}"' in body and 'name="reason"' in body
    assert snapshot() == before

    response = client.post(url(appointment, "cancel"), data={"reason": "Called: moving abroad"})
    shown = reloaded_without_change(client, response)
    assert "The appointment was cancelled." in shown
    assert "Called: moving abroad" in shown and desk.email in shown
    for action in ("Change details", "Move", "Cancel appointment", "Make a new link"):
        assert action not in shown

    db.session.expire_all()
    cancelled = db.session.get(Appointment, appointment.id)
    assert cancelled.cancelled_at is not None and cancelled.cancelled_by_id == desk.id
    assert cancelled.cancel_reason == "Called: moving abroad"
    assert cancelled.booking_key is None
    # The intake is kept as it was: same status (CONTRACT section 4), same answers.
    assert cancelled.intake.status is IntakeStatus.IN_PROGRESS
    assert cancelled.intake.answers == answers
    [event] = events(Action.APPOINTMENT_CANCELLED)
    assert event.actor_id == desk.id and event.detail == {"reason_given": True}

    # The patient in the middle of the intake, and anyone opening the link.
    for response in (
        patient.get("/intake/"),
        client_for().get(f"/i/{token}"),
        client_for().post(f"/i/{token}", data={"date_of_birth": "1990-05-17"}),
    ):
        assert response.status_code == HTTPStatus.GONE
        text = visible(response)
        assert "This appointment was cancelled" in text and PHONE in text
        assert "Ana" not in text and "moving abroad" not in text


def test_a_cancelled_appointment_shows_as_cancelled_on_the_day_and_in_search(client, desk):
    appointment, _token = make_appointment(
        first_name="Ana", last_name="Lopez", starts_in=dt.timedelta(days=2)
    )
    assert client.post(url(appointment, "cancel"), data={}).status_code == HTTPStatus.SEE_OTHER
    [event] = events(Action.APPOINTMENT_CANCELLED)
    assert event.detail == {"reason_given": False}
    tz = current_app.config["INTAKE_TZ"]
    day = appointment.starts_at.astimezone(tz).date()
    for page in (client.get(f"/frontdesk/?date={day}"), client.get("/frontdesk/search?q=lopez")):
        row = re.search(r"<tr class=\"cancelled\">.*?</tr>", page.get_data(as_text=True), re.S)
        assert row is not None
        assert "Cancelled" in row.group(0) and "Link stopped (appointment cancelled)" in row.group(
            0
        )


def test_cancelling_twice_or_changing_after_a_cancel_from_a_stale_page_says_so(client, desk):
    appointment, _token = make_appointment()
    assert client.post(url(appointment, "cancel")).status_code == HTTPStatus.SEE_OTHER
    before = snapshot()
    stale_posts = [
        (url(appointment, "cancel"), {}, "already cancelled"),
        (url(appointment, "edit"), details(appointment, first_name="X"), "has been cancelled"),
        (url(appointment, "reschedule"), {"at": f"{local_day(5)}T09:00"}, "has been cancelled"),
        (url(appointment, "link"), {"reason": "lost it"}, "has been cancelled"),
    ]
    for target, data, message in stale_posts:
        response = client.post(target, data=data)
        assert response.status_code == HTTPStatus.CONFLICT, target
        assert message in visible(response)
        assert "Nothing was changed." in visible(response)
    assert snapshot() == before
    assert len(events(Action.APPOINTMENT_CANCELLED)) == 1
    # The pages that lead to those forms say so too, instead of offering them.
    for target in (
        url(appointment, "edit"),
        url(appointment, "reschedule"),
        url(appointment, "link"),
    ):
        assert "has been cancelled" in visible(client.get(target))


def test_a_cancelled_slot_can_be_booked_again(client, desk):
    appointment, _token = make_appointment(first_name="Ana", last_name="Lopez")
    tz = current_app.config["INTAKE_TZ"]
    data = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "dob": "1990-05-17",
        "at": appointment.starts_at.astimezone(tz).strftime("%Y-%m-%dT%H:%M"),
    }
    again = client.post("/frontdesk/appointments/new", data=data)
    assert again.status_code == HTTPStatus.UNPROCESSABLE_ENTITY  # still booked
    client.post(url(appointment, "cancel"))
    assert client.post("/frontdesk/appointments/new", data=data).status_code == 303


def test_an_admin_may_change_appointments_and_a_clinician_may_not(client, client_for):
    appointment, _token = make_appointment()
    clinician = client_for()
    login_as(clinician, make_user(Role.CLINICIAN))
    for action in ("edit", "reschedule", "cancel"):
        assert clinician.post(url(appointment, action)).status_code == HTTPStatus.FORBIDDEN
    login_as(client, make_user(Role.ADMIN))
    response = client.post(url(appointment, "cancel"), data={"reason": "duplicate booking"})
    assert response.status_code == HTTPStatus.SEE_OTHER


# -- What the database holds -----------------------------------------------------------------


@pytest.mark.parametrize(
    "assignment",
    [
        "cancel_reason = 'x'",  # a reason without a cancellation
        "cancelled_at = CURRENT_TIMESTAMP",  # cancelled but still holding the slot
        "booking_key = NULL",  # live without a slot
    ],
)
def test_the_database_keeps_the_cancellation_fields_consistent(assignment):
    appointment, _token = make_appointment()
    with pytest.raises(IntegrityError), db.session.begin_nested():
        db.session.execute(
            sa.text(f"UPDATE appointments SET {assignment} WHERE id = :id"),  # noqa: S608
            {"id": appointment.id},
        )


def test_no_appointment_change_writes_a_name_a_date_or_a_reason_into_the_audit_log(client, desk):
    appointment, _token = make_appointment(first_name="Zelda", last_name="Quill")
    client.post(
        url(appointment, "edit"),
        data=details(
            appointment,
            first_name="Zoe",
            email="zoe@example.com",
            **{"dob-day": "2", "dob-month": "3", "dob-year": "1984"},
        ),
    )
    client.post(url(appointment, "reschedule"), data={"at": f"{local_day(6)}T08:45"})
    client.post(url(appointment, "cancel"), data={"reason": "Zoe moved to Leeds"})
    details_logged = str(
        db.session.execute(
            sa.select(AuditEvent.detail).where(
                AuditEvent.action.in_(
                    [
                        Action.APPOINTMENT_UPDATED.value,
                        Action.APPOINTMENT_RESCHEDULED.value,
                        Action.APPOINTMENT_CANCELLED.value,
                    ]
                )
            )
        ).all()
    )
    for secret in ("Zelda", "Zoe", "Quill", "zoe@", "1984", "Leeds", "08:45"):
        assert secret not in details_logged


@pytest.mark.parametrize(
    ("days_ago", "message"),
    [
        (-3, "Date of birth must be in the past"),
        (0, "Date of birth must be in the past"),
        (40, "Date of birth must be more than a year ago"),
        (360, "Date of birth must be more than a year ago"),
    ],
)
def test_booking_refuses_a_date_of_birth_in_the_future_or_within_the_last_year(
    client, desk, days_ago, message
):
    born = local_day(-days_ago)
    data = {
        "first_name": "Ana",
        "last_name": "Lopez",
        "dob-day": str(born.day),
        "dob-month": str(born.month),
        "dob-year": str(born.year),
        "at": f"{local_day(3)}T10:00",
    }
    before = snapshot()
    response = client.post("/frontdesk/appointments/new", data=data)
    assert response.status_code == HTTPStatus.UNPROCESSABLE_ENTITY
    assert message in visible(response)
    assert f'name="dob-year" value="{born.year}"' in response.get_data(as_text=True)
    assert snapshot() == before
    # Just over a year ago is accepted.
    born = local_day(-370)
    data |= {"dob-day": str(born.day), "dob-month": str(born.month), "dob-year": str(born.year)}
    assert client.post("/frontdesk/appointments/new", data=data).status_code == 303
