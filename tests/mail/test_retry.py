"""``mail retry``: a link email that failed for a reason that may pass is sent again, once."""

from __future__ import annotations

import datetime as dt

import pytest
import sqlalchemy as sa

from intake import appointments, links
from intake.extensions import db
from intake.links import hash_token
from intake.mail import outbox, retry
from intake.models import Appointment, IntakeLink, MailKind, OutboxMessage, OutboxState, utcnow
from tests.mail.conftest import two_runs_at_once
from tests.mail.test_reminders import EMAIL, _email_link, booked
from tests.mail.test_sending import assert_link_email


def _run(app) -> str:
    result = app.test_cli_runner().invoke(args=["mail", "retry"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.stdout.strip()


def _rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MailKind.LINK)
            .order_by(OutboxMessage.id)
        )
    )


def _time_passes(minutes: int = retry.RETRY_MINUTES + 1) -> None:
    """Move every email's last try back, as if ``minutes`` had passed."""
    db.session.expire_all()
    for row in db.session.scalars(sa.select(OutboxMessage)):
        row.updated_at -= dt.timedelta(minutes=minutes)
    db.session.commit()


@pytest.mark.usefixtures("app_ctx")
def test_a_deferred_link_email_is_sent_by_a_later_run_with_the_same_link(app, smtp):
    smtp.handler.defer = True
    appointment, token = booked(72)
    [row] = _rows()
    assert row.state is OutboxState.FAILED and row.last_error == "refused 450"
    smtp.handler.defer = False
    # Too soon after the failed try: nothing yet.
    assert _run(app) == "sent 0, failed 0, skipped 0"

    _time_passes()

    assert _run(app) == "sent 1, failed 0, skipped 0"
    [row] = _rows()
    assert row.state is OutboxState.SENT and row.attempts == 2 and row.to_address == ""
    [delivered] = smtp.messages
    # The same link the desk gave: whatever the patient saved stays reachable.
    assert assert_link_email(delivered, db.session.get(Appointment, appointment.id)) == token
    _time_passes()
    assert _run(app) == "sent 0, failed 0, skipped 0"
    assert len(smtp.messages) == 1


@pytest.mark.usefixtures("app_ctx")
def test_a_permanent_refusal_is_left_for_a_person(app, smtp):
    smtp.handler.refuse = True
    booked(72)
    smtp.handler.refuse = False
    _time_passes()

    assert _run(app) == "sent 0, failed 0, skipped 0"
    [row] = _rows()
    assert row.state is OutboxState.FAILED and row.last_error == "refused 550"
    assert smtp.messages == []


@pytest.mark.parametrize(
    ("last_error", "tried_again"),
    [
        ("unreachable", True),
        ("timeout", True),
        ("disconnected", True),
        ("refused 450", True),
        ("rejected 421", True),
        ("refused 550", False),
        ("rejected 554", False),
        ("auth 535", False),
        ("link", False),
        ("no_address", False),
        ("disabled", False),
        ("error ValueError", False),
    ],
)
@pytest.mark.usefixtures("app_ctx")
def test_only_reasons_that_may_pass_are_tried_again(app, smtp, last_error, tried_again):
    smtp.handler.defer = True
    booked(72)
    db.session.execute(sa.update(OutboxMessage).values(last_error=last_error))
    db.session.commit()
    _time_passes()

    assert [message_id for message_id, _seen in retry.due(utcnow())] == (
        [row.id for row in _rows()] if tried_again else []
    )


@pytest.mark.usefixtures("app_ctx")
def test_tries_stop_at_the_bound(app, smtp):
    smtp.handler.defer = True
    booked(72)
    for _ in range(retry.MAX_ATTEMPTS - 1):
        _time_passes()
        assert _run(app) == "sent 0, failed 1, skipped 0"
    _time_passes()
    assert _run(app) == "sent 0, failed 0, skipped 0"
    [row] = _rows()
    assert row.state is OutboxState.FAILED and row.attempts == retry.MAX_ATTEMPTS
    assert smtp.messages == []


def test_a_send_left_pending_by_a_stopped_process_is_sent(app, smtp):
    with app.app_context():
        appointment, token = booked(72, emailed=False)
        link = db.session.scalars(
            sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(token))
        ).one()
        # Queued and committed, then the process stops before its after-commit send.
        outbox.queue_link(db.session.get(Appointment, appointment.id), link, token, by=None)
        db.session.commit()
    with app.app_context():
        [row] = _rows()
        assert row.state is OutboxState.PENDING and row.attempts == 0
        # A send may still be under way: not taken while it is recent.
        assert _run(app) == "sent 0, failed 0, skipped 0"
        _time_passes()

        assert _run(app) == "sent 1, failed 0, skipped 0"
        [row] = _rows()
        assert row.state is OutboxState.SENT and row.attempts == 1
        assert smtp.messages[0].rcpt_tos == [EMAIL]


@pytest.mark.usefixtures("app_ctx")
def test_a_later_send_of_the_link_replaces_the_failed_one(app, smtp):
    smtp.handler.defer = True
    appointment, token = booked(72)
    _email_link(appointment.id, token)  # the desk pressed Send by email again
    first, second = _rows()
    assert first.state is second.state is OutboxState.FAILED
    smtp.handler.defer = False
    _time_passes()

    assert _run(app) == "sent 1, failed 0, skipped 0"
    first, second = _rows()
    assert first.state is OutboxState.FAILED and second.state is OutboxState.SENT
    assert len(smtp.messages) == 1


@pytest.mark.usefixtures("app_ctx")
def test_a_replaced_link_or_a_cancelled_appointment_is_not_sent(app, smtp):
    smtp.handler.defer = True
    replaced, _ = booked(72, first_name="Replaced")
    cancelled, _ = booked(72, first_name="Cancelled")
    links.issue(replaced.id, reason="lost")
    appointments.cancel(cancelled.id, reason="ill")
    db.session.commit()
    smtp.handler.defer = False
    _time_passes()

    assert _run(app) == "sent 0, failed 0, skipped 0"
    assert smtp.messages == []
    assert all(row.state is OutboxState.FAILED for row in _rows())


@pytest.mark.committed
def test_two_runs_at_once_send_each_email_exactly_once(app, smtp):
    """Two ``mail retry`` at once (threads, each its own connection): one email each."""
    smtp.handler.defer = True
    with app.app_context():
        for n in range(6):
            booked(72 + n, first_name=f"P{n}")
        smtp.handler.defer = False
        _time_passes()

    summaries = two_runs_at_once(app, retry.send_due)

    assert sum(s.sent for s in summaries) == 6
    assert sum(s.failed for s in summaries) == 0
    assert len(smtp.messages) == 6
    with app.app_context():
        assert all(row.state is OutboxState.SENT and row.attempts == 2 for row in _rows())


class TestEmailOff:
    @pytest.fixture
    def app_config(self):
        return {}

    def test_the_command_says_email_is_off(self, app):
        result = app.test_cli_runner().invoke(args=["mail", "retry"])
        assert result.exit_code == 1
        assert "INTAKE_SMTP_HOST" in result.output
