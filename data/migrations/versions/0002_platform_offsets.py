"""platform offsets: the last update each chat platform handled

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-29 08:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "platform_offsets",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("last_update_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", name=op.f("pk_platform_offsets")),
    )


def downgrade() -> None:
    op.drop_table("platform_offsets")
