"""The database schema, as SQLAlchemy Core tables.

Every table that holds an association's data is scoped by organisation, directly
or through its parent row. Timestamps are stored in UTC; the organisation's time
zone is applied only when showing them.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    Dialect,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    SmallInteger,
    String,
    Table,
    Text,
    Time,
    TypeDecorator,
    UniqueConstraint,
)

__all__ = [
    "UTCDateTime",
    "availability",
    "chat_spaces",
    "consents",
    "conversations",
    "faq_entries",
    "identities",
    "interactions",
    "invitations",
    "memberships",
    "metadata",
    "mission_series",
    "mission_skills",
    "missions",
    "organisations",
    "outbox",
    "processed_updates",
    "signups",
    "tasks",
    "volunteer_claims",
    "volunteer_skills",
    "volunteers",
]

metadata = MetaData(
    naming_convention={
        "ix": "ix_%(column_0_label)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "ck": "ck_%(table_name)s_%(constraint_name)s",
        "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
        "pk": "pk_%(table_name)s",
    }
)


class UTCDateTime(TypeDecorator[datetime]):
    """A timestamp that is always aware and in UTC, on SQLite as on PostgreSQL."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime given to the database; use an aware one")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: Any, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        assert isinstance(value, datetime)
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def _ts(name: str, nullable: bool = True) -> Column[datetime]:
    return Column(name, UTCDateTime(), nullable=nullable)


organisations = Table(
    "organisations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("name", String(200), nullable=False),
    Column("timezone", String(64), nullable=False, server_default="Europe/Paris"),
    Column("language", String(8), nullable=False, server_default="fr"),
    Column("settings", JSON, nullable=False, server_default="{}"),
    _ts("created_at", nullable=False),
)

chat_spaces = Table(
    "chat_spaces",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("title", String(200)),
    _ts("created_at", nullable=False),
    Column("group_id", String(64)),  # a Discord server: its channels share one organisation
    UniqueConstraint("platform", "chat_id", name="uq_chat_spaces_platform_chat"),
    Index("ix_chat_spaces_platform_group", "platform", "group_id"),
)

volunteers = Table(
    "volunteers",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("display_name", String(200), nullable=False),
    Column("language", String(8), nullable=False, server_default="fr"),
    Column("timezone", String(64)),
    Column("location_text", String(200)),
    Column("postcode", String(16)),
    Column("latitude", Float),
    Column("longitude", Float),
    Column("max_invitations_per_week", SmallInteger),
    Column("fewer_messages", Boolean, nullable=False, server_default="0"),
    _ts("paused_until"),
    _ts("onboarded_at"),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
)

identities = Table(
    "identities",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(64), nullable=False),
    Column("display_name", String(200), nullable=False),
    Column("reachable", Boolean, nullable=False, server_default="1"),
    _ts("last_seen_at", nullable=False),
    UniqueConstraint("platform", "platform_user_id", name="uq_identities_platform_user"),
    Index("ix_identities_volunteer", "volunteer_id"),
)

memberships = Table(
    "memberships",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("role", String(16), nullable=False, server_default="volunteer"),
    _ts("joined_at", nullable=False),
    # "platform" when the role comes from the chat platform or the configuration (a group
    # admin, a Discord role, MAINFORTE_ADMINS) and goes with it; NULL when appointed.
    Column("role_source", String(16)),
    UniqueConstraint("org_id", "volunteer_id", name="uq_memberships_org_volunteer"),
    CheckConstraint("role IN ('admin', 'coordinator', 'volunteer')", name="role"),
)

volunteer_skills = Table(
    "volunteer_skills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("skill_id", String(64)),
    Column("raw_text", String(200), nullable=False),
    Column("confidence", Float, nullable=False, server_default="1"),
    Index("ix_volunteer_skills_volunteer", "volunteer_id"),
)

availability = Table(
    "availability",
    metadata,
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), primary_key=True),
    Column("weekday", SmallInteger, primary_key=True),
    Column("part", String(10), primary_key=True),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    CheckConstraint("part IN ('morning', 'afternoon', 'evening')", name="part"),
)

consents = Table(
    "consents",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("purpose", String(32), nullable=False),
    Column("version", String(16), nullable=False),
    _ts("given_at", nullable=False),
    _ts("withdrawn_at"),
    Index("ix_consents_volunteer", "volunteer_id"),
)

