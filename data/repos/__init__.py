"""Repositories: the queries each feature needs, bound to one transaction."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncConnection

from data.repos.conversations import ConversationRepo
from data.repos.interactions import InteractionRepo
from data.repos.missions import MissionRepo
from data.repos.orgs import OrgRepo
from data.repos.outbox import OutboxRepo
from data.repos.people import PeopleRepo

__all__ = ["Tx"]


class Tx:
    """A transaction with every repository bound to it."""

    def __init__(self, conn: AsyncConnection, *, lock_rows: bool) -> None:
        self.conn = conn
        self.orgs = OrgRepo(conn)
        self.people = PeopleRepo(conn)
        self.missions = MissionRepo(conn, lock_rows=lock_rows)
        self.outbox = OutboxRepo(conn, lock_rows=lock_rows)
        self.conversations = ConversationRepo(conn)
        self.interactions = InteractionRepo(conn)
