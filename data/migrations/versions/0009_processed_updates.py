"""processed updates: each delivery the core handled, by its idempotency key, recorded with
its effects (exactly-once handling); replaces the per-platform last update id

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-29 12:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "processed_updates",
        sa.Column("source", sa.String(length=120), nullable=False),
        sa.Column("handled_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", name=op.f("pk_processed_updates")),
    )
    op.create_index("ix_processed_updates_handled_at", "processed_updates", ["handled_at"])
    # The last update id was claimed before handling (at most once); it has no use now.
    op.drop_table("platform_offsets")


def downgrade() -> None:
    op.create_table(
        "platform_offsets",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("last_update_id", sa.BigInteger(), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", name=op.f("pk_platform_offsets")),
    )
    op.drop_index("ix_processed_updates_handled_at", table_name="processed_updates")
    op.drop_table("processed_updates")
