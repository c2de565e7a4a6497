"""The repositories, on SQLite always and on PostgreSQL when MAINFORTE_TEST_POSTGRES_URL is set."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import func, select
from sqlalchemy.engine import Connection
from sqlalchemy.exc import IntegrityError

from data.records import (
    ConversationState,
    MissionSkill,
    MissionStatus,
    Role,
    SignupStatus,
    VolunteerSkill,
)
from data.schema import metadata, missions, outbox
from data.store import Store, normalise_url

WHEN = datetime(2026, 12, 5, 13, 0, tzinfo=UTC)


async def _org_and_volunteer(store: Store) -> tuple[int, int]:
    async with store.transaction() as tx:
        org = await tx.orgs.create("Banque alimentaire", timezone="Europe/Paris", language="fr")
        await tx.orgs.add_chat_space(org.id, "memory", "g1", "Groupe")
        volunteer, _ = await tx.people.create_with_identity("memory", "u1", "Awa", "fr")
        await tx.orgs.ensure_member(org.id, volunteer.id)
        return org.id, volunteer.id


async def _mission(store: Store, org_id: int, slots: int = 2) -> int:
    async with store.transaction() as tx:
        mission = await tx.missions.create(
            org_id=org_id,
            title="Tri",
            description="",
            starts_at=WHEN,
            ends_at=WHEN + timedelta(hours=3),
            place="Entrepôt",
            slots=slots,
            coordinator_id=None,
            chat_space_id=None,
            skills=[
                MissionSkill("food_sorting", "tri", True),
                MissionSkill(None, "bonne humeur", False),
            ],
        )
        return mission.id


async def test_migrations_match_the_schema(any_url: str) -> None:
    store = Store(any_url)
    try:
        async with store.connection() as conn:

            def diff(sync_conn: Connection) -> list[object]:
                context = MigrationContext.configure(sync_conn, opts={"compare_type": True})
                return list(compare_metadata(context, metadata))

            assert await conn.run_sync(diff) == []
        await store.migrate()  # idempotent
    finally:
        await store.close()


async def test_people_and_roles(any_url: str) -> None:
    store = Store(any_url)
    try:
        org_id, volunteer_id = await _org_and_volunteer(store)
        async with store.transaction() as tx:
            assert await tx.orgs.role(org_id, volunteer_id) is Role.VOLUNTEER
            await tx.orgs.set_role(org_id, volunteer_id, Role.COORDINATOR)
            await tx.people.replace_skills(
                volunteer_id,
                [VolunteerSkill("cooking", "cuisine", 0.95), VolunteerSkill(None, "origami", 0.0)],
            )
            await tx.people.replace_availability(
                volunteer_id, [(5, "afternoon"), (0, "evening"), (5, "afternoon")]
            )
            await tx.people.update(volunteer_id, postcode="75011", paused_until=WHEN)
        async with store.transaction() as tx:
            assert await tx.orgs.role(org_id, volunteer_id) is Role.COORDINATOR
            assert [o.id for o in await tx.orgs.orgs_of(volunteer_id, Role.COORDINATOR)] == [org_id]
            assert [o.id for o in await tx.orgs.orgs_of(volunteer_id, Role.ADMIN)] == []
            skills = await tx.people.skills(volunteer_id)
            assert [(s.skill_id, s.raw_text) for s in skills] == [
                ("cooking", "cuisine"),
                (None, "origami"),
            ]
            assert await tx.people.availability(volunteer_id) == {(5, "afternoon"), (0, "evening")}
            volunteer = await tx.people.get(volunteer_id)
            assert volunteer is not None and volunteer.postcode == "75011"
            assert volunteer.paused_until == WHEN and volunteer.paused_until.tzinfo is not None
            with pytest.raises(ValueError):
                await tx.people.update(volunteer_id, not_a_column=1)
    finally:
        await store.close()


async def test_a_failed_transaction_leaves_nothing(any_url: str) -> None:
    store = Store(any_url)
    try:
        org_id, _ = await _org_and_volunteer(store)
        with pytest.raises(RuntimeError):
            async with store.transaction() as tx:
                await tx.missions.create(
                    org_id=org_id,
                    title="X",
                    description="",
                    starts_at=WHEN,
                    ends_at=WHEN,
                    place="",
                    slots=1,
                    coordinator_id=None,
                    chat_space_id=None,
                )
                raise RuntimeError("crash in the middle")
        async with store.connection() as conn:
            assert (
                await conn.execute(select(func.count()).select_from(missions))
            ).scalar_one() == 0
    finally:
        await store.close()


async def test_signups_and_counts(any_url: str) -> None:
    store = Store(any_url)
    try:
        org_id, volunteer_id = await _org_and_volunteer(store)
        mission_id = await _mission(store, org_id)
        async with store.transaction() as tx:
            signup = await tx.missions.put_signup(
                mission_id, volunteer_id, SignupStatus.CONFIRMED, "button"
            )
            assert await tx.missions.counts(mission_id) == (1, 0)
            await tx.missions.set_signup_status(signup.id, SignupStatus.WITHDRAWN)
            assert await tx.missions.counts(mission_id) == (0, 0)
            again = await tx.missions.put_signup(
                mission_id, volunteer_id, SignupStatus.WAITLISTED, "reply"
            )
            assert again.id == signup.id and again.status is SignupStatus.WAITLISTED
            mission = await tx.missions.get(mission_id)
            assert mission is not None and [s.skill_id for s in mission.skills] == [
                "food_sorting",
                None,
            ]
            assert mission.starts_at == WHEN
        with pytest.raises(IntegrityError):
            async with store.transaction() as tx:
                from data.schema import signups

                await tx.conn.execute(
                    signups.insert().values(
                        mission_id=mission_id,
                        volunteer_id=volunteer_id,
                        status="confirmed",
                        created_at=WHEN,
                        updated_at=WHEN,
                        queued_at=WHEN,
                    )
                )
    finally:
        await store.close()


async def test_missions_listing_card_and_status(any_url: str) -> None:
    store = Store(any_url)
    try:
        org_id, _ = await _org_and_volunteer(store)
        first, second = await _mission(store, org_id), await _mission(store, org_id)
        async with store.transaction() as tx:
            await tx.missions.set_card(first, "g1", "42")
            await tx.missions.set_status(second, MissionStatus.CANCELLED)
            await tx.missions.edit(first, title="Tri du samedi", slots=5)
        async with store.transaction() as tx:
            found = await tx.missions.by_card("g1", "42")
            assert found is not None and found.id == first and found.title == "Tri du samedi"
            assert found.version == 1
            assert [
                m.id for m in await tx.missions.open_missions(org_id, WHEN - timedelta(days=1))
            ] == [first]
            assert await tx.missions.open_missions(org_id, WHEN + timedelta(days=1)) == []
            with pytest.raises(ValueError):
                await tx.missions.edit(first, status="open")
    finally:
        await store.close()


async def test_outbox_keys_are_idempotent_and_retries_back_off(any_url: str) -> None:
    store = Store(any_url)
    try:
        async with store.transaction() as tx:
            assert await tx.outbox.add("k1", platform="memory", kind="private", payload={"a": 1})
            assert not await tx.outbox.add(
                "k1", platform="memory", kind="private", payload={"a": 2}
            )
            assert await tx.outbox.add(
                "k2",
                platform="memory",
                kind="private",
                payload={},
                not_before=WHEN + timedelta(hours=1),
            )
        async with store.transaction() as tx:
            due = await tx.outbox.due(WHEN)
            assert [i.idempotency_key for i in due] == ["k1"] and due[0].payload == {"a": 1}
            await tx.outbox.retry_later(due[0].id, 0, "429", give_up_after=3)
        async with store.transaction() as tx:
            assert await tx.outbox.due(datetime.now(UTC)) == []
            later = await tx.outbox.due(WHEN + timedelta(hours=2))
            assert {i.idempotency_key for i in later} == {"k1", "k2"}
            for item in later:
                await tx.outbox.mark_sent(item.id)
        async with store.connection() as conn:
            rows = (
                await conn.execute(
                    select(outbox.c.idempotency_key, outbox.c.status, outbox.c.attempts)
                )
            ).all()
        assert sorted(tuple(r) for r in rows) == [("k1", "sent", 1), ("k2", "sent", 0)]
    finally:
        await store.close()


async def test_conversation_state_round_trip(any_url: str) -> None:
    store = Store(any_url)
    try:
        async with store.transaction() as tx:
            await tx.conversations.save(
                "memory", "u1", "private", ConversationState("ob", "skills", {"x": [1, "é"]})
            )
            await tx.conversations.save(
                "memory", "u1", "private", ConversationState("ob", "avail", {"x": [2]})
            )
        async with store.transaction() as tx:
            state = await tx.conversations.get("memory", "u1", "private")
            assert state == ConversationState("ob", "avail", {"x": [2]})
            assert await tx.conversations.clear("memory", "u1", "private")
            assert await tx.conversations.get("memory", "u1", "private") is None
    finally:
        await store.close()


async def test_concurrent_writers_queue_instead_of_failing(any_url: str) -> None:
    store = Store(any_url)
    try:
        await _org_and_volunteer(store)

        async def add(i: int) -> None:
            async with store.transaction() as tx:
                await tx.people.create_with_identity("memory", f"c{i}", f"C{i}", "fr")
                await asyncio.sleep(0.01)

        await asyncio.gather(*(add(i) for i in range(10)))
        async with store.transaction() as tx:
            assert all([await tx.people.identity("memory", f"c{i}") for i in range(10)])
    finally:
        await store.close()


def test_database_urls_are_normalised() -> None:
    assert normalise_url("sqlite:///x.db") == "sqlite+aiosqlite:///x.db"
    assert normalise_url("postgresql://u:p@h/db") == "postgresql+asyncpg://u:p@h/db"
    with pytest.raises(ValueError):
        normalise_url("mysql://h/db")
    with pytest.raises(ValueError):
        Store("sqlite:///:memory:")
