"""queue counts: intakes by status with their appointment, and the cancelled appointments

The review queue counts, on every load, the waiting intakes whose
appointment is not cancelled, and the others of appointments from today on,
by status. An index on intakes (status, appointment_id) answers both from
the index alone (no intake row, which holds the answers, is read) and
replaces the index on status alone, which it also serves; a partial index of
the cancelled appointments' ids answers "not cancelled" without reading
every appointment. bench/README.md has the figures.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-07 21:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None


def upgrade():
    op.create_index(
        "ix_intakes_status_appointment_id", "intakes", ["status", "appointment_id"], unique=False
    )
    op.drop_index("ix_intakes_status", table_name="intakes")
    op.create_index(
        "ix_appointments_cancelled",
        "appointments",
        ["id"],
        unique=False,
        postgresql_where=sa.text("cancelled_at IS NOT NULL"),
        sqlite_where=sa.text("cancelled_at IS NOT NULL"),
    )


def downgrade():
    op.drop_index("ix_appointments_cancelled", table_name="appointments")
    op.create_index("ix_intakes_status", "intakes", ["status"], unique=False)
    op.drop_index("ix_intakes_status_appointment_id", table_name="intakes")
