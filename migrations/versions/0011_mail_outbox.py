"""mail outbox: intake links and reminders emailed after the commit; a language and a reminders opt-out per appointment

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("appointments") as batch:
        batch.add_column(sa.Column("language", sa.String(8), server_default="en", nullable=False))
        batch.add_column(
            sa.Column("reminders_stopped_at", sa.DateTime(timezone=True), nullable=True)
        )
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column(
            "kind",
            sa.Enum("link", "reminder", name="mail_kind", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("reminder", sa.String(16), nullable=True),
        sa.Column(
            "state",
            sa.Enum("pending", "sent", "failed", name="outbox_state", native_enum=False, create_constraint=True, length=32),
            nullable=False,
        ),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("last_error", sa.String(200), nullable=True),
        sa.Column("to_address", sa.String(254), nullable=False),
        sa.Column("link_id", sa.Integer(), nullable=True),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("language", sa.String(8), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["appointment_id"], ["appointments.id"], name=op.f("fk_mail_outbox_appointment_id_appointments")
        ),
        sa.ForeignKeyConstraint(
            ["link_id"], ["intake_links.id"], name=op.f("fk_mail_outbox_link_id_intake_links")
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_mail_outbox_created_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mail_outbox")),
        sa.UniqueConstraint("appointment_id", "reminder", name="uq_mail_outbox_reminder"),
    )
    op.create_index(op.f("ix_mail_outbox_appointment_id"), "mail_outbox", ["appointment_id"])


def downgrade():
    op.drop_index(op.f("ix_mail_outbox_appointment_id"), table_name="mail_outbox")
    op.drop_table("mail_outbox")
    with op.batch_alter_table("appointments") as batch:
        batch.drop_column("reminders_stopped_at")
        batch.drop_column("language")
