"""Plain, immutable records read from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time
from enum import StrEnum
from typing import Any

__all__ = [
    "ACTIVE_SIGNUPS",
    "ChatSpace",
    "ConversationState",
    "Identity",
    "Mission",
    "MissionSeries",
    "MissionSkill",
    "MissionStatus",
    "Organisation",
    "OutboxItem",
    "Role",
    "Signup",
    "SignupStatus",
    "Task",
    "Volunteer",
    "VolunteerClaim",
    "VolunteerSkill",
]


class Role(StrEnum):
    ADMIN = "admin"
    COORDINATOR = "coordinator"
    VOLUNTEER = "volunteer"

    @property
    def rank(self) -> int:
        return {"volunteer": 0, "coordinator": 1, "admin": 2}[self.value]


class MissionStatus(StrEnum):
    OPEN = "open"
    CANCELLED = "cancelled"
    DONE = "done"


class SignupStatus(StrEnum):
    CONFIRMED = "confirmed"
    OFFERED = "offered"  # a freed place offered to the first on the waitlist, to confirm
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


ACTIVE_SIGNUPS = (SignupStatus.CONFIRMED, SignupStatus.OFFERED, SignupStatus.WAITLISTED)


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    timezone: str
    language: str
    settings: dict[str, Any] = field(default_factory=dict)


@dataclass(frozen=True, slots=True)
class ChatSpace:
    id: int
    org_id: int
    platform: str
    chat_id: str
    title: str | None
    group_id: str | None = None  # the Discord server the channel belongs to


@dataclass(frozen=True, slots=True)
class Identity:
    id: int
    volunteer_id: int
    platform: str
    platform_user_id: str
    display_name: str
    reachable: bool


@dataclass(frozen=True, slots=True)
class VolunteerSkill:
    skill_id: str | None
    raw_text: str
    confidence: float


@dataclass(frozen=True, slots=True)
class Volunteer:
    id: int
    display_name: str
    language: str
    timezone: str | None
    location_text: str | None
    postcode: str | None
    max_invitations_per_week: int | None
    paused_until: datetime | None
    onboarded_at: datetime | None
    fewer_messages: bool = False
    latitude: float | None = None
    longitude: float | None = None

    @property
    def onboarded(self) -> bool:
        return self.onboarded_at is not None


@dataclass(frozen=True, slots=True)
class MissionSkill:
    skill_id: str | None
    raw_text: str
    required: bool


@dataclass(frozen=True, slots=True)
class Mission:
    id: int
    org_id: int
    title: str
    description: str
    starts_at: datetime
    ends_at: datetime
    place: str
    slots: int
    status: MissionStatus
    coordinator_id: int | None
    chat_space_id: int | None
    card_chat_id: str | None
    card_message_id: str | None
    version: int
    skills: tuple[MissionSkill, ...] = field(default=())
    series_id: int | None = None  # set on the occurrences of a repeating mission
    occurrence_date: date | None = None  # local date of the occurrence in its series


@dataclass(frozen=True, slots=True)
class MissionSeries:
    """A repeating mission: its rule, local times, and the template of its occurrences."""

    id: int
    org_id: int
    rule: str  # "weekly" or "monthly"
    every: int  # every n weeks or months
    weekday: int  # 0 = Monday
    position: int | None  # monthly: 1-4, or -1 for the last of the month
    starts_on: date
    start_time: time
    end_time: time  # not after start_time: the next day
    title: str
    description: str
    place: str
    slots: int
    skills: tuple[MissionSkill, ...]
    coordinator_id: int | None
    chat_space_id: int | None
    active: bool
    until: date | None
    generated_until: date | None


@dataclass(frozen=True, slots=True)
class Signup:
    id: int
    mission_id: int
    volunteer_id: int
    status: SignupStatus
    queued_at: datetime
    confirm_by: datetime | None = None
    reminder_answer: str | None = None


@dataclass(frozen=True, slots=True)
class ConversationState:
    flow: str
    step: str
    data: dict[str, Any]


@dataclass(frozen=True, slots=True)
class OutboxItem:
    id: int
    idempotency_key: str
    platform: str
    kind: str
    payload: dict[str, Any]
    attempts: int


@dataclass(frozen=True, slots=True)
class Task:
    """Something the bot must do at `due_at` (a reminder, a deadline, a follow-up)."""

    id: int
    kind: str
    key: str
    due_at: datetime
    org_id: int | None
    mission_id: int | None
    volunteer_id: int | None
    payload: dict[str, Any]


@dataclass(frozen=True, slots=True)
class VolunteerClaim:
    """An imported profile waiting for its person (see `data.schema.volunteer_claims`)."""

    id: int
    org_id: int
    volunteer_id: int
    expires_at: datetime
    claimed_at: datetime | None
    person_key: str = ""  # a hash that finds the same person in a later file

    @property
    def claimed(self) -> bool:
        return self.claimed_at is not None
