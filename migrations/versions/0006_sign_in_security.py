"""sign-in security: encrypted TOTP secrets, recovery codes, server-side staff sessions

``users.totp_secret`` widens to hold a Fernet token. Secrets stored in clear
before this revision stay readable and are encrypted lazily: at the account's
next successful sign-in, or all at once by ``flask --app wsgi totp rotate-keys``
(a migration imports nothing from the app and has no key to encrypt with).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-10 10:00:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "totp_secret", type_=sa.String(255), existing_type=sa.String(64), existing_nullable=True
        )
    op.create_table(
        "recovery_codes",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_recovery_codes_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_recovery_codes"),
        sa.UniqueConstraint("code_hash", name="uq_recovery_codes_code_hash"),
    )
    op.create_index("ix_recovery_codes_user_id", "recovery_codes", ["user_id"])
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer(), primary_key=True),
        sa.Column("user_id", sa.Integer(), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("device", sa.String(64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(["user_id"], ["users.id"], name="fk_staff_sessions_user_id_users"),
        sa.PrimaryKeyConstraint("id", name="pk_staff_sessions"),
        sa.UniqueConstraint("token_hash", name="uq_staff_sessions_token_hash"),
    )
    op.create_index("ix_staff_sessions_user_id", "staff_sessions", ["user_id"])


def downgrade():
    op.drop_index("ix_staff_sessions_user_id", table_name="staff_sessions")
    op.drop_table("staff_sessions")
    op.drop_index("ix_recovery_codes_user_id", table_name="recovery_codes")
    op.drop_table("recovery_codes")
    # An encrypted secret does not fit the old column: the authenticators go
    # (each person enrols again), which is safer than writing them out in clear.
    op.execute(
        sa.text(
            "UPDATE users SET totp_secret = NULL, totp_last_step = NULL "
            "WHERE length(totp_secret) > 64"
        )
    )
    with op.batch_alter_table("users") as batch:
        batch.alter_column(
            "totp_secret", type_=sa.String(64), existing_type=sa.String(255), existing_nullable=True
        )
