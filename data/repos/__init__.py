"""Repositories: the queries each feature needs, bound to one transaction."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncConnection

from data.repos._util import utcnow
from data.repos.activity import ActivityRepo
from data.repos.claims import ClaimRepo
from data.repos.conversations import ConversationRepo
from data.repos.faq import FaqRepo
from data.repos.interactions import InteractionRepo
from data.repos.invitations import InvitationRepo
from data.repos.missions import MissionRepo
from data.repos.offsets import ProcessedRepo
from data.repos.orgs import OrgRepo
from data.repos.outbox import OutboxRepo
from data.repos.people import PeopleRepo
from data.repos.privacy import PrivacyRepo
from data.repos.reports import ReportRepo
from data.repos.series import SeriesRepo
from data.repos.tasks import TaskRepo

__all__ = ["Tx"]


class Tx:
    """A transaction with every repository bound to it."""

    def __init__(
        self, conn: AsyncConnection, *, lock_rows: bool, clock: Callable[[], datetime] = utcnow
    ) -> None:
        self.conn = conn
        self.orgs = OrgRepo(conn)
        self.people = PeopleRepo(conn)
        self.missions = MissionRepo(conn, lock_rows=lock_rows)
        self.outbox = OutboxRepo(conn, lock_rows=lock_rows, clock=clock)
        self.conversations = ConversationRepo(conn)
        self.interactions = InteractionRepo(conn, clock)
        self.tasks = TaskRepo(conn, lock_rows=lock_rows, clock=clock)
        self.invitations = InvitationRepo(conn, lock_rows=lock_rows)
        self.processed = ProcessedRepo(conn)
        self.series = SeriesRepo(conn, lock_rows=lock_rows)
        self.activity = ActivityRepo(conn)
        self.privacy = PrivacyRepo(conn)
        self.reports = ReportRepo(conn)
        self.faq = FaqRepo(conn)
        self.claims = ClaimRepo(conn)
