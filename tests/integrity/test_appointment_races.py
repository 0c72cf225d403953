"""Appointment changes racing each other and the patient, over HTTP, by real threads (issue 13).

- Cancels, an edit and a new link sent at once: one cancellation, and nothing
  changes the appointment or makes a link after it.
- The front desk changing the patient's name while the patient signs: the
  change lands before the signature or not at all, so the printed
  acknowledgment always shows the name that was signed.
"""

from __future__ import annotations

import datetime as dt
from functools import partial
from http import HTTPStatus

import sqlalchemy as sa
from flask import Flask

from intake import audit
from intake.extensions import db
from intake.models import Appointment, AuditEvent, Role
from tests.conftest import make_appointment, make_user
from tests.integrity.conftest import (
    RACE_SECONDS,
    Browser,
    aftercare_data,
    answer_every_step,
    at_once,
    rounds,
    signed_in,
)

DOB = "1990-05-17"


def _events(appointment_id: int) -> list[tuple[int, str]]:
    """The appointment's change events, in chain order."""
    db.session.expire_all()
    return [
        (row.id, row.action)
        for row in db.session.execute(
            sa.select(AuditEvent.id, AuditEvent.action)
            .where(AuditEvent.target_type == "appointment", AuditEvent.target_id == appointment_id)
            .order_by(AuditEvent.id)
        )
    ]


def _edit(last_name: str) -> dict[str, str]:
    return {
        "first_name": "Robin",
        "last_name": last_name,
        "email": "",
        "phone": "",
        "dob-day": "",
        "dob-month": "",
        "dob-year": "",
    }


def test_cancels_an_edit_and_a_new_link_at_once_leave_one_cancellation_and_nothing_after(
    app: Flask, live_server_url: str
):
    with app.app_context():
        email = make_user(Role.FRONT_DESK).email
    tabs = [signed_in(live_server_url, email) for _ in range(5)]
    for number in rounds(RACE_SECONDS / 4, at_most=30):
        with app.app_context():
            appointment, _token = make_appointment(
                dob=DOB, starts_in=dt.timedelta(days=1, minutes=number)
            )
            appointment_id = appointment.id
        base = f"/frontdesk/appointments/{appointment_id}"
        results = at_once(
            partial(tabs[0].post, f"{base}/cancel", {"reason": "one"}),
            partial(tabs[1].post, f"{base}/cancel", {"reason": "two"}),
            partial(tabs[2].post, f"{base}/cancel", {}),
            partial(tabs[3].post, f"{base}/edit", _edit(f"Changed{number}")),
            partial(tabs[4].post, f"{base}/link", {}),
        )
        for result in results:
            assert not isinstance(result, Exception), result
            assert result.status_code in (HTTPStatus.SEE_OTHER, HTTPStatus.CONFLICT), result.text
        assert sorted(r.status_code for r in results[:3]) == [303, 409, 409]
        with app.app_context():
            events = _events(appointment_id)
            cancels = [i for i, action in events if action == audit.Action.APPOINTMENT_CANCELLED]
            assert len(cancels) == 1
            after = [action for i, action in events if i > cancels[0]]
            assert after == [], after
            stored = db.session.get(Appointment, appointment_id)
            assert stored.cancelled and stored.booking_key is None
            edited = audit.Action.APPOINTMENT_UPDATED in [a for _i, a in events]
            assert (stored.last_name == f"Changed{number}") == edited
    for tab in tabs:
        tab.close()


def test_a_name_change_racing_the_signature_lands_before_it_or_not_at_all(
    app: Flask, live_server_url: str
):
    with app.app_context():
        email = make_user(Role.FRONT_DESK).email
    desk = signed_in(live_server_url, email)
    outcomes: set[int] = set()
    for number in rounds(RACE_SECONDS / 3, at_most=20):
        with app.app_context():
            appointment, token = make_appointment(
                dob=DOB, starts_in=dt.timedelta(days=2, minutes=number)
            )
            appointment_id = appointment.id
        patient = Browser(live_server_url)
        patient.get(f"/i/{token}")
        assert patient.post(f"/i/{token}", {"date_of_birth": DOB}).status_code == 303
        answer_every_step(patient, {})
        signature = aftercare_data(patient)
        edit, sign = at_once(
            partial(desk.post, f"/frontdesk/appointments/{appointment_id}/edit", _edit("Later")),
            partial(patient.post, "/intake/aftercare", signature),
        )
        assert not isinstance(edit, Exception) and not isinstance(sign, Exception)
        assert sign.status_code == HTTPStatus.SEE_OTHER, sign.text
        assert edit.status_code in (HTTPStatus.SEE_OTHER, HTTPStatus.CONFLICT), edit.text
        outcomes.add(edit.status_code)
        with app.app_context():
            events = _events(appointment_id)
            actions = [a for _i, a in events]
            stored = db.session.get(Appointment, appointment_id)
            submitted = db.session.execute(
                sa.select(AuditEvent.id).where(
                    AuditEvent.action == audit.Action.INTAKE_SUBMITTED,
                    AuditEvent.target_type == "intake",
                    AuditEvent.target_id == stored.intake.id,
                )
            ).scalar_one()
            if edit.status_code == HTTPStatus.SEE_OTHER:
                [(updated, _a)] = [e for e in events if e[1] == audit.Action.APPOINTMENT_UPDATED]
                assert updated < submitted
                assert stored.last_name == "Later"
            else:
                assert audit.Action.APPOINTMENT_UPDATED not in actions
                assert stored.last_name == "Example"
        patient.close()
    desk.close()
    assert outcomes  # at least one round ran


def test_a_new_link_racing_the_signature_never_fails_either(app: Flask, live_server_url: str):
    """Both answer as they do alone: the signature lands, or the new link ends the session first."""
    with app.app_context():
        email = make_user(Role.FRONT_DESK).email
    desk = signed_in(live_server_url, email)
    for number in rounds(RACE_SECONDS / 3, at_most=20):
        with app.app_context():
            appointment, token = make_appointment(
                dob=DOB, starts_in=dt.timedelta(days=3, minutes=number)
            )
            appointment_id = appointment.id
        patient = Browser(live_server_url)
        patient.get(f"/i/{token}")
        assert patient.post(f"/i/{token}", {"date_of_birth": DOB}).status_code == 303
        answer_every_step(patient, {})
        signature = aftercare_data(patient)
        reissue, sign = at_once(
            partial(
                desk.post, f"/frontdesk/appointments/{appointment_id}/link", {"reason": "lost"}
            ),
            partial(patient.post, "/intake/aftercare", signature),
        )
        assert not isinstance(reissue, Exception) and not isinstance(sign, Exception)
        assert reissue.status_code == HTTPStatus.SEE_OTHER, reissue.text
        assert sign.status_code < 500, sign.text
        patient.close()
    desk.close()
