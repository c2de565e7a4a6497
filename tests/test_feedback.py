"""Feedback for admins through the real core: volunteers rate and comment through the follow-up
buttons, then /feedback shows averages per mission and per kind, and the comments most negative
first, without names; plus the aggregation on a made-up history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import insert, select

from adapters.memory import Person
from bot.features.feedback import COMMENT_CHARS, TOP_COMMENTS
from bot.feedback import Rated, combined_score, feedback_report, mission_kind, snippet
from data.repos.reports import History, MissionRow
from data.schema import interactions, signups, volunteers
from matching.taxonomy import load_taxonomy
from tests.harness import Bot
from tests.scenarios import post_mission
from tests.timeline import member, run

SORTING = "Tri alimentaire | samedi 14h-17h | Entrepôt | 3 | manutention"  # Sat 5 Dec, logistics
MEAL = "Repas partagé | samedi 12 décembre 11h-14h | Cantine | 3 | cuisine"  # Sat 12 Dec, food
ANGRY = "Nul, très désorganisé, personne pour nous accueillir"
CROSS = "On a attendu une heure devant la porte fermée, pas cool"
HAPPY = "Super ambiance, merci à toute l'équipe !"
MEH = "c'était correct, sans plus"


async def came_and_rated(person: Person, stars: int, comment: str | None) -> None:
    """Answer the follow-up: I came, `stars` stars, then a comment or "skip"."""
    await person.press("Oui, j'y étais")
    await person.press("⭐" * stars, person.inbox[-1])
    if comment is None:
        await person.press("Passer", person.inbox[-1])
    else:
        await person.say(comment)
    assert "Merci pour ton retour" in person.last, person.last


async def admin_of(bot: Bot, language: str = "fr") -> Person:
    admin = bot.person("admin", "Adèle", language)
    await admin.join_group()
    return admin


async def two_missions(bot: Bot, language: str = "fr") -> tuple[Person, dict[str, Person]]:
    """Alice, Bob and Carol sort food on 5 December; Alice and Dave cook on the 12th."""
    admin = await admin_of(bot, language)
    coord = bot.person("coord", "Coralie")
    people = {n: await member(bot, n, n.title()) for n in ("alice", "bob", "carol", "dave")}
    sorting = await post_mission(bot, coord, SORTING)
    meal = await post_mission(bot, coord, MEAL)
    for name in ("alice", "bob", "carol"):
        await people[name].press("Je participe", bot.card(sorting))
    for name in ("alice", "dave"):
        await people[name].press("Je participe", bot.card(meal))
    await run(bot, days=6, hours=10)  # Saturday 5 December, 20:00: the sorting's follow-up
    await came_and_rated(people["alice"], 5, HAPPY)
    await came_and_rated(people["bob"], 2, CROSS)
    await came_and_rated(people["carol"], 4, None)
    await run(bot, days=7)  # Saturday 12 December, 20:00: the meal's follow-up
    await came_and_rated(people["alice"], 3, MEH)
    await came_and_rated(people["dave"], 1, ANGRY)
    return admin, people


def _report(admin: Person) -> str:
    return next(m.text for m in reversed(admin.inbox) if m.text.startswith("💬"))


async def test_admin_sees_averages_per_mission_and_kind_and_worst_comment_first(bot: Bot) -> None:
    admin, _ = await two_missions(bot)
    await admin.say("/feedback")
    text = _report(admin)
    assert "30 derniers jours" in text
    assert "Note moyenne : 3,0/5 sur 5 note(s) · 4 commentaire(s)" in text
    meal = "• Repas partagé · samedi 12 décembre : 2,0/5 (2 note(s), 2 commentaire(s))"
    sorting = "• Tri alimentaire · samedi 5 décembre : 3,7/5 (3 note(s), 2 commentaire(s))"
    assert text.index(meal) < text.index(sorting), "most recent mission first"
    food = "• Aide alimentaire : 2,0/5 (2 note(s), 1 mission(s))"
    logistics = "• Transport et logistique : 3,7/5 (3 note(s), 1 mission(s))"
    assert text.index(food) < text.index(logistics), "lowest rated kind first"
    comments = text[text.index("Commentaires") :].splitlines()[1:]
    assert comments[0] == f"• 1/5 · Repas partagé · samedi 12 décembre : « {ANGRY} »"
    assert [line.split(" · ")[0] for line in comments] == ["• 1/5", "• 2/5", "• 3/5", "• 5/5"]
    assert CROSS in comments[1] and HAPPY in comments[3]
    for name in ("Alice", "Bob", "Carol", "Dave"):
        assert name not in text, "comments are shown without their author"
    async with bot.store.connection() as conn:
        logged = (
            await conn.execute(
                select(interactions.c.detail).where(interactions.c.kind == "personal_data_access")
            )
        ).all()
    assert {"what": "feedback"} in [row.detail for row in logged]


async def test_english_admin_reads_it_in_english(bot: Bot) -> None:
    admin, _ = await two_missions(bot, "en")
    await admin.say("/feedback month")
    text = _report(admin)
    assert "Average rating: 3.0/5 from 5 rating(s)" in text
    assert "Food aid: 2.0/5" in text


async def test_volunteers_are_refused_and_a_group_call_is_answered_privately(bot: Bot) -> None:
    admin, people = await two_missions(bot)
    alice = people["alice"]
    before = len(alice.inbox)
    await alice.say("/feedback")
    assert "Seuls les admins" in alice.last and len(alice.inbox) == before + 1
    await alice.say("/feedback", in_group=True)
    assert ANGRY not in "\n".join(m.text for m in bot.group_messages + alice.inbox)
    await admin.say("/avis", in_group=True)
    group = bot.group_messages[-1].text
    assert "envoyé en privé" in group
    assert all(ANGRY not in m.text and "Note moyenne" not in m.text for m in bot.group_messages)
    assert ANGRY in _report(admin)


async def test_empty_period_bad_period_and_ratings_without_comments(bot: Bot) -> None:
    admin = await admin_of(bot)
    await admin.say("/feedback")
    assert admin.last.startswith("💬 Aucun avis sur les missions")
    await admin.say("/feedback décennie")
    assert "/feedback semaine" in admin.last
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    mission_id = await post_mission(bot, coord, SORTING)
    await alice.press("Je participe", bot.card(mission_id))
    await run(bot, days=6, hours=10)
    await came_and_rated(alice, 4, None)
    await admin.say("/feedback semaine")
    text = _report(admin)
    assert "Note moyenne : 4,0/5 sur 1 note(s) · 0 commentaire(s)" in text
    assert "Aucun commentaire écrit sur cette période" in text
    async with bot.store.connection() as conn:
        kinds = (await conn.execute(select(interactions.c.kind))).scalars().all()
    assert "personal_data_access" not in kinds, "no comment shown, nothing personal read"
    await run(bot, days=40)
    await admin.say("/feedback")
    assert admin.last.startswith("💬 Aucun avis"), "the mission is now out of the last 30 days"


async def test_long_comments_are_cut_and_thousands_are_capped(bot: Bot) -> None:
    admin = await admin_of(bot)
    coord = bot.person("coord", "Coralie")
    alice = await member(bot, "alice", "Alice")
    mission_id = await post_mission(bot, coord, SORTING)
    await alice.press("Je participe", bot.card(mission_id))
    await run(bot, days=6, hours=10)
    long_comment = "Rien n'était prêt et personne ne savait quoi faire. " * 19  # 988 characters
    await came_and_rated(alice, 1, long_comment)
    now = bot.clock()
    async with bot.store.transaction() as tx:  # 1,200 more people said something
        for n in range(1200):
            vid = (
                await tx.conn.execute(
                    insert(volunteers)
                    .values(display_name=f"V{n}", created_at=now, updated_at=now)
                    .returning(volunteers.c.id)
                )
            ).scalar_one()
            await tx.conn.execute(
                insert(signups).values(
                    mission_id=mission_id,
                    volunteer_id=vid,
                    status="attended",
                    created_at=now,
                    updated_at=now,
                    queued_at=now,
                    rating=5,
                    comment=f"Top, merci ! #{n}",
                )
            )
    await admin.say("/feedback")
    text = _report(admin)
    comments = text[text.index("Commentaires") :].splitlines()
    assert comments[1].startswith("• 1/5 · Tri alimentaire")
    assert long_comment.strip() not in text and "…" in comments[1]
    assert len(comments[1]) < COMMENT_CHARS + 80
    assert len(comments) == 1 + TOP_COMMENTS + 1
    assert comments[-1] == f"… et {1201 - TOP_COMMENTS} autre(s) commentaire(s), plus positifs"
    assert "sur 1201 note(s) · 1201 commentaire(s)" in text
    assert len(text) < 4096


# --- the aggregation on a made-up history ----------------------------------

NOW = datetime(2026, 12, 1, tzinfo=UTC)
TAXONOMY = load_taxonomy()


def _mission(n: int, days_ago: int, skills: tuple[str, ...] = ()) -> MissionRow:
    start = NOW - timedelta(days=days_ago)
    return MissionRow(n, f"M{n}", start, start + timedelta(hours=3), 3, "open", start, skills)


def _history(*missions: MissionRow) -> History:
    return History({m.id: m for m in missions}, [], [], {}, {})


def _by_words(texts: list[str]) -> list[float]:
    """A stand-in sentiment that the test can reason about: -1 for "nul", 1 for "top"."""
    return [-1.0 if "nul" in t else 1.0 if "top" in t else 0.0 for t in texts]


def test_kind_is_the_main_skill_domain() -> None:
    food_and_events = _mission(1, 3, ("reception", "cooking", "food_sorting"))
    assert mission_kind(food_and_events, TAXONOMY) == "food"
    assert mission_kind(_mission(2, 3, ("reception", "cooking")), TAXONOMY) == "events"
    assert mission_kind(_mission(3, 3, ("not_a_skill",)), TAXONOMY) is None
    assert mission_kind(_mission(4, 3), TAXONOMY) is None


def test_combined_score_weighs_the_rating_and_the_words() -> None:
    assert combined_score(1, -1.0) == -1.0 and combined_score(5, 1.0) == 1.0
    assert combined_score(3, 0.0) == 0.0
    assert combined_score(2, -0.8) < combined_score(4, -0.8) < combined_score(4, 0.5)
    assert combined_score(None, -0.3) == -0.3


def test_report_keeps_the_period_and_orders_everything() -> None:
    history = _history(
        _mission(1, 20, ("cooking",)), _mission(2, 5, ("handling",)), _mission(3, 60)
    )
    rated = [
        Rated(1, 4, "top"),
        Rated(1, 2, None),
        Rated(2, 5, "nul"),
        Rated(2, 2, "rien"),  # 2 stars, flat words: worse than 5 stars and "nul"
        Rated(3, 1, "nul"),  # before the period
        Rated(99, 1, "nul"),  # another organisation's mission
    ]
    report = feedback_report(history, rated, NOW - timedelta(days=30), NOW, TAXONOMY, _by_words)
    assert report.ratings == 4 and report.average == 3.25
    assert [(m.mission.id, m.average, m.ratings, m.comments) for m in report.missions] == [
        (2, 3.5, 2, 2),
        (1, 3.0, 2, 1),
    ]
    assert [(k.kind, k.average) for k in report.kinds] == [("food", 3.0), ("logistics", 3.5)]
    assert [c.text for c in report.comments] == ["rien", "nul", "top"]


def test_empty_and_comment_free_periods() -> None:
    empty = feedback_report(_history(), [], NOW - timedelta(days=7), NOW, TAXONOMY, _by_words)
    assert empty.average is None and empty.missions == [] and empty.comments == []
    history = _history(_mission(1, 2))
    quiet = feedback_report(
        history,
        [Rated(1, 4, None), Rated(1, 5, "  ")],
        NOW - timedelta(days=7),
        NOW,
        TAXONOMY,
        _by_words,
    )
    assert quiet.average == 4.5 and quiet.comments == []
    assert [(k.kind, k.missions) for k in quiet.kinds] == [(None, 1)]


def test_snippet_flattens_and_cuts_at_a_word() -> None:
    assert snippet("  bof\n\nbof  ", 50) == "bof bof"
    cut = snippet("mot " * 100, 30)
    assert len(cut) <= 30 and cut.endswith("…") and "mot…" in cut
    assert snippet("x" * 100, 10) == "x" * 9 + "…"
