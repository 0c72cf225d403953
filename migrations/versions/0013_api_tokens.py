"""api tokens: hashed bearer tokens with scopes, an expiry and revocation, for integrators

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 17:20:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None

HELD_KINDS_BEFORE = "kind IN ('temporary_password', 'recovery_codes')"
HELD_KINDS = "kind IN ('temporary_password', 'recovery_codes', 'api_token')"


def upgrade():
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("name", sa.String(100), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("prefix", sa.String(16), nullable=False),
        sa.Column("scopes", sa.String(200), nullable=False),
        sa.Column("created_by_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_used_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("revoked_by_id", sa.Integer(), nullable=True),
        sa.CheckConstraint("scopes <> ''", name=op.f("ck_api_tokens_scopes_given")),
        sa.CheckConstraint(
            "(revoked_at IS NULL AND revoked_by_id IS NULL) OR revoked_at IS NOT NULL",
            name=op.f("ck_api_tokens_revocation"),
        ),
        sa.ForeignKeyConstraint(
            ["created_by_id"], ["users.id"], name=op.f("fk_api_tokens_created_by_id_users")
        ),
        sa.ForeignKeyConstraint(
            ["revoked_by_id"], ["users.id"], name=op.f("fk_api_tokens_revoked_by_id_users")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_api_tokens")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_api_tokens_token_hash")),
    )
    # A new token crosses the post/redirect/get like a temporary password (intake.held).
    with op.batch_alter_table("held_secrets") as batch_op:
        batch_op.drop_constraint(op.f("ck_held_secrets_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_held_secrets_kind_known"), HELD_KINDS)


def downgrade():
    op.execute(sa.text("DELETE FROM held_secrets WHERE kind = 'api_token'"))
    with op.batch_alter_table("held_secrets") as batch_op:
        batch_op.drop_constraint(op.f("ck_held_secrets_kind_known"), type_="check")
        batch_op.create_check_constraint(op.f("ck_held_secrets_kind_known"), HELD_KINDS_BEFORE)
    op.drop_table("api_tokens")
