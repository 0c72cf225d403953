"""Migration 0008 (appointment cancellations) steps back only when nothing would be lost."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from intake import appointments
from intake.extensions import db
from tests.conftest import make_appointment


def _revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


@pytest.mark.committed  # migrations need a database of their own
def test_a_downgrade_that_would_revive_cancelled_appointments_is_refused(app):
    with app.app_context():
        appointment, _token = make_appointment()
        appointments.cancel(appointment.id, reason="moved away")
        db.session.commit()
        db.session.remove()
        downgrade(revision="0008")  # the later revisions step back freely
        # Flask-Migrate logs the migration's error and exits 1, as `flask db downgrade` does.
        with pytest.raises(SystemExit):
            downgrade(revision="0007")
        db.session.remove()
        assert _revision() == "0008"
        cancelled = db.session.execute(
            sa.text("SELECT cancelled_at, booking_key FROM appointments")
        ).one()
        assert cancelled.cancelled_at is not None and cancelled.booking_key is None
        db.session.remove()
        db.engine.dispose()


@pytest.mark.committed
def test_without_cancellations_0008_goes_down_and_up_again(app):
    with app.app_context():
        make_appointment()
        db.session.remove()
        downgrade(revision="0007")
        assert _revision() == "0007"
        columns = {c["name"] for c in sa.inspect(db.engine).get_columns("appointments")}
        assert "cancelled_at" not in columns
        upgrade(revision="0008")
        assert _revision() == "0008"
        db.engine.dispose()
