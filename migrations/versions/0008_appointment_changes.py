"""appointment changes: a cancellation is stored on the appointment, and frees its slot

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07 14:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0007"
branch_labels = None
depends_on = None

# Live: no cancellation fields and a booking key (one booking per person and
# start time). Cancelled: a time, maybe who and why, and no booking key, so the
# same person can be booked again at that time. NULL is never equal to NULL in
# a unique constraint, on either database, so any number of cancelled rows fit.
CANCELLATION = (
    "(cancelled_at IS NULL AND cancelled_by_id IS NULL AND cancel_reason IS NULL "
    "AND booking_key IS NOT NULL) OR (cancelled_at IS NOT NULL AND booking_key IS NULL)"
)


def upgrade():
    with op.batch_alter_table("appointments") as batch_op:
        batch_op.add_column(sa.Column("cancelled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("cancelled_by_id", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("cancel_reason", sa.String(500), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_appointments_cancelled_by_id_users"), "users", ["cancelled_by_id"], ["id"]
        )
        batch_op.alter_column("booking_key", existing_type=sa.String(240), nullable=True)
        batch_op.create_check_constraint(op.f("ck_appointments_cancellation"), CANCELLATION)


def downgrade():
    conn = op.get_bind()
    cancelled = conn.execute(
        sa.text("SELECT count(*) FROM appointments WHERE cancelled_at IS NOT NULL")
    ).scalar_one()
    if cancelled:
        # The older schema cannot say "cancelled": going back would make these
        # appointments, and their links, live again.
        raise RuntimeError(
            f"{cancelled} appointment(s) are cancelled; the schema before 0008 cannot "
            "keep that, so this downgrade is refused"
        )
    with op.batch_alter_table("appointments") as batch_op:
        batch_op.drop_constraint(op.f("ck_appointments_cancellation"), type_="check")
        batch_op.alter_column("booking_key", existing_type=sa.String(240), nullable=False)
        batch_op.drop_constraint(
            op.f("fk_appointments_cancelled_by_id_users"), type_="foreignkey"
        )
        batch_op.drop_column("cancel_reason")
        batch_op.drop_column("cancelled_by_id")
        batch_op.drop_column("cancelled_at")
