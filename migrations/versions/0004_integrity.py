"""integrity: invariants held by the database

One link open per appointment, one booking per person and start time, the
submitted fields written together, permitted decision transitions, indexes for
every page's lookups; on PostgreSQL, triggers that refuse any other intake
status change, any change to a submitted intake's answers, and any UPDATE or
DELETE of acknowledgments, decisions and audit events. The audit chain gets a
hash scheme per event (events stored before this are plain SHA-256, new ones
an HMAC keyed with INTAKE_AUDIT_KEY) and cannot fork: no two events may follow
the same predecessor.

Revision ID: 0004
Revises: 0003
Create Date: 2026-12-02 19:00:00
"""

import datetime as dt

import sqlalchemy as sa
from alembic import context, op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None

EDITABLE = ("not_started", "in_progress")
DECIDABLE = ("needs_review", "deferred")
OUTCOMES = ("cleared", "cleared_with_precautions", "deferred", "not_suitable")
TRANSITIONS = (
    ("not_started", "in_progress"),
    ("in_progress", "ready"),
    ("in_progress", "needs_review"),
    *((before, after) for before in DECIDABLE for after in OUTCOMES),
)
APPEND_ONLY = ("acknowledgments", "decisions", "audit_events")


def _quoted(values):
    return ", ".join(f"'{v}'" for v in values)


def _booking_key(first, last, born, starts_at):
    # The same as intake.models.booking_key at the time of writing: a migration
    # imports nothing from the app, which may change later.
    if isinstance(starts_at, str):
        starts_at = dt.datetime.fromisoformat(starts_at)
    if starts_at.tzinfo is None:
        starts_at = starts_at.replace(tzinfo=dt.UTC)
    if isinstance(born, str):
        born = dt.date.fromisoformat(born)
    start = starts_at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M")
    return "\x1f".join((first.strip().casefold(), last.strip().casefold(), born.isoformat(), start))


def _backfill_appointments(conn):
    rows = conn.execute(
        sa.text(
            "SELECT id, first_name, last_name, date_of_birth, starts_at "
            "FROM appointments ORDER BY id"
        )
    ).all()
    seen = set()
    for row in rows:
        key = _booking_key(row.first_name, row.last_name, row.date_of_birth, row.starts_at)
        if key in seen:
            # A duplicate booked before the index existed keeps its row, marked
            # apart, so the upgrade never fails on old data.
            key = f"{key}\x1f{row.id}"
        seen.add(key)
        conn.execute(
            sa.text(
                "UPDATE appointments SET booking_key = :key, first_name_key = :first, "
                "last_name_key = :last WHERE id = :id"
            ),
            {
                "key": key,
                "first": row.first_name.strip().casefold(),
                "last": row.last_name.strip().casefold(),
                "id": row.id,
            },
        )


def _refuse_a_forked_chain(conn):
    # A chain that already forked under concurrent writes (two events sharing a
    # predecessor) cannot take the unique constraint; say so rather than fail
    # on an IntegrityError, and change no stored event to make it fit.
    if context.is_offline_mode():
        return
    forks = conn.execute(
        sa.text(
            "SELECT count(*) FROM (SELECT prev_hash FROM audit_events"
            " GROUP BY prev_hash HAVING count(*) > 1) AS forks"
        )
    ).scalar_one()
    if forks:
        raise RuntimeError(
            f"audit_events: {forks} event(s) share a predecessor with another "
            "(the chain forked before this version); `flask --app wsgi audit verify` "
            "on the previous version names them. Keep a copy of the table and "
            "resolve the fork before upgrading."
        )


def upgrade():
    conn = op.get_bind()
    postgresql = conn.dialect.name == "postgresql"

    _refuse_a_forked_chain(conn)
    with op.batch_alter_table("audit_events") as batch_op:
        # Events already stored were hashed with plain SHA-256; the server
        # default labels them (and anything an older process still writes) so.
        batch_op.add_column(
            sa.Column("hash_scheme", sa.String(16), server_default="sha256-v1", nullable=False)
        )
        batch_op.create_unique_constraint(op.f("uq_audit_events_prev_hash"), ["prev_hash"])

    with op.batch_alter_table("appointments") as batch_op:
        batch_op.add_column(sa.Column("booking_key", sa.String(240), nullable=True))
        batch_op.add_column(sa.Column("first_name_key", sa.String(100), nullable=True))
        batch_op.add_column(sa.Column("last_name_key", sa.String(100), nullable=True))
    _backfill_appointments(conn)
    with op.batch_alter_table("appointments") as batch_op:
        batch_op.alter_column("booking_key", existing_type=sa.String(240), nullable=False)
        batch_op.alter_column("first_name_key", existing_type=sa.String(100), nullable=False)
        batch_op.alter_column("last_name_key", existing_type=sa.String(100), nullable=False)
        batch_op.create_unique_constraint(op.f("uq_appointments_booking_key"), ["booking_key"])
        batch_op.create_index(op.f("ix_appointments_date_of_birth"), ["date_of_birth"])
        batch_op.create_index(
            "ix_appointments_first_name_key",
            ["first_name_key"],
            postgresql_ops={"first_name_key": "varchar_pattern_ops"},
        )
        batch_op.create_index(
            "ix_appointments_last_name_key",
            ["last_name_key"],
            postgresql_ops={"last_name_key": "varchar_pattern_ops"},
        )

    # Links left open side by side by an earlier race: keep the newest open.
    conn.execute(
        sa.text(
            "UPDATE intake_links SET revoked_at = CURRENT_TIMESTAMP "
            "WHERE revoked_at IS NULL AND id NOT IN ("
            "SELECT max(id) FROM intake_links WHERE revoked_at IS NULL GROUP BY appointment_id)"
        )
    )
    with op.batch_alter_table("intake_links") as batch_op:
        batch_op.create_index(
            "uq_intake_links_open_per_appointment",
            ["appointment_id"],
            unique=True,
            sqlite_where=sa.text("revoked_at IS NULL"),
            postgresql_where=sa.text("revoked_at IS NULL"),
        )
        batch_op.create_check_constraint(
            op.f("ck_intake_links_failed_attempts_not_negative"), "failed_attempts >= 0"
        )

    with op.batch_alter_table("intakes") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_intakes_submitted_fields"),
            f"(status IN ({_quoted(EDITABLE)})) = "
            "(submitted_at IS NULL AND ruleset_version IS NULL)",
        )
    with op.batch_alter_table("decisions") as batch_op:
        batch_op.create_check_constraint(
            op.f("ck_decisions_permitted_transition"),
            f"previous_status IN ({_quoted(DECIDABLE)}) AND outcome IN ({_quoted(OUTCOMES)})",
        )

    if postgresql:
        _create_triggers()


