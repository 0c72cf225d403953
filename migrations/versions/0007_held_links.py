"""held links: a new intake link sealed for the one page that shows it

Revision ID: 0007
Revises: 0006
Create Date: 2026-12-07 07:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "held_links",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("appointment_id", sa.Integer(), nullable=False),
        sa.Column("sealed_token", sa.Text(), nullable=False),
        sa.Column("booked", sa.Boolean(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["user_id"], ["users.id"], name=op.f("fk_held_links_user_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["appointment_id"],
            ["appointments.id"],
            name=op.f("fk_held_links_appointment_id_appointments"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_links")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_held_links_nonce_hash")),
    )
    op.create_index(op.f("ix_held_links_appointment_id"), "held_links", ["appointment_id"])


def downgrade():
    op.drop_index(op.f("ix_held_links_appointment_id"), table_name="held_links")
    op.drop_table("held_links")
