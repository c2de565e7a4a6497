"""scheduling: durable tasks, organisation settings, offers to confirm, attendance feedback

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-29 09:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

_OLD_STATUS = "status IN ('confirmed', 'waitlisted', 'withdrawn', 'attended', 'no_show')"
_NEW_STATUS = "status IN ('confirmed', 'offered', 'waitlisted', 'withdrawn', 'attended', 'no_show')"


def upgrade() -> None:
    op.create_table(
        "tasks",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=32), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=True),
        sa.Column("mission_id", sa.Integer(), nullable=True),
        sa.Column("volunteer_id", sa.Integer(), nullable=True),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", sa.String(length=16), server_default="pending", nullable=False),
        sa.Column("note", sa.String(length=300), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("done_at", sa.DateTime(timezone=True), nullable=True),
        sa.CheckConstraint(
            "status IN ('pending', 'done', 'dropped')", name=op.f("ck_tasks_status")
        ),
        sa.ForeignKeyConstraint(
            ["mission_id"],
            ["missions.id"],
            name=op.f("fk_tasks_mission_id_missions"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_tasks_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["volunteer_id"],
            ["volunteers.id"],
            name=op.f("fk_tasks_volunteer_id_volunteers"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_tasks")),
        sa.UniqueConstraint("key", name=op.f("uq_tasks_key")),
    )
    op.create_index("ix_tasks_status_due", "tasks", ["status", "due_at"], unique=False)
    with op.batch_alter_table("organisations") as batch:
        batch.add_column(sa.Column("settings", sa.JSON(), server_default="{}", nullable=False))
    with op.batch_alter_table("volunteers") as batch:
        batch.add_column(
            sa.Column("fewer_messages", sa.Boolean(), server_default="0", nullable=False)
        )
    with op.batch_alter_table("signups") as batch:
        batch.add_column(sa.Column("confirm_by", sa.DateTime(timezone=True), nullable=True))
        batch.add_column(sa.Column("reminder_answer", sa.String(length=8), nullable=True))
        batch.add_column(sa.Column("rating", sa.SmallInteger(), nullable=True))
        batch.add_column(sa.Column("comment", sa.Text(), nullable=True))
        batch.drop_constraint(op.f("ck_signups_status"), type_="check")
        batch.create_check_constraint(op.f("ck_signups_status"), _NEW_STATUS)


def downgrade() -> None:
    with op.batch_alter_table("signups") as batch:
        batch.drop_constraint(op.f("ck_signups_status"), type_="check")
        batch.create_check_constraint(op.f("ck_signups_status"), _OLD_STATUS)
        batch.drop_column("comment")
        batch.drop_column("rating")
        batch.drop_column("reminder_answer")
        batch.drop_column("confirm_by")
    with op.batch_alter_table("volunteers") as batch:
        batch.drop_column("fewer_messages")
    with op.batch_alter_table("organisations") as batch:
        batch.drop_column("settings")
    op.drop_index("ix_tasks_status_due", table_name="tasks")
    op.drop_table("tasks")
