"""``appointments update`` and ``appointments cancel``: the front desk's services, on the CLI."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from intake import links
from intake.audit import Action, ActorKind
from intake.extensions import db
from intake.models import Appointment, AuditEvent, IntakeStatus, utcnow
from tests.conftest import make_appointment
from tests.staff.conftest import make_submitted
from tests.test_cli import assert_input_error, runner  # noqa: F401 - the fixture

pytestmark = pytest.mark.usefixtures("app_ctx")


def _local(days: float) -> str:
    return (utcnow() + dt.timedelta(days=days)).strftime("%Y-%m-%dT%H:%M")  # clinic zone: UTC


def _events(action: Action) -> list[AuditEvent]:
    db.session.expire_all()
    return list(db.session.scalars(sa.select(AuditEvent).where(AuditEvent.action == action.value)))


def _invoke(runner, *args: str):  # noqa: F811 - the fixture
    result = runner.invoke(args=["appointments", *args])
    db.session.expire_all()
    return result


def test_update_changes_only_what_is_given_and_prints_json(runner):  # noqa: F811
    appointment, token = make_appointment(first_name="Ana", last_name="Lopez")
    at = _local(12)
    result = _invoke(
        runner,
        "update",
        str(appointment.id),
        "--last-name",
        "López",
        "--dob",
        "1985-04-03",
        "--email",
        "ana@example.com",
        "--at",
        at,
    )
    assert result.exit_code == 0, result.stderr
    data = json.loads(result.stdout)
    assert data == {
        "appointment_id": appointment.id,
        "at": at,
        "cancelled": False,
        "changed": ["last_name", "dob", "email", "at"],
    }
    saved = db.session.get(Appointment, appointment.id)
    assert (saved.first_name, saved.last_name, saved.email) == ("Ana", "López", "ana@example.com")
    assert saved.date_of_birth == dt.date(1985, 4, 3)
    assert saved.starts_at.strftime("%Y-%m-%dT%H:%M") == at
    # The link follows the appointment.
    assert links.link_state(links.find_link(token)) is links.LinkState.VALID
    [updated] = _events(Action.APPOINTMENT_UPDATED)
    [moved] = _events(Action.APPOINTMENT_RESCHEDULED)
    for event in (updated, moved):
        assert event.actor_kind == ActorKind.SYSTEM.value and event.actor_id is None
        assert event.target_id == appointment.id
    assert updated.detail == {"fields": "last_name,dob,email"}
    # An empty value removes an optional detail.
    result = _invoke(runner, "update", str(appointment.id), "--email", "")
    assert result.exit_code == 0, result.stderr
    assert db.session.get(Appointment, appointment.id).email is None


def test_cancel_stops_the_link_keeps_the_intake_and_is_audited(runner):  # noqa: F811
    appointment, token = make_appointment()
    result = _invoke(runner, "cancel", str(appointment.id), "--reason", "patient phoned")
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["cancelled"] is True
    saved = db.session.get(Appointment, appointment.id)
    assert saved.cancelled_at is not None and saved.cancelled_by_id is None
    assert saved.cancel_reason == "patient phoned"
    assert saved.intake.status is IntakeStatus.NOT_STARTED
    assert links.link_state(links.find_link(token)) is links.LinkState.CANCELLED
    [event] = _events(Action.APPOINTMENT_CANCELLED)
    assert event.actor_kind == ActorKind.SYSTEM.value
    assert event.detail == {"reason_given": True}


def test_bad_requests_exit_2_with_one_clear_line_and_change_nothing(runner):  # noqa: F811
    appointment, _token = make_appointment()
    signed, _intake = make_submitted(first_name="Sam", last_name="Signed")
    cancelled, _t = make_appointment(first_name="Cy", last_name="Cancelled")
    assert _invoke(runner, "cancel", str(cancelled.id)).exit_code == 0
    before = db.session.execute(sa.select(Appointment.__table__).order_by("id")).all()
    year_ago = (utcnow() - dt.timedelta(days=100)).date().isoformat()
    cases = [
        (["update", "999999", "--first-name", "X"], "no appointment with id '999999'"),
        (["cancel", "0"], "no appointment with id '0'"),
        (["cancel", "seven"], "no appointment with id 'seven'"),
        (["cancel", "99999999999999999999"], "no appointment with id"),
        (["update", str(appointment.id)], "nothing to change"),
        (["update", str(appointment.id), "--dob", "1990-02-30"], "is not a date"),
        (["update", str(appointment.id), "--dob", "2999-01-01"], "must be in the past"),
        (["update", str(appointment.id), "--dob", year_ago], "more than a year ago"),
        (["update", str(appointment.id), "--at", "2020-01-01T10:00"], "in the past"),
        (["update", str(appointment.id), "--at", "soon"], "is not in the form"),
        (["update", str(appointment.id), "--email", "nope"], "is not valid"),
        (["update", str(signed.id), "--first-name", "Samuel"], "signed the acknowledgment"),
        (["update", str(cancelled.id), "--at", _local(3)], "is cancelled"),
        (["cancel", str(cancelled.id)], "already cancelled"),
    ]
    for args, fragment in cases:
        assert_input_error(_invoke(runner, *args), fragment)
    assert db.session.execute(sa.select(Appointment.__table__).order_by("id")).all() == before
    assert len(_events(Action.APPOINTMENT_CANCELLED)) == 1
    assert _events(Action.APPOINTMENT_UPDATED) == []


def test_a_signed_appointment_can_still_be_moved(runner):  # noqa: F811
    signed, _intake = make_submitted()
    at = _local(4)
    result = _invoke(runner, "update", str(signed.id), "--at", at)
    assert result.exit_code == 0, result.stderr
    assert json.loads(result.stdout)["changed"] == ["at"]


def test_add_refuses_a_date_of_birth_within_the_last_year(runner):  # noqa: F811
    recent = (utcnow() - dt.timedelta(days=200)).date().isoformat()
    result = runner.invoke(
        args=[
            "appointments",
            "add",
            "--first-name",
            "A",
            "--last-name",
            "B",
            "--dob",
            recent,
            "--at",
            _local(2),
        ]
    )
    assert_input_error(result, "date of birth must be more than a year ago")
