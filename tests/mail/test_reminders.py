"""``reminders send``: who is chosen, never twice, retries up to the bound, two runs at once."""

from __future__ import annotations

import datetime as dt
from collections import Counter

import pytest
import sqlalchemy as sa

from intake import intakes
from intake.audit import Action
from intake.extensions import db
from intake.links import hash_token
from intake.mail import outbox, reminders
from intake.models import (
    Appointment,
    AuditEvent,
    IntakeLink,
    MailKind,
    OutboxMessage,
    OutboxState,
    utcnow,
)
from intake.unit_of_work import transactional
from tests.conftest import make_appointment
from tests.mail.conftest import two_runs_at_once
from tests.mail.test_sending import assert_safe
from tests.staff.conftest import make_submitted

EMAIL = "robin.patient@example.org"


@transactional
def _email_link(appointment_id: int, token: str) -> int:
    """Email the appointment's link as the front desk's button does (sent after the commit)."""
    appointment = db.session.get(Appointment, appointment_id)
    assert appointment is not None
    link = db.session.scalars(
        sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(token))
    ).one()
    return outbox.queue_link(appointment, link, token, by=None).id


def booked(
    hours: float = 24, *, email: str | None = EMAIL, emailed: bool = True, **kw: object
) -> tuple[Appointment, str]:
    appointment, token = make_appointment(
        starts_in=dt.timedelta(hours=hours),
        email=email,
        **kw,  # type: ignore[arg-type]
    )
    if emailed:
        _email_link(appointment.id, token)
    return appointment, token


def _run(app) -> str:
    result = app.test_cli_runner().invoke(args=["reminders", "send"])
    assert result.exit_code == 0, result.output
    db.session.expire_all()
    return result.stdout.strip()


def _reminder_rows() -> list[OutboxMessage]:
    db.session.expire_all()
    return list(
        db.session.scalars(
            sa.select(OutboxMessage)
            .where(OutboxMessage.kind == MailKind.REMINDER)
            .order_by(OutboxMessage.appointment_id)
        )
    )


def _reminders(smtp) -> list:
    return [m for m in smtp.messages if m.message["Subject"].startswith("Reminder")]


@pytest.mark.usefixtures("app_ctx")
def test_reminders_go_to_who_is_due_once(app, smtp):
    emailed, emailed_token = booked(24, first_name="Emailed")
    # In progress, with answers saved: the reminder reuses the emailed link and says none of them.
    intakes.start(emailed.intake.id)
    emailed.intake.answers = {"active_acne": "yes", "active_acne_details": "Two spots on the chin"}
    db.session.commit()
    desk, desk_token = booked(30, emailed=False, first_name="Desk")
    started, _ = booked(20, emailed=False, first_name="Started")
    intakes.start(started.intake.id)
    db.session.commit()
    # Not due: later than 48 hours, cancelled, no email, submitted, stopped.
    booked(72, first_name="Later")
    cancelled, _ = booked(10, first_name="Cancelled")
    cancelled.cancelled_at = utcnow()
    cancelled.booking_key = None
    db.session.commit()
    booked(12, email=None, emailed=False, first_name="Noemail")
    make_submitted(first_name="Submitted", starts_in=dt.timedelta(hours=5), email=EMAIL)
    stopped, _ = booked(8, first_name="Stopped")
    stopped.reminders_stopped_at = utcnow()
    db.session.commit()
    smtp.messages.clear()

    assert _run(app) == "sent 2, failed 0, skipped 1"
    sent = _reminders(smtp)
    assert len(sent) == 2 and len(smtp.messages) == 2
    by_name = {row.appointment_id: row for row in _reminder_rows() if row.state is OutboxState.SENT}
    assert set(by_name) == {emailed.id, desk.id}
    for delivered in sent:
        assert_safe(delivered, emailed)
        assert "Two spots" not in delivered.message.as_string()
    # The emailed link is reused: the same token, still working.
    texts = [d.part("text/plain") for d in sent]
    assert any(emailed_token in text for text in texts)
    link = db.session.scalars(
        sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(emailed_token))
    ).one()
    assert link.revoked_at is None
    # The link given at the desk (never emailed, not started) was replaced by a new one.
    assert not any(desk_token in text for text in texts)
    old = db.session.scalars(
        sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(desk_token))
    ).one()
    assert old.revoked_at is not None
    # Audit: one mail.sent per reminder, naming the appointment only.
    events = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == Action.MAIL_SENT.value)
    ).all()
    reminder_events = [e for e in events if e.detail.get("kind") == "reminder"]
    assert sorted(e.target_id for e in reminder_events) == sorted([emailed.id, desk.id])
    assert all(EMAIL not in str(e.detail) for e in events)

    # Run again (cron, minutes later): nothing more is sent.
    assert _run(app) == "sent 0, failed 0, skipped 3"
    assert len(smtp.messages) == 2