def _create_triggers():
    pairs = ", ".join(f"('{a}', '{b}')" for a, b in TRANSITIONS)
    op.execute(
        f"""
        CREATE FUNCTION intake_guard() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          IF NEW.status IS DISTINCT FROM OLD.status
             AND (OLD.status::text, NEW.status::text) NOT IN ({pairs}) THEN
            RAISE EXCEPTION 'intake %: status may not change from % to %',
              OLD.id, OLD.status, NEW.status USING ERRCODE = 'check_violation';
          END IF;
          IF OLD.status NOT IN ({_quoted(EDITABLE)}) AND (
               NEW.answers IS DISTINCT FROM OLD.answers
            OR NEW.flags IS DISTINCT FROM OLD.flags
            OR NEW.ruleset_version IS DISTINCT FROM OLD.ruleset_version
            OR NEW.submitted_at IS DISTINCT FROM OLD.submitted_at
            OR NEW.appointment_id IS DISTINCT FROM OLD.appointment_id) THEN
            RAISE EXCEPTION 'intake %: answers, flags and rule set are frozen once submitted',
              OLD.id USING ERRCODE = 'check_violation';
          END IF;
          RETURN NEW;
        END $$
        """
    )
    op.execute(
        "CREATE TRIGGER intakes_guard BEFORE UPDATE ON intakes "
        "FOR EACH ROW EXECUTE FUNCTION intake_guard()"
    )
    op.execute(
        """
        CREATE FUNCTION refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
          RAISE EXCEPTION '% is append-only: % refused', TG_TABLE_NAME, TG_OP
            USING ERRCODE = 'insufficient_privilege';
        END $$
        """
    )
    for table in APPEND_ONLY:
        op.execute(
            f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
            "FOR EACH ROW EXECUTE FUNCTION refuse_change()"
        )
        op.execute(
            f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
            "FOR EACH STATEMENT EXECUTE FUNCTION refuse_change()"
        )


def downgrade():
    conn = op.get_bind()
    if conn.dialect.name == "postgresql":
        for table in APPEND_ONLY:
            op.execute(f"DROP TRIGGER {table}_no_truncate ON {table}")
            op.execute(f"DROP TRIGGER {table}_append_only ON {table}")
        op.execute("DROP FUNCTION refuse_change()")
        op.execute("DROP TRIGGER intakes_guard ON intakes")
        op.execute("DROP FUNCTION intake_guard()")

    with op.batch_alter_table("decisions") as batch_op:
        batch_op.drop_constraint(op.f("ck_decisions_permitted_transition"), type_="check")
    with op.batch_alter_table("intakes") as batch_op:
        batch_op.drop_constraint(op.f("ck_intakes_submitted_fields"), type_="check")
    with op.batch_alter_table("intake_links") as batch_op:
        batch_op.drop_constraint(
            op.f("ck_intake_links_failed_attempts_not_negative"), type_="check"
        )
        batch_op.drop_index("uq_intake_links_open_per_appointment")
    with op.batch_alter_table("appointments") as batch_op:
        batch_op.drop_index("ix_appointments_last_name_key")
        batch_op.drop_index("ix_appointments_first_name_key")
        batch_op.drop_index(op.f("ix_appointments_date_of_birth"))
        batch_op.drop_constraint(op.f("uq_appointments_booking_key"), type_="unique")
        batch_op.drop_column("last_name_key")
        batch_op.drop_column("first_name_key")
        batch_op.drop_column("booking_key")
    # Keyed events stay in the table, but the older code cannot verify them (it
    # reads every hash as plain SHA-256).
    with op.batch_alter_table("audit_events") as batch_op:
        batch_op.drop_constraint(op.f("uq_audit_events_prev_hash"), type_="unique")
        batch_op.drop_column("hash_scheme")