# A repeating mission ("tous les mardis 18h-20h"): the rule, wall-clock times in the
# organisation's time zone, and the template each occurrence (a normal mission) copies.
mission_series = Table(
    "mission_series",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("rule", String(16), nullable=False),
    Column("every", SmallInteger, nullable=False, server_default="1"),  # every n weeks or months
    Column("weekday", SmallInteger, nullable=False),
    Column("position", SmallInteger),  # monthly: 1-4, or -1 for the last of the month
    Column("starts_on", Date, nullable=False),  # the first occurrence: intervals count from it
    Column("start_time", Time, nullable=False),
    Column("end_time", Time, nullable=False),  # not after start_time: the next day
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    Column("place", String(300), nullable=False, server_default=""),
    Column("slots", SmallInteger, nullable=False),
    Column("skills", JSON, nullable=False),  # [[skill_id or null, raw text, required], ...]
    Column("coordinator_id", ForeignKey("volunteers.id", ondelete="SET NULL")),
    Column("chat_space_id", ForeignKey("chat_spaces.id", ondelete="SET NULL")),
    Column("active", Boolean, nullable=False, server_default="1"),
    Column("until", Date),
    Column("generated_until", Date),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    CheckConstraint("rule IN ('weekly', 'monthly')", name="rule"),
    CheckConstraint("every BETWEEN 1 AND 12", name="every"),
    CheckConstraint("weekday BETWEEN 0 AND 6", name="weekday"),
    CheckConstraint("slots > 0", name="slots"),
    Index("ix_mission_series_org", "org_id"),
)

missions = Table(
    "missions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("title", String(200), nullable=False),
    Column("description", Text, nullable=False, server_default=""),
    _ts("starts_at", nullable=False),
    _ts("ends_at", nullable=False),
    Column("place", String(300), nullable=False, server_default=""),
    Column("slots", SmallInteger, nullable=False),
    Column("status", String(16), nullable=False, server_default="open"),
    Column("strict_availability", Boolean, nullable=False, server_default="0"),
    Column("coordinator_id", ForeignKey("volunteers.id", ondelete="SET NULL")),
    Column("chat_space_id", ForeignKey("chat_spaces.id", ondelete="SET NULL")),
    Column("card_chat_id", String(64)),
    Column("card_message_id", String(64)),
    Column("version", Integer, nullable=False, server_default="0"),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("cancelled_at"),
    Column("series_id", ForeignKey("mission_series.id")),  # a series is stopped, never deleted
    Column("occurrence_date", Date),  # local date of this occurrence of its series
    CheckConstraint("status IN ('open', 'cancelled', 'done')", name="status"),
    CheckConstraint("slots > 0", name="slots"),
    Index("ix_missions_org_status_start", "org_id", "status", "starts_at"),
    Index("ix_missions_card", "card_chat_id", "card_message_id"),
    # An occurrence is never generated twice (a unique index: SQLite adds it without
    # rebuilding the table, which would cascade-delete the sign-ups).
    Index("uq_missions_series_occurrence", "series_id", "occurrence_date", unique=True),
)

mission_skills = Table(
    "mission_skills",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mission_id", ForeignKey("missions.id", ondelete="CASCADE"), nullable=False),
    Column("skill_id", String(64)),
    Column("raw_text", String(200), nullable=False),
    Column("required", Boolean, nullable=False, server_default="1"),
    Index("ix_mission_skills_mission", "mission_id"),
)

signups = Table(
    "signups",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mission_id", ForeignKey("missions.id", ondelete="CASCADE"), nullable=False),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False),
    Column("source", String(16), nullable=False, server_default="button"),
    _ts("created_at", nullable=False),
    _ts("updated_at", nullable=False),
    _ts("queued_at", nullable=False),
    _ts("confirm_by"),
    Column("reminder_answer", String(8)),
    Column("rating", SmallInteger),
    Column("comment", Text),
    UniqueConstraint("mission_id", "volunteer_id", name="uq_signups_mission_volunteer"),
    CheckConstraint(
        "status IN ('confirmed', 'offered', 'waitlisted', 'withdrawn', 'attended', 'no_show')",
        name="status",
    ),
    Index("ix_signups_volunteer", "volunteer_id"),
)

invitations = Table(
    "invitations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("mission_id", ForeignKey("missions.id", ondelete="CASCADE"), nullable=False),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("status", String(16), nullable=False, server_default="sent"),
    Column("wave", SmallInteger, nullable=False, server_default="1"),
    _ts("sent_at", nullable=False),
    _ts("expires_at"),
    _ts("responded_at"),
    UniqueConstraint("mission_id", "volunteer_id", name="uq_invitations_mission_volunteer"),
    CheckConstraint("status IN ('sent', 'accepted', 'declined', 'expired')", name="status"),
    Index("ix_invitations_volunteer_sent", "volunteer_id", "sent_at"),
)

