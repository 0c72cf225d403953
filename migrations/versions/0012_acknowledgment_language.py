"""acknowledgment language: the language the patient read and signed the aftercare in

Existing acknowledgments were all signed in English (the only language until
now), so the server default labels them "en". Added in place (ALTER TABLE ADD
COLUMN on both databases): the table's append-only triggers stay as they are.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 17:30:00
"""

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade():
    op.add_column(
        "acknowledgments",
        sa.Column("locale", sa.String(16), server_default="en", nullable=False),
    )


def downgrade():
    op.drop_column("acknowledgments", "locale")
