"""Migration 0012 (acknowledgment language): earlier rows are English; it steps back and up."""

from __future__ import annotations

import pytest
import sqlalchemy as sa
from alembic.migration import MigrationContext
from flask_migrate import downgrade, upgrade

from intake.extensions import db
from intake.models import Intake
from intake.wording import signed_wording
from tests.staff.conftest import make_submitted


def _revision() -> str | None:
    with db.engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _columns() -> set[str]:
    return {c["name"] for c in sa.inspect(db.engine).get_columns("acknowledgments")}


@pytest.mark.committed  # migrations need a database of their own
def test_an_acknowledgment_signed_before_0012_is_english_and_still_verifies(app):
    with app.app_context():
        _appointment, intake = make_submitted()
        intake_id = intake.id
        db.session.remove()
        downgrade(revision="0011")
        assert _revision() == "0011"
        assert "locale" not in _columns()
        upgrade(revision="0012")
        assert _revision() == "0012"
        assert "locale" in _columns()
        stored = db.session.execute(
            sa.text("SELECT locale FROM acknowledgments WHERE intake_id = :id"), {"id": intake_id}
        ).scalar_one()
        assert stored == "en"
        ack = db.session.get(Intake, intake_id).acknowledgment
        signed = signed_wording(ack)
        assert signed.verified and signed.locale == "en"
        if db.engine.dialect.name == "postgresql":
            # Still append-only (migration 0004's trigger): the column was
            # added in place, the table not rebuilt.
            with pytest.raises(sa.exc.DatabaseError):
                db.session.execute(sa.text("UPDATE acknowledgments SET locale = 'es'"))
            db.session.rollback()
        db.session.remove()
        db.engine.dispose()
