"""Plain, immutable records read from the database."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from enum import StrEnum
from typing import Any

__all__ = [
    "ChatSpace",
    "ConversationState",
    "Identity",
    "Mission",
    "MissionSkill",
    "MissionStatus",
    "Organisation",
    "OutboxItem",
    "Role",
    "Signup",
    "SignupStatus",
    "Volunteer",
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
    WAITLISTED = "waitlisted"
    WITHDRAWN = "withdrawn"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


@dataclass(frozen=True, slots=True)
class Organisation:
    id: int
    name: str
    timezone: str
    language: str


@dataclass(frozen=True, slots=True)
class ChatSpace:
    id: int
    org_id: int
    platform: str
    chat_id: str
    title: str | None


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


@dataclass(frozen=True, slots=True)
class Signup:
    id: int
    mission_id: int
    volunteer_id: int
    status: SignupStatus
    queued_at: datetime


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
