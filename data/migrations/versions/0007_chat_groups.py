"""the community (Discord server) of each chat space, so a server's channels share one
organisation

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-29 10:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing Discord channels get their server when they are next seen (bot.core).
    op.add_column("chat_spaces", sa.Column("group_id", sa.String(length=64), nullable=True))
    op.create_index("ix_chat_spaces_platform_group", "chat_spaces", ["platform", "group_id"])


def downgrade() -> None:
    op.drop_index("ix_chat_spaces_platform_group", table_name="chat_spaces")
    with op.batch_alter_table("chat_spaces") as batch:
        batch.drop_column("group_id")
