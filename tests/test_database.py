"""The database layer: migrations, pooled connections and history that rules cannot rewrite."""

from __future__ import annotations

import datetime as dt
from http import HTTPStatus

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from alembic.script import ScriptDirectory
from flask_migrate import downgrade, upgrade

from intake import audit, intakes
from intake.extensions import db
from intake.models import AuditEvent, Intake, IntakeStatus, Role, utcnow
from intake.screening import AFTERCARE_CODES, RULESET_VERSION, aftercare_hash
from tests.conftest import BACKEND, all_no, make_appointment, make_user
from tests.staff.conftest import login_as


def _script(app) -> ScriptDirectory:
    return ScriptDirectory.from_config(app.extensions["migrate"].migrate.get_config())


def test_migrations_have_a_single_head(app, app_ctx):
    assert len(_script(app).get_heads()) == 1


def test_models_and_migrations_agree(app_ctx):
    """No pending autogenerate diff between the models and the migrated schema."""
    context = MigrationContext.configure(db.session.connection(), opts={"compare_type": True})
    assert compare_metadata(context, db.metadata) == []


def test_upgrade_downgrade_round_trip(app, tmp_path):
    """From empty to head, down to base and back up, on this run's database engine."""
    from intake import create_app

    if BACKEND == "postgresql":
        import uuid

        import psycopg

        from tests.conftest import PG_SERVER, pg_url

        name = f"intake_migr_{uuid.uuid4().hex[:10]}"
        with psycopg.connect(PG_SERVER, autocommit=True) as conn:
            conn.execute(f'CREATE DATABASE "{name}"')
        url = pg_url(name)
    else:
        url = f"sqlite:///{tmp_path / 'migrations.sqlite3'}"
    fresh = create_app({"TESTING": True, "SQLALCHEMY_DATABASE_URI": url, "SECRET_KEY": "x"})
    try:
        with fresh.app_context():
            head = _script(fresh).get_current_head()
            upgrade()
            assert "intakes" in sa.inspect(db.engine).get_table_names()
            downgrade(revision="base")
            assert set(sa.inspect(db.engine).get_table_names()) <= {"alembic_version"}
            upgrade()
            with db.engine.connect() as conn:
                assert MigrationContext.configure(conn).get_current_revision() == head
            db.engine.dispose()
    finally:
        if BACKEND == "postgresql":
            with psycopg.connect(PG_SERVER, autocommit=True) as conn:
                conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.mark.committed  # kills its connections: cannot hold the test's transaction
@pytest.mark.skipif(
    BACKEND != "postgresql", reason="needs a PostgreSQL server to restart connections"
)
def test_pool_pre_ping_survives_killed_connections(app, client):
    """After the server drops every connection (as a restart does), the next request works."""
    assert client.get("/healthz").status_code == HTTPStatus.OK
    with app.app_context():
        name = db.engine.url.database
    import psycopg

    from tests.conftest import PG_SERVER

    with psycopg.connect(PG_SERVER, autocommit=True) as conn:
        killed = conn.execute(
            "SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity "
            "WHERE datname = %s AND pid <> pg_backend_pid()",
            (name,),
        ).fetchone()
    assert killed is not None and killed[0] >= 1
    assert client.get("/healthz").status_code == HTTPStatus.OK


def test_stored_flags_are_not_rewritten_by_a_rule_change(app_ctx, client, monkeypatch):
    appointment, _token = make_appointment()
    intake = appointment.intake
    intakes.start(intake.id)
    answers = all_no() | {"active_acne": "yes"}
    intake.answers = answers
    intakes.submit(
        intake.id, items=AFTERCARE_CODES, text_hash=aftercare_hash(), signature_name="Robin Example"
    )
    db.session.commit()
    stored = list(intake.flags)
    assert [f["code"] for f in stored] == ["ACTIVE_ACNE"]

    # A later rule set that would flag nothing for these answers.
    from intake.screening import CURRENT

    monkeypatch.setattr(CURRENT, "_triggers", {})
    assert CURRENT.screen(answers) == []
    # What a clinician is shown still comes from what was stored at submission.
    login_as(client, make_user(Role.CLINICIAN))
    shown = client.get(f"/api/v1/appointments/{appointment.id}/intake")
    assert shown.status_code == HTTPStatus.OK
    assert [f["code"] for f in shown.json["flags"]] == ["ACTIVE_ACNE"]
    assert shown.json["status"] == IntakeStatus.NEEDS_REVIEW.value
    assert shown.json["ruleset"] == RULESET_VERSION
    db.session.expire_all()
    reloaded = db.session.get(Intake, intake.id)
    assert reloaded.flags == stored
    assert reloaded.status is IntakeStatus.NEEDS_REVIEW


def test_timestamps_come_back_aware_utc(app_ctx):
    appointment, _ = make_appointment(starts_in=dt.timedelta(days=2))
    audit.record(
        audit.Action.APPOINTMENT_BOOKED,
        actor_kind=audit.ActorKind.SYSTEM,
        target=("appointment", appointment.id),
    )
    db.session.commit()
    db.session.expire_all()
    event = db.session.execute(
        sa.select(AuditEvent).order_by(AuditEvent.id.desc()).limit(1)
    ).scalar_one()
    assert appointment.starts_at.tzinfo is not None
    assert appointment.starts_at.utcoffset() == dt.timedelta(0)
    assert appointment.starts_at > utcnow()
    assert event.occurred_at.utcoffset() == dt.timedelta(0)
    assert abs(utcnow() - event.occurred_at) < dt.timedelta(minutes=5)
