"""recurring missions: series, their occurrences, and the weekly nudges of existing associations

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-29 12:00:00

On SQLite, `missions` gains (and loses) its two columns with a plain ALTER, never a
batch rebuild: with foreign keys on, dropping the old `missions` table would
cascade-delete every sign-up, skill and invitation of every mission.
"""

from __future__ import annotations

from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "mission_series",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("org_id", sa.Integer(), nullable=False),
        sa.Column("rule", sa.String(length=16), nullable=False),
        sa.Column("every", sa.SmallInteger(), server_default="1", nullable=False),
        sa.Column("weekday", sa.SmallInteger(), nullable=False),
        sa.Column("position", sa.SmallInteger(), nullable=True),
        sa.Column("starts_on", sa.Date(), nullable=False),
        sa.Column("start_time", sa.Time(), nullable=False),
        sa.Column("end_time", sa.Time(), nullable=False),
        sa.Column("title", sa.String(length=200), nullable=False),
        sa.Column("description", sa.Text(), server_default="", nullable=False),
        sa.Column("place", sa.String(length=300), server_default="", nullable=False),
        sa.Column("slots", sa.SmallInteger(), nullable=False),
        sa.Column("skills", sa.JSON(), nullable=False),
        sa.Column("coordinator_id", sa.Integer(), nullable=True),
        sa.Column("chat_space_id", sa.Integer(), nullable=True),
        sa.Column("active", sa.Boolean(), server_default="1", nullable=False),
        sa.Column("until", sa.Date(), nullable=True),
        sa.Column("generated_until", sa.Date(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.CheckConstraint("rule IN ('weekly', 'monthly')", name=op.f("ck_mission_series_rule")),
        sa.CheckConstraint("every BETWEEN 1 AND 12", name=op.f("ck_mission_series_every")),
        sa.CheckConstraint("weekday BETWEEN 0 AND 6", name=op.f("ck_mission_series_weekday")),
        sa.CheckConstraint("slots > 0", name=op.f("ck_mission_series_slots")),
        sa.ForeignKeyConstraint(
            ["chat_space_id"],
            ["chat_spaces.id"],
            name=op.f("fk_mission_series_chat_space_id_chat_spaces"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["coordinator_id"],
            ["volunteers.id"],
            name=op.f("fk_mission_series_coordinator_id_volunteers"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["org_id"],
            ["organisations.id"],
            name=op.f("fk_mission_series_org_id_organisations"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mission_series")),
    )
    op.create_index("ix_mission_series_org", "mission_series", ["org_id"], unique=False)
    if op.get_bind().dialect.name == "sqlite":
        # SQLite adds a column with its REFERENCES clause in place.
        op.execute(
            "ALTER TABLE missions ADD COLUMN series_id INTEGER"
            " CONSTRAINT fk_missions_series_id_mission_series"
            " REFERENCES mission_series (id)"
        )
        op.execute("ALTER TABLE missions ADD COLUMN occurrence_date DATE")
    else:
        with op.batch_alter_table("missions") as batch:
            batch.add_column(sa.Column("series_id", sa.Integer(), nullable=True))
            batch.add_column(sa.Column("occurrence_date", sa.Date(), nullable=True))
            batch.create_foreign_key(
                op.f("fk_missions_series_id_mission_series"),
                "mission_series",
                ["series_id"],
                ["id"],
            )
    op.create_index(
        "uq_missions_series_occurrence",
        "missions",
        ["series_id", "occurrence_date"],
        unique=True,
    )
    _start_nudges()


def _start_nudges() -> None:
    """Existing associations start their weekly nudges (the first run only plans the next)."""
    bind = op.get_bind()
    org_ids = [row[0] for row in bind.execute(sa.text("SELECT id FROM organisations"))]
    if not org_ids:
        return
    now = datetime.now(UTC)
    if bind.dialect.name == "sqlite":
        now = now.replace(tzinfo=None)  # stored as naive UTC, like data.schema.UTCDateTime
    tasks = sa.table(
        "tasks",
        sa.column("kind", sa.String()),
        sa.column("key", sa.String()),
        sa.column("due_at", sa.DateTime(timezone=True)),
        sa.column("org_id", sa.Integer()),
        sa.column("payload", sa.JSON()),
        sa.column("status", sa.String()),
        sa.column("created_at", sa.DateTime(timezone=True)),
    )
    op.bulk_insert(
        tasks,
        [
            {
                "kind": "nudges",
                "key": f"nudges:{org_id}:start",
                "due_at": now,
                "org_id": org_id,
                "payload": {"start": True},
                "status": "pending",
                "created_at": now,
            }
            for org_id in org_ids
        ],
    )


def downgrade() -> None:
    op.execute("DELETE FROM tasks WHERE kind IN ('nudges', 'series_extend')")
    op.drop_index("uq_missions_series_occurrence", table_name="missions")
    if op.get_bind().dialect.name == "sqlite":
        op.execute("ALTER TABLE missions DROP COLUMN occurrence_date")  # SQLite 3.35+
        op.execute("ALTER TABLE missions DROP COLUMN series_id")
    else:
        with op.batch_alter_table("missions") as batch:
            batch.drop_constraint(op.f("fk_missions_series_id_mission_series"), type_="foreignkey")
            batch.drop_column("occurrence_date")
            batch.drop_column("series_id")
    op.drop_index("ix_mission_series_org", table_name="mission_series")
    op.drop_table("mission_series")
