"""Events reach a real HTTP receiver, signed; failures retry with back-off, then give up."""

from __future__ import annotations

import datetime as dt
import json

import pytest
import sqlalchemy as sa

from intake import audit, decisions, intakes
from intake.extensions import db
from intake.models import (
    AuditEvent,
    DeliveryStatus,
    IntakeStatus,
    Role,
    WebhookDelivery,
    utcnow,
)
from intake.screening import AFTERCARE_CODES, aftercare_hash
from intake.webhooks import endpoints
from tests.conftest import all_no, make_appointment, make_user
from tests.staff.conftest import make_submitted
from tests.webhooks.conftest import register

pytestmark = pytest.mark.usefixtures("app_ctx")

DATA_KEYS = {"appointment_id", "intake_id", "status"}


def deliver(runner_for) -> str:
    result = runner_for.invoke(args=["webhooks", "deliver"])
    assert result.exit_code == 0, result.output
    return result.output.strip()


def rows() -> list[WebhookDelivery]:
    db.session.expire_all()
    return list(
        db.session.execute(sa.select(WebhookDelivery).order_by(WebhookDelivery.id)).scalars()
    )


def time_passes() -> None:
    """Make every waiting row due now, as if its back-off had passed."""
    db.session.execute(
        sa.update(WebhookDelivery).values(next_attempt_at=utcnow() - dt.timedelta(seconds=1))
    )
    db.session.commit()


def test_a_submission_is_delivered_signed(admin, receiver, runner_for):
    register(receiver, admin)
    booked, intake = make_submitted({"acne_prone": "yes"})
    [row] = rows()
    assert row.status is DeliveryStatus.PENDING and row.event_type == "intake.submitted"

    assert deliver(runner_for) == "delivered 1, failed 0, gave up 0"

    [got] = receiver.received
    assert got.valid, "signature does not verify with the endpoint's secret"
    assert got.path == "/hooks/intake"
    assert got.headers["Content-Type"] == "application/json"
    event = got.event
    assert got.headers["Intake-Event-Id"] == event["id"]
    assert got.headers["Intake-Event-Type"] == "intake.submitted"
    assert event["type"] == "intake.submitted"
    assert dt.datetime.fromisoformat(event["occurred_at"]).tzinfo is not None
    assert event["data"] == {
        "appointment_id": booked.id,
        "intake_id": intake.id,
        "status": "needs_review",
    }
    [row] = rows()
    assert row.status is DeliveryStatus.DELIVERED
    assert row.attempts == 1 and row.last_status_code == 200 and row.delivered_at
    assert row.lease_token is None
    # Nothing left: a second run sends nothing again.
    assert deliver(runner_for) == "delivered 0, failed 0, gave up 0"
    assert len(receiver.received) == 1


def test_a_decision_is_delivered_with_its_outcome(admin, receiver, runner_for):
    register(receiver, admin)
    _booked, intake = make_submitted({"acne_prone": "yes"})
    clinician = make_user(Role.CLINICIAN)
    decision = decisions.record(
        intake.id,
        clinician_id=clinician.id,
        outcome=IntakeStatus.CLEARED_WITH_PRECAUTIONS,
        note="Reviewed.",
        seen_status=IntakeStatus.NEEDS_REVIEW,
        seen_decision_id=None,
    )
    db.session.commit()

    assert deliver(runner_for) == "delivered 2, failed 0, gave up 0"

    submitted, decided = receiver.events()
    assert submitted["type"] == "intake.submitted"
    assert decided["type"] == "intake.decided"
    assert decided["data"] == {
        "appointment_id": intake.appointment_id,
        "intake_id": intake.id,
        "status": "cleared_with_precautions",
        "decision": {"id": decision.id, "outcome": "cleared_with_precautions"},
    }
    assert submitted["id"] != decided["id"]
    assert all(r.valid for r in receiver.received)


def test_the_event_carries_no_answers_names_or_contact_details(admin, receiver, runner_for):
    register(receiver, admin)
    make_submitted(
        {"blood_thinners": "yes", "blood_thinners_details": "Warfarinium daily"},
        signature_name="Zelda Quuxworth",
        first_name="Zelda",
        last_name="Quuxworth",
        dob="1971-02-03",
        email="zelda.q@example.org",
    )
    deliver(runner_for)
    [got] = receiver.received
    text = got.body.decode() + json.dumps(got.headers)
    for secret in ("Zelda", "Quuxworth", "1971", "zelda.q", "Warfarinium", "blood_thinners"):
        assert secret not in text
    assert set(got.event) == {"id", "type", "occurred_at", "data"}
    assert set(got.event["data"]) == DATA_KEYS