interactions = Table(
    "interactions",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE")),
    Column("mission_id", ForeignKey("missions.id", ondelete="CASCADE")),
    Column("kind", String(32), nullable=False),
    Column("detail", JSON, nullable=False),
    _ts("at", nullable=False),
    Index("ix_interactions_org_at", "org_id", "at"),
    Index("ix_interactions_volunteer_at", "volunteer_id", "at"),
)

conversations = Table(
    "conversations",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("platform", String(16), nullable=False),
    Column("platform_user_id", String(64), nullable=False),
    Column("chat_id", String(64), nullable=False),
    Column("flow", String(32), nullable=False),
    Column("step", String(32), nullable=False),
    Column("data", JSON, nullable=False),
    _ts("updated_at", nullable=False),
    UniqueConstraint("platform", "platform_user_id", "chat_id", name="uq_conversations_who"),
)

outbox = Table(
    "outbox",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("idempotency_key", String(200), nullable=False, unique=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("platform", String(16), nullable=False),
    Column("kind", String(32), nullable=False),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("attempts", SmallInteger, nullable=False, server_default="0"),
    Column("last_error", String(500)),
    _ts("not_before", nullable=False),
    _ts("created_at", nullable=False),
    _ts("sent_at"),
    # The worker delivering the row, until when (a lease: a dead worker's rows are taken over).
    Column("claimed_by", String(100)),
    _ts("claimed_until"),
    CheckConstraint("status IN ('pending', 'sent', 'failed', 'dropped')", name="status"),
    Index("ix_outbox_status_due", "status", "not_before"),
)

# Platform bookkeeping, not an association's data: the deliveries the core has handled, by
# their idempotency key ("telegram:update:123:0"), recorded in the transaction of their
# effects so that an update delivered again is skipped. Kept two days (bot.core).
processed_updates = Table(
    "processed_updates",
    metadata,
    Column("source", String(120), primary_key=True),
    _ts("handled_at", nullable=False),
    Index("ix_processed_updates_handled_at", "handled_at"),
)

# Durable timers: everything the bot must do later (reminders, wave deadlines, offers
# to confirm, follow-ups). The scheduler only wakes the bot when the next one is due.
tasks = Table(
    "tasks",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("kind", String(32), nullable=False),
    Column("key", String(200), nullable=False, unique=True),
    _ts("due_at", nullable=False),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE")),
    Column("mission_id", ForeignKey("missions.id", ondelete="CASCADE")),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE")),
    Column("payload", JSON, nullable=False),
    Column("status", String(16), nullable=False, server_default="pending"),
    Column("note", String(300)),
    _ts("created_at", nullable=False),
    _ts("done_at"),
    CheckConstraint("status IN ('pending', 'done', 'dropped')", name="status"),
    Index("ix_tasks_status_due", "status", "due_at"),
)

# Answers to frequent questions, kept by an organisation's coordinators. A question may
# hold several phrasings separated by " / " (see bot.faqmatch).
faq_entries = Table(
    "faq_entries",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("question", Text, nullable=False),
    Column("answer", Text, nullable=False),
    Column("created_by", ForeignKey("volunteers.id", ondelete="SET NULL")),
    _ts("created_at", nullable=False),
    Index("ix_faq_entries_org", "org_id"),
)

# Profiles an admin imported from the association's spreadsheet, each waiting for its person
# to claim it with a one-time code (only its SHA-256 is kept). `person_key` is a hash of the
# name with the phone or e-mail, so the same person is found again when a file is imported
# twice; the phone and e-mail themselves are never stored. Once claimed, `volunteer_id` is
# the person's own profile and the row stays, so a second use of the code is recognised.
volunteer_claims = Table(
    "volunteer_claims",
    metadata,
    Column("id", Integer, primary_key=True),
    Column("org_id", ForeignKey("organisations.id", ondelete="CASCADE"), nullable=False),
    Column("volunteer_id", ForeignKey("volunteers.id", ondelete="CASCADE"), nullable=False),
    Column("person_key", String(64), nullable=False),
    Column("code_hash", String(64), nullable=False),
    Column("imported_by", ForeignKey("volunteers.id", ondelete="SET NULL")),
    _ts("created_at", nullable=False),
    _ts("expires_at", nullable=False),
    _ts("claimed_at"),
    UniqueConstraint("org_id", "person_key", name="uq_volunteer_claims_org_person"),
    UniqueConstraint("code_hash", name="uq_volunteer_claims_code_hash"),
    Index("ix_volunteer_claims_volunteer", "volunteer_id"),
)