@pytest.mark.usefixtures("app_ctx")
def test_failed_reminder_is_retried_by_a_later_run(app, smtp):
    appointment, _ = booked(24)
    smtp.messages.clear()
    smtp.handler.refuse = True
    assert _run(app) == "sent 0, failed 1, skipped 0"
    [row] = _reminder_rows()
    assert row.state is OutboxState.FAILED and row.last_error == "refused 550"
    failed = db.session.scalars(
        sa.select(AuditEvent).where(AuditEvent.action == Action.MAIL_FAILED.value)
    ).all()
    assert [e.target_id for e in failed] == [appointment.id]
    smtp.handler.refuse = False
    assert _run(app) == "sent 1, failed 0, skipped 0"
    [row] = _reminder_rows()
    assert row.state is OutboxState.SENT and row.attempts == 2
    assert len(_reminders(smtp)) == 1
    assert _run(app) == "sent 0, failed 0, skipped 1"


@pytest.mark.usefixtures("app_ctx")
def test_retries_stop_at_the_bound(app, smtp):
    booked(24)
    smtp.handler.refuse = True
    for _ in range(reminders.MAX_ATTEMPTS):
        assert _run(app) == "sent 0, failed 1, skipped 0"
    assert _run(app) == "sent 0, failed 0, skipped 1"
    smtp.handler.refuse = False
    assert _run(app) == "sent 0, failed 0, skipped 1"
    [row] = _reminder_rows()
    assert row.state is OutboxState.FAILED and row.attempts == reminders.MAX_ATTEMPTS
    assert _reminders(smtp) == []


@pytest.mark.usefixtures("app_ctx")
def test_a_replaced_links_sealed_token_is_forgotten(app, client, smtp):
    from intake import links

    appointment, _ = booked(24)
    [row] = db.session.scalars(sa.select(OutboxMessage)).all()
    assert row.sealed_token
    links.issue(appointment.id, reason="lost")
    db.session.commit()
    _run(app)
    db.session.expire_all()
    first = db.session.scalars(sa.select(OutboxMessage).order_by(OutboxMessage.id)).first()
    assert first is not None and first.sealed_token == ""


class TestEmailOff:
    @pytest.fixture
    def app_config(self):
        return {}

    def test_the_command_says_email_is_off(self, app):
        result = app.test_cli_runner().invoke(args=["reminders", "send"])
        assert result.exit_code == 1
        assert "INTAKE_SMTP_HOST" in result.output


@pytest.mark.committed
def test_two_runs_at_once_send_each_reminder_exactly_once(app, smtp):
    """Two ``reminders send`` at once (threads, each its own connection): one email each."""
    ids: list[int] = []
    for round_ in range(3):
        with app.app_context():
            for n in range(4):
                # Half with an emailed link (reused), half given at the desk (a new link each).
                appointment, _ = booked(6 + n + round_ / 10, emailed=n % 2 == 0, first_name=f"P{n}")
                ids.append(appointment.id)
            smtp.messages[:] = _reminders(smtp)
        summaries = two_runs_at_once(app, reminders.send_due)
        assert sum(s.sent for s in summaries) == 4
    sent = Counter(d.rcpt_tos[0] for d in _reminders(smtp))
    assert sum(sent.values()) == len(ids)
    with app.app_context():
        rows = db.session.scalars(
            sa.select(OutboxMessage).where(OutboxMessage.kind == MailKind.REMINDER)
        ).all()
        assert sorted(r.appointment_id for r in rows) == sorted(ids)
        assert all(r.state is OutboxState.SENT and r.attempts == 1 for r in rows)
        # Each appointment's reminder carries a link that works now.
        for delivered in _reminders(smtp):
            text = delivered.part("text/plain")
            token = text.split("/i/")[1].split()[0]
            link = db.session.scalars(
                sa.select(IntakeLink).where(IntakeLink.token_hash == hash_token(token))
            ).one()
            assert link.revoked_at is None