def test_a_failure_is_retried_with_back_off_until_it_succeeds(admin, receiver, runner_for):
    register(receiver, admin)
    receiver.responses = [500, 503]
    make_submitted()

    assert deliver(runner_for) == "delivered 0, failed 1, gave up 0"
    [row] = rows()
    assert row.status is DeliveryStatus.PENDING
    assert (row.attempts, row.last_status_code, row.last_error) == (1, 500, "HTTP 500")
    assert row.last_attempt_at is not None
    first_wait = row.next_attempt_at - row.last_attempt_at
    assert dt.timedelta(seconds=59) < first_wait < dt.timedelta(seconds=62)

    # Not due yet: the next run leaves it alone.
    assert deliver(runner_for) == "delivered 0, failed 0, gave up 0"
    assert len(receiver.received) == 1

    time_passes()
    assert deliver(runner_for) == "delivered 0, failed 1, gave up 0"
    [row] = rows()
    assert (row.attempts, row.last_error) == (2, "HTTP 503")
    assert row.last_attempt_at is not None
    second_wait = row.next_attempt_at - row.last_attempt_at
    assert dt.timedelta(seconds=119) < second_wait < dt.timedelta(seconds=122)

    time_passes()
    assert deliver(runner_for) == "delivered 1, failed 0, gave up 0"
    [row] = rows()
    assert row.status is DeliveryStatus.DELIVERED and row.attempts == 3
    assert row.last_error is None
    # The same event each time, each signed afresh.
    assert len({r.event["id"] for r in receiver.received}) == 1
    assert all(r.valid for r in receiver.received)


@pytest.fixture
def app_config():
    return {
        "INTAKE_WEBHOOKS_ALLOW_LOOPBACK": True,
        "INTAKE_WEBHOOKS_TIMEOUT_SECONDS": 1,
        "INTAKE_WEBHOOKS_MAX_ATTEMPTS": 3,
    }


def test_after_the_last_attempt_the_delivery_is_given_up_and_audited(
    admin, receiver, runner_for
):
    endpoint_id = register(receiver, admin)
    receiver.responses = [500, 404, 302]
    make_submitted()
    assert deliver(runner_for) == "delivered 0, failed 1, gave up 0"
    time_passes()
    assert deliver(runner_for) == "delivered 0, failed 1, gave up 0"
    time_passes()
    assert deliver(runner_for) == "delivered 0, failed 0, gave up 1"
    [row] = rows()
    assert row.status is DeliveryStatus.GAVE_UP and row.attempts == 3
    assert row.last_error == "HTTP 302 (redirects not followed)"
    time_passes()
    assert deliver(runner_for) == "delivered 0, failed 0, gave up 0"
    assert len(receiver.received) == 3
    [event] = db.session.execute(
        sa.select(AuditEvent).where(AuditEvent.action == audit.Action.WEBHOOK_GAVE_UP.value)
    ).scalars()
    assert (event.target_type, event.target_id) == ("webhook_endpoint", endpoint_id)
    assert event.detail == {"delivery": row.id, "event_type": "intake.submitted", "attempts": 3}


def test_a_receiver_too_slow_to_answer_is_a_timeout_retried_later(admin, receiver, runner_for):
    register(receiver, admin)
    receiver.delay = 1.5
    make_submitted()
    assert deliver(runner_for) == "delivered 0, failed 1, gave up 0"
    [row] = rows()
    assert row.last_error == "timed out (after 1 s)"
    assert row.status is DeliveryStatus.PENDING and row.next_attempt_at > utcnow()


def test_the_address_is_checked_again_at_delivery(app, admin, receiver, runner_for):
    register(receiver, admin)
    make_submitted()
    # Registered while loopback was allowed; now it is not (as in production).
    app.config["INTAKE_WEBHOOKS_ALLOW_LOOPBACK"] = False
    assert deliver(runner_for) == "delivered 0, failed 1, gave up 0"
    [row] = rows()
    assert row.last_error is not None and row.last_error.startswith("address refused: webhook.")
    assert receiver.received == []


def test_disabled_endpoints_get_no_new_events_and_queued_ones_wait(admin, receiver, runner_for):
    endpoint_id = register(receiver, admin)
    make_submitted()
    endpoint = endpoints.lock(endpoint_id)
    assert endpoint is not None
    endpoints.set_active(endpoint, False, by=admin)
    db.session.commit()
    make_submitted()
    assert len(rows()) == 1, "a disabled endpoint was queued a new event"
    assert deliver(runner_for) == "delivered 0, failed 0, gave up 0"
    endpoint = endpoints.lock(endpoint_id)
    assert endpoint is not None
    endpoints.set_active(endpoint, True, by=admin)
    db.session.commit()
    assert deliver(runner_for) == "delivered 1, failed 0, gave up 0"


def test_no_endpoint_no_rows(app_ctx):
    make_submitted()
    assert rows() == []


def test_a_rolled_back_submission_queues_nothing(admin, receiver):
    register(receiver, admin)
    booked, _token = make_appointment()
    intakes.start(booked.intake.id)
    booked.intake.answers = all_no()
    intakes.submit(
        booked.intake.id, items=AFTERCARE_CODES, text_hash=aftercare_hash(), signature_name="R E"
    )
    assert len(rows_in_session()) == 1
    db.session.rollback()
    assert rows() == []


def rows_in_session() -> list[WebhookDelivery]:
    return list(db.session.execute(sa.select(WebhookDelivery)).scalars())


def test_the_request_goes_to_the_checked_address_under_the_registered_name(
    admin, receiver, runner_for
):
    # Registered by name; the connection is made to the address the name
    # resolved to at the check, and the Host header keeps the name.
    port = receiver.url.split(":")[2].split("/")[0]
    receiver.url = f"http://localhost:{port}/hooks/intake"
    register(receiver, admin)
    make_submitted()
    assert deliver(runner_for) == "delivered 1, failed 0, gave up 0"
    [got] = receiver.received
    assert got.headers["Host"] == f"localhost:{port}"
    assert got.valid
