"""queue counts: intakes by appointment with their status, and the cancelled appointments

The review queue counts, on every load, the intakes of appointments from
today on by status, and every waiting intake whose appointment is not
cancelled. An index on intakes (appointment_id, status) answers the first
from the index alone (no intake row, which holds the answers, is read); a
partial index of the cancelled appointments' ids answers "not cancelled"
without reading every appointment. bench/README.md has the figures.

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
        "ix_intakes_appointment_id_status", "intakes", ["appointment_id", "status"], unique=False
    )
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
    op.drop_index("ix_intakes_appointment_id_status", table_name="intakes")
