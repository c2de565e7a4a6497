"""where a member's role comes from, so a role granted by the platform goes with it

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-29 11:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    # Existing roles count as appointed: nobody loses a role by the upgrade.
    op.add_column("memberships", sa.Column("role_source", sa.String(length=16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("memberships") as batch:
        batch.drop_column("role_source")
