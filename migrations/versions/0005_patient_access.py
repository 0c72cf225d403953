"""patient access: what a link shows, server-side patient sessions, reissue reasons

Each intake records, per answered question, the link it was answered through
(`answer_links`) and the link it was signed through (`submitted_link_id`);
links keep the reason staff gave for a new link after the patient started;
`patient_sessions` lets the server end a patient's confirmed session.

In-progress intakes keep their answers visible through their open link: the
backfill credits every answered question to it.

Revision ID: 0005
Revises: 0004
Create Date: 2026-12-07 06:00:00
"""

import json

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _json():
    return sa.JSON().with_variant(sa.dialects.postgresql.JSONB(), "postgresql")


def upgrade():
    with op.batch_alter_table("intake_links") as batch_op:
        batch_op.add_column(sa.Column("reason", sa.String(500), nullable=True))
    with op.batch_alter_table("intakes") as batch_op:
        batch_op.add_column(
            sa.Column("answer_links", _json(), server_default=sa.text("'{}'"), nullable=False)
        )
        batch_op.add_column(sa.Column("submitted_link_id", sa.Integer(), nullable=True))
        batch_op.create_foreign_key(
            op.f("fk_intakes_submitted_link_id_intake_links"),
            "intake_links",
            ["submitted_link_id"],
            ["id"],
        )
    op.create_table(
        "patient_sessions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key_hash", sa.String(64), nullable=False),
        sa.Column("intake_id", sa.Integer(), sa.ForeignKey("intakes.id"), nullable=False),
        sa.Column("link_id", sa.Integer(), sa.ForeignKey("intake_links.id"), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_patient_sessions")),
        sa.UniqueConstraint("key_hash", name=op.f("uq_patient_sessions_key_hash")),
    )
    op.create_index(
        op.f("ix_patient_sessions_intake_id"), "patient_sessions", ["intake_id"]
    )
    _credit_answers_to_open_links(op.get_bind())


def _credit_answers_to_open_links(conn):
    rows = conn.execute(
        sa.text(
            "SELECT intakes.id, intakes.answers, intake_links.id AS link_id FROM intakes "
            "JOIN intake_links ON intake_links.appointment_id = intakes.appointment_id "
            "AND intake_links.revoked_at IS NULL "
            "WHERE intakes.status IN ('not_started', 'in_progress')"
        )
    ).all()
    for row in rows:
        answers = row.answers if isinstance(row.answers, dict) else json.loads(row.answers or "{}")
        credited = {k: row.link_id for k in answers if not k.endswith("_details")}
        conn.execute(
            sa.text("UPDATE intakes SET answer_links = :links WHERE id = :id").bindparams(
                sa.bindparam("links", type_=_json())
            ),
            {"links": credited, "id": row.id},
        )


def downgrade():
    op.drop_index(op.f("ix_patient_sessions_intake_id"), table_name="patient_sessions")
    op.drop_table("patient_sessions")
    with op.batch_alter_table("intakes") as batch_op:
        batch_op.drop_constraint(
            op.f("fk_intakes_submitted_link_id_intake_links"), type_="foreignkey"
        )
        batch_op.drop_column("submitted_link_id")
        batch_op.drop_column("answer_links")
    with op.batch_alter_table("intake_links") as batch_op:
        batch_op.drop_column("reason")
