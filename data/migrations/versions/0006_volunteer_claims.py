"""imported volunteer profiles and their claim codes: the volunteer_claims table

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-29 14:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "volunteer_claims",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("volunteer_id", sa.Integer(), nullable=False),
        sa.Column("person_key", sa.String(length=64), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("imported_by", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("claimed_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["imported_by"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_claims_imported_by_volunteers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_volunteer_claims_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_volunteer_claims_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_volunteer_claims")),
        sa.UniqueConstraint("code_hash", name="uq_volunteer_claims_code_hash"),
        sa.UniqueConstraint("org_id", "person_key", name="uq_volunteer_claims_org_person"),
    )
    op.create_index(
        "ix_volunteer_claims_volunteer", "volunteer_claims", ["volunteer_id"], unique=False
    )


def downgrade() -> None:
    op.drop_index("ix_volunteer_claims_volunteer", table_name="volunteer_claims")
    op.drop_table("volunteer_claims")
