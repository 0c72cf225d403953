"""held secrets: a temporary password or recovery codes sealed for the one page that shows them

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 15:40:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table(
        "held_secrets",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("nonce_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(32), nullable=False),
        sa.Column("viewer_id", sa.Integer(), nullable=False),
        sa.Column("subject_id", sa.Integer(), nullable=False),
        sa.Column("sealed", sa.Text(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("shown_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "kind IN ('temporary_password', 'recovery_codes')",
            name=op.f("ck_held_secrets_kind_known"),
        ),
        sa.ForeignKeyConstraint(
            ["viewer_id"], ["users.id"], name=op.f("fk_held_secrets_viewer_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["subject_id"], ["users.id"], name=op.f("fk_held_secrets_subject_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_held_secrets")),
        sa.UniqueConstraint("nonce_hash", name=op.f("uq_held_secrets_nonce_hash")),
    )
    op.create_index(op.f("ix_held_secrets_subject_id"), "held_secrets", ["subject_id"])


def downgrade():
    op.drop_index(op.f("ix_held_secrets_subject_id"), table_name="held_secrets")
    op.drop_table("held_secrets")
